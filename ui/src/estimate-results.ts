// What the engine worked out for one estimate, shown with its working: the
// emission reduction, the subsidy under each scheme side by side, cost-
// effectiveness, and finance with and without the subsidy. Every figure is the
// engine's decimal string; the UI only groups digits and moves decimal points.

import { api, toApiError, type Candidate, type Conversion, type EstimateReport, type FinanceCase, type InputShown, type Methodology, type RuleStatus, type SubsidyLine } from './api';
import { cashFlowChart } from './charts';
import { isNegative, money, num, percent } from './decimal';
import { h, replace } from './dom';
import { candidateLabel, describe, paramLabel, unverifiedFlag } from './estimate-inputs';
import { enumLabel, formatDecimal, getLang, has, t } from './i18n';
import { navigate } from './router';
import { setStatus } from './status';

// ---------------------------------------------------------------- the engine's messages

/** Engine messages the UI can say in the user's language (the rest shows as it comes). */
const MESSAGES: [RegExp, string][] = [
  [/^no exchange rate between (?<from>\w+) and (?<to>\w+)/, 'engine.no_rate'],
  [/^the exchange rate (?<from>\w+) → (?<to>\w+) of (?<date>\S+) is zero/, 'engine.zero_rate'],
  [/^missing: the capex and its currency$/, 'engine.no_capex'],
  [/^missing: the partner city's country/, 'engine.no_country'],
  [/^missing: an eligible JCM Model Project subsidy$/, 'engine.no_jcm_subsidy'],
  [/^missing: the reduction over the durable years$/, 'engine.no_lifetime_reduction'],
  [/^missing: the capex, its currency and the discount rate$/, 'engine.no_finance_inputs'],
  [/^missing: the finance lifetime in years$/, 'engine.no_finance_years'],
  [/^\S+ needs (?<name>\w+) \((?<unit>[^)]*)\)/, 'engine.missing_param'],
  [/^the legal durable years of \S+ are not set/, 'engine.no_durable_years'],
  [/^\S+: (?<name>\w+) must not be negative$/, 'engine.negative_param'],
  [/^\S+: (?<name>\w+) must be above zero/, 'engine.zero_param'],
  [/^\S+ has no parameter '(?<name>\w+)'/, 'engine.unknown_param'],
  [/^the subsidy is larger than the capex$/, 'engine.subsidy_above_capex'],
  [/^the discount rate must be above -100 %/, 'engine.bad_rate'],
  [/^the lifetime must be at least one year$/, 'engine.no_years'],
  [/^unknown edition '(?<edition>[^']*)'/, 'engine.unknown_edition'],
  [/^the reduction over the durable years is zero/, 'engine.no_reduction'],
];

/**
 * An engine problem in words, with a way to the exchange rates when one is
 * missing; a parameter it names is called by its label when `m` has it.
 */
export function problem(message: string, testid: string, m?: Methodology): HTMLElement {
  let text = message;
  let rate = false;
  for (const [re, key] of MESSAGES) {
    const found = re.exec(message);
    if (found) {
      const groups = { ...found.groups };
      const param = m?.params.find((p) => p.name === groups.name);
      if (param) groups.name = paramLabel(param);
      text = t(key, groups);
      rate = key === 'engine.no_rate' || key === 'engine.zero_rate';
      break;
    }
  }
  return h(
    'div',
    { class: 'estimate-problem', 'data-testid': testid, role: 'alert', title: text === message ? null : message },
    h('span', null, text),
    rate
      ? h(
          'button',
          {
            type: 'button',
            class: 'btn btn-small',
            'data-testid': 'open-exchange-rates',
            onclick: () => void navigate({ page: 'exchange_rates', selectedId: null, creating: true }),
          },
          t('estimate.add_rate'),
        )
      : null,
  );
}

function statusBadge(status: RuleStatus | null | undefined): HTMLElement | null {
  return status === 'unverified' ? unverifiedFlag('status-unverified') : null;
}

function section(testid: string, title: string, ...children: (Node | null)[]): HTMLElement {
  return h(
    'section',
    { class: `estimate-section ${testid}`, 'data-testid': testid, 'aria-label': title },
    h('div', { class: 'section-head' }, h('h3', null, title)),
    children,
  );
}

function facts(rows: [string, Node | string | null, Record<string, string>?][]): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    rows.map(([label, value, attrs]) => h('div', { class: 'fact', ...attrs }, h('dt', null, label), h('dd', null, value ?? '—'))),
  );
}

/** “10,000,000,000 IDR × 0.0077 = 77,000,000 JPY (rate of 2019-01-31: source)”. */
function conversionText(c: Conversion): string {
  return t('estimate.conversion', {
    amount: money(c.amount, c.from_currency),
    rate: num(c.rate, 8),
    converted: money(c.converted, c.to_currency),
    date: c.date,
    source: c.source ?? t('estimate.no_source'),
  });
}

// ---------------------------------------------------------------- working

function methodologyName(m: Methodology): string {
  return getLang() === 'ja' ? m.name_ja : m.name_en;
}

function provenance(i: InputShown, studyId: string, candidates: Candidate[]): Node {
  const p = i.provenance;
  switch (p.kind) {
    case 'measurement': {
      const c = candidates.find((x) => x.measurement_id === p.measurement_id);
      return h(
        'button',
        {
          type: 'button',
          class: 'link',
          'data-testid': 'provenance-link',
          'data-finding': p.finding_id,
          onclick: () =>
            void navigate({ page: 'study', studyId, tab: 'findings', selectedId: p.finding_id, focus: { kind: 'measurement', id: p.measurement_id } }),
        },
        c ? t('estimate.from_measurement', { what: candidateLabel(c, i.unit) }) : t('estimate.from_measurement_short'),
      );
    }
    case 'reference':
      return h('span', null, t('estimate.from_reference', { source: p.source }), ' ', statusBadge(p.status));
    case 'user':
      return h('span', null, t('estimate.from_user', { source: p.source }));
  }
}

export function workingSection(r: EstimateReport, m: Methodology | undefined, studyId: string, candidates: Map<string, Candidate[]>): HTMLElement {
  const e = r.emissions;
  const formulas = e ?? m;
  const perYear = (v: string) => t('estimate.t_per_year', { n: num(v) });
  return section(
    'estimate-working',
    t('estimate.working'),
    m
      ? h('p', { class: 'muted small section-intro' }, t('estimate.methodology_source', { name: methodologyName(m), source: m.source }), ' ', statusBadge(m.status))
      : null,
    formulas
      ? h(
          'div',
          { class: 'formulas' },
          h('div', { class: 'formula', 'data-testid': 'formula-reference' }, h('span', { class: 'formula-label' }, t('estimate.reference_formula')), h('code', null, formulas.reference_formula)),
          h('div', { class: 'formula', 'data-testid': 'formula-project' }, h('span', { class: 'formula-label' }, t('estimate.project_formula')), h('code', null, formulas.project_formula)),
        )
      : null,
    r.emissions_error ? problem(r.emissions_error, 'estimate-error', m) : null,
    e
      ? h(
          'table',
          { class: 'working-table' },
          h(
            'thead',
            null,
            h('tr', null, h('th', null, t('estimate.col.param')), h('th', { class: 'num' }, t('estimate.col.value')), h('th', null, t('estimate.col.unit')), h('th', null, t('estimate.col.provenance')), h('th', null, t('estimate.col.monitoring'))),
          ),
          h(
            'tbody',
            null,
            e.inputs.map((i) => {
              const param = m?.params.find((p) => p.name === i.name);
              return h(
                'tr',
                { 'data-testid': 'working-input', 'data-param': i.name, 'data-provenance': i.provenance.kind },
                h('td', { title: param ? describe(param) : null }, param ? paramLabel(param) : h('code', null, i.name)),
                h('td', { class: 'num' }, formatDecimal(i.value)),
                h('td', null, i.unit),
                h('td', { class: 'provenance' }, provenance(i, studyId, candidates.get(i.name) ?? [])),
                h('td', { title: i.monitoring ? enumLabel('monitoring', i.monitoring) : null }, i.monitoring ?? '—'),
              );
            }),
          ),
        )
      : null,
    e
      ? facts([
          [t('estimate.reference_emissions'), perYear(e.reference_t_per_year)],
          [t('estimate.project_emissions'), perYear(e.project_t_per_year)],
          [
            t('estimate.reduction'),
            h('strong', { 'data-testid': 'result-reduction', 'data-value': e.reduction_t_per_year }, perYear(e.reduction_t_per_year)),
            { class: 'fact key' },
          ],
          [t('estimate.reduction_unrounded'), h('span', { 'data-testid': 'result-unrounded' }, perYear(e.reduction_t_per_year_unrounded))],
          [
            t('estimate.durable_years'),
            e.durable_years === null
              ? t('estimate.durable_years_unset')
              : h(
                  'span',
                  { 'data-testid': 'result-durable-years', 'data-value': String(e.durable_years) },
                  t('estimate.years', { n: e.durable_years }),
                  e.durable_years_source ? h('span', { class: 'muted small' }, ` — ${e.durable_years_source} `) : null,
                  statusBadge(e.durable_years_status),
                ),
          ],
          [
            t('estimate.lifetime'),
            e.lifetime_reduction_t === null
              ? t('estimate.durable_years_unset')
              : h('strong', { 'data-testid': 'result-lifetime', 'data-value': e.lifetime_reduction_t }, t('estimate.tonnes', { n: num(e.lifetime_reduction_t) })),
            { class: 'fact key' },
          ],
        ])
      : null,
  );
}

// ---------------------------------------------------------------- subsidies

function schemeName(scheme: string): string {
  const key = `estimate.scheme.${scheme}`;
  return has(key) ? t(key) : scheme;
}

function subsidyCard(line: SubsidyLine): HTMLElement {
  const r = line.result;
  const verdict = r ? (r.eligible ? 'fits' : 'does_not_fit') : 'unknown';
  const label = r ? (r.eligible ? t('estimate.eligible') : t('estimate.not_eligible')) : t('advice.verdict.unknown');
  return h(
    'article',
    {
      class: `subsidy-card scheme-card verdict-border-${verdict}`,
      'data-testid': 'subsidy-card',
      'data-scheme': line.scheme,
      'data-eligible': r ? String(r.eligible) : '',
      'aria-label': schemeName(line.scheme),
    },
    h('div', { class: 'scheme-head' }, h('h4', { class: 'scheme-name' }, schemeName(line.scheme)), h('span', { class: `verdict verdict-${verdict}`, 'data-testid': 'subsidy-verdict' }, label)),
    r
      ? facts([
          [
            t('estimate.subsidy_amount'),
            h('strong', { 'data-testid': 'subsidy-amount', 'data-value': r.amount, 'data-currency': r.currency }, money(r.amount, r.currency)),
            { class: 'fact key' },
          ],
          [t('estimate.subsidy_rate'), `${percent(r.rate)} %`],
          [t('estimate.cap_applied'), r.cap_applied ? t('estimate.yes') : t('estimate.no')],
          [t('estimate.edition'), h('span', null, r.edition, ' ', statusBadge(r.status))],
        ])
      : facts([[t('estimate.edition'), line.edition || '—']]),
    line.cost_conversion
      ? h('p', { class: 'conversion small', 'data-testid': 'subsidy-conversion' }, conversionText(line.cost_conversion))
      : null,
    line.error ? problem(line.error, 'subsidy-error') : null,
    r && r.reasons.length > 0 ? h('ul', { class: 'reasons small' }, r.reasons.map((x) => h('li', null, x))) : null,
    r ? h('p', { class: 'muted small rule-source' }, t('estimate.rule_source', { source: r.source })) : null,
  );
}

export function subsidiesSection(r: EstimateReport): HTMLElement {
  return section(
    'estimate-subsidies',
    t('estimate.subsidies'),
    h('p', { class: 'muted small section-intro' }, r.host_country ? t('estimate.subsidies_intro', { country: r.host_country }) : t('estimate.subsidies_no_country')),
    h('div', { class: 'subsidy-grid' }, r.subsidies.map(subsidyCard)),
  );
}

// ---------------------------------------------------------------- cost-effectiveness

export interface CostSection {
  el: HTMLElement;
  update(r: EstimateReport): void;
}

/** JPY per tonne against the threshold, which the user may set (for every estimate). */
export function costSection(written: () => Promise<void>): CostSection {
  const result = h('div', { class: 'ce-result' });
  const input = h('input', {
    id: 'cost-threshold',
    type: 'text',
    inputmode: 'decimal',
    autocomplete: 'off',
    class: 'threshold-input',
    'data-testid': 'threshold-input',
  });
  const error = h('div', { class: 'field-error', role: 'alert', hidden: true });
  let saved = '';
  let busy: Promise<void> = Promise.resolve();

  const commit = () =>
    (busy = busy.then(async () => {
      const value = input.value.trim();
      if (value === saved) return;
      try {
        await api.setCostThreshold(value);
        saved = value;
        error.hidden = true;
        input.removeAttribute('aria-invalid');
        setStatus('saved');
        await written();
      } catch (e) {
        const err = toApiError(e);
        error.textContent = err.code === 'invalid' ? t('estimate.threshold_invalid') : err.message;
        error.hidden = false;
        input.setAttribute('aria-invalid', 'true');
        setStatus('failed');
      }
    }));
  input.addEventListener('change', () => void commit());
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.isComposing) {
      ev.preventDefault();
      void commit();
    }
  });

  const el = section(
    'cost-effectiveness',
    t('estimate.cost_effectiveness'),
    result,
    h(
      'div',
      { class: 'field threshold-field' },
      h('label', { class: 'field-label', for: 'cost-threshold' }, t('estimate.threshold_label')),
      input,
      h('div', { class: 'field-hint muted' }, t('estimate.threshold_hint')),
      error,
    ),
  );

  return {
    el,
    update(r) {
      const ce = r.cost_effectiveness;
      if (ce) {
        el.dataset.within = String(ce.within_threshold);
        if (document.activeElement !== input && error.hidden) {
          saved = ce.threshold_from === 'setting' ? ce.threshold_jpy_per_t : '';
          input.value = saved;
        }
        input.placeholder = ce.threshold_from === 'rule_pack' ? ce.threshold_jpy_per_t : '';
        const verdict = ce.within_threshold ? 'fits' : 'does_not_fit';
        replace(
          result,
          facts([
            [
              t('estimate.jpy_per_t'),
              h('strong', { 'data-testid': 'ce-value', 'data-value': ce.jpy_per_t }, t('estimate.jpy_per_t_value', { n: num(ce.jpy_per_t) })),
              { class: 'fact key' },
            ],
            [
              t('estimate.threshold'),
              h(
                'span',
                { 'data-testid': 'ce-threshold', 'data-from': ce.threshold_from },
                t('estimate.jpy_per_t_value', { n: num(ce.threshold_jpy_per_t) }),
                h('span', { class: 'muted small' }, ` — ${t(`estimate.threshold_from.${ce.threshold_from}`)} `),
                statusBadge(ce.threshold_status),
              ),
            ],
            [
              t('estimate.verdict'),
              h('span', { class: `verdict verdict-${verdict}`, 'data-testid': 'ce-verdict' }, ce.within_threshold ? t('estimate.within') : t('estimate.above')),
            ],
          ]),
        );
      } else {
        delete el.dataset.within;
        replace(result, problem(r.cost_effectiveness_error ?? '', 'ce-error'));
      }
    },
  };
}

// ---------------------------------------------------------------- finance

type Row = [key: string, show: (c: FinanceCase, currency: string | null) => string];

const FINANCE_ROWS: Row[] = [
  ['npv', (c, cur) => money(c.npv, cur)],
  ['irr', (c) => (c.irr === null ? t('finance.no_irr') : `${percent(c.irr)} %`)],
  ['simple_payback', (c) => (c.simple_payback_years === null ? t('finance.never') : t('finance.years', { n: num(c.simple_payback_years, 1) }))],
  ['discounted_payback', (c) => (c.discounted_payback_years === null ? t('finance.never') : t('finance.years', { n: num(c.discounted_payback_years, 1) }))],
  [
    'cost_per_t',
    (c, cur) => {
      const v = c.cost_per_t_abated;
      if (v === null) return '—';
      const amount = t('finance.per_t', { amount: money(v, cur) });
      return isNegative(v) ? `${amount} ${t('finance.saves')}` : amount;
    },
  ],
  ['upfront', (c, cur) => money(c.upfront_cost, cur)],
];

export function financeSection(r: EstimateReport): HTMLElement {
  const f = r.finance;
  const cur = r.finance_currency;
  return section(
    'estimate-finance',
    t('estimate.finance'),
    h('p', { class: 'muted small section-intro' }, cur ? t('finance.intro', { currency: cur }) : t('finance.intro_no_currency')),
    r.finance_subsidy
      ? h('p', { class: 'conversion small', 'data-testid': 'finance-conversion' }, t('finance.subsidy_converted', { conversion: conversionText(r.finance_subsidy) }))
      : null,
    r.finance_error ? problem(r.finance_error, 'finance-error') : null,
    f
      ? h(
          'table',
          { class: 'finance-table', 'data-testid': 'finance-table' },
          h('thead', null, h('tr', null, h('th', null, ''), h('th', { class: 'num' }, t('finance.without')), h('th', { class: 'num' }, t('finance.with')))),
          h(
            'tbody',
            null,
            FINANCE_ROWS.map(([key, show]) =>
              h(
                'tr',
                { 'data-row': key },
                h('th', { scope: 'row' }, t(`finance.row.${key}`)),
                h('td', { class: 'num', 'data-testid': 'finance-without', 'data-case': 'without', 'data-row': key }, show(f.without_subsidy, cur)),
                h('td', { class: 'num', 'data-testid': 'finance-with', 'data-case': 'with', 'data-row': key }, show(f.with_subsidy, cur)),
              ),
            ),
          ),
        )
      : null,
    f
      ? h(
          'figure',
          { class: 'chart-figure' },
          cashFlowChart({ without: f.without_subsidy.cumulative_cash_flow, with: f.with_subsidy.cumulative_cash_flow, currency: cur }),
          h('figcaption', { class: 'muted small' }, t('chart.cashflow_caption')),
        )
      : null,
  );
}
