//! The last run's results and every test's recent durations, kept in
//! `.ptest/state.json` for `accept`, `diff`, `list`, `--failed` and slowest-first scheduling.
//! It must not print: an unusable file is an error (or a warning) the command words.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::result::{RunKind, Status, TestResult};
use crate::outcome::FileRecord;

const FILE: &str = "state.json";
/// 2: file outcomes are typed (`{"outcome": "invalid", "reason": …}`); 1 kept `diff` for
/// every outcome's text.
const VERSION: u32 = 2;

/// Why `state.json` could not be used. Each names the file and says how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{}: damaged ({source}); delete it (it only caches the last results and durations) and run `ptest test` again",
        path.display()
    )]
    Damaged {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "{}: written by an older ptest (state version {found}, this one reads {VERSION}); run `ptest test` again to refresh it",
        path.display()
    )]
    Older { path: PathBuf, found: u32 },
    #[error(
        "{}: written by a newer ptest (state version {found}, this one reads {VERSION}); use that ptest, or delete the file and run `ptest test` again",
        path.display()
    )]
    Newer { path: PathBuf, found: u32 },
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    #[serde(default)]
    pub tests: BTreeMap<String, TestState>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct TestState {
    /// Seconds the last run of each mode took (setup / bless / test).
    #[serde(default)]
    pub durations: BTreeMap<String, f64>,
    /// The latest bless or test run.
    pub last: Option<LastRun>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LastRun {
    pub mode: RunKind,
    pub status: Status,
    pub duration_secs: f64,
    pub script_ok: bool,
    pub message: Option<String>,
    pub files: Vec<FileRecord>,
    pub log: PathBuf,
    /// Seconds since the epoch.
    pub finished: u64,
    /// Set once `accept` promoted this run's outputs.
    #[serde(default)]
    pub accepted: bool,
}

impl State {
    /// Load the state; a missing file (no run yet) is an empty state. A file that cannot
    /// be read or parsed, or one of another version, is an error naming it: `--failed`,
    /// `diff` and `accept` must not read "nothing failed" into a damaged file.
    pub fn load(state_dir: &Path) -> Result<State, StateError> {
        let path = state_dir.join(FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
            Err(source) => return Err(StateError::Io { path, source }),
        };
        // The version first: an older file's records may not parse as this version's.
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let found = match serde_json::from_slice::<Versioned>(&bytes) {
            Ok(v) => v.version,
            Err(source) => return Err(StateError::Damaged { path, source }),
        };
        match found.cmp(&VERSION) {
            std::cmp::Ordering::Less => return Err(StateError::Older { path, found }),
            std::cmp::Ordering::Greater => return Err(StateError::Newer { path, found }),
            std::cmp::Ordering::Equal => {}
        }
        serde_json::from_slice(&bytes).map_err(|source| StateError::Damaged { path, source })
    }

    /// [`Self::load`] for commands that only use the state as a hint (durations for
    /// scheduling, `list`) and rewrite it: an unusable file is passed to `warn` (the
    /// command prints it; the runner prints nothing) and treated as empty.
    pub fn load_or_warn(state_dir: &Path, warn: impl FnOnce(&StateError)) -> State {
        State::load(state_dir).unwrap_or_else(|e| {
            warn(&e);
            State::default()
        })
    }

    /// Write atomically (temp file + rename).
    pub fn save(&mut self, state_dir: &Path) -> std::io::Result<()> {
        self.version = VERSION;
        let mut tmp = tempfile::NamedTempFile::new_in(state_dir)?;
        serde_json::to_writer(&mut tmp, self).map_err(std::io::Error::other)?;
        tmp.flush()?;
        tmp.persist(state_dir.join(FILE)).map_err(|e| e.error)?;
        Ok(())
    }

    pub fn expected(&self, test: &str, mode: RunKind) -> Option<Duration> {
        self.tests
            .get(test)?
            .durations
            .get(mode.as_str())
            .and_then(|s| Duration::try_from_secs_f64(*s).ok())
    }

    /// Record a run's results (tests that never ran keep their previous state).
    pub fn record(&mut self, results: &[TestResult]) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        for r in results {
            if r.status == Status::NotRun {
                continue;
            }
            let entry = self.tests.entry(r.name.clone()).or_default();
            if r.status != Status::Interrupted {
                entry
                    .durations
                    .insert(r.mode.as_str().into(), r.duration.as_secs_f64());
            }
            if r.mode == RunKind::Setup {
                continue;
            }
            entry.last = Some(LastRun {
                mode: r.mode,
                status: r.status,
                duration_secs: r.duration.as_secs_f64(),
                script_ok: r.script_ok,
                message: r.message.clone(),
                files: r.files.clone(),
                log: r.log.clone(),
                finished: now,
                accepted: false,
            });
        }
    }

    /// Tests whose latest run did not pass (for `--failed`).
    pub fn failed(&self) -> Vec<String> {
        self.tests
            .iter()
            .filter(|(_, t)| t.last.as_ref().is_some_and(|l| !l.status.is_success()))
            .map(|(name, _)| name.clone())
            .collect()
    }
}
