//! The durations file (`ptest durations export|import`, and `ptest-durations.json` beside
//! `config.testing`): per-test seconds per mode, kept in the suite's repository so that
//! `--partition duration:K/N` deals the same shards on fresh machines. It owns the file's
//! format (versioned JSON, sorted keys, one value per line so it diffs well in git) and
//! its errors. It must not know about `state.json` or run anything: commands merge.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file `--partition duration:K/N` reads, beside `config.testing`, when it exists.
pub const SUITE_FILE: &str = "ptest-durations.json";
/// 1: `{"format": 1, "tests": {NAME: {MODE: SECONDS}}}`.
pub const FORMAT: u32 = 1;
/// The modes a duration may be stored for.
pub const MODES: [&str; 3] = ["setup", "bless", "test"];
/// The longest duration a file may give, in seconds (a year): beyond it a value is not a
/// measurement (`1e308` is finite, but shards' sums would overflow to infinity).
pub const MAX_SECS: f64 = 365.0 * 24.0 * 3600.0;

#[derive(Debug, thiserror::Error)]
pub enum DurationsError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{}:{line}:{column}: not a ptest durations file ({reason}); write one with `ptest durations export FILE`",
        path.display()
    )]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        reason: String,
    },
    #[error(
        "{}: durations format {found}, this ptest reads {FORMAT}; export it again with this ptest (`ptest durations export FILE`)",
        path.display()
    )]
    Format { path: PathBuf, found: u32 },
    #[error(
        "{}: test {test:?}, mode {mode:?}: {reason}; fix the value or export the file again with `ptest durations export FILE`",
        path.display()
    )]
    Value {
        path: PathBuf,
        test: String,
        mode: String,
        reason: String,
    },
}

/// Seconds per test per mode. `BTreeMap`s keep the file sorted, so exports diff well.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Durations {
    pub format: u32,
    #[serde(default)]
    pub tests: BTreeMap<String, BTreeMap<String, f64>>,
}

impl Durations {
    pub fn new() -> Durations {
        Durations {
            format: FORMAT,
            tests: BTreeMap::new(),
        }
    }

    pub fn get(&self, test: &str, mode: &str) -> Option<f64> {
        self.tests.get(test)?.get(mode).copied()
    }

    /// Store `secs`, rounded to 10 ms: finer digits are noise that would make every
    /// export a diff.
    pub fn set(&mut self, test: &str, mode: &str, secs: f64) {
        let rounded = (secs * 100.0).round() / 100.0;
        self.tests
            .entry(test.to_string())
            .or_default()
            .insert(mode.to_string(), rounded);
    }

    pub fn len(&self) -> usize {
        self.tests.values().map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Read and check a durations file. Errors name the file, and the line and column
    /// for syntax, or the test and mode for a bad value.
    pub fn read(path: &Path) -> Result<Durations, DurationsError> {
        let text = std::fs::read_to_string(path).map_err(|source| DurationsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let parse_error = |e: serde_json::Error| DurationsError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            reason: flatten_reason(&e),
        };
        // The format first: a newer file's layout may not parse as this one.
        #[derive(Deserialize)]
        struct Versioned {
            format: u32,
        }
        let found = serde_json::from_str::<Versioned>(&text)
            .map_err(parse_error)?
            .format;
        if found != FORMAT {
            return Err(DurationsError::Format {
                path: path.to_path_buf(),
                found,
            });
        }
        let durations: Durations = serde_json::from_str(&text).map_err(parse_error)?;
        for (test, modes) in &durations.tests {
            for (mode, secs) in modes {
                let reason = if !MODES.contains(&mode.as_str()) {
                    Some(format!("unknown mode; modes are {}", MODES.join(", ")))
                } else if !secs.is_finite() || *secs < 0.0 {
                    Some(format!("{secs} is not a duration in seconds (>= 0)"))
                } else if *secs > MAX_SECS {
                    Some(format!(
                        "{secs} seconds is more than a year ({MAX_SECS} s), not a measured duration; export durations again with `ptest durations export FILE`"
                    ))
                } else {
                    None
                };
                if let Some(reason) = reason {
                    return Err(DurationsError::Value {
                        path: path.to_path_buf(),
                        test: test.clone(),
                        mode: mode.clone(),
                        reason,
                    });
                }
            }
        }
        Ok(durations)
    }

    /// Read `path` if it exists (`None` if not).
    pub fn read_if_present(path: &Path) -> Result<Option<Durations>, DurationsError> {
        match Durations::read(path) {
            Err(DurationsError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Ok(None)
            }
            other => other.map(Some),
        }
    }

    /// Write atomically (temp file beside it, then rename): a reader never sees half a file.
    pub fn write(&self, path: &Path) -> Result<(), DurationsError> {
        let io = |source| DurationsError::Io {
            path: path.to_path_buf(),
            source,
        };
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let mut text = serde_json::to_string_pretty(self)
            .map_err(std::io::Error::other)
            .map_err(io)?;
        text.push('\n');
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        tmp.write_all(text.as_bytes()).map_err(io)?;
        tmp.flush().map_err(io)?;
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

/// serde_json's message without its own " at line L column C" (the error names them).
fn flatten_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_sorted_and_rounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.json");
        let mut d = Durations::new();
        d.set("b", "test", 1.23456);
        d.set("a", "setup", 10.0);
        d.write(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.find("\"a\"").unwrap() < text.find("\"b\"").unwrap());
        let back = Durations::read(&path).unwrap();
        assert_eq!(back.get("b", "test"), Some(1.23));
        assert_eq!(back.len(), 2);
    }

    #[test]
    fn bad_values_name_test_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.json");
        std::fs::write(&path, r#"{"format":1,"tests":{"a":{"replay":1}}}"#).unwrap();
        let e = Durations::read(&path).unwrap_err().to_string();
        assert!(
            e.contains("test \"a\", mode \"replay\": unknown mode"),
            "{e}"
        );
        std::fs::write(&path, r#"{"format":1,"tests":{"a":{"test":-1}}}"#).unwrap();
        let e = Durations::read(&path).unwrap_err().to_string();
        assert!(e.contains("-1 is not a duration"), "{e}");
    }
}
