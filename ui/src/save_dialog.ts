// A modal dialog that saves files: its fields, then a Save button that runs
// the save (disabled while it runs, its error shown in the dialog, the
// result on the status line) and Cancel. The Print and Export dialogs are
// both one of these.

import { toApiError } from './api';
import { h } from './dom';
import { t } from './i18n';
import { setStatus } from './status';

export interface SaveDialogSpec {
  /** Test ids: `${id}-dialog`, `${id}-message`, `${id}-save`. */
  id: string;
  title: string;
  /** The dialog's fields, between its title and its message. */
  body: (HTMLElement | null)[];
  /** The Save button's label, and what is shown while the save runs. */
  saveLabel: string;
  busy: string;
  /** Saves; the status line's text, or null when the user cancelled the native dialog. */
  save: () => Promise<string | null>;
}

/** Opens the dialog; returns its Save button (a dialog may relabel it). */
export function openSaveDialog(spec: SaveDialogSpec): HTMLButtonElement {
  const message = h('p', { class: 'print-message', role: 'status', 'data-testid': `${spec.id}-message` });
  const saveBtn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': `${spec.id}-save` }, spec.saveLabel);
  const cancelBtn = h('button', { type: 'button', class: 'btn', onclick: () => dialog.close() }, t('action.cancel'));

  const run = async () => {
    saveBtn.disabled = true;
    message.classList.remove('error');
    message.textContent = spec.busy;
    try {
      const done = await spec.save();
      if (done === null) {
        message.textContent = '';
        return;
      }
      dialog.close();
      setStatus({ text: done });
    } catch (e) {
      message.classList.add('error');
      message.textContent = toApiError(e).message;
    } finally {
      saveBtn.disabled = false;
    }
  };

  const form = h(
    'form',
    {
      method: 'dialog',
      class: 'print-form',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        void run();
      },
    },
    h('h2', null, spec.title),
    spec.body,
    message,
    h('div', { class: 'print-actions' }, cancelBtn, saveBtn),
  );
  const dialog = h('dialog', { class: 'print-dialog', 'data-testid': `${spec.id}-dialog`, 'aria-label': spec.title }, form);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.appendChild(dialog);
  dialog.showModal();
  saveBtn.focus();
  return saveBtn;
}
