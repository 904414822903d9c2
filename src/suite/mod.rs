//! The suite: `config.testing`, `ptest.toml`, the test folders and their scripts, and the
//! regression directory they write into. It must not run scripts or judge outputs.

pub mod config;
pub mod config_testing;
pub mod durations;
pub mod lock;
pub mod partition;
pub mod plan;
pub mod reference;
pub mod regdir;
mod script;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use config::{Config, Scope};
pub use config_testing::Entry;
pub use plan::{RunPlan, Selection};
pub use regdir::RegressionDir;
pub use script::{Script, ScriptError, ScriptKind};

use crate::compare::CompareLayer;

/// Default per-test timeout when neither the config nor `--timeout` sets one: long enough
/// for a real replay, short enough that a hung emulator does not stall CI for hours.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Errors finding or reading the suite. All are configuration errors (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error(
        "no config.testing in {dir} or {dir}/tests: run ptest in a suite directory or pass --suite DIR"
    )]
    NoConfigTesting { dir: String },
    #[error("{}:{line}: {message}", path.display())]
    ConfigTesting {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Toml {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
        /// The line with a caret under the offending text, for terminals; the headline
        /// above is the error.
        excerpt: Option<Box<config::Excerpt>>,
    },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "unknown test {name:?}: it is not in {config_testing}; add it there or check the spelling"
    )]
    UnknownTest {
        name: String,
        config_testing: String,
    },
}

/// A loaded suite.
#[derive(Debug)]
pub struct Suite {
    /// The folder holding `config.testing`; test folders sit beside it.
    pub dir: PathBuf,
    pub config_testing: PathBuf,
    pub entries: Vec<Entry>,
    /// Names that are the first word of a `#` line (see [`config_testing`]).
    pub mentioned: HashSet<String>,
    /// Name → index in `entries`, so that lookups stay linear for huge suites.
    index: HashMap<String, usize>,
    /// `ptest.toml` (defaults if absent) and its path.
    pub config: Config,
    pub config_path: PathBuf,
}

/// Settings of one test after merging suite config, test config and command line.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub timeout: Duration,
    pub retries: u32,
    pub threads: usize,
    pub exclusive: bool,
    pub python: Option<PathBuf>,
    pub env: BTreeMap<String, String>,
    pub image: Option<String>,
    pub engine: ptest_engine::EngineSettings,
    pub compare: Vec<CompareLayer>,
    /// Declared inputs (`inputs = [...]`), the suite's then the test's.
    pub inputs: Vec<String>,
}

/// One test of the suite, as found on disk.
#[derive(Debug, Clone)]
pub struct TestDef {
    pub name: String,
    pub dir: PathBuf,
    /// The setup script, none ("nothing to set up"), or why the one there cannot run.
    pub setup: Result<Option<Script>, ScriptError>,
    /// The test script, or why there is none usable (the test then errors; others still run).
    pub test: Result<Script, ScriptError>,
    pub settings: Settings,
}

/// Command-line overrides applied on top of the config files.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub timeout: Option<Duration>,
    pub python: Option<PathBuf>,
    /// Environment for every test's scripts from the command line (`--image-map`),
    /// over the configs' `[env]`.
    pub env: BTreeMap<String, String>,
}

impl Suite {
    /// Find `config.testing` in `dir` or `dir/tests` and read it and `ptest.toml`.
    pub fn load(dir: &Path) -> Result<Suite, SuiteError> {
        let candidates = [dir.to_path_buf(), dir.join("tests")];
        let tests_dir = candidates
            .iter()
            .find(|d| d.join("config.testing").is_file())
            .ok_or_else(|| SuiteError::NoConfigTesting {
                dir: dir.display().to_string(),
            })?;
        let tests_dir = std::path::absolute(tests_dir).map_err(|source| SuiteError::Io {
            path: tests_dir.clone(),
            source,
        })?;
        let config_testing = tests_dir.join("config.testing");
        let bytes = std::fs::read(&config_testing).map_err(|source| SuiteError::Io {
            path: config_testing.clone(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| SuiteError::ConfigTesting {
            path: config_testing.clone(),
            line: line_of_offset(e.as_bytes(), e.utf8_error().valid_up_to()),
            message: "not valid UTF-8; test names must be UTF-8 text".into(),
        })?;
        let parsed = config_testing::parse(&config_testing, &text)?;
        let config_path = tests_dir.join("ptest.toml");
        let config = config::load(&config_path, Scope::Suite)?.unwrap_or_default();
        let index = parsed
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name.clone(), i))
            .collect();
        Ok(Suite {
            dir: tests_dir,
            config_testing,
            entries: parsed.entries,
            mentioned: parsed.mentioned,
            index,
            config,
            config_path,
        })
    }

    /// Which of the blessed references `blessed` (test names) belong to no test of the
    /// suite. A name that is the first word of any `#` line is never an orphan: a comment
    /// such as `#b flaky` is most likely a disabled test written loosely.
    pub fn orphans(&self, blessed: Vec<String>) -> Vec<String> {
        blessed
            .into_iter()
            .filter(|n| self.entry(n).is_none() && !self.mentioned.contains(n))
            .collect()
    }

    /// The enabled or disabled test `name`.
    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.index.get(name).map(|&i| &self.entries[i])
    }

    pub fn enabled(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.enabled)
    }

    /// The tests named on the command line (`all` or none: every enabled test), in
    /// `config.testing` order. Naming a disabled test runs it.
    pub fn select(&self, names: &[String]) -> Result<Vec<&Entry>, SuiteError> {
        let Selection::Named(names) = Selection::of(names) else {
            return Ok(self.enabled().collect());
        };
        for name in &names {
            if self.entry(name).is_none() {
                return Err(SuiteError::UnknownTest {
                    name: name.clone(),
                    config_testing: self.config_testing.display().to_string(),
                });
            }
        }
        let wanted: HashSet<&str> = names.iter().map(String::as_str).collect();
        Ok(self
            .entries
            .iter()
            .filter(|e| wanted.contains(e.name.as_str()))
            .collect())
    }

    /// Names of [`Suite::select`]ed tests.
    pub fn select_names(&self, names: &[String]) -> Result<Vec<String>, SuiteError> {
        Ok(self.select(names)?.iter().map(|e| e.name.clone()).collect())
    }

    /// Read a test's folder, scripts and `test.toml`, and merge its settings.
    pub fn test(&self, entry: &Entry, overrides: &Overrides) -> Result<TestDef, SuiteError> {
        let dir = self.dir.join(&entry.name);
        let test_config_path = dir.join("test.toml");
        let test_config = config::load(&test_config_path, Scope::Test)?.unwrap_or_default();
        let settings = self.settings(&test_config, &test_config_path, overrides);
        let (setup, test) = if dir.is_dir() {
            let setup = Script::find(&dir, &entry.name, "setup");
            let test = Script::find(&dir, &entry.name, "test").and_then(|found| {
                found.ok_or_else(|| ScriptError::NoTestScript {
                    dir: dir.clone(),
                    name: entry.name.clone(),
                })
            });
            (setup, test)
        } else {
            let why = ScriptError::NoFolder {
                dir: dir.clone(),
                name: entry.name.clone(),
                config_testing: self.config_testing.clone(),
            };
            (Err(why.clone()), Err(why))
        };
        Ok(TestDef {
            name: entry.name.clone(),
            dir,
            setup,
            test,
            settings,
        })
    }

    fn settings(&self, test: &Config, test_path: &Path, overrides: &Overrides) -> Settings {
        let suite = &self.config;
        let mut env = suite.env.clone();
        env.extend(test.env.clone());
        env.extend(overrides.env.clone());
        Settings {
            timeout: overrides
                .timeout
                .or(test.timeout)
                .or(suite.timeout)
                .unwrap_or(DEFAULT_TIMEOUT),
            retries: test.retries.or(suite.retries).unwrap_or(0),
            threads: test.threads.unwrap_or(1),
            exclusive: test.exclusive.unwrap_or(false),
            python: overrides
                .python
                .clone()
                .or_else(|| test.python.clone())
                .or_else(|| suite.python.clone()),
            env,
            image: test.image.clone().or_else(|| suite.image.clone()),
            engine: suite.engine.merged(&test.engine),
            compare: vec![
                config::compare_layer(&self.config_path, suite),
                config::compare_layer(test_path, test),
            ],
            inputs: suite.inputs.iter().chain(&test.inputs).cloned().collect(),
        }
    }
}

fn line_of_offset(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
