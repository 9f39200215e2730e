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
  /** The decimals its amounts are shown with (JPY 0, USD 2). */
  minor_units: number;
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

/** Why an undo (or redo) left one change as it was. */
export type SkipReason =
  | { code: 'changed_since' }
  | { code: 'in_trash' }
  | { code: 'not_in_trash' }
  | { code: 'refused'; message: string };

export interface Skipped {
  kind: string;
  record_id: string;
  field: string | null;
  reason: SkipReason;
}

/** What an undo or a redo did. */
export interface UndoOutcome {
  /** The action taken back or done again ("Edit finding title"). */
  label: string;
  /** The records it touched, as [kind, id]. */
  records: [string, string][];
  /** The title of the record the action was about. */
  title: string | null;
  /** Changes that no longer applied and were left as they are. */
  skipped: Skipped[];
}

export type Verdict = 'fits' | 'unknown' | 'does_not_fit';

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

/** An exact decimal from the engine, as a string (never a float). */
export type Dec = string;

/** How far a rule-pack value can be trusted. */
export type RuleStatus = 'sourced' | 'derived' | 'unverified';

export interface MethodologyParam {
  /** The code the formulas use. */
  name: string;
  label_en: string;
  label_ja: string;
  unit: string;
  description_en: string;
  description_ja: string;
  default: Dec | null;
  default_source: string | null;
  default_status: RuleStatus | null;
  /** A fuel whose emission factor is the default. */
  default_from: string | null;
}

export interface Methodology {
  id: string;
  name_en: string;
  name_ja: string;
  technology: string;
  reference_formula: string;
  project_formula: string;
  source: string;
  status: RuleStatus;
  durable_years: string;
  params: MethodologyParam[];
}

export type Monitoring = 'A' | 'B' | 'C';

export type Provenance =
  | { kind: 'measurement'; finding_id: string; measurement_id: string }
  | { kind: 'reference'; source: string; status: RuleStatus }
  | { kind: 'user'; source: string };

export interface InputShown {
  name: string;
  value: Dec;
  unit: string;
  provenance: Provenance;
  monitoring: Monitoring | null;
  unverified: boolean;
}

export interface EmissionEstimate {
  methodology: string;
  reference_formula: string;
  project_formula: string;
  reference_t_per_year: Dec;
  project_t_per_year: Dec;
  /** Whole tonnes, rounded down. */
  reduction_t_per_year: Dec;
  reduction_t_per_year_unrounded: Dec;
  durable_years: number | null;
  durable_years_source: string | null;
  /** How far the rule pack's years can be trusted; null when the user gave them. */
  durable_years_status: RuleStatus | null;
  lifetime_reduction_t: Dec | null;
  inputs: InputShown[];
  unverified_inputs: string[];
}

/** An amount converted at a dated exchange rate the user recorded. */
export interface Conversion {
  from_currency: string;
  to_currency: string;
  amount: Dec;
  converted: Dec;
  rate: Dec;
  date: string;
  source: string | null;
  exchange_rate_id: string;
}

export type SchemeId = 'jcm-model-project' | 'jfjcm-sovereign' | 'jfjcm-non-sovereign';

export interface SubsidyResult {
  scheme: SchemeId;
  edition: string;
  eligible: boolean;
  rate: Dec;
  amount: Dec;
  currency: string;
  cap_applied: boolean;
  reasons: string[];
  source: string;
  status: RuleStatus;
}

export interface SubsidyLine {
  scheme: SchemeId;
  edition: string;
  cost_conversion: Conversion | null;
  result: SubsidyResult | null;
  error: string | null;
}

export interface CostEffectiveness {
  jpy_per_t: Dec;
  threshold_jpy_per_t: Dec;
  threshold_from: 'setting' | 'rule_pack';
  threshold_status: RuleStatus | null;
  within_threshold: boolean;
}

export interface FinanceCase {
  upfront_cost: Dec;
  npv: Dec;
  irr: Dec | null;
  simple_payback_years: Dec | null;
  discounted_payback_years: Dec | null;
  cost_per_t_abated: Dec | null;
  /** The cash position at the end of each year, year 0 first. */
  cumulative_cash_flow: Dec[];
}

export interface EstimateReport {
  estimate_id: string;
  study_id: string;
  technology_id: string | null;
  title: string;
  methodology: string;
  updated_at: string;
  similar_projects: number;
  emissions: EmissionEstimate | null;
  emissions_error: string | null;
  host_country: string | null;
  subsidies: SubsidyLine[];
  cost_effectiveness: CostEffectiveness | null;
  cost_effectiveness_error: string | null;
  finance_currency: string | null;
  finance_subsidy: Conversion | null;
  finance: { without_subsidy: FinanceCase; with_subsidy: FinanceCase } | null;
  finance_error: string | null;
}

/** A measurement of the study that could feed a parameter. */
export interface Candidate {
  measurement_id: string;
  finding_id: string;
  finding_title: string;
  quantity: string;
  value: Dec;
  unit: string;
  /** The value in the parameter's unit. */
  converted: Dec;
}

export interface ParamCandidates {
  param: string;
  unit: string;
  candidates: Candidate[];
}

// ---- sync (src-tauri/src/sync_commands.rs) ----

/** Where a record stands with the other laptops. */
export type SyncState = 'local_only' | 'synced' | 'conflict';

export interface DeviceView {
  actor: string;
  label: string;
  fingerprint: string;
  this_laptop: boolean;
  added_by: string | null;
  revoked_at: string | null;
}

export interface TeamView {
  name: string;
  project_id: string;
  project_key_id: string;
  /** This laptop's actor id. */
  device: string;
  fingerprint: string;
  devices: DeviceView[];
}

export interface Exported {
  files: string[];
  ops: number;
  photos: number;
}

/** How far an export has got (the `sync-progress` event). */
export type Progress =
  | { stage: 'ops'; count: number }
  | { stage: 'photos'; done: number; total: number }
  | { stage: 'writing' }
  | { stage: 'checking' }
  | { stage: 'merging'; count: number };

export interface ImportSummary {
  ops_new: number;
  ops_known: number;
  records_new: number;
  records_changed: number;
  conflicts_new: number;
  /** Changes of a newer Fieldbook or an unknown kind: kept and passed on, not shown. */
  ops_not_applied: number;
}

export interface ImportReport {
  bundle_id: string;
  part: number | null;
  parts: number | null;
  sender: string;
  summary: ImportSummary;
  photos_new: number;
  devices_learned: number;
}

/** Where the background sync with the team hub stands (`hub_status`, the `hub-status` event). */
export type HubState = 'not_enrolled' | 'offline' | 'syncing' | 'up_to_date' | 'error';

export interface HubSyncStatus {
  state: HubState;
  /** The hub's address, when enrolled. */
  hub: string | null;
  /** 0 to 100 while syncing, when known. */
  percent: number | null;
  /** When the last sync succeeded (RFC 3339). */
  last_sync: string | null;
  /** Why it is offline (`unreachable`) or failed (the hub's refusal code, or `local`), in English. */
  error: { code: string; message: string } | null;
  /** When it tries again by itself (RFC 3339). */
  retry_at: string | null;
}

/** What a sync brought from teammates (the `hub-synced` event). */
export interface HubSynced {
  ops_new: number;
}

export type OpKind = 'create' | 'set' | 'delete' | 'restore';

/** One value a conflicted field could take, or one side of a delete-versus-edit. */
export interface ConflictCandidate {
  op: OpKind;
  /** The value as JSON text (`"\"text\""`, `12`), null when it clears the field. */
  value: string | null;
  actor: string;
  at: string;
  hlc: number;
  /** The value its author replaced (JSON text), when known. */
  base: string | null;
}

export interface Conflict {
  kind: string;
  record_id: string;
  /** The field, or '' for a record deleted on one laptop while edited on another (or added inside a deleted parent). */
  field: string;
  /** The one shown now first. */
  candidates: ConflictCandidate[];
  /** Set when the record lives inside one in the Trash (added while another laptop deleted it). */
  deleted_parent?: { kind: string; id: string };
}

export interface HistoryEntry {
  op: OpKind;
  field: string | null;
  value: string | null;
  /** The values this change replaced (JSON text). */
  before: (string | null)[];
  actor: string;
  seq: number;
  at: string;
  hlc: number;
}

export interface FieldError {
  field: string;
  code: string;
  message: string;
  /** Values the translated message names (a unit that does not fit: quantity, unit, allowed). */
  params?: Record<string, string>;
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

let team: Promise<TeamView | null> | null = null;

export function invalidate(): void {
  cache.clear();
  team = null;
  for (const fn of listeners) fn();
}

export function onInvalidate(fn: () => void): void {
  listeners.push(fn);
}

let methodologies: Promise<Methodology[]> | null = null;

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
  /** Takes back the last undo, unless a new change was made since. */
  redo: () => write<UndoOutcome | null>('redo'),
  search: (text: string) => call<Hit[]>('search', { text }),
  /** A latitude and longitude pasted together, as stored decimals; null when the text is not a pair. */
  parseCoordinates: (text: string) => call<[string, string] | null>('parse_coordinates', { text }),
  pickAttachment: (findingId: string, role: 'photo' | 'document') =>
    write<Rec | null>('pick_attachment', { findingId, role }),
  attachBytes: (findingId: string, role: 'photo' | 'document', fileName: string, bytes: number[]) =>
    write<Rec>('attach_bytes', { findingId, role, fileName, bytes }),
  setLanguage: (language: string) => call<null>('set_language', { language }),
  advise: (studyId: string, technologyId?: string | null) =>
    call<Advice>('advise', technologyId ? { studyId, technologyId } : { studyId }),
  /** The rule pack's methodologies (fixed while the app runs: fetched once). */
  methodologies(): Promise<Methodology[]> {
    if (!methodologies) {
      // The rule pack serialises the parameters under their TOML name, `param`.
      const p = call<(Methodology & { param?: MethodologyParam[] })[]>('methodologies').then((list) =>
        list.map(({ param, ...m }) => ({ ...m, params: m.params ?? param ?? [] })),
      );
      p.catch(() => (methodologies = null));
      methodologies = p;
    }
    return methodologies;
  },
  evaluateEstimate: (estimateId: string) => call<EstimateReport>('evaluate_estimate', { estimateId }),
  studyEstimates: (studyId: string) => call<EstimateReport[]>('study_estimates', { studyId }),
  measurementCandidates: (studyId: string, methodology: string) =>
    call<ParamCandidates[]>('measurement_candidates', { studyId, methodology }),
  /** The cost-effectiveness threshold in JPY per tonne; '' goes back to the rule pack's. */
  setCostThreshold: (value: string) => call<null>('set_cost_threshold', { value }),
  creditSplit: (studyId: string, issued: number) => call<Allocation[]>('credit_split', { studyId, issued }),

  // ---- sync: team, bundles, conflicts, badges, history ----
  teamShow: () => call<TeamView | null>('team_show'),
  /** The team (device labels for history and conflicts), cached until the next write. */
  teamCached(): Promise<TeamView | null> {
    if (!team) {
      const p = api.teamShow();
      p.catch(() => (team = null));
      team = p;
    }
    return team;
  },
  /** Asks where to save the invite; null when cancelled. */
  teamInit: (name: string, label: string, passphrase: string) => write<string | null>('team_init', { name, label, passphrase }),
  /** Asks for the invite, then where to save the join request; null when cancelled. */
  teamJoin: (label: string, passphrase: string) => write<string | null>('team_join', { label, passphrase }),
  /** Asks for a join request and enrols its laptop; null when cancelled. */
  teamAddDevice: () => write<DeviceView | null>('team_add_device'),
  teamRevoke: (actor: string) => write<DeviceView>('team_revoke', { actor }),
  /** Asks where to save; emits `sync-progress` while it runs; null when cancelled. */
  bundleExport: (peer: string | null) => call<Exported | null>('bundle_export', { peer }),
  bundleCancel: () => call<null>('bundle_cancel'),
  /** Imports the bundle files chosen in the native dialog; null when cancelled. */
  bundleImportPick: () => write<ImportReport[] | null>('bundle_import_pick'),
  bundleImportBytes: (bytes: number[]) => write<ImportReport>('bundle_import_bytes', { bytes }),
  conflicts: () => call<Conflict[]>('conflicts'),
  /** Settles a delete-versus-edit by keeping the record. */
  keepRecord: (kind: string, id: string) => write<null>('keep_record', { kind, id }),
  /** Each record's sync state, in the order given. */
  syncStates: (ids: string[]) => call<SyncState[]>('sync_states', { ids }),
  history: (id: string) => call<HistoryEntry[]>('history', { id }),

  // ---- team hub: background sync ----
  hubStatus: () => call<HubSyncStatus>('hub_status'),
  /** Enrols this laptop with the hub by an admin code or a device code; `ca`: the team's certificate authority file (PEM), if any. */
  hubEnrol: (url: string, code: string, ca: string | null) => call<HubSyncStatus>('hub_enrol', { url, code, ca }),
  /** Asks for the team's certificate authority file; its path, null when cancelled. */
  hubPickCa: () => call<string | null>('hub_pick_ca'),
  /** Starts a sync and returns at once: `hub-status` tells how it goes, `hub-synced` what it brought. */
  hubSyncNow: () => call<null>('hub_sync_now'),
  /** Stops syncing with the hub (what this laptop has stays). */
  hubForget: () => call<HubSyncStatus>('hub_forget'),

  /** Renders a report, asks where to save it, saves it and opens it if asked; null when cancelled. */
  printReport: (request: ReportRequest, choice: PrintChoice) => call<Printed | null>('report_print', { request, choice }),

  /** Exports a study (XLSX, a CSV folder, GeoJSON or KML), asking where; null when cancelled. */
  exportStudy: (studyId: string, choice: ExportChoice) => call<Exported | null>('study_export', { studyId, choice }),

  // ---- the Import wizard: KoboToolbox and ODK Central submission exports ----
  /** Asks for the export file, the media ZIP or the XLSForm, starting beside `near`; its path, null when cancelled. */
  importPick: (what: 'export' | 'media' | 'form', near: string | null) => call<string | null>('import_pick', { what, near }),
  /** Reads the export (and checks the media ZIP, if given): its columns, submissions and the mapping
   *  proposed (guided by the XLSForm, if given). */
  importInspect: (tool: SurveyTool, path: string, media: string | null, form: string | null) =>
    call<Inspected>('import_inspect', { tool, path, media, form }),
  importMappings: () => call<string[]>('import_mappings'),
  importMapping: (name: string) => call<SurveyMapping>('import_mapping', { name }),
  /** The first submissions as the records the mapping makes of them. */
  importPreview: (tool: SurveyTool, path: string, mapping: SurveyMapping, studyId: string) =>
    call<PreviewRow[]>('import_preview', { tool, path, mapping, studyId }),
  /** Imports (or checks, with dry_run); emits `survey-import-progress` while it runs. */
  importRun: (request: SurveyImportRequest) => write<SurveyImportReport>('import_run', { request }),
  /** Saves the last run's rejected rows as CSV, asking where; the path, null when cancelled. */
  importSaveRejections: () => call<string | null>('import_save_rejections'),
};

export type SurveyTool = 'kobo' | 'odk';

/** A field's value: from a column, or the same for every row. */
export type MappingField = { column: string } | { value: string };

/** Which columns of an export become which fields (the shape of `fieldbook_interop::import::Mapping`). */
export interface SurveyMapping {
  visit: {
    date: string;
    place?: string;
    location?: { geopoint: string } | { split: { latitude: string; longitude: string } };
    participants?: string;
    notes?: string[];
  };
  finding?: { title: string; sector: MappingField; text?: string[] };
  photos?: string[];
  /** Photos from repeat groups: a column of a repeat sheet, and a caption column. */
  repeat_photos?: { sheet: string; column: string; caption?: string }[];
  measurements?: { sheet: string; quantity: MappingField; value: string; unit: MappingField; notes?: string };
  measurement_columns?: { column: string; quantity: string; unit: string }[];
}

export interface SheetColumns {
  name: string;
  headers: string[];
  /** The first value of each column ('' when it has none), cut short. */
  samples: string[];
  rows: number;
}

export interface Inspected {
  tool: SurveyTool;
  file_name: string;
  submissions: number;
  id_column: string;
  main: SheetColumns;
  repeats: SheetColumns[];
  proposed: SurveyMapping;
  saved: string[];
  /** The export carries its media itself (ODK Central's ZIP). */
  media_inside: boolean;
}

export interface Rejection {
  sheet: string;
  row: number;
  column: string;
  /** The cell's content as the export holds it. */
  value: string;
  /** What is wrong, as a code translated by `error.<code>`, with its values. */
  code: string;
  params?: Record<string, string>;
  /** What is wrong, in English (shown when the code has no translation). */
  reason: string;
}

export interface PreviewRow {
  row: number;
  records: { kind: string; fields: Record<string, Value> }[];
  rejected: Rejection[];
}

export interface SurveyImportRequest {
  tool: SurveyTool;
  path: string;
  media: string | null;
  mapping: SurveyMapping;
  study_id: string;
  dry_run: boolean;
  save_as: string | null;
}

export interface SurveyImportReport {
  submissions: number;
  visits: number;
  findings: number;
  measurements: number;
  photos: number;
  already_imported: number;
  rejected: Rejection[];
  dry_run: boolean;
}

export type ExportFormat = 'xlsx' | 'csv' | 'geojson' | 'kml';

export interface ExportChoice {
  format: ExportFormat;
  lang: 'en' | 'ja';
  /** CSV only: without the UTF-8 byte order mark. */
  no_bom: boolean;
}

/** What an export wrote (the shape of the shell's `Exported`). */
export interface Exported {
  /** The file written, or for CSV the folder. */
  path: string;
  files: string[];
  rows: number;
  sheets: number;
  truncated_cells: number;
  features: number;
  without_coordinates: number;
}

/** Which report to print (the shape of `fieldbook_report::Request`). */
export type ReportRequest =
  | { report: 'brief'; study_id: string }
  | { report: 'visits'; study_id: string }
  | { report: 'visit'; visit_id: string }
  | { report: 'estimate'; estimate_id: string };

export interface PrintChoice {
  langs: string[];
  paper: 'a4' | 'letter';
  open: boolean;
}

export interface Printed {
  path: string;
  bytes: number;
  open_error: string | null;
}

/** The URL the webview loads an attachment from (custom `fbfile` protocol). */
export function fileUrl(sha256: string): string {
  // WebKitGTK and WKWebView use the scheme as is; WebView2 (Windows) maps it to http.
  return /Windows/.test(navigator.userAgent)
    ? `http://fbfile.localhost/${sha256}`
    : `fbfile://localhost/${sha256}`;
}
