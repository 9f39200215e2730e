// One form for every record kind, driven by the engine's schema.
// A saved record's form autosaves each field (change, blur, Enter) via set_field;
// a new record's form creates it on Enter or Save. Errors appear next to their
// field; what the user typed stays in the input.

import { api, toApiError, type ApiError, type FieldSpec, type Rec, type Value } from './api';
import { onPairPaste } from './coordinates';
import { h } from './dom';
import {
  currencyLabel,
  dimensionLabel,
  enumLabel,
  fieldLabel,
  formatDateTime,
  formatDecimal,
  getLang,
  kindLabel,
  recordTitle,
  t,
} from './i18n';
import { DUTY_FIELDS, kindSpec, schema, unitGroups } from './schema';
import { errorText, setStatus, showError } from './status';
import { undoAction } from './undo';

export interface FormContext {
  /** The open study: refs to visits, findings and needs offer only its records. */
  studyId?: string | null;
}

export interface FormOptions {
  kind: string;
  /** The saved record, or null for a new one. */
  record: Rec | null;
  /** Values a new record gets without showing them (its parent). */
  fixed?: Record<string, Value>;
  /** Fields not shown. */
  hidden?: string[];
  context?: FormContext;
  /** `detail`: a full form with a heading; `row`: one compact line in a section. */
  variant?: 'detail' | 'row';
  autofocus?: boolean;
  onCreated?: (rec: Rec) => void;
  onSaved?: (rec: Rec, field: string) => void;
  onDeleted?: (rec: Rec) => void;
  onCancel?: () => void;
  /** Shown next to the kind in a saved record's heading (its sync badge). */
  headExtra?: Node | null;
  /**
   * A new record's values that follow from a field the user set (a technology's
   * methodology): filled into fields left empty, or last filled the same way.
   */
  prefill?: (field: string, read: (name: string) => Value) => Promise<Record<string, Value>> | Record<string, Value>;
}


/** What the technology's owner attests to, for the exit-strategy advisor. */
const ATTESTATIONS = ['no_other_japanese_subsidy', 'proven_in_japan', 'new_to_partner_country', 'needs_customisation'];

/**
 * Per kind: the order fields are shown in (and tabbed through), which take a whole row,
 * and which are compact (label and control on one line, as a checklist, under `group`).
 */
const LAYOUT: Record<string, { order?: string[]; wide?: string[]; compact?: string[]; group?: string }> = {
  country: { wide: ['name_ja', 'status_source'] },
  city: {},
  org: { wide: ['name', 'website'] },
  collaboration: {},
  study: {
    order: ['title', 'collaboration_id', 'fiscal_year', 'years', 'status', 'consignee_id', 'stakeholder_ids', 'notes'],
    wide: ['title', 'collaboration_id'],
  },
  visit: { order: ['place', 'date', 'participants', 'latitude', 'longitude', 'notes'], wide: ['place'] },
  finding: { order: ['title', 'sector', 'status', 'visit_id', 'text'], wide: ['title', 'visit_id'] },
  need: { order: ['statement', 'sector', 'priority', 'voiced_by', 'finding_ids', 'notes'], wide: ['voiced_by'] },
  technology: {
    order: ['name', 'tech_type', 'supplier_id', 'capex', 'currency', 'need_ids', ...ATTESTATIONS, 'notes'],
    wide: ['name'],
    compact: ATTESTATIONS,
    group: 'technology.attestations',
  },
  member: { order: ['org_id', 'consortium_role', ...DUTY_FIELDS, 'notes'], compact: DUTY_FIELDS, group: 'member.duties' },
  activity: {
    order: ['title', 'year', 'activity_kind', 'date', 'stage', 'partner_city_role', 'notes'],
    wide: ['title'],
  },
  estimate: {
    order: [
      'technology_id',
      'title',
      'methodology',
      'durable_years',
      'capex',
      'currency',
      'eligible_cost',
      'opex_per_year',
      'savings_per_year',
      'discount_rate',
      'finance_years',
      'similar_projects',
      'jcm_edition',
      'jfjcm_edition',
      'notes',
    ],
    wide: ['title'],
  },
  exchange_rate: { order: ['from_currency', 'to_currency', 'rate', 'date', 'source'], wide: ['source'] },
};

const READ_ONLY_TYPES = new Set(['sha256']);

interface Control {
  spec: FieldSpec;
  wrap: HTMLElement;
  focusEl: HTMLElement;
  read(): Value;
  write(v: Value): void;
}

let uid = 0;

function display(v: Value | undefined): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return [...v].sort().join(',');
  return String(v);
}

function same(a: Value | undefined, b: Value | undefined): boolean {
  if (typeof a === 'boolean' || typeof b === 'boolean') return Boolean(a) === Boolean(b);
  return display(a) === display(b);
}

function emptyValue(v: Value): boolean {
  return v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
}

/** The records a ref field offers, sorted by title. */
async function refOptions(target: string, ctx: FormContext): Promise<Rec[]> {
  const spec = kindSpec(target);
  const inStudy = spec.parent === 'study_id' && ctx.studyId;
  const list = await api.listCached(target, inStudy ? ctx.studyId : null);
  return [...list].sort((a, b) => recordTitle(a).localeCompare(recordTitle(b), getLang()));
}

function placeholderFor(spec: FieldSpec): string | undefined {
  switch (spec.type) {
    case 'date':
      return t('hint.date');
    case 'latitude':
      return t('hint.latitude');
    case 'longitude':
      return t('hint.longitude');
    case 'int':
      return spec.name === 'fiscal_year' ? String(new Date().getFullYear()) : undefined;
    case 'decimal':
      return '0';
    case 'email':
      return t('hint.email');
    default:
      return undefined;
  }
}

function emptyOption(spec: FieldSpec, isNew: boolean): HTMLOptionElement | null {
  if (!spec.required) return h('option', { value: '' }, t('form.none'));
  if (isNew) return h('option', { value: '', disabled: true }, t('form.choose'));
  return null;
}

/** Makes sure a select shows `value` even if it is not among its options. */
function ensureOption(select: HTMLSelectElement, value: string, label: string): void {
  if (!value) return;
  for (const o of select.options) if (o.value === value) return;
  select.appendChild(h('option', { value }, label));
}

async function buildControl(
  kind: string,
  spec: FieldSpec,
  initial: Value | undefined,
  isNew: boolean,
  ctx: FormContext,
  row: boolean,
): Promise<Control> {
  const id = `fld-${++uid}`;
  const label = fieldLabel(kind, spec.name);
  const labelEl = h(
    'label',
    { for: id, class: row ? 'field-label sr-only' : 'field-label' },
    label,
    spec.required && !row ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null,
  );
  const common = {
    id,
    'data-field': spec.name,
    'aria-label': row ? label : undefined,
    'aria-required': spec.required ? 'true' : undefined,
  };
  const wrapClass = `field field-${spec.type}`;

  // Text-like inputs.
  const textInput = (type: string, extra: Record<string, string | undefined> = {}): Control => {
    const input = h('input', {
      ...common,
      type,
      value: display(initial),
      placeholder: row ? label : placeholderFor(spec),
      autocomplete: 'off',
      spellcheck: spec.type === 'text' ? 'true' : 'false',
      readonly: READ_ONLY_TYPES.has(spec.type) ? true : undefined,
      ...extra,
    });
    // In compact rows long values are cut: show them whole on hover.
    const syncTitle = () => {
      if (row) input.title = input.value.length > 16 ? input.value : '';
    };
    syncTitle();
    input.addEventListener('change', syncTitle);
    return {
      spec,
      wrap: h('div', { class: wrapClass }, labelEl, input),
      focusEl: input,
      read: () => (input.value.trim() === '' ? null : input.value),
      write: (v) => {
        input.value = display(v);
        syncTitle();
      },
    };
  };

  switch (spec.type) {
    case 'long_text': {
      const ta = h('textarea', { ...common, rows: row ? 1 : spec.name === 'text' ? 5 : 3 });
      ta.value = display(initial);
      if (row) ta.placeholder = label;
      return {
        spec,
        wrap: h('div', { class: wrapClass }, labelEl, ta),
        focusEl: ta,
        read: () => (ta.value.trim() === '' ? null : ta.value),
        write: (v) => {
          ta.value = display(v);
        },
      };
    }
    case 'bool': {
      const cb = h('input', { ...common, type: 'checkbox', checked: initial === true });
      return {
        spec,
        wrap: h('div', { class: `${wrapClass} field-check` }, h('label', { for: id, class: 'check' }, cb, h('span', null, label))),
        focusEl: cb,
        read: () => cb.checked,
        write: (v) => {
          cb.checked = v === true;
        },
      };
    }
    case 'int':
      return textInput('text', { inputmode: 'numeric' });
    case 'decimal': {
      const c = textInput('text', { inputmode: 'decimal' });
      if (!row) {
        // Long amounts are easier to check with grouping: show it under the input.
        const hint = h('div', { class: 'field-hint muted' });
        const input = c.focusEl as HTMLInputElement;
        const sync = () => {
          const v = input.value.trim();
          hint.textContent = /^-?\d{5,}(\.\d+)?$/.test(v) ? `= ${formatDecimal(v)}` : '';
        };
        sync();
        input.addEventListener('input', sync);
        const write = c.write;
        c.write = (v) => {
          write(v);
          sync();
        };
        c.wrap.appendChild(hint);
      }
      return c;
    }
    case 'latitude':
    case 'longitude':
      return textInput('text', { inputmode: 'text' });
    case 'email':
      return textInput('email');
    case 'text':
    case 'date':
    case 'sha256':
      return textInput('text');
    case 'enum':
    case 'unit':
    case 'currency':
    case 'tech_type':
    case 'ref': {
      const select = h('select', common);
      const empty = emptyOption(spec, isNew || initial === null || initial === undefined);
      if (empty) select.appendChild(empty);
      if (spec.type === 'enum') {
        for (const code of spec.options ?? []) select.appendChild(h('option', { value: code }, enumLabel(spec.name, code)));
      } else if (spec.type === 'unit') {
        for (const g of unitGroups()) {
          select.appendChild(
            h(
              'optgroup',
              { label: dimensionLabel(g.dimension) },
              g.codes.map((u) => h('option', { value: u.code }, u.label)),
            ),
          );
        }
        select.appendChild(
          h(
            'optgroup',
            { label: t('form.currencies') },
            schema().units.currencies.map((c) => h('option', { value: c.code }, c.code)),
          ),
        );
      } else if (spec.type === 'currency') {
        for (const c of schema().units.currencies) {
          select.appendChild(h('option', { value: c.code }, `${c.code} — ${currencyLabel(c.code, c.name_en)}`));
        }
      } else if (spec.type === 'tech_type') {
        const bySector = new Map<string, HTMLOptGroupElement>();
        for (const tech of schema().technologies) {
          let g = bySector.get(tech.sector);
          if (!g) {
            g = h('optgroup', { label: enumLabel('sector', tech.sector) });
            bySector.set(tech.sector, g);
            select.appendChild(g);
          }
          g.appendChild(h('option', { value: tech.code }, getLang() === 'ja' ? tech.name_ja : tech.name_en));
        }
      } else {
        const records = await refOptions(spec.kind ?? '', ctx);
        for (const r of records) select.appendChild(h('option', { value: r.id }, recordTitle(r) || r.id));
      }
      const current = display(initial);
      ensureOption(select, current, t('form.missing_ref', { id: current }));
      select.value = current;
      return {
        spec,
        wrap: h('div', { class: wrapClass }, labelEl, select),
        focusEl: select,
        read: () => (select.value === '' ? null : select.value),
        write: (v) => {
          const s = display(v);
          ensureOption(select, s, t('form.missing_ref', { id: s }));
          select.value = s;
        },
      };
    }
    case 'ref_list': {
      const target = spec.kind ?? '';
      const records = await refOptions(target, ctx);
      const chosen = new Set(Array.isArray(initial) ? initial : []);
      const box = h('div', { class: 'checks', 'data-field': spec.name, role: 'group', 'aria-label': label });
      const boxes: HTMLInputElement[] = [];
      for (const r of records) {
        const cb = h('input', { type: 'checkbox', value: r.id, checked: chosen.has(r.id) });
        boxes.push(cb);
        box.appendChild(h('label', { class: 'check' }, cb, h('span', null, recordTitle(r) || r.id)));
      }
      // Keep ids the list does not show (a record in the Trash) so saving never drops them.
      const hiddenIds = [...chosen].filter((id) => !records.some((r) => r.id === id));
      if (records.length === 0) {
        box.appendChild(h('p', { class: 'muted' }, t('form.no_options', { kind: kindLabel(target, true) })));
      }
      const legend = h('div', { class: 'field-label', id }, label);
      return {
        spec,
        wrap: h('div', { class: `${wrapClass} wide` }, legend, box),
        focusEl: boxes[0] ?? box,
        read: () => [...hiddenIds, ...boxes.filter((b) => b.checked).map((b) => b.value)],
        write: (v) => {
          const set = new Set(Array.isArray(v) ? v : []);
          for (const b of boxes) b.checked = set.has(b.value);
        },
      };
    }
  }
}

export interface RecordForm {
  el: HTMLFormElement;
  focusFirst(): void;
  record(): Rec | null;
}

/** Builds the form (async: ref selects need their options first). */
export async function recordForm(opts: FormOptions): Promise<RecordForm> {
  const kind = opts.kind;
  const spec = kindSpec(kind);
  const row = opts.variant === 'row';
  const ctx = opts.context ?? {};
  let record = opts.record;
  const isNew = record === null;
  const fixed = opts.fixed ?? {};
  const hidden = new Set([...(opts.hidden ?? []), ...Object.keys(fixed)]);
  if (spec.parent) hidden.add(spec.parent);
  if (kind === 'attachment') ['finding_id', 'sha256', 'mime', 'size_bytes', 'role'].forEach((f) => hidden.add(f));

  const layout = LAYOUT[kind] ?? {};
  const order = layout.order ?? spec.fields.map((f) => f.name);
  const fields = [
    ...order.map((n) => spec.fields.find((f) => f.name === n)).filter((f): f is FieldSpec => !!f),
    ...spec.fields.filter((f) => !order.includes(f.name)),
  ].filter((f) => !hidden.has(f.name));

  const controls = await Promise.all(
    fields.map((f) => {
      const initial = record ? record.fields[f.name] : f.default !== null ? defaultValue(f) : null;
      return buildControl(kind, f, initial, isNew, ctx, row);
    }),
  );
  const byName = new Map(controls.map((c) => [c.spec.name, c]));
  for (const c of controls) {
    if (!row && layout.compact?.includes(c.spec.name)) {
      c.wrap.classList.add('field-compact');
      const sel = c.wrap.querySelector('select');
      const mark = () => {
        if (sel) c.wrap.dataset.value = sel.value;
      };
      mark();
      sel?.addEventListener('change', mark);
      continue;
    }
    if (!row && (layout.wide?.includes(c.spec.name) || c.spec.type === 'long_text' || c.spec.type === 'ref_list')) {
      c.wrap.classList.add('wide');
    }
  }

  const form = h('form', {
    class: `record-form record-form-${row ? 'row' : 'detail'} kind-${kind}${isNew ? ' is-new' : ''}`,
    'data-testid': 'record-form',
    'data-kind': kind,
    'data-id': record?.id,
    novalidate: true,
    autocomplete: 'off',
  });

  // ---- errors next to fields ----
  const clearFieldError = (name: string) => {
    const c = byName.get(name);
    if (!c) return;
    c.wrap.classList.remove('has-error');
    c.wrap.querySelector('[data-error-for]')?.remove();
    c.focusEl.removeAttribute('aria-invalid');
  };
  const clearAllErrors = () => controls.forEach((c) => clearFieldError(c.spec.name));
  const setFieldError = (name: string, text: string) => {
    const c = byName.get(name);
    if (!c) return false;
    const errId = `${c.focusEl.id || name}-err`;
    c.wrap.classList.add('has-error');
    const existing = c.wrap.querySelector<HTMLElement>('[data-error-for]');
    if (existing) existing.textContent = text;
    else c.wrap.appendChild(h('div', { class: 'field-error', 'data-error-for': name, id: errId, role: 'alert' }, text));
    c.focusEl.setAttribute('aria-invalid', 'true');
    c.focusEl.setAttribute('aria-describedby', errId);
    return true;
  };
  const showErrors = (err: ApiError) => {
    let shown = false;
    let firstField: string | null = null;
    const list = err.errors.length > 0 ? err.errors : err.field ? [{ field: err.field, code: err.code, message: err.message }] : [];
    for (const fe of list) {
      const fs = spec.fields.find((f) => f.name === fe.field);
      const params: Record<string, string | number> = { ...fe.params };
      if (fs?.min !== undefined) params.min = fs.min;
      if (fs?.max !== undefined) params.max = fs.max;
      if (setFieldError(fe.field, errorText(fe, params))) {
        shown = true;
        firstField ??= fe.field;
      }
    }
    const unshown = list.filter((fe) => !byName.has(fe.field));
    if (!shown || unshown.length > 0) showError(err);
    return firstField;
  };

  // ---- autosave (saved records) ----
  let queue: Promise<void> = Promise.resolve();
  const commit = (c: Control): Promise<void> => {
    queue = queue.then(() => doCommit(c));
    return queue;
  };
  // The value each field last failed with: blur after change must not send it twice.
  const failed = new Map<string, Value>();
  const doCommit = async (c: Control) => {
    if (!record) return;
    const name = c.spec.name;
    const value = c.read();
    if (same(value, record.fields[name])) {
      failed.delete(name);
      clearFieldError(name);
      return;
    }
    if (failed.has(name) && same(value, failed.get(name))) return;
    setStatus('saving');
    try {
      const rec = await api.setField(kind, record.id, name, value);
      record = rec;
      // Show the stored form (a DMS coordinate comes back as a decimal), unless the user typed on.
      if (same(c.read(), value)) c.write(rec.fields[name] ?? null);
      failed.delete(name);
      clearFieldError(name);
      setStatus('saved');
      updateHeading();
      opts.onSaved?.(rec, name);
    } catch (e) {
      failed.set(name, value);
      setStatus('failed');
      showErrors(toApiError(e));
    }
  };

  // ---- create (new records) ----
  let creating = false;
  const create = async () => {
    if (creating) return;
    const values: Record<string, Value> = { ...fixed };
    for (const c of controls) {
      const v = c.read();
      if (!emptyValue(v)) values[c.spec.name] = v;
    }
    clearAllErrors();
    creating = true;
    setStatus('saving');
    try {
      const rec = await api.create(kind, values);
      setStatus('saved');
      opts.onCreated?.(rec);
    } catch (e) {
      setStatus('failed');
      const first = showErrors(toApiError(e));
      if (first) byName.get(first)?.focusEl.focus();
    } finally {
      creating = false;
    }
  };

  for (const c of controls) {
    const el = c.focusEl;
    const isCheckList = c.spec.type === 'ref_list';
    if (!isNew) {
      // change: selects, checkboxes, and text inputs on blur; blur covers the rest.
      c.wrap.addEventListener('change', () => void commit(c));
      if (!isCheckList) el.addEventListener('blur', () => void commit(c));
    }
    if (el instanceof HTMLInputElement && el.type !== 'checkbox') {
      el.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' && !ev.isComposing && !ev.shiftKey && !ev.ctrlKey && !ev.altKey) {
          ev.preventDefault();
          if (isNew) void create();
          else void commit(c);
        }
      });
    }
    if (isNew) {
      c.wrap.addEventListener('input', () => clearFieldError(c.spec.name));
    }
  }
  // ---- a coordinate pair pasted into the latitude fills both fields ----
  const lat = controls.find((c) => c.spec.type === 'latitude');
  const lon = controls.find((c) => c.spec.type === 'longitude');
  if (lat?.focusEl instanceof HTMLInputElement && lon) {
    onPairPaste(lat.focusEl, (latitude, longitude) => {
      for (const [c, v] of [
        [lat, latitude],
        [lon, longitude],
      ] as const) {
        c.write(v);
        clearFieldError(c.spec.name);
        if (!isNew) void commit(c);
      }
    });
  }

  // ---- values that follow from another field (new records) ----
  const prefill = opts.prefill;
  if (isNew && prefill) {
    const filled = new Map<string, Value>();
    let token = 0;
    for (const c of controls) {
      c.wrap.addEventListener('change', async () => {
        const mine = ++token;
        const values = await prefill(c.spec.name, (name) => byName.get(name)?.read() ?? null);
        if (mine !== token) return;
        for (const [name, v] of Object.entries(values)) {
          const target = byName.get(name);
          if (!target || name === c.spec.name) continue;
          const current = target.read();
          if (emptyValue(current) || (filled.has(name) && same(current, filled.get(name)))) {
            target.write(v);
            filled.set(name, v);
            clearFieldError(name);
          }
        }
      });
    }
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (isNew) void create();
  });
  form.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && isNew && opts.onCancel) {
      ev.preventDefault();
      ev.stopPropagation();
      opts.onCancel();
    }
  });

  // ---- heading and actions ----
  const heading = h('h2', { class: 'form-title' });
  const meta = h('p', { class: 'form-meta muted' });
  const updateHeading = () => {
    heading.textContent = record ? recordTitle(record) || kindLabel(kind) : t('form.new', { kind: kindLabel(kind) });
    meta.textContent = record ? t('form.updated', { when: formatDateTime(record.updated_at) }) : '';
  };
  updateHeading();

  const deleteBtn = () =>
    h(
      'button',
      {
        type: 'button',
        class: row ? 'btn-icon danger-hover' : 'btn btn-quiet danger-hover',
        'data-testid': 'delete',
        title: t('action.delete_hint'),
        'aria-label': `${t('action.delete')}: ${record?.title ?? ''}`,
        onclick: async () => {
          if (!record) return;
          try {
            await api.remove(kind, record.id);
            setStatus({ text: t('status.moved_to_trash', { title: record.title || kindLabel(kind) }), action: undoAction() });
            opts.onDeleted?.(record);
          } catch (e) {
            showError(toApiError(e));
          }
        },
      },
      row ? '×' : t('action.delete'),
    );
  const saveBtn = () =>
    h('button', { type: 'submit', class: row ? 'btn btn-small btn-primary' : 'btn btn-primary', 'data-testid': 'save' }, t('action.save'));
  const cancelBtn = () =>
    opts.onCancel
      ? h(
          'button',
          { type: 'button', class: row ? 'btn btn-small btn-quiet' : 'btn btn-quiet', 'data-testid': 'cancel', onclick: () => opts.onCancel?.() },
          t('action.cancel'),
        )
      : null;

  if (row) {
    form.appendChild(h('div', { class: 'row-fields' }, controls.map((c) => c.wrap)));
    form.appendChild(h('div', { class: 'row-actions' }, isNew ? [saveBtn(), cancelBtn()] : deleteBtn()));
  } else {
    form.appendChild(
      h(
        'div',
        { class: 'form-head' },
        h(
          'div',
          { class: 'form-head-text' },
          h('div', { class: 'form-kind-row' }, h('div', { class: 'form-kind' }, kindLabel(kind)), opts.headExtra),
          heading,
          meta,
        ),
        h('div', { class: 'form-actions' }, isNew ? null : deleteBtn()),
      ),
    );
    form.appendChild(
      h(
        'div',
        { class: 'form-grid' },
        controls.map((c) =>
          layout.group && c.spec.name === layout.compact?.[0]
            ? [h('div', { class: 'field-group-title' }, t(layout.group)), c.wrap]
            : c.wrap,
        ),
      ),
    );
    if (isNew) {
      form.appendChild(h('div', { class: 'form-foot' }, saveBtn(), cancelBtn(), h('span', { class: 'muted hint' }, t('hint.enter_to_save'))));
    }
  }

  const focusFirst = () => {
    const first = controls.find((c) => !(c.focusEl instanceof HTMLInputElement && c.focusEl.readOnly));
    first?.focusEl.focus();
  };
  if (opts.autofocus) queueMicrotask(focusFirst);

  return { el: form, focusFirst, record: () => record };
}

function defaultValue(f: FieldSpec): Value {
  if (f.default === null) return null;
  if (f.type === 'bool') return f.default === 'true';
  return f.default;
}
