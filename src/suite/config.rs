//! `ptest.toml` (suite-wide) and `NAME/test.toml` (per test). Both are optional; unknown
//! keys are errors naming the file, line and key, so a typo never silently does nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::SuiteError;
use crate::compare::{CompareLayer, CompareSpec, FilterSpec};

/// One config file: `ptest.toml` (suite) or `NAME/test.toml` (test). Both take the same
/// keys but for a few that only make sense in one of them (checked by [`Scope`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Per-test timeout (`90s`, `20m`).
    pub timeout: Option<Spanned<String>>,
    /// Interpreter for `.py` scripts.
    pub python: Option<PathBuf>,
    /// Extra environment variables for the scripts.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Re-run a failing test up to this many times; a later pass is reported as flaky.
    pub retries: Option<u32>,
    /// Guest image the test records on (see `[images]`).
    pub image: Option<String>,
    #[serde(default)]
    pub filters: Vec<FilterSpec>,
    #[serde(default)]
    pub compare: CompareSpec,
    #[serde(default)]
    pub engine: ptest_engine::EngineSettings,
    /// Suite only: default for `-j`.
    pub jobs: Option<Spanned<usize>>,
    /// Suite only: images tests may name, on top of the built-in catalog.
    pub images: Option<Spanned<BTreeMap<String, ptest_engine::images::ImageSpec>>>,
    /// Test only: CPUs the test occupies; `-j` counts them.
    pub threads: Option<Spanned<usize>>,
    /// Test only: run with no other test alongside.
    pub exclusive: Option<Spanned<bool>>,
}

/// Which file a [`Config`] was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Suite,
    Test,
}

impl Config {
    /// Images declared in the suite config.
    pub fn images(&self) -> BTreeMap<String, ptest_engine::images::ImageSpec> {
        self.images
            .as_ref()
            .map(|i| i.get_ref().clone())
            .unwrap_or_default()
    }

    fn check_scope(&self, scope: Scope, path: &Path, text: &str) -> Result<(), SuiteError> {
        let misplaced = |key: &str, span: std::ops::Range<usize>, belongs: &str| {
            let (line, column) = line_column(text, span.start);
            Err(SuiteError::Toml {
                path: path.to_path_buf(),
                line,
                column,
                message: format!("key `{key}` belongs in {belongs}; move it there"),
            })
        };
        match scope {
            Scope::Suite => {
                if let Some(v) = &self.threads {
                    return misplaced("threads", v.span(), "a test's test.toml");
                }
                if let Some(v) = &self.exclusive {
                    return misplaced("exclusive", v.span(), "a test's test.toml");
                }
            }
            Scope::Test => {
                if let Some(v) = &self.jobs {
                    return misplaced("jobs", v.span(), "the suite's ptest.toml");
                }
                if let Some(v) = &self.images {
                    return misplaced("images", v.span(), "the suite's ptest.toml");
                }
            }
        }
        Ok(())
    }
}

/// Read and parse a TOML config file; `Ok(None)` if it does not exist.
pub fn load(path: &Path, scope: Scope) -> Result<Option<Config>, SuiteError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SuiteError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let config: Config = parse(path, &text)?;
    config.check_scope(scope, path, &text)?;
    Ok(Some(config))
}

/// Parse TOML `text` read from `path`, turning errors into `file:line:column: message`.
pub fn parse<T: for<'de> Deserialize<'de>>(path: &Path, text: &str) -> Result<T, SuiteError> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|span| line_column(text, span.start))
            .unwrap_or((1, 1));
        SuiteError::Toml {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().trim().replace('\n', " "),
        }
    })
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, column)
}

/// Parse a duration as written in config (`90s`, `20m`, `1h30m`), naming `origin` on error.
pub fn parse_duration(origin: &Path, key: &str, value: &str) -> Result<Duration, SuiteError> {
    humantime::parse_duration(value).map_err(|e| SuiteError::Invalid {
        path: origin.to_path_buf(),
        message: format!(
            "`{key} = {value:?}`: {e}; write durations like \"90s\", \"20m\" or \"1h30m\""
        ),
    })
}

/// One comparison layer from the config file at `path`.
pub fn compare_layer(path: &Path, config: &Config) -> CompareLayer {
    CompareLayer {
        origin: path.display().to_string(),
        filters: config.filters.clone(),
        compare: config.compare.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = "timeout = \"20m\"\ntimeot = \"5m\"\n";
        let err = parse::<Config>(Path::new("t/test.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("t/test.toml:2:"), "{err}");
        assert!(err.contains("timeot"), "{err}");
    }

    #[test]
    fn malformed_toml_names_the_line() {
        let err = parse::<Config>(Path::new("ptest.toml"), "jobs = 2\n[compare\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("ptest.toml:2:"), "{err}");
    }

    #[test]
    fn full_test_config_parses() {
        let text = r#"
timeout = "90s"
threads = 2
exclusive = true
retries = 1
image = "qemu-busybox"
[env]
FOO = "bar"
[[filters]]
preset = "host-pointers"
[[filters]]
regex = 'took \d+ms'
replace = "took Nms"
files = "*.txt"
[compare]
mode = "text"
[compare.modes]
"order.txt" = "sorted"
"#;
        let cfg: Config = parse(Path::new("test.toml"), text).unwrap();
        cfg.check_scope(Scope::Test, Path::new("test.toml"), text)
            .unwrap();
        assert_eq!(cfg.threads.map(|t| t.into_inner()), Some(2));
        assert_eq!(cfg.exclusive.map(|t| t.into_inner()), Some(true));
        assert_eq!(cfg.filters.len(), 2);
        assert_eq!(cfg.env["FOO"], "bar");
        assert_eq!(cfg.compare.modes["order.txt"], "sorted");
    }

    #[test]
    fn suite_only_key_in_test_toml_is_an_error_naming_the_line() {
        let text = "retries = 1\njobs = 4\n";
        let cfg: Config = parse(Path::new("t/test.toml"), text).unwrap();
        let err = cfg
            .check_scope(Scope::Test, Path::new("t/test.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("t/test.toml:2:") && err.contains("ptest.toml"),
            "{err}"
        );
    }

    #[test]
    fn bad_duration_names_key_and_fix() {
        let err = parse_duration(Path::new("p.toml"), "timeout", "ten minutes")
            .unwrap_err()
            .to_string();
        assert!(err.contains("p.toml") && err.contains("timeout") && err.contains("20m"));
    }
}
