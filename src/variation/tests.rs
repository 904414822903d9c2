use std::path::PathBuf;

use super::*;

/// Three runs of a test printing a host pointer, the time of day and shuffled lines.
fn runs(dir: &std::path::Path) -> Vec<PathBuf> {
    let outputs = [
        ("0x7ffd1234abcd", "20:31:05", ["apple", "pear", "fig"]),
        ("0x7ffd99990000", "20:31:06.25", ["pear", "fig", "apple"]),
        ("0x55aa12340001", "20:31:07", ["fig", "apple", "pear"]),
    ];
    outputs
        .iter()
        .enumerate()
        .map(|(i, (ptr, time, fruit))| {
            let run = dir.join(format!("{}", i + 1));
            std::fs::create_dir_all(&run).unwrap();
            let text = format!(
                "start\nbuffer at {ptr}\nnow {time} here\n{}\nend\n",
                fruit.join("\n")
            );
            std::fs::write(run.join("out.txt"), text).unwrap();
            std::fs::write(run.join("same.txt"), "stable\n").unwrap();
            run
        })
        .collect()
}

#[test]
fn names_each_spot_with_a_checked_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let v = analyse(&[], &runs(dir.path())).unwrap();
    assert_eq!(v.runs, 3);
    assert_eq!(v.files.len(), 1, "{v:#?}");
    let f = &v.files[0];
    assert_eq!(f.name, "out.txt");
    let places: Vec<&Place> = f.spots.iter().map(|s| &s.place).collect();
    assert!(
        matches!(places[0], Place::Token { first_line: 2, shape, .. } if shape == "buffer at …")
    );
    assert!(
        matches!(places[1], Place::Token { first_line: 3, shape, .. } if shape == "now … here")
    );
    assert!(matches!(places[2], Place::Order { lines: 3 }));
    assert_eq!(
        f.spots[0].suggestion,
        Some(Suggestion::Preset {
            preset: "host-pointers".into(),
            files: "out.txt".into()
        })
    );
    assert_eq!(
        f.spots[1].suggestion,
        Some(Suggestion::Filter {
            regex: r"\b(now )\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?".into(),
            replace: "${1}<TIME>".into(),
            files: "out.txt".into()
        })
    );
    assert_eq!(
        f.spots[2].suggestion,
        Some(Suggestion::Mode {
            mode: "sorted".into(),
            files: "out.txt".into()
        })
    );
    assert_eq!(f.spots[0].variants.len(), 3);
    assert_eq!(f.spots[0].variants[0].runs.len(), 1);
    assert!(f.fixed_by_suggestions);
    let text = render(&v, "t/test.toml");
    assert!(text.contains("preset = \"host-pointers\""), "{text}");
}

#[test]
fn runs_that_agree_under_the_rules_show_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let runs = runs(dir.path());
    let suggestions = analyse(&[], &runs).unwrap();
    let all: Vec<&Suggestion> = suggestions.suggestions().collect();
    let layer = suggest::layer_of(&all);
    let v = analyse(&[layer], &runs).unwrap();
    assert!(v.agrees(), "{v:#?}");
}

#[test]
fn a_file_missing_from_a_run_is_named_and_a_word_that_varies_gets_no_blind_filter() {
    let dir = tempfile::tempdir().unwrap();
    let runs = runs(dir.path());
    std::fs::write(runs[1].join("extra.txt"), "x\n").unwrap();
    std::fs::write(runs[0].join("same.txt"), "stable\nred\n").unwrap();
    std::fs::write(runs[1].join("same.txt"), "stable\ngreen\n").unwrap();
    std::fs::write(runs[2].join("same.txt"), "stable\nblue\n").unwrap();
    let v = analyse(&[], &runs).unwrap();
    let extra = v.files.iter().find(|f| f.name == "extra.txt").unwrap();
    assert_eq!(extra.spots[0].place, Place::Presence);
    assert_eq!(extra.spots[0].variants[0].runs, vec![2]);
    let same = v.files.iter().find(|f| f.name == "same.txt").unwrap();
    assert!(
        same.spots.iter().all(|s| s.suggestion.is_none()),
        "{same:#?}"
    );
}

#[test]
fn suggestions_are_written_keeping_comments_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.toml");
    std::fs::write(&path, "# keep me\ntimeout = \"5s\"\n").unwrap();
    let v = analyse(&[], &runs(dir.path())).unwrap();
    let all: Vec<&Suggestion> = v.suggestions().collect();
    assert_eq!(edit::apply(&path, &all).unwrap(), 3);
    assert_eq!(edit::apply(&path, &all).unwrap(), 0, "nothing added twice");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# keep me\ntimeout = \"5s\"\n"), "{text}");
    for s in &all {
        for line in s.toml_lines().lines() {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}

fn write_plog(path: &std::path::Path, entries: &[Vec<u8>]) {
    let mut w = ptest_plog::PlogWriter::create(path).unwrap();
    for e in entries {
        w.write_entry(e).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn a_pandalog_field_that_varies_is_named_and_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let base: Vec<Vec<u8>> = ptest_plog::synth::entries(7, 30).collect();
    let runs: Vec<PathBuf> = (1..=3u64)
        .map(|k| {
            let run = dir.path().join(k.to_string());
            std::fs::create_dir_all(&run).unwrap();
            let mut entries = base.clone();
            // Entry 10 carries a host-side timestamp (field 99) that differs per run.
            let mut stamp = ptest_plog::synth::Enc::default();
            stamp.uint(99, 1_700_000_000 + k * 17);
            entries[10].extend_from_slice(&stamp.0);
            write_plog(&run.join("trace.plog"), &entries);
            run
        })
        .collect();
    let v = analyse(&[], &runs).unwrap();
    let f = &v.files[0];
    assert_eq!(f.mode, "plog");
    assert_eq!(f.spots.len(), 1, "{f:#?}");
    let Place::Token { first_line, .. } = &f.spots[0].place else {
        panic!("{f:#?}")
    };
    assert_eq!(*first_line, 11);
    assert_eq!(f.spots[0].variants.len(), 3);
    assert!(
        matches!(&f.spots[0].suggestion, Some(Suggestion::Filter { .. })),
        "{f:#?}"
    );
    assert!(f.fixed_by_suggestions, "{f:#?}");
    assert!(render(&v, "t").contains("entry 11 varies"));
}

#[test]
fn a_permutation_larger_than_the_bound_is_still_told_to_be_order_only() {
    let dir = tempfile::tempdir().unwrap();
    let n = lines::MAX_DIFFERING as u64 * 3 + 1;
    let runs: Vec<PathBuf> = [1u64, 7, 13]
        .iter()
        .enumerate()
        .map(|(r, step)| {
            let run = dir.path().join((r + 1).to_string());
            std::fs::create_dir_all(&run).unwrap();
            let text: String = (0..n)
                .map(|i| format!("entry {}\n", (i * step) % n))
                .collect();
            std::fs::write(run.join("big.txt"), text).unwrap();
            run
        })
        .collect();
    let v = analyse(&[], &runs).unwrap();
    let f = &v.files[0];
    assert_eq!(f.spots.len(), 1, "{f:#?}");
    assert!(matches!(f.spots[0].place, Place::Order { .. }));
    assert!(f.fixed_by_suggestions);
    assert!(f.note.is_some());
}
