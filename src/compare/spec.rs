//! The TOML schema of comparison rules: `[[filters]]` and `[compare]` as written in
//! `ptest.toml` / `test.toml`, and one config file's share of them ([`CompareLayer`]).
//!
//! Owns only the shapes and their serde derives; it must not compile anything for use
//! (that is `compile` and `filter`). Mode names, regexes and globs are checked as they
//! are read, so a bad one is refused at its line and column in the config file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer};

use super::Mode;

/// Diff lines shown per file when no `diff-lines` is configured.
pub const DEFAULT_DIFF_LINES: usize = 200;

/// A filter as written in TOML: either a named preset or a regex → replacement rule,
/// optionally limited to files matching a glob.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    /// A named preset (listed in the `filter` module's doc); excludes `regex`/`replace`.
    pub preset: Option<String>,
    /// Regex (`regex` crate syntax), matched within each line (without its `\n`).
    #[serde(default, deserialize_with = "regex_text")]
    pub regex: Option<String>,
    /// Replacement; `$1`/`${name}` refer to groups, `$$` is a literal `$`.
    #[serde(default)]
    pub replace: String,
    /// Glob on the output file's path relative to the output folder (`*.txt`, `logs/**`);
    /// `*` also matches `/`, so `*.txt` covers `sub/a.txt`. Default: every file.
    #[serde(default, deserialize_with = "glob_text")]
    pub files: Option<String>,
}

/// `[compare]` as written in TOML.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CompareSpec {
    /// Default mode for files no glob in `modes` matches: exact | text | sorted | plog.
    /// Pandalogs (recognised by content) get `plog` unless a glob in `modes` says otherwise.
    #[serde(default, deserialize_with = "mode_name")]
    pub mode: Option<String>,
    /// Glob → mode, for individual files (globs as in [`FilterSpec::files`]); when several
    /// match, the longest glob wins, and a later config file's globs beat an earlier one's.
    #[serde(default, deserialize_with = "mode_names")]
    pub modes: BTreeMap<String, String>,
    /// Cut each file's diff to this many lines (default [`DEFAULT_DIFF_LINES`]).
    pub diff_lines: Option<usize>,
    /// Schema for pandalog outputs (`.proto` or descriptor set), relative to the config
    /// file that names it.
    pub plog_schema: Option<PathBuf>,
}

/// One config file's contribution to a test's comparison rules.
#[derive(Debug, Clone, Default)]
pub struct CompareLayer {
    /// Where these came from (`suite/ptest.toml`), named in error messages.
    pub origin: String,
    pub filters: Vec<FilterSpec>,
    pub compare: CompareSpec,
}

/// A mode name, refused unless [`Mode::parse`] knows it (the message lists the modes).
struct ModeName(String);

impl<'de> Deserialize<'de> for ModeName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ModeName, D::Error> {
        let name = String::deserialize(d)?;
        if Mode::parse(&name).is_none() {
            let names: Vec<&str> = Mode::ALL.iter().map(|m| m.as_str()).collect();
            return Err(serde::de::Error::custom(format!(
                "unknown mode; use one of {}",
                names.join(", ")
            )));
        }
        Ok(ModeName(name))
    }
}

fn mode_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Some(ModeName::deserialize(d)?.0))
}

fn mode_names<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let names = BTreeMap::<String, ModeName>::deserialize(d)?;
    for glob in names.keys() {
        check_glob(glob).map_err(serde::de::Error::custom)?;
    }
    Ok(names.into_iter().map(|(glob, m)| (glob, m.0)).collect())
}

/// `deserialize_with` for a filter's `regex`: refused here, at its position, when the
/// `regex` crate would not compile it (`filter` compiles it for use).
fn regex_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    regex::bytes::Regex::new(&text).map_err(|e| {
        serde::de::Error::custom(format!(
            "invalid regex: {}",
            crate::human::one_line(&e.to_string())
        ))
    })?;
    Ok(Some(text))
}

/// `deserialize_with` for a filter's `files` glob.
fn glob_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    check_glob(&text).map_err(serde::de::Error::custom)?;
    Ok(Some(text))
}

fn check_glob(glob: &str) -> Result<(), String> {
    globset::Glob::new(glob).map(drop).map_err(|e| {
        format!(
            "invalid glob {glob:?}: {}; write globs like \"*.txt\" or \"logs/**\"",
            e.kind()
        )
    })
}
