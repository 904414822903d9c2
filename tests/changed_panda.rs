//! The PANDA tier: `ptest test --changed` on real PANDA replays. Two tests of
//! `examples/panda` (asidstory1, stringsearch1) pass once; with nothing changed both are
//! cached passes; after the `stringsearch` plugin is "rebuilt" (its shared object changed),
//! exactly the test that mapped it runs. The build is a shadow of the cached PANDA build
//! (links to every file but the one plugin, which is a copy), so the cache stays intact.
//! Run by `scripts/panda-tier`; fails, never skips, without PANDA.

mod common;

use common::engine::text;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ARCH: &str = "x86_64";
const PLUGIN: &str = "panda_stringsearch.so";

/// `build`, mirrored under `shadow` by symbolic links, except `PLUGIN`, copied.
fn shadow_build(build: &Path, shadow: &Path) -> PathBuf {
    let softmmu = format!("{ARCH}-softmmu");
    let keep_going = [softmmu.as_str(), "panda", "plugins"];
    mirror(build, shadow, &keep_going);
    let plugin = shadow.join(&softmmu).join("panda/plugins").join(PLUGIN);
    std::fs::copy(
        build.join(&softmmu).join("panda/plugins").join(PLUGIN),
        &plugin,
    )
    .expect("copy the plugin");
    plugin
}

/// Links every entry of `from` into `to`, descending (instead of linking) into the folders
/// named in `descend`; the plugin itself is left for the caller.
fn mirror(from: &Path, to: &Path, descend: &[&str]) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read build").flatten() {
        let name = entry.file_name();
        let target = to.join(&name);
        if name == PLUGIN {
            continue;
        }
        if descend.iter().any(|d| name == *d) && entry.path().is_dir() {
            mirror(&entry.path(), &target, descend);
        } else {
            std::os::unix::fs::symlink(entry.path(), &target).expect("link");
        }
    }
}

struct Suite {
    regdir: PathBuf,
    build: PathBuf,
}

impl Suite {
    fn ptest(&self, args: &[&str]) -> Output {
        let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/panda");
        let out = Command::new(env!("CARGO_BIN_EXE_ptest"))
            .arg("--suite")
            .arg(&suite)
            .arg("--regression-dir")
            .arg(&self.regdir)
            .args(args)
            .env("PANDA_BUILD", &self.build)
            .env("NO_COLOR", "1")
            .env_remove("PTEST_IMAGE_MAP")
            .output()
            .expect("run ptest");
        eprintln!("ptest {args:?}:\n{}", text(&out));
        out
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.ptest(args);
        assert!(out.status.success(), "ptest {args:?}:\n{}", text(&out));
        text(&out)
    }
}

/// The status label on `test`'s result line.
fn status(said: &str, test: &str) -> String {
    said.lines()
        .find(|l| l.contains(&format!("] {test}")))
        .and_then(|l| l.split('[').next())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| panic!("no line for {test}:\n{said}"))
}

#[test]
#[ignore = "PANDA tier: run scripts/panda-tier (needs PANDA_BUILD and PANDA's source)"]
fn a_rebuilt_plugin_runs_exactly_the_tests_that_mapped_it() {
    let build = common::panda::build(&[ARCH]);
    let tmp = tempfile::tempdir().expect("temp dir");
    let shadow = tmp.path().join("build");
    let plugin = shadow_build(&build, &shadow);
    let s = Suite {
        regdir: tmp.path().join("reg"),
        build: shadow,
    };
    let tests = ["asidstory1", "stringsearch1"];
    for step in ["init", "bless", "test"] {
        s.ok(&[&[step][..], &tests].concat());
    }

    let said = s.ok(&[&["test", "--changed"][..], &tests].concat());
    for t in tests {
        assert_eq!(status(&said, t), "CACHED", "{said}");
    }

    // "Rebuild" the plugin: the same code, another file (a trailing byte the loader ignores).
    let mut bytes = std::fs::read(&plugin).expect("plugin");
    bytes.push(0);
    std::fs::write(&plugin, bytes).expect("rebuild the plugin");
    let listed = s.ok(&["list", "--changed"]);
    assert!(
        listed.contains(&format!("plugin {PLUGIN} changed")),
        "{listed}"
    );
    let said = s.ok(&[&["test", "--changed"][..], &tests].concat());
    assert_eq!(status(&said, "stringsearch1"), "PASS", "{said}");
    assert_eq!(status(&said, "asidstory1"), "CACHED", "{said}");
    assert!(
        said.contains(&format!("stringsearch1 runs: plugin {PLUGIN} changed")),
        "{said}"
    );
}
