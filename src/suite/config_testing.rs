//! `config.testing`: one test name per line, `#` disables a test, blank lines ignored.
//!
//! Read as PANDA's `ptest.py` reads it: each line is stripped of surrounding whitespace,
//! and a line starting with `#` is not an enabled test. ptest.py keeps such lines whole as
//! its "disabled tests"; ptest also needs the disabled test's *name* (so that `list` shows
//! it and `clean --orphans` keeps its reference). Extensions, all documented in the README:
//! - the name is the first word after the `#` (spaces allowed in between), when it is a
//!   valid test name followed by nothing or by another `#` comment: `#b`, `# b`,
//!   `#b  # flaky, see issue 12`; any other `#` line is a comment;
//! - the first word of every `#` line is kept in [`ConfigTesting::mentioned`], so that
//!   `clean --orphans` never removes a reference a comment may still be talking about;
//! - blank lines are ignored (ptest.py would take them for a test named "");
//! - a UTF-8 byte order mark at the start of the file is ignored (Python's `open()` keeps
//!   it, making the first name unusable).
//!
//! Parsing is linear in the size of the file: duplicate checks go through hash maps.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::SuiteError;

/// One test named in `config.testing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    /// 1-based line in `config.testing`.
    pub line: usize,
    pub enabled: bool,
}

/// The parsed file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigTesting {
    /// Enabled and disabled tests in file order; a name enabled anywhere is not also listed
    /// as disabled.
    pub entries: Vec<Entry>,
    /// Valid test names that are the first word of a `#` line, whether or not that line
    /// reads as a disabled test (`# b is flaky` mentions `b`).
    pub mentioned: HashSet<String>,
}

/// The longest file name Linux file systems take (`NAME_MAX`), in bytes.
const NAME_MAX: usize = 255;

/// Parse the text of `config.testing` at `path`.
///
/// Enabled names must be plain folder names: a name with `/`, `..`, whitespace or control
/// characters, one longer than a file name may be, or one enabled twice, is a
/// configuration error naming the line.
pub fn parse(path: &Path, text: &str) -> Result<ConfigTesting, SuiteError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parsed = ConfigTesting::default();
    // Enabled name → its line, for the duplicate check.
    let mut enabled: HashMap<&str, usize> = HashMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('#') {
            let rest = rest.trim_start();
            let (word, after) = rest
                .split_once(char::is_whitespace)
                .map_or((rest, ""), |(w, a)| (w, a.trim_start()));
            if validate_name(word).is_ok() {
                parsed.mentioned.insert(word.to_string());
                if after.is_empty() || after.starts_with('#') {
                    parsed.entries.push(Entry {
                        name: word.to_string(),
                        line,
                        enabled: false,
                    });
                }
            }
            continue;
        }
        if let Err(why) = validate_name(trimmed) {
            return Err(bad_line(path, line, format!("test name {trimmed:?} {why}")));
        }
        if let Some(first) = enabled.insert(trimmed, line) {
            return Err(bad_line(
                path,
                line,
                format!(
                    "test {trimmed:?} is already enabled on line {first}; remove one of the two lines"
                ),
            ));
        }
        parsed.entries.push(Entry {
            name: trimmed.to_string(),
            line,
            enabled: true,
        });
    }
    // A test both enabled and disabled is enabled; a test disabled twice is listed once.
    let mut disabled_seen: HashSet<String> = HashSet::new();
    parsed.entries.retain(|e| {
        e.enabled
            || (!enabled.contains_key(e.name.as_str()) && disabled_seen.insert(e.name.clone()))
    });
    Ok(parsed)
}

/// Why `name` cannot be a test folder name, if it cannot.
pub fn validate_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("is empty");
    }
    if name == "." {
        return Err("is `.`, the folder config.testing is in: a test is a folder beside it");
    }
    if name == ".." {
        return Err("is `..`, the folder above config.testing: a test is a folder beside it");
    }
    if name.contains("..") {
        return Err("contains `..`: a test is a folder beside config.testing");
    }
    if name.starts_with('.') {
        return Err(
            "starts with `.`: hidden folders are ptest's own (staging references); rename the test",
        );
    }
    if name.contains('/') || name.contains('\\') {
        return Err("contains a path separator: a test is a folder beside config.testing");
    }
    // Tabs are whitespace to a reader; ESC, BEL … are not, and would drive the terminal.
    if name.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return Err(
            "contains a control character (ESC, BEL …): test names are plain folder names; rename the test",
        );
    }
    if name.chars().any(char::is_whitespace) {
        return Err("contains whitespace: one test name per line");
    }
    if name.contains('\u{feff}') {
        return Err("contains a byte order mark (U+FEFF): save the file as UTF-8 without BOM");
    }
    if name.len() > NAME_MAX {
        return Err("is longer than 255 bytes, the longest file name Linux allows");
    }
    if name == "all" {
        return Err("is reserved (`all` selects every enabled test); rename the folder");
    }
    Ok(())
}

fn bad_line(path: &Path, line: usize, message: String) -> SuiteError {
    SuiteError::ConfigTesting {
        path: PathBuf::from(path),
        line,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(entries: &[Entry], enabled: bool) -> Vec<&str> {
        entries
            .iter()
            .filter(|e| e.enabled == enabled)
            .map(|e| e.name.as_str())
            .collect()
    }

    #[test]
    fn enabled_disabled_blank_and_comments() {
        let text = "asidstory1\n  stringsearch1  \n\n#taint1\n# this is a comment\n#  rr-file\n";
        let entries = parse(Path::new("config.testing"), text).unwrap().entries;
        assert_eq!(names(&entries, true), ["asidstory1", "stringsearch1"]);
        assert_eq!(names(&entries, false), ["taint1", "rr-file"]);
        assert_eq!(entries[1].line, 2);
    }

    #[test]
    fn a_disabled_test_may_carry_a_trailing_comment() {
        let text = "a\n#b  # flaky, see issue 12\n  # c\t#why\n# this is a comment\n#d flaky\n";
        let parsed = parse(Path::new("c"), text).unwrap();
        assert_eq!(names(&parsed.entries, false), ["b", "c"]);
        let mut mentioned: Vec<&str> = parsed.mentioned.iter().map(String::as_str).collect();
        mentioned.sort();
        assert_eq!(mentioned, ["b", "c", "d", "this"]);
    }

    #[test]
    fn a_byte_order_mark_is_ignored_at_the_start_and_an_error_elsewhere() {
        let parsed = parse(Path::new("c"), "\u{feff}a\nb\n").unwrap();
        assert_eq!(names(&parsed.entries, true), ["a", "b"]);
        let err = parse(Path::new("c"), "a\n\u{feff}b\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("c:2: ") && err.contains("byte order mark"),
            "{err}"
        );
    }

    #[test]
    fn names_longer_than_a_file_name_are_refused_or_comments() {
        let long = "x".repeat(256);
        let err = parse(Path::new("c"), &format!("a\n{long}\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("c:2: ") && err.contains("255 bytes"),
            "{err}"
        );
        let parsed = parse(Path::new("c"), &format!("a\n#{long}\n")).unwrap();
        assert_eq!(parsed.entries.len(), 1);
        assert!(parse(Path::new("c"), &"x".repeat(255)).is_ok());
    }

    #[test]
    fn parses_200k_lines() {
        // 200k lines took minutes with the old quadratic duplicate check; a return of it
        // shows as this test running for minutes (no test asserts a time: issue 10).
        let text: String = (0..100_000).map(|i| format!("t{i}\n#d{i}\n")).collect();
        let parsed = parse(Path::new("c"), &text).unwrap();
        assert_eq!(parsed.entries.len(), 200_000);
    }

    #[test]
    fn bad_names_name_the_line() {
        for bad in ["a/b", "../x", "two words", "a..b", "all", ".a.old"] {
            let text = format!("ok\n{bad}\n");
            let err = parse(Path::new("s/config.testing"), &text).unwrap_err();
            let msg = err.to_string();
            assert!(msg.starts_with("s/config.testing:2: "), "{msg}");
        }
    }

    #[test]
    fn duplicate_enabled_is_an_error_naming_both_lines() {
        let err = parse(Path::new("c"), "a\nb\na\n").unwrap_err().to_string();
        assert!(err.contains("c:3:") && err.contains("line 1"), "{err}");
    }

    #[test]
    fn enabled_wins_over_disabled_mention() {
        let entries = parse(Path::new("c"), "#a\na\n#a\n").unwrap().entries;
        assert_eq!(entries.len(), 1);
        assert!(entries[0].enabled);
    }
}
