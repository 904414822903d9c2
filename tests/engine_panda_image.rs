//! The `panda-busybox` image against the real PANDA: `ptest images fetch` builds it (and
//! a second, fresh regression directory gets it from the per-machine cache), PANDA boots
//! it from snapshot `root` to the prompt, records a command, and a replay with
//! `osi_linux` and the generated `kernelinfo.conf` sees the guest's processes.
//!
//! PANDA tier: `PANDA_BUILD=$(scripts/build-panda) cargo test --test engine_panda_image
//! -- --ignored`. Without PANDA_BUILD it fails; it never skips.

mod common;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::engine::*;
use ptest_engine::parts::{
    Group, KCONF_GROUP, OS, PANDA_BUSYBOX as NAME, PROMPT, SNAPSHOT, Step, converse,
};
use regex::Regex;

fn panda_build() -> PathBuf {
    let build = std::env::var("PANDA_BUILD").unwrap_or_default();
    assert!(
        !build.is_empty(),
        "PANDA_BUILD is unset: export PANDA_BUILD=$(scripts/build-panda) and run again"
    );
    let build = PathBuf::from(build);
    assert!(
        build.join("x86_64-softmmu/panda-system-x86_64").exists(),
        "PANDA_BUILD={} holds no x86_64-softmmu/panda-system-x86_64; run scripts/build-panda",
        build.display()
    );
    build
}

/// `ptest images fetch panda-busybox` in a fresh regression directory; returns the
/// image folder, the output and how long it took.
fn fetch(suite: &Suite) -> (PathBuf, String, Duration) {
    let start = Instant::now();
    let out = suite.ptest(&["images", "fetch", NAME], &[]);
    let took = start.elapsed();
    let text = text(&out);
    assert!(out.status.success(), "ptest images fetch failed:\n{text}");
    (suite.regdir().join("qcows").join(NAME), text, took)
}

/// The numeric value of `key` in a `kernelinfo.conf`.
fn value(conf: &str, key: &str) -> i128 {
    conf.lines()
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == key).then(|| v.trim().parse().ok())?
        })
        .unwrap_or_else(|| panic!("no numeric {key} in kernelinfo.conf:\n{conf}"))
}

#[test]
#[ignore = "PANDA tier: needs PANDA_BUILD (scripts/build-panda)"]
fn panda_busybox_builds_boots_records_and_introspects() {
    let build = panda_build();
    let panda = build.join("x86_64-softmmu/panda-system-x86_64");

    let suite = Suite::new("", &[]);
    let (dir, log, took) = fetch(&suite);
    eprintln!("first fetch: {took:?}\n{log}");
    let qcow = dir.join(format!("{NAME}.qcow2"));
    for f in ["vmlinuz", "initrd.gz", "kernelinfo.conf", "image.json"] {
        assert!(dir.join(f).exists(), "{f} missing in {}", dir.display());
    }
    let image: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("image.json")).unwrap()).unwrap();
    assert_eq!(image["os"], OS);
    assert_eq!(image["kernelinfo_group"], KCONF_GROUP);

    // The snapshot is in the qcow2, as the build's own qemu-img sees it.
    let list = Command::new(build.join("qemu-img"))
        .args(["snapshot", "-l"])
        .arg(&qcow)
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.lines()
            .any(|l| l.split_whitespace().nth(1) == Some(SNAPSHOT)),
        "{list}"
    );

    // The profile: our group, sane offsets, and the kernel the image boots.
    let conf = std::fs::read_to_string(dir.join("kernelinfo.conf")).unwrap();
    assert_eq!(conf.lines().next(), Some("[panda-busybox:64]"));
    assert!(value(&conf, "task.init_addr") > 0xffff_ffff_8000_0000);
    let comm = value(&conf, "task.comm_offset");
    assert!((100..16384).contains(&comm), "task.comm_offset = {comm}");
    assert_eq!(value(&conf, "task.comm_size"), 16);
    let release = conf
        .lines()
        .find_map(|l| l.strip_prefix("name = "))
        .and_then(|n| n.split('|').next())
        .unwrap();
    let kernel_pkg = image["kernel_package"].as_str().unwrap();
    assert!(
        kernel_pkg.starts_with(&format!("linux-image-{release}_")),
        "profile of {release}, image boots {kernel_pkg}"
    );

    // A fresh clone on the same machine: two ptest processes at once, both from the cache.
    let (a, b) = (Suite::new("", &[]), Suite::new("", &[]));
    let (ta, tb) = std::thread::scope(|s| {
        let ta = s.spawn(|| fetch(&a));
        let tb = s.spawn(|| fetch(&b));
        (ta.join().unwrap(), tb.join().unwrap())
    });
    for (d, log, took) in [&ta, &tb] {
        eprintln!("cached fetch: {took:?}\n{log}");
        assert!(
            !log.contains("booting") && !log.contains("making the osi_linux profile"),
            "{log}"
        );
        let q = d.join(format!("{NAME}.qcow2"));
        assert_eq!(std::fs::read(&q).unwrap(), std::fs::read(&qcow).unwrap());
        // A copy, not a link: recordings write to it.
        assert!(!q.is_symlink());
        assert_eq!(std::fs::metadata(&q).map(|m| nlink(&m)).unwrap(), 1);
    }

    // Boot from the snapshot: the prompt comes back without a kernel boot.
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let base = w.join("rec");
    let transcript = w.join("console.log");
    let mut cmd = Command::new(&panda);
    cmd.arg(&qcow)
        .args(["-loadvm", SNAPSHOT, "-m", "256", "-kernel"])
        .arg(dir.join("vmlinuz"))
        .arg("-initrd")
        .arg(dir.join("initrd.gz"))
        .args([
            "-append",
            "console=ttyS0 panic=-1 nokaslr",
            "-display",
            "none",
        ])
        .arg("-monitor")
        .arg(format!("unix:{},server,nowait", w.join("m").display()))
        .arg("-serial")
        .arg(format!("unix:{},server,nowait", w.join("s").display()))
        .current_dir(w)
        .stdout(std::fs::File::create(w.join("record.log")).unwrap())
        .stderr(std::fs::File::create(w.join("record.err")).unwrap());
    let mut group =
        Group::spawn(&mut cmd, "PANDA", &ptest_engine::process::Cancel::noop()).unwrap();
    let steps = [
        Step::Type("cat /proc/version".into()),
        Step::Monitor(format!("begin_record \"{}\"", base.display())),
        Step::Enter(Duration::from_secs(60)),
        Step::Monitor("end_record".into()),
    ];
    let talked = converse(
        &mut group,
        &w.join("m"),
        &w.join("s"),
        &transcript,
        &Regex::new(PROMPT).unwrap(),
        Duration::from_secs(60),
        &steps,
    );
    if talked.is_err() || group.wait_for(Duration::from_secs(30)).is_none() {
        group.kill_tree();
    }
    let console = std::fs::read_to_string(&transcript).unwrap_or_default();
    talked.unwrap_or_else(|e| panic!("{e}\nconsole:\n{console}"));
    assert!(console.contains(PROMPT), "{console}");
    assert!(console.contains("Linux version 6."), "{console}");
    assert!(
        !console.contains("Run /init"),
        "the guest booted instead of resuming snapshot {SNAPSHOT}:\n{console}"
    );
    for f in ["rec-rr-snp", "rec-rr-nondet.log"] {
        assert!(w.join(f).exists(), "no {f}");
    }

    // Replays with osi_linux: the profile loads (explicit group, and the default group
    // osi_linux derives from -os) and OS introspection names the recorded `cat`.
    let kconf = dir.join("kernelinfo.conf");
    let cat = Regex::new(r"\[cat[^\]]*/ \d+\]").unwrap();
    for group_arg in [format!(",kconf_group={KCONF_GROUP}"), String::new()] {
        let out_dir = tempfile::tempdir().unwrap();
        let out = Command::new(&panda)
            .args(["-m", "256", "-display", "none", "-replay"])
            .arg(&base)
            .args(["-os", OS, "-panda", "osi", "-panda"])
            .arg(format!(
                "osi_linux:kconf_file={}{group_arg}",
                kconf.display()
            ))
            .args(["-panda", "asidstory"])
            .current_dir(out_dir.path())
            .output()
            .unwrap();
        let log = text(&out);
        assert!(
            out.status.success(),
            "replay ({group_arg:?}) failed:\n{log}"
        );
        assert!(!log.contains("Failed to read group"), "{log}");
        assert!(log.contains("Replay completed successfully"), "{log}");
        let story = std::fs::read_to_string(out_dir.path().join("asidstory")).unwrap();
        assert!(
            cat.is_match(&story),
            "asidstory names no `cat` process:\n{story}"
        );
    }
}

fn nlink(m: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    m.nlink()
}
