//! Guest images (catalog, download, build, verification) and the record/replay drivers
//! for PANDA and upstream QEMU. The engine prints nothing and parses no command line:
//! it returns values and [`EngineError`]s, and reports progress through the
//! [`Observer`] in [`Context::observer`]; the `ptest` binary owns clap, printing and
//! exit codes.
//!
//! The surface the `ptest` binary uses:
//! - [`Context`], [`EngineSettings`] (`[engine]` tables) and [`ImageSpec`] (`[images.NAME]`
//!   tables), whose values (durations, memory, shift, [`Engine`] names) are checked as
//!   they are deserialized, by [`values`];
//! - [`record`] / [`replay`] with [`RecordRequest`] / [`ReplayRequest`]: the one dispatch
//!   to an [`Engine`]'s driver (record by the image's engine, replay by the recording's
//!   metadata);
//! - [`images::fetch`] (`ptest images fetch`, `ptest init`), [`catalog::list`] (`ptest
//!   images`), [`recordings`] (`ptest replays`);
//! - [`Observer`] and friends (an [`Observer::notice`] is what the binary also passes to
//!   the runner, through its own notice socket), [`process::tail`];
//! - [`usage`]: what an emulator run used (binary, mapped files, recording, files on its
//!   command line), written into the test's log folder for `ptest test --changed`;
//!   [`stamp::Stamps`], the remembered hashes it and the runner share;
//! - [`process`]: the one process supervisor ([`process::Group`]: own process group,
//!   kill list, SIGTERM, [`process::GRACE`], SIGKILL, reap) and its cancellation value
//!   ([`process::Cancel`], [`process::SignalHandlerKind`]), used by the runner's test
//!   scripts and the drivers' emulators alike. The engine registers no signal handler of
//!   its own and never exits the process: a signal kills the emulators on the kill list
//!   of the [`Context::cancel`] it was given, and [`record`]/[`replay`] then return
//!   [`EngineError::Interrupted`].

//!
//! [`parts`] holds the pieces the crate's own integration tests drive directly (the
//! console dialogue against a real QEMU, downloads against a loopback server, the
//! `panda-busybox` build); nothing else should need them.
//!
//! Module layering, each using only those listed before it (no cycles): leaves
//! (`error`, `observe`, `engines`, `values`, `quote`, `hash`, `cancel`, `process`, `expect`, …) → `spec` →
//! `context` → `stamp`, `usage`, `catalog`, `metadata`, `recording`, `request`, `driver` (the interface) →
//! `qemu`, `panda_build`, `dialogue`, `panda_image` → `images` → `panda` → `dispatch`.

mod busybox;
mod cache;
pub mod cache_entries;
mod cancel;
pub mod catalog;
mod context;
mod debian;
mod dialogue;
mod dispatch;
mod download;
mod driver;
mod engines;
mod error;
mod expect;
mod hash;
mod hmp;
pub mod images;
mod initramfs;
mod iso;
mod marker;
mod metadata;
pub mod observe;
mod panda;
mod panda_build;
mod panda_image;
pub mod process;
mod qemu;
mod qmp;
mod quote;
mod recording;
mod request;
mod spec;
pub mod stamp;
pub mod usage;
pub mod values;

pub use context::{Context, EngineSettings};
pub use dispatch::{record, recordings, replay};
pub use driver::{Emulator, Recording};
pub use engines::Engine;
pub use error::EngineError;
pub use observe::{Bar, Counting, Observed, Observer, Silent, Stream};
pub use request::{RecordRequest, ReplayRequest};
pub use spec::ImageSpec;

/// What ptest types after PANDA's `end_record` to learn the guest command's exit status.
pub use panda::EXIT_QUERY;

/// Internals the crate's integration tests drive directly; not for the binary.
pub mod parts {
    pub use crate::busybox::shell_initramfs;
    pub use crate::dialogue::converse;
    pub use crate::download::{Expected, fetch};
    pub use crate::expect::{Session, Step, run_steps};
    pub use crate::hash::sha256_bytes;
    pub use crate::iso::build as build_iso;
    pub use crate::panda::record_steps;
    pub use crate::panda_image::{KCONF_GROUP, NAME as PANDA_BUSYBOX, OS, PROMPT, SNAPSHOT};
    pub use crate::process::Group;
    pub use crate::qemu::ensure_image as ensure_qemu_image;
}
