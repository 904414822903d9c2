//! What a script gets: the interpreter, the environment variables, the Python helper.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::suite::{RegressionDir, Script, ScriptKind};

use super::result::RunKind;

/// The `ptest_utils` module existing suites import, shipped inside the binary.
const PTEST_UTILS: &str = include_str!("../python/ptest_utils.py");

/// Write the Python helper into `.ptest/python/` (only if it changed) and return the folder.
pub fn install_python_helper(regdir: &RegressionDir) -> std::io::Result<PathBuf> {
    let dir = regdir.state_dir().join("python");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("ptest_utils.py");
    if std::fs::read(&path).ok().as_deref() != Some(PTEST_UTILS.as_bytes()) {
        let tmp = dir.join(format!(".ptest_utils.py.{}", std::process::id()));
        std::fs::write(&tmp, PTEST_UTILS)?;
        std::fs::rename(&tmp, &path)?;
    }
    Ok(dir)
}

/// Interpreters resolved once per run: `python3` on PATH is often a version-manager shim
/// that costs ~60 ms per start; its real executable is started directly instead.
#[derive(Debug, Default)]
pub struct Interpreters {
    resolved: HashMap<PathBuf, Result<PathBuf, InterpreterError>>,
}

/// A Python interpreter that cannot run the suite's scripts (the tests using it error).
#[derive(Debug, Clone, thiserror::Error)]
pub enum InterpreterError {
    #[error(
        "Python interpreter {} cannot be started ({why}): install python3 or set `python = \"/path/to/python3\"` in ptest.toml (or --python)",
        python.display()
    )]
    CannotStart { python: PathBuf, why: String },
    #[error(
        "Python interpreter {} failed to start ({status}); fix it or set `python = ...` in ptest.toml (or --python)",
        python.display()
    )]
    Failed { python: PathBuf, status: String },
    /// The cache of resolved interpreters was poisoned by a panicking thread.
    #[error("interpreter cache poisoned")]
    Poisoned,
}

pub const DEFAULT_PYTHON: &str = "python3";

impl Interpreters {
    pub fn resolve(&mut self, python: Option<&Path>) -> Result<PathBuf, InterpreterError> {
        let requested = python.unwrap_or(Path::new(DEFAULT_PYTHON)).to_path_buf();
        self.resolved
            .entry(requested.clone())
            .or_insert_with(|| resolve_python(&requested))
            .clone()
    }
}

fn resolve_python(python: &Path) -> Result<PathBuf, InterpreterError> {
    let output = Command::new(python)
        .args(["-c", "import sys; sys.stdout.write(sys.executable)"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| InterpreterError::CannotStart {
            python: python.to_path_buf(),
            why: e.to_string(),
        })?;
    let exe = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if output.status.success() && exe.is_absolute() && exe.is_file() {
        Ok(exe)
    } else if output.status.success() {
        // No usable sys.executable (embedded builds): start it as named.
        Ok(python.to_path_buf())
    } else {
        Err(InterpreterError::Failed {
            python: python.to_path_buf(),
            status: output.status.to_string(),
        })
    }
}

/// How to start `script`: program and arguments.
pub fn command_line(script: &Script, python: Option<&Path>) -> (PathBuf, Vec<OsString>) {
    let path = script.path.as_os_str().to_os_string();
    match script.kind {
        ScriptKind::Python => (
            python.unwrap_or(Path::new(DEFAULT_PYTHON)).to_path_buf(),
            vec![path],
        ),
        ScriptKind::Shell if !script.is_executable() => (PathBuf::from("/bin/sh"), vec![path]),
        ScriptKind::Shell | ScriptKind::Executable => (script.path.clone(), Vec::new()),
    }
}

/// Paths a script is told about.
pub struct ScriptPaths<'a> {
    pub regdir: &'a RegressionDir,
    pub suite_dir: &'a Path,
    pub test: &'a str,
    pub test_dir: &'a Path,
    pub mode: RunKind,
    pub exe: &'a Path,
    pub helper_dir: &'a Path,
    /// Where engine commands send notices for the terminal (`runner::notices`).
    pub notice_socket: Option<&'a Path>,
}

/// The environment variables documented in the README, on top of ptest's own environment.
pub fn script_env(
    p: &ScriptPaths<'_>,
    extra: &std::collections::BTreeMap<String, String>,
) -> Vec<(String, OsString)> {
    let r = p.regdir;
    let os = |path: PathBuf| path.into_os_string();
    let mut pythonpath = p.helper_dir.as_os_str().to_os_string();
    if let Some(old) = std::env::var_os("PYTHONPATH").filter(|v| !v.is_empty()) {
        pythonpath.push(":");
        pythonpath.push(old);
    }
    let mut env = vec![
        ("PANDA_REGRESSION_DIR".into(), os(r.root.clone())),
        ("PTEST_TEST".into(), p.test.into()),
        ("PTEST_TEST_DIR".into(), os(p.test_dir.to_path_buf())),
        ("PTEST_SUITE_DIR".into(), os(p.suite_dir.to_path_buf())),
        ("PTEST_REPLAY_DIR".into(), os(r.replays(p.test))),
        ("PTEST_BLESSED_DIR".into(), os(r.blessed(p.test))),
        ("PTEST_TMPOUT_DIR".into(), os(r.tmpout(p.test))),
        ("PTEST_MISC_DIR".into(), os(r.misc(p.test))),
        ("PTEST_LOG_DIR".into(), os(r.logs(p.test))),
        ("PTEST_QCOW_DIR".into(), os(r.qcows())),
        (
            "PTEST_OUTFILE".into(),
            os(r.tmpout(p.test).join(format!("{}.out", p.test))),
        ),
        ("PTEST_MODE".into(), p.mode.as_str().into()),
        ("PTEST_EXE".into(), os(p.exe.to_path_buf())),
        ("PYTHONPATH".into(), pythonpath),
        // Scripts' output goes to a log: without this Python buffers it and a killed
        // script's last words are lost.
        ("PYTHONUNBUFFERED".into(), "1".into()),
    ];
    if let Some(socket) = p.notice_socket {
        env.push((super::notices::SOCKET_ENV.into(), os(socket.to_path_buf())));
    }
    env.extend(extra.iter().map(|(k, v)| (k.clone(), OsString::from(v))));
    env
}
