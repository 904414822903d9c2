//! Writer producing pandalogs as PANDA does: entries buffered into a chunk, a chunk
//! compressed once it reaches `chunk_size` and the next entry starts a new instruction
//! (entries of one instruction never straddle chunks), and header + directory written
//! on [`PlogWriter::finish`].

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::ZlibEncoder;

use crate::error::PlogError;
use crate::layout::{DEFAULT_CHUNK_SIZE, HEADER_SIZE, Header, VERSION};
use crate::wire::pc_instr;

/// Streaming pandalog writer.
pub struct PlogWriter {
    path: PathBuf,
    out: BufWriter<File>,
    pos: u64,
    chunk_size: u32,
    level: Compression,
    buf: Vec<u8>,
    buf_entries: u64,
    buf_instr: Option<u64>,
    last_instr: Option<u64>,
    dir: Vec<(u64, u64, u64)>,
}

impl PlogWriter {
    /// Creates `path` with PANDA's default 16 MiB chunk size.
    pub fn create(path: &Path) -> Result<PlogWriter, PlogError> {
        Self::with_chunk_size(path, DEFAULT_CHUNK_SIZE)
    }

    /// Creates `path` with the given chunk size (small sizes make multi-chunk test logs).
    pub fn with_chunk_size(path: &Path, chunk_size: u32) -> Result<PlogWriter, PlogError> {
        let f = File::create(path).map_err(|e| PlogError::io(path, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, f);
        // Placeholder header: all zeros until finish(), like PANDA.
        out.write_all(&[0u8; HEADER_SIZE as usize])
            .map_err(|e| PlogError::io(path, e))?;
        Ok(PlogWriter {
            path: path.to_path_buf(),
            out,
            pos: HEADER_SIZE,
            chunk_size: chunk_size.max(1),
            level: Compression::default(),
            buf: Vec::new(),
            buf_entries: 0,
            buf_instr: None,
            last_instr: None,
            dir: Vec::new(),
        })
    }

    /// Sets the zlib level (default 6).
    pub fn compression(mut self, level: u32) -> Self {
        self.level = Compression::new(level.min(9));
        self
    }

    /// Appends one encoded `LogEntry` message (its `instr`, field 2, decides chunking).
    pub fn write_entry(&mut self, msg: &[u8]) -> Result<(), PlogError> {
        let instr = pc_instr(msg).1.unwrap_or(0);
        if self.buf.len() >= self.chunk_size as usize && self.last_instr != Some(instr) {
            self.flush_chunk()?;
        }
        let len = u32::try_from(msg.len()).map_err(|_| {
            PlogError::Unsupported(format!(
                "entry of {} bytes is too large for a pandalog",
                msg.len()
            ))
        })?;
        self.buf.extend_from_slice(&len.to_le_bytes());
        self.buf.extend_from_slice(msg);
        self.buf_entries += 1;
        self.buf_instr.get_or_insert(instr);
        self.last_instr = Some(instr);
        Ok(())
    }

    fn flush_chunk(&mut self) -> Result<(), PlogError> {
        if self.buf_entries == 0 {
            return Ok(());
        }
        let mut z = ZlibEncoder::new(Vec::with_capacity(self.buf.len() / 3), self.level);
        let io = |e| PlogError::io(&self.path, e);
        z.write_all(&self.buf).map_err(io)?;
        let data = z.finish().map_err(io)?;
        self.out.write_all(&data).map_err(io)?;
        // PANDA fills the directory's instr from a 32-bit value.
        self.dir.push((
            self.buf_instr.unwrap_or(0) & 0xffff_ffff,
            self.pos,
            self.buf_entries,
        ));
        self.pos += data.len() as u64;
        self.buf.clear();
        self.buf_entries = 0;
        self.buf_instr = None;
        Ok(())
    }

    /// Flushes the last chunk, then writes the directory and the real header.
    pub fn finish(mut self) -> Result<(), PlogError> {
        self.flush_chunk()?;
        let io = |e| PlogError::io(&self.path, e);
        let dir_pos = self.pos;
        self.out
            .write_all(&(self.dir.len() as u32).to_le_bytes())
            .map_err(io)?;
        for (instr, pos, n) in &self.dir {
            for v in [instr, pos, n] {
                self.out.write_all(&v.to_le_bytes()).map_err(io)?;
            }
        }
        let header = Header {
            version: VERSION,
            dir_pos,
            chunk_size: self.chunk_size,
        };
        self.out.seek(SeekFrom::Start(0)).map_err(io)?;
        self.out.write_all(&header.to_bytes()).map_err(io)?;
        self.out.flush().map_err(io)
    }

    /// Stops like a crashed replay: the chunks written so far stay, the pending chunk is
    /// lost, and header and directory are never written.
    pub fn abandon(mut self) -> Result<(), PlogError> {
        let io = |e| PlogError::io(&self.path, e);
        self.out.flush().map_err(io)
    }

    /// Flushes the pending chunk now (tests use this to control chunk boundaries).
    pub fn end_chunk(&mut self) -> Result<(), PlogError> {
        self.flush_chunk()
    }
}
