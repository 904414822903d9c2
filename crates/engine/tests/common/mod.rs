//! Shared by the integration tests: the real `ptest` binary and throw-away suites.
//!
//! `CARGO_BIN_EXE_ptest` exists only for tests of the package that owns the binary, so
//! these tests build it with the same cargo (`cargo build -p ptest`, a no-op when it is
//! up to date) and take its path from cargo's JSON messages; `PTEST_BIN` overrides.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn ptest_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("PTEST_BIN") {
            return PathBuf::from(p);
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .args([
                "build",
                "-p",
                "ptest",
                "--bin",
                "ptest",
                "--message-format=json-render-diagnostics",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("run cargo build -p ptest");
        assert!(out.status.success(), "cargo build -p ptest failed");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v.get("executable")?.as_str().map(PathBuf::from))
            .find(|p| p.file_name().is_some_and(|n| n == "ptest"))
            .expect("cargo reported no ptest executable")
    })
    .clone()
}

/// The QEMU tests need qemu-system-x86_64, apt-get and dpkg. They are never skipped:
/// a machine without them fails here, naming the install command.
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

/// Puts a copy of the `qemu-busybox` image into `regdir/qcows/`, built once per test
/// binary (into cargo's temp dir for integration tests) instead of once per test: each
/// build downloads ~27 MB of Debian packages.
pub fn seed_image(regdir: &Path) {
    static CACHE: OnceLock<PathBuf> = OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        let ctx = ptest_engine::Context {
            regression_dir: Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-image-cache"),
            ..Default::default()
        };
        let name = ptest_engine::catalog::QEMU_BUSYBOX;
        let spec = ptest_engine::catalog::builtin(name).unwrap();
        ptest_engine::images::ensure_qemu_image(&ctx, name, &spec)
            .unwrap()
            .dir
    });
    copy_dir(
        cache,
        &regdir
            .join("qcows")
            .join(ptest_engine::catalog::QEMU_BUSYBOX),
    );
}

/// A suite of the given tests (name → (setup script, test script)) plus `ptest.toml`.
pub struct Suite {
    pub dir: tempfile::TempDir,
}

impl Suite {
    pub fn new(ptest_toml: &str, tests: &[(&str, &str, &str)]) -> Suite {
        // Build the binary now, so that timed commands do not include the build.
        ptest_bin();
        let dir = tempfile::tempdir().unwrap();
        let mut config = String::new();
        for (name, setup, test) in tests {
            let t = dir.path().join("suite").join(name);
            std::fs::create_dir_all(&t).unwrap();
            std::fs::write(t.join(format!("{name}-setup.py")), setup).unwrap();
            std::fs::write(t.join(format!("{name}-test.py")), test).unwrap();
            config.push_str(name);
            config.push('\n');
        }
        std::fs::create_dir_all(dir.path().join("suite")).unwrap();
        std::fs::write(dir.path().join("suite/config.testing"), config).unwrap();
        std::fs::write(dir.path().join("suite/ptest.toml"), ptest_toml).unwrap();
        Suite { dir }
    }

    /// A copy of `examples/qemu` limited to `tests`.
    pub fn example(tests: &[&str]) -> Suite {
        ptest_bin();
        let dir = tempfile::tempdir().unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/qemu");
        let dst = dir.path().join("suite");
        copy_dir(&src, &dst);
        std::fs::write(dst.join("config.testing"), tests.join("\n") + "\n").unwrap();
        Suite { dir }
    }

    pub fn suite(&self) -> PathBuf {
        self.dir.path().join("suite")
    }

    pub fn regdir(&self) -> PathBuf {
        self.dir.path().join("reg")
    }

    /// `ptest --suite S --regression-dir R ARGS…` with `env`.
    pub fn ptest(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(ptest_bin());
        cmd.arg("--suite")
            .arg(self.suite())
            .arg("--regression-dir")
            .arg(self.regdir())
            .args(args);
        cmd.env_remove("PTEST_TEST").env("NO_COLOR", "1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

/// QEMU processes whose command line mentions `needle` (e.g. a test's temp dir).
pub fn emulators_mentioning(needle: &Path) -> Vec<String> {
    let needle = needle.to_string_lossy().into_owned();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(&needle) && !cmd.contains("ptest ") && cmd.contains("qemu") {
                found.push(cmd);
            }
        }
    }
    found
}
