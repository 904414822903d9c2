//! `ptest archive` / `ptest unarchive`: recordings made on one machine replay on another.
//! The "recordings" are random bytes a setup script writes into `replays/NAME`, so a test
//! that passes after unarchiving can only have read the packed recording.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::{TestSuite, read};

const TESTS: [&str; 4] = ["alpha", "beta", "gamma", "delta"];

/// Four tests: setup records random bytes, the test copies them to its output (and errors
/// without a recording). Set up and blessed.
fn recorded() -> TestSuite {
    let mut s = TestSuite::new();
    for name in TESTS {
        s = s
            .setup_sh(
                name,
                "od -An -N16 -tx1 /dev/urandom > \"$PTEST_REPLAY_DIR/rec.log\"\n\
                 echo setup-note > \"$PTEST_MISC_DIR/note\"",
            )
            .sh(
                name,
                "[ -f \"$PTEST_REPLAY_DIR/rec.log\" ] || { echo no recording >&2; exit 3; }\n\
                 cat \"$PTEST_REPLAY_DIR/rec.log\" > \"$PTEST_OUTFILE\"",
            );
    }
    s.ptest(&["setup"]).code(0);
    s.ptest(&["bless"]).code(0);
    s
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// Every regular file under `root`, relative (the lock file aside).
fn files_under(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).expect("under root");
                out.push(rel.display().to_string());
            }
        }
    }
    out.retain(|f| f != ".ptest/lock");
    out.sort();
    out
}

/// The manifest's test names.
fn manifest_tests(archive: &Path) -> Vec<String> {
    let file = std::fs::File::open(archive).expect("archive");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in tar.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        if entry.path().expect("path").to_str() == Some("ptest-archive.json") {
            let mut text = String::new();
            entry.read_to_string(&mut text).expect("manifest");
            let v: serde_json::Value = serde_json::from_str(&text).expect("manifest JSON");
            let mut names: Vec<String> = v["tests"]
                .as_array()
                .expect("tests")
                .iter()
                .map(|t| t.as_str().expect("name").to_string())
                .collect();
            names.sort();
            return names;
        }
    }
    panic!("{}: no manifest", archive.display());
}

/// `ptest --regression-dir REGDIR unarchive ARCHIVE`.
fn unarchive(s: &TestSuite, regdir: &Path, archive: &Path) -> common::Run {
    s.ptest(&["--regression-dir", path(regdir), "unarchive", path(archive)])
}

type GzBuilder = tar::Builder<flate2::write::GzEncoder<std::fs::File>>;

/// A gzip'd tar builder writing `out`.
fn builder(out: &Path) -> GzBuilder {
    tar::Builder::new(flate2::write::GzEncoder::new(
        std::fs::File::create(out).expect("create"),
        flate2::Compression::default(),
    ))
}

/// Appends every member of `archive` to `builder`, letting `edit` change each one's data
/// (given its name), then finishes the archive.
fn copy_members(archive: &Path, mut builder: GzBuilder, mut edit: impl FnMut(&str, &mut Vec<u8>)) {
    let file = std::fs::File::open(archive).expect("archive");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in tar.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let name = entry.path().expect("path").display().to_string();
        let mut header = entry.header().clone();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("data");
        edit(&name, &mut data);
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append(&header, data.as_slice()).expect("append");
    }
    builder.into_inner().expect("tar").finish().expect("gzip");
}

/// Rewrite `archive` member by member, letting `edit` change each (name, data).
fn rewrite(archive: &Path, out: &Path, edit: impl FnMut(&str, &mut Vec<u8>)) {
    copy_members(archive, builder(out), edit);
}

#[test]
fn archive_then_unarchive_into_a_fresh_directory_then_test_passes() {
    let s = recorded();
    let archive = s.scratch("all.tar.gz");
    s.ptest(&["archive", "-o", path(&archive)])
        .code(0)
        .says(&["packed 12 files", "of 4 tests"]);
    let fresh = s.scratch("fresh-reg");
    unarchive(&s, &fresh, &archive)
        .code(0)
        .says(&["12 folders placed"]);
    for name in TESTS {
        assert_eq!(
            read(fresh.join("replays").join(name).join("rec.log")),
            read(s.reg.join("replays").join(name).join("rec.log")),
            "{name}'s recording travelled unchanged"
        );
        assert_eq!(
            read(fresh.join("misc").join(name).join("note")),
            "setup-note\n"
        );
    }
    let run = s.ptest(&["--regression-dir", path(&fresh), "test"]);
    run.code(0);
    for name in TESTS {
        assert_eq!(run.status_of(name), "PASS", "{}", run.all());
    }
    // Unpacking the same archive again finds everything identical and changes nothing.
    unarchive(&s, &fresh, &archive)
        .code(0)
        .says(&["0 folders placed, 12 already identical"]);
}

#[test]
fn an_unarchive_removes_the_staging_left_by_a_killed_one() {
    let s = recorded();
    let archive = s.scratch("all.tar.gz");
    s.ptest(&["archive", "-o", path(&archive)]).code(0);
    let fresh = s.scratch("fresh-reg");
    unarchive(&s, &fresh, &archive).code(0);
    // What a SIGKILL mid-unarchive leaves: a staging folder with half the members.
    let state = fresh.join(".ptest");
    let left = state.join(".unarchive-AbC123");
    std::fs::create_dir_all(left.join("replays/alpha")).unwrap();
    std::fs::write(left.join("replays/alpha/rec.log"), "half").unwrap();
    // A file of that name, and links, are not staging folders: left alone.
    std::fs::write(state.join(".unarchive-file"), "x").unwrap();
    let kept = s.scratch("kept");
    std::fs::create_dir_all(&kept).unwrap();
    std::fs::write(kept.join("precious"), "y").unwrap();
    std::os::unix::fs::symlink(&kept, state.join(".unarchive-link")).unwrap();
    unarchive(&s, &fresh, &archive)
        .code(0)
        .says(&["12 already identical"]);
    assert!(!left.exists(), "the leftover staging folder is gone");
    assert!(state.join(".unarchive-file").exists());
    assert!(state.join(".unarchive-link").is_symlink());
    assert_eq!(read(kept.join("precious")), "y", "a link is not followed");
    let staging: Vec<_> = std::fs::read_dir(&state)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name().to_string_lossy().starts_with(".unarchive-")
                && e.file_type().is_ok_and(|t| t.is_dir())
        })
        .collect();
    assert!(staging.is_empty(), "no staging folder left: {staging:?}");
}

#[test]
fn a_partitioned_archive_holds_exactly_the_shard_that_test_runs() {
    let s = recorded();
    let mut all = Vec::new();
    for k in 1..=2 {
        let archive = s.scratch(&format!("shard{k}.tar.gz"));
        let partition = format!("hash:{k}/2");
        s.ptest(&["archive", "--partition", &partition, "-o", path(&archive)])
            .code(0);
        let packed = manifest_tests(&archive);
        let json = s.scratch(&format!("shard{k}.json"));
        s.ptest(&["test", "--partition", &partition, "--json", path(&json)])
            .code(0);
        let report: serde_json::Value = serde_json::from_str(&read(&json)).expect("report");
        let mut ran: Vec<String> = report["tests"]
            .as_array()
            .expect("tests")
            .iter()
            .map(|t| t["name"].as_str().expect("name").to_string())
            .collect();
        ran.sort();
        assert_eq!(
            packed, ran,
            "shard {k}: archive and test select the same tests"
        );
        all.extend(packed);
    }
    all.sort();
    let mut expected: Vec<String> = TESTS.iter().map(|t| t.to_string()).collect();
    expected.sort();
    assert_eq!(
        all, expected,
        "the two shards' archives hold every test once"
    );
}

#[test]
fn a_tampered_member_is_refused_by_name_and_nothing_is_placed() {
    let s = recorded();
    let archive = s.scratch("good.tar.gz");
    s.ptest(&["archive", "-o", path(&archive)]).code(0);
    let bad = s.scratch("tampered.tar.gz");
    let mut flipped = false;
    rewrite(&archive, &bad, |name, data| {
        if name == "replays/gamma/rec.log" {
            data[3] ^= 0x01;
            flipped = true;
        }
    });
    assert!(flipped, "the archive has replays/gamma/rec.log");
    let fresh = s.scratch("fresh-reg");
    let run = unarchive(&s, &fresh, &bad);
    run.code(2).says(&[
        "member \"replays/gamma/rec.log\": SHA-256 differs from the manifest's",
        "nothing was unpacked",
    ]);
    assert_eq!(run.stderr.lines().count(), 1, "one line:\n{}", run.stderr);
    assert_eq!(files_under(&fresh), Vec::<String>::new(), "nothing written");
}

#[test]
fn traversal_and_link_members_are_refused() {
    let s = recorded();
    let good = s.scratch("good.tar.gz");
    s.ptest(&["archive", "-o", path(&good)]).code(0);
    let outside = s.tmp.path().join("evil");

    // `../evil`: the tar crate refuses to write such a name, so set the header's bytes.
    let traversal = s.scratch("traversal.tar.gz");
    craft(&good, &traversal, |builder| {
        let mut h = tar::Header::new_gnu();
        let name = b"../evil";
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_size(4);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        builder.append(&h, &b"pwnd"[..]).expect("append");
    });
    let fresh = s.scratch("fresh-reg");
    unarchive(&s, &fresh, &traversal)
        .code(2)
        .says(&["member \"../evil\": climbs out with `..`"]);
    assert!(!outside.exists(), "nothing written outside");
    assert_eq!(files_under(&fresh), Vec::<String>::new());

    let absolute = s.scratch("absolute.tar.gz");
    craft(&good, &absolute, |builder| {
        let mut h = tar::Header::new_gnu();
        let name = outside.to_str().expect("utf-8").as_bytes();
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_size(4);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        builder.append(&h, &b"pwnd"[..]).expect("append");
    });
    unarchive(&s, &fresh, &absolute)
        .code(2)
        .says(&["is an absolute path"]);
    assert!(!outside.exists(), "nothing written outside");

    let link = s.scratch("link.tar.gz");
    craft(&good, &link, |builder| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        builder
            .append_link(&mut h, "replays/alpha/escape", "/etc")
            .expect("link");
    });
    unarchive(&s, &fresh, &link)
        .code(2)
        .says(&["member \"replays/alpha/escape\": is a link"]);
    assert_eq!(files_under(&fresh), Vec::<String>::new());
}

#[test]
fn a_manifest_naming_a_test_outside_is_refused() {
    let s = recorded();
    let good = s.scratch("good.tar.gz");
    s.ptest(&["archive", "-o", path(&good)]).code(0);
    let bad = s.scratch("bad-manifest.tar.gz");
    rewrite(&good, &bad, |name, data| {
        if name == "ptest-archive.json" {
            let mut v: serde_json::Value = serde_json::from_slice(data).expect("manifest");
            v["tests"][0] = "../../escaped".into();
            *data = serde_json::to_vec(&v).expect("json");
        }
    });
    let fresh = s.scratch("fresh-reg");
    unarchive(&s, &fresh, &bad)
        .code(2)
        .says(&["test name \"../../escaped\" is not a plain name"]);
    assert!(!s.tmp.path().join("escaped").exists());
    assert_eq!(files_under(&fresh), Vec::<String>::new());
}

/// A copy of `good` with members `add` writes first.
fn craft(good: &Path, out: &Path, add: impl FnOnce(&mut GzBuilder)) {
    let mut b = builder(out);
    add(&mut b);
    copy_members(good, b, |_, _| {});
}

#[test]
fn a_different_existing_reference_is_never_overwritten() {
    let s = recorded();
    let archive = s.scratch("all.tar.gz");
    s.ptest(&["archive", "-o", path(&archive)]).code(0);
    let other: PathBuf = s.scratch("other-reg");
    let mine = other.join("blessed/beta/beta.out");
    std::fs::create_dir_all(mine.parent().expect("parent")).expect("mkdir");
    std::fs::create_dir_all(other.join(".ptest")).expect("mkdir");
    std::fs::write(&mine, "my own reference\n").expect("write");
    let run = unarchive(&s, &other, &archive);
    run.code(2).says(&[
        "blessed/beta already exists and differs from the archive's (beta.out differs)",
        "Move it aside (or delete it) and run `ptest unarchive",
    ]);
    assert_eq!(read(&mine), "my own reference\n", "untouched");
    assert!(
        !other.join("replays/alpha/rec.log").exists(),
        "all or nothing: no other test's folders were placed either"
    );
    let leftovers: Vec<_> = std::fs::read_dir(other.join(".ptest"))
        .expect("state dir")
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().starts_with(".unarchive-"))
        .collect();
    assert!(leftovers.is_empty(), "staging removed: {leftovers:?}");
}

#[test]
fn a_truncated_archive_is_refused_in_one_line() {
    let s = recorded();
    let archive = s.scratch("all.tar.gz");
    s.ptest(&["archive", "-o", path(&archive)]).code(0);
    let bytes = std::fs::read(&archive).expect("read");
    let cut = s.scratch("cut.tar.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let fresh = s.scratch("fresh-reg");
    let run = unarchive(&s, &fresh, &cut);
    run.code(2).says(&[
        "not a readable ptest archive",
        "make it again with `ptest archive`",
    ]);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_eq!(files_under(&fresh), Vec::<String>::new());
}

#[test]
fn images_travel_only_with_dash_dash_images() {
    // `alpha` names a suite image by file; `beta`'s recording metadata names a built
    // image (a folder in qcows/). Both are stand-ins: nothing boots them here.
    let s = recorded()
        .ptest_toml("[images.tiny]\nengine = \"qemu\"\nfile = \"tiny.qcow2\"\n")
        .test_toml("alpha", "image = \"tiny\"\n");
    let qcows = s.reg.join("qcows");
    std::fs::write(qcows.join("tiny.qcow2"), "QFI\u{fb} tiny disk").expect("qcow");
    std::fs::create_dir_all(qcows.join("qemu-busybox")).expect("mkdir");
    std::fs::write(qcows.join("qemu-busybox/vmlinuz"), "kernel").expect("kernel");
    std::fs::write(qcows.join("unused.qcow2"), "not used by any test").expect("qcow");
    std::fs::write(
        s.reg.join("replays/beta/rec.meta.json"),
        r#"{"image": "qemu-busybox"}"#,
    )
    .expect("meta");

    let without = s.scratch("without.tar.gz");
    s.ptest(&["archive", "-o", path(&without)]).code(0);
    let with = s.scratch("with.tar.gz");
    s.ptest(&["archive", "--images", "-o", path(&with), "alpha", "beta"])
        .code(0)
        .says(&["of 2 tests and 2 images"]);

    let fresh = s.scratch("fresh-reg");
    unarchive(&s, &fresh, &without).code(0);
    assert!(
        !fresh.join("qcows/tiny.qcow2").exists(),
        "no images without --images"
    );
    let fresh2 = s.scratch("fresh-reg2");
    unarchive(&s, &fresh2, &with).code(0);
    assert_eq!(read(fresh2.join("qcows/tiny.qcow2")), "QFI\u{fb} tiny disk");
    assert_eq!(read(fresh2.join("qcows/qemu-busybox/vmlinuz")), "kernel");
    assert!(
        !fresh2.join("qcows/unused.qcow2").exists(),
        "only the images tests use"
    );
    assert!(
        !fresh2.join("replays/gamma").join("rec.log").exists(),
        "only the named tests"
    );

    // An image the tests need but qcows/ lacks: say how to get it.
    std::fs::remove_file(qcows.join("tiny.qcow2")).expect("rm");
    s.ptest(&[
        "archive",
        "--images",
        "-o",
        path(&s.scratch("x.tar.gz")),
        "alpha",
    ])
    .code(2)
    .says(&[
        "image tiny (used by alpha) is not in",
        "`ptest images fetch tiny`",
    ]);
}
