//! Filters: ordered regex → replacement rules applied to every line of both the blessed
//! and the new output before comparing, so that run-to-run noise (host pointers,
//! timestamps, durations) does not fail a test. References stay as produced; filters only
//! act at comparison time, so changing a filter never requires re-blessing.
//!
//! Regexes use the [`regex`] crate syntax and run on each line without its terminator
//! (`^`/`$` anchor at the line's start/end). Replacements may refer to groups as `$1`,
//! `${name}`; write `$$` for a literal `$`.
//!
//! # Presets
//! Switch one on with `[[filters]] preset = "NAME"` (optionally with `files = "GLOB"`):
//! - `host-pointers`: 12-hex-digit userspace pointers of the host (`0x7…` (e.g. `0x7eff96b546c0`), `0x55…`,
//!   `0x56…`, as ASLR places the heap, stack and PIE binaries) → `0xPTR`.
//! - `iso-timestamps`: ISO 8601 date-times (`2024-05-01T12:34:56.789Z`,
//!   `2024-05-01 12:34:56+02:00`) → `<TIMESTAMP>`.
//! - `durations`: durations with a unit (`12.5ms`, `3s`, `1m2s`, `40µs`, `2h`) → `<DURATION>`.
//! - `pids`: `pid 1234`, `pid=1234`, `PID: 1234` → the same with `<PID>`.
//! - `tmp-paths`: the per-run component of temporary paths (`/tmp/tmpa1b2c3/x`) →
//!   `/tmp/<TMP>/x`.
//!
//! This module owns turning a [`FilterSpec`] into checked rules ([`Filter`]), with config
//! errors naming the file and entry; the rules' data is `preset`, and applying them to
//! lines is `apply` (the one applier): nothing here touches file contents.

use globset::{Glob, GlobMatcher};
use regex::bytes::Regex;

use super::error::CompareError;
use super::literal::Fast;
use super::preset;
use super::spec::FilterSpec;
use crate::human::one_line;

/// One compiled rule.
#[derive(Debug)]
pub(crate) struct Filter {
    pub(in crate::compare) regex: Regex,
    pub(in crate::compare) replace: Vec<u8>,
    /// The replacement refers to groups (has a `$`).
    pub(in crate::compare) expand: bool,
    /// A hand-written matcher giving the same matches (for presets' slow regexes).
    pub(in crate::compare) fast: Option<Fast>,
    /// `None`: applies to every file.
    files: Option<GlobMatcher>,
    /// How the config wrote it (`preset host-pointers`, `regex "…" → "…"`), for reports.
    pub(crate) label: String,
}

impl Filter {
    pub(crate) fn applies_to(&self, name: &str) -> bool {
        self.files.as_ref().is_none_or(|g| g.is_match(name))
    }
}

/// Compile one `[[filters]]` entry (`index` is 1-based, for messages) into one or more rules.
pub(crate) fn compile(
    origin: &str,
    index: usize,
    spec: &FilterSpec,
) -> Result<Vec<Filter>, CompareError> {
    let invalid =
        |what: String| CompareError::Invalid(format!("{origin}: [[filters]] #{index}: {what}"));
    let files = match &spec.files {
        None => None,
        Some(glob) => Some(
            Glob::new(glob)
                .map_err(|e| {
                    invalid(format!(
                        "invalid files glob {glob:?}: {}",
                        one_line(&e.to_string())
                    ))
                })?
                .compile_matcher(),
        ),
    };
    let rules: Vec<(String, String)> = match (&spec.preset, &spec.regex) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "give either preset or regex, not both (use two [[filters]] entries)".into(),
            ));
        }
        (None, None) => {
            return Err(invalid(
                "needs preset = \"NAME\" or regex = \"…\" (with replace = \"…\")".into(),
            ));
        }
        (Some(name), None) => {
            if !spec.replace.is_empty() {
                return Err(invalid(format!(
                    "preset {name:?} brings its own replacement; remove replace = {:?}",
                    spec.replace
                )));
            }
            let Some(preset) = preset::find(name) else {
                let known: Vec<&str> = preset::names().collect();
                return Err(invalid(format!(
                    "unknown preset {name:?}; known presets: {}",
                    known.join(", ")
                )));
            };
            preset
                .rules
                .iter()
                .map(|(r, s)| (r.to_string(), s.to_string()))
                .collect()
        }
        (None, Some(regex)) => vec![(regex.clone(), spec.replace.clone())],
    };
    let on = spec
        .files
        .as_ref()
        .map(|g| format!(" on {g}"))
        .unwrap_or_default();
    let label = match &spec.preset {
        Some(name) => format!("preset {name}{on}"),
        None => format!(
            "regex {:?} → {:?}{on}",
            spec.regex.as_deref().unwrap_or_default(),
            spec.replace
        ),
    };
    let mut out = Vec::new();
    for (regex, replace) in rules {
        let re = Regex::new(&regex).map_err(|e| {
            invalid(format!(
                "invalid regex {regex:?}: {}",
                one_line(&e.to_string())
            ))
        })?;
        check_replacement(&re, &replace).map_err(invalid)?;
        let expand = replace.contains('$');
        out.push(Filter {
            fast: Fast::for_regex(&regex).filter(|_| !expand),
            regex: re,
            expand,
            replace: replace.into_bytes(),
            files: files.clone(),
            label: label.clone(),
        });
    }
    Ok(out)
}

/// Reject `$name` references to groups the regex does not have: the regex crate would
/// silently expand them to nothing (`$1x` is the group named `1x`, not group 1 then `x`).
fn check_replacement(re: &Regex, replace: &str) -> Result<(), String> {
    let bytes = replace.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        if bytes.get(i + 1) == Some(&b'$') {
            i += 2;
            continue;
        }
        let (name, next) = if bytes.get(i + 1) == Some(&b'{') {
            match replace[i + 2..].find('}') {
                Some(end) => (&replace[i + 2..i + 2 + end], i + 3 + end),
                None => {
                    return Err(format!(
                        "replacement {replace:?} has an unclosed ${{…}}; write $$ for a literal $"
                    ));
                }
            }
        } else {
            let len = bytes[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            (&replace[i + 1..i + 1 + len], i + 1 + len)
        };
        if name.is_empty() {
            i = next.max(i + 1);
            continue;
        }
        let known = match name.parse::<usize>() {
            Ok(n) => n < re.captures_len(),
            Err(_) => re.capture_names().flatten().any(|n| n == name),
        };
        if !known {
            return Err(format!(
                "replacement {replace:?} refers to ${name}, which is not a group of the regex (for group 1 followed by text write ${{1}}text; for a literal $ write $$)"
            ));
        }
        i = next;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::apply::Filters;
    use super::*;

    fn spec(
        preset: Option<&str>,
        regex: Option<&str>,
        replace: &str,
        files: Option<&str>,
    ) -> FilterSpec {
        FilterSpec {
            preset: preset.map(str::to_string),
            regex: regex.map(str::to_string),
            replace: replace.to_string(),
            files: files.map(str::to_string),
        }
    }

    fn run(specs: &[FilterSpec], name: &str, line: &str) -> String {
        let compiled: Vec<Filter> = specs
            .iter()
            .enumerate()
            .flat_map(|(i, s)| compile("t/ptest.toml", i + 1, s).unwrap())
            .collect();
        let applicable: Vec<&Filter> = compiled.iter().filter(|f| f.applies_to(name)).collect();
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        Filters::new(&applicable).apply_into(line.as_bytes(), &mut out, &mut scratch);
        String::from_utf8(out).unwrap()
    }

    fn preset(name: &str, line: &str) -> String {
        run(&[spec(Some(name), None, "", None)], "out.txt", line)
    }

    #[test]
    fn host_pointers() {
        assert_eq!(
            preset(
                "host-pointers",
                "buf at 0x7ffd1234abcd, heap 0x55d0c0ffee00 pie 0x56aabbccddee tb 0x7eff96b546c0"
            ),
            "buf at 0xPTR, heap 0xPTR pie 0xPTR tb 0xPTR"
        );
        // Guest addresses and short or long hex numbers are left alone.
        assert_eq!(
            preset(
                "host-pointers",
                "pc=0xc0101234 0x7f 0x7ffd1234abcd00 x0x7ffd1234abcd"
            ),
            "pc=0xc0101234 0x7f 0x7ffd1234abcd00 x0x7ffd1234abcd"
        );
    }

    #[test]
    fn iso_timestamps() {
        assert_eq!(
            preset(
                "iso-timestamps",
                "at 2024-05-01T12:34:56.789Z and 2024-05-01 12:34:56+02:00."
            ),
            "at <TIMESTAMP> and <TIMESTAMP>."
        );
        assert_eq!(
            preset("iso-timestamps", "date 2024-05-01 only"),
            "date 2024-05-01 only"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(
            preset(
                "durations",
                "took 12.5ms, 3s, 1m2s, 40µs and 2h; 10 items, v3 x3s"
            ),
            "took <DURATION>, <DURATION>, <DURATION>, <DURATION> and <DURATION>; 10 items, v3 x3s"
        );
    }

    #[test]
    fn pids_and_tmp_paths() {
        assert_eq!(
            preset("pids", "pid 1234 PID: 99 pid=7 rapid 5"),
            "pid <PID> PID: <PID> pid=<PID> rapid 5"
        );
        assert_eq!(
            preset(
                "tmp-paths",
                "wrote /tmp/tmpa1b2c3/out.txt and /var/tmp/x9 but not /tmpfoo"
            ),
            "wrote /tmp/<TMP>/out.txt and /var/tmp/<TMP> but not /tmpfoo"
        );
    }

    #[test]
    fn presets_listed_and_compile() {
        let names: Vec<&str> = preset::names().collect();
        for want in [
            "host-pointers",
            "iso-timestamps",
            "durations",
            "pids",
            "tmp-paths",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        for (i, name) in names.iter().enumerate() {
            compile("x", i, &spec(Some(name), None, "", None)).unwrap();
        }
    }

    #[test]
    fn host_pointers_preset_gets_the_fast_matcher() {
        let f = compile("x", 1, &spec(Some("host-pointers"), None, "", None)).unwrap();
        assert_eq!(f[0].fast, Some(Fast::HostPointers));
        let f = compile(
            "x",
            1,
            &spec(None, Some(super::super::literal::HOST_POINTERS), "$$", None),
        )
        .unwrap();
        assert_eq!(f[0].fast, None, "expanding replacements keep the regex");
    }

    #[test]
    fn filters_run_in_order() {
        let a = spec(None, Some("cat"), "dog", None);
        let b = spec(None, Some("dog"), "bird", None);
        assert_eq!(run(&[a.clone(), b.clone()], "f", "cat"), "bird");
        assert_eq!(run(&[b, a], "f", "cat"), "dog");
    }

    #[test]
    fn groups_and_anchors() {
        let s = spec(None, Some(r"^(\w+)=\d+$"), "${1}=N", None);
        assert_eq!(run(std::slice::from_ref(&s), "f", "count=42"), "count=N");
        assert_eq!(run(&[s], "f", "x count=42"), "x count=42");
    }

    #[test]
    fn glob_limits_files() {
        let s = spec(None, Some("secret"), "X", Some("*.log"));
        assert_eq!(run(std::slice::from_ref(&s), "a.log", "secret"), "X");
        assert_eq!(run(std::slice::from_ref(&s), "sub/b.log", "secret"), "X");
        assert_eq!(run(&[s], "a.txt", "secret"), "secret");
        let s = spec(None, Some("secret"), "X", Some("logs/**"));
        assert_eq!(run(std::slice::from_ref(&s), "logs/a/b", "secret"), "X");
        assert_eq!(run(&[s], "other/logs/a", "secret"), "secret");
    }

    fn err(s: FilterSpec) -> String {
        compile("suite/ptest.toml", 3, &s).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_origin_and_index_on_one_line() {
        for (s, want) in [
            (spec(None, Some("(unclosed"), "", None), "invalid regex"),
            (
                spec(Some("nope"), None, "", None),
                "unknown preset \"nope\"; known presets: host-pointers",
            ),
            (
                spec(None, Some("x"), "", Some("a[")),
                "invalid files glob \"a[\"",
            ),
            (spec(Some("pids"), Some("x"), "", None), "not both"),
            (spec(None, None, "", None), "needs preset"),
            (
                spec(Some("pids"), None, "y", None),
                "brings its own replacement",
            ),
            (spec(None, Some(r"(\d)"), "$1x", None), "refers to $1x"),
            (spec(None, Some(r"(\d)"), "$2", None), "refers to $2"),
            (spec(None, Some(r"(\d)"), "${1", None), "unclosed"),
        ] {
            let e = err(s);
            assert!(e.starts_with("suite/ptest.toml: [[filters]] #3: "), "{e}");
            assert!(e.contains(want), "{e} lacks {want}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn valid_replacements_accepted() {
        for r in ["$1", "${1}x", "$$1", "${name}", "$name-", "plain", "$"] {
            compile("x", 1, &spec(None, Some(r"(?P<name>\d)"), r, None)).unwrap();
        }
    }
}
