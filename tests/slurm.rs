//! A real one-node Slurm cluster (Debian's slurmctld, slurmd, munge, brought up by
//! scripts/slurm-cluster in a temp dir) runs a suite through examples/slurm: submit.sh
//! submits shards.sbatch as a job array and merge.sbatch after it; the merged report must
//! equal an unsharded run of the same suite (tests, statuses, file outcomes, verdict).
//! A cluster that does not come up fails the test with the daemons' log tails; the
//! daemons are stopped however the test ends.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::read;
use serde_json::Value;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// The cluster of one test; dropping it stops its daemons (by their PID files).
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
}

impl Cluster {
    fn up(dir: PathBuf) -> Cluster {
        let port = free_port_pair();
        let out = Command::new(Path::new(REPO).join("scripts/slurm-cluster"))
            .args(["up".as_ref(), dir.as_os_str()])
            .env("SLURM_CLUSTER_PORT", port.to_string())
            .output()
            .expect("run scripts/slurm-cluster");
        // From here on the daemons that did start are stopped even if `up` failed.
        let cluster = Cluster {
            conf: dir.join("slurm.conf"),
            dir,
        };
        assert!(
            out.status.success(),
            "the Slurm cluster did not come up ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        cluster
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("SLURM_CONF", &self.conf);
        cmd
    }

    /// Whether any of `jobs` is still queued or running.
    fn pending(&self, jobs: &[&str]) -> String {
        let out = self
            .command("squeue")
            .args(["--noheader", "--format=%i %T %r", "--jobs", &jobs.join(",")])
            .output()
            .expect("run squeue");
        assert!(
            out.status.success(),
            "squeue failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn log_tails(&self) -> String {
        let mut text = String::new();
        for log in ["slurmctld", "slurmd", "munged"] {
            let path = self.dir.join("log").join(format!("{log}.log"));
            let body = std::fs::read_to_string(&path).unwrap_or_default();
            let lines: Vec<&str> = body.lines().collect();
            let tail = lines[lines.len().saturating_sub(20)..].join("\n");
            text.push_str(&format!("--- {} ---\n{tail}\n", path.display()));
        }
        text
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let status = Command::new(Path::new(REPO).join("scripts/slurm-cluster"))
            .args(["down".as_ref(), self.dir.as_os_str()])
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!(
                "slurm-cluster down {} failed: {status:?}",
                self.dir.display()
            );
        }
    }
}

/// A port P with P and P+1 free (slurmctld, slurmd), so the test never meets a cluster
/// already on this machine.
fn free_port_pair() -> u16 {
    for _ in 0..100 {
        let Ok(first) = std::net::TcpListener::bind("0.0.0.0:0") else {
            continue;
        };
        let Ok(addr) = first.local_addr() else {
            continue;
        };
        let port = addr.port();
        if port < u16::MAX && std::net::TcpListener::bind(("0.0.0.0", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no two adjacent free TCP ports for slurmctld and slurmd");
}

#[test]
fn a_job_array_of_shards_and_a_dependent_merge_equal_an_unsharded_run() {
    let s = common::mixed_blessed_suite();

    let cluster = Cluster::up(s.scratch("slurm"));
    let jobs_dir = s.scratch("jobs");
    let reports = s.scratch("reports");
    std::fs::create_dir_all(&jobs_dir).expect("jobs dir");
    let ptest_dir = Path::new(common::PTEST)
        .parent()
        .expect("ptest's directory");
    let path = format!(
        "{}:{}",
        ptest_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let submit = cluster
        .command(&format!("{REPO}/examples/slurm/submit.sh"))
        .arg("3")
        .current_dir(&jobs_dir)
        .env("PATH", path)
        .env("PTEST_SUITE_DIR", &s.dir)
        .env("PANDA_REGRESSION_DIR", &s.reg)
        .env("PTEST_REPORTS", &reports)
        .env("NO_COLOR", "1")
        // No throttle: the shards run side by side on one regression directory, each
        // holding only its own tests' locks.
        .output()
        .expect("run examples/slurm/submit.sh");
    let said = String::from_utf8_lossy(&submit.stdout).into_owned();
    assert!(
        submit.status.success(),
        "submit.sh failed: {said}{}\n{}",
        String::from_utf8_lossy(&submit.stderr),
        cluster.log_tails()
    );
    let ids = regex::Regex::new(r"job array (\d+) \(1-3\) and the merge as job (\d+)")
        .expect("regex")
        .captures(&said)
        .unwrap_or_else(|| panic!("submit.sh did not name its jobs: {said}"));
    let (array, merge) = (ids[1].to_string(), ids[2].to_string());

    // Accounting is off: a job is done when squeue no longer lists it.
    let started = Instant::now();
    loop {
        let pending = cluster.pending(&[&array, &merge]);
        if pending.is_empty() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "jobs still queued after 90 s:\n{pending}\n{}",
            cluster.log_tails()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let outputs = |name: &str| read(jobs_dir.join(name));
    for k in 1..=3 {
        let out = outputs(&format!("ptest-shard-{array}_{k}.out"));
        assert!(
            out.contains("Summary") || out.contains("has no tests"),
            "shard {k}: {out}"
        );
    }
    let merge_out = outputs(&format!("ptest-merge-{merge}.out"));
    let merged_path = reports.join(&array).join("all.json");
    assert!(
        merged_path.exists(),
        "no merged report; the merge job said:\n{merge_out}"
    );
    let merged: Value = serde_json::from_str(&read(&merged_path)).expect("merged JSON");

    let whole_path = s.scratch("whole.json");
    let whole = s.ptest(&["test", "--json", whole_path.to_str().expect("utf-8")]);
    whole.code(100);
    let whole_report: Value = serde_json::from_str(&read(&whole_path)).expect("whole JSON");
    assert_eq!(
        common::report_essence(&merged),
        common::report_essence(&whole_report),
        "{merge_out}"
    );
    assert_eq!(
        merge_out.lines().last(),
        whole.stdout.lines().last(),
        "{merge_out}"
    );
    // Each shard recorded its place in the whole; the merged JUnit holds all seven.
    let shard2: Value =
        serde_json::from_str(&read(reports.join(&array).join("shard-2.json"))).expect("shard 2");
    assert_eq!(shard2["partition"], "hash:2/3");
    let xml = read(reports.join(&array).join("all.xml"));
    assert_eq!(xml.matches("<testcase ").count(), 7, "{xml}");
}
