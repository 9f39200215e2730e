// Two small inline-SVG charts (no chart library): reductions by estimate as
// horizontal bars, and the cumulative cash flow with and without the subsidy.
// The engine's decimal strings become numbers only to place marks on screen;
// every figure shown as text is the engine's own string.

import { svg } from './dom';
import { getLang, t } from './i18n';
import { money, num } from './decimal';

const WIDTH = 640;

/** Large values on an axis: “12 bn”, “120億”. */
function compact(n: number): string {
  return new Intl.NumberFormat(getLang() === 'ja' ? 'ja-JP' : 'en-GB', { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

/** About `count` round tick values covering [min, max]. */
function ticks(min: number, max: number, count = 5): number[] {
  if (min === max) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** Cuts a label to about `max` columns (CJK characters count twice). */
function clip(text: string, max: number): string {
  let cols = 0;
  let out = '';
  for (const ch of text) {
    cols += /[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? 2 : 1;
    if (cols > max) return `${out}…`;
    out += ch;
  }
  return out;
}

export interface Bar {
  id: string;
  label: string;
  /** A second, quieter line (the technology). */
  sublabel: string | null;
  /** The engine's decimal, or null when there is no result. */
  value: string | null;
}

/** Horizontal bars of tonnes per year, one per estimate; a click opens the estimate. */
export function reductionsChart(bars: Bar[], onSelect?: (id: string) => void): SVGSVGElement {
  const rowH = 34;
  const top = 6;
  const labelW = 250;
  const valueW = 110;
  const axisH = 26;
  const height = top + bars.length * rowH + axisH;
  const values = bars.flatMap((b) => (b.value === null ? [] : [Number(b.value)]));
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  const x = scale(lo, hi === lo ? lo + 1 : hi, labelW, WIDTH - valueW);
  const zero = x(0);
  const chart = svg('svg', {
    class: 'chart chart-bars',
    'data-testid': 'chart-reductions',
    viewBox: `0 0 ${WIDTH} ${height}`,
    width: WIDTH,
    height,
    role: 'img',
    'aria-label': t('chart.reductions'),
  });
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const mid = y + rowH / 2;
    const v = b.value === null ? null : Number(b.value);
    const end = v === null ? zero : x(v);
    const full = [b.label, b.sublabel].filter(Boolean).join(' — ');
    const row = svg(
      'g',
      { class: `bar-row${onSelect ? ' clickable' : ''}`, 'data-testid': 'reduction-bar', 'data-id': b.id, 'data-value': b.value ?? '' },
      svg('title', null, b.value === null ? `${full}: ${t('chart.no_result')}` : `${full}: ${t('chart.t_per_year', { n: num(b.value) })}`),
      svg('rect', { class: 'bar-hit', x: 0, y, width: WIDTH, height: rowH }),
      svg('text', { class: 'bar-label', x: labelW - 10, y: b.sublabel ? mid - 3 : mid + 4, 'text-anchor': 'end' }, clip(b.label, 30)),
      b.sublabel ? svg('text', { class: 'bar-sublabel', x: labelW - 10, y: mid + 11, 'text-anchor': 'end' }, clip(b.sublabel, 36)) : null,
      v === null
        ? null
        : svg('rect', { class: `bar${v < 0 ? ' negative' : ''}`, x: Math.min(zero, end), y: y + 8, width: Math.max(1, Math.abs(end - zero)), height: rowH - 16, rx: 2 }),
      svg(
        'text',
        { class: `bar-value${v === null ? ' none' : ''}`, x: Math.max(zero, end) + 6, y: mid + 4 },
        b.value === null ? t('chart.no_result') : t('chart.t_per_year', { n: num(b.value) }),
      ),
    );
    if (onSelect) row.addEventListener('click', () => onSelect(b.id));
    chart.appendChild(row);
  });
  const axisY = top + bars.length * rowH;
  chart.append(
    svg('line', { class: 'zero-line', x1: zero, x2: zero, y1: top, y2: axisY }),
    svg('text', { class: 'axis-label', x: labelW, y: axisY + 18 }, t('chart.reduction_axis')),
  );
  return chart;
}

export interface CashFlowSeries {
  without: string[];
  with: string[];
  currency: string | null;
}

/** The cumulative cash position by year, with and without the subsidy, around a zero line. */
export function cashFlowChart(s: CashFlowSeries): SVGSVGElement {
  const height = 280;
  const m = { left: 76, right: 18, top: 34, bottom: 42 };
  const years = Math.max(s.without.length, s.with.length) - 1;
  const all = [...s.without, ...s.with].map(Number);
  const yTicks = ticks(Math.min(0, ...all), Math.max(0, ...all));
  const lo = Math.min(0, ...all, ...yTicks);
  const hi = Math.max(0, ...all, ...yTicks);
  const x = scale(0, Math.max(1, years), m.left, WIDTH - m.right);
  const y = scale(lo, hi === lo ? lo + 1 : hi, height - m.bottom, m.top);
  const chart = svg('svg', {
    class: 'chart chart-lines',
    'data-testid': 'chart-cashflow',
    viewBox: `0 0 ${WIDTH} ${height}`,
    width: WIDTH,
    height,
    role: 'img',
    'aria-label': t('chart.cashflow'),
  });

  // Grid and y axis.
  for (const v of yTicks) {
    chart.append(
      svg('line', { class: 'grid-line', x1: m.left, x2: WIDTH - m.right, y1: y(v), y2: y(v) }),
      svg('text', { class: 'tick', x: m.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, compact(v)),
    );
  }
  chart.appendChild(svg('line', { class: 'zero-line', 'data-testid': 'zero-line', x1: m.left, x2: WIDTH - m.right, y1: y(0), y2: y(0) }));

  // x axis: every year, or every fifth on long lives.
  const every = years > 20 ? 5 : years > 10 ? 2 : 1;
  for (let yr = 0; yr <= years; yr += every) {
    chart.appendChild(svg('text', { class: 'tick', x: x(yr), y: height - m.bottom + 16, 'text-anchor': 'middle' }, String(yr)));
  }
  chart.append(
    svg('text', { class: 'axis-label', x: (m.left + WIDTH - m.right) / 2, y: height - 6, 'text-anchor': 'middle' }, t('chart.year')),
    svg(
      'text',
      { class: 'axis-label', transform: `translate(14 ${(m.top + height - m.bottom) / 2}) rotate(-90)`, 'text-anchor': 'middle' },
      s.currency ? t('chart.cashflow_axis', { currency: s.currency }) : t('chart.cashflow'),
    ),
  );

  // The two lines; each point names its year and amount on hover.
  const line = (values: string[], series: 'without' | 'with') =>
    svg(
      'g',
      { class: `series series-${series}`, 'data-series': series },
      svg('polyline', { class: 'line', points: values.map((v, i) => `${x(i).toFixed(1)},${y(Number(v)).toFixed(1)}`).join(' ') }),
      values.map((v, i) =>
        svg('circle', { class: 'point', cx: x(i).toFixed(1), cy: y(Number(v)).toFixed(1), r: 2.6 }, svg('title', null, `${t('chart.year_n', { n: i })}: ${money(v, s.currency)}`)),
      ),
    );
  chart.append(line(s.without, 'without'), line(s.with, 'with'));

  // Legend.
  const legend = (series: 'without' | 'with', label: string, at: number) =>
    svg(
      'g',
      { class: `legend series-${series}` },
      svg('line', { class: 'line', x1: at, x2: at + 22, y1: 14, y2: 14 }),
      svg('text', { x: at + 28, y: 18 }, label),
    );
  chart.append(legend('without', t('finance.without'), m.left), legend('with', t('finance.with'), m.left + 200));
  return chart;
}
