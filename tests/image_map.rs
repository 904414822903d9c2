//! Image stand-ins: `--image-map ORIGINAL=OURS` and `[image-map]` in ptest.toml make a
//! suite that records on PANDA's `i386` (the wheezy qcow, not downloadable here) record
//! on `panda-busybox-i386` instead, and map its `-os linux-32-debian:…` profile to the
//! stand-in's, each with one NOTE; without a mapping the command lines stay the
//! original's. Run against the stand-in PANDA (tests/panda_standin, journalling every
//! emulator run) and a stand-in image folder.

mod common;

use std::path::{Path, PathBuf};

use common::TestSuite;

const ORIGINAL_OS: &str = "linux-32-debian:3.2.0-4-686-pae";
const IMAGE: &str = "panda-busybox-i386";

/// A suite in PANDA's style: the setup records `cat` on `i386`, the test replays it
/// with asidstory and the original's `-os`.
fn suite() -> (TestSuite, PathBuf) {
    let s = TestSuite::new().py(
        "asid",
        &format!(
            "from ptest_utils import *\n\
             run_test_debian('-panda asidstory -os {ORIGINAL_OS}', 'cat', 'i386')\n\
             shutil.copyfile(tmpoutdir + '/asidstory', tmpoutfile)\n"
        ),
    );
    s.write(
        "asid/asid-setup.py",
        "from ptest_utils import *\nrecord_debian('guest:/bin/cat guest:/etc/passwd', 'cat', 'i386')\n",
    );
    // The stand-in PANDA, as panda-system-i386 of a build folder.
    let build = s.scratch("build");
    let bin = build.join("i386-softmmu/panda-system-i386");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    let python = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .unwrap();
    let python = String::from_utf8(python.stdout).unwrap();
    let standin = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/panda_standin/panda-system.py");
    let text = std::fs::read_to_string(standin).unwrap();
    let body = text.split_once('\n').unwrap().1;
    std::fs::write(&bin, format!("#!{}\n{body}", python.trim())).unwrap();
    std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // The stand-in image's files (a real one needs PANDA: the PANDA tier builds it).
    let qcows = s.reg.join("qcows").join(IMAGE);
    std::fs::create_dir_all(&qcows).unwrap();
    for f in [
        "vmlinuz",
        "initrd.gz",
        "kernelinfo.conf",
        &format!("{IMAGE}.qcow2"),
    ] {
        std::fs::write(qcows.join(f), f).unwrap();
    }
    (s, build)
}

/// `ptest ARGS` with the stand-in PANDA; returns all output.
fn ptest(s: &TestSuite, build: &Path, journal: &Path, args: &[&str]) -> String {
    let out = s
        .cmd()
        .args(args)
        .env("PANDA_BUILD", build)
        .env("PANDA_STANDIN_JOURNAL", journal)
        .env("PANDA_STANDIN_PROMPT", "root@ptest-panda:~# ")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "ptest {args:?}:\n{text}");
    text
}

/// Each emulator run's argv, joined by spaces.
fn argvs(journal: &Path) -> Vec<String> {
    std::fs::read_to_string(journal)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let run: serde_json::Value = serde_json::from_str(l).unwrap();
            let argv: Vec<&str> = run["argv"]
                .as_array()
                .unwrap()
                .iter()
                .skip(1)
                .map(|a| a.as_str().unwrap())
                .collect();
            argv.join(" ")
        })
        .collect()
}

fn logs(s: &TestSuite) -> String {
    let mut all = String::new();
    for e in std::fs::read_dir(s.reg.join("logs/asid")).unwrap() {
        all.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap_or_default());
    }
    all
}

#[test]
fn a_mapped_image_records_on_its_stand_in_and_its_profile_is_mapped_with_one_note_each() {
    let (s, build) = suite();
    let journal = s.scratch("journal.jsonl");
    let map = format!("i386={IMAGE}");
    ptest(
        &s,
        &build,
        &journal,
        &["--image-map", &map, "init", "--force"],
    );
    ptest(&s, &build, &journal, &["--image-map", &map, "bless"]);
    let runs = argvs(&journal);
    assert_eq!(runs.len(), 2, "{runs:#?}");
    let qcows = s.reg.join("qcows").join(IMAGE);
    let q = qcows.display();
    assert!(
        runs[0].starts_with(&format!("{q}/{IMAGE}.qcow2 -monitor"))
            && runs[0].contains(&format!("-kernel {q}/vmlinuz -initrd {q}/initrd.gz"))
            && runs[0].ends_with("-m 256M"),
        "{}",
        runs[0]
    );
    assert!(
        runs[1].ends_with(&format!(
            "-panda asidstory -os linux-32-panda-busybox-i386 \
             -panda-arg osi_linux:kconf_file={q}/kernelinfo.conf \
             -panda-arg osi_linux:kconf_group=panda-busybox-i386:32"
        )),
        "{}",
        runs[1]
    );
    let logs = logs(&s);
    let notes: Vec<&str> = logs.lines().filter(|l| l.contains("NOTE: ")).collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("image i386 is mapped to panda-busybox-i386")),
        "{logs}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains(&format!("-os {ORIGINAL_OS}")) && n.contains(IMAGE)),
        "{logs}"
    );

    // The same mapping from ptest.toml: the test replays with the mapped profile.
    let s = s.ptest_toml(&format!("[image-map]\ni386 = \"{IMAGE}\"\n"));
    ptest(&s, &build, &journal, &["test"]);
    let runs = argvs(&journal);
    assert!(
        runs[2].contains("-os linux-32-panda-busybox-i386"),
        "{}",
        runs[2]
    );

    // Without a mapping the original's -os is passed as given.
    std::fs::remove_file(s.dir.join("ptest.toml")).unwrap();
    ptest(&s, &build, &journal, &["test"]);
    let runs = argvs(&journal);
    assert!(
        runs[3].ends_with(&format!("-panda asidstory -os {ORIGINAL_OS}")),
        "{}",
        runs[3]
    );
}

#[test]
fn a_bad_mapping_is_one_line_naming_the_option_and_the_fix() {
    let s = TestSuite::new().sh("a", "true");
    let run = s.ptest(&["--image-map", "i386=panda-busybox-686", "images"]);
    run.code(2);
    let line = run.stderr.trim();
    assert!(!line.contains('\n'), "{line}");
    assert!(
        line.contains("--image-map i386=panda-busybox-686") && line.contains("ptest images"),
        "{line}"
    );
    let run = s.ptest(&["--image-map", "i386", "images"]);
    run.code(2);
    assert!(
        run.stderr.contains("is not ORIGINAL=OURS"),
        "{}",
        run.stderr
    );
}
