//! The compare API end to end: layers compiled into a [`Comparer`], folders compared.

use super::*;
use std::fs;
use std::path::{Path, PathBuf};

/// A layer built from TOML text field by field, not through the specs' deserializers:
/// those refuse a bad mode, regex or glob at its line already (see `suite::config`), and
/// these tests reach the checks [`Comparer::new`] makes of layers built in code.
fn layer(origin: &str, toml_text: &str) -> CompareLayer {
    let doc: toml::Table = toml::from_str(toml_text).unwrap();
    let text = |t: &toml::Table, k: &str| t.get(k).and_then(|v| v.as_str()).map(String::from);
    let filters = doc
        .get("filters")
        .and_then(|f| f.as_array())
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_table())
                .map(|t| FilterSpec {
                    preset: text(t, "preset"),
                    regex: text(t, "regex"),
                    replace: text(t, "replace").unwrap_or_default(),
                    files: text(t, "files"),
                })
                .collect()
        })
        .unwrap_or_default();
    let compare = match doc.get("compare").and_then(|c| c.as_table()) {
        None => CompareSpec::default(),
        Some(c) => CompareSpec {
            mode: text(c, "mode"),
            modes: c
                .get("modes")
                .and_then(|m| m.as_table())
                .map(|m| {
                    m.iter()
                        .filter_map(|(g, v)| Some((g.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
            diff_lines: c
                .get("diff-lines")
                .and_then(|n| n.as_integer())
                .map(|n| n as usize),
            plog_schema: text(c, "plog-schema").map(PathBuf::from),
        },
    };
    CompareLayer {
        origin: origin.into(),
        filters,
        compare,
    }
}

fn dirs() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let (b, n) = (t.path().join("blessed"), t.path().join("new"));
    fs::create_dir_all(&b).unwrap();
    fs::create_dir_all(&n).unwrap();
    (t, b, n)
}

fn outcomes(d: &DirComparison) -> Vec<(String, &'static str, String)> {
    d.files
        .iter()
        .map(|f| {
            let o = match &f.verdict {
                FileVerdict::Same => "same".to_string(),
                FileVerdict::Differs { .. } => "differs".to_string(),
                FileVerdict::Missing => "missing".to_string(),
                FileVerdict::Unexpected => "unexpected".to_string(),
                FileVerdict::Invalid { reason } => format!("invalid: {reason}"),
            };
            (f.name.clone(), f.mode, o)
        })
        .collect()
}

#[test]
fn dirs_missing_unexpected_same_differs_nested() {
    let (_t, b, n) = dirs();
    fs::create_dir_all(b.join("sub")).unwrap();
    fs::create_dir_all(n.join("sub")).unwrap();
    fs::write(b.join("same.txt"), "x\n").unwrap();
    fs::write(n.join("same.txt"), "x\n").unwrap();
    fs::write(b.join("sub/d.txt"), "1\n").unwrap();
    fs::write(n.join("sub/d.txt"), "2\n").unwrap();
    fs::write(b.join("gone.txt"), "x").unwrap();
    fs::write(n.join("extra.txt"), "x").unwrap();
    let d = Comparer::new(&[]).unwrap().compare_dirs(&b, &n).unwrap();
    assert!(!d.all_same());
    assert_eq!(
        outcomes(&d),
        [
            ("extra.txt".into(), "exact", "unexpected".into()),
            ("gone.txt".into(), "exact", "missing".into()),
            ("same.txt".into(), "exact", "same".into()),
            ("sub/d.txt".into(), "exact", "differs".into()),
        ]
    );
    let FileVerdict::Differs { difference } = &d.files[3].verdict else {
        panic!()
    };
    let diff = &render_difference(difference);
    assert_eq!(
        diff,
        "--- blessed/sub/d.txt\n+++ new/sub/d.txt\n@@ -1 +1 @@\n-1\n+2\n"
    );
}

#[test]
fn identical_dirs_are_all_same_and_empty_new_is_all_missing() {
    let (_t, b, n) = dirs();
    fs::write(b.join("a"), "x").unwrap();
    fs::write(n.join("a"), "x").unwrap();
    let c = Comparer::new(&[]).unwrap();
    assert!(c.compare_dirs(&b, &n).unwrap().all_same());
    fs::remove_file(n.join("a")).unwrap();
    let d = c.compare_dirs(&b, &n).unwrap();
    assert_eq!(d.files[0].verdict, FileVerdict::Missing);
    // No blessed folder at all: everything produced is unexpected.
    fs::write(n.join("a"), "x").unwrap();
    let d = c.compare_dirs(&b.join("absent"), &n).unwrap();
    assert_eq!(d.files[0].verdict, FileVerdict::Unexpected);
}

#[test]
fn special_files_are_invalid_on_either_side_and_never_opened() {
    let (_t, b, n) = dirs();
    fs::write(b.join("out"), "x").unwrap();
    // A FIFO where the output should be: opening it would block forever.
    rustix::fs::mknodat(
        rustix::fs::CWD,
        n.join("out"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    std::os::unix::fs::symlink(b.join("out"), b.join("link")).unwrap();
    fs::write(n.join("link"), "x").unwrap();
    let d = Comparer::new(&[]).unwrap().compare_dirs(&b, &n).unwrap();
    let o = outcomes(&d);
    assert_eq!(o[0].0, "link");
    assert!(
        o[0].2
            .starts_with("invalid: blessed/link is a symbolic link"),
        "{o:?}"
    );
    assert_eq!(o[1].0, "out");
    assert!(o[1].2.starts_with("invalid: new/out is a FIFO"), "{o:?}");
    assert!(!d.all_same());
}

#[test]
fn layers_filters_modes_and_settings() {
    let suite = layer(
        "suite/ptest.toml",
        r#"
        [[filters]]
        preset = "host-pointers"
        [compare]
        mode = "text"
        diff-lines = 1
        modes = { "*.set" = "sorted" }
        "#,
    );
    let test = layer(
        "suite/t1/test.toml",
        r#"
        [[filters]]
        regex = "0xPTR"
        replace = "P"
        files = "*.txt"
        [compare]
        modes = { "*.bin" = "exact", "raw/*.bin" = "text", "*.txt" = "exact" }
        "#,
    );
    let c = Comparer::new(&[suite, test]).unwrap().with_test_name("t1");
    let p = Path::new("/nonexistent");
    assert_eq!(c.mode_for("a.set", p, p), Mode::Sorted);
    assert_eq!(c.mode_for("other", p, p), Mode::Text);
    assert_eq!(c.mode_for("x.bin", p, p), Mode::Exact);
    // The longer (more specific) glob wins within a layer.
    assert_eq!(c.mode_for("raw/x.bin", p, p), Mode::Text);
    assert_eq!(c.diff_lines, 1);

    let (_t, b, n) = dirs();
    // Suite filter runs first, then the test's filter on its output.
    fs::write(b.join("a.txt"), "at 0x7ffd12345678\n").unwrap();
    fs::write(n.join("a.txt"), "at 0x7ffdaaaabbbb\n").unwrap();
    fs::write(b.join("c.set"), "1\n2\n").unwrap();
    fs::write(n.join("c.set"), "2\n1\n").unwrap();
    fs::write(b.join("d.txt"), "a\nb\nc\n").unwrap();
    fs::write(n.join("d.txt"), "x\ny\nz\n").unwrap();
    let d = c.compare_dirs(&b, &n).unwrap();
    let o = outcomes(&d);
    assert_eq!(o[0], ("a.txt".into(), "exact", "same".into()));
    assert_eq!(o[1], ("c.set".into(), "sorted", "same".into()));
    let FileVerdict::Differs { difference } = &d.files[2].verdict else {
        panic!("{o:?}")
    };
    let diff = &render_difference(difference);
    assert!(
        diff.ends_with("@@ -1,3 +1,3 @@\n… 6 more diff lines cut (see ptest diff t1)\n"),
        "{diff}"
    );
    let full = c.with_diff_lines(1000).compare_dirs(&b, &n).unwrap();
    let FileVerdict::Differs { difference } = &full.files[2].verdict else {
        panic!()
    };
    let diff = &render_difference(difference);
    assert!(!diff.contains("cut"), "{diff}");
}

#[test]
fn config_errors_name_the_file_and_what_to_fix() {
    for (text, want) in [
        (
            "[compare]\nmode = \"fuzzy\"",
            "suite/ptest.toml: [compare] mode: unknown mode \"fuzzy\"; use one of exact, text, sorted, plog",
        ),
        (
            "[compare]\nmodes = { \"*.x\" = \"nope\" }",
            "suite/ptest.toml: [compare] modes \"*.x\": unknown mode \"nope\"",
        ),
        (
            "[compare]\nmodes = { \"a[\" = \"text\" }",
            "suite/ptest.toml: [compare] modes: invalid glob \"a[\"",
        ),
        (
            "[[filters]]\nregex = \"ok\"\n[[filters]]\nregex = \"(\"",
            "suite/ptest.toml: [[filters]] #2: invalid regex \"(\"",
        ),
        (
            "[[filters]]\npreset = \"ptrs\"",
            "suite/ptest.toml: [[filters]] #1: unknown preset \"ptrs\"",
        ),
    ] {
        let e = Comparer::new(&[layer("suite/ptest.toml", text)])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(want), "{e}\nwanted {want}");
        assert!(!e.contains('\n'), "{e}");
    }
}

#[test]
fn plog_schema_is_relative_to_its_config() {
    let c = Comparer::new(&[layer(
        "suite/t/test.toml",
        "[compare]\nplog-schema = \"p.proto\"",
    )])
    .unwrap();
    assert_eq!(c.plog_schema.as_deref(), Some(Path::new("suite/t/p.proto")));
}

fn write_plog(path: &Path, entries: &[Vec<u8>]) {
    let mut w = ptest_plog::PlogWriter::create(path).unwrap();
    for e in entries {
        w.write_entry(e).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn pandalogs_are_detected_by_content_and_compared_by_entry() {
    let (_t, b, n) = dirs();
    let blessed: Vec<Vec<u8>> = ptest_plog::synth::entries(1, 40).collect();
    let mut changed = blessed.clone();
    // Same instruction and pc, one more field: differs in the entry's text only.
    let mut extra = ptest_plog::synth::Enc::default();
    extra.uint(99, 12345);
    changed[20].extend_from_slice(&extra.0);
    write_plog(&b.join("trace.out"), &blessed);
    write_plog(&n.join("trace.out"), &changed);
    write_plog(&b.join("same.out"), &blessed);
    write_plog(&n.join("same.out"), &blessed);
    let d = Comparer::new(&[]).unwrap().compare_dirs(&b, &n).unwrap();
    assert_eq!(d.files[0].mode, "plog");
    assert_eq!(d.files[0].verdict, FileVerdict::Same);
    assert_eq!(d.files[1].mode, "plog");
    let FileVerdict::Differs { difference } = &d.files[1].verdict else {
        panic!("{:?}", d.files[1])
    };
    let diff = &render_difference(difference);
    assert!(
        diff.starts_with(
            "--- blessed/trace.out (pandalog entries)\n+++ new/trace.out (pandalog entries)\n"
        ),
        "{diff}"
    );
    assert!(diff.contains("entry 20"), "{diff}");
    // The test's filters reach each entry's text: blank every entry out and they match.
    let blank = layer("t.toml", "[[filters]]\nregex = \".+\"\nreplace = \"X\"");
    let d = Comparer::new(&[blank])
        .unwrap()
        .compare_dirs(&b, &n)
        .unwrap();
    assert_eq!(d.files[1].verdict, FileVerdict::Same, "{:?}", d.files[1]);
    // A glob overrides detection.
    let exact = layer("t.toml", "[compare]\nmodes = { \"trace.*\" = \"exact\" }");
    let d = Comparer::new(&[exact])
        .unwrap()
        .compare_dirs(&b, &n)
        .unwrap();
    assert_eq!(d.files[1].mode, "exact");
    let FileVerdict::Differs { difference } = &d.files[1].verdict else {
        panic!()
    };
    let diff = &render_difference(difference);
    assert!(diff.starts_with("Binary files blessed/trace.out"), "{diff}");
}

/// Each file names exactly the filters whose `files` glob takes it, across layers, in the
/// words of the reports (`ptest review` shows the same labels).
#[test]
fn each_file_names_the_filters_that_applied_to_it() {
    let (_t, b, n) = dirs();
    fs::create_dir_all(b.join("trace")).unwrap();
    fs::create_dir_all(n.join("trace")).unwrap();
    for f in ["a.log", "trace/x.out", "plain.out"] {
        fs::write(b.join(f), "pid=1 0x10\n").unwrap();
        fs::write(n.join(f), "pid=2 0x20\n").unwrap();
    }
    let layers = [
        layer(
            "ptest.toml",
            "[[filters]]\npreset = 'iso-timestamps'\n\
             [[filters]]\nregex = 'pid=[0-9]+'\nreplace = 'pid=N'\nfiles = '*.log'\n",
        ),
        layer(
            "t/test.toml",
            "[[filters]]\nregex = '0x[0-9a-f]+'\nreplace = 'N'\nfiles = 'trace/**'\n",
        ),
    ];
    let d = Comparer::new(&layers)
        .unwrap()
        .compare_dirs(&b, &n)
        .unwrap();
    let named = |file: &str| -> Vec<String> {
        d.files
            .iter()
            .find(|f| f.name == file)
            .map(|f| f.filters.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        named("a.log"),
        [
            "preset iso-timestamps",
            "regex \"pid=[0-9]+\" → \"pid=N\" on *.log"
        ]
    );
    assert_eq!(
        named("trace/x.out"),
        [
            "preset iso-timestamps",
            "regex \"0x[0-9a-f]+\" → \"N\" on trace/**"
        ]
    );
    assert_eq!(named("plain.out"), ["preset iso-timestamps"]);
}
