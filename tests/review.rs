//! `ptest review` driven in a real terminal: tmux (`send-keys`, `capture-pane`) on a
//! temporary suite whose outputs were tampered after `ptest bless`. The regression
//! directory is checked byte by byte afterwards, and `ptest test` must fail on exactly
//! what was not accepted. Without a terminal, review refuses (exit 2).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{PTEST, TestSuite};

/// How long a screen may take to show what is expected (a debug build on a loaded box).
const SCREEN_LIMIT: Duration = Duration::from_secs(30);

/// A test writing `NAME.out` (and each of `extra` files) with the content of
/// `$PTEST_SCRATCH/NAME.value` ("old" by default); `NAME.value` holding `broken` makes the
/// script exit 1 after writing.
fn writing(s: TestSuite, name: &str, extra: &[&str]) -> TestSuite {
    let mut body = format!(
        "v=$PTEST_SCRATCH/{name}.value\n\
         if [ -e \"$v\" ]; then x=$(cat \"$v\"); else x=old; fi\n\
         printf 'line 1\\n%s\\nline 3\\n' \"$x\" > \"$PTEST_OUTFILE\"\n"
    );
    for file in extra {
        body += &format!("printf '%s in {file}\\n' \"$x\" > \"$PTEST_TMPOUT_DIR/{file}\"\n");
    }
    body += "[ \"$x\" != broken ]\n";
    s.sh(name, &body)
}

fn set_value(s: &TestSuite, name: &str, value: &str) {
    std::fs::write(s.scratch(&format!("{name}.value")), value).expect("write value");
}

/// Every file under `dir` by relative name, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&at) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("under dir");
                out.insert(
                    rel.display().to_string(),
                    std::fs::read(&path).expect("read"),
                );
            }
        }
    }
    out
}

/// A tmux server of its own (its socket in the test's temp dir, no user config) running
/// one `ptest review` in a 120x40 window; killed on drop, also when the test fails.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    /// Start `ptest ARGS` in the suite, then print `review-exit=CODE` and keep the pane.
    fn start(s: &TestSuite, args: &str, color: bool) -> Tmux {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let n = SEQ.fetch_add(1, Ordering::SeqCst);
        let socket = s.scratch(&format!("tmux-{n}.sock"));
        let script = s.scratch(&format!("tmux-{n}.sh"));
        let color_env = if color {
            "unset NO_COLOR"
        } else {
            "export NO_COLOR=1"
        };
        std::fs::write(
            &script,
            format!(
                "cd '{}'\nexport PANDA_REGRESSION_DIR='{}' PTEST_SCRATCH='{}'\n{color_env}\n\
                 unset PTEST_SUITE_DIR PTEST_TEST CLICOLOR_FORCE PYTHONPATH PANDA_BUILD\n\
                 '{PTEST}' review {args}\necho \"review-exit=$?\"\nexec sleep 3600\n",
                s.dir.display(),
                s.reg.display(),
                s.tmp.path().display(),
            ),
        )
        .expect("write tmux script");
        let t = Tmux { socket };
        let out = t
            .tmux(&["-f", "/dev/null", "new-session", "-d", "-s", "review"])
            .args(["-x", "120", "-y", "40", "sh"])
            .arg(&script)
            .output()
            .expect("tmux not found: install it (scripts/install-deps does)");
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    fn tmux(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.arg("-S").arg(&self.socket).args(args);
        cmd
    }

    /// The visible screen (with colours as escape sequences when `escapes`).
    fn screen(&self, escapes: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", "review"];
        if escapes {
            args.push("-e");
        }
        let out = self.tmux(&args).output().expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Poll the screen until it holds every one of `needles`; returns it.
    #[track_caller]
    fn wait_for(&self, needles: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen(false);
            if needles.iter().all(|n| screen.contains(n)) {
                return screen;
            }
            assert!(
                start.elapsed() < SCREEN_LIMIT,
                "the screen never showed {needles:?}; it shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait for the prompt under file `k` of `n` (`test`, `file`), then press `key`.
    #[track_caller]
    fn decide(&self, k: usize, n: usize, test: &str, file: &str, key: &str) -> String {
        let header = format!("file {k}/{n} · test {test} ");
        let screen = self.wait_for(&[&header, &format!("{file} · compare mode"), "? help >"]);
        self.keys(key);
        screen
    }

    /// Send keys: a literal character, or a tmux key name such as `C-c`.
    fn keys(&self, key: &str) {
        let mut cmd = self.tmux(&["send-keys", "-t", "review"]);
        if key.chars().count() == 1 {
            cmd.arg("-l");
        }
        let status = cmd.arg(key).status().expect("tmux send-keys");
        assert!(status.success(), "tmux send-keys {key} failed");
    }

    /// Wait for the review to end; returns its exit code and the final screen.
    #[track_caller]
    fn exit(&self) -> (i32, String) {
        let screen = self.wait_for(&["review-exit="]);
        let code = screen
            .lines()
            .find_map(|l| l.trim().strip_prefix("review-exit="))
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or_else(|| panic!("no exit code on the screen:\n{screen}"));
        (code, screen)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]).output();
    }
}

/// Blessed with "old", then every test's output changed to "new" and `ptest test` run.
fn tampered(tests: &[(&str, &[&str])]) -> TestSuite {
    let mut s = TestSuite::new();
    for (name, extra) in tests {
        s = writing(s, name, extra);
    }
    s.ptest(&["bless"]).code(0);
    for (name, _) in tests {
        set_value(&s, name, "new");
    }
    s.ptest(&["test"]).code(100);
    s
}

fn blessed_of(s: &TestSuite, tests: &[&str]) -> BTreeMap<String, BTreeMap<String, Vec<u8>>> {
    tests
        .iter()
        .map(|t| (t.to_string(), files(&s.blessed(t))))
        .collect()
}

/// The hidden entries of `blessed/` (staging folders, `.NAME.old`): none after a review.
fn leftovers(s: &TestSuite) -> Vec<PathBuf> {
    std::fs::read_dir(s.reg.join("blessed"))
        .expect("blessed/")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect()
}

#[test]
fn keys_accept_a_file_a_test_reject_skip_and_quit_and_the_references_end_as_chosen() {
    let tests: &[(&str, &[&str])] = &[
        ("one", &[]),
        ("two", &["extra.out"]),
        ("three", &["more.out"]),
        ("four", &[]),
        ("five", &[]),
        ("broken", &[]),
    ];
    let s = tampered(&tests[..5]);
    // One more test whose script fails: listed as not reviewable, with why.
    let s = writing(s, "broken", &[]);
    set_value(&s, "broken", "broken");
    s.ptest(&["test"]).code(100);
    let names: Vec<&str> = tests.iter().map(|(n, _)| *n).collect();
    let blessed_before = blessed_of(&s, &names);
    let pending: BTreeMap<&str, BTreeMap<String, Vec<u8>>> =
        names.iter().map(|t| (*t, files(&s.tmpout(t)))).collect();
    assert_eq!(pending["two"].len(), 2, "{pending:?}");

    let t = Tmux::start(&s, "", false);
    // 7 differing files: one.out; two: extra.out, two.out; three: more.out, three.out;
    // four.out; five.out (sorted by name within a test).
    let first = t.decide(1, 7, "one", "one.out", "?");
    insta::assert_snapshot!("first_screen", first.trim_end());
    t.wait_for(&[
        "ptest review: keys",
        "accept the whole test",
        "Press any key",
    ]);
    t.keys("x"); // back from the help
    t.decide(1, 7, "one", "one.out", "a");
    t.decide(2, 7, "two", "extra.out", "a");
    t.decide(3, 7, "two", "two.out", "r");
    t.decide(4, 7, "three", "more.out", "A");
    t.decide(6, 7, "four", "four.out", "s");
    t.decide(7, 7, "five", "five.out", "q");
    let (code, screen) = t.exit();
    // The test that cannot be reviewed was not asked for by name: listed, not an error.
    assert_eq!(code, 0, "{screen}");
    for line in [
        "ptest: accepted one: 1 file(s) are now the blessed reference",
        "ptest: accepted extra.out of two; 1 file(s) still differ",
        "ptest: accepted three: 2 file(s) are now the blessed reference",
        "ptest: kept the reference of four (0 rejected, 1 skipped)",
        "ptest: kept the reference of five (0 rejected, 1 skipped)",
        "ptest: not reviewing broken: its test script did not exit 0",
    ] {
        assert!(screen.contains(line), "lacks {line:?}:\n{screen}");
    }

    // Exactly the chosen files changed, to the bytes of the pending outputs.
    let after = blessed_of(&s, &names);
    assert_eq!(after["one"], pending["one"]);
    assert_eq!(after["three"], pending["three"]);
    assert_eq!(after["two"]["extra.out"], pending["two"]["extra.out"]);
    assert_eq!(after["two"]["two.out"], blessed_before["two"]["two.out"]);
    assert_ne!(after["two"]["two.out"], pending["two"]["two.out"]);
    for unchanged in ["four", "five", "broken"] {
        assert_eq!(after[unchanged], blessed_before[unchanged], "{unchanged}");
    }
    // Rejected and skipped outputs stay pending in tmpout.
    assert_eq!(files(&s.tmpout("two")), pending["two"]);
    assert_eq!(files(&s.tmpout("four")), pending["four"]);
    assert!(leftovers(&s).is_empty(), "{:?}", leftovers(&s));

    // A new run fails on exactly what was not accepted.
    let run = s.ptest(&["test"]);
    run.code(100);
    assert_eq!(
        ["one", "two", "three", "four", "five", "broken"].map(|n| run.status_of(n)),
        ["PASS", "FAIL", "PASS", "FAIL", "FAIL", "ERROR"],
        "{}",
        run.all()
    );
    run.says(&["two.out"]).never_says("extra.out");
}

#[test]
fn accepting_a_new_file_and_a_missing_one_adds_and_removes_them_alone() {
    // Blessed: moved.out and gone.out; now: moved.out changed, gone.out not made,
    // added.out new.
    let s = TestSuite::new().sh(
        "moved",
        "if [ -e \"$PTEST_SCRATCH/new\" ]; then\n\
           echo new > \"$PTEST_OUTFILE\"; echo added > \"$PTEST_TMPOUT_DIR/added.out\"\n\
         else\n\
           echo old > \"$PTEST_OUTFILE\"; echo gone > \"$PTEST_TMPOUT_DIR/gone.out\"\n\
         fi",
    );
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.scratch("new"), "").expect("marker");
    s.ptest(&["test"]).code(100);
    let before = files(&s.blessed("moved"));
    let t = Tmux::start(&s, "", false);
    let screen = t.decide(1, 3, "moved", "added.out", "a");
    assert!(
        screen.contains("added.out: produced by the new run, but not in the blessed reference"),
        "{screen}"
    );
    let screen = t.decide(2, 3, "moved", "gone.out", "a");
    assert!(
        screen.contains("gone.out: blessed, but the new run did not produce it"),
        "{screen}"
    );
    t.decide(3, 3, "moved", "moved.out", "r");
    let (code, screen) = t.exit();
    assert_eq!(code, 0, "{screen}");
    let after = files(&s.blessed("moved"));
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        ["added.out", "moved.out"],
        "{after:?}"
    );
    assert_eq!(after["added.out"], b"added\n");
    assert_eq!(after["moved.out"], before["moved.out"]);
    assert!(leftovers(&s).is_empty(), "{:?}", leftovers(&s));
    let run = s.ptest(&["test"]);
    run.code(100)
        .says(&["1 file(s) differ"])
        .never_says("added.out");
}

#[test]
fn ctrl_c_mid_review_applies_nothing() {
    let s = tampered(&[("one", &[]), ("two", &["extra.out"])]);
    let names = ["one", "two"];
    let before = blessed_of(&s, &names);
    let pending: Vec<_> = names.iter().map(|t| files(&s.tmpout(t))).collect();

    let t = Tmux::start(&s, "--color always", true);
    t.decide(1, 3, "one", "one.out", "a");
    t.decide(2, 3, "two", "extra.out", "a");
    t.wait_for(&["file 3/3 · test two ", "two.out · compare mode", "? help >"]);
    // The diff is coloured as `ptest test` colours it.
    let coloured = t.screen(true);
    assert!(
        coloured.contains("\x1b[32m+new") && coloured.contains("\x1b[31m-old"),
        "{coloured:?}"
    );
    t.keys("C-c");
    let (code, screen) = t.exit();
    assert_eq!(code, 130, "{screen}");
    assert!(
        screen.contains("review aborted: no decision applied"),
        "{screen}"
    );
    assert_eq!(blessed_of(&s, &names), before);
    let after: Vec<_> = names.iter().map(|t| files(&s.tmpout(t))).collect();
    assert_eq!(after, pending);
    assert!(leftovers(&s).is_empty(), "{:?}", leftovers(&s));
    let run = s.ptest(&["test"]);
    run.code(100);
    assert_eq!(names.map(|n| run.status_of(n)), ["FAIL", "FAIL"]);
}

/// The pid of the ptest holding test `one`'s lock: review locks the tests it may decide,
/// and the holder writes its pid on the lock file's first line.
fn lock_holder(s: &TestSuite) -> i32 {
    let text =
        std::fs::read_to_string(s.reg.join(".ptest/locks/tests/one.lock")).expect("lock file");
    let pid = text.lines().next().unwrap_or("").trim();
    pid.parse()
        .unwrap_or_else(|_| panic!("no pid in the lock file: {text:?}"))
}

/// Wait until process `pid` is gone (or a zombie).
#[track_caller]
fn await_exit(pid: i32) {
    let start = Instant::now();
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The state follows the parenthesised command name.
        let state = stat.rsplit(')').next().unwrap_or("").trim_start();
        if stat.is_empty() || state.starts_with('Z') {
            return;
        }
        assert!(start.elapsed() < SCREEN_LIMIT, "process {pid} did not end");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_or_a_lost_terminal_mid_review_applies_nothing() {
    let s = tampered(&[("one", &[]), ("two", &[])]);
    let names = ["one", "two"];
    let before = blessed_of(&s, &names);

    let t = Tmux::start(&s, "", false);
    t.decide(1, 2, "one", "one.out", "a");
    t.wait_for(&["file 2/2 · test two ", "? help >"]);
    let pid = lock_holder(&s);
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let (code, screen) = t.exit();
    assert_eq!(code, 128 + 15, "{screen}");
    assert_eq!(blessed_of(&s, &names), before);
    drop(t);

    // A closed terminal (an SSH connection gone): the server and its pane go away.
    let t = Tmux::start(&s, "", false);
    t.decide(1, 2, "one", "one.out", "a");
    t.wait_for(&["file 2/2 · test two ", "? help >"]);
    let pid = lock_holder(&s);
    drop(t);
    await_exit(pid);
    assert_eq!(blessed_of(&s, &names), before);
    assert!(leftovers(&s).is_empty(), "{:?}", leftovers(&s));
    let run = s.ptest(&["test"]);
    run.code(100);
    assert_eq!(names.map(|n| run.status_of(n)), ["FAIL", "FAIL"]);
}

#[test]
fn a_long_diff_is_paged_and_named_tests_are_reviewed_alone() {
    let s = tampered(&[("one", &[]), ("two", &[])])
        .ptest_toml("[[filters]]\nregex = 'pid=[0-9]+'\nreplace = 'pid=N'\nfiles = 'two.out'\n");
    // 100 changed lines: more than one 40-row screen.
    let long: String = (0..100).map(|i| format!("changed {i}\n")).collect();
    set_value(&s, "two", &long);
    s.ptest(&["test"]).code(100);
    let t = Tmux::start(&s, "two", false);
    let first = t.wait_for(&["file 1/1 · test two ", "m for more", "? help >"]);
    assert!(
        first.contains("+changed 0") && !first.contains("+changed 99"),
        "{first}"
    );
    // The header names the compare mode and the filters that applied to this file, as
    // the comparison labelled them (the words of the reports).
    assert!(
        first.contains(
            "two.out · compare mode exact · filters: regex \"pid=[0-9]+\" → \"pid=N\" on two.out"
        ),
        "{first}"
    );
    // Page on with `m` until the end of the diff shows (each press shows the next lines).
    let note = |screen: &str| {
        screen
            .lines()
            .find(|l| l.contains("m for more"))
            .map(str::to_string)
    };
    let mut screen = first;
    let mut pages = 1;
    while !screen.contains("+changed 99") {
        assert!(pages < 10, "never reached the end of the diff:\n{screen}");
        let before = note(&screen);
        t.keys("m");
        let start = Instant::now();
        loop {
            screen = t.screen(false);
            if note(&screen) != before && screen.contains("? help >") {
                break;
            }
            assert!(start.elapsed() < SCREEN_LIMIT, "m did not page:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!screen.contains("+changed 0\n"), "{screen}");
        pages += 1;
    }
    assert!(
        pages >= 3,
        "100 lines fit on {pages} page(s) of a 40-row screen"
    );
    t.keys("r");
    let (code, screen) = t.exit();
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("1 rejected, 0 skipped"), "{screen}");
    assert!(!screen.contains("test one"), "{screen}");
}

#[test]
fn nothing_to_review_says_so_and_exits_0() {
    let s = writing(TestSuite::new(), "one", &[]);
    s.ptest(&["bless"]).code(0);
    s.ptest(&["test"]).code(0);
    let t = Tmux::start(&s, "", false);
    let (code, screen) = t.exit();
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("ptest: nothing to review: no test failed on a mismatch in the last run"),
        "{screen}"
    );
    drop(t);
    // Named: a test that passed has nothing to review (exit 0); one whose script failed
    // cannot be reviewed, an error as in `ptest accept` (exit 2).
    let t = Tmux::start(&s, "one", false);
    let (code, screen) = t.exit();
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("ptest: nothing to review in one: it passed in the last run"),
        "{screen}"
    );
    drop(t);
    set_value(&s, "one", "broken");
    s.ptest(&["test"]).code(100);
    let t = Tmux::start(&s, "one", false);
    let (code, screen) = t.exit();
    assert_eq!(code, 2, "{screen}");
    assert!(
        screen.contains("ptest: not reviewing one: its test script did not exit 0"),
        "{screen}"
    );
}

#[test]
fn without_a_terminal_review_refuses_and_names_the_commands_to_use() {
    let s = tampered(&[("one", &[])]);
    let before = files(&s.blessed("one"));
    // assert_cmd pipes stdin and stdout: no terminal.
    let run = s.ptest(&["review"]);
    run.code(2);
    insta::assert_snapshot!(run.stderr.trim_end());
    assert_eq!(files(&s.blessed("one")), before);
}
