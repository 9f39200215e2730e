// The Exchange section of the Sync page: export a bundle (everything, or what
// one laptop has not seen yet) with its progress and a Cancel; import bundle
// files chosen in the native dialog, picked with the file input or dropped,
// one by one, each with a summary of what it brought (or why it was refused).

import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { api, toApiError, type ApiError, type ImportReport, type Progress, type TeamView } from './api';
import { deviceNamer, type DeviceNamer } from './changes';
import { h, replace } from './dom';
import { t } from './i18n';
import { errorText, setStatus } from './status';

export interface ExchangeSection {
  el: HTMLElement;
  /** The export targets follow the team's laptops; without a team nothing can be exchanged. */
  setTeam(team: TeamView | null): void;
}

export interface ExchangeOptions {
  /** After an import: everything shown may have changed. */
  imported(): Promise<void>;
  showConflicts(): void;
}

type Outcome = { name: string; report: ImportReport } | { name: string; error: ApiError };

function stat(key: string, label: string, n: number): HTMLElement {
  return h('div', { class: `fact${n > 0 ? ' nonzero' : ''}`, 'data-stat': key }, h('dt', null, label), h('dd', null, String(n)));
}

function summary(o: Outcome, who: DeviceNamer, showConflicts: () => void): HTMLElement {
  if ('error' in o) {
    const main = errorText(o.error);
    return h(
      'div',
      { class: 'import-error', 'data-testid': 'import-error', 'data-code': o.error.code, role: 'alert' },
      h('div', { class: 'import-head' }, o.name ? h('strong', null, o.name) : null, h('span', null, t('import.refused'))),
      h('p', { class: 'import-message' }, main),
      main !== o.error.message ? h('p', { class: 'small' }, o.error.message) : null,
      h('p', { class: 'muted small' }, t('import.nothing_changed')),
    );
  }
  const r = o.report;
  const s = r.summary;
  const from = [t('import.from', { device: who(r.sender) })];
  if (r.part !== null && r.parts !== null) from.push(t('import.part', { part: r.part, parts: r.parts }));
  return h(
    'div',
    { class: 'import-summary', 'data-testid': 'import-summary', 'data-sender': r.sender, 'data-bundle': r.bundle_id },
    h('div', { class: 'import-head' }, o.name ? h('strong', null, o.name) : null, h('span', { 'data-testid': 'import-sender' }, from.join(' · '))),
    h(
      'dl',
      { class: 'facts import-facts' },
      stat('ops_new', t('import.ops_new'), s.ops_new),
      stat('ops_known', t('import.ops_known'), s.ops_known),
      stat('records_new', t('import.records_new'), s.records_new),
      stat('records_changed', t('import.records_changed'), s.records_changed),
      stat('photos_new', t('import.photos_new'), r.photos_new),
      stat('conflicts_new', t('import.conflicts_new'), s.conflicts_new),
    ),
    s.conflicts_new > 0
      ? h(
          'button',
          { type: 'button', class: 'btn btn-small see-conflicts', 'data-testid': 'import-see-conflicts', onclick: showConflicts },
          t('import.see_conflicts', { n: s.conflicts_new }),
        )
      : null,
    s.ops_not_applied > 0 ? h('p', { class: 'muted small' }, t('import.not_applied', { n: s.ops_not_applied })) : null,
    r.devices_learned > 0 ? h('p', { class: 'muted small' }, t('import.devices_learned', { n: r.devices_learned })) : null,
  );
}

export function exchangeSection(opts: ExchangeOptions): ExchangeSection {
  let teamPresent = false;
  let cancelled = false;

  // ---- export ----
  const target = h('select', { class: 'export-target', 'data-testid': 'export-target', 'aria-label': t('export.target') });
  const exportBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'export-bundle', onclick: () => void runExport() }, t('export.button'));
  const bar = h('progress', { class: 'export-bar', 'data-testid': 'export-progress' });
  const barText = h('span', { class: 'muted small', role: 'status' });
  const cancelBtn = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small btn-quiet',
      'data-testid': 'export-cancel',
      onclick: () => {
        cancelled = true;
        cancelBtn.disabled = true;
        void api.bundleCancel().catch(() => undefined);
      },
    },
    t('action.cancel'),
  );
  const progress = h('div', { class: 'export-progress', hidden: true }, bar, barText, cancelBtn);
  const exportResult = h('div', { class: 'export-result-host' });

  const showProgress = (p: Progress) => {
    if (p.stage === 'photos' && p.total > 0) {
      bar.max = p.total;
      bar.value = p.done;
      barText.textContent = t('export.progress_photos', { done: p.done, total: p.total });
    } else {
      bar.removeAttribute('value');
      barText.textContent = p.stage === 'ops' ? t('export.progress_ops', { n: p.count }) : t('export.progress_writing');
    }
  };

  async function runExport(): Promise<void> {
    cancelled = false;
    exportBtn.disabled = true;
    target.disabled = true;
    cancelBtn.disabled = false;
    bar.removeAttribute('value');
    barText.textContent = t('export.choose_file');
    progress.hidden = false;
    replace(exportResult);
    let unlisten: UnlistenFn | null = null;
    try {
      unlisten = await listen<Progress>('sync-progress', (ev) => showProgress(ev.payload));
    } catch {
      // Events not allowed to this window: the bar stays indeterminate.
    }
    try {
      const out = await api.bundleExport(target.value || null);
      if (out) {
        setStatus({ text: t('export.done_status') });
        replace(
          exportResult,
          h(
            'div',
            { class: 'export-result', 'data-testid': 'export-result' },
            h('p', null, t('export.done', { ops: out.ops, photos: out.photos })),
            out.files.length > 1 ? h('p', { class: 'small' }, t('export.parts', { n: out.files.length })) : null,
            h('ul', { class: 'file-list' }, out.files.map((f) => h('li', null, h('code', { class: 'path' }, f)))),
          ),
        );
      }
    } catch (e) {
      const err = toApiError(e);
      replace(
        exportResult,
        cancelled
          ? h('p', { class: 'muted', 'data-testid': 'export-cancelled' }, t('export.cancelled'))
          : h('p', { class: 'sync-problem', role: 'alert', 'data-testid': 'export-error' }, errorText(err)),
      );
    } finally {
      unlisten?.();
      progress.hidden = true;
      exportBtn.disabled = !teamPresent;
      target.disabled = !teamPresent;
    }
  }

  // ---- import ----
  const results = h('div', { class: 'import-results', 'data-testid': 'import-results', 'aria-live': 'polite' });
  const busy = h('span', { class: 'muted small busy', role: 'status' });
  const importBar = h('progress', { class: 'export-bar', 'data-testid': 'import-progress', hidden: true });
  // The file being imported ("file 2 of 3"), then the stage the backend reports.
  let fileLabel = '';
  const importStage = (p: Progress) => {
    if (p.stage === 'photos' && p.total > 0) {
      importBar.max = p.total;
      importBar.value = p.done;
    } else {
      importBar.removeAttribute('value');
    }
    const stage =
      p.stage === 'checking'
        ? t('import.progress_checking')
        : p.stage === 'photos'
          ? t('import.progress_photos', { done: p.done, total: p.total })
          : p.stage === 'merging'
            ? t('import.progress_merging', { n: p.count })
            : '';
    busy.textContent = [fileLabel, stage].filter(Boolean).join(' ');
  };
  const pickBtn = h('button', { type: 'button', class: 'btn', 'data-testid': 'import-pick', onclick: () => void runPick() }, t('import.pick'));
  const fileInput = h('input', {
    type: 'file',
    class: 'file-input',
    multiple: true,
    accept: '.fsb',
    'data-testid': 'bundle-input',
    'aria-label': t('import.choose_files'),
    title: t('import.choose_files'),
  });
  fileInput.addEventListener('change', () => {
    const files = fileInput.files ? [...fileInput.files] : [];
    fileInput.value = '';
    void importFiles(files);
  });

  const show = async (outcomes: Outcome[]) => {
    const who = await deviceNamer();
    replace(results, outcomes.map((o) => summary(o, who, opts.showConflicts)));
  };

  let stopListening: UnlistenFn | null = null;
  const importing = async (on: boolean) => {
    pickBtn.disabled = on || !teamPresent;
    fileInput.disabled = on || !teamPresent;
    importBar.hidden = !on;
    importBar.removeAttribute('value');
    stopListening?.();
    stopListening = null;
    if (on) {
      try {
        stopListening = await listen<Progress>('sync-import-progress', (ev) => importStage(ev.payload));
      } catch {
        // Events not allowed to this window: the bar stays indeterminate.
      }
    } else {
      busy.textContent = '';
      fileLabel = '';
    }
  };

  async function importFiles(files: File[]): Promise<void> {
    if (files.length === 0) return;
    await importing(true);
    replace(results);
    const outcomes: Outcome[] = [];
    try {
      for (const [i, file] of files.entries()) {
        fileLabel = t('import.busy', { n: i + 1, total: files.length });
        busy.textContent = fileLabel;
        try {
          const bytes = Array.from(new Uint8Array(await file.arrayBuffer()));
          outcomes.push({ name: file.name, report: await api.bundleImportBytes(bytes) });
        } catch (e) {
          outcomes.push({ name: file.name, error: toApiError(e) });
        }
      }
    } finally {
      await importing(false);
    }
    await finish(outcomes);
  }

  async function runPick(): Promise<void> {
    await importing(true);
    fileLabel = t('import.busy_pick');
    busy.textContent = fileLabel;
    let outcomes: Outcome[] | null;
    try {
      const reports = await api.bundleImportPick();
      outcomes = reports ? reports.map((report) => ({ name: '', report })) : null;
    } catch (e) {
      outcomes = [{ name: '', error: toApiError(e) }];
    } finally {
      await importing(false);
    }
    if (outcomes) await finish(outcomes);
  }

  async function finish(outcomes: Outcome[]): Promise<void> {
    const ok = outcomes.filter((o) => 'report' in o).length;
    setStatus({ text: t('import.done_status', { n: ok, total: outcomes.length }) });
    // The team may have learned laptops (their labels name the senders).
    await opts.imported();
    await show(outcomes);
  }

  const importCard = h(
    'div',
    { class: 'exchange-card import-card' },
    h('h3', null, t('import.title')),
    h('p', { class: 'muted small' }, t('import.intro')),
    h(
      'div',
      { class: 'exchange-row' },
      pickBtn,
      h('label', { class: 'file-label' }, fileInput, h('span', { class: 'file-label-text' }, t('import.choose_files'))),
      importBar,
      busy,
    ),
    results,
  );
  // Bundle files dropped anywhere on the import card.
  importCard.addEventListener('dragover', (ev) => {
    if (teamPresent && ev.dataTransfer?.types.includes('Files')) {
      ev.preventDefault();
      importCard.classList.add('dragging');
    }
  });
  importCard.addEventListener('dragleave', () => importCard.classList.remove('dragging'));
  importCard.addEventListener('drop', (ev) => {
    importCard.classList.remove('dragging');
    if (teamPresent && ev.dataTransfer?.files.length) {
      ev.preventDefault();
      void importFiles([...ev.dataTransfer.files]);
    }
  });

  const noTeam = h('p', { class: 'sync-notice', 'data-testid': 'exchange-no-team', hidden: true }, t('exchange.no_team'));
  const el = h(
    'section',
    { class: 'sync-section exchange', 'data-testid': 'exchange', 'aria-label': t('exchange.title') },
    h('div', { class: 'section-head' }, h('h2', null, t('exchange.title'))),
    h('p', { class: 'section-intro muted' }, t('exchange.intro')),
    noTeam,
    h(
      'div',
      { class: 'exchange-grid' },
      h(
        'div',
        { class: 'exchange-card' },
        h('h3', null, t('export.title')),
        h('p', { class: 'muted small' }, t('export.intro')),
        h('div', { class: 'exchange-row' }, target, exportBtn),
        progress,
        exportResult,
      ),
      importCard,
    ),
  );

  return {
    el,
    setTeam(team) {
      teamPresent = team !== null;
      noTeam.hidden = teamPresent;
      const chosen = target.value;
      replace(
        target,
        h('option', { value: '' }, t('export.everything')),
        (team?.devices ?? [])
          .filter((d) => !d.this_laptop && !d.revoked_at)
          .map((d) => h('option', { value: d.actor }, t('export.for_device', { label: d.label }))),
      );
      if ([...target.options].some((o) => o.value === chosen)) target.value = chosen;
      const running = !progress.hidden;
      exportBtn.disabled = running || !teamPresent;
      target.disabled = running || !teamPresent;
      pickBtn.disabled = !teamPresent;
      fileInput.disabled = !teamPresent;
    },
  };
}
