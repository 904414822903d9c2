//! Guest images (catalog, download, verification) and the record/replay drivers for
//! PANDA and upstream QEMU.
//!
//! The `ptest` binary uses exactly this surface:
//! - [`images::ImageSpec`] is deserialized from `ptest.toml`'s `[images.NAME]` tables;
//! - [`cli::EngineCommand`] + [`cli::run`] for `ptest record|replay|images|replays`;
//! - [`images::fetch`] from `ptest init`.

use std::collections::BTreeMap;
use std::path::PathBuf;

pub mod cli;
pub mod images;

/// What ptest knows about the suite and, when called from inside a test script, the test.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The regression directory (`qcows/`, `replays/NAME/`, `tmpout/NAME/`, `logs/NAME/` …).
    pub regression_dir: PathBuf,
    /// Images declared in the suite's `ptest.toml` (`[images.NAME]`), on top of the built-in catalog.
    pub images: BTreeMap<String, images::ImageSpec>,
    /// The suite's default image (`image = "…"` in `ptest.toml`).
    pub default_image: Option<String>,
    /// The current test (`PTEST_TEST`), when run from a test script.
    pub test: Option<String>,
    /// `[engine]` settings, suite's merged with the test's.
    pub settings: EngineSettings,
    /// Whether output may use colour and progress bars.
    pub interactive: bool,
}

/// `[engine]` table of `ptest.toml` (suite) and `test.toml` (per test).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EngineSettings {
    /// Kill a replay whose progress has not advanced for this long (`60s`, `5m`).
    pub stall_timeout: Option<String>,
}

impl EngineSettings {
    /// `over`'s values where set, else `self`'s: the test's settings over the suite's.
    pub fn merged(&self, over: &EngineSettings) -> EngineSettings {
        EngineSettings {
            stall_timeout: over.stall_timeout.clone().or_else(|| self.stall_timeout.clone()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Unsupported(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}
