//! A test's inputs, for `ptest test --changed`: what a passing test really used, each
//! file with its SHA-256, kept in the test's state beside the verdict; and the check that
//! decides, before a run, whether the last pass still stands (nothing it used changed).
//!
//! - `gather`: the inputs ptest knows without running (the ptest binary, the test's
//!   folder, its blessed reference, declared `inputs`, its settings and environment) and
//!   those only the run shows (what each emulator mapped and read, as the engine wrote it
//!   to `logs/NAME/inputs/`; the Python modules the script imported, as the helper wrote
//!   them), combined after a pass into [`Inputs`].
//! - `check`: an earlier pass against the files as they are now: [`Freshness`].
//!
//! Never a false "cached pass": a test whose run could not be seen whole (an emulator not
//! started through ptest, maps that could not be read, a Python script whose imports are
//! unknown, an input changed while it ran) gets [`Inputs::Unknown`], and always runs.
//! The hashes come from the regression directory's stamps (device, inode, size, mtime,
//! ctime), so an unchanged file is not read again.

mod check;
mod gather;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use check::{Change, Freshness, check};
pub use gather::{Observed, clear_observations, record, static_inputs};

/// What a passing test used, or why that cannot be known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Inputs {
    Known(InputSet),
    Unknown(Unobservable),
}

/// Every file a test used with its SHA-256, and the values it ran with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSet {
    pub files: BTreeMap<PathBuf, FileInput>,
    /// Settings digest, environment variables, declared globs' matches: name → value.
    pub values: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInput {
    pub role: Role,
    pub sha256: String,
}

/// What a file is to the test; says how a change is worded, and whether the file is found
/// again before each run ([`Role::is_static`]) or only by running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The ptest binary (its comparison and its helper).
    Ptest,
    /// A file of the test's folder (scripts, test.toml, data).
    TestFile,
    /// A file of the blessed reference.
    Reference,
    /// A file matched by `inputs = [...]`.
    Declared,
    /// The Python interpreter that ran the script.
    Interpreter,
    /// A Python module the script imported (from outside the test's folder).
    PythonModule,
    /// An emulator binary.
    Emulator,
    /// A PANDA plugin the emulator mapped.
    Plugin,
    /// Another shared object the emulator mapped.
    Library,
    /// A recording's file that was replayed.
    Recording,
    /// A file named on the emulator's command line (image, kernel, kernelinfo).
    EmulatorArgument,
}

impl Role {
    /// Found from the suite and the regression directory alone, before any run.
    pub fn is_static(self) -> bool {
        matches!(
            self,
            Role::Ptest | Role::TestFile | Role::Reference | Role::Declared
        )
    }

    /// How the role is named in "… changed": "plugin panda_stringsearch.so".
    pub fn word(self) -> &'static str {
        match self {
            Role::Ptest => "ptest binary",
            Role::TestFile => "test file",
            Role::Reference => "blessed file",
            Role::Declared => "declared input",
            Role::Interpreter => "Python interpreter",
            Role::PythonModule => "Python module",
            Role::Emulator => "emulator",
            Role::Plugin => "plugin",
            Role::Library => "library",
            Role::Recording => "recording file",
            Role::EmulatorArgument => "emulator input",
        }
    }

    /// Files of these roles that change during the run were made by it (a test that
    /// records, then replays): they are its intermediates, not its inputs.
    fn may_be_made_by_the_test(self) -> bool {
        matches!(self, Role::Recording | Role::EmulatorArgument)
    }
}

/// Why a test's inputs cannot be known: it is never served from the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Unobservable {
    /// An emulator ran that no `ptest record`/`ptest replay` started.
    EmulatorNotThroughPtest { exe: PathBuf },
    /// An emulator's maps could not be read while it ran.
    MapsUnreadable { binary: PathBuf },
    /// The emulator ran inside the script's own Python (pandare).
    InProcessEmulator,
    /// A Python script ran without the helper, so its imports are unknown.
    PythonImportsUnknown,
    /// An input changed while the test ran.
    ChangedWhileRunning { role: Role, path: PathBuf },
    /// An input could not be hashed.
    Unreadable { path: PathBuf, why: String },
}

impl Unobservable {
    pub fn describe(&self) -> String {
        match self {
            Unobservable::EmulatorNotThroughPtest { exe } => format!(
                "it ran {} itself, not through `ptest record`/`ptest replay`, so what it used is unknown",
                name(exe)
            ),
            Unobservable::MapsUnreadable { binary } => format!(
                "what {} mapped could not be read while it ran",
                name(binary)
            ),
            Unobservable::InProcessEmulator => {
                "it ran PANDA inside its own Python (pandare), which ptest cannot observe".into()
            }
            Unobservable::PythonImportsUnknown => {
                "its Python script does not import ptest_utils, so its imports are unknown; declare them with `inputs = [...]` in test.toml".into()
            }
            Unobservable::ChangedWhileRunning { role, path } => {
                format!("{} {} changed while it ran", role.word(), name(path))
            }
            Unobservable::Unreadable { path, why } => {
                format!("input {} could not be read: {why}", path.display())
            }
        }
    }
}

/// The regression directory's stamps, as the engine uses them (`PTEST_VERIFY=1`: every
/// input hashed again).
pub fn stamps(regression_dir: &Path) -> ptest_engine::stamp::Stamps {
    ptest_engine::stamp::Stamps::new(regression_dir, verify())
}

fn verify() -> bool {
    std::env::var_os("PTEST_VERIFY").is_some_and(|v| !v.is_empty() && v != "0")
}

/// The SHA-256 of the ptest binary `exe`: learnt once per process, and remembered in the
/// machine's stamps (every regression directory, every test shares it; a debug build is
/// 150 MB).
pub fn ptest_sha256(exe: &Path) -> Result<String, Unobservable> {
    static ONCE: std::sync::OnceLock<Result<String, Unobservable>> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        let stamps = ptest_engine::stamp::Stamps::machine(verify())
            .unwrap_or_else(|| ptest_engine::stamp::Stamps::new(&std::env::temp_dir(), false));
        stamps.sha256(exe).map_err(|e| Unobservable::Unreadable {
            path: exe.to_path_buf(),
            why: e.to_string(),
        })
    })
    .clone()
}

/// A file's name for messages: "panda_stringsearch.so".
pub fn name(path: &Path) -> String {
    crate::human::visible(
        &path
            .file_name()
            .map_or_else(|| path.to_string_lossy(), |n| n.to_string_lossy()),
    )
    .into_owned()
}
