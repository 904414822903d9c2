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

/// Room before each block's data for the previous block's unconsumed end.
pub(super) const HEAD: usize = 64 << 10;

/// A block: its buffer (data at `HEAD..HEAD + len`) and its length; a length below the
/// block size means the file ended there.
pub(super) type Block = io::Result<(Vec<u8>, usize)>;

/// The consuming end: blocks in file order, and where used buffers go back.
pub(super) struct Ahead {
    pub blocks: Receiver<Block>,
    pub spare: SyncSender<Vec<u8>>,
}

/// Start reading `r` in blocks of `block` bytes on a thread of `scope`. The thread stops
/// at EOF, at a read error (sent as the last block), or when the [`Ahead`] is dropped.
pub(super) fn spawn<'scope, R: Read + Send + 'scope>(
    scope: &'scope Scope<'scope, '_>,
    mut r: R,
    block: usize,
) -> Ahead {
    // Two blocks in flight: enough to keep the reader busy while one is compared.
    let (tx, blocks) = sync_channel::<Block>(2);
    let (spare, spares) = sync_channel::<Vec<u8>>(4);
    scope.spawn(move || {
        loop {
            let mut buf = spares
                .try_recv()
                .ok()
                .filter(|b| b.len() == HEAD + block)
                .unwrap_or_else(|| vec![0; HEAD + block]);
            let mut len = 0;
            let read = loop {
                if len == block {
                    break Ok(());
                }
                match r.read(&mut buf[HEAD + len..HEAD + block]) {
                    Ok(0) => break Ok(()),
                    Ok(n) => len += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => break Err(e),
                }
            };
            let last = len < block || read.is_err();
            if tx.send(read.map(|()| (buf, len))).is_err() || last {
                return;
            }
        }
    });
    Ahead { blocks, spare }
}
