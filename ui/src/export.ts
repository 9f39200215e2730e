// The Export dialog (the Export… button of a study): the study as an Excel
// workbook, a folder of CSV files, or its site visits as GeoJSON or KML, for
// the municipality's Excel, the GIS officer's QGIS and Google Earth. The files
// are written by the engine (fieldbook-interop); the native save dialog (a
// folder picker for CSV) asks where.

import { api, type ExportChoice, type ExportFormat, type Exported } from './api';
import { group, h } from './dom';
import { getLang, t } from './i18n';
import { openSaveDialog } from './save_dialog';

const FORMATS: ExportFormat[] = ['xlsx', 'csv', 'geojson', 'kml'];

const REMEMBERED = 'fieldbook.export';

/** The last format and BOM choice; the language follows the UI's unless chosen before. */
function remembered(): ExportChoice {
  const fallback: ExportChoice = { format: 'xlsx', lang: getLang(), no_bom: false };
  try {
    const saved = JSON.parse(localStorage.getItem(REMEMBERED) ?? 'null') as Partial<ExportChoice> | null;
    const merged = { ...fallback, ...saved };
    return FORMATS.includes(merged.format) ? merged : fallback;
  } catch {
    return fallback;
  }
}

/** The status line after an export: what was written and what was left out. */
export function exportedText(format: ExportFormat, e: Exported): string {
  const parts = [
    format === 'csv'
      ? t('study_export.saved_csv', { path: e.path, n: e.files.length, rows: e.rows })
      : format === 'xlsx'
        ? t('study_export.saved_xlsx', { path: e.path, sheets: e.sheets, rows: e.rows })
        : t('study_export.saved_map', { path: e.path, n: e.features }),
  ];
  if (e.without_coordinates > 0) parts.push(t('study_export.without_coordinates', { n: e.without_coordinates }));
  if (e.truncated_cells > 0) parts.push(t('study_export.truncated', { n: e.truncated_cells }));
  return parts.join(' · ');
}

export function openExportDialog(studyId: string): void {
  const choice = remembered();
  const radio = (format: ExportFormat) =>
    h(
      'label',
      { class: 'print-report', 'data-testid': `study-export-${format}` },
      h('input', { type: 'radio', name: 'export-format', value: format, checked: format === choice.format }),
      h('span', null, t(`study_export.format_${format}`)),
    );
  const formats = group('radiogroup', h('span', { class: 'field-label' }, t('study_export.format')), { class: 'print-reports' }, FORMATS.map(radio));
  const lang = h(
    'select',
    { 'data-testid': 'study-export-lang' },
    h('option', { value: 'en', selected: choice.lang === 'en' }, 'English'),
    h('option', { value: 'ja', selected: choice.lang === 'ja' }, '日本語'),
  );
  const noBom = h('input', { type: 'checkbox', checked: choice.no_bom, 'data-testid': 'study-export-no-bom' });
  const bomLabel = h('label', { class: 'print-open' }, noBom, h('span', null, t('study_export.no_bom')));

  const format = (): ExportFormat => {
    const picked = formats.querySelector<HTMLInputElement>('input[name=export-format]:checked')?.value;
    return FORMATS.find((f) => f === picked) ?? 'xlsx';
  };
  const saveBtn = openSaveDialog({
    id: 'study-export',
    title: t('study_export.title'),
    body: [
      formats,
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('study_export.lang')), lang),
      bomLabel,
      h('p', { class: 'muted print-hint' }, t('study_export.hint')),
    ],
    saveLabel: t('study_export.save'),
    busy: t('study_export.exporting'),
    save: async () => {
      const c: ExportChoice = { format: format(), lang: lang.value === 'ja' ? 'ja' : 'en', no_bom: noBom.checked };
      localStorage.setItem(REMEMBERED, JSON.stringify(c));
      const exported = await api.exportStudy(studyId, c);
      return exported ? exportedText(c.format, exported) : null;
    },
  });
  // The BOM matters to CSV only; the language to every format but GeoJSON (its keys are codes).
  const update = () => {
    const f = format();
    noBom.disabled = f !== 'csv';
    bomLabel.classList.toggle('disabled', f !== 'csv');
    lang.disabled = f === 'geojson';
    saveBtn.textContent = t(f === 'csv' ? 'study_export.save_folder' : 'study_export.save');
  };
  formats.addEventListener('change', update);
  update();
}
