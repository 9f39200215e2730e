// A study's credit allocation: its credit shares as editable rows, the credits issued,
// and the engine's split of them in whole tonnes (or why the shares don't work).

import { api, toApiError } from './api';
import { h, replace } from './dom';
import type { FormContext } from './form';
import { enumLabel, formatDecimal, has, t } from './i18n';
import { childSection } from './sections';
import { errorText } from './status';

/** The issued credits typed per study, kept while the app runs. */
const issuedByStudy = new Map<string, string>();

/** The engine's party id of the Government of Japan. */
const GOVERNMENT_OF_JAPAN = 'gov-japan';

function partyLabel(party: string): string {
  if (party === GOVERNMENT_OF_JAPAN) return enumLabel('party', 'government_of_japan');
  return has(`enum.party.${party}`) ? enumLabel('party', party) : party;
}

export async function creditSection(studyId: string, context: FormContext): Promise<HTMLElement> {
  const result = h('div', { class: 'credit-result', 'data-testid': 'credit-result', 'aria-live': 'polite' });
  const inputId = 'issued-credits';
  const input = h('input', {
    id: inputId,
    type: 'number',
    min: '0',
    step: '1',
    inputmode: 'numeric',
    class: 'issued-input',
    'data-testid': 'issued-input',
    value: issuedByStudy.get(studyId) ?? '',
    placeholder: '0',
  });

  let token = 0;
  const compute = async () => {
    const mine = ++token;
    const raw = input.value.trim();
    issuedByStudy.set(studyId, raw);
    if (raw === '') {
      replace(result, h('p', { class: 'muted' }, t('credits.enter_issued')));
      return;
    }
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
      replace(result, h('p', { class: 'credit-error', 'data-testid': 'credit-error', role: 'alert' }, t('credits.issued_invalid')));
      return;
    }
    try {
      const rows = await api.creditSplit(studyId, Number(raw));
      if (mine !== token) return;
      replace(
        result,
        h(
          'table',
          { class: 'credit-table' },
          h('thead', null, h('tr', null, h('th', null, t('credits.party')), h('th', { class: 'num' }, t('credits.tonnes')))),
          h(
            'tbody',
            null,
            rows.map((r) =>
              h(
                'tr',
                { 'data-testid': 'credit-row', 'data-party': r.party },
                h('td', { class: 'credit-party' }, partyLabel(r.party)),
                h('td', { class: 'num credit-tonnes' }, t('credits.tonnes_value', { n: formatDecimal(String(r.tonnes)) })),
              ),
            ),
          ),
        ),
      );
    } catch (e) {
      if (mine !== token) return;
      const err = toApiError(e);
      // The shares that do not work, in words: the party by its label, never its id.
      const fe = err.errors[0];
      const text = fe ? errorText(fe, { ...fe.params, party: partyLabel(fe.params?.party ?? '') }) : err.message;
      replace(result, h('p', { class: 'credit-error', 'data-testid': 'credit-error', 'data-code': fe?.code ?? err.code, role: 'alert' }, text));
    }
  };

  let timer = 0;
  input.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void compute(), 250);
  });
  input.addEventListener('change', () => {
    window.clearTimeout(timer);
    void compute();
  });

  const shares = await childSection({
    kind: 'credit_share',
    parentId: studyId,
    testid: 'credit-shares',
    newTestid: 'new-credit-share',
    title: t('section.credit_shares'),
    addLabel: t('action.add_credit_share'),
    context,
    columns: ['party', 'org_id', 'percent'],
    onWrite: () => void compute(),
  });

  const panel = h(
    'section',
    { class: 'credit-panel', 'data-testid': 'credit-panel', 'aria-label': t('section.credit_allocation') },
    h('h2', { class: 'credit-title' }, t('section.credit_allocation')),
    h('p', { class: 'muted small' }, t('credits.intro')),
    h(
      'div',
      { class: 'credit-body' },
      h('div', { class: 'credit-shares' }, shares),
      h(
        'div',
        { class: 'credit-split' },
        h('div', { class: 'field' }, h('label', { for: inputId, class: 'field-label' }, t('credits.issued')), input),
        result,
      ),
    ),
  );
  await compute();
  return panel;
}
