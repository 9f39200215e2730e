//! Charts drawn as vector graphics: bars (reductions by technology) and
//! lines (cumulative cash flow with and without subsidy), with axes, round
//! gridline values, axis labels with units, and a legend. Labels go through
//! the same text path as the rest of the page.

use crate::page::{INK, MUTED, RULE, SERIES, SMALL};
use crate::pdf::{Page, Writer};
use crate::text::{layout, Line, Span, Style};

pub enum Chart {
    Bars {
        /// The value axis' label, with its unit.
        axis: String,
        bars: Vec<(String, f64)>,
    },
    Lines {
        x_axis: String,
        y_axis: String,
        /// Each series' name and its points (x, y).
        series: Vec<(String, Vec<(f64, f64)>)>,
    },
}

fn label(text: &str, style: Style, width: f32) -> Option<Line> {
    layout(&[Span::new(text.to_string(), style)], width)
        .into_iter()
        .next()
}

/// Round gridline values covering `lo..=hi`: steps of 1, 2 or 5 × 10ⁿ.
pub fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (lo, hi) = (lo.min(0.0), hi.max(0.0));
    let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// A gridline value as people read it: thousands grouped, no stray decimals.
pub fn tick_label(v: f64) -> String {
    let abs = v.abs();
    let (scaled, suffix) = if abs >= 1e9 {
        (v / 1e9, " bn")
    } else if abs >= 1e6 {
        (v / 1e6, " M")
    } else {
        (v, "")
    };
    let text = if scaled.fract().abs() < 1e-9 {
        format!("{}", scaled as i64)
    } else {
        format!("{scaled:.1}")
    };
    let (sign, digits) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |d| ("−", d));
    let (int, frac) = digits
        .split_once('.')
        .map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}{suffix}"),
        None => format!("{sign}{grouped}{suffix}"),
    }
}

impl Chart {
    /// Draws the chart in the box at (x, y), `w`×`h` points.
    pub fn draw(&self, writer: &mut Writer, page: &mut Page, x: f32, y: f32, w: f32, h: f32) {
        let small = Style {
            color: MUTED,
            ..SMALL
        };
        let (axis_label, values): (&str, Vec<f64>) = match self {
            Chart::Bars { axis, bars } => (axis, bars.iter().map(|b| b.1).collect()),
            Chart::Lines { y_axis, series, .. } => (
                y_axis,
                series
                    .iter()
                    .flat_map(|s| s.1.iter().map(|p| p.1))
                    .collect(),
            ),
        };
        let lo = values.iter().copied().fold(0.0, f64::min);
        let hi = values.iter().copied().fold(0.0, f64::max);
        let ticks = ticks(lo, hi);
        let (t_lo, t_hi) = (ticks[0], *ticks.last().expect("ticks are never empty"));
        let tick_lines: Vec<Line> = ticks
            .iter()
            .filter_map(|t| label(&tick_label(*t), small, w))
            .collect();
        let gutter = tick_lines.iter().map(|l| l.width).fold(0.0, f32::max) + 6.0;
        // The y axis' label above the plot, the x labels or legend below it.
        let title = label(
            axis_label,
            Style {
                color: INK,
                ..SMALL
            },
            w,
        );
        let top = y + title.as_ref().map_or(0.0, |l| l.height()) + 4.0;
        let bottom = y + h - 28.0;
        let (left, right) = (x + gutter, x + w);
        if let Some(l) = &title {
            page.line(writer, l, x, y + l.ascent);
        }
        let to_y = |v: f64| bottom - ((v - t_lo) / (t_hi - t_lo)) as f32 * (bottom - top);
        for (t, l) in ticks.iter().zip(&tick_lines) {
            let ty = to_y(*t);
            let colour = if *t == 0.0 { INK } else { RULE };
            page.polyline(&[(left, ty), (right, ty)], colour, 0.4, None);
            page.line(writer, l, left - 4.0 - l.width, ty + l.ascent / 2.5);
        }
        match self {
            Chart::Bars { bars, .. } => {
                let slot = (right - left) / bars.len().max(1) as f32;
                let bar_w = (slot * 0.6).min(60.0);
                for (i, (name, v)) in bars.iter().enumerate() {
                    let cx = left + slot * (i as f32 + 0.5);
                    let (y0, y1) = (to_y(0.0), to_y(*v));
                    page.fill_rect(
                        cx - bar_w / 2.0,
                        y0.min(y1),
                        bar_w,
                        (y0 - y1).abs(),
                        SERIES[0],
                    );
                    let lines = layout(&[Span::new(name.clone(), small)], slot - 4.0);
                    let mut ly = bottom + 4.0;
                    for l in lines.iter().take(2) {
                        page.line(writer, l, cx - l.width / 2.0, ly + l.ascent);
                        ly += l.height();
                    }
                }
            }
            Chart::Lines { x_axis, series, .. } => {
                let xs: Vec<f64> = series
                    .iter()
                    .flat_map(|s| s.1.iter().map(|p| p.0))
                    .collect();
                let x_lo = xs.iter().copied().fold(f64::MAX, f64::min);
                let x_hi = xs.iter().copied().fold(f64::MIN, f64::max);
                let x_span = if x_hi > x_lo { x_hi - x_lo } else { 1.0 };
                let to_x = |v: f64| left + ((v - x_lo) / x_span) as f32 * (right - left);
                let dashes: [Option<&[f32]>; 2] = [None, Some(&[4.0, 2.5])];
                for (i, (_, points)) in series.iter().enumerate() {
                    let path: Vec<(f32, f32)> = points
                        .iter()
                        .map(|&(px, py)| (to_x(px), to_y(py)))
                        .collect();
                    page.polyline(&path, SERIES[i % SERIES.len()], 1.4, dashes[i % 2]);
                }
                // x values at the ends, the x axis' label between them.
                let ends = [(x_lo, left), (x_hi, right)];
                for (v, at) in ends {
                    if let Some(l) = label(&tick_label(v), small, w) {
                        page.line(writer, &l, at - l.width / 2.0, bottom + 4.0 + l.ascent);
                    }
                }
                if let Some(l) = label(x_axis, small, w) {
                    let cx = (left + right) / 2.0;
                    page.line(writer, &l, cx - l.width / 2.0, bottom + 4.0 + l.ascent);
                }
                // Legend under the axis.
                let mut lx = left;
                let ly = bottom + 18.0;
                for (i, (name, _)) in series.iter().enumerate() {
                    let colour = SERIES[i % SERIES.len()];
                    page.polyline(&[(lx, ly), (lx + 16.0, ly)], colour, 1.4, dashes[i % 2]);
                    if let Some(l) = label(name, small, w / 2.0) {
                        page.line(writer, &l, lx + 20.0, ly + l.ascent / 2.5);
                        lx += 20.0 + l.width + 14.0;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_values() {
        let t = ticks(-1_234.0, 8_765.0);
        assert!(t[0] <= -1_234.0 && *t.last().unwrap() >= 8_765.0);
        assert!(t.contains(&0.0));
        assert!(t.len() <= 12);
        assert_eq!(tick_label(2_000_000.0), "2 M");
        assert_eq!(tick_label(-25_000.0), "−25,000");
        assert_eq!(tick_label(2.5), "2.5");
    }
}
