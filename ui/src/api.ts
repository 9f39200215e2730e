// Typed wrappers around the Tauri commands (src-tauri/src/commands.rs).
// Every write invalidates the list cache the forms use for their selects.

import { invoke } from '@tauri-apps/api/core';

export type FieldType =
  | 'text'
  | 'long_text'
  | 'enum'
  | 'bool'
  | 'int'
  | 'decimal'
  | 'date'
  | 'latitude'
  | 'longitude'
  | 'unit'
  | 'currency'
  | 'tech_type'
  | 'sha256'
  | 'email'
  | 'ref'
  | 'ref_list';

export interface FieldSpec {
  name: string;
  type: FieldType;
  required: boolean;
  default: string | null;
  searchable: boolean;
  options?: string[];
  kind?: string;
  min?: number;
  max?: number;
  non_negative?: boolean;
}

export interface KindSpec {
  name: string;
  parent: string | null;
  title: string[];
  unique: string[][];
  fields: FieldSpec[];
}

export interface Unit {
  code: string;
  label_en: string;
  dimension: string;
  factor: string;
}

export interface Currency {
  code: string;
  name_en: string;
}

export interface Technology {
  code: string;
  name_en: string;
  name_ja: string;
  sector: string;
  methodology: string;
}

export interface Schema {
  kinds: KindSpec[];
  units: {
    units: Unit[];
    currencies: Currency[];
    dimensions?: Record<string, string>;
  };
  technologies: Technology[];
}

export type Value = string | number | boolean | null | string[];

export interface Rec {
  kind: string;
  id: string;
  title: string;
  fields: Record<string, Value>;
  created_at: string;
  updated_at: string;
  updated_by: string;
  deleted_at: string | null;
}

export interface Hit {
  kind: string;
  id: string;
  title: string;
  snippet: string;
  study_id: string | null;
}

export interface AppInfo {
  db_path: string;
  device_id: string;
  schema_version: number;
  language: string;
}

export interface UndoOutcome {
  label: string;
  records: [string, string][];
}

export type Verdict = 'fits' | 'cannot_tell' | 'does_not_fit';

export interface Check {
  requirement: string;
  verdict: Verdict;
  /** What the records say, in English (from the engine). */
  detail: string;
}

export interface SchemeAdvice {
  scheme: string;
  name_en: string;
  verdict: Verdict;
  checks: Check[];
}

export interface Advice {
  date: string;
  stakeholders: Check[];
  schemes: SchemeAdvice[];
}

export interface Allocation {
  party: string;
  tonnes: number;
}

export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export interface ApiError {
  code: string;
  message: string;
  field: string | null;
  errors: FieldError[];
}

/** Normalises whatever a rejected invoke gave into an ApiError. */
export function toApiError(e: unknown): ApiError {
  if (e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string' && 'message' in e) {
    const o = e as Partial<ApiError>;
    return {
      code: String(o.code),
      message: String(o.message),
      field: o.field ?? null,
      errors: Array.isArray(o.errors) ? o.errors : [],
    };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'internal', message, field: null, errors: [] };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toApiError(e);
  }
}

// ---- cache of lists (for ref selects and checkboxes) ----

const cache = new Map<string, Promise<Rec[]>>();
const listeners: (() => void)[] = [];

export function invalidate(): void {
  cache.clear();
  for (const fn of listeners) fn();
}

export function onInvalidate(fn: () => void): void {
  listeners.push(fn);
}

async function write<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await call<T>(cmd, args);
  } finally {
    invalidate();
  }
}

export const api = {
  appInfo: () => call<AppInfo>('app_info'),
  schema: () => call<Schema>('schema'),
  list: (kind: string, parentId?: string | null) =>
    call<Rec[]>('list_records', parentId ? { kind, parentId } : { kind }),
  /** A list, cached until the next write. */
  listCached(kind: string, parentId?: string | null): Promise<Rec[]> {
    const key = `${kind}/${parentId ?? ''}`;
    let p = cache.get(key);
    if (!p) {
      p = api.list(kind, parentId);
      cache.set(key, p);
      p.catch(() => cache.delete(key));
    }
    return p;
  },
  get: (kind: string, id: string) => call<Rec>('get_record', { kind, id }),
  create: (kind: string, fields: Record<string, Value>) => write<Rec>('create_record', { kind, fields }),
  setField: (kind: string, id: string, field: string, value: Value) =>
    write<Rec>('set_field', { kind, id, field, value }),
  remove: (kind: string, id: string) => write<null>('delete_record', { kind, id }),
  restore: (kind: string, id: string) => write<null>('restore_record', { kind, id }),
  trash: () => call<Rec[]>('trash'),
  undo: () => write<UndoOutcome | null>('undo'),
  search: (text: string) => call<Hit[]>('search', { text }),
  pickAttachment: (findingId: string, role: 'photo' | 'document') =>
    write<Rec | null>('pick_attachment', { findingId, role }),
  attachBytes: (findingId: string, role: 'photo' | 'document', fileName: string, bytes: number[]) =>
    write<Rec>('attach_bytes', { findingId, role, fileName, bytes }),
  setLanguage: (language: string) => call<null>('set_language', { language }),
  advise: (studyId: string) => call<Advice>('advise', { studyId }),
  creditSplit: (studyId: string, issued: number) => call<Allocation[]>('credit_split', { studyId, issued }),
};

/** The URL the webview loads an attachment from (custom `fbfile` protocol). */
export function fileUrl(sha256: string): string {
  // WebKitGTK and WKWebView use the scheme as is; WebView2 (Windows) maps it to http.
  return /Windows/.test(navigator.userAgent)
    ? `http://fbfile.localhost/${sha256}`
    : `fbfile://localhost/${sha256}`;
}
