// Fieldbook's UI: the shell (sidebar, header, the hub's state), search, shortcuts, language, undo.

import './style.css';
import { api, toApiError, type Hit } from './api';
import { mountConflictCount } from './conflicts';
import { debounce, h, icon, isTextEntry, replace } from './dom';
import { showHubStatus, startHub } from './hub';
import { getLang, kindLabel, setLang, t } from './i18n';
import { mountLayout, navLabel, type NavTarget } from './layout';
import { openRecord, renderRoute } from './pages';
import { currentPage, navigate, rerender, setRenderer, type Route } from './router';
import { redo, undo } from './undo';
import { setSchema } from './schema';
import { clearBanner, clearFailedStatus, mountStatus, setStatus, showError } from './status';

const app = document.getElementById('app') as HTMLElement;

function routeFor(target: NavTarget): Route {
  if (target === 'studies') return { page: 'studies' };
  if (target === 'trash') return { page: 'trash' };
  if (target === 'sync') return { page: 'sync' };
  return { page: target, selectedId: null };
}

function navOf(route: Route): NavTarget {
  return route.page === 'study' ? 'studies' : route.page;
}

let searchInput: HTMLInputElement;
let searchResults: HTMLElement;
const navButtons = new Map<NavTarget, HTMLElement>();

/** Re-applies every translated string of the shell (the shell is built once and kept). */
const shellTexts: (() => void)[] = [];

function translated<E extends HTMLElement>(el: E, apply: (el: E) => void): E {
  apply(el);
  shellTexts.push(() => apply(el));
  return el;
}

function updateShellTexts(): void {
  for (const fn of shellTexts) fn();
}

function buildShell(): void {
  navButtons.clear();
  shellTexts.length = 0;
  // Test ids are nav-<page>; the exchange rates are known by their kind (nav-exchange_rate).
  const navButton = (target: NavTarget, iconName: string, testid = `nav-${target}`, extra: Node | null = null) => {
    const b = h(
      'button',
      {
        type: 'button',
        class: 'nav-item',
        'data-testid': testid,
        onclick: () => {
          clearBanner();
          void navigate(routeFor(target));
        },
      },
      icon(iconName),
      translated(h('span'), (el) => (el.textContent = navLabel(target))),
      extra,
    );
    navButtons.set(target, b);
    return b;
  };

  searchInput = translated(
    h('input', {
      id: 'search-input',
      type: 'search',
      class: 'search-input',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-controls': 'search-results',
    }),
    (el) => {
      el.placeholder = t('search.placeholder');
      el.setAttribute('aria-label', t('search.label'));
    },
  );
  searchResults = translated(h('div', { id: 'search-results', class: 'search-results', role: 'listbox', hidden: true }), (el) =>
    el.setAttribute('aria-label', t('search.results')),
  );
  wireSearch();

  const langButton = (lang: 'en' | 'ja', label: string) =>
    translated(
      h('button', { type: 'button', 'data-testid': `lang-${lang}`, lang, onclick: () => void switchLanguage(lang) }, label),
      (el) => {
        el.className = `lang-btn${getLang() === lang ? ' selected' : ''}`;
        el.setAttribute('aria-pressed', getLang() === lang ? 'true' : 'false');
      },
    );

  // Open conflicts, next to Sync (hidden when there are none).
  const conflictCount = h('span', { class: 'nav-count', 'data-testid': 'conflict-count', hidden: true });
  mountConflictCount(conflictCount);

  const sidebar = h(
    'aside',
    { class: 'sidebar' },
    h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), h('span', null, 'Fieldbook')),
    h('div', { class: 'search' }, icon('search'), searchInput, h('kbd', { class: 'search-kbd', 'aria-hidden': 'true' }, 'Ctrl K'), searchResults),
    h(
      'nav',
      { class: 'nav' },
      navButton('studies', 'study'),
      translated(h('div', { class: 'nav-heading' }), (el) => (el.textContent = t('nav.directory'))),
      navButton('countries', 'country'),
      navButton('cities', 'city'),
      navButton('orgs', 'org'),
      navButton('collaborations', 'collab'),
      navButton('exchange_rates', 'rate', 'nav-exchange_rate'),
      navButton('sync', 'sync', 'nav-sync', conflictCount),
      h('div', { class: 'nav-spacer' }),
      navButton('trash', 'trash'),
    ),
    h(
      'div',
      { class: 'sidebar-foot' },
      h(
        'div',
        { class: 'undo-redo' },
        translated(
          h(
            'button',
            { type: 'button', class: 'btn btn-quiet undo-btn', 'data-testid': 'undo', onclick: () => void undo() },
            icon('undo'),
            translated(h('span'), (el) => (el.textContent = t('action.undo'))),
            h('kbd', null, 'Ctrl Z'),
          ),
          (el) => (el.title = t('action.undo_hint')),
        ),
        translated(
          h('button', { type: 'button', class: 'btn btn-quiet redo-btn', 'data-testid': 'redo', onclick: () => void redo() }, icon('redo')),
          (el) => {
            el.title = t('action.redo_hint');
            el.setAttribute('aria-label', t('action.redo'));
          },
        ),
      ),
      translated(h('div', { class: 'lang', role: 'group' }, langButton('en', 'EN'), langButton('ja', '日本語')), (el) =>
        el.setAttribute('aria-label', t('lang.label')),
      ),
    ),
  );
  translated(sidebar, (el) => el.setAttribute('aria-label', t('nav.label')));

  const title = h('h1', { class: 'page-title', 'data-testid': 'page-title' });
  const crumbs = h('div', { class: 'crumbs' });
  const status = h('span', { class: 'save-status', 'data-testid': 'save-status', role: 'status', 'aria-live': 'polite' });
  const actions = h('div', { class: 'header-actions' });
  // The team hub's sync state, with Sync now (hidden until known).
  const hub = translated(h('div', { class: 'hub-status', 'data-testid': 'hub-status', hidden: true }), showHubStatus);
  const banner = h('div', { class: 'banner-host' });
  const page = h('div', { class: 'page' });
  const main = h(
    'main',
    { class: 'main' },
    h('header', { class: 'main-header' }, h('div', { class: 'title-wrap' }, crumbs, title), h('div', { class: 'header-side' }, status, actions, hub)),
    banner,
    page,
  );
  replace(app, sidebar, main);
  mountLayout(title, crumbs, actions, page);
  mountStatus(status, banner);
}

function markNav(route: Route): void {
  const active = navOf(route);
  for (const [target, el] of navButtons) {
    const on = target === active;
    el.classList.toggle('active', on);
    if (on) el.setAttribute('aria-current', 'page');
    else el.removeAttribute('aria-current');
  }
}

// ---------------------------------------------------------------- search

let searchToken = 0;

function wireSearch(): void {
  const run = debounce(async (text: string) => {
    const token = ++searchToken;
    if (text.trim() === '') {
      hideResults();
      return;
    }
    try {
      const hits = await api.search(text);
      if (token !== searchToken) return;
      showResults(hits);
    } catch (e) {
      if (token === searchToken) showError(toApiError(e));
    }
  }, 120);
  searchInput.addEventListener('input', () => run(searchInput.value));
  searchInput.addEventListener('focus', () => {
    if (searchInput.value.trim() && searchResults.childElementCount) searchResults.hidden = false;
  });
  searchInput.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown') {
      ev.preventDefault();
      searchResults.querySelector<HTMLElement>('[data-testid=search-result]')?.focus();
    } else if (ev.key === 'Enter') {
      ev.preventDefault();
      searchResults.querySelector<HTMLElement>('[data-testid=search-result]')?.click();
    } else if (ev.key === 'Escape') {
      ev.preventDefault();
      if (!searchResults.hidden) hideResults();
      else {
        searchInput.value = '';
        searchInput.blur();
      }
    }
  });
  searchResults.addEventListener('keydown', (ev) => {
    const items = [...searchResults.querySelectorAll<HTMLElement>('[data-testid=search-result]')];
    const i = items.indexOf(document.activeElement as HTMLElement);
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      const next = ev.key === 'ArrowDown' ? Math.min(items.length - 1, i + 1) : i - 1;
      if (next < 0) searchInput.focus();
      else items[next]?.focus();
    } else if (ev.key === 'Escape') {
      ev.preventDefault();
      hideResults();
      searchInput.focus();
    }
  });
  document.addEventListener('mousedown', (ev) => {
    const target = ev.target as Node;
    if (!searchResults.hidden && !searchResults.contains(target) && target !== searchInput) hideResults();
  });
}

function hideResults(): void {
  searchResults.hidden = true;
}

/** Builds the snippet with <mark> around the engine's U+E000 … U+E001 markers (as nodes, never HTML). */
function snippetNodes(snippet: string): Node[] {
  const out: Node[] = [];
  let buf = '';
  let inMark = false;
  const flush = () => {
    if (!buf) return;
    out.push(inMark ? h('mark', null, buf) : document.createTextNode(buf));
    buf = '';
  };
  for (const ch of snippet) {
    if (ch === '\uE000') {
      flush();
      inMark = true;
    } else if (ch === '\uE001') {
      flush();
      inMark = false;
    } else buf += ch;
  }
  flush();
  return out;
}

function showResults(hits: Hit[]): void {
  if (hits.length === 0) {
    replace(searchResults, h('div', { class: 'search-empty muted' }, t('search.none')));
  } else {
    replace(
      searchResults,
      h('div', { class: 'search-count muted' }, t('search.count', { n: hits.length })),
      hits.map((hit) =>
        h(
          'button',
          {
            type: 'button',
            role: 'option',
            class: 'search-result',
            'data-testid': 'search-result',
            'data-kind': hit.kind,
            'data-id': hit.id,
            onclick: () => {
              hideResults();
              clearBanner();
              void openRecord(hit.kind, hit.id, hit.study_id);
            },
          },
          h('span', { class: 'result-head' }, h('span', { class: 'badge' }, kindLabel(hit.kind)), h('span', { class: 'result-title' }, hit.title)),
          hit.snippet ? h('span', { class: 'result-snippet' }, snippetNodes(hit.snippet)) : null,
        ),
      ),
    );
  }
  searchResults.hidden = false;
}

// ---------------------------------------------------------------- language

async function switchLanguage(lang: 'en' | 'ja'): Promise<void> {
  if (lang === getLang()) return;
  setLang(lang);
  try {
    await api.setLanguage(lang);
  } catch (e) {
    showError(toApiError(e));
  }
  updateShellTexts();
  hideResults();
  setStatus({ text: '' });
  await rerender();
}

// ---------------------------------------------------------------- shortcuts

function onKey(ev: KeyboardEvent): void {
  const mod = ev.ctrlKey || ev.metaKey;
  if (!mod || ev.altKey) return;
  const key = ev.key.toLowerCase();
  if (key === 'k') {
    ev.preventDefault();
    searchInput.focus();
    searchInput.select();
  } else if (key === 'n' && !ev.shiftKey) {
    ev.preventDefault();
    const page = currentPage();
    if (page?.newRecord) page.newRecord();
  } else if (key === 'p') {
    // The webview's own printing is unreliable and prints the screen, not a report.
    ev.preventDefault();
    const page = currentPage();
    if (page?.print) page.print();
    else setStatus({ text: t('print.nowhere') });
  } else if (key === 'z' || key === 'y') {
    if (isTextEntry(document.activeElement)) return; // the field's own undo and redo
    ev.preventDefault();
    void (key === 'z' && !ev.shiftKey ? undo() : redo());
  }
}

// ---------------------------------------------------------------- start

async function boot(): Promise<void> {
  try {
    const [info, schema] = await Promise.all([api.appInfo(), api.schema()]);
    setSchema(schema);
    setLang(info.language);
    document.body.dataset.device = info.device_id;
  } catch (e) {
    setLang(navigator.language.startsWith('ja') ? 'ja' : 'en');
    const err = toApiError(e);
    replace(app, h('div', { class: 'boot-error', role: 'alert', 'data-testid': 'error' }, h('h1', null, t('boot.failed')), h('p', null, err.message)));
    return;
  }
  buildShell();
  setRenderer(async (route) => {
    clearFailedStatus();
    markNav(route);
    await renderRoute(route);
  });
  document.addEventListener('keydown', onKey);
  void startHub();
  // Nothing fails silently: an unexpected error shows in the banner.
  window.addEventListener('unhandledrejection', (ev) => showError(toApiError(ev.reason)));
  window.addEventListener('error', (ev) => showError(toApiError(ev.error ?? ev.message)));
  await navigate({ page: 'studies' });
}

void boot();
