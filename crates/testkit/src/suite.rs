//! [`TestSuite`]: a throwaway suite and regression directory in a temp dir, and the real
//! `ptest` binary run on them.
//!
//! ```ignore
//! let s = TestSuite::new().sh("a", "echo hi > \"$PTEST_OUTFILE\"");
//! s.ptest(&["bless"]).code(0);
//! ```

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use crate::process::Spawned;
use crate::ptest_bin;
use crate::run::Run;

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
        let mut cmd = assert_cmd::Command::new(ptest_bin());
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
        let mut cmd = std::process::Command::new(ptest_bin());
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
        Spawned::new(child)
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
