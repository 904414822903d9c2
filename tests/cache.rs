//! `ptest cache list|prune` on real temporary cache folders (`PTEST_CACHE`,
//! `XDG_CACHE_HOME`): entries with their kind, size and last use; prune keeping the newest
//! N or the recently used, never an entry whose lock is held; and the stamps that use
//! updates (`scripts/build-panda` on a cached build, the engine when it copies an image's
//! parts).

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use common::{Run, TestSuite};

const DAY: Duration = Duration::from_secs(86_400);

/// A temp cache root and a suite to run ptest from.
struct Cache {
    suite: TestSuite,
    root: PathBuf,
}

impl Cache {
    fn new() -> Cache {
        let suite = TestSuite::new();
        let root = suite.tmp.path().join("cache");
        std::fs::create_dir_all(&root).unwrap();
        Cache { suite, root }
    }

    /// `KIND_DIR/KEY/` holding `bytes` bytes, last used `age` ago (its stamp).
    fn entry(&self, kind_dir: &str, key: &str, bytes: usize, age: Duration) -> PathBuf {
        let dir = self.root.join(kind_dir).join(key);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/data"), vec![b'x'; bytes]).unwrap();
        let stamp = self.root.join(kind_dir).join(format!("{key}.used"));
        let f = File::create(&stamp).unwrap();
        f.set_modified(SystemTime::now() - age).unwrap();
        dir
    }

    fn ptest(&self, args: &[&str]) -> Run {
        let out = self
            .suite
            .cmd()
            .env("PTEST_CACHE", &self.root)
            .args(args)
            .output()
            .unwrap();
        Run::from(out)
    }
}

#[test]
fn list_shows_each_entry_with_kind_size_and_last_use() {
    let c = Cache::new();
    c.entry("panda", "c5e04bb4e27931c5", 2048, 3 * DAY);
    c.entry(
        "images/debian",
        "linux-image_6.1+busybox_1.35",
        100,
        DAY / 2,
    );
    c.entry("images/panda-busybox", "0123456789abcdef", 10, 40 * DAY);
    // Not entries: a build under way, lock and stamp files.
    std::fs::create_dir_all(c.root.join("panda/.d00d.building-7")).unwrap();
    std::fs::write(c.root.join("panda/c5e04bb4e27931c5.lock"), "").unwrap();
    let run = c.ptest(&["cache", "list"]);
    run.code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", run.all());
    assert!(lines[0].starts_with("KIND"), "{}", lines[0]);
    let row = |key: &str| {
        *lines
            .iter()
            .find(|l| l.ends_with(key))
            .unwrap_or_else(|| panic!("no row for {key}:\n{}", run.all()))
    };
    let panda = row("c5e04bb4e27931c5");
    assert!(panda.starts_with("panda-build"), "{panda}");
    assert!(panda.contains("2.0 KiB"), "{panda}");
    assert!(panda.contains("(3d ago)"), "{panda}");
    let parts = row("linux-image_6.1+busybox_1.35");
    assert!(parts.starts_with("image-parts"), "{parts}");
    assert!(
        parts.contains("100 B") && parts.contains("(12h ago)"),
        "{parts}"
    );
    assert!(row("0123456789abcdef").starts_with("panda-image"));
    assert!(!run.stdout.contains("d00d"), "{}", run.stdout);
    assert!(
        lines[4].starts_with("3 entries, 2.1 KiB in "),
        "{}",
        lines[4]
    );
}

#[test]
fn the_cache_is_under_xdg_cache_home_without_ptest_cache() {
    let c = Cache::new();
    let xdg = c.suite.tmp.path().join("xdg");
    std::fs::create_dir_all(xdg.join("ptest/panda/k1")).unwrap();
    let out = c
        .suite
        .cmd()
        .env_remove("PTEST_CACHE")
        .env("XDG_CACHE_HOME", &xdg)
        .args(["cache", "list"])
        .output()
        .unwrap();
    let run = Run::from(out);
    run.code(0).says(&["panda-build", "k1", "1 entries"]);
    assert!(
        run.stdout
            .contains(&xdg.join("ptest").display().to_string())
    );
}

#[test]
fn prune_keeps_the_newest_n_of_each_kind_and_dry_run_removes_nothing() {
    let c = Cache::new();
    let old = c.entry("panda", "old", 10, 9 * DAY);
    let mid = c.entry("panda", "mid", 10, 5 * DAY);
    let new = c.entry("panda", "new", 10, DAY);
    let parts = c.entry("images/debian", "parts", 10, 100 * DAY);

    let run = c.ptest(&["cache", "prune", "--keep", "1", "--dry-run"]);
    run.code(0)
        .says(&["would remove panda-build", "would remove 2 entries"]);
    assert!(run.stdout.contains(" mid") && run.stdout.contains(" old"));
    assert!(old.exists() && mid.exists());

    let run = c.ptest(&["cache", "prune", "--keep", "1"]);
    run.code(0)
        .says(&["removed 2 entries (20 B); 0 in use kept"]);
    assert!(!old.exists() && !mid.exists());
    assert!(!c.root.join("panda/old.used").exists());
    // The newest of each kind stays: the only image parts too, however old.
    assert!(new.exists() && parts.exists());
    assert!(!c.root.join("panda/.old.pruning").exists());
}

#[test]
fn prune_max_age_keeps_what_was_used_lately() {
    let c = Cache::new();
    let stale = c.entry("images/debian", "stale", 10, 40 * DAY);
    let fresh = c.entry("images/debian", "fresh", 10, 2 * DAY);
    let kinfo = c.entry("images/kernelinfo", "linux_6.1", 10, 31 * DAY);
    c.ptest(&["cache", "prune", "--max-age", "30d"])
        .code(0)
        .says(&["removed 2 entries"]);
    assert!(!stale.exists() && !kinfo.exists());
    assert!(fresh.exists());
    // Both rules: an entry either keeps stays.
    let older = c.entry("images/debian", "older", 10, 50 * DAY);
    c.ptest(&["cache", "prune", "--keep", "0", "--max-age", "7d"])
        .code(0)
        .says(&["removed 1 entries"]);
    assert!(!older.exists() && fresh.exists());
}

#[test]
fn prune_never_removes_an_entry_whose_lock_is_held() {
    let c = Cache::new();
    let building = c.entry("panda", "busy", 10, 9 * DAY);
    let reading = c.entry("images/debian", "read", 10, 9 * DAY);
    let snapshot = c.entry("images/panda-busybox", "snap", 10, 9 * DAY);
    let idle = c.entry("panda", "idle", 10, 9 * DAY);
    // scripts/build-panda's lock (flock(1) on panda/KEY.lock), held by another process
    // until its standard input closes (`-o`: `cat` does not inherit the lock).
    let mut holder = Command::new("flock")
        .arg("-o")
        .arg(c.root.join("panda/busy.lock"))
        .arg("cat")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_lock(&c.root.join("panda/busy.lock"));
    // A reader of image parts holds its lock shared; the panda-busybox builder its own.
    let reader = File::create(c.root.join("images/debian/read.lock")).unwrap();
    reader.lock_shared().unwrap();
    let builder = File::create(c.root.join("images/panda-busybox.lock")).unwrap();
    builder.lock().unwrap();

    let run = c.ptest(&["cache", "prune", "--keep", "0"]);
    drop(holder.stdin.take());
    holder.wait().unwrap();
    run.code(0).says(&[
        "in use, kept panda-build",
        "in use, kept image-parts",
        "in use, kept panda-image",
        "removed 1 entries (10 B); 3 in use kept",
    ]);
    assert!(building.exists() && reading.exists() && snapshot.exists());
    assert!(!idle.exists());

    // Released, they go.
    drop((reader, builder));
    c.ptest(&["cache", "prune", "--keep", "0"])
        .code(0)
        .says(&["removed 3 entries"]);
    assert!(!building.exists() && !reading.exists() && !snapshot.exists());
}

/// Until the `flock` process holds `lock` (a try-lock from here fails).
fn wait_for_lock(lock: &Path) {
    for _ in 0..600 {
        if let Ok(f) = File::open(lock)
            && matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock))
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("flock never took {}", lock.display());
}

#[test]
fn a_removal_cut_short_and_stamps_of_missing_entries_are_swept_by_the_next_prune() {
    let c = Cache::new();
    let left = c.root.join("panda/.gone.pruning/deep");
    std::fs::create_dir_all(&left).unwrap();
    std::fs::write(left.join("f"), "x").unwrap();
    std::fs::write(c.root.join("panda/gone.lock"), "").unwrap();
    // A stamp whose entry never came (its build failed), one whose entry is there.
    std::fs::write(c.root.join("panda/failed.used"), "").unwrap();
    c.entry("panda", "kept", 10, DAY);
    c.ptest(&["cache", "prune", "--keep", "5"]).code(0);
    assert!(!c.root.join("panda/.gone.pruning").exists());
    assert!(!c.root.join("panda/failed.used").exists());
    assert!(c.root.join("panda/kept.used").exists());
}

#[test]
fn prune_without_a_rule_or_with_a_bad_age_is_refused() {
    let c = Cache::new();
    let e = c.entry("panda", "k", 10, 9 * DAY);
    c.ptest(&["cache", "prune"])
        .code(2)
        .says(&["--keep N", "--max-age"]);
    c.ptest(&["cache", "prune", "--max-age", "30 parsecs"])
        .code(2)
        .says(&["write ages like `30d`"]);
    assert!(e.exists());
}

#[test]
fn build_panda_stamps_a_cached_build_as_used() {
    let c = Cache::new();
    // A stand-in source: build-panda only hashes it for a cached build.
    let src = c.suite.tmp.path().join("panda-src.tar");
    let status = Command::new("tar")
        .arg("-cf")
        .arg(&src)
        .arg("-C")
        .arg(c.suite.tmp.path())
        .arg("suite")
        .status()
        .unwrap();
    assert!(status.success());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/build-panda");
    let build_panda = |args: &[&str]| {
        let out = Command::new(&script)
            .args(args)
            .env("PANDA_SRC", &src)
            .env("PTEST_CACHE", &c.root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let entry = PathBuf::from(build_panda(&["--cache-entry"]));
    assert_eq!(entry.parent().unwrap(), c.root.join("panda"));
    // A complete build there, made long ago.
    for arch in ["x86_64", "i386"] {
        let bin = entry.join(format!("panda/build/{arch}-softmmu/panda-system-{arch}"));
        std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
        std::fs::write(&bin, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
    }
    std::fs::write(entry.join("complete"), "").unwrap();
    let key = entry.file_name().unwrap().to_str().unwrap().to_string();
    let stale = File::create(c.root.join(format!("panda/{key}.used"))).unwrap();
    stale.set_modified(SystemTime::now() - 9 * DAY).unwrap();
    c.ptest(&["cache", "list"]).code(0).says(&["(9d ago)"]);

    assert_eq!(
        build_panda(&[]),
        entry.join("panda/build").display().to_string()
    );
    c.ptest(&["cache", "list"]).code(0).never_says("(9d ago)");
    // So a prune by age keeps it.
    c.ptest(&["cache", "prune", "--max-age", "1d"])
        .code(0)
        .says(&["removed 0 entries"]);
    assert!(entry.exists());
}

#[test]
fn copying_an_images_parts_from_the_cache_stamps_them_as_used() {
    common::engine::require_qemu();
    // The per-machine cache's qemu-busybox parts (filled from Debian only when cold),
    // copied into a temp cache so its stamps are this test's.
    let real = {
        let s = TestSuite::new();
        common::engine::seed_image(&s.reg);
        ptest_engine::cache_entries::root()
            .unwrap()
            .join("images/debian")
    };
    let c = Cache::new();
    let parts = c.root.join("images/debian");
    std::fs::create_dir_all(&parts).unwrap();
    let mut copied = 0;
    for e in std::fs::read_dir(&real).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() && !name.starts_with('.') {
            let status = Command::new("cp")
                .arg("-R")
                .arg(e.path())
                .arg(&parts)
                .status()
                .unwrap();
            assert!(status.success());
            copied += 1;
        }
    }
    assert!(copied > 0, "the image cache holds qemu-busybox's parts");
    let stamps = || {
        std::fs::read_dir(&parts)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".used"))
            .collect::<Vec<_>>()
    };
    assert!(stamps().is_empty());
    let s = c.suite.tmp.path().join("suite/ptest.toml");
    std::fs::write(&s, "image = \"qemu-busybox\"\n").unwrap();
    c.ptest(&["images", "fetch", "qemu-busybox"])
        .code(0)
        .says(&["copying its parts from the cache"]);
    // Only the parts qemu-busybox was made of (the cache may hold others' too).
    let stamped = stamps();
    assert_eq!(stamped.len(), 1, "{stamped:?}");
    assert!(parts.join(stamped[0].trim_end_matches(".used")).is_dir());
}

#[test]
fn each_guest_has_its_own_image_kind_and_lock_and_every_guest_guards_kernel_profiles() {
    let c = Cache::new();
    let i386 = c.entry("images/panda-busybox-i386", "snap32", 10, 9 * DAY);
    let x86 = c.entry("images/panda-busybox", "snap64", 10, 9 * DAY);
    let profile = c.entry("images/kernelinfo", "6.1.0-57-686", 10, 9 * DAY);
    c.ptest(&["cache", "list"]).code(0).says(&[
        "panda-image:i386",
        "snap32",
        "panda-image ",
        "snap64",
    ]);

    // The i386 builder is at work: its snapshots and the kernel profiles (it may be
    // writing one) stay; the x86_64 guest's snapshot goes.
    let builder = File::create(c.root.join("images/panda-busybox-i386.lock")).unwrap();
    builder.lock().unwrap();
    c.ptest(&["cache", "prune", "--keep", "0"]).code(0).says(&[
        "in use, kept panda-image:i386",
        "in use, kept kernel-profile",
        "removed 1 entries",
    ]);
    assert!(i386.exists() && profile.exists());
    assert!(!x86.exists());
    drop(builder);
    c.ptest(&["cache", "prune", "--keep", "0"])
        .code(0)
        .says(&["removed 2 entries"]);
    assert!(!i386.exists() && !profile.exists());
}
