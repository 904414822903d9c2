//! `ptest.toml` (suite-wide) and `NAME/test.toml` (per test), parsed once into a checked
//! [`Config`]: durations are [`Duration`]s, engine names [`ptest_engine::Engine`]s, sizes,
//! counts and comparison modes checked, each by the type it is read into (see
//! `ptest_engine::values`). Both files are optional; unknown keys, misplaced keys and bad
//! values are errors naming `file:line:column` and the key, so a typo never silently
//! does nothing, and carry an [`Excerpt`] with a caret under the offending text.

mod excerpt;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer, de::Error as _};
use toml::de::{DeTable, DeValue};

pub use excerpt::Excerpt;

use super::SuiteError;
use crate::compare::{CompareLayer, CompareSpec, FilterSpec};
use ptest_engine::{EngineSettings, ImageSpec, values};

/// One config file: `ptest.toml` (suite) or `NAME/test.toml` (test). Both take the same
/// keys but for a few that only make sense in one of them (checked by [`Scope`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Per-test timeout (`90s`, `20m`).
    #[serde(default, deserialize_with = "values::duration")]
    pub timeout: Option<Duration>,
    /// Interpreter for `.py` scripts.
    pub python: Option<PathBuf>,
    /// Extra environment variables for the scripts.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Re-run a failing test up to this many times; a later pass is reported as flaky.
    pub retries: Option<u32>,
    /// Guest image the test records on (see `[images]`).
    pub image: Option<String>,
    #[serde(default)]
    pub filters: Vec<FilterSpec>,
    #[serde(default)]
    pub compare: CompareSpec,
    #[serde(default)]
    pub engine: EngineSettings,
    /// Suite only: default for `-j`.
    #[serde(default, deserialize_with = "at_least_one")]
    pub jobs: Option<usize>,
    /// Suite only: images tests may name, on top of the built-in catalog.
    #[serde(default)]
    pub images: BTreeMap<String, ImageSpec>,
    /// Suite only: images the suite's scripts name, each mapped to the image recorded on
    /// in its stead (`i386 = "panda-busybox-i386"`); `--image-map` adds to it.
    #[serde(default)]
    pub image_map: BTreeMap<String, toml::Spanned<String>>,
    /// Test only: CPUs the test occupies; `-j` counts them.
    #[serde(default, deserialize_with = "at_least_one")]
    pub threads: Option<usize>,
    /// Test only: run with no other test alongside.
    pub exclusive: Option<bool>,
    /// Files the test reads that ptest cannot see it read (globs, relative to the test's
    /// folder, or absolute): inputs for `ptest test --changed`. The suite's and the
    /// test's lists add up.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// Suite only: `ptest test` reuses the last pass of each test whose inputs are
    /// unchanged, as `--changed` does (`--no-changed` runs everything once).
    pub changed: Option<bool>,
}

/// Which file a [`Config`] was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Suite,
    Test,
}

impl Scope {
    /// Keys this scope refuses, and where each belongs.
    fn misplaced(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Scope::Suite => &[
                ("threads", "a test's test.toml"),
                ("exclusive", "a test's test.toml"),
            ],
            Scope::Test => &[
                ("jobs", "the suite's ptest.toml"),
                ("images", "the suite's ptest.toml"),
                ("image-map", "the suite's ptest.toml"),
                ("changed", "the suite's ptest.toml"),
            ],
        }
    }
}

fn at_least_one<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    match usize::deserialize(d)? {
        0 => Err(D::Error::custom("must be at least 1")),
        n => Ok(Some(n)),
    }
}

/// Read and parse a TOML config file; `Ok(None)` if it does not exist.
pub fn load(path: &Path, scope: Scope) -> Result<Option<Config>, SuiteError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SuiteError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    from_text(path, &text, scope).map(Some)
}

/// Parse and check the text of a config file read from `path` (also the fuzz target):
/// one parse into a spanned document, one deserialization into [`Config`].
pub fn from_text(path: &Path, text: &str, scope: Scope) -> Result<Config, SuiteError> {
    // A BOM is what some Windows editors put first; TOML parsers call it a syntax error.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let error = |span: Option<Range<usize>>, message: String| {
        let span = span.unwrap_or(0..0);
        let (line, column) = line_column(text, span.start);
        SuiteError::Toml {
            path: path.to_path_buf(),
            line,
            column,
            message,
            excerpt: Some(Box::new(Excerpt::new(text, span))),
        }
    };
    let document = DeTable::parse(text).map_err(|e| error(e.span(), one_line(&e)))?;
    for (key, belongs) in scope.misplaced() {
        if let Some((k, _)) = document.get_ref().get_key_value(*key) {
            let message = format!("key `{key}` belongs in {belongs}; move it there");
            return Err(error(Some(k.span()), message));
        }
    }
    let config =
        Config::deserialize(toml::de::Deserializer::from(document.clone())).map_err(|e| {
            // A value the types refused: name its key and the value as written.
            let message = match e.span().and_then(|s| key_of_value(document.get_ref(), &s)) {
                Some(key) => {
                    let span = e.span().unwrap_or(0..0);
                    let value = text.get(span).unwrap_or("");
                    format!("`{key} = {value}`: {}", one_line(&e))
                }
                None => one_line(&e),
            };
            error(e.span(), message)
        })?;
    match config.image_map_problem() {
        Some((span, message)) => Err(error(Some(span), message)),
        None => Ok(config),
    }
}

impl Config {
    /// `[image-map]` as plain names.
    pub fn image_map(&self) -> BTreeMap<String, String> {
        self.image_map
            .iter()
            .map(|(from, to)| (from.clone(), to.get_ref().clone()))
            .collect()
    }

    /// Every `[image-map]` target must be an image ptest knows (built in or declared
    /// under `[images]`), and not the image it replaces.
    fn image_map_problem(&self) -> Option<(Range<usize>, String)> {
        self.image_map.iter().find_map(|(from, to)| {
            let name = to.get_ref();
            let message = if name == from {
                format!("`[image-map] {from} = {name:?}` maps an image to itself; name another image")
            } else if ptest_engine::catalog::builtin(name).is_none()
                && !self.images.contains_key(name)
            {
                format!(
                    "`[image-map] {from} = {name:?}`: no image {name:?}; name a built-in image (`ptest images`) or declare [images.{name}]"
                )
            } else {
                return None;
            };
            Some((to.span(), message))
        })
    }
}

fn one_line(e: &toml::de::Error) -> String {
    e.message().trim().replace('\n', " ")
}

/// The key whose value sits at `span`, as a reader finds it in the file: `timeout`,
/// `[engine] stall-timeout`, `[images.mine] engine`, `[compare.modes] "*.txt"`,
/// `[[filters]] #2 regex`.
fn key_of_value(table: &DeTable<'_>, span: &Range<usize>) -> Option<String> {
    /// A key, or the place in an array of tables.
    enum Step {
        Key(String),
        Item(usize),
    }
    fn walk(table: &DeTable<'_>, span: &Range<usize>, path: &mut Vec<Step>) -> bool {
        for (key, value) in table {
            path.push(Step::Key(bare_or_quoted(key.get_ref())));
            if value.span() == *span {
                return true;
            }
            match value.get_ref() {
                DeValue::Table(inner) if walk(inner, span, path) => return true,
                DeValue::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        path.push(Step::Item(i + 1));
                        if let DeValue::Table(inner) = item.get_ref()
                            && walk(inner, span, path)
                        {
                            return true;
                        }
                        path.pop();
                    }
                }
                _ => {}
            }
            path.pop();
        }
        false
    }
    let mut path = Vec::new();
    if !walk(table, span, &mut path) {
        return None;
    }
    let Some((Step::Key(last), tables)) = path.split_last() else {
        return None;
    };
    let mut names = Vec::new();
    let mut item = None;
    for step in tables {
        match step {
            Step::Key(k) => names.push(k.as_str()),
            Step::Item(i) => item = Some(*i),
        }
    }
    Some(match (names.is_empty(), item) {
        (true, _) => last.clone(),
        (false, None) => format!("[{}] {last}", names.join(".")),
        (false, Some(i)) => format!("[[{}]] #{i} {last}", names.join(".")),
    })
}

fn bare_or_quoted(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, column)
}

/// One comparison layer from the config file at `path`.
pub fn compare_layer(path: &Path, config: &Config) -> CompareLayer {
    CompareLayer {
        origin: path.display().to_string(),
        filters: config.filters.clone(),
        compare: config.compare.clone(),
    }
}

#[cfg(test)]
mod tests;
