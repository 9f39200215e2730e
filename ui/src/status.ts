// The quiet save status in the header and the dismissible error banner.

import { h, replace } from './dom';
import type { ApiError } from './api';
import { has, t } from './i18n';

let statusEl: HTMLElement | null = null;
let bannerEl: HTMLElement | null = null;
let statusTimer: number | undefined;

export function mountStatus(status: HTMLElement, banner: HTMLElement): void {
  statusEl = status;
  bannerEl = banner;
}

export type SaveState = 'saving' | 'saved' | 'failed';

/** A button beside a message that takes back what it reports (Undo, Redo). */
export interface StatusAction {
  label: string;
  testid: string;
  run: () => void;
}

/** Shows a save state, or any short message (undo, trash), with a button when given. */
export function setStatus(state: SaveState | { text: string; action?: StatusAction }): void {
  if (!statusEl) return;
  window.clearTimeout(statusTimer);
  const text =
    typeof state === 'object'
      ? state.text
      : state === 'saving'
        ? t('status.saving')
        : state === 'saved'
          ? t('status.saved')
          : t('status.failed');
  const action = typeof state === 'object' ? state.action : undefined;
  replace(
    statusEl,
    h('span', { class: 'status-text', 'data-testid': 'status-text' }, text),
    action
      ? h(
          'button',
          {
            type: 'button',
            class: 'btn btn-small btn-quiet status-action',
            'data-testid': action.testid,
            onclick: () => action.run(),
          },
          action.label,
        )
      : null,
  );
  statusEl.dataset.state = typeof state === 'object' ? 'info' : state;
  statusEl.title = new Date().toLocaleTimeString();
  if (state !== 'saving' && state !== 'failed') {
    // Fade, but keep the text for tests and screen readers.
    statusEl.classList.remove('faded');
    statusTimer = window.setTimeout(() => statusEl?.classList.add('faded'), 4000);
  } else {
    statusEl.classList.remove('faded');
  }
}

/** What the status shows: a save state, 'info' for a message, null before the first. */
export function statusState(): SaveState | 'info' | null {
  return (statusEl?.dataset.state as SaveState | 'info' | undefined) ?? null;
}

/** Clears a failed save's "Not saved" on leaving the view it was about. */
export function clearFailedStatus(): void {
  if (statusEl?.dataset.state === 'failed') setStatus({ text: '' });
}

/** The translated message of an error code, with the engine's English text as fallback. */
export function errorText(
  err: { code: string; message: string },
  params?: Record<string, string | number>,
): string {
  const key = `error.${err.code}`;
  return has(key) ? t(key, params) : err.message;
}

export function showError(err: ApiError | { code: string; message: string }): void {
  if (!bannerEl) return;
  const main = errorText(err);
  const detail = main !== err.message ? err.message : null;
  const close = h(
    'button',
    {
      type: 'button',
      class: 'banner-close',
      'aria-label': t('action.dismiss'),
      title: t('action.dismiss'),
      onclick: () => clearBanner(),
    },
    '×',
  );
  replace(
    bannerEl,
    h(
      'div',
      { class: 'banner', role: 'alert', 'data-testid': 'error', 'data-code': err.code },
      h('div', { class: 'banner-text' }, h('strong', null, main), detail && h('div', { class: 'banner-detail' }, detail)),
      close,
    ),
  );
}

/** A notice that is not an error: a title and the items it lists (what an undo left as it was). */
export function showNotice(title: string, items: string[], testid: string): void {
  if (!bannerEl) return;
  replace(
    bannerEl,
    h(
      'div',
      { class: 'banner banner-info', role: 'status', 'data-testid': testid },
      h('div', { class: 'banner-text' }, h('strong', null, title), h('ul', { class: 'banner-list' }, items.map((x) => h('li', null, x)))),
      h('button', { type: 'button', class: 'banner-close', 'aria-label': t('action.dismiss'), title: t('action.dismiss'), onclick: () => clearBanner() }, '×'),
    ),
  );
}

export function clearBanner(): void {
  bannerEl?.replaceChildren();
}
