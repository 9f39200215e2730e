// The main area's header (breadcrumbs, page title) and page container.

import { replace } from './dom';
import { t } from './i18n';

let titleEl: HTMLElement | null = null;
let crumbsEl: HTMLElement | null = null;
let actionsEl: HTMLElement | null = null;
let pageEl: HTMLElement | null = null;

export function mountLayout(title: HTMLElement, crumbs: HTMLElement, actions: HTMLElement, page: HTMLElement): void {
  titleEl = title;
  crumbsEl = crumbs;
  actionsEl = actions;
  pageEl = page;
}

/** The page's title, its breadcrumbs and the buttons beside the title (Print…). */
export function setHeader(title: string, crumbs: Node[] = [], actions: Node[] = []): void {
  if (titleEl) titleEl.textContent = title;
  if (actionsEl) replace(actionsEl, actions);
  if (crumbsEl) {
    replace(crumbsEl, crumbs);
    crumbsEl.hidden = crumbs.length === 0;
  }
  document.title = title ? `${title} — Fieldbook` : 'Fieldbook';
}

export function pageHost(): HTMLElement {
  if (!pageEl) throw new Error('layout not mounted');
  return pageEl;
}

/** A destination of the sidebar. */
export type NavTarget = 'studies' | 'countries' | 'cities' | 'orgs' | 'collaborations' | 'exchange_rates' | 'sync' | 'trash';

export function navLabel(target: NavTarget): string {
  switch (target) {
    case 'studies':
      return t('nav.studies');
    case 'countries':
      return t('nav.countries');
    case 'cities':
      return t('nav.cities');
    case 'orgs':
      return t('nav.orgs');
    case 'collaborations':
      return t('nav.collaborations');
    case 'exchange_rates':
      return t('nav.exchange_rates');
    case 'sync':
      return t('nav.sync');
    case 'trash':
      return t('nav.trash');
  }
}
