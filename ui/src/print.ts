// The Print dialog (Ctrl+P on a study): which report, in which document
// languages, on which paper. The PDF is made by the engine (fieldbook-report),
// not by the webview, so every script prints right; the native save dialog
// asks where, and the system's PDF viewer opens it.

import { api, type PrintChoice, type ReportRequest } from './api';
import { group, h } from './dom';
import { t } from './i18n';
import { openSaveDialog } from './save_dialog';

/** Document languages, each named in itself; only English and Japanese labels are reviewed. */
const DOC_LANGS: [code: string, name: string, reviewed: boolean][] = [
  ['en', 'English', true],
  ['ja', '日本語', true],
  ['vi', 'Tiếng Việt', false],
  ['id', 'Bahasa Indonesia', false],
  ['mn', 'Монгол', false],
  ['th', 'ไทย', false],
  ['km', 'ខ្មែរ', false],
  ['lo', 'ລາວ', false],
  ['my', 'မြန်မာ', false],
];

const REMEMBERED = 'fieldbook.print';

/** The last choice, so the next print starts from it. */
function remembered(): PrintChoice {
  const fallback: PrintChoice = { langs: ['en', 'ja'], paper: 'a4', open: true };
  try {
    const saved = JSON.parse(localStorage.getItem(REMEMBERED) ?? 'null') as Partial<PrintChoice> | null;
    return { ...fallback, ...saved };
  } catch {
    return fallback;
  }
}

/** What the dialog opens on: the record the user is looking at. */
export type PrintFocus = { visitId?: string | null; estimateId?: string | null };

function langOptions(selected: string | undefined, withNone: boolean): HTMLOptionElement[] {
  const options = DOC_LANGS.map(([code, name, reviewed]) =>
    h('option', { value: code, selected: code === selected }, reviewed ? name : t('print.not_reviewed', { lang: name })),
  );
  if (withNone) options.unshift(h('option', { value: '', selected: !selected }, t('print.lang_none')));
  return options;
}

function field(label: string, control: HTMLElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), control);
}

export async function openPrintDialog(studyId: string, focus: PrintFocus = {}): Promise<void> {
  const [visits, estimates] = await Promise.all([api.listCached('visit', studyId), api.listCached('estimate', studyId)]);
  const choice = remembered();

  const visitSelect = h(
    'select',
    { 'data-testid': 'print-visit', 'aria-label': t('print.visit_which') },
    visits.map((v) => h('option', { value: v.id, selected: v.id === focus.visitId }, v.title)),
  );
  const estimateSelect = h(
    'select',
    { 'data-testid': 'print-estimate', 'aria-label': t('print.estimate_which') },
    estimates.map((e) => h('option', { value: e.id, selected: e.id === focus.estimateId }, e.title)),
  );
  // Choosing a visit or an estimate chooses its report.
  const picks = (select: HTMLSelectElement, report: ReportRequest['report']) =>
    select.addEventListener('change', () => {
      const input = reports.querySelector<HTMLInputElement>(`input[value=${report}]`);
      if (input) input.checked = true;
    });
  const initial = focus.estimateId && estimates.length ? 'estimate' : focus.visitId && visits.length ? 'visit' : 'brief';
  const radio = (value: ReportRequest['report'], label: string, disabled: boolean, extra?: HTMLElement) =>
    h(
      'label',
      { class: `print-report${disabled ? ' disabled' : ''}` },
      h('input', { type: 'radio', name: 'print-report', value, checked: value === initial, disabled, 'data-testid': `print-${value}` }),
      h('span', null, label),
      extra ?? null,
    );
  const reports = group(
    'radiogroup',
    h('span', { class: 'field-label' }, t('print.report')),
    { class: 'print-reports' },
    radio('brief', t('print.brief'), false),
    radio('visits', t('print.visits', { n: visits.length }), visits.length === 0),
    radio('visit', t('print.visit'), visits.length === 0, visits.length ? visitSelect : undefined),
    radio('estimate', t('print.estimate'), estimates.length === 0, estimates.length ? estimateSelect : undefined),
  );

  picks(visitSelect, 'visit');
  picks(estimateSelect, 'estimate');

  const lang1 = h('select', { 'data-testid': 'print-lang1' }, langOptions(choice.langs[0], false));
  const lang2 = h('select', { 'data-testid': 'print-lang2' }, langOptions(choice.langs[1], true));
  const paper = h(
    'select',
    { 'data-testid': 'print-paper' },
    h('option', { value: 'a4', selected: choice.paper === 'a4' }, 'A4'),
    h('option', { value: 'letter', selected: choice.paper === 'letter' }, t('print.letter')),
  );
  const open = h('input', { type: 'checkbox', checked: choice.open, 'data-testid': 'print-open' });

  const request = (): ReportRequest => {
    const picked = reports.querySelector<HTMLInputElement>('input[name=print-report]:checked')?.value;
    switch (picked) {
      case 'visits':
        return { report: 'visits', study_id: studyId };
      case 'visit':
        return { report: 'visit', visit_id: visitSelect.value };
      case 'estimate':
        return { report: 'estimate', estimate_id: estimateSelect.value };
      default:
        return { report: 'brief', study_id: studyId };
    }
  };
  const chosen = (): PrintChoice => ({
    langs: lang2.value && lang2.value !== lang1.value ? [lang1.value, lang2.value] : [lang1.value],
    paper: paper.value === 'letter' ? 'letter' : 'a4',
    open: open.checked,
  });

  openSaveDialog({
    id: 'print',
    title: t('print.title'),
    body: [
      reports,
      h(
        'div',
        { class: 'print-options' },
        field(t('print.lang1'), lang1),
        field(t('print.lang2'), lang2),
        field(t('print.paper'), paper),
      ),
      h('label', { class: 'print-open' }, open, h('span', null, t('print.open'))),
      h('p', { class: 'muted print-hint' }, t('print.hint')),
    ],
    saveLabel: t('print.save'),
    busy: t('print.printing'),
    save: async () => {
      const c = chosen();
      localStorage.setItem(REMEMBERED, JSON.stringify(c));
      const printed = await api.printReport(request(), c);
      if (!printed) return null;
      const size = t('size.kb', { n: Math.ceil(printed.bytes / 1024) });
      return printed.open_error
        ? t('print.saved_not_opened', { path: printed.path, size, reason: printed.open_error })
        : t('print.saved', { path: printed.path, size });
    },
  });
}
