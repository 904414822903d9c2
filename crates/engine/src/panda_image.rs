//! `panda-busybox`: a PANDA guest that ptest assembles from Debian packages, for machines
//! that cannot download PANDA's qcows. Debian's cloud kernel boots the busybox shell
//! initramfs (the QEMU image's parts, [`crate::qemu::shell_initramfs_with_prompt`]) with
//! the CD-ROM modules; PANDA boots it once and `savevm root` at the prompt into a blank
//! qcow2 made by that PANDA's `qemu-img`. `kernelinfo.conf`, the `osi_linux` profile,
//! comes from the kernel's `-dbg` package through PANDA's gdb script.
//!
//! CI starts from a fresh clone, so the costly parts live in a per-machine cache,
//! `${PTEST_CACHE:-${XDG_CACHE_HOME:-~/.cache}/ptest}/images/`, keyed by their inputs:
//! `debian/PACKAGES/` (kernel, busybox, modules), `panda-busybox/KEY/` (kernel, initramfs,
//! snapshot qcow2; KEY hashes the kernel, the initramfs and the PANDA binary) and
//! `kernelinfo/KERNEL_VERSION/`. Each is built in a temporary folder renamed into place,
//! under one lock, and copied into `qcows/NAME/` (copies: recordings write the qcow2).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::debian::{self, Packages};
use crate::expect::Step;
use crate::hash::{sha256_bytes, sha256_file};
use crate::images::ImageSpec;
use crate::process::Group;
use crate::{Context, EngineError};

pub const NAME: &str = "panda-busybox";
pub const BUILDER: &str = "panda-debian-busybox";
/// PANDA's `-os`; `osi_linux`'s default profile group for it is [`KCONF_GROUP`].
pub const OS: &str = "linux-64-panda-busybox";
pub const KCONF_GROUP: &str = "panda-busybox:64";
/// The guest shell's prompt, set by `/init` (never typed, so no echo can match it).
pub const PS1: &str = "root@ptest-panda:~# ";
/// [`PS1`] as a regex (it has no metacharacters).
pub const PROMPT: &str = "root@ptest-panda:~# ";
pub const SNAPSHOT: &str = "root";
const MEMORY_MIB: u32 = 256;
const APPEND: &str = "console=ttyS0 panic=-1 nokaslr";
const QCOW_SIZE: &str = "64M";
const KERNEL_META: &str = "linux-image-cloud-amd64";
const BUSYBOX_PKG: &str = "busybox-static";
/// Part of the snapshot's cache key: bump when the boot line or dialogue changes.
const RECIPE: &str = "panda-busybox 1";
/// Booting Debian's kernel under PANDA's TCG takes well under a minute; leave room for a
/// loaded machine.
const BOOT_TIMEOUT: Duration = Duration::from_secs(600);

/// The built-in catalog entry.
pub fn spec() -> ImageSpec {
    let q = format!("{{qcows}}/{NAME}");
    let extra = [
        "-kernel",
        &format!("{q}/vmlinuz"),
        "-initrd",
        &format!("{q}/initrd.gz"),
        "-append",
        APPEND,
        "-display",
        "none",
    ];
    ImageSpec {
        engine: Some("panda".into()),
        arch: Some("x86_64".into()),
        builder: Some(BUILDER.into()),
        memory: Some(format!("{MEMORY_MIB}M")),
        prompt: Some(PROMPT.into()),
        cdrom: Some("ide1-cd0".into()),
        snapshot: Some(SNAPSHOT.into()),
        os: Some(OS.into()),
        extra_args: extra.iter().map(|s| s.to_string()).collect(),
        description: Some(
            "Debian's cloud kernel + busybox initramfs with a `root` snapshot, built for PANDA from apt packages".into(),
        ),
        ..Default::default()
    }
}

/// The qcow2 of image `name`: `qcows/NAME/NAME.qcow2`.
pub fn qcow_path(qcows: &Path, name: &str) -> PathBuf {
    qcows.join(name).join(format!("{name}.qcow2"))
}

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
    /// The PANDA (`panda-system-x86_64` and `libpanda-x86_64.so`) that took the snapshot.
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
struct Panda {
    bin: PathBuf,
    qemu_img: PathBuf,
    source: PathBuf,
    sha256: String,
}

impl Panda {
    fn find(ctx: &Context, name: &str) -> Result<Panda, EngineError> {
        let how = "run scripts/build-panda and export PANDA_BUILD=$(scripts/build-panda)";
        let build = crate::panda::build_dir(ctx);
        let bin = crate::panda::binary("x86_64", build.as_deref()).map_err(|e| {
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
        let lib = bin.with_file_name("libpanda-x86_64.so");
        if lib.exists() {
            hashes = format!("{hashes}\n{}", sha256_file(&lib)?);
        }
        Ok(Panda {
            source: build.join(".."),
            sha256: sha256_bytes(hashes.as_bytes()),
            bin,
            qemu_img,
        })
    }
}

/// Builds `qcows/NAME/` from the cache (filling the cache first if needed), or verifies
/// the one there. Returns the folder.
pub fn ensure(ctx: &Context, name: &str) -> Result<PathBuf, EngineError> {
    let dir = ctx.qcow_dir().join(name);
    let panda = Panda::find(ctx, name);
    // An image present without PANDA is only checked against its own hashes.
    if check(&dir, panda.as_ref().ok().map(|p| p.sha256.as_str())).is_ok() {
        return Ok(dir);
    }
    let panda = panda?;
    let cache = cache_root()?.join("images");
    std::fs::create_dir_all(&cache).map_err(EngineError::io(&cache))?;
    let _lock = lock(&cache.join(format!("{NAME}.lock")))?;
    // Another ptest may have built it while we waited.
    let why = match check(&dir, Some(&panda.sha256)) {
        Ok(()) => return Ok(dir),
        Err(e) => e,
    };
    if dir.exists() {
        eprintln!("ptest: image {name}: rebuilding {}: {why}", dir.display());
    }
    let packages = Packages::resolve(KERNEL_META, BUSYBOX_PKG)?;
    let parts = debian::build(&cache.join("debian").join(packages.key()), &packages)?;
    let (snap_dir, snapshot) = snapshot(&cache.join(NAME), &parts, &panda)?;
    let kinfo = kernelinfo(&cache.join("kernelinfo"), &packages, &panda)?;
    let image = PandaImage {
        snapshot,
        os: OS.into(),
        kernelinfo_group: KCONF_GROUP.into(),
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
    eprintln!("ptest: image {name} ready in {}", dir.display());
    Ok(dir)
}

/// Whether `qcows/NAME/` is complete, matches its `image.json` and (when `panda` is
/// given) was made with that PANDA; the error says what is wrong.
fn check(dir: &Path, panda: Option<&str>) -> Result<(), EngineError> {
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
    if image.kernelinfo_group != KCONF_GROUP || image.os != OS {
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

/// The cached snapshot for these parts and this PANDA, built now if missing.
fn snapshot(
    cache: &Path,
    parts: &debian::ImageFiles,
    panda: &Panda,
) -> Result<(PathBuf, Snapshot), EngineError> {
    let busybox = std::fs::read(&parts.busybox).map_err(EngineError::io(&parts.busybox))?;
    let mut modules = Vec::new();
    for (m, path) in parts.info.modules.iter().zip(&parts.modules) {
        modules.push((
            m.clone(),
            std::fs::read(path).map_err(EngineError::io(path))?,
        ));
    }
    let initrd = crate::qemu::shell_initramfs_with_prompt(&busybox, &modules, PS1);
    let initrd_sha256 = sha256_bytes(&initrd);
    let key = sha256_bytes(
        [
            RECIPE,
            &parts.info.kernel_package,
            &parts.info.kernel_sha256,
            &initrd_sha256,
            &panda.sha256,
        ]
        .join("\n")
        .as_bytes(),
    );
    let dir = cache.join(&key[..16]);
    let verify = |dir: &Path| -> Result<Snapshot, EngineError> {
        let s: Snapshot = read_json(&dir.join("snapshot.json"))?;
        same_hash(&dir.join("vmlinuz"), &s.kernel_sha256)?;
        same_hash(&dir.join("initrd.gz"), &s.initrd_sha256)?;
        same_hash(&dir.join("image.qcow2"), &s.qcow2_sha256)?;
        Ok(s)
    };
    if let Ok(s) = verify(&dir) {
        return Ok((dir, s));
    }
    eprintln!(
        "ptest: image {NAME}: booting {} under PANDA to take snapshot `{SNAPSHOT}` (about a minute)",
        parts.info.kernel_package
    );
    atomically(&dir, |work| {
        std::fs::copy(&parts.kernel, work.join("vmlinuz")).map_err(EngineError::io(work))?;
        let initrd_path = work.join("initrd.gz");
        std::fs::write(&initrd_path, &initrd).map_err(EngineError::io(&initrd_path))?;
        take_snapshot(work, panda)?;
        let s = Snapshot {
            kernel_package: parts.info.kernel_package.clone(),
            busybox_package: parts.info.busybox_package.clone(),
            modules: parts.info.modules.clone(),
            kernel_sha256: parts.info.kernel_sha256.clone(),
            initrd_sha256: initrd_sha256.clone(),
            qcow2_sha256: sha256_file(&work.join("image.qcow2"))?,
            panda_sha256: panda.sha256.clone(),
        };
        write_json(&work.join("snapshot.json"), &s)
    })?;
    Ok((dir.clone(), verify(&dir)?))
}

/// Boots `work/vmlinuz` + `work/initrd.gz` under PANDA with a blank `work/image.qcow2`
/// and saves snapshot `root` at the shell prompt.
fn take_snapshot(work: &Path, panda: &Panda) -> Result<(), EngineError> {
    let qcow = work.join("image.qcow2");
    tool(
        Command::new(&panda.qemu_img)
            .args(["create", "-q", "-f", "qcow2"])
            .arg(&qcow)
            .arg(QCOW_SIZE),
        "qemu-img create",
    )?;
    // Unix socket paths are limited to ~108 bytes: keep them out of the cache path.
    let sockets = std::env::temp_dir().join(format!("ptest-panda-image-{}", std::process::id()));
    std::fs::create_dir_all(&sockets).map_err(EngineError::io(&sockets))?;
    let (mon, ser) = (sockets.join("monitor"), sockets.join("serial"));
    let log = work.join("panda.log");
    let transcript = work.join("boot.console");
    let logf = File::create(&log).map_err(EngineError::io(&log))?;
    let errf = logf.try_clone().map_err(EngineError::io(&log))?;
    let mut cmd = Command::new(&panda.bin);
    cmd.arg(&qcow)
        .args(["-m", &MEMORY_MIB.to_string(), "-kernel"])
        .arg(work.join("vmlinuz"))
        .arg("-initrd")
        .arg(work.join("initrd.gz"))
        .args(["-append", APPEND, "-display", "none", "-monitor"])
        .arg(format!("unix:{},server,nowait", mon.display()))
        .arg("-serial")
        .arg(format!("unix:{},server,nowait", ser.display()))
        .current_dir(work)
        .stdout(logf)
        .stderr(errf);
    let mut group = Group::spawn(&mut cmd, "PANDA")?;
    let prompt = Regex::new(PROMPT).map_err(|e| EngineError::Usage(e.to_string()))?;
    // One more prompt after the first: the shell is idle when the snapshot is taken.
    let steps = [
        Step::Enter(Duration::from_secs(60)),
        Step::Monitor(format!("savevm {SNAPSHOT}")),
    ];
    let result = crate::panda::converse(
        &mut group,
        &mon,
        &ser,
        &transcript,
        &prompt,
        BOOT_TIMEOUT,
        &steps,
    );
    if result.is_err() || group.wait_for(Duration::from_secs(30)).is_none() {
        group.kill_tree();
    }
    let _ = std::fs::remove_dir_all(&sockets);
    result.map_err(|e| {
        EngineError::Image(format!(
            "image {NAME}: taking snapshot `{SNAPSHOT}` failed: {e} (PANDA log: {})",
            log.display()
        ))
    })?;
    let list = tool(
        Command::new(&panda.qemu_img)
            .args(["snapshot", "-l"])
            .arg(&qcow),
        "qemu-img snapshot -l",
    )?;
    if !has_snapshot(&list, SNAPSHOT) {
        return Err(EngineError::Image(format!(
            "image {NAME}: `savevm {SNAPSHOT}` left no snapshot in {} (console: {}, PANDA log: {})",
            qcow.display(),
            transcript.display(),
            log.display()
        )));
    }
    Ok(())
}

/// Whether `qemu-img snapshot -l` output lists a snapshot tagged `tag`.
fn has_snapshot(list: &str, tag: &str) -> bool {
    list.lines().any(|l| {
        let mut f = l.split_whitespace();
        f.next().is_some_and(|id| id.parse::<u32>().is_ok()) && f.next() == Some(tag)
    })
}

/// The cached `kernelinfo.conf` (group [`KCONF_GROUP`]) for the packages' kernel, made now
/// if missing: ~283 MB `-dbg` download and a gdb run, once per kernel version.
fn kernelinfo(cache: &Path, packages: &Packages, panda: &Panda) -> Result<PathBuf, EngineError> {
    let dir =
        cache.join(format!("{}_{}", packages.kernel, packages.kernel_version).replace(':', "%"));
    let conf = dir.join("kernelinfo.conf");
    if std::fs::read_to_string(&conf).is_ok_and(|t| profile_problem(&t).is_none()) {
        return Ok(conf);
    }
    let script = panda
        .source
        .join("panda/plugins/osi_linux/utils/kernelinfo_gdb/run.sh");
    if !script.exists() {
        return Err(EngineError::Image(format!(
            "image {NAME}: no {} (the PANDA source checkout above the build folder); rebuild PANDA with scripts/build-panda",
            script.display()
        )));
    }
    let dbg = format!("{}-dbg={}", packages.kernel, packages.kernel_version);
    eprintln!(
        "ptest: image {NAME}: making the osi_linux profile from {dbg} (~283 MB download, once per kernel)"
    );
    atomically(&dir, |work| {
        let debs = debian::apt_download(&work.join("debs"), std::slice::from_ref(&dbg))?;
        let deb = debs
            .first()
            .ok_or_else(|| EngineError::Image(format!("apt-get download {dbg} left no .deb")))?;
        // Only vmlinux: the whole package unpacks to 1.7 GB.
        let mut unpack = Command::new("dpkg-deb")
            .arg("--fsys-tarfile")
            .arg(deb)
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| EngineError::Image(format!("cannot run dpkg-deb: {e}")))?;
        let tar_in = unpack
            .stdout
            .take()
            .map(Stdio::from)
            .unwrap_or_else(Stdio::null);
        let tarred = tool(
            Command::new("tar")
                .args(["-x", "--wildcards", "-C"])
                .arg(work)
                .arg("./usr/lib/debug/boot/vmlinux-*")
                .stdin(tar_in),
            "tar -x (vmlinux from the -dbg package)",
        );
        let _ = unpack.wait();
        tarred?;
        let boot = work.join("usr/lib/debug/boot");
        let vmlinux = std::fs::read_dir(&boot)
            .map_err(EngineError::io(&boot))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .next()
            .ok_or_else(|| EngineError::Image(format!("{dbg} holds no vmlinux")))?;
        let raw = work.join("raw.conf");
        tool(
            Command::new("bash")
                .arg(&script)
                .arg(&vmlinux)
                .arg(&raw)
                .current_dir(&panda.source),
            "PANDA's kernelinfo_gdb/run.sh (needs gdb: apt-get install gdb)",
        )?;
        let text = std::fs::read_to_string(&raw).unwrap_or_default();
        let text = format!("[{KCONF_GROUP}]\n{text}");
        if let Some(problem) = profile_problem(&text) {
            return Err(EngineError::Image(format!(
                "image {NAME}: gdb's kernel profile of {} is unusable ({problem})",
                vmlinux.display()
            )));
        }
        let out = work.join("kernelinfo.conf");
        std::fs::write(&out, text).map_err(EngineError::io(&out))?;
        for junk in ["debs", "usr", "raw.conf"] {
            let p = work.join(junk);
            let _ = std::fs::remove_dir_all(&p).or_else(|_| std::fs::remove_file(&p));
        }
        Ok(())
    })?;
    Ok(conf)
}

/// What is wrong with a `kernelinfo.conf`, if anything: it must hold our group and the
/// offsets `osi_linux` cannot work without.
pub fn profile_problem(text: &str) -> Option<String> {
    if text.lines().next().map(str::trim) != Some(&format!("[{KCONF_GROUP}]")) {
        return Some(format!("does not start with [{KCONF_GROUP}]"));
    }
    for key in [
        "name",
        "version.a",
        "task.init_addr",
        "task.comm_offset",
        "task.tasks_offset",
        "task.pid_offset",
        "mm.pgd_offset",
    ] {
        let found = text.lines().any(|l| {
            l.split_once('=').is_some_and(|(k, v)| {
                k.trim() == key && (key == "name" || v.trim().parse::<i128>().is_ok())
            })
        });
        if !found {
            return Some(format!("no numeric {key}"));
        }
    }
    None
}

/// `${PTEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ptest}`, as scripts/build-panda uses.
pub fn cache_root() -> Result<PathBuf, EngineError> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("PTEST_CACHE")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("ptest")))
        .or_else(|| var("HOME").map(|d| d.join(".cache/ptest")))
        .ok_or_else(|| {
            EngineError::Image(
                "no cache folder: set PTEST_CACHE (or HOME) to where ptest may keep built images"
                    .into(),
            )
        })
}

/// Builds `dir` in a sibling temporary folder and renames it into place, replacing an
/// old `dir`. A failed build keeps its folder (its logs) until the next attempt.
fn atomically(
    dir: &Path,
    build: impl FnOnce(&Path) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let work = parent.join(format!(".{name}.building-{}", std::process::id()));
    // Builders hold the lock, so leftovers of earlier attempts are nobody's work.
    if let Ok(entries) = std::fs::read_dir(parent) {
        for e in entries.flatten() {
            if e.file_name()
                .to_string_lossy()
                .starts_with(&format!(".{name}.building-"))
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    std::fs::create_dir_all(&work).map_err(EngineError::io(&work))?;
    build(&work)?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(EngineError::io(dir))?;
    }
    std::fs::rename(&work, dir).map_err(EngineError::io(dir))
}

/// Held while it lives: one builder of the cache (and of `qcows/NAME/`) at a time.
struct Lock {
    _file: File,
}

fn lock(path: &Path) -> Result<Lock, EngineError> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(EngineError::io(path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            eprintln!(
                "ptest: image {NAME}: another ptest is building it; waiting for {}",
                path.display()
            );
            file.lock().map_err(EngineError::io(path))?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(EngineError::io(path)(e)),
    }
    Ok(Lock { _file: file })
}

fn same_hash(path: &Path, want: &str) -> Result<(), EngineError> {
    if !path.exists() || sha256_file(path)? != want {
        return Err(EngineError::Image(format!(
            "{} is missing or does not match its recorded hash",
            path.display()
        )));
    }
    Ok(())
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, EngineError> {
    let text = std::fs::read_to_string(path).map_err(EngineError::io(path))?;
    serde_json::from_str(&text)
        .map_err(|e| EngineError::Image(format!("{}: unreadable ({e})", path.display())))
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), EngineError> {
    let json = serde_json::to_string_pretty(value).unwrap_or_default();
    std::fs::write(path, json + "\n").map_err(EngineError::io(path))
}

/// Runs a build tool; its output, or an error with the end of its stderr.
fn tool(cmd: &mut Command, what: &str) -> Result<String, EngineError> {
    crate::debian::run_tool(
        cmd,
        &format!("image {NAME}: {what}"),
        "is it installed?",
        "see its messages above",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_points_the_panda_driver_at_the_built_files() {
        let ctx = Context {
            regression_dir: PathBuf::from("/r"),
            ..Default::default()
        };
        let s = spec();
        assert_eq!(
            s.local_path(&ctx, NAME),
            Path::new("/r/qcows/panda-busybox/panda-busybox.qcow2")
        );
        assert_eq!(s.memory_mib(), Some(256));
        assert_eq!(s.os.as_deref(), Some("linux-64-panda-busybox"));
        let args = s.extra_args.join(" ");
        assert!(
            args.contains(
                "-kernel {qcows}/panda-busybox/vmlinuz -initrd {qcows}/panda-busybox/initrd.gz"
            ),
            "{args}"
        );
        assert!(s.extra_args.contains(&APPEND.to_string()));
        // osi_linux's default group for `-os linux-64-VARIANT` is `VARIANT:64`.
        assert_eq!(
            OS.strip_prefix("linux-64-")
                .map(|v| format!("{v}:64"))
                .as_deref(),
            Some(KCONF_GROUP)
        );
    }

    #[test]
    fn prompt_matches_the_shell_and_not_the_typed_lines() {
        let re = Regex::new(PROMPT).unwrap();
        assert!(re.is_match(&format!("\r\n{PS1}")));
        assert!(!re.is_match("~ # echo root@ptest-panda:~ #"));
    }

    #[test]
    fn init_loads_the_cd_modules_in_order_then_gives_the_prompt() {
        use std::io::Read;
        let modules: Vec<(String, Vec<u8>)> = debian::CD_MODULES
            .iter()
            .map(|m| (m.to_string(), b"ko".to_vec()))
            .collect();
        let gz = crate::qemu::shell_initramfs_with_prompt(b"\x7fELF", &modules, PS1);
        let mut cpio = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut cpio)
            .unwrap();
        let text = String::from_utf8_lossy(&cpio);
        let init = &text[text.find("#!/bin/sh").unwrap()..];
        let insmods: Vec<&str> = init
            .lines()
            .filter_map(|l| l.strip_prefix("insmod /lib/ptest-modules/"))
            .collect();
        let want: Vec<String> = debian::CD_MODULES
            .iter()
            .map(|m| format!("{m}.ko"))
            .collect();
        assert_eq!(insmods, want);
        assert!(init.contains("PS1='root@ptest-panda:~# '"), "{init}");
        assert!(init.contains("exec setsid cttyhack sh"), "{init}");
        // Same inputs, same bytes: the snapshot's cache key depends on it.
        assert_eq!(
            gz,
            crate::qemu::shell_initramfs_with_prompt(b"\x7fELF", &modules, PS1)
        );
    }

    #[test]
    fn profile_needs_the_group_and_numeric_offsets() {
        let good = "[panda-busybox:64]\nname = 6.1.0|#1|x86_64\nversion.a = 6\n\
                    task.init_addr = 18446744071606217280\ntask.comm_offset = 2976\n\
                    task.tasks_offset = 2192\ntask.pid_offset = 2416\nmm.pgd_offset = 72\n";
        assert_eq!(profile_problem(good), None);
        assert!(profile_problem(&good.replace("[panda-busybox:64]", "[x:64]")).is_some());
        let bad = good.replace("task.comm_offset = 2976", "task.comm_offset = ");
        assert_eq!(
            profile_problem(&bad).as_deref(),
            Some("no numeric task.comm_offset")
        );
    }

    #[test]
    fn snapshot_list_is_parsed_by_tag() {
        let list = "Snapshot list:\nID        TAG                 VM SIZE                DATE       VM CLOCK\n\
                    1         root                    37M 2024-01-01 00:00:00   00:00:12.345\n";
        assert!(has_snapshot(list, "root"));
        assert!(!has_snapshot(list, "TAG"));
        assert!(!has_snapshot("", "root"));
    }

    #[test]
    fn atomically_replaces_on_success_and_keeps_the_old_on_failure() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("x");
        atomically(&dir, |w| {
            std::fs::write(w.join("a"), "1").map_err(EngineError::io(w))
        })
        .unwrap();
        let err = atomically(&dir, |_| Err(EngineError::Image("boom".into())));
        assert!(err.is_err());
        assert_eq!(std::fs::read_to_string(dir.join("a")).unwrap(), "1");
        atomically(&dir, |w| {
            std::fs::write(w.join("b"), "2").map_err(EngineError::io(w))
        })
        .unwrap();
        assert!(!dir.join("a").exists() && dir.join("b").exists());
        // The failed attempt's folder was cleared by the next one.
        let left: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("x")]);
    }

    #[test]
    fn check_rejects_a_changed_file_and_another_panda() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join(NAME);
        std::fs::create_dir_all(&dir).unwrap();
        for f in [
            "vmlinuz",
            "initrd.gz",
            "kernelinfo.conf",
            "panda-busybox.qcow2",
        ] {
            std::fs::write(dir.join(f), f).unwrap();
        }
        let h = |f: &str| sha256_bytes(f.as_bytes());
        let image = PandaImage {
            snapshot: Snapshot {
                kernel_package: "k.deb".into(),
                busybox_package: "b.deb".into(),
                modules: vec![],
                kernel_sha256: h("vmlinuz"),
                initrd_sha256: h("initrd.gz"),
                qcow2_sha256: h("panda-busybox.qcow2"),
                panda_sha256: "p1".into(),
            },
            os: OS.into(),
            kernelinfo_group: KCONF_GROUP.into(),
            kernelinfo_sha256: h("kernelinfo.conf"),
        };
        write_json(&dir.join("image.json"), &image).unwrap();
        check(&dir, Some("p1")).unwrap();
        check(&dir, None).unwrap();
        assert!(check(&dir, Some("p2")).is_err());
        // Recordings write to the qcow2: that is not a reason to rebuild.
        std::fs::write(dir.join("panda-busybox.qcow2"), "written").unwrap();
        check(&dir, Some("p1")).unwrap();
        std::fs::write(dir.join("initrd.gz"), "changed").unwrap();
        let e = check(&dir, Some("p1")).unwrap_err().to_string();
        assert!(e.contains("initrd.gz"), "{e}");
    }
}
