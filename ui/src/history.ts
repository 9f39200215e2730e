// A record's history, collapsed under its detail: every change, oldest first,
// with when, on which laptop, and what it replaced (read from the change log).

import { api, toApiError, type HistoryEntry } from './api';
import { deviceNamer, valueNamer, type ValueNamer } from './changes';
import { h, replace } from './dom';
import { fieldLabel, formatDateTime, t } from './i18n';

export interface HistorySection {
  el: HTMLElement;
  /** Reloads the entries if the section is open (after a write). */
  refresh(): Promise<void>;
}

async function what(kind: string, e: HistoryEntry, value: ValueNamer): Promise<(Node | string)[]> {
  switch (e.op) {
    case 'create':
      return [h('strong', null, t('history.created'))];
    case 'delete':
      return [h('strong', null, t('history.deleted'))];
    case 'restore':
      return [h('strong', null, t('history.restored'))];
    case 'set': {
      const field = e.field ?? '';
      const label = fieldLabel(kind, field);
      const before = await Promise.all(e.before.map((b) => value(kind, field, b)));
      const was = before.length > 0 ? h('span', { class: 'muted' }, ` ${t('history.was', { value: before.join(' | ') })}`) : null;
      if (e.value === null) return [h('strong', null, t('history.cleared', { field: label })), was ?? ''];
      return [h('strong', null, label), ' = ', h('span', { class: 'history-value' }, await value(kind, field, e.value)), was ?? ''];
    }
  }
}

export function historySection(kind: string, id: string): HistorySection {
  const list = h('ol', { class: 'history-list', 'aria-label': t('history.title') });
  const count = h('span', { class: 'count' });
  let open = false;
  let token = 0;

  async function load(): Promise<void> {
    const mine = ++token;
    list.setAttribute('aria-busy', 'true');
    try {
      const [entries, who] = await Promise.all([api.history(id), deviceNamer()]);
      const value = valueNamer();
      const items = await Promise.all(
        entries.map(async (e) =>
          h(
            'li',
            { class: `history-entry history-${e.op}`, 'data-testid': 'history-entry', 'data-op': e.op, 'data-history-field': e.field ?? undefined },
            h('time', { class: 'history-when', datetime: e.at, title: e.at }, formatDateTime(e.at)),
            h('span', { class: 'history-who' }, who(e.actor)),
            h('span', { class: 'history-what' }, await what(kind, e, value)),
          ),
        ),
      );
      if (mine !== token) return;
      count.textContent = String(entries.length);
      replace(list, items.length > 0 ? items : h('li', { class: 'muted' }, t('history.empty')));
    } catch (e) {
      if (mine === token) replace(list, h('li', { class: 'sync-problem' }, toApiError(e).message));
    } finally {
      if (mine === token) list.removeAttribute('aria-busy');
    }
  }

  const toggle = h(
    'button',
    {
      type: 'button',
      class: 'history-toggle',
      'data-testid': 'history-toggle',
      'aria-expanded': 'false',
      onclick: () => {
        open = !open;
        toggle.setAttribute('aria-expanded', String(open));
        list.hidden = !open;
        if (open) void load();
      },
    },
    h('span', { class: 'chevron', 'aria-hidden': 'true' }),
    t('history.title'),
    count,
  );
  list.hidden = true;
  const el = h('section', { class: 'child-section history', 'data-testid': 'history', 'aria-label': t('history.title') }, toggle, list);
  return {
    el,
    refresh: () => (open ? load() : Promise.resolve()),
  };
}
