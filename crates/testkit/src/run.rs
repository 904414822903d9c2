//! [`Run`]: a finished `ptest` and the assertions tests make on it; and what two runs'
//! reports and trees must share.

use std::path::Path;

/// A finished ptest run.
#[derive(Debug)]
pub struct Run {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Run {
    fn from(o: std::process::Output) -> Run {
        Run {
            status: o.status,
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Assert the exit code (showing all output if it differs); returns self.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Run {
        assert_eq!(
            self.status.code(),
            Some(expected),
            "exit status {:?}, expected {expected}\n{}",
            self.status,
            self.all()
        );
        self
    }

    /// stdout then stderr.
    pub fn all(&self) -> String {
        format!(
            "--- stdout ---\n{}--- stderr ---\n{}",
            self.stdout, self.stderr
        )
    }

    /// Assert stdout or stderr contains each of `needles`.
    #[track_caller]
    pub fn says(&self, needles: &[&str]) -> &Run {
        let all = self.all();
        for n in needles {
            assert!(all.contains(n), "output lacks {n:?}:\n{all}");
        }
        self
    }

    /// Assert neither stdout nor stderr contains `needle`.
    #[track_caller]
    pub fn never_says(&self, needle: &str) -> &Run {
        let all = self.all();
        assert!(!all.contains(needle), "output has {needle:?}:\n{all}");
        self
    }

    /// The per-test line of `test` (`  PASS [ 0.1s] test…`), or panic.
    #[track_caller]
    pub fn line_of(&self, test: &str) -> String {
        let needle = format!("] {test}");
        self.stdout
            .lines()
            .find(|l| {
                l.contains(&needle)
                    && l[l.find(&needle).unwrap_or(0) + needle.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| c == ':' || c == ' ')
            })
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no result line for {test}:\n{}", self.all()))
    }

    /// The status label of `test`'s first result line (`PASS`, `FAIL`, `ERROR` …).
    #[track_caller]
    pub fn status_of(&self, test: &str) -> String {
        let line = self.line_of(test);
        let label = line.split('[').next().unwrap_or("").trim();
        label.to_string()
    }
}

/// The status label (`PASS`, `CACHED` …) of `test`'s first result line in `said` (a
/// run's output, for tests that run ptest themselves rather than through [`Run`]).
#[track_caller]
pub fn status_in(said: &str, test: &str) -> String {
    said.lines()
        .find(|l| l.contains(&format!("] {test}")))
        .and_then(|l| l.split('[').next())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| panic!("no result line for {test}:\n{said}"))
}

/// Every file under `dir` (relative `/`-separated names, sorted) with its content.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let entry = entry.expect("entry");
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).expect("prefix");
                out.push((
                    rel.to_string_lossy().into_owned(),
                    std::fs::read(&path).expect("read"),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// ptest never panics: a panic message or Rust's exit code 101 fails the test.
#[track_caller]
pub fn no_panic(run: &Run) {
    assert_ne!(run.status.code(), Some(101), "{}", run.all());
    assert!(!run.stderr.contains("panicked"), "{}", run.all());
}

/// What must be equal between a merged report and an unsharded run's: the summary and,
/// per test, its name, status, message and file outcomes (not timings or log paths).
pub fn report_essence(
    report: &serde_json::Value,
) -> (serde_json::Value, Vec<[serde_json::Value; 4]>) {
    let tests = report["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .map(|t| ["name", "status", "message", "files"].map(|k| t[k].clone()))
        .collect();
    (report["summary"].clone(), tests)
}
