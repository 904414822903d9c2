//! The last run's results and every test's recent durations, kept in
//! `.ptest/state.json` for `accept`, `diff`, `list`, `--failed` and slowest-first scheduling.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::result::{Mode, Status, TestResult};
use crate::compare::{FileComparison, FileOutcome};

const FILE: &str = "state.json";
const VERSION: u32 = 1;

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
    pub mode: Mode,
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileRecord {
    pub name: String,
    pub mode: String,
    /// same | differs | missing | unexpected | invalid
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

impl FileRecord {
    pub fn from_comparison(f: &FileComparison) -> FileRecord {
        let (outcome, diff) = match &f.outcome {
            FileOutcome::Same => ("same", None),
            FileOutcome::Differs { diff } => ("differs", Some(diff.clone())),
            FileOutcome::Missing => ("missing", None),
            FileOutcome::Unexpected => ("unexpected", None),
            FileOutcome::Invalid { reason } => ("invalid", Some(reason.clone())),
        };
        FileRecord {
            name: f.name.clone(),
            mode: f.mode.to_string(),
            outcome: outcome.to_string(),
            diff,
        }
    }
}

impl State {
    /// Load the state; a missing file (no run yet) is an empty state. A file that cannot
    /// be read or parsed is an error naming it: `--failed`, `diff` and `accept` must not
    /// read "nothing failed" into a damaged file.
    pub fn load(state_dir: &Path) -> Result<State, String> {
        let path = state_dir.join(FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let state: State = serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "{}: damaged ({e}); delete it (it only caches the last results and durations) and run `ptest test` again",
                path.display()
            )
        })?;
        if state.version != VERSION {
            return Err(format!(
                "{}: written by another ptest version ({}, this one reads {VERSION}); delete it and run `ptest test` again",
                path.display(),
                state.version
            ));
        }
        Ok(state)
    }

    /// [`Self::load`] for commands that only use the state as a hint (durations for
    /// scheduling, `list`): a damaged file is reported and treated as empty.
    pub fn load_or_warn(state_dir: &Path) -> State {
        State::load(state_dir).unwrap_or_else(|e| {
            eprintln!("ptest: warning: {e}; ignoring it");
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

    pub fn expected(&self, test: &str, mode: Mode) -> Option<Duration> {
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
            if r.mode == Mode::Setup {
                continue;
            }
            entry.last = Some(LastRun {
                mode: r.mode,
                status: r.status,
                duration_secs: r.duration.as_secs_f64(),
                script_ok: r.script_ok,
                message: r.message.clone(),
                files: r.files.iter().map(FileRecord::from_comparison).collect(),
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
