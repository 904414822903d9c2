//! The helpers every test of the workspace shares (a dev-dependency of each crate): one
//! copy instead of one per test folder.
//!
//! - [`suite`]: [`TestSuite`], a throwaway suite and regression directory, and the real
//!   `ptest` binary run on it; [`run`]: [`Run`], what a finished `ptest` is asserted on;
//! - [`process`]: markers, pids, signals, a `ptest` in the background; every wait has a
//!   deadline only a hang reaches (tests assert on events and states, not wall time);
//! - [`engine`]: suites for `ptest record|replay`, the seeded `qemu-busybox` image,
//!   emulator survivors; [`panda`]: where PANDA's source is; [`said`]: which of PANDA's
//!   own tests wrote FAIL into their output, and where their logs are;
//! - [`plog`]: pandalogs written, dumped and read by PANDA's Python reader.
//!
//! The top-level `tests/common/mod.rs` re-exports it all (`mod common;` in each test file)
//! and names the binary under test as Cargo builds it for integration tests (`PTEST`).

pub mod engine;
pub mod panda;
pub mod plog;
pub mod process;
pub mod run;
pub mod said;
pub mod suite;

use std::path::{Path, PathBuf};

pub use process::*;
pub use run::*;
pub use suite::*;

/// The `ptest` binary of this build (`target/…/ptest`, beside the test's own binary).
pub fn ptest_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("ptest")
}

/// The workspace's root folder (examples, scripts and test data are found from it).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// Cargo's `target/tmp` (what `CARGO_TARGET_TMPDIR` names to integration tests, which
/// this crate is not): test binaries run from `target/PROFILE/deps/`.
pub fn target_tmp() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(|target| target.join("tmp")))
        .unwrap_or_else(std::env::temp_dir)
}
