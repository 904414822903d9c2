//! A `panda-busybox` guest's snapshot: PANDA boots the busybox guest into a blank qcow2
//! and `savevm root` at its prompt; cached per guest, kernel, initramfs and PANDA build.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use regex::Regex;

use super::*;
use crate::expect::Step;
use crate::process::Group;

/// Booting Debian's kernel under PANDA's TCG takes well under a minute; leave room for a
/// loaded machine.
const BOOT_TIMEOUT: Duration = Duration::from_secs(600);

/// What a snapshot is made of.
pub(super) struct Build<'a> {
    pub guest: &'a Guest,
    pub parts: &'a debian::ImageFiles,
    /// The guest's unpacked Debian programs, if it has any.
    pub userland: Option<&'a Path>,
    pub panda: &'a Panda,
}

/// The guest's initramfs: busybox, the CD modules, its Debian programs and its files.
fn initramfs(b: &Build<'_>) -> Result<Vec<u8>, EngineError> {
    let parts = b.parts;
    let busybox = std::fs::read(&parts.busybox).map_err(EngineError::io(&parts.busybox))?;
    let mut modules = Vec::new();
    for (m, path) in parts.info.modules.iter().zip(&parts.modules) {
        modules.push((
            m.clone(),
            std::fs::read(path).map_err(EngineError::io(path))?,
        ));
    }
    let mut extra = match b.userland {
        Some(root) => debian::userland::entries(root)?,
        None => Vec::new(),
    };
    for (path, text) in b.guest.files {
        let data = text.as_bytes().to_vec();
        let file = crate::initramfs::Entry::File {
            data,
            executable: false,
        };
        extra.push((path.to_string(), file));
    }
    Ok(crate::busybox::guest_initramfs(
        &busybox, &modules, PS1, extra,
    ))
}

/// The cached snapshot for these parts and this PANDA, built now if missing.
pub(super) fn snapshot(
    cache: &Path,
    b: &Build<'_>,
    note: &dyn Fn(String),
) -> Result<(PathBuf, Snapshot), EngineError> {
    let (parts, panda, name) = (b.parts, b.panda, b.guest.name);
    let initrd = initramfs(b)?;
    let initrd_sha256 = sha256_bytes(&initrd);
    // The x86_64 guest's key is as it was before there were several guests.
    let recipe = match b.guest.name == NAME {
        true => RECIPE.to_string(),
        false => format!("{RECIPE} {name}"),
    };
    let key = sha256_bytes(
        [
            recipe.as_str(),
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
    note(format!(
        "image {name}: booting {} under PANDA to take snapshot `{SNAPSHOT}` (about a minute)",
        parts.info.kernel_package
    ));
    atomically(&dir, |work| {
        std::fs::copy(&parts.kernel, work.join("vmlinuz")).map_err(EngineError::io(work))?;
        let initrd_path = work.join("initrd.gz");
        std::fs::write(&initrd_path, &initrd).map_err(EngineError::io(&initrd_path))?;
        take_snapshot(work, name, panda)?;
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
fn take_snapshot(work: &Path, name: &str, panda: &Panda) -> Result<(), EngineError> {
    let qcow = work.join("image.qcow2");
    tool(
        Command::new(&panda.qemu_img)
            .args(["create", "-q", "-f", "qcow2"])
            .arg(&qcow)
            .arg(QCOW_SIZE),
        name,
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
    let mut group = Group::spawn(&mut cmd, "PANDA", &panda.cancel)?;
    let prompt = Regex::new(PROMPT).map_err(|e| EngineError::Usage(e.to_string()))?;
    // One more prompt after the first: the shell is idle when the snapshot is taken.
    let steps = [
        Step::Enter(Duration::from_secs(60)),
        Step::Monitor(format!("savevm {SNAPSHOT}")),
    ];
    let result = crate::dialogue::converse(
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
            "image {name}: taking snapshot `{SNAPSHOT}` failed: {e} (PANDA log: {})",
            log.display()
        ))
    })?;
    let list = tool(
        Command::new(&panda.qemu_img)
            .args(["snapshot", "-l"])
            .arg(&qcow),
        name,
        "qemu-img snapshot -l",
    )?;
    if !has_snapshot(&list, SNAPSHOT) {
        return Err(EngineError::Image(format!(
            "image {name}: `savevm {SNAPSHOT}` left no snapshot in {} (console: {}, PANDA log: {})",
            qcow.display(),
            transcript.display(),
            log.display()
        )));
    }
    Ok(())
}

/// Whether `qemu-img snapshot -l` output lists a snapshot tagged `tag`.
pub(super) fn has_snapshot(list: &str, tag: &str) -> bool {
    list.lines().any(|l| {
        let mut f = l.split_whitespace();
        f.next().is_some_and(|id| id.parse::<u32>().is_ok()) && f.next() == Some(tag)
    })
}
