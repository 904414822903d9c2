//! The JSON report, ptest's one machine-readable record of a run: per test its name,
//! status, timing, files compared and their diffs. The JSON sink in [`super`] writes it at
//! `RunFinished`; `ptest report merge` reads shards' reports back and `ptest report html`
//! renders one, so it is an owned model that round-trips (serialize, deserialize). The file
//! records are those `state.json` keeps ([`crate::record::FileRecord`]), never converted.
//!
//! Compatibility: fields are only ever added (with `#[serde(default)]`); a change that
//! readers of older reports cannot follow bumps [`FORMAT`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::runner::{RunKind, RunOutcome, Status, TestResult};

/// The report format this ptest writes and reads. 2: a differing file's difference is
/// data (`difference`), its text (`diff`) rendered from it; format 1 reports, whose
/// differences are text only, are named as older.
pub const FORMAT: u32 = 2;

/// One run (or several shards' runs merged) as the JSON report holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// [`FORMAT`]; reports from before it was recorded read as 1.
    #[serde(default = "first_format")]
    pub format: u32,
    pub mode: RunKind,
    /// Wall-clock seconds of the run (of a merge: the longest shard).
    pub duration_secs: f64,
    pub interrupted: bool,
    pub summary: Summary,
    pub tests: Vec<TestReport>,
    /// A shard's partition (`hash:2/4`), from `--partition`; none for a whole run or a merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// A shard's whole selection before partitioning, in config order: what `report merge`
    /// checks the shards add up to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected: Option<Vec<String>>,
    /// The shard ran with `--failed`: it holds only the tests that failed before, so a
    /// merge cannot expect every selected test.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub only_failed: bool,
}

fn first_format() -> u32 {
    1
}

/// Tests per status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub flaky: usize,
    pub failed: usize,
    pub errored: usize,
    pub timed_out: usize,
    pub interrupted: usize,
    pub not_run: usize,
    /// Passes reused by `--changed` (absent from reports written before it existed).
    #[serde(default)]
    pub cached: usize,
}

impl Summary {
    /// Counts of `statuses`.
    pub fn count(statuses: impl IntoIterator<Item = Status>) -> Summary {
        let mut summary = Summary::default();
        for status in statuses {
            summary.total += 1;
            *match status {
                Status::Passed => &mut summary.passed,
                Status::Flaky => &mut summary.flaky,
                Status::Failed => &mut summary.failed,
                Status::Errored => &mut summary.errored,
                Status::TimedOut => &mut summary.timed_out,
                Status::Interrupted => &mut summary.interrupted,
                Status::NotRun => &mut summary.not_run,
                Status::Cached => &mut summary.cached,
            } += 1;
        }
        summary
    }
}

/// One test of the run: its [`TestResult`] as is, and its history. Written with its
/// `message` (the reason in words, for readers of the report), which is not read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "TestReportOut")]
pub struct TestReport {
    #[serde(flatten)]
    pub result: TestResult,
    /// Its duration in this mode as `state.json` held it before this run (the history the
    /// HTML report plots against); `None` when it had never run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_duration_secs: Option<f64>,
}

impl std::ops::Deref for TestReport {
    type Target = TestResult;
    fn deref(&self) -> &TestResult {
        &self.result
    }
}

impl From<TestResult> for TestReport {
    fn from(result: TestResult) -> TestReport {
        TestReport {
            result,
            previous_duration_secs: None,
        }
    }
}

/// [`TestReport`] as written: with its message.
#[derive(Serialize)]
struct TestReportOut {
    #[serde(flatten)]
    result: TestResult,
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_duration_secs: Option<f64>,
}

impl From<TestReport> for TestReportOut {
    fn from(t: TestReport) -> TestReportOut {
        TestReportOut {
            message: t.result.message(),
            result: t.result,
            previous_duration_secs: t.previous_duration_secs,
        }
    }
}

impl From<&TestResult> for TestReport {
    fn from(r: &TestResult) -> TestReport {
        TestReport::from(r.clone())
    }
}

impl From<&RunOutcome> for RunReport {
    fn from(run: &RunOutcome) -> RunReport {
        RunReport {
            format: FORMAT,
            mode: run.kind,
            duration_secs: run.elapsed.as_secs_f64(),
            interrupted: run.interrupted,
            summary: Summary::count(run.results.iter().map(|r| r.status)),
            tests: run.results.iter().map(TestReport::from).collect(),
            partition: None,
            selected: None,
            only_failed: false,
        }
    }
}

impl RunReport {
    /// A report of no test yet, in this ptest's format.
    pub fn empty(mode: RunKind) -> RunReport {
        RunReport {
            format: FORMAT,
            mode,
            duration_secs: 0.0,
            interrupted: false,
            summary: Summary::default(),
            tests: Vec::new(),
            partition: None,
            selected: None,
            only_failed: false,
        }
    }

    /// Fill each test's `previous_duration_secs` from the durations stored before the run.
    pub fn with_previous(mut self, previous: &Previous) -> RunReport {
        for t in &mut self.tests {
            t.previous_duration_secs = previous.get(&t.name).copied();
        }
        self
    }
}

/// The largest JSON report `report merge|html` read: a run of 20,000 tests with cut diffs
/// is a few hundred MiB; beyond this the input is not a report (or `/dev/zero`).
pub const MAX_REPORT_BYTES: u64 = 1 << 30;

/// A report file's bytes: opened without blocking (a FIFO must not hang the command),
/// refused unless it is a regular file, and read to at most [`MAX_REPORT_BYTES`].
fn read_bounded(path: &Path) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let io = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    let kind = meta.file_type();
    let what = match () {
        _ if kind.is_file() => None,
        _ if kind.is_dir() => Some("a folder"),
        _ if kind.is_char_device() => Some("a character device"),
        _ if kind.is_block_device() => Some("a block device"),
        _ if kind.is_fifo() => Some("a FIFO"),
        _ if kind.is_socket() => Some("a socket"),
        _ => Some("not a file"),
    };
    if let Some(what) = what {
        return Err(ReadError::NotRegular {
            path: path.to_path_buf(),
            what,
        });
    }
    let too_large = |size| ReadError::TooLarge {
        path: path.to_path_buf(),
        size,
    };
    if meta.len() > MAX_REPORT_BYTES {
        return Err(too_large(meta.len()));
    }
    // The file may grow while read: never read past the cap.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_REPORT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_REPORT_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Per test, its stored duration before this run (from `state.json`), in seconds.
pub type Previous = std::collections::HashMap<String, f64>;

/// A JSON report that could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{}: not a ptest JSON report ({source}); pass files written by `ptest test --json FILE`",
        path.display()
    )]
    Invalid {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// A device, FIFO, folder …: reading it could block or never end.
    #[error(
        "{}: not a regular file ({what}); pass a JSON report written by `ptest test --json FILE`",
        path.display()
    )]
    NotRegular { path: PathBuf, what: &'static str },
    #[error(
        "{}: larger than the {} a report may be ({size} bytes); pass a JSON report written by `ptest test --json FILE`",
        path.display(), crate::human::size(MAX_REPORT_BYTES)
    )]
    TooLarge { path: PathBuf, size: u64 },
    #[error(
        "{}: report format {found} is newer than this ptest reads ({FORMAT}); use the ptest that wrote it",
        path.display()
    )]
    Newer { path: PathBuf, found: u32 },
    #[error(
        "{}: report format {found} keeps differences as text, this ptest reads them as data (format {FORMAT}); run the tests again with this ptest to write the report anew",
        path.display()
    )]
    Older { path: PathBuf, found: u32 },
}

impl RunReport {
    /// Read a report written by [`write`] (by this ptest, or an older one when it holds no
    /// difference). Only regular files of at most [`MAX_REPORT_BYTES`] are read; a leading
    /// byte order mark (as some editors write) is skipped.
    pub fn read(path: &Path) -> Result<RunReport, ReadError> {
        let bytes = read_bounded(path)?;
        let json = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
        let report: RunReport = serde_json::from_slice(json).map_err(|source| {
            #[derive(Deserialize)]
            struct Format {
                #[serde(default = "first_format")]
                format: u32,
            }
            // An older report parses unless it holds a difference (text then).
            match serde_json::from_slice::<Format>(json) {
                Ok(Format { format }) if format < FORMAT => ReadError::Older {
                    path: path.to_path_buf(),
                    found: format,
                },
                _ => ReadError::Invalid {
                    path: path.to_path_buf(),
                    source,
                },
            }
        })?;
        if report.format > FORMAT {
            return Err(ReadError::Newer {
                path: path.to_path_buf(),
                found: report.format,
            });
        }
        Ok(report)
    }

    /// Write it to `path`, as the JSON sink does.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        super::write_file(path, |out| {
            serde_json::to_writer_pretty(out, self).map_err(std::io::Error::other)
        })
    }
}

/// What a shard's report records about the whole it is part of.
#[derive(Debug, Clone)]
pub struct Shard {
    pub partition: String,
    pub selected: Vec<String>,
    pub only_failed: bool,
}
