//! The pure geometry of the charts: the axis type with chosen ticks, round tick values,
//! the log-minutes scale of the price chart, curves cut at the top of a chart, and label
//! placement that keeps names from covering each other. Shared with the window's charts.

use plotters::prelude::Ranged;

/// A machine's label shortened for a chart: at most `max` characters.
pub(super) fn short(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_owned();
    }
    let kept: String = label.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// A label's anchor point and its size, in screen units (y grows downward).
pub type LabelBox = ((f64, f64), (f64, f64));

/// Where to put labels beside their points so that no two overlap: for each label, in
/// priority order, the first of four spots (right and above, right and below, left and above,
/// left and below) inside `area` (min corner, max corner) clear of the labels placed
/// before it; `None` when every spot is taken. Returns each label's top-left corner.
pub fn place_labels(
    labels: &[LabelBox],
    area: ((f64, f64), (f64, f64)),
) -> Vec<Option<(f64, f64)>> {
    const GAP: f64 = 6.0;
    let mut placed: Vec<((f64, f64), (f64, f64))> = Vec::new();
    let mut out = Vec::with_capacity(labels.len());
    for &((x, y), (w, h)) in labels {
        let candidates = [
            (x + GAP, y - h - 2.0),
            (x + GAP, y + 2.0),
            (x - GAP - w, y - h - 2.0),
            (x - GAP - w, y + 2.0),
        ];
        let spot = candidates.into_iter().find(|&(left, top)| {
            let inside = left >= area.0 .0
                && top >= area.0 .1
                && left + w <= area.1 .0
                && top + h <= area.1 .1;
            inside
                && placed
                    .iter()
                    .all(|&((l, t), (r, b))| left + w <= l || left >= r || top + h <= t || top >= b)
        });
        if let Some((left, top)) = spot {
            placed.push(((left, top), (left + w, top + h)));
        }
        out.push(spot);
    }
    out
}

/// Minutes as the price chart plots them: log10, with a floor of 0.6 s.
pub fn log_minutes(mins: f64) -> f64 {
    mins.max(0.01).log10()
}

/// The price chart's y range in log10 minutes, with room around the points.
pub fn minutes_range(mins: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = mins.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), m| {
        (lo.min(m), hi.max(m))
    });
    if !lo.is_finite() {
        return (log_minutes(0.1), log_minutes(100.0));
    }
    // At least a factor of ten from bottom to top, and a little air above and below.
    let (lo, hi) = (log_minutes(lo) - 0.15, log_minutes(hi) + 0.15);
    if hi - lo < 1.0 {
        let mid = (hi + lo) / 2.0;
        (mid - 0.5, mid + 0.5)
    } else {
        (lo, hi)
    }
}

/// Round minute values (1, 2 and 5 times a power of ten) within a log10 range.
pub fn minute_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut out = Vec::new();
    for power in -2..=5 {
        for m in [1.0, 2.0, 5.0] {
            let v = (m * 10f64.powi(power)).log10();
            if v >= lo && v <= hi {
                out.push(v);
            }
        }
    }
    out
}

/// A linear axis with the ticks given: plotters' own pick of round numbers does not know
/// dollars or a log scale of tokens.
#[derive(Clone)]
pub(super) struct Ticked {
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
}

impl Ticked {
    pub(super) fn new(range: std::ops::Range<f64>, ticks: Vec<f64>) -> Self {
        Self { range, ticks }
    }
}

impl Ranged for Ticked {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = (self.range.end - self.range.start).max(f64::MIN_POSITIVE);
        let t = (value - self.range.start) / span;
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Only bold lines: the light ones would repeat the ticks.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

/// Tick values from 0 to `max`, at a round step, about `n` of them.
pub fn nice_ticks(max: f64, n: usize) -> Vec<f64> {
    let raw = (max / n.max(1) as f64).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    (0..)
        .map(|i| i as f64 * step)
        .take_while(|v| *v <= max * 1.000_001)
        .collect()
}

/// A number with no more decimals than it needs: "12", "2.5", "0.25".
pub(super) fn plain_number(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        format!("{value:.0}")
    } else if (value * 10.0 - (value * 10.0).round()).abs() < 1e-9 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// The points of a curve up to where it leaves the top of the chart.
pub(super) fn clipped(points: &[[f64; 2]], y_max: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        if p[1] <= y_max {
            out.push((p[0], p[1]));
            continue;
        }
        if let Some(prev) = i.checked_sub(1).and_then(|j| points.get(j)) {
            if prev[1] < y_max {
                let t = (y_max - prev[1]) / (p[1] - prev[1]);
                out.push((prev[0] + (p[0] - prev[0]) * t, y_max));
            }
        }
        break;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_are_round() {
        assert_eq!(nice_ticks(10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        // 5,500 / 6 = 917 -> a step of 1,000.
        assert_eq!(
            nice_ticks(5_500.0, 6),
            vec![0.0, 1000.0, 2000.0, 3000.0, 4000.0, 5000.0]
        );
    }

    #[test]
    fn a_curve_is_cut_where_it_leaves_the_chart() {
        // From 100 to 300 between x = 1 and 2: it crosses 200 halfway.
        assert_eq!(
            clipped(
                &[[0.0, 0.0], [1.0, 100.0], [2.0, 300.0], [3.0, 400.0]],
                200.0
            ),
            vec![(0.0, 0.0), (1.0, 100.0), (1.5, 200.0)]
        );
    }

    #[test]
    fn labels_move_aside_instead_of_covering_each_other() {
        let area = ((0.0, 0.0), (400.0, 300.0));
        // Two points 4 px apart: the second label goes below its point.
        let spots = place_labels(
            &[
                ((100.0, 100.0), (80.0, 14.0)),
                ((102.0, 104.0), (80.0, 14.0)),
            ],
            area,
        );
        assert_eq!(spots, vec![Some((106.0, 84.0)), Some((108.0, 106.0))]);
        // Near the right edge, a label goes to the left of its point.
        let spots = place_labels(&[((390.0, 100.0), (80.0, 14.0))], area);
        assert_eq!(spots, vec![Some((304.0, 84.0))]);
    }
}
