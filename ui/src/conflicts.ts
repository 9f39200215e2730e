// The Conflicts view of the Sync page: every field two laptops changed apart,
// with each value, who wrote it, when and what it replaced. Keeping a value or
// typing a new one is an ordinary set_field; a record deleted on one laptop
// while edited on another is kept (keep_record) or deleted. Also the count in
// the sidebar.

import { api, onInvalidate, toApiError, type Conflict, type ConflictCandidate, type HistoryEntry, type Rec } from './api';
import { deviceNamer, logValue, shortId, valueNamer, type DeviceNamer, type ValueNamer } from './changes';
import { debounce, h, replace } from './dom';
import { enumLabel, fieldLabel, formatDateTime, kindLabel, recordTitle, t } from './i18n';
import { fieldSpec } from './schema';
import { errorText, setStatus } from './status';

// ---------------------------------------------------------------- the count in the sidebar

let countEl: HTMLElement | null = null;

function showCount(n: number): void {
  if (!countEl) return;
  countEl.textContent = String(n);
  countEl.hidden = n === 0;
  countEl.title = t('conflicts.count_hint', { n });
}

/** Keeps `el` showing the number of open conflicts (hidden when none); updated after every write. */
export function mountConflictCount(el: HTMLElement): void {
  countEl = el;
  const update = debounce(() => {
    api.conflicts().then(
      (list) => showCount(list.length),
      () => undefined,
    );
  }, 150);
  onInvalidate(update);
  update();
}

// ---------------------------------------------------------------- one conflict

interface RowContext {
  who: DeviceNamer;
  value: ValueNamer;
  openRecord: (kind: string, id: string) => void;
  /** After a resolution: reload the view. */
  settled: () => Promise<void>;
}

/** The field a delete-versus-edit's edit changed, found in the record's history. */
function editedField(cand: ConflictCandidate, history: HistoryEntry[]): string | null {
  return history.find((e) => e.op === 'set' && e.actor === cand.actor && e.hlc === cand.hlc && e.value === cand.value)?.field ?? null;
}

/** What a candidate would make of the record, as text. */
async function candidateText(c: Conflict, cand: ConflictCandidate, field: string | null, value: ValueNamer): Promise<string> {
  const parent = c.deleted_parent;
  if (cand.op === 'delete' && parent) return t('conflicts.parent_deleted', { parent: kindLabel(parent.kind) });
  if (cand.op === 'delete') return t('conflicts.deleted');
  if (cand.op === 'create') return t('conflicts.added');
  if (cand.op === 'restore') return t('conflicts.restored');
  if (!field) return t('conflicts.edited', { value: cand.value ?? t('value.empty') });
  const shown = await value(c.kind, field, cand.value);
  return c.field === '' ? `${fieldLabel(c.kind, field)} = ${shown}` : shown;
}

/** What the conflict is about: a field, the record's life, or its deleted parent. */
function conflictSubject(c: Conflict): string {
  if (c.deleted_parent) return t('conflicts.added_in_deleted', { parent: kindLabel(c.deleted_parent.kind) });
  return c.field === '' ? t('conflicts.delete_vs_edit') : fieldLabel(c.kind, c.field);
}

/** Where the user types a value of their own: a choice for options and yes/no, else text. */
function typedControl(c: Conflict, id: string): HTMLInputElement | HTMLSelectElement {
  const spec = fieldSpec(c.kind, c.field);
  const attrs = { id, class: 'conflict-input', 'data-testid': 'conflict-value' };
  if (spec?.type === 'enum' || spec?.type === 'bool') {
    const options =
      spec.type === 'bool'
        ? [h('option', { value: 'true' }, t('value.yes')), h('option', { value: 'false' }, t('value.no'))]
        : (spec.options ?? []).map((code) => h('option', { value: code }, enumLabel(spec.name, code)));
    return h('select', attrs, spec.required ? null : h('option', { value: '' }, t('form.none')), options);
  }
  return h('input', { ...attrs, type: 'text', autocomplete: 'off', placeholder: t('conflicts.type_placeholder') });
}

let uid = 0;

async function conflictRow(c: Conflict, ctx: RowContext): Promise<HTMLElement> {
  const lifecycle = c.field === '';
  const [rec, history] = await Promise.all([
    api.get(c.kind, c.record_id).catch(() => null as Rec | null),
    lifecycle ? api.history(c.record_id).catch(() => [] as HistoryEntry[]) : Promise.resolve([] as HistoryEntry[]),
  ]);
  const title = rec ? recordTitle(rec) || t('list.untitled') : shortId(c.record_id);

  const problem = h('div', { class: 'field-error', role: 'alert', 'data-testid': 'conflict-error', hidden: true });
  const buttons: HTMLButtonElement[] = [];
  const resolve = async (write: () => Promise<unknown>) => {
    buttons.forEach((b) => (b.disabled = true));
    problem.hidden = true;
    try {
      await write();
      setStatus({ text: t('conflicts.resolved', { title }) });
      await ctx.settled();
    } catch (e) {
      const err = toApiError(e);
      const spec = lifecycle ? undefined : fieldSpec(c.kind, c.field);
      problem.textContent = errorText(err, { min: spec?.min ?? '', max: spec?.max ?? '' });
      problem.hidden = false;
      buttons.forEach((b) => (b.disabled = false));
    }
  };
  const button = (testid: string, cls: string, label: string, write: () => Promise<unknown>) => {
    const b = h('button', { type: 'button', class: `btn btn-small ${cls}`, 'data-testid': testid, onclick: () => void resolve(write) }, label);
    buttons.push(b);
    return b;
  };

  const candidates = await Promise.all(
    c.candidates.map(async (cand, i) => {
      const field = lifecycle ? (cand.op === 'set' ? editedField(cand, history) : null) : c.field;
      const base = field && cand.base !== null ? await ctx.value(c.kind, field, cand.base) : null;
      return h(
        'li',
        { class: `candidate${i === 0 ? ' current' : ''}`, 'data-testid': 'conflict-candidate', 'data-index': i, 'data-op': cand.op, 'data-actor': cand.actor },
        h(
          'div',
          { class: 'candidate-main' },
          h('div', { class: `candidate-value${cand.op === 'delete' ? ' deleted' : ''}` }, await candidateText(c, cand, field, ctx.value)),
          h(
            'div',
            { class: 'candidate-meta muted small' },
            h('span', { class: 'candidate-who' }, ctx.who(cand.actor)),
            ' · ',
            h('time', { datetime: cand.at }, formatDateTime(cand.at)),
            base !== null ? h('span', { class: 'candidate-base' }, ` · ${t('conflicts.was', { value: base })}`) : null,
          ),
        ),
        h(
          'div',
          { class: 'candidate-side' },
          i === 0 ? h('span', { class: 'badge', title: t('conflicts.shown_now_hint') }, t('conflicts.shown_now')) : null,
          lifecycle
            ? null
            : button('keep-candidate', '', t('conflicts.keep_this'), () =>
                api.setField(c.kind, c.record_id, c.field, logValue(c.kind, c.field, cand.value)),
              ),
        ),
      );
    }),
  );

  let actions: HTMLElement;
  if (lifecycle) {
    actions = h(
      'div',
      { class: 'conflict-actions' },
      button(
        'conflict-keep-record',
        'btn-primary',
        c.deleted_parent ? t('conflicts.keep_with_parent', { parent: kindLabel(c.deleted_parent.kind) }) : t('conflicts.keep_record'),
        () => api.keepRecord(c.kind, c.record_id),
      ),
      button('conflict-delete-record', 'danger-hover', t('conflicts.delete_record'), () => api.remove(c.kind, c.record_id)),
    );
  } else {
    const id = `conflict-value-${++uid}`;
    const control = typedControl(c, id);
    const save = button('conflict-save', 'btn-primary', t('action.save'), () => api.setField(c.kind, c.record_id, c.field, control.value));
    control.addEventListener('keydown', (ev) => {
      const key = ev as KeyboardEvent;
      if (key.key === 'Enter' && !key.isComposing) {
        key.preventDefault();
        save.click();
      }
    });
    actions = h('div', { class: 'conflict-actions conflict-type' }, h('label', { for: id, class: 'field-label' }, t('conflicts.type_new')), control, save);
  }

  return h(
    'li',
    { class: 'conflict-row', 'data-testid': 'conflict-row', 'data-kind': c.kind, 'data-record': c.record_id, 'data-field': c.field },
    h(
      'div',
      { class: 'conflict-head' },
      h('span', { class: 'badge' }, kindLabel(c.kind)),
      h('button', { type: 'button', class: 'link conflict-record', 'data-testid': 'conflict-open', onclick: () => ctx.openRecord(c.kind, c.record_id) }, title),
      h('span', { class: 'conflict-field' }, conflictSubject(c)),
    ),
    h('ol', { class: 'candidates' }, candidates),
    actions,
    problem,
  );
}

// ---------------------------------------------------------------- the section

export interface ConflictsSection {
  el: HTMLElement;
  refresh(): Promise<void>;
  /** Scrolls to the conflicts, or to those of one record. */
  reveal(recordId?: string | null): void;
}

export function conflictsSection(openRecord: (kind: string, id: string) => void): ConflictsSection {
  const count = h('span', { class: 'count' });
  const list = h('ul', { class: 'conflict-list' });
  const el = h(
    'section',
    { class: 'sync-section conflicts', 'data-testid': 'conflicts', 'aria-label': t('conflicts.title') },
    h('div', { class: 'section-head' }, h('h2', null, t('conflicts.title'), count)),
    h('p', { class: 'section-intro muted' }, t('conflicts.intro')),
    list,
  );
  let token = 0;

  async function refresh(): Promise<void> {
    const mine = ++token;
    el.setAttribute('aria-busy', 'true');
    try {
      const [open, who] = await Promise.all([api.conflicts(), deviceNamer()]);
      const ctx: RowContext = { who, value: valueNamer(), openRecord, settled: refresh };
      const rows = await Promise.all(open.map((c) => conflictRow(c, ctx)));
      if (mine !== token) return;
      count.textContent = String(open.length);
      showCount(open.length);
      replace(list, rows.length > 0 ? rows : h('li', { class: 'conflicts-empty muted', 'data-testid': 'conflicts-empty' }, t('conflicts.none')));
    } catch (e) {
      if (mine === token) replace(list, h('li', { class: 'sync-problem' }, toApiError(e).message));
    } finally {
      if (mine === token) el.removeAttribute('aria-busy');
    }
  }

  return {
    el,
    refresh,
    reveal(recordId) {
      const row = recordId ? list.querySelector<HTMLElement>(`[data-record="${CSS.escape(recordId)}"]`) : null;
      (row ?? el).scrollIntoView({ block: row ? 'center' : 'start' });
      if (row) {
        row.classList.remove('flash');
        void row.offsetWidth;
        row.classList.add('flash');
      }
    },
  };
}
