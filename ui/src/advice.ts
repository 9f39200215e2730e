// The exit strategy of a study: which financing schemes fit, cannot be told yet, or
// don't fit — each requirement checked by the engine's advisor (`advise`), for the
// whole study or for one of its candidate technologies.

import { api, toApiError, type Advice, type Check, type Rec, type SchemeAdvice, type Verdict } from './api';
import { h, replace } from './dom';
import { has, recordTitle, t } from './i18n';

/** The schemes shown in full; all others (the funds) are listed compactly. */
const MAIN_SCHEMES = ['jcm-model-project', 'low-carbon-technology-innovation', 'jfjcm'];

function verdictLabel(v: Verdict): string {
  switch (v) {
    case 'fits':
      return t('advice.verdict.fits');
    case 'unknown':
      return t('advice.verdict.unknown');
    case 'does_not_fit':
      return t('advice.verdict.does_not_fit');
  }
}

const VERDICT_ICON: Record<Verdict, string> = { fits: '✓', unknown: '?', does_not_fit: '✕' };

function badge(v: Verdict): HTMLElement {
  return h('span', { class: `verdict verdict-${v}`, 'data-testid': 'verdict', 'data-verdict': v }, verdictLabel(v));
}

function requirementLabel(code: string): string {
  const key = `advice.req.${code}`;
  return has(key) ? t(key) : code;
}

function schemeName(s: SchemeAdvice): string {
  const key = `advice.scheme.${s.scheme}`;
  return has(key) ? t(key) : s.name_en;
}

function checkList(checks: Check[], testid: string): HTMLElement {
  return h(
    'ul',
    { class: 'check-list', 'data-testid': testid },
    checks.map((c) =>
      h(
        'li',
        { class: `check-item check-${c.verdict}`, 'data-testid': 'check', 'data-requirement': c.requirement, 'data-verdict': c.verdict },
        h('span', { class: `check-icon verdict-${c.verdict}`, 'aria-label': verdictLabel(c.verdict), role: 'img' }, VERDICT_ICON[c.verdict]),
        h('span', { class: 'check-text' }, h('span', { class: 'check-label' }, requirementLabel(c.requirement)), h('span', { class: 'check-detail muted' }, c.detail)),
      ),
    ),
  );
}

function schemeCard(s: SchemeAdvice, compact: boolean): HTMLElement {
  const name = schemeName(s);
  return h(
    'article',
    {
      class: `scheme-card${compact ? ' compact' : ''} verdict-border-${s.verdict}`,
      'data-testid': 'scheme-card',
      'data-scheme': s.scheme,
      'data-verdict': s.verdict,
      'aria-label': name,
    },
    h('div', { class: 'scheme-head' }, h('h3', { class: 'scheme-name' }, name), badge(s.verdict)),
    compact
      ? h('details', { class: 'scheme-more' }, h('summary', null, t('advice.show_checks', { n: s.checks.length })), checkList(s.checks, 'scheme-checks'))
      : checkList(s.checks, 'scheme-checks'),
  );
}

/** The technology the advice is for, per study (the whole study when none). */
const adviseFor = new Map<string, string>();

/** The whole exit-strategy tab for one study. */
export async function exitStrategy(studyId: string): Promise<HTMLElement> {
  const body = h('div', { class: 'exit-body' });
  const techs = await api.listCached('technology', studyId).catch(() => [] as Rec[]);
  const chosen = techs.some((x) => x.id === adviseFor.get(studyId)) ? (adviseFor.get(studyId) ?? '') : '';
  const select = h(
    'select',
    { id: 'advise-technology', 'data-testid': 'advise-technology' },
    h('option', { value: '' }, t('advice.whole_study')),
    techs.map((x) => h('option', { value: x.id }, recordTitle(x))),
  );
  select.value = chosen;
  select.addEventListener('change', () => {
    adviseFor.set(studyId, select.value);
    void fill(body, studyId, select.value || null);
  });
  const page = h(
    'div',
    { class: 'exit-page', 'data-testid': 'exit-strategy' },
    techs.length > 0
      ? h(
          'div',
          { class: 'field advise-for' },
          h('label', { class: 'field-label', for: 'advise-technology' }, t('advice.for')),
          select,
          h('div', { class: 'field-hint muted' }, t('advice.for_hint')),
        )
      : null,
    body,
  );
  await fill(body, studyId, chosen || null);
  return page;
}

let token = 0;

async function fill(body: HTMLElement, studyId: string, technologyId: string | null): Promise<void> {
  const mine = ++token;
  let advice: Advice;
  try {
    advice = await api.advise(studyId, technologyId);
  } catch (e) {
    if (mine === token) replace(body, h('p', { class: 'credit-error', role: 'alert' }, toApiError(e).message));
    return;
  }
  if (mine !== token) return;
  const main = MAIN_SCHEMES.map((id) => advice.schemes.find((s) => s.scheme === id)).filter((s): s is SchemeAdvice => !!s);
  const others = advice.schemes.filter((s) => !MAIN_SCHEMES.includes(s.scheme));
  const shown = others.filter((s) => s.verdict !== 'does_not_fit');
  const hidden = others.length - shown.length;

  replace(
    body,
    h('p', { class: 'muted exit-intro' }, t('advice.intro', { date: advice.date })),
    h(
      'section',
      { class: 'exit-section stakeholders', 'data-testid': 'stakeholders', 'aria-label': t('advice.stakeholders') },
      h('h2', null, t('advice.stakeholders')),
      h('p', { class: 'muted small' }, t('advice.stakeholders_hint')),
      checkList(advice.stakeholders, 'stakeholder-checks'),
    ),
    h(
      'section',
      { class: 'exit-section', 'aria-label': t('advice.jcm_schemes') },
      h('h2', null, t('advice.jcm_schemes')),
      h('div', { class: 'scheme-grid' }, main.map((s) => schemeCard(s, false))),
    ),
    h(
      'section',
      { class: 'exit-section', 'data-testid': 'other-funds', 'aria-label': t('advice.other_funds') },
      h('h2', null, t('advice.other_funds'), h('span', { class: 'count' }, String(shown.length))),
      h('p', { class: 'muted small' }, hidden > 0 ? t('advice.funds_hidden', { n: hidden }) : t('advice.funds_all')),
      shown.length === 0
        ? h('p', { class: 'muted empty-rows' }, t('advice.no_funds'))
        : h('div', { class: 'fund-list' }, shown.map((s) => schemeCard(s, true))),
    ),
  );
}
