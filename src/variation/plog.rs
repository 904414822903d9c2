//! Pandalogs: each run's log rendered one entry per line, as the text the `plog` compare
//! mode filters (`instr=… pc=0x… field=…`), so the line analysis finds the entry field
//! that varies and the filter it suggests is one the `plog` mode applies. Each rendering
//! is cut at [`MAX_DUMP`] bytes (the analysis says so), so a huge log stays bounded.
//!
//! It renders through `ptest_plog::dump` and writes only into its own temporary folder.

use std::cell::Cell;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Rendered bytes kept per run's log.
pub(super) const MAX_DUMP: u64 = 256 << 20;

/// The runs' logs rendered, one file per run, removed when dropped.
pub(super) struct Dumps {
    _dir: tempfile::TempDir,
    pub paths: Vec<PathBuf>,
    /// Some rendering reached [`MAX_DUMP`].
    pub cut: bool,
}

/// A writer that refuses bytes beyond its budget (which stops the dump), noting it did.
struct Capped {
    inner: BufWriter<std::fs::File>,
    left: u64,
    hit: Rc<Cell<bool>>,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() as u64 > self.left {
            self.hit.set(true);
            return Err(io::Error::other("rendering budget reached"));
        }
        self.left -= buf.len() as u64;
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Render `logs` (one per run) into a temporary folder under `scratch`; `Err` says why a
/// log could not be read as a pandalog.
pub(super) fn render(
    logs: &[PathBuf],
    schema: Option<&Path>,
    scratch: &Path,
) -> Result<Dumps, String> {
    let dir = tempfile::Builder::new()
        .prefix(".plog-text-")
        .tempdir_in(scratch)
        .map_err(|e| format!("cannot make a folder in {}: {e}", scratch.display()))?;
    let opts = ptest_plog::DumpOptions {
        schema,
        read: ptest_plog::ReadOptions::default(),
        format: ptest_plog::Format::Text,
    };
    let mut paths = Vec::with_capacity(logs.len());
    let mut cut = false;
    for (i, log) in logs.iter().enumerate() {
        let path = dir.path().join(format!("{}.txt", i + 1));
        let file = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let hit = Rc::new(Cell::new(false));
        let mut out = Capped {
            inner: BufWriter::new(file),
            left: MAX_DUMP,
            hit: Rc::clone(&hit),
        };
        match ptest_plog::dump(log, &opts, &mut out) {
            Ok(_) => {}
            Err(_) if hit.get() => cut = true,
            Err(e) => return Err(e.to_string()),
        }
        let _ = out.inner.flush();
        paths.push(path);
    }
    Ok(Dumps {
        _dir: dir,
        paths,
        cut,
    })
}
