//! What the engine knows about the suite, the current test and its caller: [`Context`]
//! and the `[engine]` settings. Plain data; it must not do I/O.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::EngineError;
use crate::observe::Observed;
use crate::process::Cancel;
use crate::spec::ImageSpec;
use crate::values;

/// What ptest knows about the suite and, when called from inside a test script, the test.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The regression directory (`qcows/`, `replays/NAME/`, `tmpout/NAME/`, `logs/NAME/` …).
    pub regression_dir: PathBuf,
    /// Images declared in the suite's `ptest.toml` (`[images.NAME]`), on top of the built-in catalog.
    pub images: BTreeMap<String, ImageSpec>,
    /// The folder holding `config.testing`, when there is a suite (PANDA's build is
    /// looked for relative to it, see `panda_build::build_dir`).
    pub suite_dir: Option<PathBuf>,
    /// The suite's default image (`image = "…"` in `ptest.toml`).
    pub default_image: Option<String>,
    /// Images the suite names, each mapped to the image recorded on in its stead
    /// (`[image-map]` in `ptest.toml`, `--image-map ORIGINAL=OURS`; see `panda::stand_in`).
    pub image_map: BTreeMap<String, String>,
    /// The current test (`PTEST_TEST`), when run from a test script.
    pub test: Option<String>,
    /// `[engine]` settings, suite's merged with the test's.
    pub settings: EngineSettings,
    /// Where progress and notes go (nowhere by default).
    pub observer: Observed,
    /// Cancellation and the kill list of the emulators this context starts (no signal
    /// handler by default; the binary passes one that listens).
    pub cancel: Cancel,
}

impl Context {
    pub fn qcow_dir(&self) -> PathBuf {
        self.regression_dir.join("qcows")
    }

    /// `DIR/TEST` for the current test; recording and replaying only make sense inside one.
    pub fn test_dir(&self, dir: &str) -> Result<PathBuf, EngineError> {
        match &self.test {
            Some(t) => Ok(self.regression_dir.join(dir).join(t)),
            None => Err(EngineError::Usage(
                "no current test: run this from a test script (ptest sets PTEST_TEST) or set PTEST_TEST=NAME".into(),
            )),
        }
    }
}

/// `[engine]` table of `ptest.toml` (suite) and `test.toml` (per test), its values
/// checked as they are read (see [`crate::values`]).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EngineSettings {
    /// Kill a replay whose progress has not advanced for this long (`60s`, `5m`). Default 30s.
    #[serde(default, deserialize_with = "values::duration")]
    pub stall_timeout: Option<Duration>,
    /// Kill a recording whose guest command has not finished after this long. Default 5m.
    #[serde(default, deserialize_with = "values::duration")]
    pub record_timeout: Option<Duration>,
    /// How long to wait for a PANDA guest's prompt. Default 2m.
    #[serde(default, deserialize_with = "values::duration")]
    pub prompt_timeout: Option<Duration>,
    /// QEMU's `-icount shift=N` (instructions run at 2^N ns each). Default 5.
    #[serde(default, deserialize_with = "values::icount_shift")]
    pub shift: Option<u32>,
    /// Guest memory in MiB, overriding the image's. Default 256 for the QEMU image.
    #[serde(default, deserialize_with = "values::memory_mib")]
    pub memory: Option<u32>,
    /// The QEMU binary (default `qemu-system-ARCH` on `PATH`).
    pub qemu: Option<String>,
    /// Hash the recording, kernel and initramfs and ask the emulator its version on every
    /// replay, instead of trusting an unchanged file identity (see `stamp`). Default false.
    pub verify: Option<bool>,
}

impl EngineSettings {
    /// `over`'s values where set, else `self`'s: the test's settings over the suite's.
    pub fn merged(&self, over: &EngineSettings) -> EngineSettings {
        EngineSettings {
            stall_timeout: over.stall_timeout.or(self.stall_timeout),
            record_timeout: over.record_timeout.or(self.record_timeout),
            prompt_timeout: over.prompt_timeout.or(self.prompt_timeout),
            shift: over.shift.or(self.shift),
            memory: over.memory.or(self.memory),
            qemu: over.qemu.clone().or_else(|| self.qemu.clone()),
            verify: over.verify.or(self.verify),
        }
    }

    pub fn stall_timeout(&self) -> Duration {
        self.stall_timeout.unwrap_or(Duration::from_secs(30))
    }

    pub fn record_timeout(&self) -> Duration {
        self.record_timeout.unwrap_or(Duration::from_secs(300))
    }

    pub fn prompt_timeout(&self) -> Duration {
        self.prompt_timeout.unwrap_or(Duration::from_secs(120))
    }
}
