//! `--recover`: find the chunks of a log whose header or directory is missing or
//! damaged (a replay that crashed never writes them) by scanning for zlib streams
//! after the header area. Only a bounded scratch buffer is used while scanning.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use flate2::{Decompress, FlushDecompress, Status};

use crate::error::PlogError;
use crate::layout::{ChunkSpan, HEADER_SIZE, Header, Layout, is_zlib_magic};

/// Outcome of trying to run one zlib stream from a given offset.
enum Probe {
    /// A complete stream of this many compressed bytes.
    Complete(u64),
    /// Valid data up to the end of the file, but no stream end.
    Truncated(u64),
    /// Not a zlib stream (or corrupt before producing anything useful).
    Invalid,
}

/// Scans `path` for zlib streams from byte 128 and returns them as chunks.
pub fn scan_layout(path: &Path) -> Result<Layout, PlogError> {
    let (mut f, file_len) = crate::layout::open_regular(path)?;
    if file_len < HEADER_SIZE {
        return Err(PlogError::NotPandalog {
            path: path.display().to_string(),
            msg: format!(
                "the file is {file_len} bytes, shorter than the {HEADER_SIZE}-byte header"
            ),
        });
    }
    let mut h24 = [0u8; 24];
    f.read_exact(&mut h24).map_err(|e| PlogError::io(path, e))?;
    let header = Header::parse(&h24);
    let mut chunks = Vec::new();
    let mut pos = HEADER_SIZE;
    while pos + 2 <= file_len {
        match probe(path, &mut f, pos, file_len)? {
            found @ (Probe::Complete(_) | Probe::Truncated(_)) => {
                let (len, truncated) = match found {
                    Probe::Complete(n) => (n, false),
                    Probe::Truncated(n) => (n, true),
                    Probe::Invalid => (0, false),
                };
                chunks.push(ChunkSpan {
                    index: chunks.len(),
                    pos,
                    len,
                    instr: 0,
                    n_entries: 0,
                    truncated,
                });
                pos += len.max(1);
            }
            _ => pos = next_candidate(path, &mut f, pos + 1, file_len)?,
        }
    }
    if chunks.is_empty() {
        return Err(PlogError::Format {
            path: path.display().to_string(),
            offset: HEADER_SIZE,
            msg: "--recover found no zlib stream after the header".into(),
        });
    }
    Ok(Layout {
        header,
        chunks,
        file_len,
        recovered: true,
    })
}

/// Next offset at or after `from` whose two bytes look like a zlib header.
fn next_candidate(path: &Path, f: &mut File, from: u64, file_len: u64) -> Result<u64, PlogError> {
    let mut buf = vec![0u8; 1 << 16];
    let mut at = from;
    f.seek(SeekFrom::Start(at))
        .map_err(|e| PlogError::io(path, e))?;
    while at + 2 <= file_len {
        let want = ((file_len - at) as usize).min(buf.len());
        f.read_exact(&mut buf[..want])
            .map_err(|e| PlogError::io(path, e))?;
        for i in 0..want.saturating_sub(1) {
            if is_zlib_magic(buf[i], buf[i + 1]) {
                return Ok(at + i as u64);
            }
        }
        // Re-read the last byte as the first of the next window.
        at += want.saturating_sub(1).max(1) as u64;
        f.seek(SeekFrom::Start(at))
            .map_err(|e| PlogError::io(path, e))?;
    }
    Ok(file_len)
}

/// Runs a zlib decoder from `pos`, discarding output, to find where the stream ends.
fn probe(path: &Path, f: &mut File, pos: u64, file_len: u64) -> Result<Probe, PlogError> {
    f.seek(SeekFrom::Start(pos))
        .map_err(|e| PlogError::io(path, e))?;
    let mut rd = BufReader::with_capacity(1 << 16, (&mut *f).take(file_len - pos));
    let mut z = Decompress::new(true);
    let mut out = vec![0u8; 1 << 16];
    let mut produced = false;
    loop {
        let input = rd.fill_buf().map_err(|e| PlogError::io(path, e))?;
        let eof = input.is_empty();
        let before_in = z.total_in();
        let before_out = z.total_out();
        let flush = if eof {
            FlushDecompress::Finish
        } else {
            FlushDecompress::None
        };
        let st = z.decompress(input, &mut out, flush);
        let used = (z.total_in() - before_in) as usize;
        rd.consume(used);
        produced |= z.total_out() > before_out;
        match st {
            Ok(Status::StreamEnd) => return Ok(Probe::Complete(z.total_in())),
            Ok(_) if eof || (used == 0 && z.total_out() == before_out) => {
                return Ok(if produced {
                    Probe::Truncated(z.total_in())
                } else {
                    Probe::Invalid
                });
            }
            Ok(_) => {}
            Err(_) => return Ok(Probe::Invalid),
        }
    }
}
