// How the change log's entries are shown (conflicts, history, import summaries):
// its values, JSON text as logged, read back into what the forms show; its
// authors, by the label of their laptop in the team.

import { api, type FieldSpec, type Value } from './api';
import { enumLabel, formatDecimal, recordTitle, t } from './i18n';
import { schema, technologyName } from './schema';

/** The field's spec, or undefined for a kind or field this UI does not know (a newer laptop's). */
function specOf(kind: string, field: string): FieldSpec | undefined {
  return schema()
    .kinds.find((k) => k.name === kind)
    ?.fields.find((f) => f.name === field);
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The ids of a reference list as logged (a JSON array inside a string) or typed (comma-separated). */
function idList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v !== 'string') return [];
  const inner = parse(v);
  if (Array.isArray(inner)) return inner.map(String);
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A logged value (JSON text, null = empty) as the value `set_field` takes. */
export function logValue(kind: string, field: string, text: string | null): Value {
  if (text === null) return null;
  const v = parse(text);
  switch (specOf(kind, field)?.type) {
    case 'bool':
      return v === true || v === 1 || v === '1' || v === 'true';
    case 'ref_list':
      return idList(v);
  }
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return text;
}

/** The short form of an id (a device's, a missing record's). */
export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

/**
 * Shows logged values as the forms do: options and technologies by their label,
 * references by their record's title (looked up once per namer), numbers grouped.
 */
export type ValueNamer = (kind: string, field: string, text: string | null) => Promise<string>;

export function valueNamer(): ValueNamer {
  const titles = new Map<string, Promise<string>>();
  const title = (kind: string, id: string): Promise<string> => {
    let p = titles.get(id);
    if (!p) {
      p = api.get(kind, id).then(
        (r) => recordTitle(r) || shortId(id),
        () => shortId(id),
      );
      titles.set(id, p);
    }
    return p;
  };
  return async (kind, field, text) => {
    if (text === null) return t('value.empty');
    const spec = specOf(kind, field);
    const v = logValue(kind, field, text);
    if (v === null || v === '' || (Array.isArray(v) && v.length === 0)) return t('value.empty');
    if (!spec) return Array.isArray(v) ? v.join(', ') : String(v);
    switch (spec.type) {
      case 'bool':
        return v ? t('value.yes') : t('value.no');
      case 'enum':
        return enumLabel(spec.name, String(v));
      case 'tech_type':
        return technologyName(String(v));
      case 'decimal':
        return formatDecimal(String(v));
      case 'ref':
        return title(spec.kind ?? '', String(v));
      case 'ref_list':
        return (await Promise.all((v as string[]).map((id) => title(spec.kind ?? '', id)))).join(', ');
      default:
        return String(v);
    }
  };
}

/** Names the laptops that made changes: their label in the team, else a short id. */
export type DeviceNamer = (actor: string) => string;

export async function deviceNamer(): Promise<DeviceNamer> {
  const team = await api.teamCached().catch(() => null);
  const labels = new Map<string, string>();
  for (const d of team?.devices ?? []) {
    labels.set(d.actor, d.this_laptop ? t('device.this_laptop_named', { label: d.label }) : d.label);
  }
  const me = team?.device ?? document.body.dataset.device;
  return (actor) => labels.get(actor) ?? (actor === me ? t('device.this_laptop') : shortId(actor));
}
