//! Comparing one pair of regular files: opens both (refusing anything but regular files),
//! checks byte equality first, then takes the path the mode calls for: hex report for
//! binary files, line diff for `exact`/`text`, sorted diff or line digests for `sorted`,
//! entry-level comparison for `plog`; a full diff within the memory budget, the first
//! difference beyond it. Read errors become [`FileVerdict::Invalid`].
//!
//! It must not choose a file's mode (that is `sniff`) nor walk folders (that is `dir`).

use std::fs::File;
use std::io;
use std::path::Path;

use super::apply::Filters;
use super::binary::{self, Side};
use super::budget::too_large;
use super::cancel::{Cancel, Stopped};
use super::diff;
use super::difference::{Difference, SortedLines};
use super::mode::Mode;
use super::plog;
use super::render::{self, DiffOptions};
use super::stream::{LineKeys, first_line_difference, line_digest};
use super::transform::Transform;
use super::verdict::FileVerdict;

/// Everything needed to compare one pair of files.
pub(crate) struct FileJob<'a> {
    pub name: &'a str,
    pub blessed: &'a Path,
    pub new: &'a Path,
    pub mode: Mode,
    pub filters: Filters<'a>,
    pub max_lines: usize,
    /// Where to see a cut diff in full (`ptest diff TEST`).
    pub more: &'a str,
    pub plog_schema: Option<&'a Path>,
    /// [`super::budget::MAX_DIFF_MEMORY`], smaller in tests.
    pub max_memory: u64,
    /// Polled before each costly step and while the diff runs.
    pub cancel: &'a Cancel,
}

/// Why comparing one pair did not produce an outcome: a read error (which becomes
/// [`FileVerdict::Invalid`]) or a stop request.
enum Failure {
    Io(Side, io::Error),
    Stopped(Stopped),
}

impl From<(Side, io::Error)> for Failure {
    fn from((side, e): (Side, io::Error)) -> Failure {
        Failure::Io(side, e)
    }
}

impl From<Stopped> for Failure {
    fn from(why: Stopped) -> Failure {
        Failure::Stopped(why)
    }
}

/// Open a file for reading without following a symlink and without blocking on a FIFO
/// that replaced it after the tree walk; anything but a regular file is refused.
fn open_regular(path: &Path) -> io::Result<(File, u64)> {
    use std::os::unix::fs::OpenOptionsExt;
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    Ok((f, meta.len()))
}

fn io_invalid(job: &FileJob<'_>, (side, e): (Side, io::Error)) -> FileVerdict {
    let side = match side {
        Side::Blessed => "blessed",
        Side::New => "new",
    };
    FileVerdict::Invalid {
        reason: format!("cannot read {side}/{}: {e}", job.name),
    }
}

/// Compare one pair of regular files; `Err` only when `job.cancel` stopped it.
pub(crate) fn compare_file(job: &FileJob<'_>) -> Result<FileVerdict, Stopped> {
    match compare_inner(job) {
        Ok(o) => Ok(o),
        Err(Failure::Io(side, e)) => Ok(io_invalid(job, (side, e))),
        Err(Failure::Stopped(why)) => Err(why),
    }
}

fn compare_inner(job: &FileJob<'_>) -> Result<FileVerdict, Failure> {
    let (mut fa, sa) = open_regular(job.blessed).map_err(|e| (Side::Blessed, e))?;
    let (mut fb, sb) = open_regular(job.new).map_err(|e| (Side::New, e))?;
    let Some(offset) = binary::first_difference(&mut fa, &mut fb)? else {
        return Ok(FileVerdict::Same);
    };
    job.cancel.check()?;
    let opts = DiffOptions {
        name: job.name,
        sorted: job.mode == Mode::Sorted,
        max_lines: job.max_lines,
        more: job.more,
    };
    let tf = Transform {
        mode: job.mode,
        filters: job.filters,
    };
    match job.mode {
        Mode::Plog => {
            let pair = plog::PlogPair {
                name: job.name,
                blessed: job.blessed,
                new: job.new,
                filters: job.filters,
                schema: job.plog_schema,
                max_lines: job.max_lines,
            };
            match plog::compare(&pair) {
                Ok(outcome) => Ok(outcome),
                Err(why) => {
                    let bytes = binary::report(job.name, &mut fa, &mut fb, (sa, sb), offset)?;
                    Ok(FileVerdict::Differs {
                        difference: Difference::Undecodable { why, bytes },
                    })
                }
            }
        }
        Mode::Exact => {
            let binary =
                binary::looks_binary(&binary::head(&mut fa).map_err(|e| (Side::Blessed, e))?)
                    || binary::looks_binary(&binary::head(&mut fb).map_err(|e| (Side::New, e))?);
            if binary {
                let diff = binary::report(job.name, &mut fa, &mut fb, (sa, sb), offset)?;
                return Ok(FileVerdict::Differs {
                    difference: Difference::Binary(diff),
                });
            }
            line_diff(&mut fa, &mut fb, (sa, sb), tf, &opts, job)
        }
        Mode::Text => line_diff(&mut fa, &mut fb, (sa, sb), tf, &opts, job),
        Mode::Sorted => {
            if let Some(why) = too_large(&mut fa, &mut fb, (sa, sb), job.max_memory)? {
                return sorted_digests(&mut fa, &mut fb, tf, &why, &opts);
            }
            let la = tf.load(&mut fa, sa).map_err(|e| (Side::Blessed, e))?;
            let lb = tf.load(&mut fb, sb).map_err(|e| (Side::New, e))?;
            let (Some(la), Some(lb)) = (la, lb) else {
                let why = "files too large to load after filters";
                return sorted_digests(&mut fa, &mut fb, tf, why, &opts);
            };
            if la.same_as(&lb) {
                return Ok(FileVerdict::Same);
            }
            Ok(diff::unified_until(la, lb, &opts, job.cancel)?
                .map_or(FileVerdict::Same, |difference| FileVerdict::Differs {
                    difference,
                }))
        }
    }
}

/// `sorted` comparison of files too large to load: equal line digests are equal files;
/// otherwise the report says they differ and how to see where.
fn sorted_digests(
    fa: &mut File,
    fb: &mut File,
    tf: Transform<'_>,
    why: &str,
    opts: &DiffOptions<'_>,
) -> Result<FileVerdict, Failure> {
    let keys = LineKeys::new();
    let da = line_digest(fa, tf, &keys).map_err(|e| (Side::Blessed, e))?;
    let db = line_digest(fb, tf, &keys).map_err(|e| (Side::New, e))?;
    if da == db {
        return Ok(FileVerdict::Same);
    }
    Ok(FileVerdict::Differs {
        difference: Difference::SortedLines(SortedLines {
            name: opts.name.to_string(),
            why: why.to_string(),
            blessed_lines: da.0,
            new_lines: db.0,
        }),
    })
}

/// Stream to the first differing line; equal → `Same`; else a full diff when both files
/// are small enough to load, or just that first difference.
fn line_diff(
    fa: &mut File,
    fb: &mut File,
    sizes: (u64, u64),
    tf: Transform<'_>,
    opts: &DiffOptions<'_>,
    job: &FileJob<'_>,
) -> Result<FileVerdict, Failure> {
    let Some(first) = first_line_difference(fa, fb, tf)? else {
        return Ok(FileVerdict::Same);
    };
    let first_only = |why: &str| {
        Ok(FileVerdict::Differs {
            difference: Difference::Text(render::first_only(&first, why, tf.terminators(), opts)),
        })
    };
    job.cancel.check()?;
    if let Some(why) = too_large(fa, fb, sizes, job.max_memory)? {
        return first_only(&why);
    }
    let la = tf.load(fa, sizes.0).map_err(|e| (Side::Blessed, e))?;
    job.cancel.check()?;
    let lb = tf.load(fb, sizes.1).map_err(|e| (Side::New, e))?;
    job.cancel.check()?;
    match (la, lb) {
        (Some(la), Some(lb)) => Ok(diff::unified_until(la, lb, opts, job.cancel)?
            .map_or(FileVerdict::Same, |difference| FileVerdict::Differs {
                difference,
            })),
        _ => first_only("files too large to load after filters"),
    }
}

#[cfg(test)]
mod tests;
