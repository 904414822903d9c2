//! The image catalog and image downloads.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::download::Expected;
use crate::{Context, EngineError, catalog, debian, download, panda_image};

/// One guest image, as declared in `ptest.toml` under `[images.NAME]`
/// (the fields of PANDA's generic-image list, `qcows.json`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    /// `panda` or `qemu`.
    pub engine: Option<String>,
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
    /// Guest memory (`1G`, `256M`, or MiB as a number in a string).
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

    /// Where the image lives in `qcows/` (for `debian-busybox`, the folder of its parts).
    pub fn local_path(&self, ctx: &Context, name: &str) -> PathBuf {
        if self.builder.as_deref() == Some(panda_image::BUILDER) {
            return panda_image::qcow_path(&ctx.qcow_dir(), name);
        }
        if self.builder.is_some() {
            return ctx.qcow_dir().join(name);
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
        ctx.qcow_dir().join(file)
    }
}

/// The engines an image may name.
pub const ENGINES: &[&str] = &["panda", "qemu"];

/// The suite's `[images.NAME]` if declared, else the built-in catalog's.
pub fn resolve(ctx: &Context, name: &str) -> Result<ImageSpec, EngineError> {
    if let Some(spec) = ctx.images.get(name) {
        // An unknown engine must not silently mean PANDA.
        if let Some(engine) = spec.engine.as_deref().filter(|e| !ENGINES.contains(e)) {
            return Err(EngineError::Usage(format!(
                "[images.{name}] engine = {engine:?} is not an engine ptest knows; use one of {}",
                ENGINES.join(", ")
            )));
        }
        return Ok(spec.clone());
    }
    catalog::builtin(name).ok_or_else(|| {
        let mut known: Vec<String> = ctx.images.keys().cloned().collect();
        known.extend(catalog::names().into_iter().map(str::to_string));
        EngineError::Image(format!(
            "unknown image {name:?}; known images: {} (declare others under [images.{name}] in ptest.toml)",
            known.join(", ")
        ))
    })
}

/// Builds (or verifies the cache of) a QEMU image that ptest assembles itself.
pub fn ensure_qemu_image(
    ctx: &Context,
    name: &str,
    spec: &ImageSpec,
) -> Result<debian::ImageFiles, EngineError> {
    match spec.builder.as_deref() {
        Some("debian-busybox") => {
            let dir = spec.local_path(ctx, name);
            if let Some(files) = debian::cached(&dir)? {
                return Ok(files);
            }
            eprintln!(
                "ptest: building image {name} from Debian packages into {}",
                dir.display()
            );
            let packages = debian::Packages::resolve("linux-image-cloud-amd64", "busybox-static")?;
            let files = debian::build(&dir, &packages)?;
            eprintln!(
                "ptest: image {name} ready ({}, {})",
                files.info.kernel_package, files.info.busybox_package
            );
            Ok(files)
        }
        other => Err(EngineError::Image(format!(
            "image {name}: the QEMU engine needs builder = \"debian-busybox\" (got {})",
            other.unwrap_or("none")
        ))),
    }
}

/// Download (or verify) the named images into `qcows/`.
pub fn fetch(ctx: &Context, names: &[String]) -> Result<(), EngineError> {
    for name in names {
        let spec = resolve(ctx, name)?;
        if spec.builder.as_deref() == Some(panda_image::BUILDER) {
            let dir = panda_image::ensure(ctx, name)?;
            eprintln!(
                "ptest: image {name}: {} present and verified",
                dir.display()
            );
            continue;
        }
        if spec.builder.is_some() {
            let files = ensure_qemu_image(ctx, name, &spec)?;
            eprintln!(
                "ptest: image {name}: {} present and verified",
                files.dir.display()
            );
            continue;
        }
        let dest = spec.local_path(ctx, name);
        let file = dest
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let expected = |file: &str, main: bool| -> Result<Option<Expected>, EngineError> {
            let url_file = spec
                .urls
                .first()
                .and_then(|u| u.split(['?', '#']).next()?.rsplit('/').next());
            let hex = match main {
                true => spec
                    .hashes
                    .get(file)
                    .or_else(|| spec.hashes.get(url_file?))
                    .or(spec.sha256.as_ref()),
                false => spec.hashes.get(file),
            };
            hex.map(|h| {
                Expected::parse(h).ok_or_else(|| {
                    EngineError::Image(format!(
                        "image {name}: {h:?} is neither a sha256 nor a sha1 digest"
                    ))
                })
            })
            .transpose()
        };
        if spec.urls.is_empty() {
            let Some(p) = &spec.path else {
                return Err(EngineError::Image(format!(
                    "image {name}: no urls and no path to get it from; add one under [images.{name}]"
                )));
            };
            // A local image used in place: only verify it.
            download::verify_present(
                std::path::Path::new(p),
                expected(&file, true)?.as_ref(),
                name,
            )?;
            continue;
        }
        let mut sources = spec.urls.clone();
        if let Some(p) = &spec.path {
            sources.insert(0, p.clone());
        }
        download::fetch(
            &sources,
            &dest,
            expected(&file, true)?.as_ref(),
            name,
            ctx.interactive,
        )?;
        for extra in &spec.extra_files {
            let sources: Vec<String> = spec
                .urls
                .iter()
                .map(|u| {
                    format!(
                        "{}/{extra}",
                        u.rsplit_once('/').map(|(d, _)| d).unwrap_or(u)
                    )
                })
                .collect();
            let dest = ctx.qcow_dir().join(extra);
            download::fetch(
                &sources,
                &dest,
                expected(extra, false)?.as_ref(),
                name,
                ctx.interactive,
            )?;
        }
    }
    Ok(())
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
    fn an_unknown_engine_is_refused_not_taken_for_panda() {
        let mut ctx = Context::default();
        ctx.images.insert(
            "x".into(),
            ImageSpec {
                engine: Some("qmeu".into()),
                ..Default::default()
            },
        );
        let err = resolve(&ctx, "x").unwrap_err().to_string();
        assert!(
            err.contains("engine = \"qmeu\"") && err.contains("panda, qemu"),
            "{err}"
        );
    }

    #[test]
    fn unknown_image_lists_known_ones() {
        let err = resolve(&Context::default(), "nope")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown image \"nope\""), "{err}");
        assert!(err.contains("qemu-busybox"), "{err}");
    }
}
