//! Image downloads: resume, sha256, fallback URLs, atomic rename.

use std::path::Path;

use crate::EngineError;

/// Checks a local image that is used in place.
pub fn verify_present(path: &Path, sha256: Option<&str>, name: &str) -> Result<(), EngineError> {
    if !path.exists() {
        return Err(EngineError::Image(format!(
            "image {name}: {} does not exist",
            path.display()
        )));
    }
    if let Some(want) = sha256 {
        let got = crate::hash::sha256_file(path)?;
        if !got.eq_ignore_ascii_case(want) {
            return Err(EngineError::Image(format!(
                "image {name}: {} has sha256 {got}, expected {want}",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Gets `dest` from the first source that works.
pub fn fetch(
    _sources: &[String],
    _dest: &Path,
    _sha256: Option<&str>,
    _name: &str,
    _interactive: bool,
) -> Result<(), EngineError> {
    Err(EngineError::Unsupported(
        "downloads: not implemented yet".into(),
    ))
}
