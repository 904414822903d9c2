//! The tests that need Debian's package servers, and only these: building the
//! `qemu-busybox` image from an empty cache downloads its kernel and busybox packages
//! (~27 MB, `apt-get download`). Every other engine test runs offline once the
//! per-machine cache (`~/.cache/ptest/images`) holds the parts. So these are `#[ignore]`d,
//! the outer tier with the PANDA tests: `scripts/panda-tier` (and so `.ci/run`) runs them,
//! and a plain `cargo test` passes offline.

mod common;
use common::engine::*;

/// Needs the network: an empty `PTEST_CACHE` makes ptest fetch the packages. Then a
/// second regression directory gets the image from that cache, without apt.
#[test]
#[ignore = "needs Debian's package servers (an empty image cache); run by scripts/panda-tier"]
fn debian_network_qemu_busybox_builds_into_an_empty_cache() {
    require_qemu();
    let cache = tempfile::tempdir().expect("temp cache");
    let cache_dir = cache.path().to_str().expect("utf-8 path");
    let s = Suite::new("image = \"qemu-busybox\"\n", &[]);
    let out = s.ptest(
        &["images", "fetch", "qemu-busybox"],
        &[("PTEST_CACHE", cache_dir)],
    );
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains("building image qemu-busybox from Debian packages"),
        "{t}"
    );
    let image = s.regdir().join("qcows/qemu-busybox");
    for f in ["vmlinuz", "busybox", "image.json"] {
        assert!(image.join(f).exists(), "no {f} in {}", image.display());
    }
    // One entry (a folder); its lock and last-use stamp (`ptest cache`) stand beside it.
    let parts = std::fs::read_dir(cache.path().join("images/debian"))
        .expect("the cache holds the parts")
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().is_dir()))
        .count();
    assert_eq!(parts, 1);

    // A second regression directory, with apt unreachable: served from the cache.
    let other = Suite::new("image = \"qemu-busybox\"\n", &[]);
    let out = other.ptest(
        &["images", "fetch", "qemu-busybox"],
        &[
            ("PTEST_CACHE", cache_dir),
            ("http_proxy", "http://127.0.0.1:9"),
        ],
    );
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("copying its parts from the cache"), "{t}");
    assert!(t.contains("present and verified"), "{t}");
}
