//! The report's plots, as inline SVG (no plotting library, nothing loaded): test
//! durations this run against the stored history, and the run's timeline, one lane per
//! concurrently running slot.
//!
//! It draws from the report model only and must not compute anything about the run
//! beyond layout (lanes, scales); every label goes through [`esc`].

use std::fmt::Write as _;

use super::{esc, secs, status_key};
use crate::report::json::TestReport;

/// Tests shown in the durations plot: the longest ones (by this run or the stored one).
const MAX_BARS: usize = 30;

const WIDTH: f64 = 900.0;
const LABEL: f64 = 220.0;
const ROW: f64 = 16.0;

/// Horizontal bars: this run's duration, with the stored one as a tick.
pub(super) fn durations(out: &mut String, tests: &[TestReport]) {
    if tests.is_empty() {
        return;
    }
    let mut order: Vec<&TestReport> = tests.iter().collect();
    let longest = |t: &TestReport| {
        t.duration_secs()
            .max(t.previous_duration_secs.unwrap_or(0.0))
    };
    order.sort_by(|a, b| longest(b).total_cmp(&longest(a)));
    order.truncate(MAX_BARS);
    let max = order.first().map_or(0.0, |t| longest(t)).max(1e-3);
    let scale = (WIDTH - LABEL - 70.0) / max;
    let height = ROW * order.len() as f64 + 24.0;
    let _ = write!(
        out,
        "<figure class=\"plot\" id=\"durations\"><figcaption>Durations: this run (bars) against the stored history (ticks){}</figcaption>\
         <svg viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\">",
        if tests.len() > MAX_BARS {
            format!(", the {MAX_BARS} longest of {}", tests.len())
        } else {
            String::new()
        }
    );
    for (i, t) in order.iter().enumerate() {
        let y = i as f64 * ROW + 4.0;
        let w = (t.duration_secs() * scale).max(1.0);
        let before = t
            .previous_duration_secs
            .map(|p| format!(", before {}", secs(p)))
            .unwrap_or_else(|| ", no history".into());
        let _ = write!(
            out,
            "<g><title>{name}: {now}{before}</title>\
             <text x=\"{lx}\" y=\"{ty:.1}\" text-anchor=\"end\">{short}</text>\
             <rect class=\"bar s-{key}\" x=\"{LABEL}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\"/>\
             <text x=\"{vx:.1}\" y=\"{ty:.1}\" class=\"val\">{now}</text>",
            name = esc(&t.name),
            now = secs(t.duration_secs()),
            lx = LABEL - 6.0,
            ty = y + ROW * 0.65,
            short = esc(&shorten(&t.name, 32)),
            key = status_key(t.status),
            h = ROW - 4.0,
            vx = LABEL + w + 4.0,
        );
        if let Some(p) = t.previous_duration_secs {
            let x = LABEL + p * scale;
            let _ = write!(
                out,
                "<line class=\"before\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
                y - 1.0,
                y + ROW - 3.0
            );
        }
        out.push_str("</g>");
    }
    out.push_str("</svg></figure>");
}

/// Lanes for intervals, greedily: each test goes to the first lane free at its start.
pub(super) fn lanes(spans: &[(f64, f64)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by(|&a, &b| spans[a].0.total_cmp(&spans[b].0));
    let mut ends: Vec<f64> = Vec::new();
    let mut lane = vec![0; spans.len()];
    for i in order {
        let (start, end) = spans[i];
        // Timings are rounded; a test starting within a millisecond of another's end
        // took over its slot.
        match ends.iter().position(|&e| e <= start + 1e-3) {
            Some(l) => {
                ends[l] = end;
                lane[i] = l;
            }
            None => {
                lane[i] = ends.len();
                ends.push(end);
            }
        }
    }
    lane
}

/// The run's timeline: a bar per test from its start to its end, one lane per slot.
pub(super) fn timeline(out: &mut String, tests: &[TestReport], run_secs: f64) {
    let ran: Vec<&TestReport> = tests.iter().filter(|t| t.duration_secs() > 0.0).collect();
    if ran.is_empty() {
        return;
    }
    let spans: Vec<(f64, f64)> = ran
        .iter()
        .map(|t| (t.started_secs(), t.started_secs() + t.duration_secs()))
        .collect();
    let lane = lanes(&spans);
    let n = lane.iter().max().map_or(1, |m| m + 1);
    let end = spans.iter().map(|s| s.1).fold(run_secs, f64::max).max(1e-3);
    let left = 60.0;
    let scale = (WIDTH - left - 10.0) / end;
    let lane_h = 18.0;
    let height = lane_h * n as f64 + 30.0;
    let _ = write!(
        out,
        "<figure class=\"plot\" id=\"timeline\" data-lanes=\"{n}\"><figcaption>Timeline: {} tests on {n} slot(s) at most, over {}</figcaption>\
         <svg viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\">",
        ran.len(),
        secs(end)
    );
    for l in 0..n {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">slot {}</text>",
            left - 6.0,
            l as f64 * lane_h + lane_h * 0.7,
            l + 1
        );
    }
    for (i, t) in ran.iter().enumerate() {
        let (s, e) = spans[i];
        let _ = write!(
            out,
            "<rect class=\"bar s-{key}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\"><title>{name}: {from} → {to}</title></rect>",
            key = status_key(t.status),
            x = left + s * scale,
            y = lane[i] as f64 * lane_h + 2.0,
            w = ((e - s) * scale).max(1.0),
            h = lane_h - 4.0,
            name = esc(&t.name),
            from = secs(s),
            to = secs(e),
        );
    }
    // An axis: start, middle, end.
    let y = lane_h * n as f64 + 16.0;
    for k in 0..=4 {
        let at = end * k as f64 / 4.0;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{y:.1}\" text-anchor=\"middle\" class=\"val\">{}</text>",
            left + at * scale,
            secs(at)
        );
    }
    out.push_str("</svg></figure>");
}

/// A label cut to `max` characters with an ellipsis in the middle (test names share
/// prefixes; their ends tell them apart).
fn shorten(name: &str, max: usize) -> String {
    let n = name.chars().count();
    if n <= max {
        return name.to_string();
    }
    let head: String = name.chars().take(max / 2).collect();
    let tail: String = name.chars().skip(n - (max - max / 2 - 1)).collect();
    format!("{head}…{tail}")
}
