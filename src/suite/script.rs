//! Finding a test's setup and test scripts and deciding how to run them.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// How a script is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptKind {
    /// `.py`: run with the resolved Python interpreter, whatever its shebang says
    /// (old suites say `#!/usr/bin/python`, which is often Python 2 or missing).
    Python,
    /// `.sh`: executed directly if executable, else with `/bin/sh`.
    Shell,
    /// No extension: must be executable.
    Executable,
}

/// Why a test has no script that can run. The test then errors with this message; the
/// other tests still run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    #[error("{} is not a regular file", path.display())]
    NotAFile { path: PathBuf },
    #[error(
        "{} is not executable and has no known extension: `chmod +x` it or name it {base}.py / {base}.sh",
        path.display()
    )]
    NotExecutable { path: PathBuf, base: String },
    #[error("no test script in {}: add {name}-test.py (or {name}-test.sh)", dir.display())]
    NoTestScript { dir: PathBuf, name: String },
    #[error(
        "test folder {} is missing: create it with {name}-test.py, or disable the test in {}",
        dir.display(),
        config_testing.display()
    )]
    NoFolder {
        dir: PathBuf,
        name: String,
        config_testing: PathBuf,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub path: PathBuf,
    pub kind: ScriptKind,
}

impl Script {
    /// Look for `NAME-ROLE.py`, `NAME-ROLE.sh`, then `NAME-ROLE` in `dir`.
    /// `Ok(None)`: no such script. `Err`: one exists but cannot be run, with the fix.
    pub fn find(dir: &Path, name: &str, role: &str) -> Result<Option<Script>, ScriptError> {
        let base = format!("{name}-{role}");
        for (suffix, kind) in [
            (".py", ScriptKind::Python),
            (".sh", ScriptKind::Shell),
            ("", ScriptKind::Executable),
        ] {
            let path = dir.join(format!("{base}{suffix}"));
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if !meta.is_file() {
                return Err(ScriptError::NotAFile { path });
            }
            if kind == ScriptKind::Executable && meta.permissions().mode() & 0o111 == 0 {
                return Err(ScriptError::NotExecutable { path, base });
            }
            return Ok(Some(Script { path, kind }));
        }
        Ok(None)
    }

    /// Whether the file may be executed directly.
    pub fn is_executable(&self) -> bool {
        std::fs::metadata(&self.path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
    }
}
