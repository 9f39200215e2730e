// The UI's message catalogue. Every visible string goes through t(); labels for
// kinds, fields and enum options are looked up by convention:
//   kind.<kind>, kinds.<kind> (plural), field.<kind>.<field> or field.<field>,
//   enum.<field>.<code>, dimension.<dimension>, currency.<code>, error.<code>.
// scripts/check-i18n.mjs keeps en.json and ja.json in step with the engine schema.

import en from './en.json';
import ja from './ja.json';

export type Lang = 'en' | 'ja';
type Catalogue = Record<string, string>;

const catalogues: Record<Lang, Catalogue> = { en, ja };
let lang: Lang = 'en';

export function setLang(l: string): Lang {
  lang = l === 'ja' ? 'ja' : 'en';
  document.documentElement.lang = lang;
  return lang;
}

export function getLang(): Lang {
  return lang;
}

export function has(key: string): boolean {
  return key in catalogues[lang] || key in catalogues.en;
}

/** The message `key` in the current language, `{name}` placeholders filled. */
export function t(key: string, params?: Record<string, string | number>): string {
  let text = catalogues[lang][key] ?? catalogues.en[key] ?? key;
  if (params) {
    text = text.replace(/\{(\w+)\}/g, (m, name: string) =>
      name in params ? String(params[name]) : m,
    );
  }
  return text;
}

/** A record's name as shown: its Japanese name in Japanese, when it has one. */
export function recordTitle(rec: { title: string; fields: Record<string, unknown> }): string {
  const ja = rec.fields.name_ja;
  return lang === 'ja' && typeof ja === 'string' && ja.trim() !== '' ? ja : rec.title;
}

export function kindLabel(kind: string, plural = false): string {
  return t(plural ? `kinds.${kind}` : `kind.${kind}`);
}

export function fieldLabel(kind: string, field: string): string {
  const specific = `field.${kind}.${field}`;
  return has(specific) ? t(specific) : t(`field.${field}`);
}

export function enumLabel(field: string, code: string): string {
  const key = `enum.${field}.${code}`;
  return has(key) ? t(key) : code;
}

export function dimensionLabel(dimension: string): string {
  const key = `dimension.${dimension}`;
  return has(key) ? t(key) : dimension;
}

export function currencyLabel(code: string, fallback: string): string {
  const key = `currency.${code}`;
  return has(key) ? t(key) : fallback;
}

const numberFormats = new Map<string, Intl.NumberFormat>();

/** A stored decimal string shown with the locale's grouping, without losing digits. */
export function formatDecimal(value: string): string {
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(value);
  if (!m) return value;
  let nf = numberFormats.get(lang);
  if (!nf) numberFormats.set(lang, (nf = new Intl.NumberFormat(lang === 'ja' ? 'ja-JP' : 'en-GB')));
  return m[1] + nf.format(BigInt(m[2])) + (m[3] ?? '');
}

export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(d);
}

/** A time of today as hours and minutes (14:02); of another day with its date. */
export function formatWhen(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  if (d.toDateString() !== new Date().toDateString()) return formatDateTime(iso);
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { timeStyle: 'short' }).format(d);
}
