use super::*;
use crate::report::json::TestReport;
use crate::runner::Status;

/// Built from JSON, as merge reads it: fields added to reports later take their defaults.
fn test(name: &str, status: Status) -> TestReport {
    serde_json::from_value(serde_json::json!({
        "name": name,
        "status": status,
        "duration_secs": 1.0,
        "attempts": 1,
        "message": null,
        "log": format!("logs/{name}/test.log"),
        "files": [],
    }))
    .unwrap()
}

fn shard(partition: &str, selected: &[&str], tests: &[(&str, Status)], secs: f64) -> RunReport {
    let mut r = empty(RunKind::Test);
    r.partition = Some(partition.into());
    r.selected = Some(selected.iter().map(|s| s.to_string()).collect());
    r.tests = tests.iter().map(|(n, s)| test(n, *s)).collect();
    r.duration_secs = secs;
    r
}

const ALL: &[&str] = &["a", "b", "c", "d"];

#[test]
fn tests_come_back_in_selection_order_with_the_longest_shard_as_duration() {
    let reports = vec![
        (
            PathBuf::from("2.json"),
            shard(
                "count:2/2",
                ALL,
                &[("b", Status::Failed), ("d", Status::Passed)],
                5.0,
            ),
        ),
        (
            PathBuf::from("1.json"),
            shard(
                "count:1/2",
                ALL,
                &[("a", Status::Passed), ("c", Status::Flaky)],
                3.0,
            ),
        ),
    ];
    let merged = merge(&reports).unwrap();
    let names: Vec<&str> = merged.tests.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ALL);
    assert_eq!(merged.duration_secs, 5.0);
    assert_eq!((merged.summary.total, merged.summary.failed), (4, 1));
    assert!(!to_outcome(&merged).succeeded());
    assert_eq!((merged.partition, merged.selected), (None, None));
}

#[test]
fn a_missing_test_of_a_duration_shard_names_no_shard_and_failed_shards_expect_none() {
    let mut reports = vec![
        (
            PathBuf::from("1.json"),
            shard("duration:1/2", ALL, &[("a", Status::Passed)], 1.0),
        ),
        (
            PathBuf::from("2.json"),
            shard("duration:2/2", ALL, &[("b", Status::Passed)], 1.0),
        ),
    ];
    let err = merge(&reports).unwrap_err();
    assert!(
        matches!(&err, MergeError::MissingTest { test, shard: None } if test == "c"),
        "{err}"
    );
    reports[0].1.only_failed = true;
    assert_eq!(merge(&reports).unwrap().tests.len(), 2);
}

#[test]
fn shards_cut_from_different_selections_are_refused() {
    let reports = vec![
        (
            PathBuf::from("1.json"),
            shard("hash:1/2", ALL, &[("a", Status::Passed)], 1.0),
        ),
        (
            PathBuf::from("2.json"),
            shard("hash:2/2", &["a", "b", "c"], &[("b", Status::Passed)], 1.0),
        ),
    ];
    let err = merge(&reports).unwrap_err().to_string();
    assert!(err.contains("different selections (test `d`"), "{err}");
}

#[test]
fn a_damaged_partition_is_named_with_its_file() {
    let reports = vec![(PathBuf::from("x.json"), shard("hash:3/2", ALL, &[], 1.0))];
    let err = merge(&reports).unwrap_err().to_string();
    assert!(
        err.starts_with("x.json: partition \"hash:3/2\" is damaged"),
        "{err}"
    );
}

#[test]
fn no_reports_merge_to_an_empty_run_and_unpartitioned_ones_concatenate() {
    assert!(merge(&[]).unwrap().tests.is_empty());
    let mut a = empty(RunKind::Bless);
    a.tests = vec![test("z", Status::Passed)];
    let mut b = empty(RunKind::Bless);
    b.tests = vec![test("y", Status::Errored)];
    b.interrupted = true;
    let merged = merge(&[(PathBuf::from("a"), a), (PathBuf::from("b"), b)]).unwrap();
    let names: Vec<&str> = merged.tests.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["z", "y"]);
    assert!(merged.interrupted);
    assert_eq!(merged.mode, RunKind::Bless);
}

#[test]
fn a_partition_without_its_selection_is_damaged() {
    let mut r = shard("hash:1/1", ALL, &[], 1.0);
    r.selected = None;
    let err = merge(&[(PathBuf::from("x.json"), r)])
        .unwrap_err()
        .to_string();
    assert!(err.contains("no `selected` tests recorded"), "{err}");
}
