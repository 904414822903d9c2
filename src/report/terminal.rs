//! The terminal reporter: a live progress bar on a terminal, one plain line per finished
//! test otherwise (CI logs), diffs and log tails for failures, and a summary whose last
//! line says whether everything succeeded. A sink of runner events like the others; file
//! outcomes are worded by [`crate::record`], only coloured here.

use std::collections::BTreeSet;
use std::io::Write;
use std::time::Duration;

use console::Style;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::compare::FileVerdict;
use crate::record;
use crate::runner::{Event, RunKind, Status, TestResult};

use super::Reporter;

/// Diff lines printed per run, over all tests: each file's diff is cut on its own, but
/// blessing 20,000 changed files still printed 140k lines. `ptest diff` shows the rest.
pub const MAX_RUN_DIFF_LINES: usize = 2000;

pub struct Terminal {
    color: bool,
    bar: Option<ProgressBar>,
    running: BTreeSet<String>,
    total: usize,
    done: usize,
    /// Diff lines this run may still print, and how many were held back.
    diff_budget: usize,
    diff_held_back: usize,
}

impl Terminal {
    /// `progress`: draw a live progress bar (only on a terminal, never with `-v`).
    pub fn new(color: bool, progress: bool) -> Terminal {
        let bar = progress.then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let template = if color {
                "{spinner:.cyan} [{elapsed_precise}] {pos}/{len} {bar:25.cyan/blue} {msg}"
            } else {
                "{spinner} [{elapsed_precise}] {pos}/{len} {bar:25} {msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Terminal {
            color,
            bar,
            running: BTreeSet::new(),
            total: 0,
            done: 0,
            diff_budget: MAX_RUN_DIFF_LINES,
            diff_held_back: 0,
        }
    }

    fn style(&self, s: Style) -> Style {
        if self.color {
            s.force_styling(true)
        } else {
            Style::new()
        }
    }

    /// Print above the progress bar (or plainly when there is none).
    fn print(&self, text: &str) {
        let write = || {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        };
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    fn update_bar(&self) {
        if let Some(bar) = &self.bar {
            bar.set_position(self.done as u64);
            let names: Vec<&str> = self.running.iter().map(String::as_str).collect();
            let mut msg = names.join(", ");
            if msg.len() > 60 {
                msg = format!("{} running", names.len());
            }
            bar.set_message(msg);
        }
    }
}

impl Reporter for Terminal {
    fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::RunStarted {
                kind: mode,
                total,
                jobs,
            } => {
                self.total = *total;
                if let Some(bar) = &self.bar {
                    bar.set_length(*total as u64);
                }
                let what = match mode {
                    RunKind::Setup => "setting up",
                    RunKind::Bless => "blessing",
                    RunKind::Test => "testing",
                };
                let bold = self.style(Style::new().bold());
                self.print(&format!(
                    "{} {total} test(s), {jobs} at a time\n",
                    bold.apply_to(format!("ptest: {what}"))
                ));
            }
            Event::TestStarted { name, attempt } => {
                if *attempt == 1 {
                    self.running.insert(name.to_string());
                }
                self.update_bar();
            }
            Event::TestNotice { name, message } => {
                let cyan = self.style(Style::new().cyan().bold());
                self.print(&format!(
                    "{:>11} {name}: {}\n",
                    cyan.apply_to("NOTE"),
                    crate::human::visible(message)
                ));
            }
            Event::TestRetrying { result } => {
                let yellow = self.style(Style::new().yellow().bold());
                self.print(&format!(
                    "{:>11} [{}] {} (attempt {}: {}), retrying\n",
                    yellow.apply_to("RETRY"),
                    format_secs(result.duration),
                    result.name,
                    result.attempts,
                    crate::human::visible(
                        &result
                            .message()
                            .unwrap_or_else(|| result.status.word().into())
                    )
                ));
            }
            Event::TestFinished { result } => {
                self.running.remove(&result.name);
                self.done += 1;
                self.print(&self.finished_line(result));
                // Failures show why; a bless shows what it changed in the reference.
                if !result.status.is_success() || record::any_change(&result.files) {
                    let details = self.details_within_budget(result);
                    self.print(&details);
                }
                if let Some(found) = &result.variation {
                    let target = format!("{}/test.toml", result.name);
                    let text = crate::variation::render(found, &target);
                    let lines: Vec<String> = text.lines().map(|l| format!("    {l}\n")).collect();
                    self.print(&lines.concat());
                }
                self.update_bar();
            }
            Event::RunFinished { outcome } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                self.print(&self.summary(
                    outcome.kind,
                    &outcome.results,
                    outcome.elapsed,
                    outcome.interrupted,
                ));
            }
        }
    }
}

impl Terminal {
    fn status_style(&self, status: Status) -> Style {
        self.style(match status {
            Status::Passed => Style::new().green().bold(),
            Status::Flaky => Style::new().yellow().bold(),
            Status::NotRun => Style::new().dim(),
            Status::Cached => Style::new().green(),
            _ => Style::new().red().bold(),
        })
    }

    fn finished_line(&self, r: &TestResult) -> String {
        let label = self.status_style(r.status).apply_to(r.status.label());
        let message = r
            .message()
            .map(|m| format!(": {}", crate::human::visible(&m)))
            .unwrap_or_default();
        format!(
            "{label:>11} [{}] {}{message}\n",
            format_secs(r.duration),
            r.name
        )
    }

    /// The diff (coloured on a terminal, and within what is left of the run's
    /// [`MAX_RUN_DIFF_LINES`]) and the last lines of the script's log.
    fn details_within_budget(&mut self, r: &TestResult) -> String {
        let mut out = String::new();
        let diff = record::describe_all(&r.files);
        let mut held_back = 0;
        for line in diff.lines() {
            if self.diff_budget == 0 {
                held_back += 1;
                continue;
            }
            self.diff_budget -= 1;
            out.push_str(&format!("    {}\n", self.colour_diff_line(line)));
        }
        if held_back > 0 {
            self.diff_held_back += held_back;
            out.push_str(&format!(
                "    … {held_back} diff line(s) of {} not shown: this run already printed {MAX_RUN_DIFF_LINES} (see `ptest diff {}`)\n",
                r.name, r.name
            ));
        }
        if !r.log_tail.is_empty() {
            let dim = self.style(Style::new().dim());
            out.push_str(&format!(
                "    {}\n",
                dim.apply_to(format!("last lines of {}:", r.log.display()))
            ));
            for line in &r.log_tail {
                out.push_str(&format!("    | {line}\n"));
            }
        }
        out
    }

    pub fn colour_diff_line(&self, line: &str) -> String {
        let line = &*crate::human::visible(line);
        let style = if line.starts_with("+++") || line.starts_with("---") {
            Style::new().bold()
        } else if line.starts_with('+') {
            Style::new().green()
        } else if line.starts_with('-') {
            Style::new().red()
        } else if line.starts_with("@@") {
            Style::new().cyan()
        } else {
            return line.to_string();
        };
        self.style(style).apply_to(line).to_string()
    }

    fn summary(
        &self,
        mode: RunKind,
        results: &[TestResult],
        elapsed: Duration,
        interrupted: bool,
    ) -> String {
        let mut out = String::new();
        let order = [
            Status::Passed,
            Status::Cached,
            Status::Flaky,
            Status::Failed,
            Status::Errored,
            Status::TimedOut,
            Status::Interrupted,
            Status::NotRun,
        ];
        let counts: Vec<String> = order
            .iter()
            .filter_map(|s| {
                let n = results.iter().filter(|r| r.status == *s).count();
                (n > 0).then(|| format!("{n} {}", s.word()))
            })
            .collect();
        let bold = self.style(Style::new().bold());
        out.push_str(&format!(
            "{} [{}] {} test(s): {}\n",
            bold.apply_to("  Summary"),
            format_secs(elapsed),
            results.len(),
            if counts.is_empty() {
                "none".into()
            } else {
                counts.join(", ")
            }
        ));
        let reused = results
            .iter()
            .filter(|r| r.status == Status::Cached)
            .count();
        if reused > 0 {
            out.push_str(&format!(
                "  --changed: {reused} verdict(s) reused from earlier passes, their inputs unchanged; {} test(s) ran (`--no-changed` runs them all)\n",
                results.len() - reused
            ));
        }
        // A `--repeat` test whose runs varied is flaky and fails the run.
        let bad: Vec<&TestResult> = results
            .iter()
            .filter(|r| !r.status.is_success() || r.variation.is_some())
            .collect();
        for r in results
            .iter()
            .filter(|r| r.status == Status::Flaky && r.variation.is_none())
        {
            out.push_str(&self.finished_line(r));
        }
        for r in &bad {
            out.push_str(&self.finished_line(r));
        }
        if self.diff_held_back > 0 {
            out.push_str(&format!(
                "  {} diff line(s) not shown: at most {MAX_RUN_DIFF_LINES} are printed per run; `ptest diff` shows them\n",
                self.diff_held_back
            ));
        }
        let failed: Vec<&TestResult> = bad
            .iter()
            .copied()
            .filter(|r| r.status == Status::Failed)
            .collect();
        if mode == RunKind::Test && !failed.is_empty() {
            let names = |rs: &[&TestResult]| {
                rs.iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            // accept refuses outputs that could not be compared (links, FIFOs, unreadable
            // files): suggest it only where it would work.
            let acceptable: Vec<&TestResult> = failed
                .iter()
                .copied()
                .filter(|r| {
                    r.script_ok
                        && !r
                            .files
                            .iter()
                            .any(|f| matches!(f.verdict, FileVerdict::Invalid { .. }))
                })
                .collect();
            let accept = if acceptable.is_empty() {
                String::new()
            } else {
                format!(
                    "; `ptest accept {}` blesses this run's output",
                    names(&acceptable)
                )
            };
            out.push_str(&format!(
                "  next: `ptest diff {}` shows the diffs again{accept}\n",
                names(&failed)
            ));
        }
        let last = if interrupted {
            let unfinished = results
                .iter()
                .filter(|r| matches!(r.status, Status::Interrupted | Status::NotRun))
                .count();
            self.style(Style::new().red().bold()).apply_to(format!(
                "ptest: interrupted; {unfinished} of {} test(s) did not finish",
                results.len()
            ))
        } else if bad.is_empty() {
            self.style(Style::new().green().bold()).apply_to(format!(
                "ptest {}: all {} test(s) succeeded",
                mode.as_str(),
                results.len()
            ))
        } else {
            self.style(Style::new().red().bold()).apply_to(format!(
                "ptest {}: {} of {} test(s) FAILED",
                mode.as_str(),
                bad.len(),
                results.len()
            ))
        };
        out.push_str(&format!("{last}\n"));
        out
    }
}

fn format_secs(d: Duration) -> String {
    format!("{:>7.3}s", d.as_secs_f64())
}
