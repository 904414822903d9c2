//! `ptest cache list|prune`: the per-machine cache (PANDA builds, guest images' parts)
//! shown and trimmed. What an entry is, its lock and its stamp belong to
//! `ptest_engine::cache_entries`; this prints them.

use std::time::{Duration, SystemTime};

use ptest_engine::cache_entries::{self, Entry, Keep, Pruned};

use super::CommandError;
use crate::cli::CacheCommand;
use crate::human;

pub fn run(command: CacheCommand) -> Result<i32, CommandError> {
    let root = cache_entries::root()?;
    match command {
        CacheCommand::List => {
            let entries = cache_entries::list(&root)?;
            say!("{:<15} {:>10}  {:<32} KEY", "KIND", "SIZE", "LAST USED");
            for e in &entries {
                say!("{}", row(e, SystemTime::now()));
            }
            let total: u64 = entries.iter().map(|e| e.size).sum();
            say!(
                "{} entries, {} in {}",
                entries.len(),
                human::size(total),
                root.display()
            );
        }
        CacheCommand::Prune {
            keep,
            max_age,
            dry_run,
        } => {
            if keep.is_none() && max_age.is_none() {
                return Err(CommandError::Usage(
                    "cache prune needs what to keep: --keep N (the newest N of each kind) \\
                     and/or --max-age DURATION (those used within it, e.g. 30d)"
                        .into(),
                ));
            }
            if !dry_run {
                cache_entries::sweep(&root)?;
            }
            let keep = Keep {
                newest: keep,
                max_age,
            };
            let now = SystemTime::now();
            let pruned =
                cache_entries::prune(&root, cache_entries::list(&root)?, keep, now, dry_run)?;
            let verb = if dry_run { "would remove" } else { "removed" };
            let (mut freed, mut removed, mut in_use) = (0, 0, 0);
            for p in &pruned {
                match p {
                    Pruned::Removed(e) => {
                        say!("{verb} {}", row(e, now));
                        freed += e.size;
                        removed += 1;
                    }
                    Pruned::InUse(e) => {
                        say!("in use, kept {}", row(e, now));
                        in_use += 1;
                    }
                }
            }
            say!(
                "ptest: {verb} {removed} entries ({}); {in_use} in use kept",
                human::size(freed)
            );
        }
    }
    Ok(crate::exit_code::OK)
}

/// `panda-build     1.2 GiB  2026-12-06T20:11:05Z (3d ago)  c5e04bb4e27931c5`
fn row(e: &Entry, now: SystemTime) -> String {
    let when = format!(
        "{} ({})",
        humantime::format_rfc3339_seconds(e.last_used),
        ago(now.duration_since(e.last_used).unwrap_or_default())
    );
    format!(
        "{:<15} {:>10}  {:<32} {}",
        e.kind.name(),
        human::size(e.size),
        when,
        // Keys are folder names: whatever a control character in one would do to the
        // terminal is shown instead.
        e.key.escape_debug()
    )
}

fn ago(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s >= 86_400 => format!("{}d ago", s / 86_400),
        s if s >= 3_600 => format!("{}h ago", s / 3_600),
        s if s >= 60 => format!("{}m ago", s / 60),
        _ => "now".into(),
    }
}
