//! The one error type of the engine. Each variant is a kind a caller or an exit code
//! depends on; every message is one line (plus an indented log tail where useful) saying
//! what failed, where, and how to fix it. Mapping kinds to exit codes is the binary's job.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Bad arguments or configuration.
    #[error("{0}")]
    Usage(String),
    /// An engine name that is not one of [`crate::Engine`]'s.
    #[error("{what} = {name:?} is not an engine ptest knows; use one of {known}")]
    UnknownEngine {
        /// Where the name was given (`[images.NAME] engine`, a recording's metadata).
        what: String,
        name: String,
        known: String,
    },
    /// An image name that is neither the suite's nor built in.
    #[error("unknown image {name:?}; known images: {} (declare others under [images.{name}] in ptest.toml)", known.join(", "))]
    ImageNotFound { name: String, known: Vec<String> },
    /// An image that cannot be built, downloaded or verified.
    #[error("{0}")]
    Image(String),
    /// The emulator binary is not there or cannot be run; `message` says how to fix it.
    #[error("{message}")]
    EmulatorNotFound { program: String, message: String },
    /// The emulator failed while recording or building an image.
    #[error("{0}")]
    Emulator(String),
    /// A recording that is missing or no longer matches what would replay it.
    #[error("{0}")]
    Mismatch(String),
    /// Killed after a time limit (`record-timeout`).
    #[error("{what} did not finish within {setting} ({}); {emulator} was killed ({logs})", humantime::format_duration(*limit))]
    TimedOut {
        what: String,
        setting: &'static str,
        limit: Duration,
        emulator: &'static str,
        logs: String,
    },
    /// A replay whose progress stopped; it was killed.
    #[error("replay {name} stalled {} (no progress for {}); {emulator} was killed ({logs})", stall_position(*at, *total), humantime::format_duration(*quiet))]
    Stalled {
        name: String,
        /// The last instruction the emulator reported, if it reported one.
        at: Option<u64>,
        /// The recording's instruction count.
        total: u64,
        quiet: Duration,
        emulator: &'static str,
        logs: String,
    },
    /// A signal stopped ptest; the emulators it had started were killed.
    #[error("stopped by signal {signal}; the emulator was killed")]
    Interrupted { signal: i32 },
    /// A replay that failed or did not reach the recording's end.
    #[error("{message}")]
    Replay { name: String, message: String },
}

/// `at instruction N of TOTAL`, or why no position is known (only QEMU's monitor can
/// answer no position).
fn stall_position(at: Option<u64>, total: u64) -> String {
    match at {
        Some(n) => format!("at instruction {n} of {total}"),
        None => {
            "before this QEMU reported any position (its monitor answered no `info replay`)".into()
        }
    }
}

impl EngineError {
    /// `map_err` helper for I/O on `path`.
    pub fn io(path: impl AsRef<std::path::Path>) -> impl FnOnce(std::io::Error) -> EngineError {
        let path = path.as_ref().display().to_string();
        move |source| EngineError::Io { path, source }
    }
}
