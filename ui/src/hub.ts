// The team hub (background sync): its state in the header, always in view,
// with Sync now; and the Hub section of the Sync page: enrol by the hub's
// address and a code (and the team's own certificate authority, for a hub
// whose certificate is not from a public one), or the hub followed, its
// state, Sync now and Stop syncing. The state is fetched once (hub_status),
// then follows the `hub-status` event; `hub-synced` (changes from teammates)
// refreshes the page on screen, unless that would take what the user is
// typing: then it waits.

import { listen } from '@tauri-apps/api/event';
import { api, invalidate, toApiError, type ApiError, type HubSynced, type HubSyncStatus, type TeamView } from './api';
import { h, icon, isTextEntry, replace } from './dom';
import { formatDateTime, formatWhen, has, t } from './i18n';
import { pageHost } from './layout';
import { currentPage, currentRoute, navigate, rerender } from './router';
import { clearBanner, errorText, setStatus, showError, statusState } from './status';
import { fieldError, fieldId, input } from './team';

// ---------------------------------------------------------------- the state

let current: HubSyncStatus | null = null;
/** Counts the `hub-status` events: a status fetched while one arrived is older than it. */
let events = 0;
const followers = new Set<(s: HubSyncStatus) => void>();

function apply(s: HubSyncStatus): void {
  current = s;
  drawIndicator();
  for (const fn of [...followers]) fn(s);
}

/** Fetches the state; an event that arrived meanwhile wins. */
async function fetchStatus(): Promise<HubSyncStatus> {
  const seen = events;
  const s = await api.hubStatus();
  if (events === seen) apply(s);
  return current ?? s;
}

/** Calls `fn` on every change while `el` is on the page; dropped once it has left. */
function follow(el: HTMLElement, fn: (s: HubSyncStatus) => void): void {
  let mounted = false;
  const f = (s: HubSyncStatus) => {
    if (el.isConnected) mounted = true;
    else if (mounted) {
      followers.delete(f);
      return;
    }
    fn(s);
  };
  followers.add(f);
}

/** Follows the hub from start-up: `hub-status` and `hub-synced`, then the state fetched once. */
export async function startHub(): Promise<void> {
  // Listening first: a change during the fetch is not missed (and is newer than what it returns).
  try {
    await listen<HubSyncStatus>('hub-status', (ev) => {
      events++;
      apply(ev.payload);
    });
    await listen<HubSynced>('hub-synced', (ev) => void received(ev.payload.ops_new));
  } catch {
    // Events not allowed to this window: the state is as fetched.
  }
  try {
    await fetchStatus();
  } catch {
    // The indicator stays hidden; the Hub section of the Sync page says why.
  }
}

// ---------------------------------------------------------------- texts

/** The state in a few words: "Syncing 40 %", "Up to date · 14:02". */
function stateText(s: HubSyncStatus): string {
  switch (s.state) {
    case 'not_enrolled':
      return t('hub.state.not_enrolled');
    case 'offline':
      return t('hub.state.offline');
    case 'syncing':
      return s.percent === null ? t('hub.state.syncing') : t('hub.state.syncing_percent', { percent: Math.round(s.percent) });
    case 'up_to_date':
      return s.last_sync ? t('hub.state.up_to_date_at', { time: formatWhen(s.last_sync) }) : t('hub.state.up_to_date');
    case 'error':
      return t('hub.state.error');
  }
}

/** Why it is offline or failed and what to do (translated by code), and the English message when it tells more. */
function reason(s: HubSyncStatus): { main: string; detail: string | null } | null {
  if (!s.error) return null;
  const key = `hub.error.${s.error.code}`;
  const main = has(key) ? t(key) : s.error.message;
  return { main, detail: main !== s.error.message ? s.error.message : null };
}

/** The indicator's tooltip: the reason, what happens next, the hub. */
function tooltip(s: HubSyncStatus): string {
  const why = reason(s);
  const lines: (string | null | undefined)[] = [];
  if (s.state === 'not_enrolled') lines.push(t('hub.state.not_enrolled_hint'));
  if (why) lines.push(why.main, s.error?.code === 'local' ? why.detail : null);
  if (s.state === 'offline') lines.push(t('hub.offline_hint'));
  if (s.retry_at && (s.state === 'offline' || s.state === 'error')) lines.push(t('hub.retry_at', { time: formatWhen(s.retry_at) }));
  if (s.last_sync && s.state !== 'not_enrolled') lines.push(t('hub.last_sync_at', { when: formatDateTime(s.last_sync) }));
  lines.push(s.hub);
  return lines.filter(Boolean).join('\n');
}

/** What an enrolment's refusal says (a refusal by the hub names its reason). */
function enrolErrorText(err: ApiError): string {
  return err.code === 'hub_refused' ? t('hub.refused', { reason: err.message }) : errorText(err);
}

/** The last part of a path (the native dialog gives whole paths). */
function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

interface CaField {
  wrap: HTMLElement;
  /** The chosen file's path; null: the hub's certificate is from a public authority. */
  path(): string | null;
  error(text: string | null): void;
  focus(): void;
}

/** The team's certificate authority (PEM), optional: a file chosen in the native dialog, shown by name, cleared. */
function caField(): CaField {
  const id = fieldId('hub-ca');
  let path: string | null = null;
  const name = h('span', { class: 'hub-ca-name', 'data-testid': 'hub-ca-file' });
  const choose = h('button', { type: 'button', id, class: 'btn btn-small', 'data-testid': 'hub-ca-choose' }, t('hub.ca_choose'));
  const clear = h('button', { type: 'button', class: 'btn btn-small btn-quiet', 'data-testid': 'hub-ca-clear' }, t('hub.ca_clear'));
  const err = fieldError(id, choose);
  const show = (chosen: string | null) => {
    path = chosen;
    name.textContent = chosen === null ? t('hub.ca_none') : fileName(chosen);
    name.title = chosen ?? '';
    name.classList.toggle('muted', chosen === null);
    clear.hidden = chosen === null;
    err.error(null);
  };
  choose.addEventListener('click', async () => {
    try {
      const picked = await api.hubPickCa();
      if (picked !== null) show(picked);
    } catch (e) {
      err.error(errorText(toApiError(e)));
    }
  });
  clear.addEventListener('click', () => {
    show(null);
    // The button pressed is now hidden: keep the keyboard in the field.
    choose.focus();
  });
  show(null);
  const wrap = h(
    'div',
    { class: 'field' },
    h('span', { class: 'field-label', id: `${id}-label` }, t('hub.ca')),
    h('div', { class: 'hub-ca', role: 'group', 'aria-labelledby': `${id}-label` }, name, choose, clear),
    err.el,
    h('div', { class: 'field-hint muted' }, t('hub.ca_hint')),
  );
  return { wrap, path: () => path, error: err.error, focus: () => choose.focus() };
}

function stateLine(): { el: HTMLElement; text: HTMLElement } {
  const text = h('span', { class: 'hub-state-text' });
  return { el: h('span', { class: 'hub-state-line' }, h('span', { class: 'hub-dot', 'aria-hidden': 'true' }), text), text };
}

async function syncNow(): Promise<void> {
  try {
    await api.hubSyncNow();
  } catch (e) {
    showError(toApiError(e));
  }
}

/** The Sync page, its Hub section in view. */
async function openHubSection(): Promise<void> {
  clearBanner();
  if (currentRoute().page !== 'sync') await navigate({ page: 'sync' });
  document.querySelector<HTMLElement>('[data-testid=hub-section]')?.scrollIntoView({ block: 'nearest' });
}

// ---------------------------------------------------------------- the indicator in the header

let indicator: { el: HTMLElement; state: HTMLButtonElement; text: HTMLElement; sync: HTMLButtonElement } | null = null;

/** Shows the hub's state in `el` (the header) and keeps it shown; again on a language switch. */
export function showHubStatus(el: HTMLElement): void {
  if (indicator?.el !== el) {
    const line = stateLine();
    const state = h('button', { type: 'button', class: 'hub-state', onclick: () => void openHubSection() }, line.el);
    const sync = h('button', { type: 'button', class: 'btn-icon hub-sync-now', 'data-testid': 'hub-sync-now', onclick: () => void syncNow() }, icon('sync'));
    replace(el, state, sync);
    indicator = { el, state, text: line.text, sync };
  }
  drawIndicator();
}

function drawIndicator(): void {
  if (!indicator) return;
  const { el, state, text, sync } = indicator;
  const s = current;
  el.hidden = s === null;
  if (!s) return;
  el.dataset.state = s.state;
  text.textContent = stateText(s);
  state.title = tooltip(s);
  sync.hidden = s.state === 'not_enrolled';
  sync.disabled = s.state === 'syncing';
  sync.title = t('hub.sync_now_hint');
  sync.setAttribute('aria-label', t('hub.sync_now'));
}

// ---------------------------------------------------------------- changes from teammates

let pending: number | undefined;

/** Whether redrawing the page now could take what the user is doing: typing, a new record's form, a save. */
function busy(): boolean {
  const r = currentRoute();
  if ('creating' in r && r.creating) return true;
  const state = statusState();
  if (state === 'saving' || state === 'failed') return true;
  const el = document.activeElement;
  return isTextEntry(el) && pageHost().contains(el);
}

async function refreshPage(): Promise<void> {
  window.clearInterval(pending);
  pending = undefined;
  try {
    await (currentPage()?.refresh() ?? rerender());
  } catch (e) {
    showError(toApiError(e));
  }
}

/** A message that does not hide a save under way or a failed one. */
function tellReceived(n: number): void {
  const state = statusState();
  if (state === 'saving' || state === 'failed') return;
  setStatus({ text: n === 1 ? t('hub.received_one') : t('hub.received', { n }) });
}

async function received(n: number): Promise<void> {
  invalidate();
  if (busy()) {
    // Once the user is done (a field left, the new record saved or cancelled).
    pending ??= window.setInterval(() => {
      if (!busy()) void refreshPage();
    }, 1000);
    tellReceived(n);
    return;
  }
  // The page first, then the message: what it tells about is on screen when it shows.
  await refreshPage();
  tellReceived(n);
}

// ---------------------------------------------------------------- the section of the Sync page

export interface HubSection {
  el: HTMLElement;
  /** Reloads the state. */
  refresh(): Promise<void>;
  /** The hub syncs a team's laptops: without a team, enrolling is not offered. */
  setTeam(team: TeamView | null): void;
}

function problemBox(err: ApiError): HTMLElement {
  const main = errorText(err);
  return h('div', { class: 'sync-problem', role: 'alert', 'data-testid': 'hub-error' }, main, main !== err.message ? h('div', { class: 'small' }, err.message) : null);
}

export function hubSection(): HubSection {
  const notice = h('div', { class: 'sync-notice', 'data-testid': 'hub-notice', role: 'status', hidden: true });
  const body = h('div', { class: 'hub-body' });
  const el = h(
    'section',
    { class: 'sync-section hub', 'data-testid': 'hub-section', 'aria-label': t('hub.title') },
    h('div', { class: 'section-head' }, h('h2', null, t('hub.title'))),
    notice,
    body,
  );
  let teamPresent = true;
  /** What the body shows, and what updates it in place (a redraw would lose what is typed or a question asked). */
  let shown: { mode: 'form' | 'enrolled'; update(s: HubSyncStatus): void } | null = null;

  const tell = (text: string | null) => {
    notice.textContent = text ?? '';
    notice.hidden = text === null;
  };

  function enrolForm(): typeof shown {
    const url = input('hub-url', t('hub.url'));
    url.input.placeholder = 'http://127.0.0.1:8787';
    url.input.inputMode = 'url';
    const code = input('hub-code', t('hub.code'));
    const ca = caField();
    const noTeam = h('p', { class: 'sync-notice', 'data-testid': 'hub-no-team', hidden: true }, t('hub.no_team'));
    const problem = h('div', { class: 'sync-problem', role: 'alert', 'data-testid': 'hub-error', hidden: true });
    const working = h('span', { class: 'muted small', role: 'status' });
    const button = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'hub-enrol' }, t('hub.enrol'));
    const form = h(
      'form',
      { class: 'team-form hub-form', 'data-testid': 'hub-enrol-form', novalidate: true, autocomplete: 'off' },
      url.wrap,
      code.wrap,
      h('p', { class: 'muted small' }, t('hub.code_hint')),
      ca.wrap,
      problem,
      h('div', { class: 'form-foot' }, button, working),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      problem.hidden = true;
      ca.error(null);
      const missing = [url, code].filter((i) => i.input.value.trim() === '');
      for (const i of missing) i.error(t('error.required'));
      if (missing.length > 0) {
        missing[0]?.input.focus();
        return;
      }
      button.disabled = true;
      working.textContent = t('hub.enrolling');
      try {
        const s = await api.hubEnrol(url.input.value.trim(), code.input.value.trim(), ca.path());
        tell(t('hub.enrolled', { hub: s.hub ?? url.input.value.trim() }));
        setStatus({ text: t('hub.enrolled_status') });
        apply(s);
      } catch (e) {
        const err = toApiError(e);
        const text = enrolErrorText(err);
        const at = err.field === 'url' || err.code === 'bad_url' || err.code === 'hub_unreachable' ? url : err.field === 'code' ? code : null;
        if (at) {
          at.error(text);
          at.input.focus();
        } else if (err.field === 'ca') {
          ca.error(text);
          ca.focus();
        } else {
          problem.textContent = text;
          problem.hidden = false;
        }
      } finally {
        button.disabled = !teamPresent;
        working.textContent = '';
      }
    });
    replace(body, h('p', { class: 'section-intro muted' }, t('hub.intro')), noTeam, form);
    const update = () => {
      noTeam.hidden = teamPresent;
      button.disabled = !teamPresent;
    };
    update();
    return { mode: 'form', update };
  }

  function enrolled(): typeof shown {
    const addr = h('code', { class: 'path', 'data-testid': 'hub-url' });
    const line = stateLine();
    line.el.dataset.testid = 'hub-section-state';
    const last = h('dd', { 'data-testid': 'hub-last-sync' });
    const retry = h('dd', { 'data-testid': 'hub-retry-at' });
    const retryFact = h('div', { class: 'fact' }, h('dt', null, t('hub.next_try')), retry);
    const why = h('div', { class: 'hub-reason', 'data-testid': 'hub-reason' });
    const sync = h(
      'button',
      { type: 'button', class: 'btn', 'data-testid': 'hub-section-sync-now', title: t('hub.sync_now_hint'), onclick: () => void syncNow() },
      icon('sync'),
      t('hub.sync_now'),
    );
    const forgetHost = h('span', { class: 'hub-forget' });
    let hub = '';

    const forget = async () => {
      try {
        const s = await api.hubForget();
        tell(null);
        setStatus({ text: t('hub.forgotten_status') });
        apply(s);
      } catch (e) {
        showError(toApiError(e));
      }
    };
    const askForget = () => {
      const question = t('hub.forget_question', { hub });
      replace(
        forgetHost,
        h(
          'span',
          { class: 'revoke-confirm', role: 'group', 'aria-label': question },
          h('span', { class: 'small' }, question),
          h('button', { type: 'button', class: 'btn btn-small danger', 'data-testid': 'hub-forget-confirm', onclick: () => void forget() }, t('hub.forget_confirm')),
          h('button', { type: 'button', class: 'btn btn-small btn-quiet', 'data-testid': 'hub-forget-cancel', onclick: () => showForget() }, t('action.cancel')),
        ),
      );
    };
    const showForget = () =>
      replace(
        forgetHost,
        h('button', { type: 'button', class: 'btn btn-quiet danger-hover', 'data-testid': 'hub-forget', onclick: askForget }, t('hub.forget')),
      );
    showForget();

    replace(
      body,
      h(
        'dl',
        { class: 'facts hub-facts' },
        h('div', { class: 'fact' }, h('dt', null, t('hub.url')), h('dd', null, addr)),
        h('div', { class: 'fact' }, h('dt', null, t('hub.state')), h('dd', null, line.el)),
        h('div', { class: 'fact' }, h('dt', null, t('hub.last_sync')), last),
        retryFact,
      ),
      why,
      h('div', { class: 'hub-actions' }, sync, forgetHost),
    );
    const update = (s: HubSyncStatus) => {
      hub = s.hub ?? '';
      addr.textContent = hub;
      line.el.dataset.state = s.state;
      line.text.textContent = stateText(s);
      last.textContent = s.last_sync ? formatDateTime(s.last_sync) : t('hub.never');
      retryFact.hidden = !s.retry_at || s.state === 'syncing' || s.state === 'up_to_date';
      retry.textContent = s.retry_at ? formatDateTime(s.retry_at) : '';
      const r = reason(s);
      why.className = `hub-reason${s.state === 'error' ? ' sync-problem' : ' muted'}`;
      why.setAttribute('role', s.state === 'error' ? 'alert' : 'status');
      replace(
        why,
        r ? h('div', null, r.main) : null,
        r?.detail ? h('div', { class: 'small' }, r.detail) : null,
        s.state === 'offline' ? h('div', { class: 'small' }, t('hub.offline_hint')) : null,
      );
      why.hidden = r === null && s.state !== 'offline';
      sync.disabled = s.state === 'syncing';
    };
    return { mode: 'enrolled', update };
  }

  const draw = (s: HubSyncStatus) => {
    const mode = s.state === 'not_enrolled' ? 'form' : 'enrolled';
    if (shown?.mode !== mode) shown = mode === 'form' ? enrolForm() : enrolled();
    el.dataset.state = s.state;
    shown?.update(s);
  };
  follow(el, draw);

  return {
    el,
    async refresh() {
      try {
        draw(await fetchStatus());
      } catch (e) {
        shown = null;
        replace(body, problemBox(toApiError(e)));
      }
    },
    setTeam(team) {
      teamPresent = team !== null;
      if (current) shown?.update(current);
    },
  };
}
