//! The marker lines a QEMU guest's `/init` prints around the recorded command, and
//! reading the command's exit status back from a console transcript.

use std::path::Path;

/// Printed by `/init` around the command; unlikely to occur in a command's own output.
pub const BEGIN_MARKER: &str = "PTEST-BEGIN-7f3a";
pub const END_MARKER: &str = "PTEST-END-7f3a";

/// The guest command's exit status if the console shows the end marker.
pub fn end_marker(console: &Path) -> Option<i32> {
    let text = std::fs::read(console).ok()?;
    let text = String::from_utf8_lossy(&text);
    let at = text.rfind(&format!("{END_MARKER} rc="))?;
    let rest = &text[at + END_MARKER.len() + 4..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}
