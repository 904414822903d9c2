//! The pipeline every reading of entries goes through (dump, diff, compare, info): each chunk is read and
//! inflated a block of about [`BLOCK`] bytes at a time, every block of whole entries is
//! rendered by whichever worker is free, and the results come back in file order.
//!
//! Why not whole chunks (as before issue 10's third session): a log of one chunk (most
//! short replays) would inflate on one core before any rendering could start, and each
//! chunk's multi-MiB buffers were fresh pages to fault in. Here a one-chunk log renders its first
//! block while the second inflates, and the small buffers are reused.
//!
//! Memory is bounded: at most as many chunks are inflated at once as there are workers,
//! each with one piece of compressed input and at most [`WINDOW`] blocks inflated and not
//! yet taken by the consumer. The chunk the consumer waits for always has room in its
//! window, so the pipeline cannot stall on a full one.

//!
//! Here: the consumer's side ([`BlockStream`]) and the state it shares with the
//! workers; `worker` is what each worker thread does, `chunk` reads and inflates one
//! block of a chunk.

mod chunk;
mod worker;

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use crate::error::PlogError;
use crate::layout::{ChunkSpan, Layout};
use crate::wire::DecodeError;
use chunk::ChunkStream;
use worker::Worker;

/// Decompressed bytes per block: ~4k PANDA entries, about a millisecond of work. Small
/// enough that a one-chunk log splits evenly across two workers (1 MiB blocks left
/// one core idle for the last block), large enough that taking a task costs nothing.
pub const BLOCK: usize = 1 << 18;
/// Blocks of one chunk inflated and not yet taken by the consumer. The chunks after the
/// one being written wait for it once their window is full; 16 blocks (4 MiB of a chunk)
/// keep them inflating meanwhile, which is what a cheap per-block job (`info`) needs to
/// inflate chunks in parallel (4 blocks made `info` 20 % slower than whole chunks).
pub const WINDOW: usize = 16;

/// Whole entries of one chunk, decompressed, with their place in the chunk.
pub struct EntryBlock {
    chunk: usize,
    /// Index in the chunk of the first entry.
    first: u64,
    /// Byte of the chunk's decompressed data where `data` starts.
    offset: u64,
    data: Vec<u8>,
    entries: Vec<Range<usize>>,
    /// The chunk's last block.
    last: bool,
}

impl EntryBlock {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The message bytes of entry `i` of the block.
    pub fn entry(&self, i: usize) -> &[u8] {
        &self.data[self.entries[i].clone()]
    }

    /// The chunk the block belongs to.
    pub fn chunk_index(&self) -> usize {
        self.chunk
    }

    /// The chunk's last block.
    pub fn is_last(&self) -> bool {
        self.last
    }

    /// Decompressed bytes of the block's entries, length prefixes included.
    pub fn byte_len(&self) -> usize {
        self.data.len()
    }

    /// Where entry `i`'s message is in the block's bytes.
    pub fn range(&self, i: usize) -> Range<usize> {
        self.entries[i].clone()
    }

    /// The block's bytes, for a caller that keeps entries past the render (the block's
    /// buffer is then not reused).
    pub fn take_data(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.data)
    }

    /// The error for entry `i` of the block, which failed to decode with `e`.
    pub fn entry_error(&self, path: &Path, i: usize, e: DecodeError) -> PlogError {
        PlogError::Entry {
            path: path.display().to_string(),
            chunk: self.chunk,
            entry: self.first + i as u64,
            offset: self.offset + (self.entries[i].start + e.offset) as u64,
            msg: format!("bad protobuf: {}", e.msg),
        }
    }
}

/// The per-block work, run on a worker thread.
/// It may take the block's bytes ([`EntryBlock::take_data`]) to keep them past the call.
pub type Render<T> = Arc<dyn Fn(&mut EntryBlock) -> Result<T, PlogError> + Send + Sync>;

/// Where a block's result goes: chunk, then block within the chunk.
type Key = (usize, usize);

/// Ordered iterator over the results of a [`Render`] on every block of a log.
pub struct BlockStream<T> {
    shared: Arc<Shared<T>>,
    next: Key,
    chunks: usize,
    failed: bool,
    threads: Vec<JoinHandle<()>>,
}

/// The state and one condition variable per kind of waiter, so that finishing a block
/// wakes the consumer only, not every thread.
struct Shared<T> {
    state: Mutex<State<T>>,
    /// Workers: a block is ready, a chunk can be inflated or started, or all is done.
    work: Condvar,
    /// The consumer: a block's result is in, or a worker stopped.
    results: Condvar,
}

/// A chunk being inflated, and how far.
struct Active {
    span: ChunkSpan,
    /// `None` while a worker inflates the next block.
    stream: Option<ChunkStream>,
    block: usize,
    entries: u64,
    offset: u64,
    /// Blocks inflated and not yet taken by the consumer.
    unconsumed: usize,
}

struct State<T> {
    /// Chunks not started yet, in order.
    waiting: VecDeque<ChunkSpan>,
    /// Chunks being inflated, in chunk order.
    active: VecDeque<Active>,
    /// Blocks waiting to be rendered.
    ready: BTreeMap<Key, EntryBlock>,
    /// Rendered blocks (or errors) waiting for the consumer; `true` = the chunk's last.
    done: BTreeMap<Key, (bool, Result<T, PlogError>)>,
    /// Block and compressed-input buffers to reuse.
    spare: Vec<(Vec<u8>, Vec<Range<usize>>)>,
    spare_input: Vec<Vec<u8>>,
    /// The block the consumer waits for (only its result wakes it).
    awaited: Key,
    /// Workers still running.
    workers: usize,
    stop: bool,
}

impl<T: Send + 'static> BlockStream<T> {
    /// Starts `workers` threads over `layout`'s chunks of the log at `path`.
    pub fn start(
        path: &Path,
        layout: &Layout,
        workers: usize,
        max_raw: usize,
        render: Render<T>,
    ) -> Self {
        let workers = workers.max(1);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                waiting: layout.chunks.iter().cloned().collect(),
                active: VecDeque::new(),
                ready: BTreeMap::new(),
                done: BTreeMap::new(),
                spare: Vec::new(),
                spare_input: Vec::new(),
                awaited: (0, 0),
                workers,
                stop: false,
            }),
            work: Condvar::new(),
            results: Condvar::new(),
        });
        // Workers read the chunks' compressed bytes themselves, a piece at a time, with
        // positioned reads on one shared handle.
        let file = Arc::new(File::open(path).map_err(|e| e.kind()));
        let mut threads = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (sh, p, r) = (Arc::clone(&shared), path.to_path_buf(), Arc::clone(&render));
            let file = Arc::clone(&file);
            threads.push(std::thread::spawn(move || {
                let worker = Worker {
                    sh: &sh,
                    path: &p,
                    file: &file,
                    workers,
                    max_raw,
                };
                worker.run(&*r);
                sh.lock().workers -= 1;
                sh.results.notify_all();
            }));
        }
        BlockStream {
            shared,
            next: (0, 0),
            chunks: layout.chunks.len(),
            failed: false,
            threads,
        }
    }
}

impl<T> State<T> {
    /// Nothing left to read, inflate or render.
    fn finished(&self) -> bool {
        self.waiting.is_empty() && self.active.is_empty() && self.ready.is_empty()
    }
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, on: &Condvar, g: MutexGuard<'a, State<T>>) -> MutexGuard<'a, State<T>> {
        on.wait(g).unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T> Iterator for BlockStream<T> {
    type Item = Result<T, PlogError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.next.0 >= self.chunks {
            return None;
        }
        let mut st = self.shared.lock();
        loop {
            if let Some((last, r)) = st.done.remove(&self.next) {
                let chunk = self.next.0;
                if let Some(a) = st.active.iter_mut().find(|a| a.span.index == chunk) {
                    a.unconsumed -= 1;
                }
                drop(st);
                // The chunk's window has room again.
                self.shared.work.notify_one();
                self.next = if last {
                    (chunk + 1, 0)
                } else {
                    (chunk, self.next.1 + 1)
                };
                self.failed = r.is_err();
                return Some(r);
            }
            if st.workers == 0 {
                self.failed = true;
                return Some(Err(PlogError::Unsupported(
                    "internal error: the decoding threads stopped".into(),
                )));
            }
            st.awaited = self.next;
            st = self.shared.wait(&self.shared.results, st);
        }
    }
}

impl<T> Drop for BlockStream<T> {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.work.notify_all();
        self.shared.results.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
