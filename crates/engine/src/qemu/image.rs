//! The `debian-busybox` image of the QEMU engine: kernel and busybox from Debian's
//! packages, assembled once per machine into the shared cache
//! (`${PTEST_CACHE:-~/.cache/ptest}/images/debian/PACKAGES/`, as `panda_image` does)
//! and copied into `qcows/NAME/`. Once the cache holds the parts, no network is needed.

use std::path::Path;

use crate::debian::{self, ImageFiles, Packages};
use crate::spec::{ImageSpec, QEMU_BUILDER};
use crate::{Context, EngineError};

const KERNEL_META: &str = "linux-image-cloud-amd64";
const BUSYBOX_PKG: &str = "busybox-static";

/// Builds (or verifies) the QEMU image `name` in `qcows/NAME/`.
pub fn ensure_image(
    ctx: &Context,
    name: &str,
    spec: &ImageSpec,
) -> Result<ImageFiles, EngineError> {
    if spec.builder.as_deref() != Some(QEMU_BUILDER) {
        return Err(EngineError::Image(format!(
            "image {name}: the QEMU engine needs builder = \"{QEMU_BUILDER}\" (got {})",
            spec.builder.as_deref().unwrap_or("none")
        )));
    }
    let dir = spec.local_path(&ctx.qcow_dir(), name);
    // Every replay passes here: hashes of unchanged files are remembered (`stamp`).
    if let Some(files) = debian::cached_hashed(&dir, &|p| crate::stamp::sha256(ctx, p))? {
        return Ok(files);
    }
    let packages = Packages::resolve(KERNEL_META, BUSYBOX_PKG, &*ctx.observer)?;
    let parts_dir = crate::cache::root()?
        .join("images/debian")
        .join(packages.key());
    // Stamped as used, and kept from `ptest cache prune` while copied from.
    let _in_use = crate::cache::use_entry(&parts_dir)?;
    if matches!(debian::cached(&parts_dir), Ok(Some(_))) {
        ctx.observer.note(&format!(
            "image {name}: copying its parts from the cache {} into {}",
            parts_dir.display(),
            dir.display()
        ));
    } else {
        ctx.observer.note(&format!(
            "building image {name} from Debian packages into {}",
            dir.display()
        ));
    }
    let parts = debian::build(&parts_dir, &packages)?;
    copy_parts(&parts.dir, &dir)?;
    let files = debian::cached(&dir)?.ok_or_else(|| {
        EngineError::Image(format!("cannot put the built image into {}", dir.display()))
    })?;
    ctx.observer.note(&format!(
        "image {name} ready ({}, {})",
        files.info.kernel_package, files.info.busybox_package
    ));
    Ok(files)
}

/// Copies the cached parts into `dir` through a temporary folder renamed into place
/// (several recordings may do it at once: the first rename wins).
fn copy_parts(from: &Path, dir: &Path) -> Result<(), EngineError> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let work = parent.join(format!(".{name}.copying-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    copy_tree(from, &work)?;
    if dir.exists() && debian::cached(dir).is_err() {
        let _ = std::fs::remove_dir_all(dir);
    }
    if std::fs::rename(&work, dir).is_err() {
        let _ = std::fs::remove_dir_all(&work);
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), EngineError> {
    std::fs::create_dir_all(to).map_err(EngineError::io(to))?;
    for e in std::fs::read_dir(from).map_err(EngineError::io(from))? {
        let e = e.map_err(EngineError::io(from))?;
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &dest)?;
        } else {
            // std's copy uses copy_file_range, which reflinks where the filesystem can.
            std::fs::copy(e.path(), &dest).map_err(EngineError::io(e.path()))?;
        }
    }
    Ok(())
}
