//! `ptest replays`.

use crate::{Context, EngineError};

pub fn list(_ctx: &Context, _test: Option<&str>) -> Result<i32, EngineError> {
    Err(EngineError::Unsupported(
        "ptest replays: not implemented yet".into(),
    ))
}
