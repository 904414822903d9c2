//! The image catalog and image downloads.

use serde::Deserialize;

use crate::{Context, EngineError};

/// One guest image, as declared in `ptest.toml` under `[images.NAME]`
/// (the fields of PANDA's generic-image list, `qcows.json`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    /// `panda` or `qemu`.
    pub engine: Option<String>,
    pub arch: Option<String>,
    /// Source URLs, tried in order (`http(s)://`, `file://`).
    #[serde(default)]
    pub urls: Vec<String>,
    /// A local file instead of a download.
    pub path: Option<String>,
    pub sha256: Option<String>,
    /// Regex matching the guest's shell prompt.
    pub prompt: Option<String>,
    pub snapshot: Option<String>,
    pub cdrom: Option<String>,
    pub memory: Option<String>,
    /// PANDA's `-os` string.
    pub os: Option<String>,
    #[serde(default)]
    pub extra_args: Vec<String>,
}

/// Download (or verify) the named images into `qcows/`.
pub fn fetch(_ctx: &Context, _names: &[String]) -> Result<(), EngineError> {
    Ok(())
}
