//! Helpers of the engine tests (`tests/engine_*.rs`): throw-away suites for
//! `ptest record|replay|images|replays`, the `qemu-busybox` image seeded from the
//! per-machine cache (so only a cold cache needs Debian's package servers), and checks
//! that no emulator survived. The engine crate's own tests use [`require_qemu`] and
//! [`emulators_mentioning`] too.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub use crate::ptest_bin;

/// No engine command in these tests may take longer than this: building an image on a
/// cold cache and a recording on a loaded machine fit many times over; a hang does not.
pub const ENGINE_RUN_LIMIT: Duration = Duration::from_secs(600);

/// The QEMU tests need qemu-system-x86_64 (and, on a cold image cache, apt-get and dpkg).
/// They are never skipped: a machine without them fails here, naming the install command.
pub fn require_qemu() {
    let ok = |c: &str| {
        std::process::Command::new(c)
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

/// Puts a copy of the `qemu-busybox` image into `regdir/qcows/`. Its parts come from the
/// per-machine cache (`~/.cache/ptest/images/debian/`), filled from Debian's package
/// servers only when empty; the copy is made once per test binary.
pub fn seed_image(regdir: &Path) {
    static CACHE: OnceLock<PathBuf> = OnceLock::new();
    let name = ptest_engine::catalog::QEMU_BUSYBOX;
    let cache = CACHE.get_or_init(|| {
        let ctx = ptest_engine::Context {
            regression_dir: crate::target_tmp().join("engine-image-cache"),
            ..Default::default()
        };
        let spec = ptest_engine::catalog::builtin(name).expect("qemu-busybox is built in");
        ptest_engine::parts::ensure_qemu_image(&ctx, name, &spec)
            .unwrap_or_else(|e| panic!("cannot build the {name} image: {e}"))
            .dir
    });
    copy_dir(cache, &regdir.join("qcows").join(name));
}

/// A suite of the given tests (name, setup script, test script) plus `ptest.toml`.
pub struct Suite {
    pub dir: tempfile::TempDir,
}

impl Suite {
    pub fn new(ptest_toml: &str, tests: &[(&str, &str, &str)]) -> Suite {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = String::new();
        for (name, setup, test) in tests {
            let t = dir.path().join("suite").join(name);
            std::fs::create_dir_all(&t).expect("test dir");
            std::fs::write(t.join(format!("{name}-setup.py")), setup).expect("setup script");
            std::fs::write(t.join(format!("{name}-test.py")), test).expect("test script");
            config.push_str(name);
            config.push('\n');
        }
        std::fs::create_dir_all(dir.path().join("suite")).expect("suite dir");
        std::fs::write(dir.path().join("suite/config.testing"), config).expect("config.testing");
        std::fs::write(dir.path().join("suite/ptest.toml"), ptest_toml).expect("ptest.toml");
        Suite { dir }
    }

    /// A copy of `examples/qemu` limited to `tests`.
    pub fn example(tests: &[&str]) -> Suite {
        let dir = tempfile::tempdir().expect("temp dir");
        let src = crate::workspace().join("examples/qemu");
        let dst = dir.path().join("suite");
        copy_dir(&src, &dst);
        std::fs::write(dst.join("config.testing"), tests.join("\n") + "\n")
            .expect("config.testing");
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
        let mut cmd = assert_cmd::Command::new(crate::ptest_bin());
        cmd.arg("--suite")
            .arg(self.suite())
            .arg("--regression-dir")
            .arg(self.regdir())
            .args(args);
        // A hang fails here, not a bound on how long the command took.
        cmd.env_remove("PTEST_TEST")
            .env("NO_COLOR", "1")
            .timeout(ENGINE_RUN_LIMIT);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run ptest")
    }
}

/// stdout then stderr, for messages and assertion output.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("copy: mkdir");
    for e in std::fs::read_dir(src).expect("copy: read_dir") {
        let e = e.expect("copy: entry");
        let to = dst.join(e.file_name());
        if e.file_type().expect("copy: file type").is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).expect("copy: file");
        }
    }
}

/// QEMU processes whose command line mentions `needle` (e.g. a test's temp dir).
pub fn emulators_mentioning(needle: &Path) -> Vec<String> {
    let needle = needle.to_string_lossy().into_owned();
    processes_mentioning(&needle)
        .into_iter()
        .filter(|cmd| !cmd.contains("ptest ") && cmd.contains("qemu"))
        .collect()
}

/// Command lines of live processes that mention `needle` (not zombies: a killed child
/// not yet reaped by its parent is gone for our purposes).
pub fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in procs.flatten() {
        let zombie = std::fs::read_to_string(e.path().join("stat"))
            .ok()
            .and_then(|s| {
                s.rsplit_once(')')
                    .map(|(_, rest)| rest.trim_start().starts_with('Z'))
            })
            .unwrap_or(true);
        if zombie || e.file_name().to_string_lossy().parse::<u32>().is_err() {
            continue;
        }
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(needle) {
                found.push(cmd);
            }
        }
    }
    found
}

/// Polls `done` every 20 ms until it holds or `limit` passes; whether it held.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if done() {
            return true;
        }
        if start.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
