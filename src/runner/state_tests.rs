use super::*;

fn result(name: &str, status: Status) -> TestResult {
    TestResult {
        name: name.into(),
        mode: RunKind::Test,
        status,
        duration: Duration::from_millis(1500),
        started: Duration::ZERO,
        attempts: 1,
        script_ok: true,
        reason: None,
        files: Vec::new(),
        log: PathBuf::from("/x/test.log"),
        log_tail: Vec::new(),
        leaked: 0,
        variation: None,
        stall: None,
        inputs: None,
    }
}

fn state_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn processes_that_loaded_together_and_saved_apart_lose_nothing() {
    let dir = state_dir();
    // Four shards start from the same (empty) state and each saves its own tests.
    let mut shards: Vec<State> = (0..4)
        .map(|_| State::load(dir.path()).expect("load"))
        .collect();
    for (k, shard) in shards.iter_mut().enumerate() {
        shard.record(&[result(&format!("t{k}"), Status::Failed)]);
    }
    for shard in &mut shards {
        shard.save(dir.path()).expect("save");
    }
    let state = State::load(dir.path()).expect("reload");
    assert_eq!(state.failed(), ["t0", "t1", "t2", "t3"]);
    assert_eq!(
        state.expected("t2", RunKind::Test),
        Some(Duration::from_millis(1500))
    );
    // A later save of a stale copy writes only what that process changed.
    let mut stale = State::load(dir.path()).expect("load");
    let mut fresh = State::load(dir.path()).expect("load");
    fresh.record(&[result("t1", Status::Passed)]);
    fresh.save(dir.path()).expect("save");
    stale.record(&[result("t0", Status::Passed)]);
    stale.save(dir.path()).expect("save");
    assert_eq!(
        State::load(dir.path()).expect("reload").failed(),
        ["t2", "t3"]
    );
}

#[test]
fn a_version_2_state_json_is_read_then_moved_into_per_test_files() {
    let dir = state_dir();
    let legacy = r#"{"version": 2, "tests": {
        "old": {"durations": {"test": 2.0}, "last": {"mode": "test", "status": "failed",
            "duration_secs": 2.0, "script_ok": true, "message": null, "files": [],
            "log": "/x/old.log", "finished": 1}},
        "both": {"durations": {"test": 9.0}, "last": null},
        "../escape": {"durations": {"test": 1.0}, "last": null}}}"#;
    std::fs::write(dir.path().join("state.json"), legacy).expect("write");
    let mut newer = State::default();
    newer.record(&[result("both", Status::Passed)]);
    newer.save(dir.path()).expect("save");
    // `save` moved state.json's other entries in, without replacing `both`.
    assert!(!dir.path().join("state.json").exists());
    let state = State::load(dir.path()).expect("load");
    assert_eq!(state.failed(), ["old"]);
    assert_eq!(
        state.expected("both", RunKind::Test),
        Some(Duration::from_millis(1500))
    );
    assert_eq!(
        state.expected("old", RunKind::Test),
        Some(Duration::from_secs(2))
    );
    assert!(!state.tests.contains_key("../escape"));
    let written = std::fs::read_to_string(tests_dir(dir.path()).join("old.json")).expect("old");
    assert!(written.starts_with("{\"version\":4,"), "{written}");
}

#[test]
fn a_damaged_test_file_is_named_and_only_it_is_skipped_by_load_or_warn() {
    let dir = state_dir();
    let mut state = State::default();
    state.record(&[
        result("good", Status::Failed),
        result("bad", Status::Failed),
    ]);
    state.save(dir.path()).expect("save");
    let bad = tests_dir(dir.path()).join("bad.json");
    std::fs::write(&bad, "{\"version\": 3, \"durations\": ").expect("write");
    let err = State::load(dir.path()).expect_err("damaged");
    assert!(
        err.to_string()
            .starts_with(&format!("{}: damaged", bad.display())),
        "{err}"
    );
    let mut warned = Vec::new();
    let state = State::load_or_warn(dir.path(), |e| warned.push(e.to_string()));
    assert_eq!(warned.len(), 1);
    assert_eq!(state.failed(), ["good"]);
    std::fs::write(&bad, "{\"version\": 5}").expect("write");
    let err = State::load(dir.path()).expect_err("newer");
    assert!(
        err.to_string().contains("written by a newer ptest"),
        "{err}"
    );
}

#[test]
fn a_pass_keeps_its_inputs_and_a_reused_pass_leaves_the_state_as_it_was() {
    let dir = state_dir();
    let known = crate::inputs::Inputs::Known(crate::inputs::InputSet::default());
    let mut state = State::load(dir.path()).expect("load");
    let mut passed = result("t", Status::Passed);
    passed.inputs = Some(known.clone());
    let mut flaky = result("f", Status::Flaky);
    flaky.inputs = Some(known.clone());
    state.record(&[passed, flaky]);
    state.save(dir.path()).expect("save");

    let mut state = State::load(dir.path()).expect("reload");
    let (last, kept) = state.last_pass("t").expect("t passed");
    assert_eq!(kept, Some(&known));
    let finished = last.finished;
    // A flaky pass is not one to reuse, and keeps no inputs.
    assert!(state.last_pass("f").is_none());
    assert!(state.tests["f"].last.as_ref().unwrap().inputs.is_none());

    // The cached result of a `--changed` run is not recorded over the pass it reused.
    let mut cached = result("t", Status::Cached);
    cached.duration = Duration::ZERO;
    state.record(&[cached]);
    let (last, kept) = state.last_pass("t").expect("still the pass");
    assert_eq!((last.finished, kept), (finished, Some(&known)));
    assert_eq!(
        state.expected("t", RunKind::Test),
        Some(Duration::from_millis(1500)),
        "a reused pass does not count as a duration"
    );
}
