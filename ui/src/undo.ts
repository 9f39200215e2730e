// Undo and redo of this laptop's last actions (the store's undo/redo). The
// message names the record the action was about — it may be in another study
// than the one shown — lists what no longer applied and why, and offers the
// way back: Redo after an undo, Undo after a redo or a delete.

import { api, toApiError, type Skipped, type UndoOutcome } from './api';
import { has, kindLabel, t } from './i18n';
import { currentPage, rerender } from './router';
import { clearBanner, setStatus, showError, showNotice, type StatusAction } from './status';

type Direction = 'undo' | 'redo';

function fieldLabel(kind: string, field: string): string {
  return has(`field.${kind}.${field}`) ? t(`field.${kind}.${field}`) : has(`field.${field}`) ? t(`field.${field}`) : field;
}

function recordName(kind: string, title: string | null | undefined): string {
  return title ? t('undo.titled', { kind: kindLabel(kind), title }) : kindLabel(kind);
}

/** What the action did, in words: “the title of the finding “Intake pumps””. */
function actionText(out: UndoOutcome): string {
  const m = /^(Create|Edit|Delete|Restore|Keep) (\w+)(?: (\w+))?$/.exec(out.label);
  if (!m) return out.title ? t('undo.what.other', { label: out.label, title: out.title }) : out.label;
  const [, verb, kind = '', field] = m;
  const record = recordName(kind, out.title);
  if (verb === 'Edit' && field) return t('undo.what.edit_field', { record, field: fieldLabel(kind, field) });
  return t(`undo.what.${verb?.toLowerCase()}`, { record });
}

/** One change left as it was, and why. */
async function skippedText(s: Skipped): Promise<string> {
  const title = await api.get(s.kind, s.record_id).then(
    (r) => r.title,
    () => null,
  );
  const record = s.field ? `${recordName(s.kind, title)} – ${fieldLabel(s.kind, s.field)}` : recordName(s.kind, title);
  const reason = s.reason.code === 'refused' ? s.reason.message : t(`undo.skip.${s.reason.code}`);
  return `${record}: ${reason}`;
}

/** The button that takes back what was just done (a delete, an undo, a redo). */
export function undoAction(): StatusAction {
  return { label: t('action.undo'), testid: 'status-undo', run: () => void step('undo') };
}

function redoAction(): StatusAction {
  return { label: t('action.redo'), testid: 'status-redo', run: () => void step('redo') };
}

let busy = false;

async function step(direction: Direction): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    const out = await (direction === 'undo' ? api.undo() : api.redo());
    if (!out) {
      setStatus({ text: t(direction === 'undo' ? 'undo.nothing' : 'undo.nothing_to_redo') });
      return;
    }
    // The page first, then the message: what it names is on screen when it shows.
    await (currentPage()?.refresh() ?? rerender());
    setStatus({
      text: t(direction === 'undo' ? 'undo.undone' : 'undo.redone', { what: actionText(out) }),
      action: direction === 'undo' ? redoAction() : undoAction(),
    });
    clearBanner();
    if (out.skipped.length > 0) {
      const items = await Promise.all(out.skipped.map(skippedText));
      showNotice(t('undo.skipped', { n: out.skipped.length }), items, 'undo-skipped');
    }
  } catch (e) {
    showError(toApiError(e));
  } finally {
    busy = false;
  }
}

export const undo = (): Promise<void> => step('undo');
export const redo = (): Promise<void> => step('redo');
