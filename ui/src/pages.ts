// The pages: studies, one study with its tabs, the directory lists, the Trash (and Sync, in sync-page.ts).

import { exitStrategy } from './advice';
import { api, toApiError, type Rec } from './api';
import { creditSection } from './credits';
import { money } from './decimal';
import { h, replace } from './dom';
import { estimatesTab } from './estimates';
import { recordForm } from './form';
import { enumLabel, formatDateTime, formatDecimal, kindLabel, recordTitle, t } from './i18n';
import { navLabel, pageHost, setHeader } from './layout';
import { byTitle, ListDetail } from './listdetail';
import { openExportDialog } from './export';
import { openImportWizard } from './import';
import { openPrintDialog } from './print';
import { currentRoute, navigate, setPage, type Focus, type Route } from './router';
import { DIRECTORY_KIND, DUTY_FIELDS, STUDY_TABS, TAB_KIND, directoryOfKind, tabOfKind, technologyName, type DirectoryPage, type ListTab, type StudyTab } from './schema';
import { attachmentsSection, childSection, linkedList } from './sections';
import { setStatus, showError } from './status';
import { recordSync } from './sync-badges';
import { renderSync } from './sync-page';

let renderToken = 0;

/** The record last open in each study tab, so switching tabs comes back to it. */
const lastSelected = new Map<string, string | null>();

export async function renderRoute(r: Route): Promise<void> {
  const token = ++renderToken;
  const stale = () => token !== renderToken;
  setPage(null);
  switch (r.page) {
    case 'studies':
      return renderStudies(r, stale);
    case 'study':
      return renderStudy(r, stale);
    case 'trash':
      return renderTrash(stale);
    case 'sync':
      return renderSync(r, stale, openRecord);
    default:
      return renderDirectory(r, stale);
  }
}

function str(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

function join(...parts: (string | null | undefined | false)[]): string {
  return parts.filter(Boolean).join(' · ');
}

// ---------------------------------------------------------------- studies

async function renderStudies(r: Extract<Route, { page: 'studies' }>, stale: () => boolean): Promise<void> {
  setHeader(t('nav.studies'));
  const ld = new ListDetail({
    kind: 'study',
    selectedId: null,
    creating: Boolean(r.creating),
    subtitle: studySubtitle,
    onOpen: (rec) => void openStudy(rec.id),
    onCreated: (rec) => void openStudy(rec.id),
    onChange: (_id, creating) => {
      r.creating = creating;
    },
    placeholder: () =>
      h(
        'div',
        { class: 'placeholder welcome' },
        h('h2', null, t('studies.welcome_title')),
        h('p', null, t('studies.welcome_text')),
        h('p', { class: 'muted' }, t('studies.welcome_keys')),
      ),
  });
  if (stale()) return;
  replace(pageHost(), ld.el);
  await ld.init();
  if (stale()) return;
  setPage({ refresh: () => ld.refresh(), newRecord: () => ld.startNew() });
  document.body.dataset.ready = '1';
}

function studySubtitle(r: Rec): string {
  return join(t('study.fy', { year: str(r.fields.fiscal_year) }), r.fields.status ? enumLabel('status', str(r.fields.status)) : null);
}

export function openStudy(studyId: string, tab: StudyTab = 'overview', selectedId: string | null = null, focus: Focus | null = null): Promise<void> {
  return navigate({ page: 'study', studyId, tab, selectedId, focus });
}

// ---------------------------------------------------------------- one study

function tabLabel(tab: StudyTab): string {
  switch (tab) {
    case 'overview':
      return t('tab.overview');
    case 'visits':
      return t('tab.visits');
    case 'findings':
      return t('tab.findings');
    case 'needs':
      return t('tab.needs');
    case 'technologies':
      return t('tab.technologies');
    case 'estimates':
      return t('tab.estimates');
    case 'consortium':
      return t('tab.consortium');
    case 'timeline':
      return t('tab.timeline');
    case 'exit':
      return t('tab.exit');
  }
}

async function renderStudy(r: Extract<Route, { page: 'study' }>, stale: () => boolean): Promise<void> {
  // Everything that needs no data is put in place at once, so nothing of the previous
  // page (its New button, its forms) stays clickable while the study loads.
  const studyId = r.studyId;
  const crumbs = () => [
    h('button', { type: 'button', class: 'crumb', 'data-testid': 'crumb-studies', onclick: () => void navigate({ page: 'studies' }) }, t('nav.studies')),
    h('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, '›'),
  ];
  const counts = new Map<string, HTMLElement>();
  const tabs = h(
    'div',
    { class: 'tabs', role: 'tablist', 'aria-label': t('study.tabs') },
    STUDY_TABS.map((tab) => {
      const count = h('span', { class: 'count' });
      counts.set(tab, count);
      const selected = tab === r.tab;
      return h(
        'button',
        {
          type: 'button',
          role: 'tab',
          class: `tab${selected ? ' selected' : ''}`,
          'aria-selected': selected ? 'true' : 'false',
          tabindex: selected ? 0 : -1,
          'data-testid': `tab-${tab}`,
          onclick: () => {
            if (tab !== r.tab) void openStudy(studyId, tab, lastSelected.get(`${studyId}/${tab}`) ?? null);
          },
        },
        tabLabel(tab),
        tab === 'overview' || tab === 'exit' ? null : count,
      );
    }),
  );
  tabs.addEventListener('keydown', (ev) => {
    if (ev.key !== 'ArrowRight' && ev.key !== 'ArrowLeft') return;
    const i = STUDY_TABS.indexOf(r.tab);
    const next = STUDY_TABS[(i + (ev.key === 'ArrowRight' ? 1 : STUDY_TABS.length - 1)) % STUDY_TABS.length];
    if (!next) return;
    ev.preventDefault();
    void openStudy(studyId, next, lastSelected.get(`${studyId}/${next}`) ?? null).then(() =>
      document.querySelector<HTMLElement>(`[data-testid=tab-${next}]`)?.focus(),
    );
  });
  const updateCounts = async () => {
    const entries = Object.entries(TAB_KIND) as [ListTab, string][];
    const lists = await Promise.all(entries.map(([, kind]) => api.listCached(kind, studyId).catch(() => [] as Rec[])));
    entries.forEach(([tab], i) => {
      const el = counts.get(tab);
      if (el) el.textContent = String(lists[i]?.length ?? 0);
    });
    return lists;
  };

  const content = h('div', { class: 'tab-content', role: 'tabpanel' });
  let ld: ListDetail | null = null;
  const listTab = r.tab === 'overview' || r.tab === 'exit' ? null : r.tab;
  const estimates = listTab === 'estimates' ? estimatesTab(studyId, () => void updateCounts()) : null;
  if (listTab) {
    ld = new ListDetail({
      kind: TAB_KIND[listTab],
      parentId: studyId,
      context: { studyId },
      selectedId: r.selectedId,
      creating: Boolean(r.creating),
      focus: r.focus ?? null,
      subtitle: (rec) => subtitleOf(rec),
      extras: (rec) => extrasOf(rec, studyId),
      onChange: (id, creating) => {
        r.selectedId = id;
        r.creating = creating;
        lastSelected.set(`${studyId}/${r.tab}`, id);
      },
      onWrite: () => {
        void updateCounts();
        estimates?.written();
      },
      ...(listTab === 'timeline' ? { sort: byYear, group: (rec: Rec) => t('timeline.year', { n: str(rec.fields.year) }) } : {}),
      ...estimates?.options,
    });
    lastSelected.set(`${studyId}/${r.tab}`, r.selectedId);
    content.appendChild(ld.el);
  }
  // The estimates tab has the chart of reductions above its list.
  if (estimates && ld) {
    estimates.bind(ld);
    content.classList.add('estimates-content');
    content.prepend(estimates.top);
  }
  // The consortium tab has the credit allocation under its members.
  const creditHost = h('div', { class: 'credit-host' });
  if (listTab === 'consortium') {
    content.classList.add('consortium-content');
    content.appendChild(creditHost);
  }
  // What the Print dialog opens on: the visit or estimate selected here.
  const print = () =>
    void openPrintDialog(studyId, {
      visitId: r.tab === 'visits' ? r.selectedId : null,
      estimateId: r.tab === 'estimates' ? r.selectedId : null,
    });
  const printBtn = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'print', title: 'Ctrl+P', onclick: print }, t('print.button'));
  const exportBtn = h(
    'button',
    { type: 'button', class: 'btn btn-small', 'data-testid': 'study-export', title: t('study_export.tooltip'), onclick: () => openExportDialog(studyId) },
    t('study_export.button'),
  );
  const importBtn = h(
    'button',
    { type: 'button', class: 'btn btn-small', 'data-testid': 'study-import', title: t('survey_import.tooltip'), onclick: () => openImportWizard(studyId) },
    t('survey_import.button'),
  );
  replace(pageHost(), h('div', { class: 'study-page' }, tabs, content));

  let study: Rec;
  try {
    study = await api.get('study', studyId);
    if (study.deleted_at) throw { code: 'in_trash', message: `study ${studyId} is in the Trash` };
  } catch (e) {
    if (stale()) return;
    showError(toApiError(e));
    await navigate({ page: 'studies' });
    return;
  }
  if (stale()) return;
  setHeader(study.title, crumbs(), [printBtn, exportBtn, importBtn]);
  void updateCounts();

  if (r.tab === 'overview') {
    const sync = recordSync('study', studyId);
    const form = await recordForm({
      kind: 'study',
      record: study,
      headExtra: sync.badge,
      onSaved: (rec, field) => {
        study = rec;
        sync.refresh();
        if (field === 'title') setHeader(rec.title, crumbs(), [printBtn, exportBtn, importBtn]);
      },
      onDeleted: () => void navigate({ page: 'studies' }),
    });
    const summary = h('div', { class: 'summary' });
    const fillSummary = async () => {
      const lists = await updateCounts();
      const entries = Object.entries(TAB_KIND) as [ListTab, string][];
      replace(
        summary,
        entries.map(([tab, kind], i) =>
          h(
            'button',
            { type: 'button', class: 'summary-card', 'data-tab': tab, onclick: () => void openStudy(study.id, tab) },
            h('span', { class: 'summary-count' }, String(lists[i]?.length ?? 0)),
            h('span', { class: 'summary-label' }, kindLabel(kind, true)),
          ),
        ),
      );
    };
    await Promise.all([fillSummary(), sync.ready]);
    if (stale()) return;
    replace(
      content,
      h('div', { class: 'overview' }, h('div', { class: 'detail-inner overview-form' }, form.el, sync.history), h('aside', { class: 'overview-side' }, summary)),
    );
    setPage({
      refresh: () => renderRoute(currentRoute()),
      print,
    });
    return;
  }

  if (r.tab === 'exit') {
    const advice = await exitStrategy(studyId);
    if (stale()) return;
    replace(content, advice);
    setPage({ refresh: () => renderRoute(currentRoute()), print });
    return;
  }

  if (!ld) return;
  const list = ld;
  const fillCredits = async () => {
    if (listTab !== 'consortium') return;
    const panel = await creditSection(studyId, { studyId });
    if (!stale()) replace(creditHost, panel);
  };
  await Promise.all([list.init(), fillCredits(), estimates?.refresh()]);
  if (stale()) return;
  setPage({
    // After undo: the study itself may be gone (its creation undone) or renamed.
    refresh: async () => {
      try {
        const fresh = await api.get('study', study.id);
        if (fresh.deleted_at) throw new Error('in the Trash');
        study = fresh;
        setHeader(study.title, crumbs(), [printBtn, exportBtn, importBtn]);
      } catch {
        await navigate({ page: 'studies' });
        return;
      }
      await Promise.all([list.refresh(), updateCounts(), fillCredits(), estimates?.refresh()]);
    },
    newRecord: () => list.startNew(),
    print,
  });
}

// ---------------------------------------------------------------- directory


async function renderDirectory(r: Extract<Route, { page: DirectoryPage }>, stale: () => boolean): Promise<void> {
  setHeader(navLabel(r.page));
  const kind = DIRECTORY_KIND[r.page];
  // Names of referenced records for the list's second line.
  const countryName = new Map<string, string>();
  const countries = kind === 'city' ? api.listCached('country').catch(() => [] as Rec[]) : Promise.resolve([] as Rec[]);
  const ld = new ListDetail({
    kind,
    selectedId: r.selectedId,
    creating: Boolean(r.creating),
    focus: r.focus ?? null,
    sort: kind === 'collaboration' ? byTitle : undefined,
    subtitle: (rec) =>
      kind === 'city' ? join(enumLabel('kind', str(rec.fields.kind)), countryName.get(str(rec.fields.country_id))) : subtitleOf(rec),
    badges: (rec) => badgesOf(rec),
    extras: (rec) => extrasOf(rec, null),
    onChange: (id, creating) => {
      r.selectedId = id;
      r.creating = creating;
    },
  });
  replace(pageHost(), ld.el);
  for (const c of await countries) countryName.set(c.id, recordTitle(c));
  if (stale()) return;
  await ld.init();
  if (stale()) return;
  setPage({ refresh: () => ld.refresh(), newRecord: () => ld.startNew() });
}

// ---------------------------------------------------------------- list lines and detail sections

/** Activities by year, then date (undated last), then title. */
function byYear(a: Rec, b: Rec): number {
  const y = Number(a.fields.year ?? 0) - Number(b.fields.year ?? 0);
  if (y !== 0) return y;
  const da = str(a.fields.date) || '9999';
  const db = str(b.fields.date) || '9999';
  return da !== db ? (da < db ? -1 : 1) : byTitle(a, b);
}


function subtitleOf(rec: Rec): string | null {
  const f = rec.fields;
  switch (rec.kind) {
    case 'member': {
      const done = DUTY_FIELDS.filter((d) => f[d] === 'done').length;
      const open = DUTY_FIELDS.filter((d) => f[d] !== 'not_applicable').length;
      return join(f.consortium_role ? enumLabel('consortium_role', str(f.consortium_role)) : null, t('member.duties_done', { n: done, total: open }));
    }
    case 'activity':
      return join(
        f.stage ? enumLabel('stage', str(f.stage)) : null,
        f.activity_kind ? enumLabel('activity_kind', str(f.activity_kind)) : null,
        str(f.date) || null,
      );
    case 'visit':
      return str(f.participants) || null;
    case 'finding':
      return join(f.sector ? enumLabel('sector', str(f.sector)) : null, f.status ? enumLabel('status', str(f.status)) : null);
    case 'need':
      return join(f.priority ? t('need.priority_short', { p: enumLabel('priority', str(f.priority)) }) : null, f.sector ? enumLabel('sector', str(f.sector)) : null);
    case 'technology': {
      const capex = f.capex ? money(str(f.capex), f.currency ? str(f.currency) : null) : null;
      return join(technologyName(str(f.tech_type)), capex);
    }
    case 'estimate':
      return f.methodology ? enumLabel('methodology', str(f.methodology)) : null;
    case 'exchange_rate':
      return t('exchange_rate.rate', { from: str(f.from_currency), rate: formatDecimal(str(f.rate)), to: str(f.to_currency) });
    case 'country':
      return str(f.code);
    case 'org':
      return f.kind ? enumLabel('kind', str(f.kind)) : null;
    case 'collaboration':
      return join(f.kind ? enumLabel('kind', str(f.kind)) : null, f.since ? t('collaboration.since', { date: str(f.since) }) : null);
    case 'study':
      return studySubtitle(rec);
    default:
      return null;
  }
}

function badgesOf(rec: Rec): string[] {
  if (rec.kind !== 'country') return [];
  const out: string[] = [];
  if (rec.fields.jcm_partner === true) out.push(t('country.badge_jcm'));
  if (rec.fields.jfjcm_eligible === true) out.push(t('country.badge_jfjcm'));
  return out;
}

async function extrasOf(rec: Rec, studyId: string | null): Promise<Node[]> {
  const ctx = { studyId };
  switch (rec.kind) {
    case 'finding':
      return [
        await childSection({
          kind: 'measurement',
          parentId: rec.id,
          testid: 'measurements',
          newTestid: 'new-measurement',
          title: t('section.measurements'),
          addLabel: t('action.add_measurement'),
          context: ctx,
          columns: ['quantity', 'value', 'unit', 'notes'],
        }),
        await attachmentsSection(rec.id),
      ];
    case 'technology':
      return [
        await childSection({
          kind: 'parameter',
          parentId: rec.id,
          testid: 'parameters',
          newTestid: 'new-parameter',
          title: t('section.parameters'),
          addLabel: t('action.add_parameter'),
          context: ctx,
          columns: ['name', 'value', 'unit'],
        }),
      ];
    case 'org':
      return [
        await childSection({
          kind: 'contact',
          parentId: rec.id,
          testid: 'contacts',
          newTestid: 'new-contact',
          title: t('section.contacts'),
          addLabel: t('action.add_contact'),
          columns: ['name', 'role', 'email', 'phone', 'notes'],
        }),
      ];
    case 'visit': {
      if (!studyId) return [];
      const findings = (await api.listCached('finding', studyId)).filter((f) => f.fields.visit_id === rec.id);
      return [
        linkedList(t('section.visit_findings'), findings, (f) => void openStudy(studyId, 'findings', f.id), (f) =>
          enumLabel('sector', str(f.fields.sector)),
        ),
      ];
    }
    case 'need': {
      if (!studyId) return [];
      const techs = (await api.listCached('technology', studyId)).filter(
        (x) => Array.isArray(x.fields.need_ids) && x.fields.need_ids.includes(rec.id),
      );
      return [linkedList(t('section.need_technologies'), techs, (x) => void openStudy(studyId, 'technologies', x.id))];
    }
    case 'country': {
      const cities = (await api.listCached('city')).filter((c) => c.fields.country_id === rec.id);
      return [linkedList(t('section.country_cities'), cities, (c) => void navigate({ page: 'cities', selectedId: c.id }))];
    }
    case 'city': {
      const collabs = (await api.listCached('collaboration')).filter((c) => c.fields.partner_city_id === rec.id);
      return [
        linkedList(t('section.city_collaborations'), collabs, (c) => void navigate({ page: 'collaborations', selectedId: c.id })),
      ];
    }
    case 'collaboration': {
      const studies = (await api.listCached('study')).filter((s) => s.fields.collaboration_id === rec.id);
      return [linkedList(t('section.collaboration_studies'), studies, (s) => void openStudy(s.id), studySubtitle)];
    }
    default:
      return [];
  }
}

// ---------------------------------------------------------------- trash

async function renderTrash(stale: () => boolean): Promise<void> {
  setHeader(t('nav.trash'));
  const page = h('div', { class: 'trash-page' }, h('p', { class: 'muted' }, t('trash.intro')));
  replace(pageHost(), page);
  let list: Rec[] = [];
  try {
    list = await api.trash();
  } catch (e) {
    showError(toApiError(e));
  }
  if (stale()) return;
  const restore = async (rec: Rec, btn: HTMLButtonElement) => {
    btn.disabled = true;
    try {
      await api.restore(rec.kind, rec.id);
      setStatus({ text: t('status.restored', { title: rec.title || kindLabel(rec.kind) }) });
      await renderRoute(currentRoute());
    } catch (e) {
      btn.disabled = false;
      showError(toApiError(e));
    }
  };
  const items = list.map((rec) => {
    const btn: HTMLButtonElement = h(
      'button',
      { type: 'button', class: 'btn btn-small', 'data-testid': 'restore', onclick: () => void restore(rec, btn) },
      t('action.restore'),
    );
    return h(
      'li',
      { class: 'trash-item', 'data-testid': 'trash-item', 'data-kind': rec.kind, 'data-id': rec.id },
      h('span', { class: 'badge' }, kindLabel(rec.kind)),
      h('span', { class: 'trash-title' }, rec.title || rec.id),
      h('span', { class: 'muted small' }, rec.deleted_at ? t('trash.deleted_at', { when: formatDateTime(rec.deleted_at) }) : ''),
      btn,
    );
  });
  page.appendChild(list.length === 0 ? h('p', { class: 'placeholder muted' }, t('trash.empty')) : h('ul', { class: 'trash-list' }, items));
  setPage({ refresh: () => renderRoute(currentRoute()) });
}

// ---------------------------------------------------------------- opening any record

/** Shows a record where it lives: its study and tab, or its directory list. */
export async function openRecord(kind: string, id: string, studyId: string | null = null): Promise<void> {
  try {
    if (kind === 'study') return await openStudy(id);
    const tab = tabOfKind(kind);
    if (tab) {
      const sid = studyId ?? str((await api.get(kind, id)).fields.study_id);
      return await openStudy(sid, tab, id);
    }
    const page = directoryOfKind(kind);
    if (page) return await navigate({ page, selectedId: id });
    const rec = await api.get(kind, id);
    if (kind === 'measurement' || kind === 'attachment') {
      const findingId = str(rec.fields.finding_id);
      const sid = studyId ?? str((await api.get('finding', findingId)).fields.study_id);
      return await openStudy(sid, 'findings', findingId, { kind, id });
    }
    if (kind === 'parameter') {
      const techId = str(rec.fields.technology_id);
      const sid = studyId ?? str((await api.get('technology', techId)).fields.study_id);
      return await openStudy(sid, 'technologies', techId, { kind, id });
    }
    if (kind === 'estimate_input') {
      const est = await api.get('estimate', str(rec.fields.estimate_id));
      return await openStudy(studyId ?? str(est.fields.study_id), 'estimates', est.id, { kind, id });
    }
    if (kind === 'credit_share') {
      return await openStudy(studyId ?? str(rec.fields.study_id), 'consortium');
    }
    if (kind === 'contact') {
      return await navigate({ page: 'orgs', selectedId: str(rec.fields.org_id), focus: { kind, id } });
    }
  } catch (e) {
    showError(toApiError(e));
  }
}
