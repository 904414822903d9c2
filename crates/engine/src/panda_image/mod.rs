//! `panda-busybox` and `panda-busybox-i386`: PANDA guests that ptest assembles from Debian
//! packages, for machines that cannot download PANDA's qcows; what differs between them
//! is one [`Guest`] value. Debian's kernel boots the busybox shell initramfs (the QEMU
//! image's parts, [`crate::busybox::guest_initramfs`]) with the CD-ROM modules and the
//! guest's Debian programs; PANDA boots it once and `savevm root` at the prompt into a
//! blank qcow2 made by that PANDA's `qemu-img`. `kernelinfo.conf`, the `osi_linux`
//! profile, comes from the kernel's `-dbg` package through PANDA's gdb script.
//!
//! CI starts from a fresh clone, so the costly parts live in a per-machine cache,
//! `${PTEST_CACHE:-${XDG_CACHE_HOME:-~/.cache}/ptest}/images/`, keyed by their inputs:
//! `debian/PACKAGES/` (kernel, busybox, modules), `debian/userland-KEY/` (the guest's
//! programs), `GUEST/KEY/` (kernel, initramfs, snapshot qcow2; KEY hashes the kernel, the
//! initramfs and the PANDA binary) and `kernelinfo/KERNEL_VERSION/`. Each is built in a temporary folder renamed into place,
//! under one lock, and copied into `qcows/NAME/` (copies: recordings write the qcow2).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::cache::{
    atomically, lock, read_json, same_hash, stamp_path, touch, use_entry, write_json,
};
use crate::debian::{self, Packages};
use crate::hash::{sha256_bytes, sha256_file};
use crate::{Context, EngineError};

pub use crate::catalog::panda_busybox::{
    APPEND, Guest, KCONF_GROUP, MEMORY_MIB, NAME, OS, PROMPT, PS1, SNAPSHOT,
};
use crate::catalog::panda_busybox::{GUESTS, X86_64, guest};

mod kernelinfo;
mod snapshot;

#[cfg(test)]
use kernelinfo::profile_problem;

const QCOW_SIZE: &str = "64M";
const BUSYBOX_PKG: &str = "busybox-static";
/// Part of the snapshot's cache key (with the guest's name): bump when the boot line or
/// dialogue changes.
const RECIPE: &str = "panda-busybox 1";

/// What a snapshot cache entry holds (`snapshot.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Snapshot {
    pub kernel_package: String,
    pub busybox_package: String,
    pub modules: Vec<String>,
    pub kernel_sha256: String,
    pub initrd_sha256: String,
    /// The qcow2 as built; the copy in `qcows/` changes when recordings write to it.
    pub qcow2_sha256: String,
    /// The PANDA (`panda-system-ARCH` and `libpanda-ARCH.so`) that took the snapshot.
    pub panda_sha256: String,
}

/// `qcows/NAME/image.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PandaImage {
    #[serde(flatten)]
    pub snapshot: Snapshot,
    pub os: String,
    pub kernelinfo_group: String,
    pub kernelinfo_sha256: String,
}

/// A PANDA build: the binary, its build folder and the source checkout above it.
pub(crate) struct Panda {
    bin: PathBuf,
    qemu_img: PathBuf,
    source: PathBuf,
    sha256: String,
    /// The context's: the snapshot's PANDA is on its kill list.
    cancel: crate::process::Cancel,
}

impl Panda {
    fn find(ctx: &Context, name: &str, arch: &str) -> Result<Panda, EngineError> {
        let how = "run scripts/build-panda and export PANDA_BUILD=$(scripts/build-panda)";
        let build = crate::panda_build::build_dir(ctx);
        let bin = crate::panda_build::binary(arch, build.as_deref()).map_err(|e| {
            EngineError::Image(format!(
                "image {name}: building it needs PANDA: {how} ({e})"
            ))
        })?;
        let build = bin
            .parent()
            .and_then(Path::parent)
            .unwrap_or(Path::new("/"))
            .to_path_buf();
        let qemu_img = build.join("qemu-img");
        if !qemu_img.exists() {
            return Err(EngineError::Image(format!(
                "image {name}: {} is not in a PANDA build folder (no {}); {how}",
                bin.display(),
                qemu_img.display()
            )));
        }
        // The launcher is tiny; the emulator is the library beside it.
        let mut hashes = sha256_file(&bin)?;
        let lib = bin.with_file_name(format!("libpanda-{arch}.so"));
        if lib.exists() {
            hashes = format!("{hashes}\n{}", sha256_file(&lib)?);
        }
        Ok(Panda {
            source: build.join(".."),
            sha256: sha256_bytes(hashes.as_bytes()),
            bin,
            qemu_img,
            cancel: ctx.cancel.clone(),
        })
    }
}

/// The guest an image built by this builder is: the built-in one of that name, else (a
/// suite's own `[images.NAME]` with this builder) the one for its arch.
pub fn guest_for(name: &str, arch: Option<&str>) -> &'static Guest {
    guest(name)
        .or_else(|| GUESTS.iter().copied().find(|g| Some(g.arch) == arch))
        .unwrap_or(&X86_64)
}

/// Builds `qcows/NAME/` from the cache (filling the cache first if needed), or verifies
/// the one there. Returns the folder.
pub fn ensure(ctx: &Context, name: &str, g: &Guest) -> Result<PathBuf, EngineError> {
    let dir = ctx.qcow_dir().join(name);
    let panda = Panda::find(ctx, name, g.arch);
    // An image present without PANDA is only checked against its own hashes.
    if check(&dir, g, panda.as_ref().ok().map(|p| p.sha256.as_str())).is_ok() {
        return Ok(dir);
    }
    let panda = panda?;
    let cache = crate::cache::root()?.join("images");
    std::fs::create_dir_all(&cache).map_err(EngineError::io(&cache))?;
    let _lock = lock(
        &cache.join(format!("{}.lock", g.name)),
        &format!("image {}: another ptest is building it", g.name),
        &*ctx.observer,
    )?;
    // Another ptest may have built it while we waited.
    let why = match check(&dir, g, Some(&panda.sha256)) {
        Ok(()) => return Ok(dir),
        Err(e) => e,
    };
    let note = |m: String| ctx.observer.note(&m);
    if dir.exists() {
        note(format!("image {name}: rebuilding {}: {why}", dir.display()));
    }
    if let Some(arch) = g.debian_arch {
        debian::userland::ensure_architecture(arch, &*ctx.observer)?;
    }
    let packages = Packages::resolve(
        &g.package(g.kernel_meta),
        &g.package(BUSYBOX_PKG),
        &*ctx.observer,
    )?;
    let parts_dir = cache.join("debian").join(packages.key());
    // Stamped as used, and kept from `ptest cache prune` while read (the snapshot and the
    // profile are kept by the builder's lock above).
    let _in_use = use_entry(&parts_dir)?;
    let parts = debian::build(&parts_dir, &packages)?;
    let userland: Vec<String> = g.userland.iter().map(|p| g.package(p)).collect();
    let userland = match userland.is_empty() {
        true => None,
        false => {
            let pinned = debian::userland::resolve(&userland)?;
            Some(debian::userland::unpacked(&cache.join("debian"), &pinned)?)
        }
    };
    let _userland_in_use = match userland.as_deref().and_then(Path::parent) {
        Some(dir) => Some(use_entry(dir)?),
        None => None,
    };
    let build = snapshot::Build {
        guest: g,
        parts: &parts,
        userland: userland.as_deref(),
        panda: &panda,
    };
    let (snap_dir, snapshot) = snapshot::snapshot(&cache.join(g.name), &build, &note)?;
    let kinfo = kernelinfo::kernelinfo(&cache.join("kernelinfo"), g, &packages, &panda, &note)?;
    touch(&stamp_path(&snap_dir));
    if let Some(profile_dir) = kinfo.parent() {
        touch(&stamp_path(profile_dir));
    }
    let image = PandaImage {
        snapshot,
        os: g.os.into(),
        kernelinfo_group: g.kconf_group.into(),
        kernelinfo_sha256: sha256_file(&kinfo)?,
    };
    let copies = [
        (snap_dir.join("vmlinuz"), "vmlinuz".to_string()),
        (snap_dir.join("initrd.gz"), "initrd.gz".to_string()),
        (snap_dir.join("image.qcow2"), format!("{name}.qcow2")),
        (kinfo, "kernelinfo.conf".to_string()),
    ];
    atomically(&dir, |work| {
        for (from, to) in &copies {
            // std's copy uses copy_file_range, which reflinks where the filesystem can.
            std::fs::copy(from, work.join(to)).map_err(EngineError::io(from))?;
        }
        write_json(&work.join("image.json"), &image)
    })?;
    note(format!("image {name} ready in {}", dir.display()));
    Ok(dir)
}

/// Whether `qcows/NAME/` is complete, matches its `image.json` and (when `panda` is
/// given) was made with that PANDA; the error says what is wrong.
fn check(dir: &Path, g: &Guest, panda: Option<&str>) -> Result<(), EngineError> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let image: PandaImage = read_json(&dir.join("image.json"))?;
    let s = &image.snapshot;
    for (file, want) in [
        ("vmlinuz", &s.kernel_sha256),
        ("initrd.gz", &s.initrd_sha256),
        ("kernelinfo.conf", &image.kernelinfo_sha256),
    ] {
        same_hash(&dir.join(file), want)?;
    }
    let qcow = dir.join(format!("{name}.qcow2"));
    if !qcow.exists() {
        return Err(EngineError::Image(format!("{} is missing", qcow.display())));
    }
    if image.kernelinfo_group != g.kconf_group || image.os != g.os {
        return Err(EngineError::Image(format!(
            "{} names another profile group or -os",
            dir.display()
        )));
    }
    match panda {
        Some(p) if p != s.panda_sha256 => Err(EngineError::Image(format!(
            "its snapshot was taken with another PANDA build than {}",
            std::env::var("PANDA_BUILD").unwrap_or_default()
        ))),
        _ => Ok(()),
    }
}

/// Runs a build tool for image `name`; its output, or an error with the end of its stderr.
fn tool(cmd: &mut Command, name: &str, what: &str) -> Result<String, EngineError> {
    crate::debian::run_tool(
        cmd,
        &format!("image {name}: {what}"),
        "is it installed?",
        "see its messages above",
    )
}

#[cfg(test)]
mod tests;
