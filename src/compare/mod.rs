//! Comparing a test's new outputs with its blessed reference: filters, per-file compare
//! modes, unified and binary diffs.
//!
//! Narrow interface used by the runner and the commands:
//! - [`CompareSpec`]: the TOML form (`[compare]` and `[[filters]]` of `ptest.toml` / `test.toml`),
//!   merged suite-then-test and compiled once into a [`Comparer`];
//! - [`Comparer::compare_dirs`]: blessed dir vs new dir → a [`DirComparison`].
//!
//! Split by concern: [`filter`] (regex rules and presets), [`mode`] (exact, text, sorted,
//! plog, and the per-file comparison), `diff` (unified diff rendering), `binary`
//! (streaming byte compare, hex report), `tree` (walking output folders).

use std::path::{Path, PathBuf};

use crate::tree;
use globset::{Glob, GlobMatcher};
use serde::Deserialize;

mod binary;
mod diff;
pub mod filter;
pub mod mode;

pub use filter::presets;
pub use mode::Mode;

/// Diff lines shown per file when no `diff-lines` is configured.
pub const DEFAULT_DIFF_LINES: usize = 200;

/// A filter as written in TOML: either a named preset or a regex → replacement rule,
/// optionally limited to files matching a glob.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    /// A named preset (see [`presets`]); excludes `regex`/`replace`.
    pub preset: Option<String>,
    /// Regex (`regex` crate syntax), matched within each line (without its `\n`).
    pub regex: Option<String>,
    /// Replacement; `$1`/`${name}` refer to groups, `$$` is a literal `$`.
    #[serde(default)]
    pub replace: String,
    /// Glob on the output file's path relative to the output folder (`*.txt`, `logs/**`);
    /// `*` also matches `/`, so `*.txt` covers `sub/a.txt`. Default: every file.
    pub files: Option<String>,
}

/// `[compare]` as written in TOML.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CompareSpec {
    /// Default mode for files no glob in `modes` matches: exact | text | sorted | plog.
    /// Pandalogs (recognised by content) get `plog` unless a glob in `modes` says otherwise.
    pub mode: Option<String>,
    /// Glob → mode, for individual files (globs as in [`FilterSpec::files`]); when several
    /// match, the longest glob wins, and a later config file's globs beat an earlier one's.
    #[serde(default)]
    pub modes: std::collections::BTreeMap<String, String>,
    /// Cut each file's diff to this many lines (default [`DEFAULT_DIFF_LINES`]).
    pub diff_lines: Option<usize>,
    /// Schema for pandalog outputs (`.proto` or descriptor set), relative to the config
    /// file that names it.
    pub plog_schema: Option<PathBuf>,
}

/// Why rules could not be compiled or folders not compared. Problems with individual
/// files are not errors: they are [`FileOutcome::Invalid`] entries.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// A configuration mistake, as one line naming the config file and what to fix.
    #[error("{0}")]
    Invalid(String),
    /// An output folder itself could not be read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One config file's contribution to a test's comparison rules.
#[derive(Debug, Clone, Default)]
pub struct CompareLayer {
    /// Where these came from (`suite/ptest.toml`), named in error messages.
    pub origin: String,
    pub filters: Vec<FilterSpec>,
    pub compare: CompareSpec,
}

/// Compiled comparison rules for one test.
#[derive(Debug)]
pub struct Comparer {
    filters: Vec<filter::Filter>,
    /// Glob → mode, in precedence order (the last match wins).
    modes: Vec<(GlobMatcher, Mode)>,
    /// For files no glob matches and that do not look like pandalogs.
    default_mode: Mode,
    diff_lines: usize,
    plog_schema: Option<PathBuf>,
    /// Test name for the "see `ptest diff TEST`" note of a cut diff.
    test: Option<String>,
}

/// Per-file result of comparing two output folders. Stored as is in `state.json`
/// (`{"outcome": "differs", "diff": "…"}`), so `ptest diff` reads back what `test` found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum FileOutcome {
    Same,
    /// Contents differ; `diff` is a rendered, uncoloured diff (unified for text,
    /// size/offset/hex window for binary, entry-level for pandalogs).
    Differs {
        diff: String,
    },
    /// Blessed, but the new run did not produce it.
    Missing,
    /// Produced by the new run, but not in the blessed reference.
    Unexpected,
    /// Not a regular file (symlink, FIFO, …) or unreadable: `reason` says what.
    Invalid {
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub struct FileComparison {
    /// Path relative to the output folders, `/`-separated.
    pub name: String,
    /// Which mode was used (`exact`, `text`, `sorted`, `plog`).
    pub mode: &'static str,
    pub outcome: FileOutcome,
}

#[derive(Debug, Clone, Default)]
pub struct DirComparison {
    pub files: Vec<FileComparison>,
}

impl DirComparison {
    pub fn all_same(&self) -> bool {
        self.files.iter().all(|f| f.outcome == FileOutcome::Same)
    }
}

impl Comparer {
    /// Compile the layers in order (suite first, then the test): filters of later layers
    /// run after earlier ones; modes and settings of later layers override earlier ones.
    /// Within one layer's `[compare] modes`, when several globs match a file, the longest
    /// glob wins (the more specific one, as `*.log` loses to `trace/*.log`).
    pub fn new(layers: &[CompareLayer]) -> Result<Self, CompareError> {
        let mut c = Comparer {
            filters: Vec::new(),
            modes: Vec::new(),
            default_mode: Mode::Exact,
            diff_lines: DEFAULT_DIFF_LINES,
            plog_schema: None,
            test: None,
        };
        for layer in layers {
            let origin = &layer.origin;
            for (i, spec) in layer.filters.iter().enumerate() {
                c.filters.extend(filter::compile(origin, i + 1, spec)?);
            }
            let cmp = &layer.compare;
            let unknown = |what: &str, m: &str| {
                let names: Vec<&str> = Mode::ALL.iter().map(|m| m.as_str()).collect();
                CompareError::Invalid(format!(
                    "{origin}: [compare] {what}: unknown mode {m:?}; use one of {}",
                    names.join(", ")
                ))
            };
            if let Some(m) = &cmp.mode {
                c.default_mode = Mode::parse(m).ok_or_else(|| unknown("mode", m))?;
            }
            let mut globs: Vec<(&String, &String)> = cmp.modes.iter().collect();
            globs.sort_by_key(|(g, _)| g.len());
            for (glob, m) in globs {
                let mode = Mode::parse(m).ok_or_else(|| unknown(&format!("modes {glob:?}"), m))?;
                let matcher = Glob::new(glob)
                    .map_err(|e| {
                        CompareError::Invalid(format!(
                            "{origin}: [compare] modes: invalid glob {glob:?}: {}; write globs like \"*.txt\" or \"logs/**\"",
                            e.kind()
                        ))
                    })?
                    .compile_matcher();
                c.modes.push((matcher, mode));
            }
            if let Some(n) = cmp.diff_lines {
                c.diff_lines = n;
            }
            if let Some(schema) = &cmp.plog_schema {
                // Relative to the config file that names it, like any path in a config.
                let base = Path::new(origin).parent().unwrap_or(Path::new(""));
                c.plog_schema = Some(base.join(schema));
            }
        }
        Ok(c)
    }

    /// Name the test, so that a cut diff says `see ptest diff NAME`.
    pub fn with_test_name(mut self, name: impl Into<String>) -> Self {
        self.test = Some(name.into());
        self
    }

    /// Override the configured diff length (`ptest diff` may want the whole diff).
    pub fn with_diff_lines(mut self, lines: usize) -> Self {
        self.diff_lines = lines;
        self
    }

    /// Lines each file's diff is cut to.
    pub fn diff_lines(&self) -> usize {
        self.diff_lines
    }

    /// The mode a file gets: a matching glob, else `plog` for pandalogs (by content),
    /// else the default mode.
    pub fn mode_for(&self, name: &str, blessed: &Path, new: &Path) -> Mode {
        if let Some(m) = self.glob_mode(name) {
            return m;
        }
        let plog = |p: &Path| ptest_plog::looks_like_pandalog(p).unwrap_or(false);
        if plog(blessed) || plog(new) {
            return Mode::Plog;
        }
        self.default_mode
    }

    fn glob_mode(&self, name: &str) -> Option<Mode> {
        self.modes
            .iter()
            .rev()
            .find(|(g, _)| g.is_match(name))
            .map(|(_, m)| *m)
    }

    /// Compare one pair of files known to be regular (as [`Self::compare_dirs`] does for
    /// each file both folders hold); `name` is the relative name, for globs and messages.
    pub fn compare_files(&self, name: &str, blessed: &Path, new: &Path) -> FileComparison {
        let mode = self.mode_for(name, blessed, new);
        let applicable: Vec<&filter::Filter> =
            self.filters.iter().filter(|f| f.applies_to(name)).collect();
        let more = match &self.test {
            Some(t) => format!("ptest diff {t}"),
            None => "ptest diff".to_string(),
        };
        let outcome = mode::compare_file(&mode::FileJob {
            name,
            blessed,
            new,
            mode,
            filters: filter::Filters::new(&applicable),
            max_lines: self.diff_lines,
            more: &more,
            plog_schema: self.plog_schema.as_deref(),
            max_memory: mode::MAX_DIFF_MEMORY,
        });
        FileComparison {
            name: name.to_string(),
            mode: mode.as_str(),
            outcome,
        }
    }

    /// Compare every file under `blessed` with every file under `new`: each blessed file
    /// must be produced, each produced file must be blessed, and their contents must match.
    /// Files come back sorted by name. A missing `blessed` folder counts as empty.
    pub fn compare_dirs(&self, blessed: &Path, new: &Path) -> Result<DirComparison, CompareError> {
        let walk = |root: &Path| {
            tree::walk(root).map_err(|source| CompareError::Io {
                path: root.to_path_buf(),
                source,
            })
        };
        let old = walk(blessed)?;
        let produced = walk(new)?;
        let mut names: Vec<&String> = old.keys().chain(produced.keys()).collect();
        names.sort();
        names.dedup();
        let mut files = Vec::with_capacity(names.len());
        for name in names {
            // Never opened, so never sniffed for pandalog content.
            let invalid = |side: &str, why: &str| FileComparison {
                name: name.clone(),
                mode: self.glob_mode(name).unwrap_or(self.default_mode).as_str(),
                outcome: FileOutcome::Invalid {
                    reason: format!("{side}/{name} {why}"),
                },
            };
            let cmp = match (old.get(name), produced.get(name)) {
                (Some(tree::Entry::Invalid(why)), _) => invalid("blessed", why),
                (_, Some(tree::Entry::Invalid(why))) => invalid("new", why),
                (Some(tree::Entry::File), Some(tree::Entry::File)) => {
                    self.compare_files(name, &blessed.join(name), &new.join(name))
                }
                (Some(tree::Entry::File), None) => {
                    let path = blessed.join(name);
                    FileComparison {
                        name: name.clone(),
                        mode: self.mode_for(name, &path, &path).as_str(),
                        outcome: FileOutcome::Missing,
                    }
                }
                (None, Some(tree::Entry::File)) => {
                    let path = new.join(name);
                    FileComparison {
                        name: name.clone(),
                        mode: self.mode_for(name, &path, &path).as_str(),
                        outcome: FileOutcome::Unexpected,
                    }
                }
                (None, None) => continue,
            };
            files.push(cmp);
        }
        Ok(DirComparison { files })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn layer(origin: &str, toml_text: &str) -> CompareLayer {
        #[derive(Deserialize)]
        struct Doc {
            #[serde(default)]
            filters: Vec<FilterSpec>,
            #[serde(default)]
            compare: CompareSpec,
        }
        let doc: Doc = toml::from_str(toml_text).unwrap();
        CompareLayer {
            origin: origin.into(),
            filters: doc.filters,
            compare: doc.compare,
        }
    }

    fn dirs() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let (b, n) = (t.path().join("blessed"), t.path().join("new"));
        fs::create_dir_all(&b).unwrap();
        fs::create_dir_all(&n).unwrap();
        (t, b, n)
    }

    fn outcomes(d: &DirComparison) -> Vec<(String, &'static str, String)> {
        d.files
            .iter()
            .map(|f| {
                let o = match &f.outcome {
                    FileOutcome::Same => "same".to_string(),
                    FileOutcome::Differs { .. } => "differs".to_string(),
                    FileOutcome::Missing => "missing".to_string(),
                    FileOutcome::Unexpected => "unexpected".to_string(),
                    FileOutcome::Invalid { reason } => format!("invalid: {reason}"),
                };
                (f.name.clone(), f.mode, o)
            })
            .collect()
    }

    #[test]
    fn dirs_missing_unexpected_same_differs_nested() {
        let (_t, b, n) = dirs();
        fs::create_dir_all(b.join("sub")).unwrap();
        fs::create_dir_all(n.join("sub")).unwrap();
        fs::write(b.join("same.txt"), "x\n").unwrap();
        fs::write(n.join("same.txt"), "x\n").unwrap();
        fs::write(b.join("sub/d.txt"), "1\n").unwrap();
        fs::write(n.join("sub/d.txt"), "2\n").unwrap();
        fs::write(b.join("gone.txt"), "x").unwrap();
        fs::write(n.join("extra.txt"), "x").unwrap();
        let d = Comparer::new(&[]).unwrap().compare_dirs(&b, &n).unwrap();
        assert!(!d.all_same());
        assert_eq!(
            outcomes(&d),
            [
                ("extra.txt".into(), "exact", "unexpected".into()),
                ("gone.txt".into(), "exact", "missing".into()),
                ("same.txt".into(), "exact", "same".into()),
                ("sub/d.txt".into(), "exact", "differs".into()),
            ]
        );
        let FileOutcome::Differs { diff } = &d.files[3].outcome else {
            panic!()
        };
        assert_eq!(
            diff,
            "--- blessed/sub/d.txt\n+++ new/sub/d.txt\n@@ -1 +1 @@\n-1\n+2\n"
        );
    }

    #[test]
    fn identical_dirs_are_all_same_and_empty_new_is_all_missing() {
        let (_t, b, n) = dirs();
        fs::write(b.join("a"), "x").unwrap();
        fs::write(n.join("a"), "x").unwrap();
        let c = Comparer::new(&[]).unwrap();
        assert!(c.compare_dirs(&b, &n).unwrap().all_same());
        fs::remove_file(n.join("a")).unwrap();
        let d = c.compare_dirs(&b, &n).unwrap();
        assert_eq!(d.files[0].outcome, FileOutcome::Missing);
        // No blessed folder at all: everything produced is unexpected.
        fs::write(n.join("a"), "x").unwrap();
        let d = c.compare_dirs(&b.join("absent"), &n).unwrap();
        assert_eq!(d.files[0].outcome, FileOutcome::Unexpected);
    }

    #[test]
    fn special_files_are_invalid_on_either_side_and_never_opened() {
        let (_t, b, n) = dirs();
        fs::write(b.join("out"), "x").unwrap();
        // A FIFO where the output should be: opening it would block forever.
        rustix::fs::mknodat(
            rustix::fs::CWD,
            n.join("out"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        std::os::unix::fs::symlink(b.join("out"), b.join("link")).unwrap();
        fs::write(n.join("link"), "x").unwrap();
        let d = Comparer::new(&[]).unwrap().compare_dirs(&b, &n).unwrap();
        let o = outcomes(&d);
        assert_eq!(o[0].0, "link");
        assert!(
            o[0].2
                .starts_with("invalid: blessed/link is a symbolic link"),
            "{o:?}"
        );
        assert_eq!(o[1].0, "out");
        assert!(o[1].2.starts_with("invalid: new/out is a FIFO"), "{o:?}");
        assert!(!d.all_same());
    }

    #[test]
    fn layers_filters_modes_and_settings() {
        let suite = layer(
            "suite/ptest.toml",
            r#"
            [[filters]]
            preset = "host-pointers"
            [compare]
            mode = "text"
            diff-lines = 1
            modes = { "*.set" = "sorted" }
            "#,
        );
        let test = layer(
            "suite/t1/test.toml",
            r#"
            [[filters]]
            regex = "0xPTR"
            replace = "P"
            files = "*.txt"
            [compare]
            modes = { "*.bin" = "exact", "raw/*.bin" = "text", "*.txt" = "exact" }
            "#,
        );
        let c = Comparer::new(&[suite, test]).unwrap().with_test_name("t1");
        let p = Path::new("/nonexistent");
        assert_eq!(c.mode_for("a.set", p, p), Mode::Sorted);
        assert_eq!(c.mode_for("other", p, p), Mode::Text);
        assert_eq!(c.mode_for("x.bin", p, p), Mode::Exact);
        // The longer (more specific) glob wins within a layer.
        assert_eq!(c.mode_for("raw/x.bin", p, p), Mode::Text);
        assert_eq!(c.diff_lines(), 1);

        let (_t, b, n) = dirs();
        // Suite filter runs first, then the test's filter on its output.
        fs::write(b.join("a.txt"), "at 0x7ffd12345678\n").unwrap();
        fs::write(n.join("a.txt"), "at 0x7ffdaaaabbbb\n").unwrap();
        fs::write(b.join("c.set"), "1\n2\n").unwrap();
        fs::write(n.join("c.set"), "2\n1\n").unwrap();
        fs::write(b.join("d.txt"), "a\nb\nc\n").unwrap();
        fs::write(n.join("d.txt"), "x\ny\nz\n").unwrap();
        let d = c.compare_dirs(&b, &n).unwrap();
        let o = outcomes(&d);
        assert_eq!(o[0], ("a.txt".into(), "exact", "same".into()));
        assert_eq!(o[1], ("c.set".into(), "sorted", "same".into()));
        let FileOutcome::Differs { diff } = &d.files[2].outcome else {
            panic!("{o:?}")
        };
        assert!(
            diff.ends_with("@@ -1,3 +1,3 @@\n… 6 more diff lines cut (see ptest diff t1)\n"),
            "{diff}"
        );
        let full = c.with_diff_lines(1000).compare_dirs(&b, &n).unwrap();
        let FileOutcome::Differs { diff } = &full.files[2].outcome else {
            panic!()
        };
        assert!(!diff.contains("cut"), "{diff}");
    }

    #[test]
    fn config_errors_name_the_file_and_what_to_fix() {
        for (text, want) in [
            (
                "[compare]\nmode = \"fuzzy\"",
                "suite/ptest.toml: [compare] mode: unknown mode \"fuzzy\"; use one of exact, text, sorted, plog",
            ),
            (
                "[compare]\nmodes = { \"*.x\" = \"nope\" }",
                "suite/ptest.toml: [compare] modes \"*.x\": unknown mode \"nope\"",
            ),
            (
                "[compare]\nmodes = { \"a[\" = \"text\" }",
                "suite/ptest.toml: [compare] modes: invalid glob \"a[\"",
            ),
            (
                "[[filters]]\nregex = \"ok\"\n[[filters]]\nregex = \"(\"",
                "suite/ptest.toml: [[filters]] #2: invalid regex \"(\"",
            ),
            (
                "[[filters]]\npreset = \"ptrs\"",
                "suite/ptest.toml: [[filters]] #1: unknown preset \"ptrs\"",
            ),
        ] {
            let e = Comparer::new(&[layer("suite/ptest.toml", text)])
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(want), "{e}\nwanted {want}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn plog_schema_is_relative_to_its_config() {
        let c = Comparer::new(&[layer(
            "suite/t/test.toml",
            "[compare]\nplog-schema = \"p.proto\"",
        )])
        .unwrap();
        assert_eq!(c.plog_schema.as_deref(), Some(Path::new("suite/t/p.proto")));
    }

    fn write_plog(path: &Path, entries: &[Vec<u8>]) {
        let mut w = ptest_plog::PlogWriter::create(path).unwrap();
        for e in entries {
            w.write_entry(e).unwrap();
        }
        w.finish().unwrap();
    }

    #[test]
    fn pandalogs_are_detected_by_content_and_compared_by_entry() {
        let (_t, b, n) = dirs();
        let blessed: Vec<Vec<u8>> = ptest_plog::synth::entries(1, 40).collect();
        let mut changed = blessed.clone();
        // Same instruction and pc, one more field: differs in the entry's text only.
        let mut extra = ptest_plog::synth::Enc::default();
        extra.uint(99, 12345);
        changed[20].extend_from_slice(&extra.0);
        write_plog(&b.join("trace.out"), &blessed);
        write_plog(&n.join("trace.out"), &changed);
        write_plog(&b.join("same.out"), &blessed);
        write_plog(&n.join("same.out"), &blessed);
        let d = Comparer::new(&[]).unwrap().compare_dirs(&b, &n).unwrap();
        assert_eq!(d.files[0].mode, "plog");
        assert_eq!(d.files[0].outcome, FileOutcome::Same);
        assert_eq!(d.files[1].mode, "plog");
        let FileOutcome::Differs { diff } = &d.files[1].outcome else {
            panic!("{:?}", d.files[1])
        };
        assert!(
            diff.starts_with(
                "--- blessed/trace.out (pandalog entries)\n+++ new/trace.out (pandalog entries)\n"
            ),
            "{diff}"
        );
        assert!(diff.contains("entry 20"), "{diff}");
        // The test's filters reach each entry's text: blank every entry out and they match.
        let blank = layer("t.toml", "[[filters]]\nregex = \".+\"\nreplace = \"X\"");
        let d = Comparer::new(&[blank])
            .unwrap()
            .compare_dirs(&b, &n)
            .unwrap();
        assert_eq!(d.files[1].outcome, FileOutcome::Same, "{:?}", d.files[1]);
        // A glob overrides detection.
        let exact = layer("t.toml", "[compare]\nmodes = { \"trace.*\" = \"exact\" }");
        let d = Comparer::new(&[exact])
            .unwrap()
            .compare_dirs(&b, &n)
            .unwrap();
        assert_eq!(d.files[1].mode, "exact");
        let FileOutcome::Differs { diff } = &d.files[1].outcome else {
            panic!()
        };
        assert!(diff.starts_with("Binary files blessed/trace.out"), "{diff}");
    }
}
