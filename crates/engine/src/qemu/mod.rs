//! Upstream QEMU's deterministic record/replay (`-icount shift=N,rr=record|replay`):
//! the guest is a kernel plus a per-recording initramfs whose `/init` runs the command
//! between two marker lines and powers off.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::initramfs::{Archive, Entry};
use crate::metadata::{self, Metadata, ReplayFiles};
use crate::{Context, EngineError, debian, images};

/// Printed by `/init` around the command; unlikely to occur in a command's own output.
pub const BEGIN_MARKER: &str = "PTEST-BEGIN-7f3a";
pub const END_MARKER: &str = "PTEST-END-7f3a";

pub const DEFAULT_SHIFT: u32 = 5;
pub const DEFAULT_MEMORY: u32 = 256;
const KERNEL_APPEND: &str = "console=ttyS0 panic=-1 nokaslr";

/// The guest-visible machine line with placeholders (see [`Metadata::machine`]).
pub fn machine_line(memory: u32, shift: u32) -> Vec<String> {
    let mem = memory.to_string();
    let icount = format!("shift={shift},rr={{mode}},rrfile={{rrfile}}");
    [
        "-M",
        "pc",
        "-accel",
        "tcg",
        "-m",
        &mem,
        "-display",
        "none",
        "-no-reboot",
        "-net",
        "none",
        "-rtc",
        "base=2020-01-01T00:00:00,clock=vm",
        "-kernel",
        "{kernel}",
        "-initrd",
        "{initrd}",
        "-append",
        KERNEL_APPEND,
        "-serial",
        "file:{serial}",
        "-icount",
        &icount,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Paths substituted into a machine line.
pub struct Paths<'a> {
    pub kernel: &'a Path,
    pub initrd: &'a Path,
    pub serial: &'a Path,
    pub rrfile: &'a Path,
    pub mode: &'a str,
}

pub fn concrete(machine: &[String], p: &Paths) -> Vec<String> {
    machine
        .iter()
        .map(|a| {
            a.replace("{kernel}", &p.kernel.to_string_lossy())
                .replace("{initrd}", &p.initrd.to_string_lossy())
                .replace("{serial}", &p.serial.to_string_lossy())
                .replace("{rrfile}", &p.rrfile.to_string_lossy())
                .replace("{mode}", p.mode)
        })
        .collect()
}

/// Single-quotes `arg` for the guest's shell.
pub fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-=:,+@%".contains(&b))
    {
        return arg.to_string();
    }
    format!("'{}'", arg.replace('\'', r"'\''"))
}

/// `/init`: set up the guest, run the command in `/ptest` (where copied files are)
/// between the markers, power off.
pub fn init_script(command: &[String]) -> String {
    let cmd: Vec<String> = command.iter().map(|a| shell_quote(a)).collect();
    format!(
        "#!/bin/sh\n/bin/busybox --install -s\nmount -t proc proc /proc\nmount -t sysfs sysfs /sys\n\
         mount -t devtmpfs devtmpfs /dev\nexport PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root\n\
         cd /ptest\necho {BEGIN_MARKER}\n{}\necho \"{END_MARKER} rc=$?\"\npoweroff -f\n",
        cmd.join(" ")
    )
}

/// The skeleton every guest shares: busybox as `/bin/sh`, the usual folders, a console,
/// and `extra_dir` (where the guest finds its files).
fn busybox_archive(busybox: &[u8], extra_dir: &str) -> Archive {
    let mut a = Archive::new();
    a.add(
        "bin/busybox",
        Entry::File {
            data: busybox.to_vec(),
            executable: true,
        },
    );
    a.add("bin/sh", Entry::Symlink("busybox".into()));
    for dir in [
        "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "tmp", extra_dir,
    ] {
        a.add(dir, Entry::Dir);
    }
    a.add("dev/console", Entry::CharDev { major: 5, minor: 1 });
    a
}

/// The initramfs of one recording.
pub fn initramfs(
    busybox: &[u8],
    command: &[String],
    copies: &[PathBuf],
) -> Result<Vec<u8>, EngineError> {
    use std::os::unix::fs::PermissionsExt;
    let mut a = busybox_archive(busybox, "ptest");
    a.add("root", Entry::Dir);
    a.add(
        "init",
        Entry::File {
            data: init_script(command).into_bytes(),
            executable: true,
        },
    );
    let mut seen = std::collections::BTreeSet::new();
    for path in copies {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.is_empty() || !seen.insert(name.clone()) {
            return Err(EngineError::Usage(format!(
                "--copy {}: two copied files would both be /ptest/{name} in the guest; rename one",
                path.display()
            )));
        }
        let data = std::fs::read(path).map_err(EngineError::io(path))?;
        let mode = std::fs::metadata(path)
            .map_err(EngineError::io(path))?
            .permissions()
            .mode();
        a.add(
            &format!("ptest/{name}"),
            Entry::File {
                data,
                executable: mode & 0o111 != 0,
            },
        );
    }
    Ok(a.gzip())
}

/// An initramfs whose `/init` loads `modules` (name, contents; in order) and leaves an
/// interactive shell on the console with the prompt `guest# `: a stand-in for a PANDA
/// image's booted snapshot, to exercise the console/monitor automation (and, with the
/// CD modules, the CD steps) against upstream QEMU.
pub fn shell_initramfs(busybox: &[u8], modules: &[(String, Vec<u8>)]) -> Vec<u8> {
    shell_initramfs_with_prompt(busybox, modules, "guest# ")
}

/// [`shell_initramfs`] with the shell prompt `ps1` (literal text; it must not contain `'`).
/// The `panda-busybox` image's snapshot is this guest sitting at its prompt.
pub fn shell_initramfs_with_prompt(
    busybox: &[u8],
    modules: &[(String, Vec<u8>)],
    ps1: &str,
) -> Vec<u8> {
    let mut a = busybox_archive(busybox, "mnt");
    let mut init = String::from(
        "#!/bin/sh\n/bin/busybox --install -s\nmount -t proc proc /proc\nmount -t devtmpfs devtmpfs /dev\n",
    );
    for (name, data) in modules {
        a.add(
            &format!("lib/ptest-modules/{name}.ko"),
            Entry::File {
                data: data.clone(),
                executable: false,
            },
        );
        init.push_str(&format!("insmod /lib/ptest-modules/{name}.ko\n"));
    }
    init.push_str(&format!("ln -s sr0 /dev/cdrom\nexport PATH=/bin:/sbin:/usr/bin:/usr/sbin PS1='{ps1}'\nexec setsid cttyhack sh\n"));
    a.add(
        "init",
        Entry::File {
            data: init.into_bytes(),
            executable: true,
        },
    );
    a.gzip()
}

/// The QEMU binary and its version line.
pub fn emulator(ctx: &Context, arch: &str) -> Result<(String, String), EngineError> {
    let bin = ctx
        .settings
        .qemu
        .clone()
        .unwrap_or_else(|| format!("qemu-system-{arch}"));
    let out = Command::new(&bin).arg("--version").stdin(Stdio::null()).output().map_err(|e| {
        EngineError::Emulator(match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "QEMU binary `{bin}` not found; install it (apt-get install --no-install-recommends qemu-system-x86) or set [engine] qemu = \"/path/to/qemu\""
            ),
            std::io::ErrorKind::PermissionDenied => format!("QEMU binary `{bin}` is not executable"),
            _ => format!("cannot run QEMU binary `{bin}`: {e}"),
        })
    })?;
    let version = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if !out.status.success() || !version.contains("QEMU") {
        return Err(EngineError::Emulator(format!(
            "`{bin} --version` did not answer like QEMU ({}); check [engine] qemu",
            out.status
        )));
    }
    Ok((bin, version))
}

/// The built QEMU image `name` (built now if missing).
pub fn image(
    ctx: &Context,
    name: &str,
) -> Result<(images::ImageSpec, debian::ImageFiles), EngineError> {
    let spec = images::resolve(ctx, name)?;
    if spec.engine.as_deref() != Some("qemu") {
        return Err(EngineError::Usage(format!(
            "image {name} is for engine {}, not upstream QEMU",
            spec.engine.as_deref().unwrap_or("(unset)")
        )));
    }
    let files = images::ensure_qemu_image(ctx, name, &spec)?;
    Ok((spec, files))
}

/// The guest command's exit status if the console shows the end marker.
pub fn end_marker(console: &Path) -> Option<i32> {
    let text = std::fs::read(console).ok()?;
    let text = String::from_utf8_lossy(&text);
    let at = text.rfind(&format!("{END_MARKER} rc="))?;
    let rest = &text[at + END_MARKER.len() + 4..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The metadata a replay would have now: image and emulator as they are, replay files hashed.
/// Guest memory (MiB) and icount shift: the `[engine]` settings over the image's own.
pub fn machine_settings(ctx: &Context, spec: &crate::images::ImageSpec) -> (u32, u32) {
    let memory = ctx
        .settings
        .memory
        .or(spec.memory_mib())
        .unwrap_or(DEFAULT_MEMORY);
    (memory, ctx.settings.shift.unwrap_or(DEFAULT_SHIFT))
}

pub fn current_metadata(
    recorded: &Metadata,
    files: &ReplayFiles,
    image_name: &str,
    ctx: &Context,
) -> Result<(Metadata, String, debian::ImageFiles), EngineError> {
    let (spec, img) = image(ctx, image_name)?;
    let (bin, version) = emulator(ctx, &recorded.arch)?;
    let (memory, shift) = machine_settings(ctx, &spec);
    for p in [&files.rr, &files.initramfs] {
        if !p.exists() {
            return Err(EngineError::Mismatch(format!(
                "{}: missing; re-record with `ptest setup`",
                p.display()
            )));
        }
    }
    let now = Metadata {
        image: image_name.to_string(),
        emulator_version: version,
        machine: machine_line(memory, shift),
        kernel_sha256: crate::hash::sha256_file(&img.kernel)?,
        initramfs_sha256: crate::hash::sha256_file(&files.initramfs)?,
        replay_sha256: crate::hash::sha256_file(&files.rr)?,
        replay_size: std::fs::metadata(&files.rr).map(|m| m.len()).unwrap_or(0),
        ..recorded.clone()
    };
    Ok((now, bin, img))
}

/// Checks that `name` is usable as a file name stem.
pub fn check_name(name: &str) -> Result<(), EngineError> {
    if name.is_empty()
        || name.contains('/')
        || name.starts_with('.')
        || name.contains(char::is_whitespace)
    {
        return Err(EngineError::Usage(format!(
            "replay name {name:?} must be a plain file name (no '/', spaces or leading '.')"
        )));
    }
    Ok(())
}

pub use record::record;
pub use replay::{ReplayRequest, replay};
pub use run::{Ending, run, tail};

mod record;
mod replay;
mod run;

#[cfg(test)]
mod tests;

/// The files of recording `name`: in the test's replay folder, or at `DIR/NAME` if it is a path.
pub(crate) fn replay_files(ctx: &Context, name: &str) -> Result<ReplayFiles, EngineError> {
    let path = Path::new(name);
    if let (Some(dir), Some(stem)) = (
        path.parent().filter(|d| !d.as_os_str().is_empty()),
        path.file_name(),
    ) {
        let stem = stem.to_string_lossy();
        check_name(&stem)?;
        return Ok(ReplayFiles::new(dir, &stem));
    }
    check_name(name)?;
    Ok(ReplayFiles::new(&ctx.test_dir("replays")?, name))
}

pub(crate) fn read_metadata(files: &ReplayFiles) -> Result<Metadata, EngineError> {
    metadata::read(&files.meta)
}
