use std::path::Path;

use super::*;

fn ctx_in(dir: &Path) -> Context {
    Context {
        regression_dir: dir.into(),
        test: Some("t".into()),
        ..Default::default()
    }
}

fn req(name: &str) -> ReplayRequest<'_> {
    ReplayRequest {
        name,
        arch: None,
        image: None,
        console: None,
        engine_args: &[],
    }
}

#[test]
fn panda_recordings_are_listed_with_their_instruction_count() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("replays/asid");
    std::fs::create_dir_all(&t).unwrap();
    std::fs::write(t.join("foo-rr-nondet.log"), 4242u64.to_le_bytes()).unwrap();
    std::fs::write(t.join("foo-rr-snp"), vec![0u8; 2048]).unwrap();
    std::fs::write(t.join("unrelated.txt"), b"x").unwrap();
    let ctx = ctx_in(dir.path());
    let r = recordings(&ctx, None);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].name, "foo");
    assert_eq!(r[0].engine, Engine::Panda);
    assert_eq!(r[0].instructions, Some(4242));
    assert_eq!(r[0].size, 2056);
    assert!(r[0].status.starts_with("no metadata"));
    assert!(recordings(&ctx, Some("other")).is_empty());
}

#[test]
fn replay_goes_by_metadata_then_by_the_files_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx_in(dir.path());
    let t = dir.path().join("replays/t");
    std::fs::create_dir_all(&t).unwrap();
    // Nothing there: PANDA, whose driver names the missing files.
    assert_eq!(replay_engine(&ctx, &req("r")).unwrap(), Engine::Panda);
    // Only files, no metadata: the documented fallback.
    std::fs::write(t.join("q.rr"), b"x").unwrap();
    assert_eq!(replay_engine(&ctx, &req("q")).unwrap(), Engine::Qemu);
    std::fs::write(t.join("p-rr-nondet.log"), 1u64.to_le_bytes()).unwrap();
    assert_eq!(replay_engine(&ctx, &req("p")).unwrap(), Engine::Panda);
    // Metadata wins over the files.
    let meta = |engine: &str| {
        serde_json::json!({
            "format": 1, "engine": engine, "image": "i", "arch": "x86_64",
            "emulator_version": "v", "machine": [], "command": [], "copied": [],
            "kernel_sha256": "", "initramfs_sha256": "", "replay_sha256": "",
            "replay_size": 0, "instructions": 0, "guest_exit": 0
        })
        .to_string()
    };
    std::fs::write(t.join("p.meta.json"), meta("qemu")).unwrap();
    assert_eq!(replay_engine(&ctx, &req("p")).unwrap(), Engine::Qemu);
    std::fs::write(t.join("p.meta.json"), meta("bochs")).unwrap();
    let err = replay_engine(&ctx, &req("p")).unwrap_err().to_string();
    assert!(
        err.contains("engine = \"bochs\" is not an engine ptest knows; use one of panda, qemu"),
        "{err}"
    );
}
