//! Unit tests of the HTML renderer's pieces. The page as a browser renders it is tested
//! in tests/html_chromium.rs; these check escaping, parsing and layout directly.

use super::highlight::intraline;
use super::svg::lanes;
use super::*;
use crate::compare::{
    DiffLine, Difference, EntryAt, EntryChange, FieldChange, Hunk, LineKind, LineRange, LogSide,
    PlogChanges, PlogDiff, TextDiff,
};
use crate::record::FileRecord;
use crate::report::json::{Summary, TestReport};
use crate::runner::RunKind;

fn test(name: &str, status: Status, files: Vec<FileRecord>) -> TestReport {
    TestReport::from(crate::runner::TestResult {
        name: name.into(),
        mode: RunKind::Test,
        status,
        duration: std::time::Duration::from_secs(1),
        started: std::time::Duration::ZERO,
        attempts: 1,
        script_ok: true,
        reason: None,
        files,
        log: "/tmp/log".into(),
        log_tail: Vec::new(),
        leaked: 0,
        variation: None,
        stall: None,
        inputs: None,
    })
}

fn report(tests: Vec<TestReport>) -> RunReport {
    RunReport {
        format: 1,
        mode: RunKind::Test,
        duration_secs: 2.0,
        interrupted: false,
        summary: Summary::count(tests.iter().map(|t| t.status)),
        tests,
        partition: None,
        selected: None,
        only_failed: false,
    }
}

fn differs(name: &str, difference: Difference) -> FileRecord {
    FileRecord {
        name: name.into(),
        mode: "text".into(),
        verdict: FileVerdict::Differs { difference },
        filters: vec!["preset host-pointers".into()],
    }
}

/// A text difference of one hunk: its `@@` ranges (1-based starts, as written) and its
/// lines, each with its `' '`/`-`/`+` prefix.
fn hunk(name: &str, old: (usize, usize), new: (usize, usize), lines: &[&str]) -> Difference {
    let range = |(start, len): (usize, usize)| LineRange {
        start: if len == 0 { start } else { start - 1 },
        len,
    };
    let line = |l: &&str| {
        let (prefix, text) = l.split_at(1);
        let kind = match prefix {
            "-" => LineKind::Removed,
            "+" => LineKind::Added,
            _ => LineKind::Context,
        };
        DiffLine {
            kind,
            text: text.into(),
            cut_bytes: None,
            no_newline: false,
        }
    };
    Difference::Text(TextDiff {
        name: name.into(),
        sorted: false,
        first_only: None,
        hunks: vec![Hunk {
            old: range(old),
            new: range(new),
            lines: lines.iter().map(line).collect(),
        }],
        truncated: None,
    })
}

#[test]
fn names_and_diff_text_are_escaped() {
    let page = render(&report(vec![test(
        "<script>alert(1)</script>",
        Status::Failed,
        vec![differs(
            "o\"ut",
            hunk("x", (1, 0), (1, 1), &["+</table><script>"]),
        )],
    )]));
    // The page's own script is the only one.
    assert_eq!(page.matches("<script>").count(), 1, "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("</table><script>"));
    assert!(page.contains("&lt;/table&gt;&lt;script&gt;"), "{page}");
    assert!(!page.contains("o\"ut"));
}

#[test]
fn intraline_marks_only_what_changed() {
    let (a, b) = intraline("value = 0x55d0c0ffee", "value = 0x55d0c0ffef");
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_eq!((a[0].clone(), b[0].clone()), (19..20, 19..20));
    let (a, b) = intraline("héllo wörld", "héllo world");
    assert_eq!(&"héllo wörld"[a[0].clone()], "ö");
    assert_eq!(&"héllo world"[b[0].clone()], "o");
}

#[test]
fn side_by_side_pairs_removed_and_added_lines_with_numbers() {
    let page = render(&report(vec![test(
        "t",
        Status::Failed,
        vec![differs(
            "out",
            hunk(
                "out",
                (2, 3),
                (2, 3),
                &[" same", "-old line", "+new line", " tail"],
            ),
        )],
    )]));
    assert!(page.contains(
        "<tr class=\"change\"><td class=\"ln\">3</td><td class=\"old del\"><mark>old</mark> line</td>\
         <td class=\"ln\">3</td><td class=\"new add\"><mark>new</mark> line</td></tr>"
    ), "{page}");
    assert!(page.contains("after filters: <code>preset host-pointers</code>"));
}

#[test]
fn the_report_is_bounded_with_a_note() {
    let body: Vec<String> = (0..3000)
        .flat_map(|i| [format!("-{i}"), format!("+x{i}")])
        .collect();
    let body: Vec<&str> = body.iter().map(String::as_str).collect();
    let diff = hunk("o", (1, 3000), (1, 3000), &body);
    let tests = (0..20)
        .map(|i| {
            test(
                &format!("t{i}"),
                Status::Failed,
                vec![differs("o", diff.clone())],
            )
        })
        .collect();
    let page = render(&report(tests));
    assert_eq!(
        page.matches("more diff line(s) not shown").count(),
        20,
        "every test's diff is cut"
    );
    // 10 tests get the per-test share; the rest only the note.
    assert_eq!(
        page.matches("<td class=\"old del\">").count(),
        10 * (MAX_TEST_DIFF_LINES - 3).div_ceil(2)
    );
    assert!(page.len() < 8 << 20, "{} bytes", page.len());
}

#[test]
fn lanes_are_reused_when_free() {
    assert_eq!(
        lanes(&[(0.0, 2.0), (0.0, 1.0), (1.0, 3.0), (2.0, 4.0), (0.5, 0.7)]),
        vec![0, 1, 1, 0, 2]
    );
}

#[test]
fn pandalog_reports_become_rows_per_field() {
    // entry 3 (instr 120, pc 0x401000): asid 0x1 → 0x2; name init → systemd
    // entry 9 of new (instr 200, pc 0x0): only in new: asid=0x3
    // 1 entries differ, 0 only in blessed, 1 only in new (4 vs 5 entries)
    let field = |path: &str, old: &str, new: &str| FieldChange {
        path: path.into(),
        old: Some(old.into()),
        new: Some(new.into()),
    };
    let diff = Difference::Plog(PlogDiff {
        name: "p.plog".into(),
        changes: PlogChanges {
            names: ["blessed".into(), "new".into()],
            changes: vec![
                EntryChange::Fields {
                    entry: EntryAt {
                        index: 3,
                        instr: 120,
                        pc: 0x401000,
                    },
                    fields: vec![
                        field("asid", "0x1", "0x2"),
                        field("name", "init", "systemd"),
                    ],
                },
                EntryChange::OnlyIn {
                    entry: EntryAt {
                        index: 9,
                        instr: 200,
                        pc: 0,
                    },
                    side: LogSide::Second,
                    text: "asid=0x3".into(),
                },
            ],
            changed: 1,
            only_a: 0,
            only_b: 1,
            entries_a: 4,
            entries_b: 5,
            ..Default::default()
        },
    });
    let page = render(&report(vec![test(
        "p",
        Status::Failed,
        vec![FileRecord {
            mode: "plog".into(),
            ..differs("p.plog", diff.clone())
        }],
    )]));
    assert!(page.contains("<td class=\"num\">3</td><td class=\"num\">120</td><td><code>0x401000</code></td><td><code>asid</code></td>"), "{page}");
    assert!(
        page.contains("<td><code>name</code></td><td class=\"del\"><mark>init</mark></td>"),
        "{page}"
    );
    assert!(
        page.contains("only in new</td><td class=\"del\"></td><td class=\"add\">asid=0x3</td>")
    );
    assert!(page.contains("1 entries differ"));
}

#[test]
fn a_stalled_replay_shows_how_far_it_got_from_its_data_not_from_words() {
    let mut t = test("r", Status::Errored, Vec::new());
    t.result.stall = Some(crate::runner::ReplayStall {
        replay: "netstat".into(),
        at: Some(250),
        total: 1000,
        quiet_secs: 120,
    });
    // A message that reads like a stall is only a message.
    let mut worded = test("w", Status::Errored, Vec::new());
    worded.result.reason = Some(crate::runner::Reason::Error {
        error: "replay w stalled at instruction 9 of 10 (no progress for 2m)".into(),
    });
    let page = render(&report(vec![t, worded]));
    assert!(
        page.contains(
            "replay netstat stalled at instruction 250 of 1000 (25.0%) (no progress for 2m)"
        ),
        "{page}"
    );
    assert_eq!(
        page.matches("<div class=\"progress\">").count(),
        1,
        "{page}"
    );
}

#[test]
fn a_text_diff_is_laid_out_from_its_data_whatever_its_text_says() {
    // Its headers end as a pandalog report's do; it is a text diff all the same.
    let page = render(&report(vec![test(
        "t",
        Status::Failed,
        vec![differs(
            "x (pandalog entries)",
            hunk(
                "x (pandalog entries)",
                (1, 1),
                (1, 1),
                &["-entry 1 (instr 2, pc 0x3): a 1 → 2", "+b"],
            ),
        )],
    )]));
    assert!(!page.contains("<table class=\"plog\">"), "{page}");
    assert!(page.contains("<table class=\"diff split\">"), "{page}");
}
