// The Estimates tab of a study: the chart of reductions by estimate on top, the
// estimates on the left, and the chosen one's form, inputs and results on the
// right. A new estimate starts from a candidate technology: its methodology,
// name and cost are filled in, and parameters with exactly one measurement of
// the study that fits are linked to it once the estimate is saved.

import { api, toApiError, type Methodology, type Rec, type Value } from './api';
import { reductionsChart, type Bar } from './charts';
import { h, replace } from './dom';
import { inputsPanel, type InputsPanel } from './estimate-inputs';
import { costSection, financeSection, problem, subsidiesSection, workingSection } from './estimate-results';
import type { FormOptions } from './form';
import { enumLabel, t } from './i18n';
import type { ListDetail, ListDetailOptions } from './listdetail';
import { technology } from './schema';
import { setStatus, showError } from './status';

// ---------------------------------------------------------------- one estimate

interface EstimateDetail {
  el: HTMLElement;
  refresh(): Promise<void>;
}

/** Everything under an estimate's form; `changed` runs after the panel itself wrote. */
async function estimateDetail(rec: Rec, studyId: string, changed: () => void): Promise<EstimateDetail> {
  let methodologies: Methodology[] = [];
  try {
    methodologies = await api.methodologies();
  } catch (e) {
    showError(toApiError(e));
  }
  const inputsHost = h('div', { class: 'inputs-host' });
  const working = h('div', { class: 'working-host' });
  const subsidies = h('div', { class: 'subsidies-host' });
  const finance = h('div', { class: 'finance-host' });
  const cost = costSection(() => refresh());
  const el = h('div', { class: 'estimate-detail', 'data-testid': 'estimate-detail', 'data-id': rec.id }, inputsHost, working, subsidies, cost.el, finance);

  let inputs: InputsPanel | null = null;
  let shownMethodology: string | null = null;
  let token = 0;

  const written = async () => {
    await refresh();
    changed();
  };

  async function refresh(): Promise<void> {
    const mine = ++token;
    // Marks the detail as settling, for people (styles) and tests alike.
    el.setAttribute('aria-busy', 'true');
    try {
      const estimate = await api.get('estimate', rec.id);
      if (estimate.deleted_at) return;
      const methodology = String(estimate.fields.methodology ?? '');
      const [records, found, report] = await Promise.all([
        api.list('estimate_input', rec.id),
        api.measurementCandidates(studyId, methodology).catch(() => []),
        api.evaluateEstimate(rec.id),
      ]);
      if (mine !== token) return;
      const m = methodologies.find((x) => x.id === methodology);
      // The parameters follow the methodology: a new one gets a new inputs panel.
      if (methodology !== shownMethodology) {
        shownMethodology = methodology;
        inputs = m ? inputsPanel(m, written) : null;
        replace(inputsHost, inputs?.el ?? problem(t('estimate.unknown_methodology', { id: methodology }), 'estimate-error'));
      }
      const candidates = new Map(found.map((p) => [p.param, p.candidates]));
      inputs?.update({ estimate, inputs: records, candidates, report });
      replace(working, workingSection(report, m, studyId, candidates));
      replace(subsidies, subsidiesSection(report));
      cost.update(report);
      replace(finance, financeSection(report));
    } catch (e) {
      if (mine === token) replace(working, problem(toApiError(e).message, 'estimate-error'));
    } finally {
      if (mine === token) el.removeAttribute('aria-busy');
    }
  }

  await refresh();
  return { el, refresh };
}

// ---------------------------------------------------------------- the chart of reductions

interface ReductionsPanel {
  el: HTMLElement;
  refresh(): Promise<void>;
}

function reductionsPanel(studyId: string, onSelect: (id: string) => void): ReductionsPanel {
  const host = h('div', { class: 'reductions-chart' });
  const el = h(
    'section',
    { class: 'reductions-panel', 'data-testid': 'reductions-panel', 'aria-label': t('estimate.reductions_title'), hidden: true },
    h('h2', { class: 'reductions-title' }, t('estimate.reductions_title')),
    host,
  );
  let token = 0;
  return {
    el,
    async refresh() {
      const mine = ++token;
      try {
        const [reports, techs] = await Promise.all([api.studyEstimates(studyId), api.listCached('technology', studyId)]);
        if (mine !== token) return;
        const techName = new Map(techs.map((x) => [x.id, x.title]));
        const bars: Bar[] = reports.map((r) => ({
          id: r.estimate_id,
          label: r.title,
          sublabel: (r.technology_id && techName.get(r.technology_id)) || enumLabel('methodology', r.methodology),
          value: r.emissions?.reduction_t_per_year ?? null,
        }));
        // Largest first; estimates without a result last. (Numbers only to order the bars.)
        bars.sort((a, b) => (b.value === null ? -Infinity : Number(b.value)) - (a.value === null ? -Infinity : Number(a.value)));
        el.hidden = bars.length === 0;
        replace(host, reductionsChart(bars, onSelect));
      } catch (e) {
        if (mine !== token) return;
        el.hidden = false;
        replace(host, problem(toApiError(e).message, 'reductions-error'));
      }
    },
  };
}

// ---------------------------------------------------------------- a new estimate

/** Chosen technology → its catalogue methodology, its name as the title, its cost. */
function estimatePrefill(studyId: string): NonNullable<FormOptions['prefill']> {
  return async (field, read) => {
    const id = read('technology_id');
    if (field !== 'technology_id' || typeof id !== 'string') return {};
    const tech = (await api.listCached('technology', studyId)).find((x) => x.id === id);
    if (!tech) return {};
    const out: Record<string, Value> = { title: tech.title };
    const methodology = technology(String(tech.fields.tech_type ?? ''))?.methodology;
    if (methodology) out.methodology = methodology;
    if (tech.fields.capex) out.capex = tech.fields.capex;
    if (tech.fields.currency) out.currency = tech.fields.currency;
    return out;
  };
}

/** Links each parameter that exactly one measurement of the study fits; how many were linked. */
async function linkMeasurements(estimate: Rec, studyId: string): Promise<number> {
  let linked = 0;
  try {
    const found = await api.measurementCandidates(studyId, String(estimate.fields.methodology ?? ''));
    for (const p of found) {
      const only = p.candidates.length === 1 ? p.candidates[0] : undefined;
      if (!only) continue;
      await api.create('estimate_input', { estimate_id: estimate.id, name: p.param, measurement_id: only.measurement_id });
      linked++;
    }
  } catch (e) {
    showError(toApiError(e));
  }
  return linked;
}

// ---------------------------------------------------------------- the tab

export interface EstimatesTab {
  /** The chart above the list. */
  top: HTMLElement;
  /** What the tab's list and detail do differently from other tabs. */
  options: Partial<ListDetailOptions>;
  bind(list: ListDetail): void;
  /** After a write in the estimate's own form. */
  written(): void;
  refresh(): Promise<void>;
}

export function estimatesTab(studyId: string, counts: () => void): EstimatesTab {
  let list: ListDetail | null = null;
  let detail: EstimateDetail | null = null;
  const chart = reductionsPanel(studyId, (id) => list?.select(id));

  const created = async (rec: Rec) => {
    const n = await linkMeasurements(rec, studyId);
    if (n > 0) setStatus({ text: t('estimate.linked', { n }) });
    counts();
    await list?.reload();
    await list?.showDetail(true);
    await chart.refresh();
  };

  return {
    top: chart.el,
    options: {
      newTestid: 'new-estimate',
      prefill: estimatePrefill(studyId),
      extras: async (rec) => {
        const d = await estimateDetail(rec, studyId, () => void chart.refresh());
        detail = d;
        return [d.el];
      },
      onCreated: (rec) => void created(rec),
    },
    bind(l) {
      list = l;
    },
    written() {
      void detail?.refresh();
      void chart.refresh();
    },
    refresh: () => chart.refresh(),
  };
}
