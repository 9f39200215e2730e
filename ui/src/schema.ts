// The engine's schema (kinds, fields, units, technologies), loaded once at start.

import type { FieldSpec, KindSpec, Schema, Technology } from './api';
import { getLang } from './i18n';

let current: Schema | null = null;

export function setSchema(s: Schema): void {
  // The unit catalogue serialises its lists under the TOML names (`unit`, `currency`).
  const u = s.units as Schema['units'] & { unit?: Schema['units']['units']; currency?: Schema['units']['currencies'] };
  s.units = {
    ...u,
    units: u.units ?? u.unit ?? [],
    currencies: u.currencies ?? u.currency ?? [],
  };
  s.technologies ??= [];
  current = s;
}

export function schema(): Schema {
  if (!current) throw new Error('schema not loaded');
  return current;
}

/** The decimals a currency's amounts are shown with (ISO 4217), if it is known. */
export function minorUnits(currency: string): number | undefined {
  return schema().units.currencies.find((c) => c.code === currency)?.minor_units;
}

export function kindSpec(name: string): KindSpec {
  const k = schema().kinds.find((k) => k.name === name);
  if (!k) throw new Error(`unknown kind ${name}`);
  return k;
}

export function fieldSpec(kind: string, field: string): FieldSpec | undefined {
  return kindSpec(kind).fields.find((f) => f.name === field);
}

export function technology(code: string): Technology | undefined {
  return schema().technologies.find((t) => t.code === code);
}

/** A technology type's name in the current language. */
export function technologyName(code: string): string {
  const tech = technology(code);
  return tech ? (getLang() === 'ja' ? tech.name_ja : tech.name_en) : code;
}

/** Dimensions in catalogue order of their first unit. */
export function unitGroups(): { dimension: string; codes: { code: string; label: string }[] }[] {
  const groups = new Map<string, { code: string; label: string }[]>();
  for (const u of schema().units.units) {
    let g = groups.get(u.dimension);
    if (!g) groups.set(u.dimension, (g = []));
    g.push({ code: u.code, label: u.label_en });
  }
  return [...groups.entries()].map(([dimension, codes]) => ({ dimension, codes }));
}

/** The kinds that live inside a study, and the tab that shows them. */
export const STUDY_TABS = [
  'overview',
  'visits',
  'findings',
  'needs',
  'technologies',
  'estimates',
  'consortium',
  'timeline',
  'exit',
] as const;
export type StudyTab = (typeof STUDY_TABS)[number];

/** Tabs that list one kind of record (the others: the overview and the exit strategy). */
export type ListTab = Exclude<StudyTab, 'overview' | 'exit'>;

export const TAB_KIND: Record<ListTab, string> = {
  visits: 'visit',
  findings: 'finding',
  needs: 'need',
  technologies: 'technology',
  estimates: 'estimate',
  consortium: 'member',
  timeline: 'activity',
};

export function tabOfKind(kind: string): StudyTab | null {
  for (const [tab, k] of Object.entries(TAB_KIND)) if (k === kind) return tab as StudyTab;
  return null;
}

export const DIRECTORY = ['countries', 'cities', 'orgs', 'collaborations', 'exchange_rates'] as const;
export type DirectoryPage = (typeof DIRECTORY)[number];

export const DIRECTORY_KIND: Record<DirectoryPage, string> = {
  countries: 'country',
  cities: 'city',
  orgs: 'org',
  collaborations: 'collaboration',
  exchange_rates: 'exchange_rate',
};

export function directoryOfKind(kind: string): DirectoryPage | null {
  for (const [page, k] of Object.entries(DIRECTORY_KIND)) if (k === kind) return page as DirectoryPage;
  return null;
}

/** The GB Table 7 duties of a consortium member, in the order of the guidebook. */
export const DUTY_FIELDS = [
  'duty_a_methodology',
  'duty_b_validation_verification',
  'duty_c_monitoring',
  'duty_d_reporting',
  'duty_e_registration',
  'duty_f_issuance',
  'duty_g_equipment_care',
  'duty_h_member_changes',
];
