//! Header and directory: where the chunks of a pandalog are.
//!
//! PANDA writes a 128-byte header area (`u32 version` @0, `u64 dir_pos` @8,
//! `u32 chunk_size` @16, C struct alignment, little-endian), the zlib chunks from byte
//! 128, and at `dir_pos` the directory: `u32 n_chunks`, then per chunk
//! `u64 instr, u64 pos, u64 n_entries`. Header and directory are written on close only.
//! Reads only header and directory, never chunk contents.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::error::PlogError;

/// Size of the header area; the first chunk starts here.
pub const HEADER_SIZE: u64 = 128;
/// The format version PANDA currently writes.
pub const VERSION: u32 = 2;
/// PANDA's default chunk size (16 MiB).
pub const DEFAULT_CHUNK_SIZE: u32 = 16 << 20;
/// Bytes per directory record.
const DIR_RECORD: u64 = 24;

/// The fields of the header that matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub version: u32,
    pub dir_pos: u64,
    pub chunk_size: u32,
}

impl Header {
    /// Parses the first 24 bytes of the header area.
    pub fn parse(b: &[u8; 24]) -> Header {
        let u32_at = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let mut d = [0u8; 8];
        d.copy_from_slice(&b[8..16]);
        Header {
            version: u32_at(0),
            dir_pos: u64::from_le_bytes(d),
            chunk_size: u32_at(16),
        }
    }

    /// The 128-byte header area as PANDA writes it (padding zeroed).
    pub fn to_bytes(self) -> [u8; HEADER_SIZE as usize] {
        let mut b = [0u8; HEADER_SIZE as usize];
        b[0..4].copy_from_slice(&self.version.to_le_bytes());
        b[8..16].copy_from_slice(&self.dir_pos.to_le_bytes());
        b[16..20].copy_from_slice(&self.chunk_size.to_le_bytes());
        b
    }
}

/// One chunk: where its compressed bytes are and what the directory says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkSpan {
    pub index: usize,
    /// File offset of the zlib stream.
    pub pos: u64,
    /// Compressed length in bytes.
    pub len: u64,
    /// Directory `instr` (32-bit wrapped by PANDA; informational only).
    pub instr: u64,
    /// Directory entry count (0 when recovered).
    pub n_entries: u64,
    /// Recovered stream that ends before its zlib trailer (crashed writer).
    pub truncated: bool,
}

/// Header plus the list of chunks.
#[derive(Debug, Clone)]
pub struct Layout {
    pub header: Header,
    pub chunks: Vec<ChunkSpan>,
    pub file_len: u64,
    /// Chunks found by scanning rather than from the directory.
    pub recovered: bool,
}

/// True if the two bytes start a zlib stream (deflate method, valid check bits).
pub fn is_zlib_magic(b0: u8, b1: u8) -> bool {
    b0 & 0x0f == 8 && b0 >> 4 <= 7 && (u16::from(b0) * 256 + u16::from(b1)) % 31 == 0
}

/// Reads the header and validates it against the file size.
pub fn read_header(path: &Path, f: &mut File, file_len: u64) -> Result<Header, PlogError> {
    let p = path.display().to_string();
    if file_len < HEADER_SIZE {
        return Err(PlogError::NotPandalog {
            path: p,
            msg: format!(
                "the file is {file_len} bytes, shorter than the {HEADER_SIZE}-byte header"
            ),
        });
    }
    let mut b = [0u8; 24];
    f.seek(SeekFrom::Start(0))
        .and_then(|_| f.read_exact(&mut b))
        .map_err(|e| PlogError::io(path, e))?;
    let h = Header::parse(&b);
    let fmt = |offset: u64, msg: String| PlogError::Format {
        path: p.clone(),
        offset,
        msg,
    };
    if h == (Header {
        version: 0,
        dir_pos: 0,
        chunk_size: 0,
    }) {
        return Err(fmt(
            0,
            "the header is all zeros: the log was never closed (crashed replay?); try --recover"
                .into(),
        ));
    }
    if h.version != VERSION && h.version != 1 {
        return Err(PlogError::NotPandalog {
            path: p,
            msg: format!("version {} at byte 0 (expected {VERSION})", h.version),
        });
    }
    if h.dir_pos < HEADER_SIZE || h.dir_pos.saturating_add(4) > file_len {
        return Err(fmt(
            8,
            format!(
                "directory position {} is outside the file ({file_len} bytes, chunks start at {HEADER_SIZE}); truncated? try --recover",
                h.dir_pos
            ),
        ));
    }
    Ok(h)
}

/// Opens a log and returns its length. Only regular files: a log is read by seeking (to
/// its directory, then to each chunk), and a pipe's length reads as 0 ("0 bytes" for
/// `plog info <(cat a.plog)`).
pub fn open_regular(path: &Path) -> Result<(File, u64), PlogError> {
    let f = File::open(path).map_err(|e| PlogError::io(path, e))?;
    let meta = f.metadata().map_err(|e| PlogError::io(path, e))?;
    if !meta.is_file() {
        return Err(PlogError::NotPandalog {
            path: path.display().to_string(),
            msg: "not a regular file (a pipe, socket or device); pandalogs are read by seeking: save it to a file first".into(),
        });
    }
    Ok((f, meta.len()))
}

/// Reads and validates the directory: chunk positions must increase and lie between the
/// header and the directory. Allocation is bounded by the file size, not by `n_chunks`.
pub fn read_layout(path: &Path) -> Result<Layout, PlogError> {
    let (mut f, file_len) = open_regular(path)?;
    let header = read_header(path, &mut f, file_len)?;
    let p = path.display().to_string();
    let fmt = |offset: u64, msg: String| PlogError::Format {
        path: p.clone(),
        offset,
        msg,
    };
    let mut nb = [0u8; 4];
    f.seek(SeekFrom::Start(header.dir_pos))
        .and_then(|_| f.read_exact(&mut nb))
        .map_err(|e| PlogError::io(path, e))?;
    let n = u64::from(u32::from_le_bytes(nb));
    if n == 0 {
        return Err(fmt(
            header.dir_pos,
            "the directory lists zero chunks".into(),
        ));
    }
    let room = (file_len - header.dir_pos - 4) / DIR_RECORD;
    if n > room {
        return Err(fmt(
            header.dir_pos,
            format!(
                "the directory lists {n} chunks but the file has room for {room} records; truncated?"
            ),
        ));
    }
    let mut raw = vec![0u8; (n * DIR_RECORD) as usize];
    f.read_exact(&mut raw).map_err(|e| PlogError::io(path, e))?;
    let mut chunks: Vec<ChunkSpan> = Vec::with_capacity(n as usize);
    for (i, rec) in raw.chunks_exact(DIR_RECORD as usize).enumerate() {
        let q = |k: usize| {
            let mut d = [0u8; 8];
            d.copy_from_slice(&rec[k * 8..k * 8 + 8]);
            u64::from_le_bytes(d)
        };
        let (instr, pos, n_entries) = (q(0), q(1), q(2));
        let rec_off = header.dir_pos + 4 + i as u64 * DIR_RECORD + 8;
        let lower = chunks.last().map_or(HEADER_SIZE, |c| c.pos + 1);
        if pos < lower || pos >= header.dir_pos {
            let why = match chunks.last() {
                Some(prev) if pos <= prev.pos => {
                    format!("out of order (chunk {} is at {})", i - 1, prev.pos)
                }
                _ => format!("outside the chunk area {HEADER_SIZE}..{}", header.dir_pos),
            };
            return Err(fmt(
                rec_off,
                format!("directory: chunk {i} position {pos} is {why}"),
            ));
        }
        if let Some(prev) = chunks.last_mut() {
            prev.len = pos - prev.pos;
        }
        chunks.push(ChunkSpan {
            index: i,
            pos,
            len: header.dir_pos - pos,
            instr,
            n_entries,
            truncated: false,
        });
    }
    Ok(Layout {
        header,
        chunks,
        file_len,
        recovered: false,
    })
}

/// Content sniffing for the compare mode: a plausible header followed by a zlib stream
/// at byte 128, or an all-zero header (unclosed log) followed by one.
pub fn looks_like_pandalog(path: &Path) -> std::io::Result<bool> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    if len < HEADER_SIZE + 2 {
        return Ok(false);
    }
    let mut b = [0u8; HEADER_SIZE as usize + 2];
    f.read_exact(&mut b)?;
    if !is_zlib_magic(b[128], b[129]) {
        return Ok(false);
    }
    let mut h24 = [0u8; 24];
    h24.copy_from_slice(&b[..24]);
    let h = Header::parse(&h24);
    if b[..HEADER_SIZE as usize].iter().all(|&x| x == 0) {
        return Ok(true);
    }
    Ok((h.version == VERSION || h.version == 1)
        && h.dir_pos >= HEADER_SIZE
        && h.dir_pos.saturating_add(4) <= len
        && h.chunk_size > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_reads_the_struct_not_the_padding() {
        let h = Header {
            version: 2,
            dir_pos: 0x1_0000_0080,
            chunk_size: 16 << 20,
        };
        let mut b = h.to_bytes();
        // Garbage in the padding after chunk_size (PANDA leaves it uninitialised).
        b[20..24].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        b[4..8].copy_from_slice(&[1, 2, 3, 4]);
        let mut h24 = [0u8; 24];
        h24.copy_from_slice(&b[..24]);
        assert_eq!(Header::parse(&h24), h);
    }

    #[test]
    fn zlib_magic() {
        assert!(
            is_zlib_magic(0x78, 0x9c) && is_zlib_magic(0x78, 0x01) && is_zlib_magic(0x78, 0xda)
        );
        assert!(
            !is_zlib_magic(0x78, 0x00) && !is_zlib_magic(0x00, 0x00) && !is_zlib_magic(b'{', b'\n')
        );
    }
}
