//! The parts of the built-in images, assembled from Debian's packages: the kernel that
//! `linux-image-cloud-amd64` depends on and `busybox-static`, fetched with
//! `apt-get download` and unpacked with `dpkg -x` (nothing is installed). The QEMU image
//! is these parts in `qcows/NAME/`; the PANDA image (`panda_image`) keeps them in its cache
//! and builds an initramfs and snapshot from them. Hashes are in `image.json`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::EngineError;
use crate::hash::sha256_file;
use crate::observe::Observer;

/// What `image.json` records about a built image.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BuiltImage {
    pub kernel_package: String,
    pub kernel_sha256: String,
    pub busybox_package: String,
    pub busybox_sha256: String,
    /// Kernel modules kept in `modules/`, in load order (the CD-ROM stack; see [`CD_MODULES`]).
    #[serde(default)]
    pub modules: Vec<String>,
}

/// The modules (in load order) a guest needs to mount a CD: the cloud kernel builds
/// them as modules. Not used by recordings; they let the PANDA dialogue's CD steps run
/// against upstream QEMU.
pub const CD_MODULES: &[&str] = &[
    "scsi_common",
    "scsi_mod",
    "libata",
    "ata_piix",
    "cdrom",
    "sr_mod",
    "isofs",
];

/// Paths of a built image's parts.
#[derive(Debug, Clone)]
pub struct ImageFiles {
    pub dir: PathBuf,
    pub kernel: PathBuf,
    pub busybox: PathBuf,
    /// `modules/NAME.ko` for each of `info.modules`.
    pub modules: Vec<PathBuf>,
    pub info: BuiltImage,
}

impl ImageFiles {
    fn at(dir: &Path, info: BuiltImage) -> ImageFiles {
        ImageFiles {
            dir: dir.to_path_buf(),
            kernel: dir.join("vmlinuz"),
            busybox: dir.join("busybox"),
            modules: info
                .modules
                .iter()
                .map(|m| dir.join("modules").join(format!("{m}.ko")))
                .collect(),
            info,
        }
    }
}

/// The cached image in `dir` if it is complete and its files still match `image.json`.
pub fn cached(dir: &Path) -> Result<Option<ImageFiles>, EngineError> {
    cached_hashed(dir, &sha256_file)
}

/// [`cached`], hashing with `hash` (e.g. one that remembers unchanged files' hashes).
pub fn cached_hashed(
    dir: &Path,
    hash: &dyn Fn(&Path) -> Result<String, EngineError>,
) -> Result<Option<ImageFiles>, EngineError> {
    let info_path = dir.join("image.json");
    let Ok(text) = std::fs::read_to_string(&info_path) else {
        return Ok(None);
    };
    let info: BuiltImage = serde_json::from_str(&text).map_err(|e| {
        EngineError::Image(format!(
            "{}: unreadable ({e}); delete {} and run `ptest images fetch` again",
            info_path.display(),
            dir.display()
        ))
    })?;
    let files = ImageFiles::at(dir, info);
    for (path, want) in [
        (&files.kernel, &files.info.kernel_sha256),
        (&files.busybox, &files.info.busybox_sha256),
    ] {
        if !path.exists() || &hash(path)? != want {
            return Err(EngineError::Image(format!(
                "{} does not match the hash recorded in {}; delete {} and run `ptest images fetch` again",
                path.display(),
                info_path.display(),
                dir.display()
            )));
        }
    }
    Ok(Some(files))
}

/// The exact packages an image is built from: what apt would download now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packages {
    /// `linux-image-6.1.0-56-cloud-amd64`, the package the meta-package depends on.
    pub kernel: String,
    pub kernel_version: String,
    pub busybox: String,
    pub busybox_version: String,
}

impl Packages {
    /// Asks apt (locally, nothing is downloaded) which kernel `kernel_meta` stands for and
    /// the candidate versions.
    pub fn resolve(
        kernel_meta: &str,
        busybox_pkg: &str,
        observer: &dyn Observer,
    ) -> Result<Packages, EngineError> {
        let kernel = kernel_dependency(kernel_meta, observer)?;
        // One apt-cache run for both: each takes seconds on a busy machine.
        let out = run(
            Command::new("apt-cache").args(["policy", &kernel, busybox_pkg]),
            "apt-cache policy",
        )?;
        let version = |pkg: &str| {
            parse_candidate(&out, pkg).ok_or_else(|| {
                EngineError::Image(format!(
                    "apt has no installable version of {pkg}; run `apt-get update` (as root) first"
                ))
            })
        };
        Ok(Packages {
            kernel_version: version(&kernel)?,
            busybox_version: version(busybox_pkg)?,
            kernel,
            busybox: busybox_pkg.to_string(),
        })
    }

    /// A file-name-safe key naming these exact versions, for caches.
    pub fn key(&self) -> String {
        format!(
            "{}_{}+{}_{}",
            self.kernel, self.kernel_version, self.busybox, self.busybox_version
        )
        .replace([':', '/'], "%")
    }
}

/// Builds the image into `dir` (atomically: a temporary folder renamed into place), or
/// returns the cached one.
pub fn build(dir: &Path, packages: &Packages) -> Result<ImageFiles, EngineError> {
    // A cache that fails verification is rebuilt.
    if let Ok(Some(files)) = cached(dir) {
        return Ok(files);
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(EngineError::io(parent))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let work = parent.join(format!(".{name}.building-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(EngineError::io(&work))?;
    let info = match build_in(&work, packages) {
        Ok(info) => info,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&work);
            return Err(e);
        }
    };
    if dir.exists() && cached(dir).is_err() {
        let _ = std::fs::remove_dir_all(dir);
    }
    // Several recordings may build the image at once: the first rename wins and the
    // others use its result (renaming onto a non-empty folder fails).
    if std::fs::rename(&work, dir).is_err() {
        let _ = std::fs::remove_dir_all(&work);
        return cached(dir)?.ok_or_else(|| {
            EngineError::Image(format!("cannot put the built image into {}", dir.display()))
        });
    }
    Ok(ImageFiles::at(dir, info))
}

fn build_in(work: &Path, packages: &Packages) -> Result<BuiltImage, EngineError> {
    let kernel_pkg = &packages.kernel;
    let busybox_pkg = packages.busybox.as_str();
    let debs = work.join("debs");
    let root = work.join("root");
    let mut names = Vec::new();
    for path in apt_download(
        &debs,
        &[
            format!("{kernel_pkg}={}", packages.kernel_version),
            format!("{busybox_pkg}={}", packages.busybox_version),
        ],
    )? {
        names.push(
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        run(
            Command::new("dpkg").arg("-x").arg(&path).arg(&root),
            "dpkg -x",
        )?;
    }
    let boot = root.join("boot");
    let kernel = std::fs::read_dir(&boot)
        .map_err(EngineError::io(&boot))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-"))
        })
        .ok_or_else(|| EngineError::Image(format!("{kernel_pkg} holds no boot/vmlinuz-*")))?;
    let busybox = root.join("bin/busybox");
    if !busybox.exists() {
        return Err(EngineError::Image(format!(
            "{busybox_pkg} holds no bin/busybox"
        )));
    }
    for (from, to) in [(&kernel, "vmlinuz"), (&busybox, "busybox")] {
        std::fs::rename(from, work.join(to)).map_err(EngineError::io(from))?;
    }
    let modules = keep_modules(&root, &work.join("modules"))?;
    // `.deb` files are named `NAME_VERSION_ARCH.deb`: no `:ARCH` qualifier.
    let pkg = |prefix: &str| {
        let prefix = format!("{}_", unqualified(prefix));
        names
            .iter()
            .find(|n| n.starts_with(&prefix))
            .cloned()
            .unwrap_or_default()
    };
    let info = BuiltImage {
        kernel_package: pkg(kernel_pkg),
        kernel_sha256: sha256_file(&work.join("vmlinuz"))?,
        busybox_package: pkg(busybox_pkg),
        busybox_sha256: sha256_file(&work.join("busybox"))?,
        modules,
    };
    let _ = std::fs::remove_dir_all(&debs);
    let _ = std::fs::remove_dir_all(&root);
    let json = serde_json::to_string_pretty(&info).unwrap_or_default();
    let info_path = work.join("image.json");
    std::fs::write(&info_path, json + "\n").map_err(EngineError::io(&info_path))?;
    Ok(info)
}

/// Copies [`CD_MODULES`] out of the unpacked kernel package; returns those found.
fn keep_modules(root: &Path, to: &Path) -> Result<Vec<String>, EngineError> {
    fn find(dir: &Path, file: &str) -> Option<PathBuf> {
        for e in std::fs::read_dir(dir).ok()?.flatten() {
            let p = e.path();
            if p.is_dir() {
                if let Some(f) = find(&p, file) {
                    return Some(f);
                }
            } else if p.file_name().is_some_and(|n| n == file) {
                return Some(p);
            }
        }
        None
    }
    std::fs::create_dir_all(to).map_err(EngineError::io(to))?;
    let mut kept = Vec::new();
    for m in CD_MODULES {
        if let Some(src) = find(&root.join("lib/modules"), &format!("{m}.ko")) {
            std::fs::rename(&src, to.join(format!("{m}.ko"))).map_err(EngineError::io(&src))?;
            kept.push(m.to_string());
        }
    }
    Ok(kept)
}

/// Downloads `packages` (`NAME` or `NAME=VERSION`) into `dir` with `apt-get download`
/// (nothing is installed); returns the `.deb` files.
pub fn apt_download(dir: &Path, packages: &[String]) -> Result<Vec<PathBuf>, EngineError> {
    std::fs::create_dir_all(dir).map_err(EngineError::io(dir))?;
    run(
        Command::new("apt-get")
            .args(["-q", "-o", "APT::Sandbox::User=root", "download"])
            .args(packages)
            .current_dir(dir),
        "apt-get download",
    )?;
    let mut debs = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(EngineError::io(dir))? {
        let path = entry.map_err(EngineError::io(dir))?.path();
        if path.extension().is_some_and(|e| e == "deb") {
            debs.push(path);
        }
    }
    debs.sort();
    Ok(debs)
}

/// `pkg`'s candidate version in `apt-cache policy` output (which may cover several packages).
fn parse_candidate(apt_policy: &str, pkg: &str) -> Option<String> {
    let mut in_pkg = false;
    for line in apt_policy.lines() {
        if !line.starts_with(char::is_whitespace) {
            in_pkg = line.trim_end().strip_suffix(':') == Some(pkg);
        } else if in_pkg && let Some(v) = line.trim().strip_prefix("Candidate:") {
            let v = v.trim();
            return (!v.is_empty() && v != "(none)").then(|| v.to_string());
        }
    }
    None
}

/// The `linux-image-*` package a meta-package such as `linux-image-cloud-amd64` depends on.
fn kernel_dependency(meta: &str, observer: &dyn Observer) -> Result<String, EngineError> {
    let ask = || {
        let out = run(
            Command::new("apt-cache").args(["depends", meta]),
            "apt-cache depends",
        );
        out.ok().and_then(|o| parse_kernel_dependency(&o))
    };
    if let Some(k) = ask() {
        return Ok(k);
    }
    // A fresh machine (or container) may have no package lists yet; root can fetch them.
    if rustix::process::geteuid().is_root() {
        observer.note(&format!("apt knows no {meta}: running apt-get update"));
        run(
            Command::new("apt-get").args(["-qq", "update"]),
            "apt-get update",
        )?;
        if let Some(k) = ask() {
            return Ok(k);
        }
    }
    Err(EngineError::Image(format!(
        "apt-cache knows no kernel that {meta} depends on; run `apt-get update` (as root) first"
    )))
}

fn parse_kernel_dependency(apt_cache: &str) -> Option<String> {
    apt_cache.lines().find_map(|line| {
        let dep = line.trim().strip_prefix("Depends:")?.trim();
        dep.starts_with("linux-image-").then(|| dep.to_string())
    })
}

pub(crate) fn run(cmd: &mut Command, what: &str) -> Result<String, EngineError> {
    run_tool(
        cmd,
        what,
        "building ptest's images needs Debian's apt-get and dpkg",
        "check the network and run `apt-get update`",
    )
}

/// Runs a build tool; its standard output, or an error with the end of its stderr and
/// `on_failure` (what to do). `on_missing`: what to do when it cannot be started.
pub(crate) fn run_tool(
    cmd: &mut Command,
    what: &str,
    on_missing: &str,
    on_failure: &str,
) -> Result<String, EngineError> {
    let out = cmd
        .output()
        .map_err(|e| EngineError::Image(format!("{what}: cannot run it ({e}); {on_missing}")))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last: Vec<&str> = stderr.lines().rev().take(3).collect();
        return Err(EngineError::Image(format!(
            "{what} failed ({}): {}; {on_failure}",
            out.status,
            last.into_iter().rev().collect::<Vec<_>>().join(" | ")
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub mod userland;
pub(crate) use userland::{debug_package, unqualified};

#[cfg(test)]
mod tests;
