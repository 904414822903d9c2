//! [`ImageSpec`]: one guest image as declared in `ptest.toml` or the built-in catalog.
//! Plain data and what follows from it alone (memory, local path, engine); it must not
//! look anything up (that is `catalog`) or fetch anything (that is `images`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engines::Engine;
use crate::values;

/// `builder` of the QEMU image ptest assembles from Debian packages.
pub const QEMU_BUILDER: &str = "debian-busybox";
/// `builder` of the PANDA image ptest assembles (see `panda_image`).
pub const PANDA_BUILDER: &str = "panda-debian-busybox";

/// One guest image, as declared in `ptest.toml` under `[images.NAME]`
/// (the fields of PANDA's generic-image list, `qcows.json`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    /// `panda` or `qemu` (default: [`Engine::DEFAULT`]).
    pub engine: Option<Engine>,
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
    /// Guest memory (`1G`, `256M`, or MiB as a number in a string), checked on load.
    #[serde(default, deserialize_with = "values::memory")]
    pub memory: Option<String>,
    /// PANDA's `-os` string.
    pub os: Option<String>,
    #[serde(default, alias = "extra-args")]
    pub extra_args: Vec<String>,
    /// File name in `qcows/` (default: the last part of the first URL, else `NAME.qcow2`).
    pub file: Option<String>,
    /// `debian-busybox` (QEMU engine) or `panda-debian-busybox` (PANDA): ptest assembles
    /// the image from Debian packages.
    pub builder: Option<String>,
    /// One line for `ptest images`.
    pub description: Option<String>,
    /// Files needed beside the image (kernels, flash), from the same folder as each URL.
    #[serde(default, alias = "extra-files")]
    pub extra_files: Vec<String>,
    /// Expected digests of the image's files by file name: SHA-256, or SHA-1 (PANDA's list).
    #[serde(default)]
    pub hashes: BTreeMap<String, String>,
}

impl ImageSpec {
    /// The engine the image is for: [`Engine::DEFAULT`] unless it says otherwise (PANDA's
    /// own image lists have no engine field).
    pub fn engine(&self) -> Engine {
        self.engine.unwrap_or(Engine::DEFAULT)
    }

    /// `memory` in MiB, when it parses (`1G`, `256M`, `256`).
    pub fn memory_mib(&self) -> Option<u32> {
        let m = self.memory.as_deref()?.trim();
        let (num, mult) = match m.char_indices().last()? {
            (i, 'G' | 'g') => (&m[..i], 1024),
            (i, 'M' | 'm') => (&m[..i], 1),
            _ => (m, 1),
        };
        num.trim().parse::<u32>().ok()?.checked_mul(mult)
    }

    /// Where image `name` lives in the `qcows` folder (for a built image, the folder of
    /// its parts; for the PANDA-built one, its qcow2 in there).
    pub fn local_path(&self, qcows: &Path, name: &str) -> PathBuf {
        if self.builder.as_deref() == Some(PANDA_BUILDER) {
            return qcows.join(name).join(format!("{name}.qcow2"));
        }
        if self.builder.is_some() {
            return qcows.join(name);
        }
        if let Some(p) = &self.path
            && self.urls.is_empty()
        {
            return PathBuf::from(p);
        }
        let file = self.file.clone().unwrap_or_else(|| {
            self.urls
                .first()
                .and_then(|u| u.split(['?', '#']).next()?.rsplit('/').next())
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| format!("{name}.qcow2"))
        });
        qcows.join(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_parses_units() {
        let m = |s: &str| {
            ImageSpec {
                memory: Some(s.into()),
                ..Default::default()
            }
            .memory_mib()
        };
        assert_eq!(m("1G"), Some(1024));
        assert_eq!(m("256M"), Some(256));
        assert_eq!(m("128"), Some(128));
        assert_eq!(m("lots"), None);
        // Too large to represent: no size rather than a wrapped-around one.
        assert_eq!(m("5000000G"), None);
    }

    #[test]
    fn engine_defaults_to_panda_and_refuses_unknown_names() {
        let spec = |e: &str| toml::from_str::<ImageSpec>(e);
        assert_eq!(spec("").unwrap().engine(), Engine::Panda);
        assert_eq!(spec("engine = \"qemu\"").unwrap().engine(), Engine::Qemu);
        let err = spec("engine = \"qmeu\"").unwrap_err();
        assert!(
            err.span() == Some(9..15) && err.message().contains("panda, qemu"),
            "{err}"
        );
    }
}
