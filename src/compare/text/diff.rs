//! Unified diffs of two line lists: which lines changed, grouped into hunks.
//!
//! Lines are compared as they were loaded: after filters (and, in `text` mode, without
//! trailing whitespace), so what the diff shows is exactly what made the test fail.
//! The common prefix and suffix are skipped before interning, so two 100 MB files that
//! differ in a few places cost little more than reading them.
//!
//! The work is bounded, as GNU diff bounds it: imara-diff's histogram algorithm gives the
//! most readable hunks, but it rescans what is left after each common run it finds, so
//! many scattered changes cost the square of the lines (160k lines, a third changed:
//! minutes). Beyond [`HISTOGRAM_MAX_LINES`] changed-region lines the diff is Myers' with
//! GNU diff's cost heuristic (a near-minimal diff, never quadratic). The diff runs on a
//! helper thread so that [`unified_until`] answers a stop request while it runs.
//!
//! Owns the algorithm only: it must not format text (that is `render`) nor read files.

use std::sync::mpsc;
use std::time::Duration;

use imara_diff::{Algorithm, Diff, InternedInput, Interner};

use super::cancel::{Cancel, Stopped};
use super::difference::{Difference, TextDiff};
use super::lines::Lines;
use super::render::{self, CONTEXT, DiffOptions, Hunk};

/// The most lines (both sides, common prefix and suffix excluded) diffed with the
/// histogram algorithm, whose worst case is quadratic: 20k lines cost well under a second.
const HISTOGRAM_MAX_LINES: usize = 20_000;

/// How often a waiting [`unified_until`] checks whether to stop.
const POLL: Duration = Duration::from_millis(20);

/// A unified diff of `before` (blessed) and `after` (new), cut to `opts.max_lines`; `None`
/// when they are equal.
#[cfg(test)]
pub(crate) fn unified(before: &Lines, after: &Lines, opts: &DiffOptions<'_>) -> Option<TextDiff> {
    render_groups(before, after, &hunk_groups(before, after), opts)
}

/// The diff of `groups`; `None` when nothing changed.
fn render_groups(
    before: &Lines,
    after: &Lines,
    groups: &[Vec<Hunk>],
    opts: &DiffOptions<'_>,
) -> Option<TextDiff> {
    if groups.is_empty() {
        return None;
    }
    Some(render::unified(before, after, groups, opts))
}

/// [`unified`], stopping early when `cancel` says so. The diff runs on a helper thread;
/// a stopped one is left to finish on its own (its cost is bounded) and its result dropped.
pub(crate) fn unified_until(
    before: Lines,
    after: Lines,
    opts: &DiffOptions<'_>,
    cancel: &Cancel,
) -> Result<Option<Difference>, Stopped> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let groups = hunk_groups(&before, &after);
        // The receiver is gone when the comparison stopped: nothing to do.
        let _ = tx.send((before, after, groups));
    });
    loop {
        cancel.check()?;
        match rx.recv_timeout(POLL) {
            Ok((before, after, groups)) => {
                return Ok(render_groups(&before, &after, &groups, opts).map(Difference::Text));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // The helper panicked: say so in the diff rather than lose the comparison.
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Ok(Some(Difference::DiffFailed {
                    name: opts.name.to_string(),
                }));
            }
        }
    }
}

/// The changed regions of `before` and `after`, as hunks grouped when their contexts would
/// touch, in whole-file line numbers.
fn hunk_groups(before: &Lines, after: &Lines) -> Vec<Vec<Hunk>> {
    let (nb, na) = (before.len(), after.len());
    // Skip what both sides share at the start and the end, keeping room for context.
    let mut prefix = 0;
    while prefix < nb && prefix < na && before.line(prefix) == after.line(prefix) {
        prefix += 1;
    }
    let mut suffix = 0;
    while suffix < nb - prefix
        && suffix < na - prefix
        && before.line(nb - 1 - suffix) == after.line(na - 1 - suffix)
    {
        suffix += 1;
    }
    if prefix == nb && prefix == na {
        return Vec::new();
    }
    let base = prefix.saturating_sub(CONTEXT);
    let tail = suffix.saturating_sub(CONTEXT);
    let (end_b, end_a) = (nb - tail, na - tail);

    let middle = (end_b - base) + (end_a - base);
    let mut input: InternedInput<&[u8]> = InternedInput {
        before: Vec::with_capacity(end_b - base),
        after: Vec::with_capacity(end_a - base),
        interner: Interner::new(middle),
    };
    input.update_before((base..end_b).map(|i| before.line(i)));
    input.update_after((base..end_a).map(|i| after.line(i)));
    let algorithm = if middle <= HISTOGRAM_MAX_LINES {
        Algorithm::Histogram
    } else {
        Algorithm::Myers
    };
    let mut diff = Diff::compute(algorithm, &input);
    diff.postprocess_lines(&input);
    drop(input);

    let mut groups: Vec<Vec<Hunk>> = Vec::new();
    for h in diff.hunks() {
        let h = Hunk {
            before: h.before.start as usize + base..h.before.end as usize + base,
            after: h.after.start as usize + base..h.after.end as usize + base,
        };
        match groups.last_mut() {
            Some(g)
                if g.last()
                    .is_some_and(|l| h.before.start - l.before.end <= 2 * CONTEXT) =>
            {
                g.push(h)
            }
            _ => groups.push(vec![h]),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::super::render::MAX_SHOWN_LINE_BYTES;
    use super::super::render::tests::opts;
    use super::*;

    fn lines(s: &str) -> Lines {
        Lines::from_bytes(s.as_bytes().to_vec()).unwrap_or_default()
    }

    fn diff(a: &str, b: &str, max: usize) -> String {
        unified(&lines(a), &lines(b), &opts(max)).map_or(String::new(), |d| {
            super::super::difference::render(&super::super::difference::Difference::Text(d))
        })
    }

    fn numbered(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn equal_is_empty() {
        assert_eq!(diff("a\nb\n", "a\nb\n", 200), "");
        assert_eq!(diff("", "", 200), "");
    }

    #[test]
    fn one_change_with_context() {
        let a = numbered(20);
        let b = a.replace("line 10\n", "line ten\n");
        insta::assert_snapshot!(diff(&a, &b, 200));
    }

    #[test]
    fn close_changes_share_a_hunk_far_ones_do_not() {
        let a = numbered(40);
        let b = a
            .replace("line 5\n", "line five\n")
            .replace("line 10\n", "line ten\n")
            .replace("line 30\n", "")
            .replace("line 40\n", "line 40\nline 41\n");
        insta::assert_snapshot!(diff(&a, &b, 200));
    }

    #[test]
    fn missing_final_newline_is_shown() {
        insta::assert_snapshot!(diff("a\nb\n", "a\nb", 200));
    }

    #[test]
    fn insert_into_empty_and_delete_all() {
        assert_eq!(
            diff("", "x\ny\n", 200),
            "--- blessed/out.txt\n+++ new/out.txt\n@@ -0,0 +1,2 @@\n+x\n+y\n"
        );
        assert_eq!(
            diff("x\n", "", 200),
            "--- blessed/out.txt\n+++ new/out.txt\n@@ -1 +0,0 @@\n-x\n"
        );
    }

    #[test]
    fn cut_with_note() {
        let a = numbered(100);
        let b: String = (1..=100).map(|i| format!("LINE {i}\n")).collect();
        let d = diff(&a, &b, 10);
        let lines: Vec<&str> = d.lines().collect();
        // 2 headers + 10 lines + the note; the full diff is 1 @@ + 200 lines.
        assert_eq!(lines.len(), 13, "{d}");
        assert_eq!(lines[12], "… 191 more diff lines cut (see ptest diff t1)");
        assert_eq!(lines[2], "@@ -1,100 +1,100 @@");
    }

    #[test]
    fn no_cut_note_when_it_fits() {
        let a = numbered(5);
        let b = a.replace("line 3\n", "x\n");
        let d = diff(&a, &b, 7);
        assert!(!d.contains("cut"), "{d}");
        assert_eq!(d.lines().count(), 2 + 1 + 6, "{d}");
        let d = diff(&a, &b, 6);
        assert!(
            d.ends_with("… 1 more diff lines cut (see ptest diff t1)\n"),
            "{d}"
        );
    }

    #[test]
    fn large_equal_prefix_and_suffix_keep_line_numbers() {
        let a = numbered(100_000);
        let b = a.replace("line 50000\n", "changed\n");
        let d = diff(&a, &b, 200);
        assert!(d.contains("@@ -49997,7 +49997,7 @@\n line 49997\n"), "{d}");
        assert!(d.contains("-line 50000\n+changed\n line 50001\n"), "{d}");
    }

    #[test]
    fn huge_lines_are_shown_cut() {
        let long = "y".repeat(MAX_SHOWN_LINE_BYTES + 5);
        let d = diff("x\n", &format!("{long}\n"), 200);
        let want = format!(
            "+{}… [line cut: 5 more bytes]\n",
            &long[..MAX_SHOWN_LINE_BYTES]
        );
        assert!(d.ends_with(&want), "{d}");
    }
}
