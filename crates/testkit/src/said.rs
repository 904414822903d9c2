//! What PANDA's own regression tests say about themselves. Their scripts exit 0 whatever
//! happens and write their verdict into `NAME.out` (scissors: `Scissors FAIL`, rr-file:
//! `RR test FAILED`), so a test `ptest` counts as passed may still hold a failure. These
//! read the verdict and word it with where to look: the test's log folder,
//! `REGDIR/logs/NAME/`, and the lines in it that say what failed.

use std::fmt;
use std::path::{Path, PathBuf};

/// Log lines quoted per test: enough for every failed slice of scissors (40) with room.
const LOG_LINES: usize = 60;
const LINE_CHARS: usize = 300;

/// One test whose output (`REGDIR/KIND/NAME/NAME.out`) says FAIL, or is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaidFail {
    pub test: String,
    pub out: PathBuf,
    /// The output's lines that say FAIL; `None`: there is no output to read.
    pub lines: Option<Vec<String>>,
    pub logs: PathBuf,
    /// `FILE: LINE` for each line of the log folder's files that says FAIL or ERROR.
    pub log_lines: Vec<String>,
}

/// The tests among `tests` whose `REGDIR/KIND/NAME/NAME.out` (KIND: `blessed` or `tmpout`)
/// says FAIL or does not exist, in `tests`' order.
pub fn said_fail(regdir: &Path, kind: &str, tests: &[&str]) -> Vec<SaidFail> {
    let mut found = Vec::new();
    for t in tests {
        let out = regdir.join(kind).join(t).join(format!("{t}.out"));
        let lines = match std::fs::read_to_string(&out) {
            Ok(text) => {
                let failed = fail_lines(&text);
                if failed.is_empty() {
                    continue;
                }
                Some(failed)
            }
            Err(_) => None,
        };
        let logs = regdir.join("logs").join(t);
        found.push(SaidFail {
            test: t.to_string(),
            out,
            lines,
            log_lines: log_lines(&logs),
            logs,
        });
    }
    found
}

/// The lines of `text` that say FAIL (`FAIL`, `FAILED`), as PANDA's scripts write them.
pub fn fail_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.contains("FAIL"))
        .map(|l| clip(l.trim_end()))
        .collect()
}

/// `FILE: LINE` for the lines of `dir`'s files (sorted by name) that say FAIL or ERROR,
/// at most [`LOG_LINES`].
fn log_lines(dir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut said = Vec::new();
    for f in files {
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        let name = f.file_name().unwrap_or_default().to_string_lossy();
        for l in String::from_utf8_lossy(&bytes).lines() {
            if l.contains("FAIL") || l.contains("ERROR") {
                said.push(format!("{name}: {}", clip(l.trim())));
            }
        }
    }
    if said.len() > LOG_LINES {
        let more = said.len() - LOG_LINES;
        said.truncate(LOG_LINES);
        said.push(format!("… {more} more"));
    }
    said
}

fn clip(line: &str) -> String {
    match line.char_indices().nth(LINE_CHARS) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

impl fmt::Display for SaidFail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.lines {
            None => writeln!(
                f,
                "{}: no output ({} is missing)",
                self.test,
                self.out.display()
            )?,
            Some(lines) => {
                writeln!(f, "{}: {} says FAIL:", self.test, self.out.display())?;
                for l in lines {
                    writeln!(f, "    {l}")?;
                }
            }
        }
        write!(f, "  logs: {}/", self.logs.display())?;
        for l in &self.log_lines {
            write!(f, "\n    {l}")?;
        }
        Ok(())
    }
}

/// All of `found`, one after the other (empty when nothing said FAIL).
pub fn describe(found: &[SaidFail]) -> String {
    found
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_tests_whose_output_says_fail_with_those_lines_and_their_logs() {
        let dir = tempfile::tempdir().unwrap();
        let reg = dir.path();
        let write = |p: &str, text: &str| {
            let p = reg.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write(
            "blessed/scissors/scissors.out",
            "scissors-test results: 39 pass 1 fail\nScissors FAIL\n",
        );
        write(
            "logs/scissors/bless.log",
            "[ptest] Replay for scissors (snipping 1 to 9) succeeded\n\
             [ptest] ERROR: Replay for scissors (snipping 5 to 7) FAILED\n",
        );
        write(
            "logs/scissors/find_reduced-replay.log",
            "loading snapshot\n",
        );
        write("blessed/asidstory1/asidstory1.out", "all fine\n");
        write(
            "blessed/rr-file/rr-file.out",
            "99 pass record+replay\nRR test FAILED\n",
        );

        let found = said_fail(
            reg,
            "blessed",
            &["asidstory1", "scissors", "rr-file", "gone"],
        );
        let names: Vec<&str> = found.iter().map(|s| s.test.as_str()).collect();
        assert_eq!(names, ["scissors", "rr-file", "gone"]);
        assert_eq!(found[0].lines, Some(vec!["Scissors FAIL".to_string()]));
        assert_eq!(
            found[0].log_lines,
            ["bless.log: [ptest] ERROR: Replay for scissors (snipping 5 to 7) FAILED"]
        );
        assert_eq!(found[2].lines, None);

        let said = describe(&found);
        let logs = reg.join("logs/scissors").display().to_string();
        assert!(said.contains("scissors: "), "{said}");
        assert!(said.contains("    Scissors FAIL"), "{said}");
        assert!(said.contains(&format!("logs: {logs}/")), "{said}");
        assert!(said.contains("snipping 5 to 7) FAILED"), "{said}");
        assert!(said.contains("    RR test FAILED"), "{said}");
        assert!(said.contains("gone: no output"), "{said}");
        assert!(describe(&said_fail(reg, "blessed", &["asidstory1"])).is_empty());
    }
}
