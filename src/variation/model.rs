//! What varies across the runs of one test, as data: stored as is in the JSON report
//! (field `variation` of a test), rendered by `render`. Plain data: no I/O.

use serde::{Deserialize, Serialize};

/// How the runs of one test differed (runs are numbered from 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variation {
    /// How many runs were compared.
    pub runs: u32,
    /// The files that differ between runs, by name.
    pub files: Vec<FileVariation>,
}

impl Variation {
    /// Whether every run agreed on every file.
    pub fn agrees(&self) -> bool {
        self.files.is_empty()
    }

    /// Every suggestion with the file it is for, in report order.
    pub fn suggestions(&self) -> impl Iterator<Item = &Suggestion> {
        self.files
            .iter()
            .flat_map(|f| f.spots.iter().filter_map(|s| s.suggestion.as_ref()))
    }
}

/// One file whose content differs between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileVariation {
    pub name: String,
    /// The compare mode the file gets (`exact`, `text`, `sorted`, `plog`).
    pub mode: String,
    pub spots: Vec<Spot>,
    /// Whether all the suggestions together make every run agree, checked with the test's
    /// own comparison (its rules plus the suggestions) on every run's file.
    pub fixed_by_suggestions: bool,
    /// What the analysis left out (a bound reached), in one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One place that varies, with its variants and, when one was found and checked, the rule
/// that makes the runs agree there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spot {
    #[serde(flatten)]
    pub place: Place,
    /// The distinct values seen there, most frequent first.
    pub variants: Vec<Variant>,
    /// Variants beyond those listed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more_variants: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<Suggestion>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Where a spot is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "spot", rename_all = "kebab-case")]
pub enum Place {
    /// One token of a line that varies, at `lines` lines alike (the first at `first_line`,
    /// 1-based, in run 1); `shape` is the first such line with the token shown as `…`.
    Token {
        first_line: u64,
        lines: u64,
        shape: String,
    },
    /// The same lines in every run, in a different order.
    Order { lines: u64 },
    /// Lines that differ in content (and maybe number) with no token to single out.
    Lines { first_line: u64, lines: u64 },
    /// The file exists in some runs only.
    Presence,
    /// Not analysed line by line (binary, a pandalog): why, and the comparison of run 1
    /// with the first run that differs.
    Whole { why: String, diff: String },
}

/// One value seen at a spot: in which runs, how many times in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub text: String,
    pub runs: Vec<u32>,
    pub count: u64,
}

/// A rule that makes the runs agree at a spot, checked on every run before it is offered;
/// written into the test's `test.toml` by `--apply-suggestions`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Suggestion {
    /// `[[filters]] preset = …, files = …`.
    Preset { preset: String, files: String },
    /// `[[filters]] regex = …, replace = …, files = …`.
    Filter {
        regex: String,
        replace: String,
        files: String,
    },
    /// `[compare.modes] "files" = "mode"` (`sorted` when only the order varies).
    Mode { mode: String, files: String },
}

impl Suggestion {
    /// The exact lines to add to a `test.toml` (or `ptest.toml`).
    pub fn toml_lines(&self) -> String {
        let q = toml_string;
        match self {
            Suggestion::Preset { preset, files } => format!(
                "[[filters]]\npreset = {}\nfiles = {}\n",
                q(preset),
                q(files)
            ),
            Suggestion::Filter {
                regex,
                replace,
                files,
            } => format!(
                "[[filters]]\nregex = {}\nreplace = {}\nfiles = {}\n",
                q(regex),
                q(replace),
                q(files)
            ),
            Suggestion::Mode { mode, files } => {
                format!("[compare.modes]\n{} = {}\n", q(files), q(mode))
            }
        }
    }
}

/// `s` as a TOML string, the way `toml_edit` writes it (literal '…' when that needs no
/// escapes), so the lines shown are the lines `--apply-suggestions` writes.
pub(crate) fn toml_string(s: &str) -> String {
    toml_edit::Value::from(s).to_string().trim().to_string()
}
