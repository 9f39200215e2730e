// The Sync page: the team, the team hub, the exchange of bundle files, and the
// conflicts waiting for a decision.

import { conflictsSection } from './conflicts';
import { h, replace } from './dom';
import { exchangeSection } from './exchange';
import { hubSection } from './hub';
import { t } from './i18n';
import { pageHost, setHeader } from './layout';
import { setPage, type Route } from './router';
import { teamSection } from './team';

export async function renderSync(
  r: Extract<Route, { page: 'sync' }>,
  stale: () => boolean,
  openRecord: (kind: string, id: string) => Promise<void>,
): Promise<void> {
  setHeader(t('nav.sync'));
  const conflicts = conflictsSection((kind, id) => void openRecord(kind, id));
  const exchange = exchangeSection({
    imported: () => refresh(),
    showConflicts: () => conflicts.reveal(),
  });
  const team = teamSection(() => refreshTeam());
  const hub = hubSection();
  const refreshTeam = async () => {
    const view = await team.refresh();
    exchange.setTeam(view);
    hub.setTeam(view);
  };
  const refresh = async () => {
    await Promise.all([refreshTeam(), hub.refresh(), conflicts.refresh()]);
  };
  replace(pageHost(), h('div', { class: 'sync-page', 'data-testid': 'sync-page' }, team.el, hub.el, exchange.el, conflicts.el));
  await refresh();
  if (stale()) return;
  if (r.record) conflicts.reveal(r.record);
  setPage({ refresh });
}
