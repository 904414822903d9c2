//! Nondeterminism across repeated runs of one test (`bless --repeat N`, `test --repeat
//! N`): given the N runs' output folders and the test's comparison rules, which files
//! differ between runs (decided by the test's own comparison, so "the runs agree" means
//! exactly what `ptest test` would say), and in each what varies, as spots with their
//! variants, each with a suggestion checked on every run before it is offered.
//!
//! Pure: it reads the runs' files and compiles rules; it runs nothing, prints nothing and
//! writes nothing (writing accepted suggestions into a config file is [`edit`]). Files:
//! `model` (the data the reports carry), `lines` (the runs read in step, bounded), `spots`
//! (positions sorted into moved lines, tokens and outright changes), `suggest` (candidates
//! and their checks), `render` (the words), `edit` (`--apply-suggestions`).

pub mod edit;
mod lines;
mod model;
mod plog;
mod render;
mod spots;
mod suggest;

use std::path::{Path, PathBuf};

pub use model::{FileVariation, Place, Spot, Suggestion, Variant, Variation};
pub use render::render;

use crate::compare::{CompareError, CompareLayer, Comparer, Mode, looks_binary};
use crate::record::{self as outcome, FileRecord};
use crate::tree;

/// Variants listed per spot; the rest are counted.
const MAX_VARIANTS: usize = 8;
/// Varying tokens shown (and given a suggestion) per file; the rest are counted.
const MAX_TOKEN_SPOTS: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum VariationError {
    #[error(transparent)]
    Compare(#[from] CompareError),
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What varies across `runs` (each run's output folder, in run order) under `layers`
/// (the test's comparison rules, suite first).
pub fn analyse(layers: &[CompareLayer], runs: &[PathBuf]) -> Result<Variation, VariationError> {
    let comparer = Comparer::new(layers)?;
    let mut trees = Vec::with_capacity(runs.len());
    for run in runs {
        trees.push(tree::walk(run).map_err(|source| VariationError::Io {
            path: run.clone(),
            source,
        })?);
    }
    let mut names: Vec<&String> = trees.iter().flat_map(|t| t.keys()).collect();
    names.sort();
    names.dedup();
    let mut files = Vec::new();
    for name in names {
        let present: Vec<u32> = (0..runs.len())
            .filter(|&r| matches!(trees[r].get(name), Some(tree::Entry::File)))
            .map(|r| r as u32 + 1)
            .collect();
        if present.len() != runs.len() {
            files.push(presence(&comparer, name, runs, &present));
            continue;
        }
        let paths: Vec<PathBuf> = runs.iter().map(|r| r.join(name)).collect();
        // Decided without a diff (streamed); the diff is only made for a file shown
        // whole (binary, an undecodable pandalog), against the first run that differs.
        let differing: Vec<u32> = (1..paths.len())
            .filter(|&k| !comparer.same_files(name, &paths[0], &paths[k]))
            .map(|k| k as u32 + 1)
            .collect();
        if !differing.is_empty() {
            files.push(analyse_file(layers, &comparer, name, &paths, &differing)?);
        }
    }
    Ok(Variation {
        runs: runs.len() as u32,
        files,
    })
}

fn presence(comparer: &Comparer, name: &str, runs: &[PathBuf], present: &[u32]) -> FileVariation {
    let absent: Vec<u32> = (1..=runs.len() as u32)
        .filter(|r| !present.contains(r))
        .collect();
    let variant = |text: &str, runs: Vec<u32>| Variant {
        text: text.to_string(),
        count: runs.len() as u64,
        runs,
    };
    FileVariation {
        name: name.to_string(),
        mode: comparer
            .mode_for(name, &runs[0].join(name), &runs[0].join(name))
            .as_str()
            .to_string(),
        spots: vec![Spot {
            place: Place::Presence,
            variants: vec![
                variant("produced", present.to_vec()),
                variant("not produced (or not a regular file)", absent),
            ],
            more_variants: 0,
            suggestion: None,
        }],
        fixed_by_suggestions: false,
        note: None,
    }
}

fn analyse_file(
    layers: &[CompareLayer],
    comparer: &Comparer,
    name: &str,
    paths: &[PathBuf],
    differing: &[u32],
) -> Result<FileVariation, VariationError> {
    let mode = comparer.mode_for(name, &paths[0], &paths[differing[0] as usize - 1]);
    let mut file = FileVariation {
        name: name.to_string(),
        mode: mode.as_str().to_string(),
        spots: Vec::new(),
        fixed_by_suggestions: false,
        note: None,
    };
    // A pandalog is analysed as its entries rendered one per line (the text its filters
    // see); a log that does not decode is shown whole.
    let mut dumps = None;
    let whole = match mode {
        Mode::Plog => {
            let scratch = paths[0].parent().unwrap_or(Path::new("."));
            match plog::render(paths, comparer.plog_schema(), scratch) {
                Ok(d) => {
                    dumps = Some(d);
                    None
                }
                Err(why) => Some(format!("a pandalog that does not decode: {why}")),
            }
        }
        Mode::Exact if paths.iter().any(|p| head_is_binary(p)) => Some("binary".to_string()),
        _ => None,
    };
    if let Some(why) = whole {
        let differ = differing.to_vec();
        let first = comparer.compare_files(name, &paths[0], &paths[differing[0] as usize - 1]);
        let same: Vec<u32> = (1..=paths.len() as u32)
            .filter(|k| !differ.contains(k))
            .collect();
        file.spots.push(Spot {
            place: Place::Whole {
                why,
                diff: outcome::describe(&FileRecord::from(&first)),
            },
            variants: vec![
                Variant {
                    text: "as run 1".into(),
                    count: same.len() as u64,
                    runs: same,
                },
                Variant {
                    text: "differs from run 1".into(),
                    count: differ.len() as u64,
                    runs: differ,
                },
            ],
            more_variants: 0,
            suggestion: None,
        });
        return Ok(file);
    }
    let read = dumps.as_ref().map_or(paths, |d| &d.paths[..]);
    let refs: Vec<&Path> = read.iter().map(PathBuf::as_path).collect();
    let collected = lines::collect(&refs, &comparer.line_filter(name)).map_err(|(i, source)| {
        VariationError::Io {
            path: read[i].clone(),
            source,
        }
    })?;
    if dumps.as_ref().is_some_and(|d| d.cut) {
        add_note(
            &mut file,
            format!(
                "entries analysed up to {} MiB of rendered text per run",
                plog::MAX_DUMP >> 20
            ),
        );
    }
    if let Some(line) = collected.stopped_at {
        add_note(
            &mut file,
            format!(
                "analysed up to line {line} (at most {} differing lines, {} MiB of them)",
                lines::MAX_DIFFERING,
                lines::MAX_HELD >> 20
            ),
        );
    }
    let mut sorted = spots::sort(&collected, paths.len(), mode != Mode::Sorted);
    // Past the bound the kept lines of each run are not the same set even when only the
    // order varies: the whole files' order-independent digests tell (streamed).
    if collected.stopped_at.is_some() && !matches!(mode, Mode::Sorted | Mode::Plog) {
        let order = Suggestion::Mode {
            mode: Mode::Sorted.as_str().to_string(),
            files: suggest::glob_for(name),
        };
        let with = suggest::with(layers, &[&order])?;
        if (1..paths.len()).all(|k| with.same_files(name, &paths[0], &paths[k])) {
            let samples =
                vec!["(past the bound: the same lines, in another order)".to_string(); paths.len()];
            sorted = spots::Spots {
                order: Some((collected.differing.len() as u64, samples)),
                ..Default::default()
            };
        }
    }
    let candidates = suggest::Candidates::new(layers, name)?;
    for group in sorted.tokens.iter().take(MAX_TOKEN_SPOTS) {
        let mut values: Vec<_> = group.values.iter().collect();
        // Most frequent first; among equals, by the first run that showed them.
        values.sort_by_key(|(_, (runs, count))| (std::cmp::Reverse(*count), runs.first().copied()));
        file.spots.push(Spot {
            place: Place::Token {
                first_line: group.first_line,
                lines: group.tuples.len() as u64,
                shape: group.shape.clone(),
            },
            more_variants: values.len().saturating_sub(MAX_VARIANTS) as u64,
            variants: values
                .iter()
                .take(MAX_VARIANTS)
                .map(|(text, (runs, count))| Variant {
                    text: spots::lossy(text, 100),
                    runs: runs.iter().copied().collect(),
                    count: *count,
                })
                .collect(),
            suggestion: candidates.for_token(group)?,
        });
    }
    if sorted.tokens.len() > MAX_TOKEN_SPOTS {
        let more = sorted.tokens.len() - MAX_TOKEN_SPOTS;
        add_note(&mut file, format!("{more} more varying tokens not shown"));
    }
    if let Some((count, samples)) = &sorted.order {
        file.spots.push(Spot {
            place: Place::Order { lines: *count },
            variants: grouped(samples),
            more_variants: 0,
            // The moved lines are by construction the same in every run: only their order
            // differs, which `sorted` ignores. Pandalog entries have no such mode.
            suggestion: (mode != Mode::Plog).then(|| Suggestion::Mode {
                mode: Mode::Sorted.as_str().to_string(),
                files: suggest::glob_for(name),
            }),
        });
    }
    if let Some(group) = &sorted.lines {
        let texts: Vec<String> = group
            .per_run
            .iter()
            .map(|(t, n)| format!("{t} ({n} line(s))"))
            .collect();
        file.spots.push(Spot {
            place: Place::Lines {
                first_line: group.first_line,
                lines: group.per_run.iter().map(|p| p.1).max().unwrap_or(0),
            },
            variants: grouped(&texts),
            more_variants: 0,
            suggestion: None,
        });
    }
    let suggestions: Vec<&Suggestion> = file
        .spots
        .iter()
        .filter_map(|s| s.suggestion.as_ref())
        .collect();
    if !suggestions.is_empty() {
        let with = suggest::with(layers, &suggestions)?;
        file.fixed_by_suggestions =
            (1..paths.len()).all(|k| with.same_files(name, &paths[0], &paths[k]));
    }
    Ok(file)
}

fn add_note(file: &mut FileVariation, note: String) {
    file.note = Some(match file.note.take() {
        Some(n) => format!("{n}; {note}"),
        None => note,
    });
}

/// Runs grouped by the text they showed, most runs first.
fn grouped(per_run: &[String]) -> Vec<Variant> {
    let mut out: Vec<Variant> = Vec::new();
    for (r, text) in per_run.iter().enumerate() {
        match out.iter_mut().find(|v| v.text == *text) {
            Some(v) => {
                v.runs.push(r as u32 + 1);
                v.count += 1;
            }
            None => out.push(Variant {
                text: text.clone(),
                runs: vec![r as u32 + 1],
                count: 1,
            }),
        }
    }
    out.sort_by_key(|v| std::cmp::Reverse(v.count));
    out
}

fn head_is_binary(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::with_capacity(8192);
    std::fs::File::open(path)
        .and_then(|f| f.take(8192).read_to_end(&mut head))
        .is_ok_and(|_| looks_binary(&head))
}

#[cfg(test)]
mod tests;
