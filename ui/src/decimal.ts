// The engine's decimals are strings; these helpers only move the point and round
// digits for display, so nothing is ever computed in binary floating point.

import { formatDecimal } from './i18n';
import { minorUnits } from './schema';

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

interface Parts {
  negative: boolean;
  int: string;
  frac: string;
}

function parse(value: string): Parts | null {
  const m = DECIMAL.exec(value.trim());
  return m ? { negative: m[1] === '-', int: m[2] ?? '0', frac: m[3] ?? '' } : null;
}

/** Joins the parts without leading or trailing zeros (and without “-0”). */
function join(negative: boolean, int: string, frac: string): string {
  const i = int.replace(/^0+(?=\d)/, '') || '0';
  const f = frac.replace(/0+$/, '');
  const text = f ? `${i}.${f}` : i;
  return negative && /[1-9]/.test(text) ? `-${text}` : text;
}

/** `value` × 10^places, exactly. */
export function shift(value: string, places: number): string {
  const p = parse(value);
  if (!p) return value;
  let digits = p.int + p.frac;
  let point = p.int.length + places;
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits = digits.padEnd(point, '0');
  return join(p.negative, digits.slice(0, point), digits.slice(point));
}

/** `value` rounded half away from zero to `dp` decimal places. */
export function round(value: string, dp: number): string {
  const p = parse(value);
  if (!p) return value;
  if (p.frac.length <= dp) return join(p.negative, p.int, p.frac);
  let n = BigInt(p.int + p.frac.slice(0, dp));
  if ((p.frac[dp] ?? '0') >= '5') n += 1n;
  const s = n.toString().padStart(dp + 1, '0');
  return join(p.negative, s.slice(0, s.length - dp), s.slice(s.length - dp));
}

export function isNegative(value: string): boolean {
  return parse(value)?.negative === true && /[1-9]/.test(value);
}

/** A fraction (0.337016) shown as a percentage (33.7). */
export function percent(fraction: string, dp = 2): string {
  return formatDecimal(round(shift(fraction, 2), dp));
}

/** A decimal with the locale's grouping, rounded to `dp` places when given. */
export function num(value: string, dp?: number): string {
  return formatDecimal(dp === undefined ? value : round(value, dp));
}

/** `value` rounded to exactly `dp` decimal places, zeros kept (“1234.50”). */
function fixed(value: string, dp: number): string {
  const rounded = round(value, dp);
  if (dp === 0 || !parse(rounded)) return rounded;
  const [int, frac = ''] = rounded.split('.');
  return `${int}.${frac.padEnd(dp, '0')}`;
}

/** An amount with its currency, in the currency's minor units: “77,000,000 JPY”, “1,234.50 USD”. */
export function money(value: string, currency: string | null | undefined): string {
  if (!currency) return formatDecimal(value);
  const dp = minorUnits(currency);
  return `${formatDecimal(dp === undefined ? value : fixed(value, dp))} ${currency}`;
}
