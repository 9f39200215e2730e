// An estimate's inputs: one row per parameter of its methodology, each the rule
// pack's default, a measurement of the study (converted by the engine), or a
// value the user types with its source. A row is an estimate_input record made,
// changed or deleted through the generic commands; no record means the default.

import { api, toApiError, type ApiError, type Candidate, type FieldError, type EstimateReport, type Methodology, type MethodologyParam, type Rec, type Value } from './api';
import { h, replace } from './dom';
import { enumLabel, formatDecimal, getLang, has, kindLabel, t } from './i18n';
import { errorText, setStatus, showError } from './status';
import { undoAction } from './undo';

export type Source = 'default' | 'measurement' | 'typed';

export interface InputsData {
  estimate: Rec;
  /** The estimate_input records of the estimate. */
  inputs: Rec[];
  /** Per parameter, the measurements that convert to its unit. */
  candidates: Map<string, Candidate[]>;
  report: EstimateReport | null;
}

export interface InputsPanel {
  el: HTMLElement;
  update(d: InputsData): void;
}

const MONITORING = ['A', 'B', 'C'];

function str(v: Value | undefined): string {
  return v === null || v === undefined ? '' : String(v);
}

function sourceOf(rec: Rec | undefined): Source {
  if (!rec) return 'default';
  return rec.fields.measurement_id ? 'measurement' : 'typed';
}

export function candidateLabel(c: Candidate, unit: string): string {
  const value = `${formatDecimal(c.value)} ${c.unit}`;
  const converted = c.unit === unit && c.value === c.converted ? '' : ` (→ ${formatDecimal(c.converted)} ${unit})`;
  return `${c.finding_title} — ${c.quantity}: ${value}${converted}`;
}

export function describe(p: MethodologyParam): string {
  return getLang() === 'ja' ? p.description_ja : p.description_en;
}

/** What a parameter is called (its code, `volume_m3`, is what the formulas use). */
export function paramLabel(p: MethodologyParam): string {
  return getLang() === 'ja' ? p.label_ja : p.label_en;
}

export function unverifiedFlag(testid?: string): HTMLElement {
  return h('span', { class: 'status-badge status-unverified', 'data-testid': testid, title: t('estimate.unverified_hint') }, t('estimate.unverified'));
}

interface Row {
  name: string;
  el: HTMLElement;
  /** A source chosen but not yet saved (a measurement to pick, a value to type). */
  pending: Source | null;
  update(): void;
  clearError(): void;
  showError(err: ApiError): void;
}

/**
 * The inputs panel of one estimate. Writes go one after another; after each,
 * `written` reloads what the panel and the results show.
 */
export function inputsPanel(methodology: Methodology, written: () => Promise<void>): InputsPanel {
  let data: InputsData | null = null;
  let queue: Promise<void> = Promise.resolve();
  const record = (name: string) => data?.inputs.find((r) => r.fields.name === name);

  const rows = methodology.params.map((p) => inputRow(p));
  const orphans = h('div', { class: 'orphan-inputs' });
  const el = h(
    'section',
    { class: 'estimate-section estimate-inputs', 'data-testid': 'estimate-inputs', 'aria-label': t('estimate.inputs') },
    h('div', { class: 'section-head' }, h('h3', null, t('estimate.inputs'))),
    h('p', { class: 'muted small section-intro' }, t('estimate.inputs_intro')),
    h('div', { class: 'input-rows' }, rows.map((r) => r.el)),
    orphans,
  );

  /** Runs one write of a row, then reloads; an error stays next to the row's field. */
  function run(row: Row, action: (rec: Rec | undefined) => Promise<boolean>): Promise<void> {
    queue = queue.then(async () => {
      if (!data) return;
      try {
        const wrote = await action(record(row.name));
        row.clearError();
        if (!wrote) return;
        row.pending = null;
        setStatus('saved');
        await written();
      } catch (e) {
        setStatus('failed');
        row.showError(toApiError(e));
      }
    });
    return queue;
  }

  function inputRow(p: MethodologyParam): Row {
    const id = `input-${p.name}`;
    const name = paramLabel(p);
    const sourceSelect = h(
      'select',
      { id: `${id}-source`, class: 'source-select', 'data-testid': 'input-source', 'aria-label': t('estimate.input_source', { name }) },
      (['default', 'measurement', 'typed'] as const).map((s) => h('option', { value: s }, t(`estimate.source.${s}`))),
    );
    const measurementSelect = h('select', { 'data-testid': 'input-measurement', 'aria-label': t('estimate.input_measurement', { name }) });
    const valueInput = h('input', {
      type: 'text',
      inputmode: 'decimal',
      autocomplete: 'off',
      class: 'value-input',
      'data-testid': 'input-value',
      placeholder: p.unit,
      'aria-label': t('estimate.input_value', { name, unit: p.unit }),
    });
    const sourceText = h('input', {
      type: 'text',
      autocomplete: 'off',
      class: 'source-text',
      'data-testid': 'input-source-text',
      placeholder: t('estimate.source_placeholder'),
      'aria-label': t('estimate.input_source_text', { name }),
    });
    const monitoringSelect = h(
      'select',
      { 'data-testid': 'input-monitoring', title: t('estimate.monitoring_hint'), 'aria-label': t('estimate.input_monitoring', { name }) },
      h('option', { value: '', 'data-role': 'unset' }, t('estimate.monitoring_none')),
      MONITORING.map((m) => h('option', { value: m }, enumLabel('monitoring', m))),
    );
    const defaultText = h('span', { class: 'input-default-text' });
    const flagHost = h('span', { class: 'input-flag' });
    const errorEl = h('div', { class: 'field-error', role: 'alert', hidden: true });
    const measurementGroup = h('div', { class: 'input-group input-measurement' }, measurementSelect);
    const typedGroup = h('div', { class: 'input-group input-typed' }, valueInput, sourceText);
    const monitoringGroup = h('div', { class: 'input-group input-monitoring' }, monitoringSelect);
    const defaultGroup = h('div', { class: 'input-group input-default' }, defaultText);
    const el = h(
      'div',
      { class: 'input-row', 'data-testid': 'estimate-input', 'data-param': p.name },
      h(
        'div',
        { class: 'input-head' },
        h(
          'label',
          { class: 'input-name', for: `${id}-source` },
          h('span', { class: 'input-label' }, name),
          h('span', { class: 'input-unit' }, p.unit),
          h('code', { class: 'input-code muted', title: t('estimate.param_code') }, p.name),
        ),
        flagHost,
        h('div', { class: 'input-desc muted' }, describe(p)),
      ),
      h('div', { class: 'input-controls' }, sourceSelect, measurementGroup, typedGroup, monitoringGroup, defaultGroup),
      errorEl,
    );

    const row: Row = {
      name: p.name,
      el,
      pending: null,
      update,
      clearError() {
        errorEl.hidden = true;
        errorEl.textContent = '';
        for (const c of [valueInput, sourceText, measurementSelect, monitoringSelect]) c.removeAttribute('aria-invalid');
      },
      showError(err) {
        const byField: Record<string, HTMLElement> = { value: valueInput, source: sourceText, measurement_id: measurementSelect, monitoring: monitoringSelect };
        const list: FieldError[] = err.errors.length > 0 ? err.errors : [{ field: err.field ?? '', code: err.code, message: err.message }];
        errorEl.textContent = list.map((fe) => errorText(fe, fe.params)).join(' · ');
        errorEl.hidden = false;
        for (const fe of list) byField[fe.field]?.setAttribute('aria-invalid', 'true');
      },
    };

    const mode = (): Source => row.pending ?? sourceOf(record(p.name));

    function update(): void {
      const rec = record(p.name);
      const source = mode();
      el.dataset.source = source;
      if (rec) {
        el.dataset.kind = 'estimate_input';
        el.dataset.id = rec.id;
      } else {
        delete el.dataset.kind;
        delete el.dataset.id;
      }
      sourceSelect.value = source;
      measurementGroup.hidden = source !== 'measurement';
      typedGroup.hidden = source !== 'typed';
      monitoringGroup.hidden = source === 'default';
      defaultGroup.hidden = source !== 'default';
      // Unset, the engine takes a linked measurement as option C.
      const unset = monitoringSelect.querySelector('option[data-role=unset]');
      if (unset) unset.textContent = t(source === 'measurement' ? 'estimate.monitoring_measured' : 'estimate.monitoring_none');

      // The measurements to choose from (the linked one even when it no longer converts).
      const linked = str(rec?.fields.measurement_id);
      const candidates = data?.candidates.get(p.name) ?? [];
      if (document.activeElement !== measurementSelect) {
        replace(
          measurementSelect,
          candidates.length === 0
            ? h('option', { value: '', disabled: true }, t('estimate.no_candidates', { unit: p.unit }))
            : h('option', { value: '', disabled: true }, t('form.choose')),
          candidates.map((c) => h('option', { value: c.measurement_id }, candidateLabel(c, p.unit))),
          linked && !candidates.some((c) => c.measurement_id === linked)
            ? h('option', { value: linked }, t('form.missing_ref', { id: linked }))
            : null,
        );
        measurementSelect.value = linked;
      }
      // What is saved shows, unless the user is typing there or has not saved yet.
      if (rec) {
        if (document.activeElement !== valueInput) valueInput.value = str(rec.fields.value);
        if (document.activeElement !== sourceText) sourceText.value = str(rec.fields.source);
        if (document.activeElement !== monitoringSelect) monitoringSelect.value = str(rec.fields.monitoring);
      } else if (row.pending === null) {
        valueInput.value = '';
        sourceText.value = '';
        monitoringSelect.value = '';
      }

      // The default, as the engine used it when it could.
      const used = data?.report?.emissions?.inputs.find((i) => i.name === p.name);
      defaultText.classList.remove('no-default');
      if (used?.provenance.kind === 'reference') {
        defaultText.textContent = t('estimate.default_value', { value: formatDecimal(used.value), unit: p.unit, source: used.provenance.source });
      } else if (p.default !== null) {
        defaultText.textContent = t('estimate.default_value', { value: formatDecimal(p.default), unit: p.unit, source: p.default_source ?? methodology.source });
      } else if (p.default_from) {
        defaultText.textContent = t('estimate.default_fuel', { fuel: has(`fuel.${p.default_from}`) ? t(`fuel.${p.default_from}`) : p.default_from });
      } else if (p.name === 'ef_t_per_mwh') {
        defaultText.textContent = t('estimate.default_grid');
      } else {
        defaultText.textContent = t('estimate.no_default');
        defaultText.classList.add('no-default');
      }
      const unverified = used ? used.unverified : source === 'default' && p.default_status === 'unverified';
      replace(flagHost, unverified ? unverifiedFlag('unverified-flag') : null);
    }

    // ---- the user's changes ----
    sourceSelect.addEventListener('change', () => {
      const chosen = sourceSelect.value as Source;
      row.clearError();
      if (chosen === 'default') {
        row.pending = null;
        void run(row, async (rec) => {
          if (!rec) return false;
          await api.remove('estimate_input', rec.id);
          return true;
        });
      } else {
        row.pending = chosen;
        // Back to a value typed before a measurement was linked: it applies at once.
        if (chosen === 'typed') {
          void run(row, async (rec) => {
            if (!rec?.fields.measurement_id || rec.fields.value === null) return false;
            await api.setField('estimate_input', rec.id, 'measurement_id', null);
            return true;
          });
        }
      }
      update();
      (chosen === 'measurement' ? measurementSelect : chosen === 'typed' ? valueInput : sourceSelect).focus();
    });

    measurementSelect.addEventListener('change', () => {
      const chosen = measurementSelect.value;
      if (!chosen) return;
      void run(row, async (rec) => {
        if (rec) {
          if (rec.fields.measurement_id === chosen) return false;
          await api.setField('estimate_input', rec.id, 'measurement_id', chosen);
        } else {
          await api.create('estimate_input', { estimate_id: data?.estimate.id ?? '', name: p.name, measurement_id: chosen });
        }
        return true;
      });
    });

    const commitValue = () =>
      run(row, async (rec) => {
        const value = valueInput.value.trim() === '' ? null : valueInput.value.trim();
        if (rec) {
          let wrote = false;
          // The value first: when it is refused, nothing has changed.
          if (str(rec.fields.value) !== str(value)) {
            await api.setField('estimate_input', rec.id, 'value', value);
            wrote = true;
          }
          if (rec.fields.measurement_id && value !== null) {
            await api.setField('estimate_input', rec.id, 'measurement_id', null);
            wrote = true;
          }
          return wrote;
        }
        if (value === null) return false;
        const fields: Record<string, Value> = { estimate_id: data?.estimate.id ?? '', name: p.name, value };
        if (sourceText.value.trim()) fields.source = sourceText.value.trim();
        if (monitoringSelect.value) fields.monitoring = monitoringSelect.value;
        await api.create('estimate_input', fields);
        return true;
      });
    const commitField = (field: 'source' | 'monitoring', control: HTMLInputElement | HTMLSelectElement) =>
      run(row, async (rec) => {
        const value = control.value.trim() === '' ? null : control.value.trim();
        if (!rec || str(rec.fields[field]) === str(value)) return false; // saved with the value
        await api.setField('estimate_input', rec.id, field, value);
        return true;
      });

    valueInput.addEventListener('change', () => void commitValue());
    sourceText.addEventListener('change', () => void commitField('source', sourceText));
    monitoringSelect.addEventListener('change', () => void commitField('monitoring', monitoringSelect));
    for (const input of [valueInput, sourceText]) {
      input.addEventListener('keydown', (ev) => {
        if (ev.key !== 'Enter' || ev.isComposing) return;
        ev.preventDefault();
        void (input === valueInput ? commitValue() : commitField('source', sourceText));
      });
    }
    return row;
  }

  /** Inputs saved for parameters the methodology does not have (it was changed). */
  function updateOrphans(): void {
    const names = new Set(methodology.params.map((p) => p.name));
    const stray = (data?.inputs ?? []).filter((r) => !names.has(str(r.fields.name)));
    replace(
      orphans,
      stray.length === 0
        ? null
        : [
            h('p', { class: 'muted small' }, t('estimate.orphans', { methodology: enumLabel('methodology', methodology.id) })),
            h(
              'ul',
              { class: 'orphan-list' },
              stray.map((r) =>
                h(
                  'li',
                  { 'data-testid': 'orphan-input', 'data-kind': 'estimate_input', 'data-id': r.id },
                  h('code', null, str(r.fields.name)),
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'btn btn-small btn-quiet danger-hover',
                      'data-testid': 'delete',
                      onclick: () => {
                        queue = queue.then(async () => {
                          try {
                            await api.remove('estimate_input', r.id);
                            setStatus({ text: t('status.moved_to_trash', { title: `${kindLabel('estimate_input')} ${str(r.fields.name)}` }), action: undoAction() });
                            await written();
                          } catch (e) {
                            showError(toApiError(e));
                          }
                        });
                      },
                    },
                    t('action.delete'),
                  ),
                ),
              ),
            ),
          ],
    );
  }

  return {
    el,
    update(d) {
      data = d;
      for (const r of rows) r.update();
      updateOrphans();
    },
  };
}
