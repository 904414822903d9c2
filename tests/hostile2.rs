//! Hostile use, round 2 (issue 19 part 2): inputs that hung, polluted a reference, drove
//! the terminal, grew memory without bound or got a misleading message.

mod common;

use std::fmt::Write as _;
use std::time::Duration;

use common::{Run, TestSuite, await_file, finish, no_panic, signal};
use rustix::process::Signal;

/// A test `t` whose only output is `$PTEST_SCRATCH/out.txt`, copied.
fn copies_out_txt() -> TestSuite {
    TestSuite::new().sh("t", "cp \"$PTEST_SCRATCH/out.txt\" \"$PTEST_TMPOUT_DIR/\"")
}

/// `n` distinct lines; every third one changed when `changed` says how.
fn scattered(n: usize, changed: Option<&dyn Fn(usize) -> String>) -> String {
    let mut text = String::new();
    for i in 0..n {
        match changed {
            Some(f) if i % 3 == 0 => text.push_str(&f(i)),
            _ => {
                let _ = writeln!(text, "line {i}");
            }
        }
    }
    text
}

// ---- 1. a text diff with many scattered changes is bounded ----

/// 160k lines, a third changed (each to a distinct line, or all to the same one): the
/// unbounded diff took minutes; the bounded one finishes far within the harness limit and
/// still shows a cut unified diff.
#[test]
fn a_diff_with_many_scattered_changes_finishes() {
    let s = copies_out_txt();
    let out = s.scratch("out.txt");
    std::fs::write(&out, scattered(160_000, None)).unwrap();
    s.ptest(&["bless"]).code(0);
    let distinct = |i: usize| format!("changed {i}\n");
    let same = |_: usize| "CHANGED\n".to_string();
    for how in [&distinct as &dyn Fn(usize) -> String, &same] {
        std::fs::write(&out, scattered(160_000, Some(how))).unwrap();
        let run = s.ptest(&["test"]);
        run.code(100).says(&["@@ -1,", "more diff lines cut"]);
        assert_eq!(run.status_of("t"), "FAIL", "{}", run.all());
    }
}

/// A comparison far longer than the test's timeout: 1.5M lines, a third changed (about
/// 2 s in a release build, 3 s of CPU or more in the debug build tests use), prepared in
/// `$PTEST_SCRATCH/many` for the script to move into place in one rename.
fn many_differing_files(s: &TestSuite, version: &str) {
    let dir = s.scratch("many");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let body = scattered(1_500_000, Some(&|j| format!("{version} {j}\n")));
    std::fs::write(dir.join("out.txt"), body).unwrap();
}

fn copies_many() -> TestSuite {
    TestSuite::new()
        .sh(
            "t",
            // One rename: the script is over in a moment whatever the machine's load.
            "mv \"$PTEST_SCRATCH/many\" \"$PTEST_TMPOUT_DIR/d\"\ntouch \"$PTEST_SCRATCH/compared\"",
        )
        .test_toml("t", "[compare]\ndiff-lines = 5\n")
}

#[test]
fn a_comparison_longer_than_the_timeout_times_the_test_out() {
    let s = copies_many();
    many_differing_files(&s, "old");
    s.ptest(&["bless"]).code(0);
    many_differing_files(&s, "new");
    // The script renames a folder, well within the timeout; the comparison takes many
    // times longer.
    let run = s.ptest(&["test", "--timeout", "1s"]);
    no_panic(&run);
    run.code(100).says(&["timed out", "compar"]);
    assert_eq!(run.status_of("t"), "TIMEOUT", "{}", run.all());
}

#[test]
fn ctrl_c_and_sigterm_stop_a_comparison() {
    let s = copies_many();
    many_differing_files(&s, "old");
    s.ptest(&["bless"]).code(0);
    for sig in [Signal::INT, Signal::TERM] {
        many_differing_files(&s, "new");
        let _ = std::fs::remove_file(s.scratch("compared"));
        let child = s.spawn(&["test"]);
        await_file(s.scratch("compared"), Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(300));
        signal(child.id(), sig);
        let run: Run = finish(child, Duration::from_secs(30));
        run.code(130);
        assert_eq!(run.status_of("t"), "INTERRUPTED", "{}", run.all());
    }
}

// ---- 2. an output hard-linked to a file outside is copied when blessed ----

#[test]
fn a_hard_linked_output_is_blessed_as_a_copy() {
    let s = TestSuite::new().sh(
        "t",
        "ln -f \"$PTEST_SCRATCH/outside\" \"$PTEST_TMPOUT_DIR/x\"",
    );
    let outside = s.scratch("outside");
    std::fs::write(&outside, "first\n").unwrap();
    s.ptest(&["bless"]).code(0);
    // Changed in place (same inode): a shared inode would change the reference too.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&outside)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"other\n"))
        .unwrap();
    assert_eq!(common::read(s.blessed("t").join("x")), "first\n");
    let run = s.ptest(&["test"]);
    run.code(100).says(&["-first", "+other"]);
    // `accept` takes the run's outputs the same way.
    s.ptest(&["accept", "t"]).code(0);
    // std::fs::write truncates and writes in place: the same inode.
    std::fs::write(&outside, "third\n").unwrap();
    assert_eq!(common::read(s.blessed("t").join("x")), "other\n");
}

// ---- 3. control characters reach the terminal visibly ----

#[test]
fn control_characters_in_names_and_diffs_are_shown_in_caret_notation() {
    // The script writes through Python so that names may hold ESC, BEL and a newline.
    let s = TestSuite::new().py(
        "t",
        "import os\n\
         d = os.environ['PTEST_TMPOUT_DIR']\n\
         v = open(os.path.join(os.environ['PTEST_SCRATCH'], 'version')).read()\n\
         open(os.path.join(d, 'a\\x1b[31m\\nb.txt'), 'w').write(v)\n\
         if v != 'old':\n    open(os.path.join(d, 'x\\x1b]0;title\\x07'), 'w').write('y')\n",
    );
    std::fs::write(s.scratch("version"), "old").unwrap();
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.scratch("version"), "\x1b]0;pwned\x07\n").unwrap();
    for args in [&["test"][..], &["diff", "t"]] {
        let run = s.ptest(args);
        no_panic(&run);
        let all = run.all();
        assert!(!all.contains('\x1b') && !all.contains('\x07'), "{all:?}");
        run.says(&["a^[[31m^Jb.txt", "+^[]0;pwned^G", "x^[]0;title^G"]);
    }
}

// ---- 4. report inputs: regular files of bounded size ----

/// A passing one-test suite and its JSON report.
fn one_report() -> (TestSuite, std::path::PathBuf) {
    let s = common::ok_test(TestSuite::new(), "a");
    s.ptest(&["bless"]).code(0);
    let json = s.scratch("r.json");
    s.ptest(&["test", "--json", json.to_str().unwrap()]).code(0);
    (s, json)
}

#[test]
fn report_inputs_must_be_regular_files_within_the_size_cap() {
    let (s, json) = one_report();
    let html = s.scratch("r.html");
    let html = html.to_str().unwrap();
    let fifo = s.scratch("fifo");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let big = s.scratch("big.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len((1 << 30) + 1)
        .unwrap();
    let good = json.to_str().unwrap();
    for (bad, why) in [
        ("/dev/zero", "not a regular file (a character device)"),
        (fifo.to_str().unwrap(), "not a regular file (a FIFO)"),
        (
            big.to_str().unwrap(),
            "larger than the 1.0 GiB a report may be",
        ),
    ] {
        let run = s.ptest(&["report", "html", bad, "-o", html]);
        no_panic(&run);
        run.code(2).says(&[bad, why]);
        let run = s.ptest(&["report", "merge", good, bad]);
        no_panic(&run);
        run.code(2).says(&[bad, why]);
    }
}

// ---- 8. messages say the true reason ----

#[test]
fn a_report_with_a_byte_order_mark_is_read() {
    let (s, json) = one_report();
    let text = common::read(&json);
    std::fs::write(&json, format!("\u{feff}{text}")).unwrap();
    let html = s.scratch("r.html");
    s.ptest(&[
        "report",
        "html",
        json.to_str().unwrap(),
        "-o",
        html.to_str().unwrap(),
    ])
    .code(0);
    s.ptest(&["report", "merge", json.to_str().unwrap()])
        .code(0);
}

#[test]
fn a_test_listed_twice_in_one_report_is_named_as_such() {
    let (s, json) = one_report();
    let mut report: serde_json::Value = serde_json::from_str(&common::read(&json)).unwrap();
    let tests = report["tests"].as_array_mut().unwrap();
    tests.push(tests[0].clone());
    std::fs::write(&json, report.to_string()).unwrap();
    let path = json.to_str().unwrap();
    let run = s.ptest(&["report", "merge", path]);
    run.code(2)
        .says(&["test `a` is listed twice in", path])
        .never_says("in both");
}

// ---- 5. archive: signals, temp files, umask ----

/// A blessed suite whose regression directory holds a recording of `mb` MiB of
/// incompressible bytes, so that packing takes a while.
fn suite_with_recording(mb: usize) -> TestSuite {
    let s = common::ok_test(TestSuite::new(), "a");
    s.ptest(&["bless"]).code(0);
    let dir = s.reg.join("replays").join("a");
    std::fs::create_dir_all(&dir).unwrap();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut bytes = Vec::with_capacity(mb << 20);
    while bytes.len() < mb << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(dir.join("a-rr-nondet.log"), bytes).unwrap();
    s
}

/// Hidden files in `dir` (temp files left beside an archive).
fn hidden(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn ctrl_c_and_sigterm_stop_archive_with_exit_130_and_no_temp_file() {
    let s = suite_with_recording(64);
    let out_dir = s.scratch("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let out = out_dir.join("a.tar.gz");
    for sig in [Signal::INT, Signal::TERM] {
        let child = s.spawn(&["archive", "-o", out.to_str().unwrap()]);
        // Its temp file is named as ptest's, beside the output.
        let started = std::time::Instant::now();
        while !hidden(&out_dir)
            .iter()
            .any(|n| n.starts_with(".ptest-archive-") && n.ends_with(".tmp"))
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no .ptest-archive-*.tmp in {}: {:?}",
                out_dir.display(),
                hidden(&out_dir)
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        signal(child.id(), sig);
        let run = finish(child, Duration::from_secs(30));
        run.code(130).says(&["interrupted"]);
        assert!(hidden(&out_dir).is_empty(), "{:?}", hidden(&out_dir));
        assert!(!out.exists());
    }
}

#[test]
fn archive_sweeps_stale_temp_files_and_follows_the_umask() {
    let s = suite_with_recording(1);
    let out_dir = s.scratch("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    // Left by a ptest that was killed (its pid is gone) and by one still running (ours).
    let stale = out_dir.join(".ptest-archive-4194999-x1Yz.tmp");
    let live = out_dir.join(format!(".ptest-archive-{}-a2Bc.tmp", std::process::id()));
    std::fs::write(&stale, "partial").unwrap();
    std::fs::write(&live, "partial").unwrap();
    for (umask, mode) in [("022", 0o644), ("077", 0o600), ("002", 0o664)] {
        let out = out_dir.join(format!("a-{umask}.tar.gz"));
        let run: Run = std::process::Command::new("sh")
            .args(["-c", &format!("umask {umask} && exec \"$0\" \"$@\"")])
            .arg(common::PTEST)
            .args(["archive", "-o", out.to_str().unwrap()])
            .current_dir(&s.dir)
            .env("PANDA_REGRESSION_DIR", &s.reg)
            .output()
            .map(Run::from)
            .unwrap();
        run.code(0);
        let meta = std::fs::metadata(&out).unwrap();
        let got = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777;
        assert_eq!(got, mode, "umask {umask}: mode {got:o}");
    }
    assert!(!stale.exists(), "{:?}", hidden(&out_dir));
    assert!(live.exists());
}

// ---- 6. unarchive: a bound on unpacked size, local write errors named as local ----

/// A gzip'd tar whose one member `replays/a/big` declares `declared` bytes and holds
/// `held` zero bytes (a lying header needs no more to be read).
fn crafted_archive(path: &std::path::Path, declared: u64, held: usize) {
    let file = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut header = tar::Header::new_gnu();
    header.set_path("replays/a/big").unwrap();
    header.set_size(declared);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    std::io::Write::write_all(&mut gz, header.as_bytes()).unwrap();
    std::io::Write::write_all(&mut gz, &vec![0u8; held]).unwrap();
    gz.finish().unwrap();
}

#[test]
fn unarchive_refuses_more_than_its_size_bound_before_writing_it() {
    let s = TestSuite::new();
    let archive = s.scratch("bomb.tar.gz");
    crafted_archive(&archive, 1 << 40, 4096);
    let path = archive.to_str().unwrap();
    let run = s.ptest(&["unarchive", path]);
    no_panic(&run);
    run.code(2)
        .says(&[path, "more than", "--max-size"])
        .never_says("hash");
    crafted_archive(&archive, (1 << 20) + 1, 4096);
    s.ptest(&["unarchive", "--max-size", "1M", path])
        .code(2)
        .says(&["more than 1.0 MiB"]);
    s.ptest(&["unarchive", "--max-size", "lots", path])
        .code(2)
        .says(&["lots"]);
}

#[test]
fn a_local_write_error_is_not_blamed_on_the_archive() {
    let s = suite_with_recording(1);
    let archive = s.scratch("a.tar.gz");
    s.ptest(&["archive", "-o", archive.to_str().unwrap()])
        .code(0);
    let fresh = s.scratch("fresh-reg");
    // A file size limit makes writing fail here (EFBIG), as a full disk would (ENOSPC).
    let run: Run = std::process::Command::new("sh")
        .args(["-c", "trap '' XFSZ; ulimit -f 100 && exec \"$0\" \"$@\""])
        .arg(common::PTEST)
        .args(["unarchive", archive.to_str().unwrap()])
        .current_dir(&s.dir)
        .env("PANDA_REGRESSION_DIR", &fresh)
        .output()
        .map(Run::from)
        .unwrap();
    no_panic(&run);
    run.says(&["File too large", "not a problem of the archive"])
        .never_says("not a readable ptest archive");
    assert_ne!(run.status.code(), Some(0), "{}", run.all());
}

// ---- 7. absurd durations are refused ----

#[test]
fn absurd_durations_are_refused_like_negative_ones() {
    let s = common::ok_test(common::ok_test(TestSuite::new(), "a"), "b");
    s.ptest(&["bless"]).code(0);
    for value in ["1e308", "31536001"] {
        let file = s.write(
            "d.json",
            &format!("{{\"format\": 1, \"tests\": {{\"a\": {{\"test\": {value}}}}}}}"),
        );
        let run = s.ptest(&["durations", "import", file.to_str().unwrap()]);
        no_panic(&run);
        run.code(2)
            .says(&["d.json: test \"a\", mode \"test\": ", "more than a year"]);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
    let file = s.write(
        "d.json",
        "{\"format\": 1, \"tests\": {\"a\": {\"test\": 86400}, \"b\": {\"test\": 1}}}",
    );
    s.ptest(&["durations", "import", file.to_str().unwrap()])
        .code(0);
    let run = s.ptest(&["test", "--partition", "duration:1/2"]);
    run.code(0);
}

#[test]
fn bad_test_names_get_their_true_reason() {
    for (name, why) in [
        (".", "is `.`, the folder config.testing is in"),
        ("..", "is `..`, the folder above config.testing"),
        ("a..b", "contains `..`"),
        ("bell\x07", "contains a control character"),
        ("esc\x1b[1m", "contains a control character"),
        ("tab\there", "contains whitespace"),
    ] {
        let s = TestSuite::new().line(name);
        let run = s.ptest(&["list"]);
        no_panic(&run);
        run.code(2).says(&["config.testing:1: ", why]);
        let all = run.all();
        assert!(!all.contains('\x1b') && !all.contains('\x07'), "{all:?}");
    }
}
