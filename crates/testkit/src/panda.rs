//! Where the PANDA tier finds PANDA's source: `scripts/panda-src` decides (`PANDA_SRC`, a
//! tarball or a checkout, else `../shared/panda/panda-src-*.tar.xz`), the same script
//! `scripts/build-panda` and `scripts/panda-tier` ask, so tests and builds read one source.

use std::path::{Path, PathBuf};
use std::process::Command;

/// PANDA's source as `scripts/panda-src` finds it. Panics with the script's one line (how
/// to get the source) when there is none: tests that need it are in the PANDA tier, where
/// a missing source is a failure, never a skip.
pub fn source() -> PathBuf {
    let script = crate::workspace().join("scripts/panda-src");
    let out = Command::new(&script)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert!(out.status.success(), "{said}");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// Copies PANDA's `panda/<parts>` folders (e.g. `testing`, `scripts`) from the source into
/// `root/panda/panda/<part>`, the layout a tarball made with `git archive --prefix=panda/`
/// unpacks to, from a tarball or a checkout alike.
pub fn extract(root: &Path, parts: &[&str]) {
    extract_from(&source(), root, parts)
}

/// [`extract`] from a given source (a tarball or a checkout).
pub fn extract_from(src: &Path, root: &Path, parts: &[&str]) {
    std::fs::create_dir_all(root).expect("extraction folder");
    let status = if src.is_dir() {
        let dest = root.join("panda/panda");
        std::fs::create_dir_all(&dest).expect("extraction folder");
        Command::new("cp")
            .arg("-R")
            .args(parts.iter().map(|p| src.join("panda").join(p)))
            .arg(&dest)
            .status()
    } else {
        Command::new("tar")
            .arg("-xf")
            .arg(src)
            .arg("-C")
            .arg(root)
            .args(parts.iter().map(|p| format!("panda/panda/{p}")))
            .status()
    };
    let status = status.expect("cannot start cp/tar");
    assert!(
        status.success(),
        "extracting {parts:?} from {} failed",
        src.display()
    );
}

/// `$PANDA_BUILD`, checked to hold `ARCH-softmmu/panda-system-ARCH` for each of `arches`.
/// Panics (the PANDA tier fails, never skips) naming how to get a build.
pub fn build(arches: &[&str]) -> PathBuf {
    let build = std::env::var_os("PANDA_BUILD").map(PathBuf::from).unwrap_or_else(|| {
        panic!("PANDA_BUILD is not set: run `scripts/panda-tier`, or export PANDA_BUILD=$(scripts/build-panda)")
    });
    for arch in arches {
        let bin = build.join(format!("{arch}-softmmu/panda-system-{arch}"));
        assert!(
            bin.is_file(),
            "PANDA_BUILD={}: no {}; build it with scripts/build-panda (it builds x86_64 and i386)",
            build.display(),
            bin.display()
        );
    }
    build
}
