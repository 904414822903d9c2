//! Shared by the crate's integration tests, which drive the library directly (tests that
//! run the `ptest` binary live in the workspace's top-level `tests/engine_*.rs`).
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// The QEMU tests need qemu-system-x86_64 (and, on a cold image cache, apt-get and dpkg).
/// They are never skipped: a machine without them fails here, naming the install command.
pub fn require_qemu() {
    let ok = |c: &str| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    assert!(
        ok("qemu-system-x86_64") && ok("apt-get") && ok("dpkg"),
        "qemu-system-x86_64, apt-get or dpkg is missing: run scripts/install-deps \
         (apt-get install --no-install-recommends qemu-system-x86)"
    );
}

/// QEMU processes whose command line mentions `needle` (e.g. a test's temp dir).
pub fn emulators_mentioning(needle: &Path) -> Vec<String> {
    let needle = needle.to_string_lossy().into_owned();
    let mut found = Vec::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in procs.flatten() {
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(&needle) && !cmd.contains("ptest ") && cmd.contains("qemu") {
                found.push(cmd);
            }
        }
    }
    found
}
