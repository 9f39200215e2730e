// The main area's header (breadcrumbs, page title) and page container.

import { replace } from './dom';

let titleEl: HTMLElement | null = null;
let crumbsEl: HTMLElement | null = null;
let pageEl: HTMLElement | null = null;

export function mountLayout(title: HTMLElement, crumbs: HTMLElement, page: HTMLElement): void {
  titleEl = title;
  crumbsEl = crumbs;
  pageEl = page;
}

export function setHeader(title: string, crumbs: Node[] = []): void {
  if (titleEl) titleEl.textContent = title;
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
