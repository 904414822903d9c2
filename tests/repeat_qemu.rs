//! `bless --repeat` on a real QEMU replay (issue 22's demonstration): `exectrace` without
//! its filters writes QEMU's host address of each translated block, different in every
//! run. The repeat refuses to bless it and names the spot; the applied suggestion makes
//! the runs agree, and the next repeat blesses.

mod common;
use common::engine::*;

#[test]
fn a_host_pointer_in_a_qemu_trace_is_found_and_the_applied_suggestion_blesses() {
    require_qemu();
    let s = Suite::example(&["exectrace"]);
    // The demonstration starts from the test as first written: no filters.
    std::fs::remove_file(s.suite().join("exectrace/test.toml")).unwrap();
    let out = s.ptest(&["init"], &[]);
    assert!(out.status.success(), "init:\n{}", text(&out));

    let out = s.ptest(&["bless", "--repeat", "2", "--apply-suggestions"], &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(100), "{t}");
    for says in [
        "not blessed: the 2 runs disagree in 1 file(s)",
        "exec.txt: differs between the 2 runs",
        "vary at …: Trace 0: …",
        "suggestion (checked on every run)",
        "together they make all 2 runs agree",
        "under the new rules all 2 runs agree",
    ] {
        assert!(t.contains(says), "lacks {says:?}:\n{t}");
    }
    assert!(!s.regdir().join("blessed/exectrace/exec.txt").exists());
    let toml = std::fs::read_to_string(s.suite().join("exectrace/test.toml")).unwrap();
    assert!(toml.contains("files = \"exec.txt\""), "{toml}");

    let out = s.ptest(&["bless", "--repeat", "2"], &[]);
    assert!(out.status.success(), "bless:\n{}", text(&out));
    assert!(s.regdir().join("blessed/exectrace/exec.txt").exists());
}
