//! PANDA's own `panda/testing` suite, unchanged, under the original `ptest.py` and under
//! ptest, with a stand-in PANDA (tests/panda_standin/panda-system.py; PANDA's qcows
//! cannot be downloaded here). The suite is read from PANDA's source at run time, so this
//! test is in the PANDA tier (`scripts/panda-tier`): `PANDA_SRC` (a tarball or a checkout),
//! else `../shared/panda/panda-src-*.tar.xz` beside the repository (`common::panda::source`);
//! asked for, it fails, never skips, without it.
//!
//! Both frameworks run against their own extraction; the stand-in journals every
//! emulator run (argv, working directory, monitor and console lines). The journals are
//! compared per test after normalising what must differ:
//! - the temp roots, and the socket folders (`tempfile.mkdtemp()` vs ptest's);
//! - the scripts' starting directory: ptest starts each script in its test folder
//!   (README), the original in `tests/` (`setup`) or wherever it was run (`bless`; run
//!   from `tests/` here). Recordings made there create `./replays/…` in it;
//! - ptest's one extra console exchange after `end_record` ([`EXIT_QUERY`]), which asks
//!   the guest for the command's exit status.
//!
//! The original needs a shim under Python 3 (tests/panda_standin/sitecustomize.py: str
//! vs bytes in expect.py, the `#!/usr/bin/python` shebang) and a stand-in `wget` for its
//! `init`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::PTEST;

/// ptest's exit-status question (ptest_engine::EXIT_QUERY), stripped by name.
const EXIT_QUERY: &str = "echo ptest-guest-exit=$?";
const TESTS: &[&str] = &["asidstory1", "scissors", "stringsearch1", "rr-file"];

fn standin_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/panda_standin")
}

/// One side: PANDA's testing + scripts extracted under `root/panda`, the stand-in
/// installed as `root/panda/build/ARCH-softmmu/panda-system-ARCH`, regression dir `root/reg`.
struct Side {
    root: PathBuf,
}

impl Side {
    fn new(root: PathBuf, python: &str) -> Side {
        common::panda::extract(&root, &["testing", "scripts"]);
        for arch in ["i386", "x86_64"] {
            let dir = root.join(format!("panda/build/{arch}-softmmu"));
            std::fs::create_dir_all(&dir).unwrap();
            let bin = dir.join(format!("panda-system-{arch}"));
            // The interpreter itself, not `env python3`: a version manager's shim costs
            // ~0.3 s per start, and rr-file starts the emulator 200 times per run.
            let text = common::read(standin_dir().join("panda-system.py"));
            let body = text.split_once('\n').map(|(_, b)| b).unwrap_or("");
            std::fs::write(&bin, format!("#!{python}\n{body}")).unwrap();
            std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .unwrap();
        }
        Side { root }
    }
    fn testing(&self) -> PathBuf {
        self.root.join("panda/panda/testing")
    }
    fn reg(&self) -> PathBuf {
        self.root.join("reg")
    }
    fn journal(&self, phase: &str) -> PathBuf {
        self.root.join(format!("journal-{phase}.jsonl"))
    }
}

/// Runs `cmd` (bounded: a hang fails the test), returning (exit code, all output).
fn run(mut cmd: Command, limit: Duration) -> (i32, String) {
    let out_path = std::env::temp_dir().join(format!(
        "ptest-panda-original-{}-{:?}.out",
        std::process::id(),
        Instant::now()
    ));
    let out = std::fs::File::create(&out_path).unwrap();
    cmd.stdout(out.try_clone().unwrap()).stderr(out);
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!(
                "{cmd:?} took over {limit:?}:\n{}",
                std::fs::read_to_string(&out_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = String::from_utf8_lossy(&std::fs::read(&out_path).unwrap()).into_owned();
    let _ = std::fs::remove_file(&out_path);
    (status.code().unwrap_or(-1), text)
}

fn original(side: &Side, mode: &[&str], phase: &str, env: &[(&str, &str)]) -> (i32, String) {
    let path = format!(
        "{}:{}",
        standin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("python3");
    cmd.arg(side.testing().join("ptest.py"))
        .args(mode)
        .current_dir(side.testing().join("tests"))
        .env("PANDA_REGRESSION_DIR", side.reg())
        .env("PANDA_STANDIN_JOURNAL", side.journal(phase))
        .env("PYTHONPATH", standin_dir())
        .env("HOME", side.root.join("home"))
        .env("PATH", path)
        .env_remove("PANDA_BUILD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(cmd, Duration::from_secs(600))
}

fn ptest(side: &Side, args: &[&str], phase: &str, env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(PTEST);
    cmd.args(args)
        .args(["--color", "never"])
        .current_dir(side.testing())
        .env("PANDA_REGRESSION_DIR", side.reg())
        .env("PANDA_STANDIN_JOURNAL", side.journal(phase));
    for var in ["PANDA_BUILD", "PYTHONPATH", "PTEST_SUITE_DIR", "PTEST_TEST"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(cmd, Duration::from_secs(600))
}

/// Emulator runs per test, in order, normalised. The test is the folder after
/// `/replays/` in the replay path (`-replay`) or the recording path (`begin_record`).
fn journal(side: &Side, phase: &str, ptest_side: bool) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(side.journal(phase)).unwrap_or_default();
    let root = side.root.display().to_string();
    let sock = regex::Regex::new(r"unix:[^,]*/(monitor|serial),").unwrap();
    let test_of = regex::Regex::new(r"/reg/replays/([^/]+)/").unwrap();
    let tests_dir = format!("{root}/panda/panda/testing/tests");
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        let run: serde_json::Value = serde_json::from_str(line).unwrap();
        let mut entry = vec![format!("cwd {}", run["cwd"].as_str().unwrap())];
        let argv: Vec<&str> = run["argv"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        entry.push(format!("argv {argv:?}"));
        for d in run["dialogue"].as_array().unwrap() {
            let (kind, text) = (d[0].as_str().unwrap(), d[1].as_str().unwrap());
            if ptest_side && kind == "console" && text == EXIT_QUERY {
                continue;
            }
            entry.push(format!("{kind}: {text}"));
        }
        let joined = entry.join("\n");
        let test = test_of
            .captures(&joined)
            .map(|c| c[1].to_string())
            .unwrap_or_else(|| panic!("no test in journal entry:\n{joined}"));
        // The scripts' starting folder (see the module comment).
        let start = match ptest_side {
            true => format!("{tests_dir}/{test}"),
            false => tests_dir.clone(),
        };
        let norm = joined
            .replace(&start, "<SCRIPT_CWD>")
            .replace(&root, "<ROOT>");
        let norm = sock.replace_all(&norm, "unix:<SOCKETS>/$1,").into_owned();
        out.entry(test).or_default().push(norm);
    }
    out
}

fn assert_same(orig: &BTreeMap<String, Vec<String>>, ours: &BTreeMap<String, Vec<String>>) {
    let none = Vec::new();
    for test in TESTS {
        let a = orig.get(*test).unwrap_or(&none);
        let b = ours.get(*test).unwrap_or(&none);
        for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
            assert_eq!(
                x, y,
                "{test}: emulator run {i} differs (left: original, right: ptest)"
            );
        }
        assert_eq!(a.len(), b.len(), "{test}: number of emulator runs");
    }
}

#[test]
#[ignore = "PANDA tier: run scripts/panda-tier (needs PANDA's source: PANDA_SRC or ../shared/panda/)"]
fn pandas_unchanged_suite_runs_as_under_the_original() {
    // No '-' in the temp path: the original's ptest_utils takes the test's name from the
    // first `X-s…`/`X-t…` anywhere in the script's path.
    let tmp = tempfile::Builder::new()
        .prefix("pandaoriginal")
        .tempdir()
        .unwrap();
    let base = std::fs::canonicalize(tmp.path()).unwrap();
    // PANDA_ORIGINAL_KEEP=1 keeps the temp dir for a look after a failure.
    let tmp = match std::env::var_os("PANDA_ORIGINAL_KEEP") {
        Some(_) => {
            eprintln!("keeping {}", base.display());
            let _ = tmp.keep();
            None
        }
        None => Some(tmp),
    };
    let python = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .unwrap();
    let python = String::from_utf8(python.stdout).unwrap().trim().to_string();
    let orig = Side::new(base.join("orig"), &python);
    let ours = Side::new(base.join("ptest"), &python);

    // The original: init (stand-in wget fetches a stand-in qcow, setups record), bless.
    std::fs::create_dir_all(orig.root.join("home")).unwrap();
    let (code, out) = original(&orig, &["init"], "init", &[]);
    assert_eq!(code, 0, "original ptest.py init:\n{out}");
    let (code, out) = original(&orig, &["bless"], "bless", &[]);
    assert_eq!(code, 0, "original ptest.py bless:\n{out}");

    // ptest on the same suite, with nothing added but the stand-in qcow.
    std::fs::create_dir_all(ours.reg().join("qcows")).unwrap();
    std::fs::copy(
        orig.reg().join("qcows/wheezy_panda2.qcow2"),
        ours.reg().join("qcows/wheezy_panda2.qcow2"),
    )
    .unwrap();
    let (code, out) = ptest(&ours, &["init", "--force"], "init", &[]);
    assert_eq!(code, 0, "ptest init:\n{out}");
    let (code, out) = ptest(&ours, &["bless"], "bless", &[]);
    assert_eq!(code, 0, "ptest bless:\n{out}");
    let started = Instant::now();
    let (code, out) = ptest(&ours, &["test"], "test", &[]);
    assert_eq!(code, 0, "ptest test:\n{out}");
    for t in TESTS {
        assert!(out.contains(&format!("] {t}")), "{t} not reported:\n{out}");
    }
    eprintln!(
        "ptest test (4 tests, rr-file's 100 rounds) took {:?}",
        started.elapsed()
    );

    // Same emulator command lines, working directories and dialogues.
    assert_same(
        &journal(&orig, "init", false),
        &journal(&ours, "init", true),
    );
    assert_same(
        &journal(&orig, "bless", false),
        &journal(&ours, "bless", true),
    );
    assert_eq!(journal(&ours, "test", true)["rr-file"].len(), 200);

    // The same outputs were blessed (the stand-in is deterministic).
    for t in TESTS {
        let name = format!("blessed/{t}/{t}.out");
        assert_eq!(
            common::read(orig.reg().join(&name)),
            common::read(ours.reg().join(&name)),
            "{name}"
        );
    }

    // Failing snips: every one is tried, and the test FAILs with the original's output.
    let fail = [("PANDA_STANDIN_FAIL_REDUCED", "1")];
    let (code, out) = original(&orig, &["test", "scissors"], "fail", &fail);
    assert_eq!(code, 100, "original ptest.py test scissors:\n{out}");
    let (code, out) = ptest(&ours, &["test", "scissors"], "fail", &fail);
    assert_eq!(code, 100, "ptest test scissors:\n{out}");
    let line = out
        .lines()
        .find(|l| l.contains("] scissors"))
        .unwrap_or_else(|| panic!("no scissors line:\n{out}"));
    assert!(line.trim_start().starts_with("FAIL"), "{line}\n{out}");
    let produced = common::read(ours.reg().join("tmpout/scissors/scissors.out"));
    assert_eq!(
        produced,
        "scissors-test results: 0 pass 40 fail\nScissors FAIL\n"
    );
    assert_eq!(
        produced,
        common::read(orig.reg().join("tmpout/scissors/scissors.out"))
    );
    assert_same(
        &journal(&orig, "fail", false),
        &journal(&ours, "fail", true),
    );
    drop(tmp);
}
