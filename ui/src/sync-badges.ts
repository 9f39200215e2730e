// Where each record stands with the other laptops: a dot in every list item, a
// badge in the record's header (a conflict opens the Sync page), and the
// record's history under its detail.

import { api, type SyncState } from './api';
import { h, replace } from './dom';
import { historySection } from './history';
import { t } from './i18n';
import { navigate } from './router';

function stateLabel(state: SyncState): string {
  switch (state) {
    case 'local_only':
      return t('sync.local_only');
    case 'synced':
      return t('sync.synced');
    case 'conflict':
      return t('sync.conflict');
  }
}

function stateHint(state: SyncState): string {
  switch (state) {
    case 'local_only':
      return t('sync.local_only_hint');
    case 'synced':
      return t('sync.synced_hint');
    case 'conflict':
      return t('sync.conflict_hint');
  }
}

/** The states of `ids` (one call); empty when the engine cannot tell. */
export async function syncStates(ids: string[]): Promise<Map<string, SyncState>> {
  if (ids.length === 0) return new Map();
  try {
    const states = await api.syncStates(ids);
    return new Map(ids.map((id, i) => [id, states[i] ?? 'local_only']));
  } catch {
    return new Map();
  }
}

/** The dot of a list item. */
export function syncDot(state: SyncState): HTMLElement {
  const label = stateLabel(state);
  return h('span', {
    class: `sync-dot sync-${state}`,
    'data-testid': 'sync-badge',
    'data-sync': state,
    title: `${label}: ${stateHint(state)}`,
    role: 'img',
    'aria-label': label,
  });
}

/** The badge of a record's header; a conflict is a button to the Sync page. */
function headerBadge(id: string, state: SyncState): HTMLElement {
  const attrs = {
    class: `sync-badge sync-${state}`,
    'data-testid': 'sync-badge',
    'data-sync': state,
    title: stateHint(state),
  };
  const content = [h('span', { class: 'sync-dot-mark', 'aria-hidden': 'true' }), stateLabel(state)];
  return state === 'conflict'
    ? h('button', { ...attrs, type: 'button', onclick: () => void navigate({ page: 'sync', record: id }) }, content)
    : h('span', attrs, content);
}

export interface RecordSync {
  /** Goes in the record's header. */
  badge: HTMLElement;
  /** Goes under the record's detail. */
  history: HTMLElement;
  /** Settles when the badge shows the record's state. */
  ready: Promise<void>;
  /** After a write to the record. */
  refresh(): void;
}

/** A saved record's badge and history; starts fetching at once. */
export function recordSync(kind: string, id: string): RecordSync {
  const badge = h('span', { class: 'sync-badge-host' });
  const history = historySection(kind, id);
  const load = async () => {
    const state = (await syncStates([id])).get(id);
    replace(badge, state ? headerBadge(id, state) : null);
  };
  return {
    badge,
    history: history.el,
    ready: load(),
    refresh: () => {
      void load();
      void history.refresh();
    },
  };
}
