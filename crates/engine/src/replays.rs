//! `ptest replays [TEST]`: the recordings a regression directory holds, with engine,
//! size, instruction count and whether the metadata still matches (so a re-record is
//! needed before the replay would hang or be refused).

use std::path::Path;

use crate::metadata::{self, ReplayFiles};
use crate::{Context, EngineError, panda, qemu};

/// One recording found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub test: String,
    pub name: String,
    pub engine: &'static str,
    pub size: u64,
    pub instructions: Option<u64>,
    /// `matches`, `no metadata`, or what differs.
    pub status: String,
}

pub fn list(ctx: &Context, test: Option<&str>) -> Result<i32, EngineError> {
    let recs = find(ctx, test)?;
    if recs.is_empty() {
        println!(
            "no recordings in {}",
            ctx.regression_dir.join("replays").display()
        );
        return Ok(0);
    }
    println!(
        "{:<16} {:<16} {:<6} {:>10} {:>14}  metadata",
        "test", "replay", "engine", "size", "instructions"
    );
    for r in &recs {
        println!(
            "{:<16} {:<16} {:<6} {:>10} {:>14}  {}",
            r.test,
            r.name,
            r.engine,
            human_size(r.size),
            r.instructions
                .map(|n| n.to_string())
                .unwrap_or_else(|| "?".into()),
            r.status
        );
    }
    Ok(0)
}

/// Every recording under `replays/` (or `replays/TEST/`), sorted by test and name.
pub fn find(ctx: &Context, test: Option<&str>) -> Result<Vec<Recording>, EngineError> {
    let root = ctx.regression_dir.join("replays");
    let mut tests: Vec<String> = match test {
        Some(t) => vec![t.to_string()],
        None => match std::fs::read_dir(&root) {
            Ok(rd) => rd
                .flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        },
    };
    tests.sort();
    let mut out = Vec::new();
    for t in tests {
        let dir = root.join(&t);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<String> = rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let tctx = Context {
            test: Some(t.clone()),
            ..ctx.clone()
        };
        for file in &names {
            if let Some(name) = file.strip_suffix(".rr") {
                out.push(qemu_recording(&tctx, &dir, &t, name));
            } else if let Some(name) = file.strip_suffix("-rr-nondet.log") {
                out.push(panda_recording(&dir, &t, name));
            }
        }
    }
    Ok(out)
}

fn qemu_recording(ctx: &Context, dir: &Path, test: &str, name: &str) -> Recording {
    let files = ReplayFiles::new(dir, name);
    let size = std::fs::metadata(&files.rr).map(|m| m.len()).unwrap_or(0);
    let (instructions, status) = match metadata::read(&files.meta) {
        Err(_) => (None, "no metadata: re-record it".to_string()),
        Ok(m) => {
            let status = match qemu::current_metadata(&m, &files, &m.image, ctx) {
                Err(e) => format!("cannot check: {e}"),
                Ok((now, _, _)) => {
                    let d = metadata::differences(&m, &now);
                    if d.is_empty() {
                        "matches".to_string()
                    } else {
                        format!("DIFFERS: {}", d.join("; "))
                    }
                }
            };
            (Some(m.instructions), status)
        }
    };
    Recording {
        test: test.into(),
        name: name.into(),
        engine: "qemu",
        size,
        instructions,
        status,
    }
}

fn panda_recording(dir: &Path, test: &str, name: &str) -> Recording {
    let nondet = dir.join(format!("{name}-rr-nondet.log"));
    let snp = dir.join(format!("{name}-rr-snp"));
    let size = [&nondet, &snp]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let instructions = panda::instruction_count(&nondet).ok();
    let status = match metadata::read(&dir.join(format!("{name}.meta.json"))) {
        Err(_) => "no metadata (recorded outside ptest)".to_string(),
        Ok(m) => match crate::hash::sha256_file(&nondet) {
            Ok(h) if h == m.replay_sha256 => "matches".into(),
            Ok(_) => "DIFFERS: replay file changed since it was recorded".into(),
            Err(e) => format!("cannot check: {e}"),
        },
    };
    Recording {
        test: test.into(),
        name: name.into(),
        engine: "panda",
        size,
        instructions,
        status,
    }
}

fn human_size(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panda_recordings_are_listed_with_their_instruction_count() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("replays/asid");
        std::fs::create_dir_all(&t).unwrap();
        std::fs::write(t.join("foo-rr-nondet.log"), 4242u64.to_le_bytes()).unwrap();
        std::fs::write(t.join("foo-rr-snp"), vec![0u8; 2048]).unwrap();
        std::fs::write(t.join("unrelated.txt"), b"x").unwrap();
        let ctx = Context {
            regression_dir: dir.path().into(),
            ..Default::default()
        };
        let r = find(&ctx, None).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].name, "foo");
        assert_eq!(r[0].engine, "panda");
        assert_eq!(r[0].instructions, Some(4242));
        assert_eq!(r[0].size, 2056);
        assert!(r[0].status.starts_with("no metadata"));
        assert_eq!(human_size(2056), "2.0 KiB");
        assert!(find(&ctx, Some("other")).unwrap().is_empty());
    }
}
