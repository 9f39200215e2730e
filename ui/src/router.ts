// Where the user is: which page, study, tab and record. Kept in memory; pages
// update the selection in place so a refresh (undo, language switch) keeps it.

import type { DirectoryPage, StudyTab } from './schema';

export interface Focus {
  kind: string;
  id: string;
}

export type Route =
  | { page: 'studies'; creating?: boolean }
  | {
      page: 'study';
      studyId: string;
      tab: StudyTab;
      selectedId: string | null;
      creating?: boolean;
      focus?: Focus | null;
    }
  | { page: DirectoryPage; selectedId: string | null; creating?: boolean; focus?: Focus | null }
  | { page: 'trash' }
  /** The Sync page; `record`: bring that record's conflicts into view. */
  | { page: 'sync'; record?: string | null };

/** What the page on screen offers to the shell's shortcuts. */
export interface Page {
  refresh(): Promise<void>;
  newRecord?: () => void;
  /** Opens the Print dialog for what is on screen (Ctrl+P). */
  print?: () => void;
}

let route: Route = { page: 'studies' };
let page: Page | null = null;
let renderer: ((r: Route) => Promise<void>) | null = null;

export function currentRoute(): Route {
  return route;
}

export function setRenderer(fn: (r: Route) => Promise<void>): void {
  renderer = fn;
}

export function navigate(r: Route): Promise<void> {
  route = r;
  return renderer ? renderer(r) : Promise.resolve();
}

/** Re-renders the current route from scratch (language switch). */
export function rerender(): Promise<void> {
  return navigate(route);
}

export function setPage(p: Page | null): void {
  page = p;
}

export function currentPage(): Page | null {
  return page;
}
