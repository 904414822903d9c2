//! The PANDA driver's fixes for issue 7, each through the real `ptest` binary on a
//! throwaway suite, with the stand-in PANDA (tests/panda_standin/panda-system.py, see its
//! top for the switches used here) installed as `BUILD/ARCH-softmmu/panda-system-ARCH`
//! and `PANDA_BUILD=BUILD`:
//! - `tmpfulloutfile` holds the emulator's replay output;
//! - a failing guest command fails the recording (and `guest_exit` says so);
//! - a guest that never shows its prompt is reported with the emulator's last lines;
//! - `meta.json` holds the binary's `-version` line and the `-kernel`/`-initrd` hashes;
//! - a missing recording is named in PANDA's file names;
//! - recordings on one image never overlap, and the waiting one says so on the terminal;
//! - stall detection adapts to the replay's own progress rate.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{Run, TestSuite, read};

/// What ptest types after `end_record` (ptest_engine::EXIT_QUERY).
const EXIT_QUERY: &str = "echo ptest-guest-exit=$?";
/// The stand-in's `-version` answer, first line.
const STANDIN_VERSION: &str = "QEMU emulator version 2.9.1 (stand-in PANDA)";
/// The built-in image `record_debian(…, "x86_64")` boots (PANDA's run_debian.py's).
const X86_64_QCOW: &str = "qcows/wheezy_x64.qcow2";

/// The real interpreter (a version manager's shim would cost ~0.3 s per emulator start).
fn python() -> &'static str {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let out = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    })
}

/// The stand-in installed in a build folder of the suite's temp dir, and its journal.
struct Panda {
    build: PathBuf,
    journal: PathBuf,
}

impl Panda {
    fn install(s: &TestSuite) -> Panda {
        let standin = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/panda_standin");
        let text = read(standin.join("panda-system.py"));
        let body = text.split_once('\n').map(|(_, b)| b).unwrap_or("");
        // A regression directory as `ptest init` leaves it, for the qcows and recordings
        // put there. (Not left for ptest to make: two tests starting at once may both try
        // to create `logs/`, and one then errors with EEXIST; see src/suite/regdir.rs.)
        for dir in [
            ".ptest", "replays", "blessed", "tmpout", "misc", "logs", "qcows",
        ] {
            std::fs::create_dir_all(s.reg.join(dir)).expect("regression dir");
        }
        let build = s.scratch("panda-build");
        for arch in ["i386", "x86_64"] {
            let dir = build.join(format!("{arch}-softmmu"));
            std::fs::create_dir_all(&dir).expect("mkdir");
            let bin = dir.join(format!("panda-system-{arch}"));
            std::fs::write(&bin, format!("#!{}\n{body}", python())).expect("write stand-in");
            std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .expect("chmod");
        }
        Panda {
            build,
            journal: s.scratch("journal.jsonl"),
        }
    }

    /// `ptest ARGS` with this PANDA and `env`.
    fn ptest(&self, s: &TestSuite, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = s.cmd();
        cmd.args(args)
            .env("PANDA_BUILD", &self.build)
            .env("PANDA_STANDIN_JOURNAL", &self.journal);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().expect("run ptest"))
    }

    /// The stand-in's runs so far (one JSON object each; `-version` runs are not journaled).
    fn runs(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.journal)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("journal line"))
            .collect()
    }
}

/// A stand-in qcow where the built-in x86_64 image is expected.
fn x86_64_qcow(s: &TestSuite) {
    let q = s.reg.join(X86_64_QCOW);
    std::fs::create_dir_all(q.parent().expect("parent")).expect("mkdir");
    std::fs::write(q, "stand-in qcow\n").expect("qcow");
}

/// Test `name` whose setup script records `/bin/true` as `rec` on x86_64, and whose test
/// script is `test_body` (after `from ptest_utils import *`).
fn recording_test(s: TestSuite, name: &str, test_body: &str) -> TestSuite {
    s.write(
        &format!("{name}/{name}-setup.py"),
        "from ptest_utils import *\nrecord_debian(\"guest:/bin/true\", \"rec\", \"x86_64\")\n",
    );
    s.py(name, &format!("from ptest_utils import *\n{test_body}"))
}

/// A hand-made PANDA recording `replays/TEST/NAME` of `count` instructions.
fn fake_recording(s: &TestSuite, test: &str, name: &str, count: u64) {
    let dir = s.reg.join("replays").join(test);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut nondet = count.to_le_bytes().to_vec();
    nondet.extend_from_slice(b"hand-made nondet log\n");
    std::fs::write(dir.join(format!("{name}-rr-nondet.log")), nondet).expect("nondet");
    std::fs::write(dir.join(format!("{name}-rr-snp")), "snapshot\n").expect("snp");
}

fn meta(s: &TestSuite, test: &str, name: &str) -> serde_json::Value {
    let path = s.reg.join(format!("replays/{test}/{name}.meta.json"));
    serde_json::from_str(&read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("digest")
        .to_string()
}

/// Processes whose command line mentions `needle` (the stand-in's build folder).
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle)
            && common::alive(entry.file_name().to_string_lossy().parse().unwrap_or(0))
        {
            found.push(cmdline);
        }
    }
    found
}

#[test]
fn tmpfulloutfile_holds_the_emulators_replay_output() {
    let s = TestSuite::new().py(
        "t",
        "from ptest_utils import *\n\
         run_test_debian(\"-panda asidstory\", \"rec\", \"x86_64\")\n\
         with open(tmpoutfile, \"a\") as f:\n    f.write(\"\\n--- tmpfulloutfile ---\\n\" + open(tmpfulloutfile).read())\n",
    );
    let panda = Panda::install(&s);
    fake_recording(&s, "t", "rec", 5000);
    panda.ptest(&s, &["bless", "t"], &[]).code(0);
    let full = read(s.reg.join("logs/t/t-full.out"));
    for line in [
        "rec:        2500 ( 50.00%) instrs.",
        "rec:        5000 (100.00%) instrs.",
        "Replay completed successfully",
    ] {
        assert!(
            full.contains(line),
            "tmpfulloutfile lacks {line:?}:\n{full}"
        );
    }
    // The script saw it too (what `tmpfulloutfile` names is what the helper wrote).
    let blessed = read(s.blessed("t").join("t.out"));
    assert!(
        blessed.contains("--- tmpfulloutfile ---\n")
            && blessed.contains("Replay completed successfully"),
        "{blessed}"
    );
    // And the stand-in really ran with the script's arguments, in tmpout.
    let runs = panda.runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["cwd"], s.tmpout("t").display().to_string());
    assert!(
        runs[0]["argv"]
            .to_string()
            .contains("\"-panda\",\"asidstory\""),
        "{runs:?}"
    );
}

#[test]
fn a_failing_guest_command_fails_the_recording() {
    let s = TestSuite::new().py("t", "open(tmpoutfile, 'w').write('x')\n");
    s.write(
        "t/t-setup.py",
        "from ptest_utils import *\n\
         try:\n    record_debian(\"guest:/bin/false\", \"rec\", \"x86_64\")\n\
         except sp.CalledProcessError as e:\n\
         \x20   open(os.path.join(os.environ['PTEST_SCRATCH'], 'raised'), 'w').write(str(e.returncode))\n\
         \x20   raise\n",
    );
    x86_64_qcow(&s);
    let panda = Panda::install(&s);

    let run = panda.ptest(&s, &["setup", "t"], &[("PANDA_STANDIN_GUEST_EXIT", "3")]);
    assert_ne!(run.status.code(), Some(0), "{}", run.all());
    run.says(&["the guest command `/bin/false` exited with status 3"]);
    // record_debian raised (catchable), it did not sys.exit.
    let raised = read(s.scratch("raised"));
    assert_ne!(raised, "0", "record_debian raised with status {raised}");
    // The recording is kept, and its metadata tells the truth.
    assert_eq!(meta(&s, "t", "rec")["guest_exit"], 3);

    let run = panda.ptest(&s, &["setup", "t"], &[("PANDA_STANDIN_GUEST_EXIT", "0")]);
    run.code(0);
    assert_eq!(meta(&s, "t", "rec")["guest_exit"], 0);

    // The question comes after end_record (the recording holds only the command) and
    // before quit.
    let runs = panda.runs();
    assert_eq!(runs.len(), 2, "{runs:?}");
    for r in &runs {
        let dialogue: Vec<String> = r["dialogue"]
            .as_array()
            .expect("dialogue")
            .iter()
            .map(|d| {
                format!(
                    "{}: {}",
                    d[0].as_str().unwrap_or(""),
                    d[1].as_str().unwrap_or("")
                )
            })
            .collect();
        let at = |line: &str| {
            dialogue
                .iter()
                .position(|d| d == line)
                .unwrap_or_else(|| panic!("no {line:?} in {dialogue:#?}"))
        };
        let end = at("monitor: end_record");
        let ask = at(&format!("console: {EXIT_QUERY}"));
        let quit = at("monitor: quit");
        assert!(
            at("console: /bin/false") < end && end < ask && ask < quit,
            "{dialogue:#?}"
        );
    }
}

#[test]
fn a_guest_that_never_shows_its_prompt_is_reported_with_the_emulators_last_lines() {
    const ERROR: &str =
        "panda-system-x86_64: Error -22 while activating snapshot 'root' on 'ide0-hd0'";
    let s = recording_test(TestSuite::new(), "t", "open(tmpoutfile, 'w').write('x')\n")
        .ptest_toml("[engine]\nprompt-timeout = \"1s\"\n");
    x86_64_qcow(&s);
    let panda = Panda::install(&s);
    let run = panda.ptest(&s, &["setup", "t"], &[("PANDA_STANDIN_NO_PROMPT", ERROR)]);
    assert_ne!(run.status.code(), Some(0), "{}", run.all());
    let log = read(s.reg.join("logs/t/rec-record.log"));
    assert!(log.contains(ERROR), "PANDA's log lacks the error:\n{log}");
    // On the terminal, in the error that names the prompt.
    run.says(&["the guest never showed its prompt", ERROR]);
}

#[test]
fn meta_json_holds_the_emulators_version_and_kernel_hashes() {
    let s = TestSuite::new();
    let kernel = s.scratch("vmlinuz-dummy");
    let initrd = s.scratch("initrd-dummy.img");
    std::fs::write(&kernel, "not really a kernel\n").expect("kernel");
    std::fs::write(&initrd, "not really an initramfs\n").expect("initrd");
    let qcow = s.scratch("kern.qcow2");
    std::fs::write(&qcow, "stand-in qcow\n").expect("qcow");
    let s = recording_test(s, "t", "open(tmpoutfile, 'w').write('x')\n").ptest_toml(&format!(
        "image = \"kern\"\n\n[images.kern]\nengine = \"panda\"\narch = \"x86_64\"\npath = {:?}\n\
         prompt = 'root@debian-amd64:~#'\nextra_args = [\"-kernel\", {:?}, \"-initrd\", {:?}]\n",
        qcow.display().to_string(),
        kernel.display().to_string(),
        initrd.display().to_string(),
    ));
    let panda = Panda::install(&s);
    panda.ptest(&s, &["setup", "t"], &[]).code(0);
    let m = meta(&s, "t", "rec");
    assert_eq!(m["emulator_version"], STANDIN_VERSION, "{m:#}");
    assert_eq!(m["kernel_sha256"], sha256(&kernel), "{m:#}");
    assert_eq!(m["initramfs_sha256"], sha256(&initrd), "{m:#}");
    assert_eq!(m["image"], "kern", "{m:#}");
    // The image's arguments really reached PANDA.
    let runs = panda.runs();
    assert!(
        runs[0]["argv"]
            .to_string()
            .contains(&format!("\"-kernel\",{:?}", kernel.display().to_string())),
        "{runs:?}"
    );
}

#[test]
fn a_missing_panda_recording_is_named_in_pandas_terms() {
    let s = TestSuite::new().py("t", "open(tmpoutfile, 'w').write('x')\n");
    let panda = Panda::install(&s);
    let run = panda.ptest(
        &s,
        &[
            "replay",
            "--arch",
            "x86_64",
            "nosuch",
            "--",
            "-panda",
            "asidstory",
        ],
        &[("PTEST_TEST", "t")],
    );
    assert_ne!(run.status.code(), Some(0), "{}", run.all());
    let base = s.reg.join("replays/t/nosuch").display().to_string();
    run.says(&[
        &format!("no PANDA recording {base}-rr-nondet.log"),
        "`ptest setup t`",
    ])
    .never_says("nosuch.rr");
    assert!(
        panda.runs().is_empty(),
        "PANDA was started: {:?}",
        panda.runs()
    );
}

#[test]
fn recordings_on_one_image_wait_for_each_other_and_say_so() {
    let s = recording_test(TestSuite::new(), "a", "open(tmpoutfile, 'w').write('x')\n");
    let s = recording_test(s, "b", "open(tmpoutfile, 'w').write('x')\n");
    x86_64_qcow(&s);
    let panda = Panda::install(&s);
    let run = panda.ptest(
        &s,
        &["setup", "-j", "2", "--color", "never"],
        &[("PANDA_STANDIN_RECORD_SECONDS", "1")],
    );
    run.code(0);
    let qcow = s.reg.join(X86_64_QCOW).display().to_string();
    let note = run
        .stdout
        .lines()
        .chain(run.stderr.lines())
        .find(|l| l.contains("waiting for image"))
        .unwrap_or_else(|| panic!("no waiting notice:\n{}", run.all()));
    assert!(
        note.trim_start().starts_with("NOTE") && note.contains(&qcow),
        "{note}\n{}",
        run.all()
    );
    let mut spans: Vec<(f64, f64)> = panda
        .runs()
        .iter()
        .map(|r| {
            (
                r["start"].as_f64().expect("start"),
                r["end"].as_f64().expect("end"),
            )
        })
        .collect();
    assert_eq!(spans.len(), 2, "{spans:?}");
    spans.sort_by(|x, y| x.0.total_cmp(&y.0));
    assert!(
        spans[0].1 <= spans[1].0,
        "the two emulators ran at once: {spans:?}"
    );
    for t in ["a", "b"] {
        assert_eq!(meta(&s, t, "rec")["guest_exit"], 0);
    }
}

#[test]
fn a_replay_slower_than_stall_timeout_per_step_but_steady_is_not_killed() {
    let s = TestSuite::new()
        .py("t", "open(tmpoutfile, 'w').write('x')\n")
        .ptest_toml("[engine]\nstall-timeout = \"1s\"\n");
    let panda = Panda::install(&s);
    fake_recording(&s, "t", "rec", 4000);
    // Four progress lines, 1.5 s apart: every step takes longer than stall-timeout.
    let run = panda.ptest(
        &s,
        &["replay", "--arch", "x86_64", "rec"],
        &[
            ("PTEST_TEST", "t"),
            ("PANDA_STANDIN_PROGRESS_SECONDS", "1.5"),
            ("PANDA_STANDIN_PROGRESS_STEP", "25"),
        ],
    );
    run.code(0)
        .says(&[
            "rec:        4000 (100.00%) instrs.",
            "Replay completed successfully",
        ])
        .never_says("stalled");
}

#[test]
fn a_replay_that_stops_printing_progress_is_killed_with_its_position() {
    let s = TestSuite::new()
        .py("t", "open(tmpoutfile, 'w').write('x')\n")
        .ptest_toml("[engine]\nstall-timeout = \"1s\"\n");
    let panda = Panda::install(&s);
    fake_recording(&s, "t", "rec", 5000);
    let run = panda.ptest(
        &s,
        &["replay", "--arch", "x86_64", "rec"],
        &[("PTEST_TEST", "t"), ("PANDA_STANDIN_STALL_AT", "50")],
    );
    run.code(3)
        .says(&["replay rec stalled at instruction 2500 of 5000"])
        .never_says("Replay completed successfully");
    // Killed, not left behind (SIGKILL lands asynchronously: a deadline that only a
    // survivor reaches).
    let build = panda.build.display().to_string();
    let start = std::time::Instant::now();
    let mut left = processes_mentioning(&build);
    while !left.is_empty() && start.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(20));
        left = processes_mentioning(&build);
    }
    assert!(left.is_empty(), "PANDA survived: {left:?}");
}
