// The Import wizard (the Import… button of a study): site visits, findings,
// measurements and photos from a KoboToolbox or ODK Central submission
// export. Step 1: the tool, the export file, its media ZIP, the form's
// XLSForm (optional: it guides the proposed mapping) and, if any, a saved
// mapping. Step 2: which column becomes which field, as a form, with
// the first submissions previewed as records and a Check (a dry run of the
// whole export). Step 3: the import with its progress, then what it did and
// the rows it could not take (saved as CSV on request). The engine
// (fieldbook_interop::import) does the work; a second import of the same
// submissions adds nothing.

import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import {
  api,
  toApiError,
  type ApiError,
  type Inspected,
  type MappingField,
  type PreviewRow,
  type Rejection,
  type SheetColumns,
  type SurveyImportReport,
  type SurveyMapping,
  type SurveyTool,
  type Value,
} from './api';
import { debounce, group, h, replace } from './dom';
import { dimensionLabel, enumLabel, formatDecimal, getLang, kindLabel, t } from './i18n';
import { currentPage, rerender } from './router';
import { fieldSpec, unitGroups } from './schema';
import { errorText, setStatus } from './status';
import { fieldError, fieldId } from './team';
import { undoAction } from './undo';

const REMEMBERED = 'fieldbook.import';

interface Progress {
  done: number;
  total: number;
  dry_run: boolean;
}

/** What the wizard has gathered so far. */
interface Wizard {
  studyId: string;
  tool: SurveyTool;
  file: string;
  media: string;
  /** The form's XLSForm, guiding the proposal ('' = none). */
  form: string;
  /** The saved mapping chosen in step 1 ('' = the proposal). */
  saved: string;
  inspected: Inspected | null;
  mapping: SurveyMapping | null;
  /** What `mapping` was started from (tool, file, saved mapping): coming back to step 1
   *  and on without changing them keeps the mapping as the user left it. */
  mappingFrom: string;
  /** The name to save the mapping under when importing. */
  saveAs: string;
}

function rememberedTool(): SurveyTool {
  try {
    const saved = JSON.parse(localStorage.getItem(REMEMBERED) ?? 'null') as { tool?: string } | null;
    return saved?.tool === 'odk' ? 'odk' : 'kobo';
  } catch {
    return 'kobo';
  }
}

/** An error's translated text, with the engine's own words (file and column names) under it. */
function problem(err: ApiError, testid: string): HTMLElement {
  const main = errorText(err);
  return h(
    'div',
    { class: 'survey-problem', role: 'alert', 'data-testid': testid, 'data-code': err.code },
    h('strong', null, main),
    main !== err.message ? h('div', { class: 'small' }, err.message) : null,
  );
}

export function openImportWizard(studyId: string): void {
  const w: Wizard = {
    studyId,
    tool: rememberedTool(),
    file: '',
    media: '',
    form: '',
    saved: '',
    inspected: null,
    mapping: null,
    mappingFrom: '',
    saveAs: '',
  };
  const title = t('survey_import.title');
  const steps = [t('survey_import.step_file'), t('survey_import.step_columns'), t('survey_import.step_import')];
  const stepper = h(
    'ol',
    { class: 'survey-steps', 'aria-label': title },
    steps.map((label, i) => h('li', { 'data-step': i + 1 }, h('span', { class: 'survey-step-n' }, String(i + 1)), label)),
  );
  const host = h('div', { class: 'survey-host' });
  const dialog = h(
    'dialog',
    { class: 'print-dialog survey-dialog', 'data-testid': 'survey-dialog', 'aria-label': title },
    h('div', { class: 'survey-head' }, h('h2', null, title), stepper),
    host,
  );
  // While an import runs, Escape does not close the dialog: its result is shown when it ends.
  let running = false;
  dialog.addEventListener('cancel', (ev) => {
    if (running) ev.preventDefault();
  });
  dialog.addEventListener('close', () => dialog.remove());
  document.body.appendChild(dialog);
  dialog.showModal();

  const show = (step: 1 | 2 | 3, body: HTMLElement) => {
    for (const li of stepper.querySelectorAll<HTMLElement>('li')) {
      const n = Number(li.dataset.step);
      li.classList.toggle('active', n === step);
      li.classList.toggle('done', n < step);
      if (n === step) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
    }
    dialog.dataset.step = String(step);
    replace(host, body);
  };
  const close = () => dialog.close();

  // ------------------------------------------------------------ step 1: the files

  function fileStep(): void {
    const toolField = group(
      'radiogroup',
      h('span', { class: 'field-label' }, t('survey_import.tool')),
      { class: 'survey-tools' },
      (['kobo', 'odk'] as SurveyTool[]).map((tool) =>
        h(
          'label',
          { class: 'survey-tool', 'data-testid': `survey-tool-${tool}` },
          h('input', { type: 'radio', name: 'survey-tool', value: tool, checked: w.tool === tool }),
          h(
            'span',
            null,
            h('strong', null, t(tool === 'kobo' ? 'survey_import.tool_kobo' : 'survey_import.tool_odk')),
            h('span', { class: 'muted small' }, t(tool === 'kobo' ? 'survey_import.tool_kobo_hint' : 'survey_import.tool_odk_hint')),
          ),
        ),
      ),
    );
    const chosenTool = (): SurveyTool =>
      toolField.querySelector<HTMLInputElement>('input[name=survey-tool]:checked')?.value === 'odk' ? 'odk' : 'kobo';

    const file = pathField('file', t('survey_import.file'), t('survey_import.file_hint'), w.file, 'export');
    const media = pathField('media', t('survey_import.media'), t('survey_import.media_hint'), w.media, 'media');
    const form = pathField('form', t('survey_import.form'), t('survey_import.form_hint'), w.form, 'form');

    const savedSelect = h(
      'select',
      { id: fieldId('survey-saved'), 'data-testid': 'survey-saved' },
      h('option', { value: '' }, t('survey_import.mapping_proposed')),
    );
    const savedField = h(
      'div',
      { class: 'field', hidden: true },
      h('label', { class: 'field-label', for: savedSelect.id }, t('survey_import.mapping_source')),
      savedSelect,
      h('div', { class: 'field-hint muted' }, t('survey_import.mapping_source_hint')),
    );
    void api
      .importMappings()
      .then((names) => {
        for (const name of names) savedSelect.appendChild(h('option', { value: name, selected: name === w.saved }, name));
        savedField.hidden = names.length === 0;
      })
      .catch(() => {
        savedField.hidden = true;
      });

    const message = h('div', { class: 'survey-message', role: 'status', 'data-testid': 'survey-file-message' });
    const next = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'survey-next' }, t('survey_import.next'));
    const cancel = h('button', { type: 'button', class: 'btn', onclick: close }, t('action.cancel'));

    const step = h(
      'form',
      {
        class: 'survey-form survey-step-file',
        'data-testid': 'survey-step-file',
        novalidate: true,
        autocomplete: 'off',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          void inspect();
        },
      },
      toolField,
      file.wrap,
      media.wrap,
      form.wrap,
      savedField,
      message,
      h('div', { class: 'print-actions' }, cancel, next),
    );

    async function inspect(): Promise<void> {
      file.error(null);
      media.error(null);
      form.error(null);
      replace(message);
      if (file.value() === '') {
        file.error(t('survey_import.file_missing'));
        file.focus();
        return;
      }
      w.tool = chosenTool();
      w.file = file.value();
      w.media = media.value();
      w.form = form.value();
      w.saved = savedSelect.value;
      localStorage.setItem(REMEMBERED, JSON.stringify({ tool: w.tool }));
      next.disabled = true;
      message.textContent = t('survey_import.reading');
      try {
        const inspected = await api.importInspect(w.tool, w.file, w.media || null, w.form || null);
        const from = JSON.stringify([w.tool, w.file, w.form, w.saved]);
        if (w.mapping === null || w.mappingFrom !== from) {
          w.mapping = w.saved ? await api.importMapping(w.saved) : inspected.proposed;
          w.mappingFrom = from;
          if (w.saved) w.saveAs = w.saved;
        }
        w.inspected = inspected;
        columnsStep();
      } catch (e) {
        const err = toApiError(e);
        replace(message);
        if (err.field === 'file') {
          file.error(errorText(err) === err.message ? err.message : `${errorText(err)}: ${err.message}`);
          file.focus();
        } else if (err.field === 'media' || err.field === 'form') {
          const field = err.field === 'media' ? media : form;
          field.error(errorText(err) === err.message ? err.message : `${errorText(err)}: ${err.message}`);
          field.focus();
        } else {
          replace(message, problem(err, 'survey-error'));
        }
      } finally {
        next.disabled = false;
      }
    }

    show(1, step);
    (w.file === '' ? file.input : next).focus();
  }

  // ------------------------------------------------------------ step 2: the columns

  function columnsStep(): void {
    const inspected = w.inspected;
    const initial = w.mapping;
    if (!inspected || !initial) return fileStep();
    const form = mappingForm(inspected, initial, () => changed());

    // Sentences are spaced in English, not in Japanese.
    const gap = getLang() === 'ja' ? '' : ' ';
    const summary = h(
      'p',
      { class: 'survey-summary', 'data-testid': 'survey-summary' },
      t(inspected.submissions === 1 ? 'survey_import.summary_one' : 'survey_import.summary', {
        file: inspected.file_name,
        n: inspected.submissions,
        tool: t(inspected.tool === 'kobo' ? 'survey_import.tool_kobo' : 'survey_import.tool_odk'),
      }),
      gap,
      h('span', { class: 'muted' }, t('survey_import.id_column', { column: inspected.id_column })),
      inspected.media_inside && !w.media ? h('span', { class: 'muted' }, gap, t('survey_import.media_inside')) : null,
    );

    const previewBody = h('div', { class: 'survey-preview-body', 'data-testid': 'survey-preview' });
    const previewNote = h('p', { class: 'muted small survey-preview-note' });
    const checkResult = h('div', { class: 'survey-check-result', role: 'status', 'data-testid': 'survey-check-result' });
    const checkBar = h('progress', { class: 'survey-bar', hidden: true });
    const preview = h(
      'section',
      { class: 'survey-preview-pane', 'aria-label': t('survey_import.preview') },
      h('h3', null, t('survey_import.preview')),
      previewNote,
      previewBody,
      h('div', { class: 'survey-check' }, checkBar, checkResult),
    );

    const saveAs = h('input', {
      type: 'text',
      id: fieldId('survey-save-as'),
      value: w.saveAs,
      'data-testid': 'survey-save-as',
      placeholder: t('survey_import.save_as_placeholder'),
      title: t('survey_import.save_as_hint'),
      spellcheck: 'false',
    });
    saveAs.addEventListener('input', () => (w.saveAs = saveAs.value));

    const back = h('button', { type: 'button', class: 'btn', 'data-testid': 'survey-back' }, t('survey_import.back'));
    const check = h('button', { type: 'button', class: 'btn', 'data-testid': 'survey-check' }, t('survey_import.check'));
    const run = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'survey-run' }, t('survey_import.import'));

    let seq = 0;
    let mappingProblem: string | null = null;
    // The mapping cannot be imported as it is (no date column, or columns the export lacks).
    let blocked = false;
    let checking = false;
    const enable = () => {
      run.disabled = check.disabled = blocked || checking;
      back.disabled = checking;
    };
    const refresh = async () => {
      const mine = ++seq;
      const mapping = form.read();
      w.mapping = mapping;
      mappingProblem = mapping.visit.date === '' ? t('survey_import.no_date') : null;
      blocked = mappingProblem !== null;
      enable();
      if (mappingProblem !== null) {
        previewNote.textContent = '';
        replace(previewBody, h('div', { class: 'survey-problem', role: 'alert', 'data-testid': 'survey-preview-error' }, h('strong', null, mappingProblem)));
        return;
      }
      previewBody.classList.add('stale');
      try {
        const rows = await api.importPreview(w.tool, w.file, mapping, w.studyId);
        if (mine !== seq) return;
        previewNote.textContent = t('survey_import.preview_note', { n: rows.length, total: inspected.submissions });
        replace(previewBody, previewTable(rows));
      } catch (e) {
        if (mine !== seq) return;
        previewNote.textContent = '';
        const err = toApiError(e);
        blocked = err.code === 'mapping';
        enable();
        replace(previewBody, problem(err, 'survey-preview-error'));
      } finally {
        if (mine === seq) previewBody.classList.remove('stale');
      }
    };
    const refreshSoon = debounce(() => void refresh(), 250);
    function changed(): void {
      replace(checkResult);
      refreshSoon();
    }

    back.addEventListener('click', () => {
      w.mapping = form.read();
      fileStep();
    });
    check.addEventListener('click', async () => {
      checking = running = true;
      enable();
      replace(checkResult, h('span', { class: 'muted' }, t('survey_import.checking')));
      const stop = await following(checkBar, (p) => {
        checkResult.textContent = t('survey_import.checking_progress', { done: p.done, total: p.total });
      });
      try {
        const report = await api.importRun(request(true));
        replace(
          checkResult,
          h('p', { class: 'survey-check-text' }, t('survey_import.check_done')),
          stats(report, 'survey-check-stats'),
          report.rejected.length > 0 ? rejectedTable(report.rejected, false) : null,
        );
      } catch (e) {
        replace(checkResult, problem(toApiError(e), 'survey-error'));
      } finally {
        stop();
        checking = running = false;
        enable();
      }
    });

    const request = (dryRun: boolean) => ({
      tool: w.tool,
      path: w.file,
      media: w.media || null,
      mapping: form.read(),
      study_id: w.studyId,
      dry_run: dryRun,
      save_as: dryRun ? null : w.saveAs.trim() || null,
    });

    const body = h(
      'form',
      {
        class: 'survey-form survey-step-columns',
        'data-testid': 'survey-step-columns',
        novalidate: true,
        autocomplete: 'off',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          if (!blocked && !checking) importStep(request(false));
        },
      },
      summary,
      h('div', { class: 'survey-columns' }, h('div', { class: 'survey-mapping', 'data-testid': 'survey-mapping' }, form.el), preview),
      h(
        'div',
        { class: 'print-actions' },
        back,
        h('div', { class: 'survey-save-as' }, h('label', { class: 'field-label', for: saveAs.id }, t('survey_import.save_as')), saveAs),
        h('span', { class: 'survey-actions-gap' }),
        check,
        run,
      ),
    );
    show(2, body);
    void refresh();
    run.focus();
  }

  // ------------------------------------------------------------ step 3: the import

  function importStep(req: Parameters<typeof api.importRun>[0]): void {
    const status = h('p', { class: 'survey-status', role: 'status', 'data-testid': 'survey-status' }, t('survey_import.starting'));
    const bar = h('progress', { class: 'survey-bar', 'data-testid': 'survey-progress' });
    const result = h('div', { class: 'survey-result', 'data-testid': 'survey-result', hidden: true });
    const another = h('button', { type: 'button', class: 'btn', 'data-testid': 'survey-another', disabled: true }, t('survey_import.another'));
    const back = h('button', { type: 'button', class: 'btn', 'data-testid': 'survey-back', hidden: true }, t('survey_import.back'));
    const done = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'survey-close', disabled: true }, t('action.close'));
    another.addEventListener('click', () => {
      w.file = '';
      w.media = '';
      w.mapping = null;
      fileStep();
    });
    back.addEventListener('click', () => columnsStep());
    done.addEventListener('click', close);
    const body = h(
      'div',
      { class: 'survey-form survey-step-result', 'data-testid': 'survey-step-result' },
      status,
      bar,
      result,
      h('div', { class: 'print-actions' }, back, another, done),
    );
    show(3, body);

    void (async () => {
      running = true;
      const stop = await following(bar, (p) => {
        status.textContent = t('survey_import.importing', { done: p.done, total: p.total });
      });
      let report: SurveyImportReport;
      try {
        report = await api.importRun(req);
      } catch (e) {
        stop();
        running = false;
        bar.hidden = true;
        replace(status, problem(toApiError(e), 'survey-error'));
        back.hidden = false;
        done.disabled = false;
        back.focus();
        return;
      }
      stop();
      running = false;
      bar.hidden = true;
      const file = w.inspected?.file_name ?? '';
      const wrote = report.visits + report.findings + report.measurements + report.photos > 0;
      status.textContent = wrote ? t('survey_import.result_title', { file }) : t('survey_import.result_nothing', { file });
      replace(
        result,
        stats(report, 'survey-stats'),
        req.save_as ? h('p', { class: 'muted small', 'data-testid': 'survey-mapping-saved' }, t('survey_import.mapping_saved', { name: req.save_as })) : null,
        report.rejected.length > 0 ? rejectedTable(report.rejected, true) : null,
      );
      result.hidden = false;
      another.disabled = done.disabled = false;
      done.focus();
      // The lists behind the dialog show what came in; the status line says it, with Undo.
      if (wrote) {
        try {
          await (currentPage()?.refresh() ?? rerender());
        } catch {
          // The page shows an error of its own.
        }
        setStatus({
          text: t('survey_import.done_status', { visits: report.visits, findings: report.findings, photos: report.photos, file }),
          action: undoAction(),
        });
      }
    })();
  }

  fileStep();
}

/** Listens to the import's progress (the bar follows it) until the returned function is called. */
async function following(bar: HTMLProgressElement, tell: (p: Progress) => void): Promise<() => void> {
  bar.hidden = false;
  bar.removeAttribute('value');
  let stop: UnlistenFn | null = null;
  try {
    stop = await listen<Progress>('survey-import-progress', (ev) => {
      const p = ev.payload;
      if (p.total > 0) {
        bar.max = p.total;
        bar.value = p.done;
      }
      tell(p);
    });
  } catch {
    // Events not allowed to this window: the bar stays indeterminate.
  }
  return () => {
    stop?.();
    bar.hidden = true;
  };
}

// ---------------------------------------------------------------- a path, typed or chosen

interface PathField {
  wrap: HTMLElement;
  input: HTMLInputElement;
  value(): string;
  error(text: string | null): void;
  focus(): void;
}

const EXAMPLES = { file: '~/Downloads/energy_audit.csv', media: '~/Downloads/energy_audit-media.zip', form: '~/Downloads/energy_audit.xlsx' };

/** A file's path: typed or pasted, or chosen in the native dialog (which fills it in). */
function pathField(name: 'file' | 'media' | 'form', label: string, hint: string, value: string, what: 'export' | 'media' | 'form'): PathField {
  const id = fieldId(`survey-${name}`);
  const input = h('input', {
    type: 'text',
    id,
    value,
    class: 'survey-path',
    'data-testid': `survey-${name}`,
    placeholder: t('survey_import.path_placeholder', { example: EXAMPLES[name] }),
    spellcheck: 'false',
    autocomplete: 'off',
  });
  const choose = h('button', { type: 'button', class: 'btn', 'data-testid': `survey-${name}-choose` }, t('survey_import.choose'));
  const err = fieldError(id, input);
  err.el.dataset.testid = `survey-${name}-error`;
  input.addEventListener('input', () => err.error(null));
  choose.addEventListener('click', async () => {
    try {
      const picked = await api.importPick(what, input.value.trim() || null);
      if (picked !== null) {
        input.value = picked;
        err.error(null);
      }
    } catch (e) {
      err.error(errorText(toApiError(e)));
    }
  });
  const wrap = h(
    'div',
    { class: 'field' },
    h('label', { class: 'field-label', for: id }, label),
    h('div', { class: 'survey-path-row' }, input, choose),
    err.el,
    h('div', { class: 'field-hint muted' }, hint),
  );
  return { wrap, input, value: () => input.value.trim(), error: err.error, focus: () => input.focus() };
}

// ---------------------------------------------------------------- the mapping as a form

interface MappingForm {
  el: HTMLElement;
  /** The mapping the form shows now. */
  read(): SurveyMapping;
}

/** A column's option label: its name, and a value from it to recognise it by. */
function columnLabel(sheet: SheetColumns, i: number): string {
  const sample = sheet.samples[i];
  return sample ? `${sheet.headers[i]} · ${sample}` : sheet.headers[i];
}

/** The options naming `sheet`'s columns; `current` kept (and marked) when the export lacks it. */
function columnOptions(sheet: SheetColumns | undefined, current: string, prefix = ''): HTMLOptionElement[] {
  const headers = sheet?.headers ?? [];
  const options = headers.map((c, i) => h('option', { value: `${prefix}${c}`, selected: c === current }, sheet ? columnLabel(sheet, i) : c));
  if (current !== '' && !headers.includes(current)) {
    options.unshift(h('option', { value: `${prefix}${current}`, selected: true }, t('survey_import.not_in_export', { column: current })));
  }
  return options;
}

function noneOption(selected: boolean): HTMLOptionElement {
  return h('option', { value: '', selected }, t('survey_import.none'));
}

/** A labelled select for a target field, tagged with `data-field` for tests. */
function selectField(field: string, label: string, select: HTMLSelectElement, hint?: string): HTMLElement {
  select.id = fieldId(`survey-${field}`);
  select.dataset.field = field;
  return h(
    'div',
    { class: 'field' },
    h('label', { class: 'field-label', for: select.id }, label),
    select,
    hint ? h('div', { class: 'field-hint muted' }, hint) : null,
  );
}

/** A select of the columns of `sheet`, '' for none (unless `required`). */
function columnSelect(sheet: SheetColumns | undefined, current: string | undefined, required = false): HTMLSelectElement {
  return h('select', null, required && current ? null : noneOption(!current), columnOptions(sheet, current ?? ''));
}

/** Checkboxes over the columns of `sheet`, the chosen ones first; columns chosen but not in it are kept, marked. */
function checkList(field: string, label: string, sheet: SheetColumns, chosen: string[], onChange: () => void, hint?: string) {
  const item = (column: string, text: string, sample: string, checked: boolean) =>
    h(
      'label',
      { class: 'survey-check-item', title: sample ? `${column}: ${sample}` : column },
      h('input', { type: 'checkbox', value: column, checked, 'data-column': column }),
      h('span', { class: 'survey-check-name' }, text),
      sample ? h('span', { class: 'muted survey-check-sample' }, sample) : null,
    );
  const list = h(
    'div',
    { class: 'survey-checklist', 'data-field': field, role: 'group', 'aria-label': label },
    // The chosen columns first, in the mapping's order (the order of the lines they make).
    chosen.map((c) => {
      const i = sheet.headers.indexOf(c);
      return i < 0 ? item(c, t('survey_import.not_in_export', { column: c }), '', true) : item(c, c, sheet.samples[i] ?? '', true);
    }),
    sheet.headers.flatMap((c, i) => (chosen.includes(c) ? [] : [item(c, c, sheet.samples[i] ?? '', false)])),
  );
  list.addEventListener('change', onChange);
  const count = h('span', { class: 'muted small survey-check-count' });
  const el = h(
    'div',
    { class: 'field' },
    h('span', { class: 'field-label' }, label, ' ', count),
    list,
    hint ? h('div', { class: 'field-hint muted' }, hint) : null,
  );
  const read = () => [...list.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
  const counted = () => {
    count.textContent = t('survey_import.chosen', { n: read().length });
  };
  list.addEventListener('change', counted);
  counted();
  return { el, read };
}

/**
 * Photos in repeat groups: a checkbox per column of every repeat sheet, the
 * chosen first; a chosen column keeps the caption column it came with.
 */
function repeatPhotoList(repeats: SheetColumns[], chosen: NonNullable<SurveyMapping['repeat_photos']>, onChange: () => void) {
  type Choice = { sheet: string; column: string; caption?: string; sample: string; checked: boolean };
  const choices: Choice[] = chosen.map((c) => ({ ...c, sample: '', checked: true }));
  for (const r of repeats) {
    r.headers.forEach((column, i) => {
      // The tools' own link columns are never photos.
      if (column.startsWith('_') || column === 'KEY' || column === 'PARENT_KEY') return;
      const known = choices.find((c) => c.sheet === r.name && c.column === column);
      if (known) known.sample = r.samples[i] ?? '';
      else choices.push({ sheet: r.name, column, sample: r.samples[i] ?? '', checked: false });
    });
  }
  const label = t('survey_import.repeat_photos');
  const list = h(
    'div',
    { class: 'survey-checklist', 'data-field': 'repeat_photos', role: 'group', 'aria-label': label },
    choices.map((c, i) =>
      h(
        'label',
        { class: 'survey-check-item', title: c.sample ? `${c.sheet} › ${c.column}: ${c.sample}` : `${c.sheet} › ${c.column}` },
        h('input', { type: 'checkbox', value: String(i), checked: c.checked, 'data-column': `${c.sheet}/${c.column}` }),
        h('span', { class: 'survey-check-name' }, `${c.sheet} › ${c.column}`),
        c.sample ? h('span', { class: 'muted survey-check-sample' }, c.sample) : null,
      ),
    ),
  );
  list.addEventListener('change', onChange);
  const el = h('div', { class: 'field' }, h('span', { class: 'field-label' }, label), list, h('div', { class: 'field-hint muted' }, t('survey_import.repeat_photos_hint')));
  const read = () =>
    [...list.querySelectorAll<HTMLInputElement>('input:checked')].map((input) => {
      const { sheet, column, caption } = choices[Number(input.value)];
      return caption ? { sheet, column, caption } : { sheet, column };
    });
  return { el, read };
}

/** A `Field` (column or fixed value) as a select's value: `c:<column>` or `v:<value>`. */
function fieldValue(f: MappingField | undefined): string {
  if (!f) return '';
  return 'column' in f ? `c:${f.column}` : `v:${f.value}`;
}

function readField(value: string): MappingField | null {
  if (value.startsWith('c:')) return { column: value.slice(2) };
  if (value.startsWith('v:')) return { value: value.slice(2) };
  return null;
}

function mappingForm(inspected: Inspected, m: SurveyMapping, onChange: () => void): MappingForm {
  const main = inspected.main;

  // ---- the visit
  const date = columnSelect(main, m.visit.date, true);
  const place = columnSelect(main, m.visit.place);
  const participants = columnSelect(main, m.visit.participants);
  const loc = m.visit.location;
  const locMode = h(
    'select',
    null,
    h('option', { value: '', selected: !loc }, t('survey_import.none')),
    h('option', { value: 'geopoint', selected: !!loc && 'geopoint' in loc }, t('survey_import.location_geopoint')),
    h('option', { value: 'split', selected: !!loc && 'split' in loc }, t('survey_import.location_split')),
  );
  const geopoint = columnSelect(main, loc && 'geopoint' in loc ? loc.geopoint : '', true);
  const latitude = columnSelect(main, loc && 'split' in loc ? loc.split.latitude : '', true);
  const longitude = columnSelect(main, loc && 'split' in loc ? loc.split.longitude : '', true);
  const geoField = selectField('visit.location.geopoint', t('survey_import.geopoint'), geopoint);
  const latField = selectField('visit.location.latitude', t('survey_import.latitude'), latitude);
  const lonField = selectField('visit.location.longitude', t('survey_import.longitude'), longitude);
  const locParts = h('div', { class: 'survey-pair' }, geoField, latField, lonField);
  const showLocation = () => {
    geoField.hidden = locMode.value !== 'geopoint';
    latField.hidden = lonField.hidden = locMode.value !== 'split';
    locParts.hidden = locMode.value === '';
  };
  locMode.addEventListener('change', showLocation);
  showLocation();
  const notes = checkList('visit.notes', t('survey_import.notes'), main, m.visit.notes ?? [], onChange);

  const visit = group(
    'group',
    h('h3', { class: 'survey-section-title' }, kindLabel('visit')),
    { class: 'survey-section' },
    h(
      'div',
      { class: 'survey-grid' },
      selectField('visit.date', t('survey_import.date'), date),
      selectField('visit.place', t('survey_import.place'), place),
      selectField('visit.participants', t('survey_import.participants'), participants),
      selectField('visit.location', t('survey_import.location'), locMode),
    ),
    locParts,
    notes.el,
  );

  // ---- the finding, its photos and measurements
  const f = m.finding;
  const title = columnSelect(main, f?.title);
  const sectors = fieldSpec('finding', 'sector')?.options ?? [];
  const sector = h(
    'select',
    null,
    h('optgroup', { label: t('survey_import.from_column') }, columnOptions(main, f && 'column' in f.sector ? f.sector.column : '', 'c:')),
    h(
      'optgroup',
      { label: t('survey_import.same_for_all') },
      sectors.map((s) => h('option', { value: `v:${s}`, selected: fieldValue(f?.sector ?? { value: 'other' }) === `v:${s}` }, enumLabel('sector', s))),
    ),
  );
  const text = checkList('finding.text', t('survey_import.text'), main, f?.text ?? [], onChange);
  const photos = checkList('photos', t('survey_import.photos'), main, m.photos ?? [], onChange, t('survey_import.photos_hint'));

  const repeats = inspected.repeats;
  const repeatPhotos = repeats.length > 0 ? repeatPhotoList(repeats, m.repeat_photos ?? [], onChange) : null;

  // Measurements from a repeat group's sheet: its columns change with the sheet.
  const ms = m.measurements;
  const sheet = h(
    'select',
    null,
    noneOption(!ms),
    repeats.map((r) => h('option', { value: r.name, selected: ms?.sheet === r.name }, t('survey_import.sheet_rows', { sheet: r.name, n: r.rows }))),
  );
  if (ms && !repeats.some((r) => r.name === ms.sheet)) {
    sheet.appendChild(h('option', { value: ms.sheet, selected: true }, t('survey_import.not_in_export', { column: ms.sheet })));
  }
  const repeatHost = h('div', { class: 'survey-grid' });
  let repeatRead: () => SurveyMapping['measurements'] = () => undefined;
  const showRepeat = (current: SurveyMapping['measurements']) => {
    const r = repeats.find((x) => x.name === sheet.value);
    if (sheet.value === '') {
      replace(repeatHost);
      repeatHost.hidden = true;
      repeatRead = () => undefined;
      return;
    }
    const quantity = h('select', null, h('optgroup', { label: t('survey_import.from_column') }, columnOptions(r, current && 'column' in current.quantity ? current.quantity.column : '', 'c:')));
    if (current && 'value' in current.quantity) {
      quantity.appendChild(h('option', { value: `v:${current.quantity.value}`, selected: true }, t('survey_import.fixed_value', { value: current.quantity.value })));
    }
    const value = columnSelect(r, current?.value, true);
    const unit = h(
      'select',
      null,
      h('optgroup', { label: t('survey_import.from_column') }, columnOptions(r, current && 'column' in current.unit ? current.unit.column : '', 'c:')),
      unitOptions(current && 'value' in current.unit ? current.unit.value : ''),
    );
    const mnotes = columnSelect(r, current?.notes);
    replace(
      repeatHost,
      selectField('measurements.quantity', t('survey_import.quantity'), quantity),
      selectField('measurements.value', t('survey_import.value'), value),
      selectField('measurements.unit', t('survey_import.unit'), unit),
      selectField('measurements.notes', t('survey_import.measurement_notes'), mnotes),
    );
    repeatHost.hidden = false;
    repeatRead = () => {
      const q = readField(quantity.value);
      const u = readField(unit.value);
      if (!q || !u || value.value === '') return undefined;
      return { sheet: sheet.value, quantity: q, value: value.value, unit: u, ...(mnotes.value ? { notes: mnotes.value } : {}) };
    };
  };
  sheet.addEventListener('change', () => showRepeat(undefined));
  showRepeat(ms);

  // Measurements from single columns, each with its quantity and unit.
  const columnRows = h('div', { class: 'survey-measure-columns', 'data-testid': 'survey-measurement-columns' });
  const addColumnRow = (mc?: { column: string; quantity: string; unit: string }) => {
    const column = columnSelect(main, mc?.column, true);
    column.setAttribute('aria-label', t('survey_import.column'));
    const quantity = h('input', { type: 'text', value: mc?.quantity ?? '', placeholder: t('survey_import.quantity'), 'aria-label': t('survey_import.quantity') });
    const unit = h('select', { 'aria-label': t('survey_import.unit') }, unitOptions(mc?.unit ?? ''));
    const remove = h('button', { type: 'button', class: 'btn btn-small btn-quiet', title: t('survey_import.remove') }, '×');
    const row = h('div', { class: 'survey-measure-row' }, column, quantity, unit, remove);
    remove.addEventListener('click', () => {
      row.remove();
      onChange();
    });
    quantity.addEventListener('input', onChange);
    columnRows.appendChild(row);
  };
  for (const mc of m.measurement_columns ?? []) addColumnRow(mc);
  const addColumn = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'survey-add-measurement-column' }, t('survey_import.add_column'));
  addColumn.addEventListener('click', () => {
    addColumnRow();
    onChange();
  });
  const readColumns = () =>
    [...columnRows.querySelectorAll<HTMLElement>('.survey-measure-row')].flatMap((row) => {
      const [column, unit] = [...row.querySelectorAll('select')];
      const quantity = row.querySelector('input')?.value.trim() ?? '';
      return column.value && quantity && unit.value ? [{ column: column.value, quantity, unit: unit.value }] : [];
    });

  // A fieldset (without a legend: see dom.group) so that disabling it disables them all.
  const parts = h(
    'fieldset',
    { class: 'survey-parts' },
    h('div', { class: 'survey-grid' }, selectField('finding.sector', t('survey_import.sector'), sector)),
    text.el,
    photos.el,
    repeatPhotos?.el ?? null,
    group(
      'group',
      h('h4', { class: 'survey-section-title' }, kindLabel('measurement', true)),
      { class: 'survey-section survey-subsection' },
      repeats.length > 0 || ms
        ? h('div', { class: 'survey-grid' }, selectField('measurements.sheet', t('survey_import.repeat_sheet'), sheet, t('survey_import.repeat_sheet_hint')))
        : h('p', { class: 'muted small' }, t('survey_import.no_repeats')),
      repeatHost,
      h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('survey_import.measurement_columns')), columnRows, h('div', null, addColumn)),
    ),
  );
  const showParts = () => {
    parts.disabled = title.value === '';
    parts.classList.toggle('disabled', parts.disabled);
  };
  title.addEventListener('change', showParts);
  showParts();

  const finding = group(
    'group',
    h('h3', { class: 'survey-section-title' }, kindLabel('finding')),
    { class: 'survey-section' },
    h('div', { class: 'survey-grid' }, selectField('finding.title', t('survey_import.title_column'), title, t('survey_import.title_hint'))),
    parts,
  );

  const el = h('div', { class: 'survey-mapping-form' }, visit, finding);
  // Checkbox lists call onChange themselves; selects and text fields here.
  el.addEventListener('change', (ev) => {
    if (!(ev.target instanceof HTMLInputElement && ev.target.type === 'checkbox')) onChange();
  });

  const read = (): SurveyMapping => {
    const visitMap: SurveyMapping['visit'] = { date: date.value };
    if (place.value) visitMap.place = place.value;
    if (participants.value) visitMap.participants = participants.value;
    if (locMode.value === 'geopoint' && geopoint.value) visitMap.location = { geopoint: geopoint.value };
    if (locMode.value === 'split' && latitude.value && longitude.value) {
      visitMap.location = { split: { latitude: latitude.value, longitude: longitude.value } };
    }
    const noteColumns = notes.read();
    if (noteColumns.length > 0) visitMap.notes = noteColumns;
    const out: SurveyMapping = { visit: visitMap };
    if (title.value) {
      const textColumns = text.read();
      out.finding = { title: title.value, sector: readField(sector.value) ?? { value: 'other' }, ...(textColumns.length ? { text: textColumns } : {}) };
      const photoColumns = photos.read();
      if (photoColumns.length > 0) out.photos = photoColumns;
      const groupPhotos = repeatPhotos?.read() ?? [];
      if (groupPhotos.length > 0) out.repeat_photos = groupPhotos;
      const repeat = repeatRead();
      if (repeat) out.measurements = repeat;
      const columns = readColumns();
      if (columns.length > 0) out.measurement_columns = columns;
    }
    return out;
  };
  return { el, read };
}

/** The unit catalogue as "the same unit for every row" options (`v:<code>`). */
function unitOptions(current: string): HTMLOptGroupElement[] {
  return unitGroups().map((g) =>
    h(
      'optgroup',
      { label: `${t('survey_import.same_for_all')}: ${dimensionLabel(g.dimension)}` },
      g.codes.map((u) => h('option', { value: `v:${u.code}`, selected: u.code === current }, u.label)),
    ),
  );
}

// ---------------------------------------------------------------- preview and results

function str(v: Value | undefined): string {
  if (v === null || v === undefined) return '';
  return Array.isArray(v) ? v.join(', ') : String(v);
}

/** The first submissions as records: a row each, its problems under it. */
function previewTable(rows: PreviewRow[]): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted' }, t('survey_import.preview_empty'));
  const cell = (records: PreviewRow['records'], kind: string, show: (f: Record<string, Value>) => (HTMLElement | string | null)[]) =>
    h(
      'td',
      { 'data-kind': kind },
      records.filter((r) => r.kind === kind).map((r) => h('div', { class: 'survey-record' }, show(r.fields))),
    );
  return h(
    'table',
    { class: 'sync-table survey-preview-table' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { class: 'num' }, t('survey_import.row')),
        h('th', null, kindLabel('visit')),
        h('th', null, kindLabel('finding')),
        h('th', null, kindLabel('measurement', true)),
        h('th', null, t('survey_import.photos_short')),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map((row) =>
        h(
        'tr',
        { 'data-testid': 'survey-preview-row', 'data-row': row.row, class: row.rejected.length > 0 ? 'rejected' : null },
        h('td', { class: 'num' }, String(row.row)),
        row.rejected.length > 0
          ? h(
              'td',
              { colspan: 4, class: 'survey-row-problems' },
              row.rejected.map((r) => h('div', { 'data-testid': 'survey-preview-problem' }, rejectionText(r))),
            )
          : [
              cell(row.records, 'visit', (f) => [
                h('strong', null, str(f.date)),
                ' ',
                str(f.place),
                f.latitude ? h('div', { class: 'muted small' }, `${str(f.latitude)}, ${str(f.longitude)}`) : null,
                f.participants ? h('div', { class: 'muted small' }, str(f.participants)) : null,
                f.notes ? h('div', { class: 'muted small survey-clip', title: str(f.notes) }, str(f.notes)) : null,
              ]),
              cell(row.records, 'finding', (f) => [
                h('strong', null, str(f.title)),
                f.sector ? h('span', { class: 'survey-sector' }, enumLabel('sector', str(f.sector))) : null,
                f.text ? h('div', { class: 'muted small survey-clip', title: str(f.text) }, str(f.text)) : null,
              ]),
              cell(row.records, 'measurement', (f) => [`${str(f.quantity)}: ${formatDecimal(str(f.value))} ${str(f.unit)}`]),
              cell(row.records, 'attachment', (f) => [str(f.file_name)]),
            ],
        ),
      ),
    ),
  );
}

/** Codes whose translation says less than the engine's English reason. */
const GENERIC_CODES = new Set(['attachment', 'invalid']);

/** Why a row was rejected, in the UI's language where the code has a translation. */
function rejectionReason(r: Rejection): string {
  return GENERIC_CODES.has(r.code) ? r.reason : errorText({ code: r.code, message: r.reason }, r.params);
}

function rejectionText(r: Rejection): string {
  const reason = rejectionReason(r);
  return r.column ? t('survey_import.problem_at', { column: r.column, reason }) : reason;
}

/** The numbers of an import (or a check), each tagged for tests by what it counts. */
function stats(r: SurveyImportReport, testid: string): HTMLElement {
  const item = (stat: string, label: string, n: number, cls = '') =>
    h('div', { class: `survey-stat ${cls}`, 'data-stat': stat }, h('span', { class: 'survey-stat-n' }, String(n)), h('span', { class: 'survey-stat-label' }, label));
  return h(
    'div',
    { class: 'survey-stats', 'data-testid': testid },
    item('visits', kindLabel('visit', true), r.visits),
    item('findings', kindLabel('finding', true), r.findings),
    item('measurements', kindLabel('measurement', true), r.measurements),
    item('photos', t('survey_import.photos_short'), r.photos),
    item('already_imported', t('survey_import.already'), r.already_imported, 'quiet'),
    item('rejected', t('survey_import.rejected'), r.rejected.length, r.rejected.length > 0 ? 'bad' : 'quiet'),
  );
}

/** The rows not imported: sheet, row, column, reason; with Save as CSV after a real import. */
function rejectedTable(rejected: Rejection[], saveable: boolean): HTMLElement {
  const message = h('span', { class: 'muted small', role: 'status', 'data-testid': 'survey-rejections-message' });
  const save = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'survey-save-rejections' }, t('survey_import.save_csv'));
  save.addEventListener('click', async () => {
    save.disabled = true;
    message.classList.remove('error');
    try {
      const path = await api.importSaveRejections();
      message.textContent = path === null ? '' : t('survey_import.saved_csv', { path });
    } catch (e) {
      message.classList.add('error');
      message.textContent = toApiError(e).message;
    } finally {
      save.disabled = false;
    }
  });
  return h(
    'section',
    { class: 'survey-rejected', 'data-testid': 'survey-rejected' },
    h('div', { class: 'survey-rejected-head' }, h('h3', null, t('survey_import.rejected_title', { n: rejected.length })), saveable ? save : null, message),
    h(
      'div',
      { class: 'survey-rejected-scroll' },
      h(
        'table',
        { class: 'sync-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', null, t('survey_import.sheet')),
            h('th', { class: 'num' }, t('survey_import.row')),
            h('th', null, t('survey_import.column')),
            h('th', null, t('survey_import.value')),
            h('th', null, t('survey_import.reason')),
          ),
        ),
        h(
          'tbody',
          null,
          rejected.map((r) =>
            h(
              'tr',
              { 'data-testid': 'survey-rejected-row' },
              h('td', null, r.sheet),
              h('td', { class: 'num' }, String(r.row)),
              h('td', null, r.column),
              h('td', { class: 'survey-rejected-value' }, r.value),
              h('td', null, rejectionReason(r)),
            ),
          ),
        ),
      ),
    ),
  );
}
