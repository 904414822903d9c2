//! The words for a [`Variation`]: per file, each spot with its variants and its checked
//! suggestion as the exact lines to add to `target` (the test's `test.toml`). Plain text,
//! one indentation level per layer; the terminal and the HTML report show it as is.

use std::fmt::Write;

use super::model::{Place, Spot, Variation};

/// `variation` in words; `target` names the file the suggested lines go into.
pub fn render(variation: &Variation, target: &str) -> String {
    let mut out = String::new();
    let n = variation.runs;
    for file in &variation.files {
        let _ = writeln!(
            out,
            "{}: differs between the {n} runs ({} mode)",
            file.name, file.mode
        );
        // A pandalog's lines are its entries, rendered one per line.
        let unit = match file.mode == "plog" {
            true => ("entry", "entries"),
            false => ("line", "lines"),
        };
        for spot in &file.spots {
            spot_lines(&mut out, spot, target, unit);
        }
        if let Some(note) = &file.note {
            let _ = writeln!(out, "  note: {note}");
        }
        let offered = file.spots.iter().filter(|s| s.suggestion.is_some()).count();
        if offered > 0 {
            let verdict = match file.fixed_by_suggestions {
                true => format!(
                    "together they make all {n} runs agree (checked with the test's comparison)"
                ),
                false => format!(
                    "together they do not make all {n} runs agree: the spots without a suggestion need a filter by hand"
                ),
            };
            let _ = writeln!(out, "  {offered} suggestion(s); {verdict}");
        }
    }
    out
}

fn runs(list: &[u32]) -> String {
    let words: Vec<String> = list.iter().map(u32::to_string).collect();
    match list.len() {
        1 => format!("run {}", words[0]),
        _ => format!("runs {}", words.join(", ")),
    }
}

fn spot_lines(out: &mut String, spot: &Spot, target: &str, (unit, units): (&str, &str)) {
    let _ = match &spot.place {
        Place::Token {
            first_line,
            lines,
            shape,
        } => match lines {
            1 => writeln!(out, "  {unit} {first_line} varies at …: {shape}"),
            _ => writeln!(
                out,
                "  {unit} {first_line} and {} more alike vary at …: {shape}",
                lines - 1
            ),
        },
        Place::Order { lines } => writeln!(
            out,
            "  the order of {lines} {units} varies (the same ones in every run)"
        ),
        Place::Lines { first_line, lines } => {
            writeln!(
                out,
                "  from {unit} {first_line}, up to {lines} {units} differ outright"
            )
        }
        Place::Presence => writeln!(out, "  produced by some runs only"),
        Place::Whole { why, .. } => writeln!(
            out,
            "  not analysed line by line ({why}); run 1 against the first run that differs:"
        ),
    };
    if let Place::Whole { diff, .. } = &spot.place {
        for line in diff.lines().take(20) {
            let _ = writeln!(out, "      {line}");
        }
    }
    for v in &spot.variants {
        let times = match v.count as usize == v.runs.len() {
            true => String::new(),
            false => format!(", {} times", v.count),
        };
        let _ = writeln!(out, "    {}  ({}{times})", v.text, runs(&v.runs));
    }
    if spot.more_variants > 0 {
        let _ = writeln!(out, "    … and {} more variant(s)", spot.more_variants);
    }
    match &spot.suggestion {
        Some(s) => {
            let _ = writeln!(
                out,
                "    suggestion (checked on every run), add to {target}:"
            );
            for line in s.toml_lines().lines() {
                let _ = writeln!(out, "      {line}");
            }
        }
        None if !matches!(spot.place, Place::Presence | Place::Whole { .. }) => {
            let _ = writeln!(out, "    no suggestion makes the runs agree here");
        }
        None => {}
    }
}
