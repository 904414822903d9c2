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

/// PANDA's checkout holding `build` (its parent: the image builder reads the source's
/// `panda/plugins/osi_linux/…` beside the build), mirrored under `shadow` by symbolic links
/// except for `PLUGIN`, copied. Returns the shadow's build folder and its plugin.
fn shadow_build(build: &Path, shadow: &Path) -> (PathBuf, PathBuf) {
    let checkout = build.parent().expect("the build folder's checkout");
    let build_name = build.file_name().expect("build folder name");
    let softmmu = format!("{ARCH}-softmmu");
    let path_to_plugins = [
        build_name.to_string_lossy().into_owned(),
        softmmu,
        "panda".into(),
        "plugins".into(),
    ];
    mirror(checkout, shadow, &path_to_plugins);
    let plugins = shadow.join(path_to_plugins.join("/"));
    let from = build.join(path_to_plugins[1..].join("/")).join(PLUGIN);
    std::fs::copy(from, plugins.join(PLUGIN)).expect("copy the plugin");
    // PANDA looks for plugins beside its binary's real path: the binary is copied too.
    let emulator = format!("{ARCH}-softmmu/panda-system-{ARCH}");
    let shadow_build = shadow.join(build_name);
    std::fs::remove_file(shadow_build.join(&emulator)).expect("unlink the emulator");
    std::fs::copy(build.join(&emulator), shadow_build.join(&emulator)).expect("copy it");
    (shadow_build, plugins.join(PLUGIN))
}

/// Links every entry of `from` into `to`, but follows `path` (folders made, not linked,
/// down to the plugin's); the plugin itself is left for the caller.
fn mirror(from: &Path, to: &Path, path: &[String]) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read build").flatten() {
        let name = entry.file_name();
        let target = to.join(&name);
        if path.is_empty() && name == PLUGIN {
            continue;
        }
        match path.split_first() {
            Some((next, rest)) if name == next.as_str() => mirror(&entry.path(), &target, rest),
            _ => std::os::unix::fs::symlink(entry.path(), &target).expect("link"),
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

#[test]
#[ignore = "PANDA tier: run scripts/panda-tier (needs PANDA_BUILD and PANDA's source)"]
fn a_rebuilt_plugin_runs_exactly_the_tests_that_mapped_it() {
    let build = common::panda::build(&[ARCH]);
    let tmp = tempfile::tempdir().expect("temp dir");
    let (shadow, plugin) = shadow_build(&build, &tmp.path().join("panda"));
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
        assert_eq!(common::status_in(&said, t), "CACHED", "{said}");
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
    assert_eq!(common::status_in(&said, "stringsearch1"), "PASS", "{said}");
    assert_eq!(common::status_in(&said, "asidstory1"), "CACHED", "{said}");
    assert!(
        said.contains(&format!("stringsearch1 runs: plugin {PLUGIN} changed")),
        "{said}"
    );
}
