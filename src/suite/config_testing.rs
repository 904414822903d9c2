//! `config.testing`: one test name per line, `#` disables a test, blank lines ignored.

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

/// Parse the text of `config.testing` at `path`.
///
/// Enabled names must be plain folder names: a name with `/`, `..`, whitespace or control
/// characters, or one enabled twice, is a configuration error naming the line. A `#` line
/// whose rest is not a valid name is a comment, not a disabled test.
pub fn parse(path: &Path, text: &str) -> Result<Vec<Entry>, SuiteError> {
    let mut entries: Vec<Entry> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('#') {
            let name = rest.trim();
            if validate_name(name).is_ok() {
                entries.push(Entry {
                    name: name.to_string(),
                    line,
                    enabled: false,
                });
            }
            continue;
        }
        if let Err(why) = validate_name(trimmed) {
            return Err(bad_line(path, line, format!("test name {trimmed:?} {why}")));
        }
        if let Some(first) = entries.iter().find(|e| e.enabled && e.name == trimmed) {
            return Err(bad_line(
                path,
                line,
                format!(
                    "test {trimmed:?} is already enabled on line {}; remove one of the two lines",
                    first.line
                ),
            ));
        }
        entries.push(Entry {
            name: trimmed.to_string(),
            line,
            enabled: true,
        });
    }
    // A test both enabled and disabled is enabled: drop the disabled mention.
    let enabled: Vec<String> = entries
        .iter()
        .filter(|e| e.enabled)
        .map(|e| e.name.clone())
        .collect();
    entries.retain(|e| e.enabled || !enabled.contains(&e.name));
    Ok(entries)
}

/// Why `name` cannot be a test folder name, if it cannot.
pub fn validate_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("is empty");
    }
    if name == "." || name == ".." || name.contains("..") {
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
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains whitespace: one test name per line");
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
        let entries = parse(Path::new("config.testing"), text).unwrap();
        assert_eq!(names(&entries, true), ["asidstory1", "stringsearch1"]);
        assert_eq!(names(&entries, false), ["taint1", "rr-file"]);
        assert_eq!(entries[1].line, 2);
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
        let entries = parse(Path::new("c"), "#a\na\n").unwrap();
        assert_eq!(entries.len(), 1);
        assert!(entries[0].enabled);
    }
}
