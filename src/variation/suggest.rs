//! Finding, for each varying token, a rule that makes the runs agree there, and checking
//! it before it is offered: an existing preset first, else a regex filter generated from
//! the token's kind and the text before it. A candidate is compiled with the test's own
//! rules (as `ptest.toml` would hold it) and applied to every run's line; it is offered
//! only if the runs then agree. The whole set is checked once more by the test's real
//! comparison in `analyse`.
//!
//! Pure: compiles rules and applies them to lines held in memory.

use crate::compare::{CompareError, CompareLayer, CompareSpec, Comparer, FilterSpec, preset_names};

use super::model::Suggestion;
use super::spots::{Kind, TokenGroup};

/// Where suggested rules come from, in messages about them.
const ORIGIN: &str = "suggested rules";

/// A `files` glob matching exactly `name`.
pub(super) fn glob_for(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\' | '!') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The layer holding `suggestions`, to compile after the test's own.
pub(super) fn layer_of(suggestions: &[&Suggestion]) -> CompareLayer {
    let mut layer = CompareLayer {
        origin: ORIGIN.to_string(),
        filters: Vec::new(),
        compare: CompareSpec::default(),
    };
    for s in suggestions {
        match s {
            Suggestion::Preset { preset, files } => layer.filters.push(FilterSpec {
                preset: Some(preset.clone()),
                regex: None,
                replace: String::new(),
                files: Some(files.clone()),
            }),
            Suggestion::Filter {
                regex,
                replace,
                files,
            } => layer.filters.push(FilterSpec {
                preset: None,
                regex: Some(regex.clone()),
                replace: replace.clone(),
                files: Some(files.clone()),
            }),
            Suggestion::Mode { mode, files } => {
                layer.compare.modes.insert(files.clone(), mode.clone());
            }
        }
    }
    layer
}

/// The test's rules plus `suggestions`, compiled.
pub(super) fn with(
    layers: &[CompareLayer],
    suggestions: &[&Suggestion],
) -> Result<Comparer, CompareError> {
    let mut all = layers.to_vec();
    all.push(layer_of(suggestions));
    Comparer::new(&all)
}

/// The regex filter generated for `group`, if its token can be told apart safely.
fn generated(group: &TokenGroup, files: &str) -> Option<Suggestion> {
    let class = group.kind.regex();
    let placeholder = group.kind.placeholder();
    let (regex, replace) = if group.kind == Kind::Word && group.context.is_empty() {
        // Any token with nothing before it: it would hide what the line says.
        return None;
    } else if group.at_line_start {
        (format!("^{class}"), placeholder.to_string())
    } else if !group.context.is_empty() {
        let context = std::str::from_utf8(&group.context).ok()?;
        // `\b` keeps `(99=)` from matching inside `199=`.
        let edge = match context.as_bytes()[0].is_ascii_alphanumeric() {
            true => r"\b",
            false => "",
        };
        (
            format!("{edge}({}){class}", regex::escape(context)),
            format!("${{1}}{placeholder}"),
        )
    } else {
        (format!(r"\b{class}\b"), placeholder.to_string())
    };
    Some(Suggestion::Filter {
        regex,
        replace,
        files: files.to_string(),
    })
}

/// The candidates for one file's tokens: each preset compiled once with the test's rules.
pub(super) struct Candidates<'a> {
    layers: &'a [CompareLayer],
    name: &'a str,
    files: String,
    presets: Vec<(Suggestion, Comparer)>,
}

impl<'a> Candidates<'a> {
    pub(super) fn new(layers: &'a [CompareLayer], name: &'a str) -> Result<Self, CompareError> {
        let files = glob_for(name);
        let mut presets = Vec::new();
        for p in preset_names() {
            let s = Suggestion::Preset {
                preset: p.to_string(),
                files: files.clone(),
            };
            let comparer = with(layers, &[&s])?;
            presets.push((s, comparer));
        }
        Ok(Candidates {
            layers,
            name,
            files,
            presets,
        })
    }

    /// The first candidate for `group` that passes: a preset, else a generated filter.
    pub(super) fn for_token(&self, group: &TokenGroup) -> Result<Option<Suggestion>, CompareError> {
        for (s, comparer) in &self.presets {
            if passes(comparer, self.name, group) {
                return Ok(Some(s.clone()));
            }
        }
        let Some(s) = generated(group, &self.files) else {
            return Ok(None);
        };
        let comparer = with(self.layers, &[&s])?;
        Ok(passes(&comparer, self.name, group).then_some(s))
    }
}

/// Whether the rules of `comparer` make every run's line of `group` agree.
fn passes(comparer: &Comparer, name: &str, group: &TokenGroup) -> bool {
    let filter = comparer.line_filter(name);
    let (mut out, mut scratch) = (Vec::new(), Vec::new());
    for tuple in &group.tuples {
        let mut first: Option<Vec<u8>> = None;
        for line in tuple {
            filter.apply(line, &mut out, &mut scratch);
            match &first {
                None => first = Some(out.clone()),
                Some(f) if *f != out => return false,
                Some(_) => {}
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_the_file_only() {
        assert_eq!(glob_for("out/a.txt"), "out/a.txt");
        assert_eq!(glob_for("a*[1].txt"), r"a\*\[1\].txt");
        let g = globset::Glob::new(&glob_for("a*[1].txt"))
            .unwrap()
            .compile_matcher();
        assert!(g.is_match("a*[1].txt") && !g.is_match("ab1.txt"));
    }
}
