//! The PANDA driver.

use std::path::PathBuf;

use crate::images::ImageSpec;
use crate::qemu::ReplayRequest;
use crate::{Context, EngineError};

pub fn record(
    _ctx: &Context,
    image: &str,
    _spec: &ImageSpec,
    _arch: Option<&str>,
    _name: &str,
    _copies: &[PathBuf],
    _command: &[String],
) -> Result<i32, EngineError> {
    Err(EngineError::Unsupported(format!(
        "image {image}: PANDA recording is not implemented yet"
    )))
}

/// Whether `name` is a PANDA recording (`NAME-rr-nondet.log`) of the current test.
pub fn is_panda_replay(ctx: &Context, name: &str) -> bool {
    let file = format!("{name}-rr-nondet.log");
    if name.contains('/') {
        return std::path::Path::new(&file).exists();
    }
    ctx.test_dir("replays").is_ok_and(|d| d.join(file).exists())
}

pub fn replay(_ctx: &Context, _req: &ReplayRequest) -> Result<i32, EngineError> {
    Err(EngineError::Unsupported(
        "PANDA replay is not implemented yet".into(),
    ))
}
