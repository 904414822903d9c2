//! The one lookup of PANDA's source (`scripts/panda-src`, wrapped by `common::panda`) that
//! `scripts/build-panda`, `scripts/panda-tier` and the PANDA-tier tests share: `PANDA_SRC`
//! (a tarball or a checkout), else `../shared/panda/panda-src-*.tar.xz` beside the
//! repository, else one line saying how to get it. Runs on a bare clone: nothing here needs
//! PANDA, only a copy of the script in a temp layout and small stand-in sources.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `root/repo/scripts/panda-src`, a copy of the real script, so `../shared` is `root/shared`.
fn layout() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    std::fs::create_dir_all(root.join("repo/scripts")).unwrap();
    let script = root.join("repo/scripts/panda-src");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/panda-src"),
        &script,
    )
    .unwrap();
    (tmp, script)
}

fn run(script: &Path, panda_src: Option<&Path>) -> Output {
    let mut cmd = Command::new(script);
    cmd.env_remove("PANDA_SRC");
    if let Some(src) = panda_src {
        cmd.env("PANDA_SRC", src);
    }
    cmd.output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn one_line_error(out: &Output) -> String {
    assert!(!out.status.success(), "succeeded: {}", stdout(out));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

/// A checkout's shape: `panda/testing/…` and `panda/scripts/…`.
fn checkout(dir: &Path) {
    for (rel, text) in [
        ("panda/testing/ptest.py", "# the original\n"),
        ("panda/scripts/helper.py", "# a script\n"),
        ("panda/plugins/other.c", "// not asked for\n"),
    ] {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A tarball as `git archive --prefix=panda/` makes it, of [`checkout`].
fn tarball(path: &Path) {
    let tree = tempfile::tempdir().unwrap();
    checkout(&tree.path().join("panda"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let status = Command::new("tar")
        .arg("-cJf")
        .arg(path)
        .arg("-C")
        .arg(tree.path())
        .arg("panda")
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn without_panda_src_or_shared_it_says_in_one_line_how_to_get_the_source() {
    let (_tmp, script) = layout();
    let err = one_line_error(&run(&script, None));
    assert!(err.contains("set PANDA_SRC"), "{err}");
    assert!(err.contains("shared/panda/"), "{err}");
}

#[test]
fn the_tarball_in_shared_is_found_beside_the_repository() {
    let (tmp, script) = layout();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    let tar = root.join("shared/panda/panda-src-0123456789.tar.xz");
    tarball(&tar);
    assert_eq!(stdout(&run(&script, None)), tar.display().to_string());

    // Two tarballs: which one is meant is the user's to say.
    tarball(&root.join("shared/panda/panda-src-abcdef.tar.xz"));
    let err = one_line_error(&run(&script, None));
    assert!(err.contains("2 PANDA source tarballs"), "{err}");
    // PANDA_SRC wins over ../shared.
    let other = root.join("elsewhere/panda-src.tar.xz");
    tarball(&other);
    assert_eq!(
        stdout(&run(&script, Some(&other))),
        other.display().to_string()
    );
}

#[test]
fn panda_src_may_be_a_checkout_or_a_tarball_and_extracts_the_same() {
    let (tmp, script) = layout();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    let tree = root.join("checkout");
    checkout(&tree);
    let tar = root.join("src.tar.xz");
    tarball(&tar);
    assert_eq!(
        stdout(&run(&script, Some(&tree))),
        tree.display().to_string()
    );
    assert_eq!(stdout(&run(&script, Some(&tar))), tar.display().to_string());

    for (name, src) in [("from-checkout", &tree), ("from-tarball", &tar)] {
        let out = root.join(name);
        common::panda::extract_from(src, &out, &["testing", "scripts"]);
        assert_eq!(
            common::read(out.join("panda/panda/testing/ptest.py")),
            "# the original\n"
        );
        assert_eq!(
            common::read(out.join("panda/panda/scripts/helper.py")),
            "# a script\n"
        );
        assert!(!out.join("panda/panda/plugins").exists(), "{name}");
    }
}

#[test]
fn a_panda_src_that_is_not_there_or_not_a_checkout_is_one_line() {
    let (tmp, script) = layout();
    let err = one_line_error(&run(&script, Some(&tmp.path().join("nope.tar.xz"))));
    assert!(err.contains("does not exist"), "{err}");
    let err = one_line_error(&run(&script, Some(tmp.path())));
    assert!(err.contains("without panda/testing"), "{err}");
}
