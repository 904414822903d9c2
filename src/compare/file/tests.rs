//! Comparing one pair of files in each mode, through [`compare_file`].

use super::super::budget::MAX_DIFF_MEMORY;
use super::super::filter::{Filter, compile};
use super::super::spec::FilterSpec;
use super::*;

struct Pair {
    dir: tempfile::TempDir,
    max_memory: u64,
}

impl Pair {
    fn new(a: &[u8], b: &[u8]) -> Pair {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), a).unwrap();
        std::fs::write(dir.path().join("b"), b).unwrap();
        Pair {
            dir,
            max_memory: MAX_DIFF_MEMORY,
        }
    }

    fn compare(&self, mode: Mode, filters: &[&Filter], max_lines: usize) -> FileVerdict {
        let (a, b) = (self.dir.path().join("a"), self.dir.path().join("b"));
        compare_file(&FileJob {
            name: "out.txt",
            blessed: &a,
            new: &b,
            mode,
            filters: Filters::new(filters),
            max_lines,
            more: "ptest diff t",
            plog_schema: None,
            max_memory: self.max_memory,
            cancel: &Cancel::never(),
        })
        .expect("never cancelled")
    }
}

fn outcome(a: &str, b: &str, mode: Mode) -> FileVerdict {
    Pair::new(a.as_bytes(), b.as_bytes()).compare(mode, &[], 200)
}

fn diff_text(o: FileVerdict) -> String {
    match o {
        FileVerdict::Differs { difference } => super::super::render_difference(&difference),
        other => panic!("expected a diff, got {other:?}"),
    }
}

fn regex_filter(regex: &str, replace: &str) -> Vec<Filter> {
    compile(
        "t.toml",
        1,
        &FilterSpec {
            preset: None,
            regex: Some(regex.into()),
            replace: replace.into(),
            files: None,
        },
    )
    .unwrap()
}

#[test]
fn exact_mode() {
    assert_eq!(outcome("a\nb\n", "a\nb\n", Mode::Exact), FileVerdict::Same);
    assert_eq!(outcome("", "", Mode::Exact), FileVerdict::Same);
    let d = diff_text(outcome("a\nb\n", "a\r\nb\n", Mode::Exact));
    assert!(d.contains("-a\n+a\r\n"), "{d:?}");
    let d = diff_text(outcome("a\nb\n", "a\nb", Mode::Exact));
    assert!(d.contains("+b\n\\ No newline at end of file"), "{d:?}");
    diff_text(outcome("a \n", "a\n", Mode::Exact));
}

#[test]
fn text_mode_ignores_line_endings_and_trailing_space() {
    assert_eq!(
        outcome("a\nb  \nc\n", "a\r\nb\t\r\nc", Mode::Text),
        FileVerdict::Same
    );
    let d = diff_text(outcome("a\nb\n", "a\nB\r\n", Mode::Text));
    assert!(d.ends_with("@@ -1,2 +1,2 @@\n a\n-b\n+B\n"), "{d:?}");
    // Leading whitespace and blank lines still count.
    diff_text(outcome("a\n", " a\n", Mode::Text));
    diff_text(outcome("a\n", "a\n\n", Mode::Text));
}

#[test]
fn sorted_mode_ignores_order_only() {
    assert_eq!(
        outcome("b\na\nc\n", "c\nb\na", Mode::Sorted),
        FileVerdict::Same
    );
    let d = diff_text(outcome("b\na\nc\n", "c\nb\nd\n", Mode::Sorted));
    insta::assert_snapshot!(d);
    // Duplicates count.
    diff_text(outcome("a\na\nb\n", "a\nb\nb\n", Mode::Sorted));
}

#[test]
fn filters_apply_to_both_sides_in_every_mode() {
    let f = regex_filter(r"0x[0-9a-f]+", "ADDR");
    let refs: Vec<&Filter> = f.iter().collect();
    let p = Pair::new(b"p=0x1234\nq\n", b"p=0xbeef\nq\n");
    for m in [Mode::Exact, Mode::Text, Mode::Sorted] {
        assert_eq!(p.compare(m, &refs, 200), FileVerdict::Same, "{m:?}");
        assert!(matches!(
            p.compare(m, &[], 200),
            FileVerdict::Differs { .. }
        ));
    }
    // The diff shows the filtered lines.
    let p = Pair::new(b"p=0x1234\nq\n", b"p=0xbeef\nr\n");
    let d = diff_text(p.compare(Mode::Exact, &refs, 200));
    assert!(d.contains(" p=ADDR\n-q\n+r\n"), "{d}");
}

#[test]
fn binary_files_get_a_hex_report() {
    let p = Pair::new(b"\x00\x01\x02abc", b"\x00\x01\x03abc");
    let d = diff_text(p.compare(Mode::Exact, &[], 200));
    assert!(
        d.starts_with("Binary files blessed/out.txt and new/out.txt differ\n"),
        "{d}"
    );
    assert!(d.contains("first difference at byte offset 2 (0x2)"), "{d}");
}

#[test]
fn plog_that_cannot_be_decoded_falls_back_to_bytes() {
    let p = Pair::new(b"\x00one", b"\x00two");
    let d = diff_text(p.compare(Mode::Plog, &[], 200));
    assert!(
        d.starts_with("cannot compare blessed/out.txt and new/out.txt as pandalogs ("),
        "{d}"
    );
    assert!(d.contains("first difference at byte offset 1 (0x1)"), "{d}");
    // Identical files never reach the decoder.
    let p = Pair::new(b"\x00same", b"\x00same");
    assert_eq!(p.compare(Mode::Plog, &[], 200), FileVerdict::Same);
}

#[test]
fn diff_is_cut() {
    let a: String = (0..50).map(|i| format!("{i}\n")).collect();
    let b: String = (0..50).map(|i| format!("x{i}\n")).collect();
    let d = diff_text(Pair::new(a.as_bytes(), b.as_bytes()).compare(Mode::Exact, &[], 5));
    assert!(
        d.ends_with("… 96 more diff lines cut (see ptest diff t)\n"),
        "{d}"
    );
}

#[test]
fn beyond_the_memory_limit_text_reports_the_first_difference() {
    let a: String = (0..1000).map(|i| format!("line {i}\n")).collect();
    let b = a.replace("line 500\n", "changed\n");
    let mut pair = Pair::new(a.as_bytes(), b.as_bytes());
    pair.max_memory = 4096;
    for mode in [Mode::Exact, Mode::Text] {
        let d = diff_text(pair.compare(mode, &[], 200));
        assert!(
            d.contains("files too large to load")
                && d.contains("first difference only, at line 501")
                && d.contains("-line 500\n+changed"),
            "{d}"
        );
    }
}

#[test]
fn beyond_the_memory_limit_sorted_compares_line_digests() {
    let a: String = (0..1000).map(|i| format!("line {i}\n")).collect();
    let shuffled: String = (0..1000).rev().map(|i| format!("line {i}\n")).collect();
    let mut pair = Pair::new(a.as_bytes(), shuffled.as_bytes());
    pair.max_memory = 4096;
    assert_eq!(pair.compare(Mode::Sorted, &[], 200), FileVerdict::Same);
    let other = shuffled.replace("line 7\n", "line 7\nline 7\n");
    let mut pair = Pair::new(a.as_bytes(), other.as_bytes());
    pair.max_memory = 4096;
    let d = diff_text(pair.compare(Mode::Sorted, &[], 200));
    assert!(
        d.contains("different lines (1000 and 1001 lines)") && d.contains("diff <(sort"),
        "{d}"
    );
}

#[test]
fn unreadable_side_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a"), b"x").unwrap();
    let missing = dir.path().join("nope");
    let o = compare_file(&FileJob {
        name: "f",
        blessed: &dir.path().join("a"),
        new: &missing,
        mode: Mode::Exact,
        filters: Filters::default(),
        max_lines: 10,
        more: "",
        plog_schema: None,
        max_memory: MAX_DIFF_MEMORY,
        cancel: &Cancel::never(),
    })
    .expect("never cancelled");
    match o {
        FileVerdict::Invalid { reason } => {
            assert!(reason.starts_with("cannot read new/f: "), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}
