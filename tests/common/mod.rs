//! A throwaway suite and regression directory in a temp dir, and the real `ptest`
//! binary run on them.
//!
//! ```ignore
//! let s = TestSuite::new().sh("a", "echo hi > \"$PTEST_OUTFILE\"");
//! s.ptest(&["bless"]).code(0);
//! ```
#![allow(dead_code)]

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub const PTEST: &str = env!("CARGO_BIN_EXE_ptest");

/// No single ptest run in these tests may take longer than this (a hang fails the test
/// instead of stalling the suite).
pub const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Environment variables of the developer's shell that would change what ptest does.
const SCRUB: &[&str] = &[
    "PANDA_REGRESSION_DIR",
    "PTEST_SUITE_DIR",
    "PTEST_TEST",
    "PYTHONPATH",
    "CLICOLOR_FORCE",
    "PANDA_BUILD",
    "PTEST_IMAGE_MAP",
];

/// A suite folder (`suite/`) and a regression directory (`reg/`) in one temp dir.
/// Tests added with [`TestSuite::py`] / [`TestSuite::sh`] are listed in `config.testing`
/// in the order added.
pub struct TestSuite {
    pub tmp: tempfile::TempDir,
    /// The folder holding `config.testing` (ptest's working directory).
    pub dir: PathBuf,
    /// `PANDA_REGRESSION_DIR` (not created: ptest creates it).
    pub reg: PathBuf,
    lines: Vec<String>,
}

impl Default for TestSuite {
    fn default() -> Self {
        Self::new()
    }
}

impl TestSuite {
    pub fn new() -> TestSuite {
        let tmp = tempfile::Builder::new()
            .prefix("ptest-it-")
            .tempdir()
            .expect("temp dir");
        let dir = tmp.path().join("suite");
        std::fs::create_dir_all(&dir).expect("suite dir");
        let reg = tmp.path().join("reg");
        let s = TestSuite {
            tmp,
            dir,
            reg,
            lines: Vec::new(),
        };
        s.write_config();
        s
    }

    fn write_config(&self) {
        let mut text = self.lines.join("\n");
        text.push('\n');
        std::fs::write(self.dir.join("config.testing"), text).expect("config.testing");
    }

    /// Add a line to `config.testing` as is (`#name`, a comment, a bad name …).
    pub fn line(mut self, line: &str) -> Self {
        self.lines.push(line.to_string());
        self.write_config();
        self
    }

    /// Add test `name` whose `NAME-test.py` is `body` (Python 3).
    pub fn py(self, name: &str, body: &str) -> Self {
        self.write(&format!("{name}/{name}-test.py"), body);
        self.line(name)
    }

    /// Add test `name` whose `NAME-test.sh` runs `body` with `sh -e`.
    pub fn sh(self, name: &str, body: &str) -> Self {
        self.exe(&format!("{name}/{name}-test.sh"), &sh_script(body));
        self.line(name)
    }

    /// Give test `name` a setup script `NAME-setup.sh` running `body`.
    pub fn setup_sh(self, name: &str, body: &str) -> Self {
        self.exe(&format!("{name}/{name}-setup.sh"), &sh_script(body));
        self
    }

    /// Write `NAME/test.toml`.
    pub fn test_toml(self, name: &str, text: &str) -> Self {
        self.write(&format!("{name}/test.toml"), text);
        self
    }

    /// Write the suite's `ptest.toml`.
    pub fn ptest_toml(self, text: &str) -> Self {
        self.write("ptest.toml", text);
        self
    }

    /// Write a file relative to the suite folder (parents created).
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
        path
    }

    /// Write an executable file relative to the suite folder.
    pub fn exe(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.write(rel, text);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    /// A path in the temp dir outside suite and regression dir, for markers.
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    pub fn blessed(&self, test: &str) -> PathBuf {
        self.reg.join("blessed").join(test)
    }
    pub fn tmpout(&self, test: &str) -> PathBuf {
        self.reg.join("tmpout").join(test)
    }
    pub fn misc(&self, test: &str) -> PathBuf {
        self.reg.join("misc").join(test)
    }

    /// `ptest` with the suite folder as working directory, the regression directory in
    /// the environment and colours off.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::cargo_bin("ptest").expect("ptest binary");
        for var in SCRUB {
            cmd.env_remove(var);
        }
        cmd.current_dir(&self.dir)
            .env("PANDA_REGRESSION_DIR", &self.reg)
            .env("NO_COLOR", "1")
            .env("PTEST_SCRATCH", self.tmp.path())
            .timeout(RUN_LIMIT);
        cmd
    }

    /// Run `ptest ARGS` to completion.
    pub fn ptest<S: AsRef<OsStr>>(&self, args: &[S]) -> Run {
        Run::from(self.cmd().args(args).output().expect("run ptest"))
    }

    /// Start `ptest ARGS` in the background (stdout and stderr piped).
    pub fn spawn<S: AsRef<OsStr>>(&self, args: &[S]) -> Spawned {
        let mut cmd = std::process::Command::new(PTEST);
        for var in SCRUB {
            cmd.env_remove(var);
        }
        let child = cmd
            .current_dir(&self.dir)
            .env("PANDA_REGRESSION_DIR", &self.reg)
            .env("NO_COLOR", "1")
            .env("PTEST_SCRATCH", self.tmp.path())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ptest");
        Spawned(Some(child))
    }

    /// Replace the temp dir's path and timings in `text`, for snapshots.
    pub fn redact(&self, text: &str) -> String {
        let root = self.tmp.path().display().to_string();
        let text = text.replace(&root, "[TMP]");
        let secs = regex::Regex::new(r"\[ *\d+\.\d{3}s\]").expect("regex");
        let text = secs.replace_all(&text, "[   T.TTTs]");
        let python = regex::Regex::new(r"\$ \S*python\S*").expect("regex");
        python.replace_all(&text, "$$ [PYTHON]").into_owned()
    }
}

/// A `sh -e` script: `body` with `$PTEST_SCRATCH` available.
pub fn sh_script(body: &str) -> String {
    format!("#!/bin/sh\nset -e\n{body}\n")
}

/// A finished ptest run.
#[derive(Debug)]
pub struct Run {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Run {
    fn from(o: std::process::Output) -> Run {
        Run {
            status: o.status,
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Assert the exit code (showing all output if it differs); returns self.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Run {
        assert_eq!(
            self.status.code(),
            Some(expected),
            "exit status {:?}, expected {expected}\n{}",
            self.status,
            self.all()
        );
        self
    }

    /// stdout then stderr.
    pub fn all(&self) -> String {
        format!(
            "--- stdout ---\n{}--- stderr ---\n{}",
            self.stdout, self.stderr
        )
    }

    /// Assert stdout or stderr contains each of `needles`.
    #[track_caller]
    pub fn says(&self, needles: &[&str]) -> &Run {
        let all = self.all();
        for n in needles {
            assert!(all.contains(n), "output lacks {n:?}:\n{all}");
        }
        self
    }

    /// Assert neither stdout nor stderr contains `needle`.
    #[track_caller]
    pub fn never_says(&self, needle: &str) -> &Run {
        let all = self.all();
        assert!(!all.contains(needle), "output has {needle:?}:\n{all}");
        self
    }

    /// The per-test line of `test` (`  PASS [ 0.1s] test…`), or panic.
    #[track_caller]
    pub fn line_of(&self, test: &str) -> String {
        let needle = format!("] {test}");
        self.stdout
            .lines()
            .find(|l| {
                l.contains(&needle)
                    && l[l.find(&needle).unwrap_or(0) + needle.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| c == ':' || c == ' ')
            })
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no result line for {test}:\n{}", self.all()))
    }

    /// The status label of `test`'s first result line (`PASS`, `FAIL`, `ERROR` …).
    #[track_caller]
    pub fn status_of(&self, test: &str) -> String {
        let line = self.line_of(test);
        let label = line.split('[').next().unwrap_or("").trim();
        label.to_string()
    }
}

/// Read a file to a string, or panic naming it.
#[track_caller]
pub fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Wait until `path` exists (a script's marker), or panic after `limit`.
#[track_caller]
pub fn await_file(path: impl AsRef<Path>, limit: Duration) {
    let path = path.as_ref();
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < limit,
            "{} did not appear within {limit:?}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Read a pid a script writes with `echo $$ > FILE`, waiting for the whole line (the file
/// exists, empty, before `echo` writes it).
#[track_caller]
pub fn read_pid(path: impl AsRef<Path>) -> i32 {
    let path = path.as_ref();
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.ends_with('\n') {
            return text.trim().parse().expect("pid");
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{}: no pid written ({text:?})",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Whether process `pid` is alive (a zombie counts as dead: it runs nothing).
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // "pid (comm) S …": the state follows the last ')'.
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .unwrap_or("?");
            state != "Z" && state != "X"
        }
        Err(_) => false,
    }
}

/// Wait up to `limit` for `pid` to die; true if it did.
pub fn dies_within(pid: i32, limit: Duration) -> bool {
    let start = Instant::now();
    while alive(pid) {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// Whether `pid` is dead or dies within a moment: a SIGKILL is delivered asynchronously,
/// so a process ptest killed just before exiting may take a few milliseconds to go.
/// A survivor (one nobody killed) stays alive and fails this.
pub fn gone(pid: i32) -> bool {
    dies_within(pid, Duration::from_secs(2))
}

/// Send `signal` to process `pid`.
pub fn signal(pid: u32, signal: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(pid as i32).expect("pid");
    rustix::process::kill_process(pid, signal).expect("kill");
}

/// Send `signal` to `pid` if it still exists (cleanup paths).
fn try_signal(pid: u32, signal: rustix::process::Signal) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
        let _ = rustix::process::kill_process(pid, signal);
    }
}

/// A ptest started in the background. If a test panics before [`finish`], dropping it
/// interrupts ptest (which kills its scripts' process groups) rather than leaking it.
pub struct Spawned(Option<Child>);

impl Spawned {
    pub fn id(&self) -> u32 {
        self.0.as_ref().map_or(0, Child::id)
    }

    /// The child itself, for tests that handle its pipes (no cleanup on drop).
    pub fn into_child(mut self) -> Child {
        self.0.take().expect("running ptest")
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let Some(mut child) = self.0.take() else {
            return;
        };
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        try_signal(child.id(), rustix::process::Signal::INT);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Wait for a spawned ptest with a limit; interrupt it (and fail) if it hangs.
#[track_caller]
pub fn finish(mut spawned: Spawned, limit: Duration) -> Run {
    let child = spawned.0.take().expect("running ptest");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => Run::from(out.expect("wait")),
        Err(_) => {
            try_signal(pid, rustix::process::Signal::INT);
            let out = rx
                .recv_timeout(Duration::from_secs(10))
                .map(|o| o.expect("wait"));
            if out.is_err() {
                try_signal(pid, rustix::process::Signal::KILL);
            }
            let out = out.map(|o| Run::from(o).all()).unwrap_or_default();
            panic!("ptest did not finish within {limit:?}:\n{out}");
        }
    }
}

/// Every file under `dir` (relative `/`-separated names, sorted) with its content.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let entry = entry.expect("entry");
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).expect("prefix");
                out.push((
                    rel.to_string_lossy().into_owned(),
                    std::fs::read(&path).expect("read"),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// ptest never panics: a panic message or Rust's exit code 101 fails the test.
#[track_caller]
pub fn no_panic(run: &Run) {
    assert_ne!(run.status.code(), Some(101), "{}", run.all());
    assert!(!run.stderr.contains("panicked"), "{}", run.all());
}

/// Add test `name`, which writes "ok" to its output.
pub fn ok_test(s: TestSuite, name: &str) -> TestSuite {
    s.sh(name, "echo ok > \"$PTEST_OUTFILE\"")
}

/// Seven tests, blessed: five pass, one fails on a difference, one errors (in `test`).
/// The suite shard, merge and Slurm tests compare unsharded and sharded runs of.
pub fn mixed_blessed_suite() -> TestSuite {
    let mut s = TestSuite::new();
    for name in ["alpha", "bravo", "charlie", "delta", "echo"] {
        s = s.sh(name, &format!("echo {name} > \"$PTEST_OUTFILE\""));
    }
    let s = s
        .sh(
            "differs",
            "if [ -e \"$PTEST_BLESSED_DIR/differs.out\" ]; then v=new; else v=old; fi\n\
             printf 'line1\\n%s\\n' \"$v\" > \"$PTEST_OUTFILE\"",
        )
        .sh(
            "crashes",
            "echo out > \"$PTEST_OUTFILE\"\n[ -e \"$PTEST_BLESSED_DIR/crashes.out\" ] && exit 4; true",
        );
    s.ptest(&["bless"]).code(0);
    s
}

/// What must be equal between a merged report and an unsharded run's: the summary and,
/// per test, its name, status, message and file outcomes (not timings or log paths).
pub fn report_essence(
    report: &serde_json::Value,
) -> (serde_json::Value, Vec<[serde_json::Value; 4]>) {
    let tests = report["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .map(|t| ["name", "status", "message", "files"].map(|k| t[k].clone()))
        .collect();
    (report["summary"].clone(), tests)
}

pub mod engine;
pub mod panda;
