//! The review's terminal: one screen per differing file (header, a page of the coloured
//! diff, the keys), single keys read in raw mode (`console`, as `cargo insta review`
//! does), so it works in any terminal, over SSH too. It must not change files: it returns
//! the decisions, which [`super::apply`] carries out.

use std::io;

use console::{Key, Style, Term};

use crate::record;
use crate::report::terminal::Terminal;

use super::plan::Plan;
use super::session::{Action, Session};

/// The prompt, shown under every file.
pub const PROMPT: &str = "a accept file · A accept test · r reject · s skip · q quit · ? help > ";

/// The keys, for `?` (the README's table says the same).
const HELP: &[(&str, &str)] = &[
    (
        "a",
        "accept this file: its new output becomes the blessed reference",
    ),
    ("A", "accept the whole test: every differing file of it"),
    (
        "r",
        "reject: keep the reference (the new output stays in tmpout/)",
    ),
    (
        "s",
        "skip: decide later (`ptest review` again, or `ptest accept TEST`)",
    ),
    ("m, space", "show more of a long diff"),
    (
        "q",
        "quit: apply the decisions taken so far, leave the rest",
    ),
    (
        "Ctrl-C",
        "abort: apply nothing, every reference stays as it was",
    ),
    ("?", "this help"),
];

/// How the review ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Every file was decided.
    Finished,
    /// `q`: the decisions so far apply.
    Quit,
    /// Ctrl-C or a signal: nothing applies.
    Aborted,
}

/// Go through the plan's files on `term`; `color`: colour the diff as `ptest test` does.
pub fn run(term: &Term, color: bool, plan: &Plan) -> io::Result<(Session, Ended)> {
    let mut session = Session::new(plan);
    let painter = Terminal::new(color, false);
    let style = |s: Style| {
        if color {
            s.force_styling(true)
        } else {
            Style::new()
        }
    };
    let mut note: Option<String> = None;
    while let Some((t, f)) = session.current() {
        let test = &plan.tests[t];
        let file = &test.files[f];
        let text = record::describe(file);
        let lines: Vec<&str> = text.lines().collect();
        let (rows, cols) = term.size();
        let page = usize::from(rows).saturating_sub(9).max(5);
        let width = usize::from(cols).max(20);
        let mut offset = 0;
        loop {
            term.clear_screen()?;
            let mut screen = String::new();
            screen += &format!(
                "{} file {}/{} · test {} ({}/{}) · file {}/{} of this test\n",
                style(Style::new().bold()).apply_to("ptest review:"),
                session.ordinal(),
                plan.file_count(),
                test.name,
                t + 1,
                plan.tests.len(),
                f + 1,
                test.files.len(),
            );
            let filters = if file.filters.is_empty() {
                "none".to_string()
            } else {
                file.filters.join(", ")
            };
            screen += &format!(
                "{} · compare mode {} · filters: {filters}\n",
                style(Style::new().bold()).apply_to(crate::human::visible(&file.name)),
                file.mode
            );
            let rule = style(Style::new().dim()).apply_to("─".repeat(width.min(100)));
            screen += &format!("{rule}\n");
            let end = (offset + page).min(lines.len());
            for line in &lines[offset..end] {
                let cut = console::truncate_str(line, width - 1, "…");
                screen += &format!("{}\n", painter.colour_diff_line(&cut));
            }
            if end < lines.len() || offset > 0 {
                screen += &format!(
                    "{}\n",
                    style(Style::new().dim()).apply_to(format!(
                        "… lines {}-{end} of {}: m for more (`ptest diff {}` shows it all)",
                        offset + 1,
                        lines.len(),
                        test.name
                    ))
                );
            }
            screen += &format!("{rule}\n");
            if let Some(n) = note.take() {
                screen += &format!("{}\n", style(Style::new().yellow()).apply_to(n));
            }
            screen += PROMPT;
            term.write_str(&screen)?;
            term.flush()?;
            let key = term.read_key_raw()?;
            if key == Key::CtrlC {
                return Ok((session, Ended::Aborted));
            }
            let action = match key {
                Key::Char('a') => Action::AcceptFile,
                Key::Char('A') => Action::AcceptTest,
                Key::Char('r') => Action::Reject,
                Key::Char('s') => Action::Skip,
                Key::Char('q') => Action::Quit,
                Key::Char('m' | ' ') => {
                    if end < lines.len() {
                        offset = end;
                    } else {
                        note = Some("that is the end of this diff".into());
                    }
                    continue;
                }
                Key::Char('?' | 'h') => {
                    if !help(term)? {
                        return Ok((session, Ended::Aborted));
                    }
                    continue;
                }
                _ => {
                    note = Some("unknown key: press ? for help".into());
                    continue;
                }
            };
            session.act(action);
            if action == Action::Quit {
                return Ok((session, Ended::Quit));
            }
            break;
        }
    }
    Ok((session, Ended::Finished))
}

/// Show the keys until a key is pressed; false on Ctrl-C.
fn help(term: &Term) -> io::Result<bool> {
    term.clear_screen()?;
    let mut text = String::from("ptest review: keys\n\n");
    for (key, what) in HELP {
        text += &format!("  {key:<9} {what}\n");
    }
    text += "\nDecisions apply when the review ends (after the last file, or q).\n";
    text += "Press any key to go back. ";
    term.write_str(&text)?;
    let key = term.read_key_raw()?;
    Ok(key != Key::CtrlC)
}
