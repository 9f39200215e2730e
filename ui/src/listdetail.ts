// A list of one kind's records on the left and the chosen record's form on the right.

import { api, toApiError, type Rec, type SyncState } from './api';
import { h, replace } from './dom';
import { recordForm, type FormContext, type FormOptions } from './form';
import { getLang, kindLabel, recordTitle, t } from './i18n';
import { kindSpec } from './schema';
import { showError } from './status';
import { recordSync, syncDot, syncStates } from './sync-badges';

export interface ListDetailOptions {
  kind: string;
  /** Only the records inside this parent (a study, an org). */
  parentId?: string | null;
  context?: FormContext;
  selectedId: string | null;
  creating: boolean;
  /** A child record to bring into view once the detail shows (from search). */
  focus?: { kind: string; id: string } | null;
  subtitle?: (r: Rec) => string | null;
  badges?: (r: Rec) => string[];
  /** What the right side shows when nothing is chosen. */
  placeholder?: () => Node;
  /** Sections under the form of a saved record (measurements, contacts …). */
  extras?: (rec: Rec, ld: ListDetail) => Promise<Node[]>;
  /** Remember the selection (for refresh and language switch). */
  onChange?: (selectedId: string | null, creating: boolean) => void;
  /** Open the record elsewhere instead of showing it on the right (studies). */
  onOpen?: (rec: Rec) => void;
  onCreated?: (rec: Rec) => void;
  /** After any write in the detail (titles and counts may change). */
  onWrite?: () => void;
  /** Sort the list differently than the engine (by title). */
  sort?: (a: Rec, b: Rec) => number;
  /** A heading the record is listed under (records of one group must be adjacent). */
  group?: (r: Rec) => string | null;
  /** The New button's test id (`new-record` by default). */
  newTestid?: string;
  /** Values a new record's form fills in from others (see FormOptions.prefill). */
  prefill?: FormOptions['prefill'];
}

export class ListDetail {
  readonly el: HTMLElement;
  private readonly listEl: HTMLElement;
  private readonly detailEl: HTMLElement;
  private readonly countEl: HTMLElement;
  private readonly filterEl: HTMLInputElement;
  private readonly newBtn: HTMLButtonElement;
  private records: Rec[] = [];
  /** Each listed record's sync state (one `sync_states` call per load). */
  private states = new Map<string, SyncState>();
  private detailToken = 0;
  private rendered = false;
  /** The record the detail shows, to keep scroll and focus when it is redrawn. */
  private shownId: string | null = null;

  constructor(private readonly opts: ListDetailOptions) {
    const kind = opts.kind;
    this.countEl = h('span', { class: 'count' });
    this.filterEl = h('input', {
      type: 'search',
      class: 'list-filter',
      placeholder: t('list.filter'),
      'aria-label': t('list.filter_kind', { kind: kindLabel(kind, true) }),
      'data-testid': 'list-filter',
    });
    this.filterEl.addEventListener('input', () => this.renderList());
    this.filterEl.addEventListener('keydown', (ev) => {
      if (ev.key === 'ArrowDown') {
        ev.preventDefault();
        this.listEl.querySelector<HTMLElement>('[data-testid=record-item]')?.focus();
      }
    });
    this.listEl = h('ul', { class: 'record-list', role: 'list', 'aria-label': kindLabel(kind, true) });
    this.listEl.addEventListener('keydown', (ev) => this.onListKey(ev));
    this.detailEl = h('div', { class: 'detail', 'aria-live': 'off' });
    this.newBtn = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-primary btn-small',
        'data-testid': opts.newTestid ?? 'new-record',
        'data-kind': kind,
        title: t('action.new_hint'),
        onclick: () => this.startNew(),
      },
      t('action.new'),
    );
    this.el = h(
      'div',
      { class: `list-detail kind-${kind}` },
      h(
        'div',
        { class: 'list-pane' },
        h('div', { class: 'list-head' }, h('h2', { class: 'list-title' }, kindLabel(kind, true), this.countEl), this.newBtn),
        h('div', { class: 'list-filter-wrap' }, this.filterEl),
        this.listEl,
      ),
      this.detailEl,
    );
  }

  get kind(): string {
    return this.opts.kind;
  }

  /** Loads the list and shows the detail. */
  async init(): Promise<void> {
    // If the user already chose something while the list loaded (New, a record),
    // that view stands: drawing it again would replace a form being typed into.
    const token = this.detailToken;
    await this.reload();
    if (token === this.detailToken) await this.showDetail();
  }

  async reload(): Promise<void> {
    try {
      const list = await api.list(this.opts.kind, this.opts.parentId);
      this.records = this.opts.sort ? [...list].sort(this.opts.sort) : list;
      this.states = await syncStates(this.records.map((r) => r.id));
    } catch (e) {
      showError(toApiError(e));
      this.records = [];
    }
    this.renderList();
  }

  private renderList(): void {
    const q = this.filterEl.value.trim().toLocaleLowerCase();
    const shown = q
      ? this.records.filter((r) =>
          `${r.title} ${recordTitle(r)} ${this.opts.subtitle?.(r) ?? ''}`.toLocaleLowerCase().includes(q),
        )
      : this.records;
    this.countEl.textContent = q ? `${shown.length}/${this.records.length}` : String(this.records.length);
    const focusedId = (document.activeElement as HTMLElement | null)?.dataset?.id;
    const hadFocus = this.listEl.contains(document.activeElement);
    let lastGroup: string | null = null;
    replace(
      this.listEl,
      shown.map((r) => {
        const group = this.opts.group?.(r) ?? null;
        const heading =
          group !== null && group !== lastGroup ? h('li', { class: 'list-group', 'data-testid': 'list-group' }, group) : null;
        lastGroup = group;
        const selected = r.id === this.opts.selectedId && !this.opts.creating;
        const sub = this.opts.subtitle?.(r);
        const badges = this.opts.badges?.(r) ?? [];
        const state = this.states.get(r.id);
        const item = h(
          'li',
          null,
          h(
            'button',
            {
              type: 'button',
              class: `record-item${selected ? ' selected' : ''}`,
              'data-testid': 'record-item',
              'data-id': r.id,
              'data-kind': r.kind,
              'aria-current': selected ? 'true' : undefined,
              onclick: () => this.select(r.id),
            },
            h('span', { class: 'item-head' }, h('span', { class: 'item-title' }, recordTitle(r) || t('list.untitled')), state ? syncDot(state) : null),
            sub || badges.length
              ? h(
                  'span',
                  { class: 'item-sub' },
                  badges.map((b) => h('span', { class: 'badge' }, b)),
                  sub ? h('span', null, sub) : null,
                )
              : null,
          ),
        );
        return heading ? [heading, item] : item;
      }),
    );
    if (shown.length === 0) {
      this.listEl.appendChild(
        h('li', { class: 'empty muted' }, q ? t('list.no_match') : t('list.empty', { kind: kindLabel(this.opts.kind, true) })),
      );
    }
    if (hadFocus && focusedId) {
      this.listEl.querySelector<HTMLElement>(`[data-id="${CSS.escape(focusedId)}"]`)?.focus();
    }
    this.rendered = true;
  }

  private onListKey(ev: KeyboardEvent): void {
    if (ev.key !== 'ArrowDown' && ev.key !== 'ArrowUp') return;
    const items = [...this.listEl.querySelectorAll<HTMLElement>('[data-testid=record-item]')];
    const i = items.indexOf(document.activeElement as HTMLElement);
    if (i < 0) return;
    ev.preventDefault();
    const next = ev.key === 'ArrowDown' ? Math.min(items.length - 1, i + 1) : i - 1;
    if (next < 0) this.filterEl.focus();
    else items[next]?.focus();
  }

  private markSelection(): void {
    for (const el of this.listEl.querySelectorAll<HTMLElement>('[data-testid=record-item]')) {
      const sel = el.dataset.id === this.opts.selectedId && !this.opts.creating;
      el.classList.toggle('selected', sel);
      if (sel) el.setAttribute('aria-current', 'true');
      else el.removeAttribute('aria-current');
    }
  }

  select(id: string | null): void {
    const rec = id ? this.records.find((r) => r.id === id) : undefined;
    if (rec && this.opts.onOpen) {
      this.opts.onOpen(rec);
      return;
    }
    this.opts.selectedId = id;
    this.opts.creating = false;
    this.opts.focus = null;
    this.opts.onChange?.(id, false);
    this.markSelection();
    void this.showDetail();
  }

  startNew(): void {
    this.opts.creating = true;
    this.opts.selectedId = null;
    this.opts.onChange?.(null, true);
    this.markSelection();
    void this.showDetail(true);
  }

  /** Reloads both sides (after undo or restore). */
  async refresh(): Promise<void> {
    await this.reload();
    await this.showDetail();
  }

  async showDetail(focus = false): Promise<void> {
    const token = ++this.detailToken;
    const o = this.opts;
    const stale = () => token !== this.detailToken;
    if (o.creating) {
      const form = await recordForm({
        kind: o.kind,
        record: null,
        fixed: o.parentId ? { [parentField(o.kind)]: o.parentId } : {},
        context: o.context,
        autofocus: true,
        prefill: o.prefill,
        onCreated: (rec) => {
          o.creating = false;
          o.selectedId = rec.id;
          o.onChange?.(rec.id, false);
          if (o.onCreated) {
            o.onCreated(rec);
            return;
          }
          o.onWrite?.();
          void this.reload().then(() => this.showDetail(true));
        },
        onCancel: () => {
          o.creating = false;
          o.onChange?.(o.selectedId, false);
          void this.showDetail();
          this.newBtn.focus();
        },
      });
      if (stale()) return;
      this.shownId = null;
      replace(this.detailEl, h('div', { class: 'detail-inner' }, form.el));
      form.focusFirst();
      return;
    }
    if (!o.selectedId || o.onOpen) {
      this.shownId = null;
      replace(this.detailEl, o.placeholder?.() ?? h('div', { class: 'placeholder muted' }, t('list.choose', { kind: kindLabel(o.kind, true) })));
      return;
    }
    let rec = this.records.find((r) => r.id === o.selectedId);
    if (!rec) {
      try {
        rec = await api.get(o.kind, o.selectedId);
        if (rec.deleted_at) throw { code: 'in_trash', message: 'in the Trash' };
      } catch {
        if (stale()) return;
        o.selectedId = null;
        o.onChange?.(null, false);
        this.shownId = null;
        replace(this.detailEl, h('div', { class: 'placeholder muted' }, t('list.gone')));
        return;
      }
    }
    const sync = recordSync(o.kind, rec.id);
    const form = await recordForm({
      kind: o.kind,
      record: rec,
      context: o.context,
      headExtra: sync.badge,
      onSaved: () => {
        o.onWrite?.();
        sync.refresh();
        void this.reload();
      },
      onDeleted: () => {
        o.selectedId = null;
        o.onChange?.(null, false);
        o.onWrite?.();
        void this.reload().then(() => this.showDetail());
        this.listEl.querySelector<HTMLElement>('[data-testid=record-item]')?.focus();
      },
    });
    const extras = o.extras ? await o.extras(rec, this) : [];
    await sync.ready;
    if (stale()) return;
    // Redrawing the same record (after undo): keep the scroll position and the focused field.
    const same = this.shownId === rec.id;
    const scroll = this.detailEl.scrollTop;
    const restore = same ? focusedField(this.detailEl) : null;
    replace(this.detailEl, h('div', { class: 'detail-inner' }, form.el, extras, sync.history));
    this.shownId = rec.id;
    this.detailEl.scrollTop = same ? scroll : 0;
    if (restore) this.detailEl.querySelector<HTMLElement>(restore)?.focus({ preventScroll: true });
    else if (focus) form.focusFirst();
    if (o.focus) {
      const target = this.detailEl.querySelector<HTMLElement>(
        `[data-kind="${CSS.escape(o.focus.kind)}"][data-id="${CSS.escape(o.focus.id)}"]`,
      );
      if (target) {
        target.scrollIntoView({ block: 'center' });
        target.classList.add('flash');
      }
      o.focus = null;
    }
    if (this.rendered) this.scrollSelectedIntoView();
  }

  private scrollSelectedIntoView(): void {
    this.listEl.querySelector('.selected')?.scrollIntoView({ block: 'nearest' });
  }
}

/** A selector for the focused field inside `root` (its form's kind and id, and its field). */
function focusedField(root: HTMLElement): string | null {
  const el = document.activeElement as HTMLElement | null;
  if (!el || !root.contains(el)) return null;
  const form = el.closest<HTMLElement>('[data-testid=record-form]');
  const field = el.closest<HTMLElement>('[data-field]')?.dataset.field;
  if (!form?.dataset.id || !field) return null;
  const base = `[data-testid=record-form][data-kind="${CSS.escape(form.dataset.kind ?? '')}"][data-id="${CSS.escape(form.dataset.id)}"] [data-field="${CSS.escape(field)}"]`;
  return el instanceof HTMLInputElement && el.type === 'checkbox' && el.value && !el.dataset.field
    ? `${base} input[value="${CSS.escape(el.value)}"]`
    : base;
}

export function parentField(kind: string): string {
  return kindSpec(kind).parent ?? 'study_id';
}

export function byTitle(a: Rec, b: Rec): number {
  return recordTitle(a).localeCompare(recordTitle(b), getLang());
}

