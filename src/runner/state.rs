//! The last run's results and every test's recent durations, for `accept`, `diff`, `list`,
//! `--failed` and slowest-first scheduling. It must not print: an unusable file is an
//! error (or a warning) the command words.
//!
//! Each test has its own file, `.ptest/state/tests/NAME.json`, written by temp file +
//! rename, because several ptest processes (shards) share one regression directory and a
//! single file rewritten whole by each would lose the others' results. A process writes
//! only the tests it changed, which it holds the lock of (`suite::lock`). The single
//! `.ptest/state.json` of earlier versions is still read (per-test files win) and is
//! moved into per-test files by the next [`State::save`] (see `state_legacy.rs`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::result::{RunKind, Status, TestResult};

/// 4: a differing file's difference is data (`{"outcome": "differs", "difference": {…}}`)
/// and a run's reason too (`"reason": {"kind": "timed_out", …}`, was `message`);
/// 3: one file per test; 2: file outcomes are typed (`{"outcome": "invalid", "reason":
/// …}`); 1 kept `diff` for every outcome's text. A version-2 `state.json` is still read
/// when it holds no differing file (its diff text cannot become data).
const VERSION: u32 = 4;

/// Why a state file could not be used. Each names the file and says how to fix it.
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
    /// Each test's state as loaded, serialized: [`State::save`] writes only what differs,
    /// so it never puts back a stale copy of a test another process has run since.
    #[serde(skip)]
    loaded: BTreeMap<String, Vec<u8>>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct TestState {
    /// Seconds the last run of each mode took (setup / bless / test).
    #[serde(default)]
    pub durations: BTreeMap<String, f64>,
    /// The latest bless or test run.
    pub last: Option<LastRun>,
}

/// A test's latest bless or test run: its [`TestResult`] as is, with when it finished and
/// whether `accept` has promoted its outputs since.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LastRun {
    #[serde(flatten)]
    pub result: TestResult,
    /// Seconds since the epoch.
    pub finished: u64,
    /// Set once `accept` promoted this run's outputs.
    #[serde(default)]
    pub accepted: bool,
    /// A passing `test` run's inputs, for `--changed` (see `inputs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<crate::inputs::Inputs>,
}

impl std::ops::Deref for LastRun {
    type Target = TestResult;
    fn deref(&self) -> &TestResult {
        &self.result
    }
}

impl State {
    /// Load the state; no file (no run yet) is an empty state. A file that cannot be read
    /// or parsed, or one of another version, is an error naming it: `--failed`, `diff` and
    /// `accept` must not read "nothing failed" into a damaged file.
    pub fn load(state_dir: &Path) -> Result<State, StateError> {
        let (state, mut errors) = State::load_parts(state_dir);
        match errors.is_empty() {
            true => Ok(state),
            false => Err(errors.swap_remove(0)),
        }
    }

    /// [`Self::load`] for commands that only use the state as a hint (durations for
    /// scheduling, `list`) and rewrite it: each unusable file is passed to `warn` (the
    /// command prints it; the runner prints nothing) and skipped, the rest kept.
    pub fn load_or_warn(state_dir: &Path, mut warn: impl FnMut(&StateError)) -> State {
        let (state, errors) = State::load_parts(state_dir);
        for e in &errors {
            warn(e);
        }
        state
    }

    /// Everything readable, and why the rest is not. The legacy `state.json` is read
    /// first: a test's own file, newer, overrides its entry there.
    fn load_parts(state_dir: &Path) -> (State, Vec<StateError>) {
        let mut errors = Vec::new();
        let mut tests = match legacy::read(state_dir) {
            Ok(tests) => tests,
            Err(e) => {
                errors.push(e);
                BTreeMap::new()
            }
        };
        let dir = tests_dir(state_dir);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries.collect::<Vec<_>>(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => {
                errors.push(StateError::Io {
                    path: dir.clone(),
                    source,
                });
                Vec::new()
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(source) => {
                    errors.push(StateError::Io {
                        path: dir.clone(),
                        source,
                    });
                    continue;
                }
            };
            let file_name = entry.file_name();
            let Some(name) = file_name
                .to_str()
                .filter(|n| !n.starts_with('.'))
                .and_then(|n| n.strip_suffix(".json"))
            else {
                continue; // temp files of a write in progress, and strays
            };
            match read_test(&entry.path()) {
                Ok(Some(test)) => {
                    tests.insert(name.to_string(), test);
                }
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
        }
        let loaded = tests
            .iter()
            .filter_map(|(name, t)| Some((name.clone(), serde_json::to_vec(t).ok()?)))
            .collect();
        let state = State {
            version: VERSION,
            tests,
            loaded,
        };
        (state, errors)
    }

    /// Write each test this process changed to its own file (temp file + rename), then
    /// move a legacy `state.json` into per-test files.
    pub fn save(&mut self, state_dir: &Path) -> std::io::Result<()> {
        self.version = VERSION;
        let dir = tests_dir(state_dir);
        std::fs::create_dir_all(&dir)?;
        for (name, test) in &self.tests {
            if !legacy::is_plain_name(name) {
                continue;
            }
            let bytes = serde_json::to_vec(test).map_err(std::io::Error::other)?;
            if self.loaded.get(name) == Some(&bytes) {
                continue;
            }
            let mut tmp = tempfile::Builder::new()
                .prefix(&format!(".{name}.json."))
                .tempfile_in(&dir)?;
            write_test(&mut tmp, test)?;
            tmp.persist(dir.join(format!("{name}.json")))
                .map_err(|e| e.error)?;
            self.loaded.insert(name.clone(), bytes);
        }
        legacy::migrate(state_dir, &dir)
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
            // A reused verdict leaves the pass it reused (and its inputs) as they are.
            if matches!(r.status, Status::NotRun | Status::Cached) {
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
            let mut result = r.clone();
            let inputs = result.inputs.take().filter(|_| r.status == Status::Passed);
            entry.last = Some(LastRun {
                result,
                finished: now,
                accepted: false,
                inputs,
            });
        }
    }

    /// What a reused verdict rests on: the test's last run, if it was a passing `test`
    /// run, with the inputs it kept (`None` in the pair: a pass from before inputs were
    /// kept).
    pub fn last_pass(&self, test: &str) -> Option<(&LastRun, Option<&crate::inputs::Inputs>)> {
        let last = self.tests.get(test)?.last.as_ref()?;
        (last.mode == RunKind::Test && last.status == Status::Passed)
            .then_some((last, last.inputs.as_ref()))
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

/// `.ptest/state/tests/`: one `NAME.json` per test.
pub fn tests_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("state").join("tests")
}

/// A test's file on disk: its state with the format version.
#[derive(Serialize, Deserialize)]
struct TestFile {
    version: u32,
    #[serde(flatten)]
    test: TestState,
}

fn write_test(out: &mut impl Write, test: &TestState) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct Out<'a> {
        version: u32,
        #[serde(flatten)]
        test: &'a TestState,
    }
    serde_json::to_writer(
        &mut *out,
        &Out {
            version: VERSION,
            test,
        },
    )
    .map_err(std::io::Error::other)?;
    out.flush()
}

/// One test's file; `Ok(None)` if it vanished meanwhile.
fn read_test(path: &Path) -> Result<Option<TestState>, StateError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StateError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    check_version(path, &bytes, VERSION)?;
    serde_json::from_slice::<TestFile>(&bytes)
        .map(|f| Some(f.test))
        .map_err(|source| StateError::Damaged {
            path: path.to_path_buf(),
            source,
        })
}

/// The version first: an older file's records may not parse as this version's.
fn check_version(path: &Path, bytes: &[u8], expected: u32) -> Result<(), StateError> {
    #[derive(Deserialize)]
    struct Versioned {
        version: u32,
    }
    let found = serde_json::from_slice::<Versioned>(bytes)
        .map_err(|source| StateError::Damaged {
            path: path.to_path_buf(),
            source,
        })?
        .version;
    let path = path.to_path_buf();
    match found.cmp(&expected) {
        std::cmp::Ordering::Less => Err(StateError::Older { path, found }),
        std::cmp::Ordering::Greater => Err(StateError::Newer { path, found }),
        std::cmp::Ordering::Equal => Ok(()),
    }
}

#[path = "state_legacy.rs"]
mod legacy;

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
