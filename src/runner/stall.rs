//! How far a replay inside a test's script got before it stalled: `ptest replay` writes
//! it, the runner reads it into the test's result.

use serde::{Deserialize, Serialize};

/// A replay that stalled inside a test's script: `ptest replay` writes it to
/// [`ReplayStall::FILE`] in the test's log folder (it knows the position, the runner only
/// sees the script's exit), the runner reads it when the script ends, and the reports show
/// how far the replay got from these numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayStall {
    pub replay: String,
    /// The last instruction the emulator reported, if any.
    pub at: Option<u64>,
    /// The recording's instruction count.
    pub total: u64,
    /// How long it made no progress before it was killed.
    pub quiet_secs: u64,
}

impl ReplayStall {
    pub const FILE: &str = "replay-stall.json";

    /// Writes it beside the test's logs; best effort, as a log line is.
    pub fn record(&self, log_dir: &std::path::Path) {
        if let Ok(json) = serde_json::to_vec(self) {
            let _ = std::fs::write(log_dir.join(Self::FILE), json);
        }
    }

    /// Takes what a replay of this attempt recorded (and removes it, so the next
    /// attempt starts without it).
    pub fn take(log_dir: &std::path::Path) -> Option<ReplayStall> {
        let path = log_dir.join(Self::FILE);
        let bytes = std::fs::read(&path).ok()?;
        let _ = std::fs::remove_file(&path);
        serde_json::from_slice(&bytes).ok()
    }
}
