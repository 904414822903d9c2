//! Read-ahead for the block streamer: a thread per side reads the next blocks of a big
//! file while the comparing thread works on the current ones, so on two cores the
//! kernel's copy out of the page cache overlaps the comparison instead of adding to it.
//!
//! Each block arrives with [`HEAD`] bytes of room before its data, so the reader can put
//! the unconsumed end of the previous block (usually part of one line) right in front of
//! it without moving the block. Buffers are handed back for reuse: memory stays at a few
//! blocks per side. It must not know about lines or filters.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::Scope;

/// Buffers per side: two in the channel, one being read into, one being compared.
const BUFFERS: usize = 4;

/// Room before each block's data for the previous block's unconsumed end.
pub(in crate::compare) const HEAD: usize = 64 << 10;

/// A block: its buffer, where its data starts (at least [`HEAD`] in, page-aligned) and
/// its length; a length below the block size means the file ended there.
pub(in crate::compare) type Block = io::Result<(Vec<u8>, usize, usize)>;

/// Reads land page-aligned: the kernel's copy out of the page cache ran at half speed into
/// a buffer 16 bytes off a cache line (what `malloc` hands out), the bulk of this path's time.
const ALIGN: usize = 4096;

/// A zeroed buffer of `len` bytes starting on a page: `(storage, offset)`, the buffer
/// being `storage[offset..offset + len]`.
pub(in crate::compare) fn page_aligned(len: usize) -> (Vec<u8>, usize) {
    let storage = vec![0; len + ALIGN];
    let offset = storage.as_ptr().align_offset(ALIGN).min(ALIGN);
    (storage, offset)
}

/// The buffer length for blocks of `block` bytes.
pub(in crate::compare) fn buffer_len(block: usize) -> usize {
    HEAD + ALIGN + block
}

/// The consuming end: blocks in file order, and where used buffers go back.
pub(in crate::compare) struct Ahead {
    pub blocks: Receiver<Block>,
    pub spare: SyncSender<Vec<u8>>,
}

/// Start reading `r` in blocks of `block` bytes on a thread of `scope`. The thread stops
/// at EOF, at a read error (sent as the last block), or when the [`Ahead`] is dropped.
pub(in crate::compare) fn spawn<'scope, R: Read + Send + 'scope>(
    scope: &'scope Scope<'scope, '_>,
    mut r: R,
    block: usize,
) -> Ahead {
    // Two blocks in flight: enough to keep the reader busy while one is compared.
    let (tx, blocks) = sync_channel::<Block>(2);
    let (spare, spares) = sync_channel::<Vec<u8>>(BUFFERS);
    scope.spawn(move || {
        let mut allocated = 0;
        loop {
            // A fixed set of buffers, reused: fresh ones would each be mapped and faulted
            // in by the kernel (glibc serves them with mmap), which cost more than the read.
            let reused = if allocated < BUFFERS {
                spares.try_recv().ok()
            } else {
                match spares.recv() {
                    Ok(buf) => Some(buf),
                    Err(_) => return, // the reader is gone
                }
            };
            let mut buf = reused
                .filter(|b| b.len() == buffer_len(block))
                .unwrap_or_else(|| {
                    allocated += 1;
                    vec![0; buffer_len(block)]
                });
            let start = HEAD + buf[HEAD..].as_ptr().align_offset(ALIGN).min(ALIGN);
            let mut len = 0;
            let read = loop {
                if len == block {
                    break Ok(());
                }
                match r.read(&mut buf[start + len..start + block]) {
                    Ok(0) => break Ok(()),
                    Ok(n) => len += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => break Err(e),
                }
            };
            let last = len < block || read.is_err();
            if tx.send(read.map(|()| (buf, start, len))).is_err() || last {
                return;
            }
        }
    });
    Ahead { blocks, spare }
}
