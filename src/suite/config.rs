//! `ptest.toml` (suite-wide) and `NAME/test.toml` (per test). Both are optional; unknown
//! keys are errors naming the file, line and key, so a typo never silently does nothing.

// Engines a `[images.NAME]` table may name: the drivers in `ptest_engine`.
use ptest_engine::ENGINES;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::SuiteError;
use crate::compare::{CompareLayer, CompareSpec, FilterSpec};

/// One config file: `ptest.toml` (suite) or `NAME/test.toml` (test). Both take the same
/// keys but for a few that only make sense in one of them (checked by [`Scope`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Per-test timeout (`90s`, `20m`).
    pub timeout: Option<Spanned<String>>,
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
    pub engine: ptest_engine::EngineSettings,
    /// Suite only: default for `-j`.
    pub jobs: Option<Spanned<usize>>,
    /// Suite only: images tests may name, on top of the built-in catalog.
    pub images: Option<Spanned<BTreeMap<String, ptest_engine::ImageSpec>>>,
    /// Suite only: images the suite's scripts name, each mapped to the image recorded on
    /// in its stead (`i386 = "panda-busybox-i386"`); `--image-map` adds to it.
    pub image_map: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    /// Test only: CPUs the test occupies; `-j` counts them.
    pub threads: Option<Spanned<usize>>,
    /// Test only: run with no other test alongside.
    pub exclusive: Option<Spanned<bool>>,
}

/// Which file a [`Config`] was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Suite,
    Test,
}

impl Config {
    /// Images declared in the suite config.
    pub fn images(&self) -> BTreeMap<String, ptest_engine::ImageSpec> {
        self.images
            .as_ref()
            .map(|i| i.get_ref().clone())
            .unwrap_or_default()
    }

    /// `[image-map]` as plain names.
    pub fn image_map(&self) -> BTreeMap<String, String> {
        let map = self.image_map.as_ref().map(|m| m.get_ref());
        map.into_iter()
            .flatten()
            .map(|(from, to)| (from.clone(), to.get_ref().clone()))
            .collect()
    }

    /// Every `[image-map]` target must be an image ptest knows (built in or declared
    /// under `[images]`), and not the image it replaces.
    fn check_image_map(&self, path: &Path, text: &str) -> Result<(), SuiteError> {
        let declared = self.images();
        for (from, to) in self
            .image_map
            .as_ref()
            .map(|m| m.get_ref())
            .into_iter()
            .flatten()
        {
            let name = to.get_ref();
            let message = if name == from {
                format!(
                    "`[image-map] {from} = {name:?}` maps an image to itself; name another image"
                )
            } else if ptest_engine::catalog::builtin(name).is_none() && !declared.contains_key(name)
            {
                format!(
                    "`[image-map] {from} = {name:?}`: no image {name:?}; name a built-in image (`ptest images`) or declare [images.{name}]"
                )
            } else {
                continue;
            };
            let (line, column) = line_column(text, to.span().start);
            return Err(SuiteError::Toml {
                path: path.to_path_buf(),
                line,
                column,
                message,
            });
        }
        Ok(())
    }

    fn check_scope(&self, scope: Scope, path: &Path, text: &str) -> Result<(), SuiteError> {
        let misplaced = |key: &str, span: std::ops::Range<usize>, belongs: &str| {
            let (line, column) = line_column(text, span.start);
            Err(SuiteError::Toml {
                path: path.to_path_buf(),
                line,
                column,
                message: format!("key `{key}` belongs in {belongs}; move it there"),
            })
        };
        match scope {
            Scope::Suite => {
                if let Some(v) = &self.threads {
                    return misplaced("threads", v.span(), "a test's test.toml");
                }
                if let Some(v) = &self.exclusive {
                    return misplaced("exclusive", v.span(), "a test's test.toml");
                }
            }
            Scope::Test => {
                if let Some(v) = &self.jobs {
                    return misplaced("jobs", v.span(), "the suite's ptest.toml");
                }
                if let Some(v) = &self.images {
                    return misplaced("images", v.span(), "the suite's ptest.toml");
                }
                if let Some(v) = &self.image_map {
                    return misplaced("image-map", v.span(), "the suite's ptest.toml");
                }
            }
        }
        Ok(())
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

/// Parse and check the text of a config file read from `path` (also the fuzz target).
pub fn from_text(path: &Path, text: &str, scope: Scope) -> Result<Config, SuiteError> {
    // A BOM is what some Windows editors put first; TOML parsers call it a syntax error.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let config: Config = parse(path, text)?;
    config.check_scope(scope, path, text)?;
    config.check_image_map(path, text)?;
    check_values(path, text)?;
    Ok(config)
}

/// QEMU refuses `-icount shift=N` above this.
const MAX_ICOUNT_SHIFT: u32 = 10;
/// Guest memory above this (1 TiB) is a typo, and would overflow the drivers' arithmetic.
const MAX_MEMORY_MIB: u64 = 1 << 20;

/// The values of a config file whose type TOML cannot check, with their positions.
/// Read from the same text as [`Config`] (unknown keys are [`Config`]'s business).
#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case", default)]
struct Checked {
    timeout: Option<Spanned<String>>,
    jobs: Option<Spanned<usize>>,
    threads: Option<Spanned<usize>>,
    engine: CheckedEngine,
    compare: CheckedCompare,
    images: BTreeMap<String, CheckedImage>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case", default)]
struct CheckedEngine {
    stall_timeout: Option<Spanned<String>>,
    record_timeout: Option<Spanned<String>>,
    prompt_timeout: Option<Spanned<String>>,
    shift: Option<Spanned<u32>>,
    memory: Option<Spanned<u32>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case", default)]
struct CheckedCompare {
    mode: Option<Spanned<String>>,
    modes: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CheckedImage {
    engine: Option<Spanned<String>>,
    memory: Option<Spanned<String>>,
}

/// Check every value whose meaning TOML's types do not capture (durations, engine names,
/// modes, sizes), naming `file:line:column` and the key on error. Runs when the file is
/// loaded, before any test starts.
fn check_values(path: &Path, text: &str) -> Result<(), SuiteError> {
    let c: Checked = parse(path, text)?;
    let fail = |span: std::ops::Range<usize>, message: String| {
        let (line, column) = line_column(text, span.start);
        Err(SuiteError::Toml {
            path: path.to_path_buf(),
            line,
            column,
            message,
        })
    };
    let durations = [
        ("timeout", &c.timeout),
        ("[engine] stall-timeout", &c.engine.stall_timeout),
        ("[engine] record-timeout", &c.engine.record_timeout),
        ("[engine] prompt-timeout", &c.engine.prompt_timeout),
    ];
    for (key, value) in durations {
        if let Some(v) = value
            && let Err(why) = duration_value(v.get_ref())
        {
            return fail(v.span(), format!("`{key} = {:?}`: {why}", v.get_ref()));
        }
    }
    for (key, value) in [("jobs", &c.jobs), ("threads", &c.threads)] {
        if let Some(v) = value
            && *v.get_ref() == 0
        {
            return fail(v.span(), format!("`{key} = 0`: must be at least 1"));
        }
    }
    if let Some(v) = &c.engine.shift
        && *v.get_ref() > MAX_ICOUNT_SHIFT
    {
        return fail(
            v.span(),
            format!(
                "`[engine] shift = {}`: QEMU's icount shift is 0 to {MAX_ICOUNT_SHIFT}",
                v.get_ref()
            ),
        );
    }
    if let Some(v) = &c.engine.memory
        && (*v.get_ref() == 0 || u64::from(*v.get_ref()) > MAX_MEMORY_MIB)
    {
        return fail(
            v.span(),
            format!(
                "`[engine] memory = {}`: guest memory in MiB, 1 to {MAX_MEMORY_MIB}",
                v.get_ref()
            ),
        );
    }
    let modes = c
        .compare
        .mode
        .iter()
        .map(|m| ("mode".to_string(), m))
        .chain(
            c.compare
                .modes
                .iter()
                .map(|(glob, m)| (format!("modes {glob:?}"), m)),
        );
    for (key, m) in modes {
        if crate::compare::Mode::parse(m.get_ref()).is_none() {
            let names: Vec<&str> = crate::compare::Mode::ALL
                .iter()
                .map(|m| m.as_str())
                .collect();
            return fail(
                m.span(),
                format!(
                    "`[compare] {key} = {:?}`: unknown mode; use one of {}",
                    m.get_ref(),
                    names.join(", ")
                ),
            );
        }
    }
    for (name, image) in &c.images {
        if let Some(e) = &image.engine
            && !ENGINES.contains(&e.get_ref().as_str())
        {
            return fail(
                e.span(),
                format!(
                    "`[images.{name}] engine = {:?}`: unknown engine; use one of {}",
                    e.get_ref(),
                    ENGINES.join(", ")
                ),
            );
        }
        if let Some(m) = &image.memory
            && let Err(why) = memory_mib(m.get_ref())
        {
            return fail(
                m.span(),
                format!("`[images.{name}] memory = {:?}`: {why}", m.get_ref()),
            );
        }
    }
    Ok(())
}

/// A duration as config files write it; zero is refused (a zero timeout kills every
/// test at once).
fn duration_value(value: &str) -> Result<Duration, String> {
    match humantime::parse_duration(value) {
        Ok(d) if d.is_zero() => Err("must be longer than zero".into()),
        Ok(d) => Ok(d),
        Err(e) => Err(format!(
            "{e}; write durations like \"90s\", \"20m\" or \"1h30m\""
        )),
    }
}

/// Guest memory as images write it (`1G`, `256M`, or MiB), in MiB, within
/// [`MAX_MEMORY_MIB`].
fn memory_mib(value: &str) -> Result<u64, String> {
    let v = value.trim();
    let (number, factor) = match v.char_indices().last() {
        Some((i, 'G' | 'g')) => (&v[..i], 1024),
        Some((i, 'M' | 'm')) => (&v[..i], 1),
        _ => (v, 1),
    };
    let mib = number
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| "write guest memory like \"256M\", \"1G\" or a number of MiB".to_string())?;
    if mib == 0 || mib > MAX_MEMORY_MIB {
        return Err(format!("must be 1 MiB to {} GiB", MAX_MEMORY_MIB >> 10));
    }
    Ok(mib)
}

/// Parse TOML `text` read from `path`, turning errors into `file:line:column: message`.
pub fn parse<T: for<'de> Deserialize<'de>>(path: &Path, text: &str) -> Result<T, SuiteError> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|span| line_column(text, span.start))
            .unwrap_or((1, 1));
        SuiteError::Toml {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().trim().replace('\n', " "),
        }
    })
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, column)
}

/// Parse a duration as written in config (`90s`, `20m`, `1h30m`), naming `origin` on error.
/// (Loading a config file already checked it with its line: see `check_values`.)
pub fn parse_duration(origin: &Path, key: &str, value: &str) -> Result<Duration, SuiteError> {
    duration_value(value).map_err(|why| SuiteError::Invalid {
        path: origin.to_path_buf(),
        message: format!("`{key} = {value:?}`: {why}"),
    })
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
