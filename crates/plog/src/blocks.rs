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

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use crate::error::PlogError;
use crate::inflate::{Inflater, Input, chunk_err};
use crate::layout::{ChunkSpan, Layout};
use crate::reader::{leftover_error, whole_entries};
use crate::wire::DecodeError;

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

/// What inflating the rest of a chunk needs; a worker takes it out of [`Active`] while it
/// inflates the next block, so the others never touch it.
struct ChunkStream {
    /// Compressed bytes read and not yet inflated: `input[used..]`.
    input: Vec<u8>,
    used: usize,
    /// Compressed bytes of the chunk read so far.
    read: u64,
    inflater: Inflater,
    /// The start of an entry cut by the end of the last block.
    carry: Vec<u8>,
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

/// What a worker does next, taken under the lock and done outside it.
enum Task {
    Render(Key, EntryBlock),
    Inflate(Box<Inflating>),
}

/// The next block of a chunk, about to be inflated.
struct Inflating {
    span: ChunkSpan,
    stream: ChunkStream,
    block: EntryBlock,
    index: usize,
}

struct Worker<'a, T> {
    sh: &'a Shared<T>,
    path: &'a Path,
    file: &'a Result<File, std::io::ErrorKind>,
    workers: usize,
    max_raw: usize,
}

impl<T> Worker<'_, T> {
    /// Renders the earliest ready block, else inflates the next block of the earliest
    /// chunk with room in its window, else starts the next chunk, else waits.
    fn run(&self, render: &dyn Fn(&mut EntryBlock) -> Result<T, PlogError>) {
        let mut st = self.sh.lock();
        loop {
            if st.stop {
                return;
            }
            let Some(task) = self.take(&mut st) else {
                if st.finished() {
                    // The others may be waiting for work that will not come.
                    self.sh.work.notify_all();
                    return;
                }
                st = self.sh.wait(&self.sh.work, st);
                continue;
            };
            drop(st);
            match task {
                Task::Render(key, mut block) => {
                    let r = catch_unwind(AssertUnwindSafe(|| render(&mut block))).unwrap_or_else(
                        |_| {
                            Err(PlogError::Unsupported(
                                "internal error: a decoding thread panicked".into(),
                            ))
                        },
                    );
                    st = self.sh.lock();
                    let awaited = st.awaited == key;
                    st.done.insert(key, (block.last, r));
                    if st.spare.len() < self.workers * WINDOW {
                        let data = std::mem::take(&mut block.data);
                        st.spare.push((data, std::mem::take(&mut block.entries)));
                    }
                    // Waking the consumer for a block it cannot write yet costs a
                    // context switch and gains nothing.
                    if awaited {
                        self.sh.results.notify_one();
                    }
                }
                Task::Inflate(mut job) => {
                    let r = match self.file {
                        Ok(f) => {
                            next_block(self.path, f, &job.span, &mut job.stream, &mut job.block)
                        }
                        Err(kind) => Err(PlogError::io(self.path, std::io::Error::from(*kind))),
                    };
                    st = self.sh.lock();
                    self.inflated(&mut st, *job, r);
                    // A block to render and the chunk's next block: work for another.
                    self.sh.work.notify_one();
                }
            }
        }
    }

    fn take(&self, st: &mut State<T>) -> Option<Task> {
        if let Some((key, block)) = st.ready.pop_first() {
            return Some(Task::Render(key, block));
        }
        let inflatable = st
            .active
            .iter()
            .position(|a| a.stream.is_some() && a.unconsumed < WINDOW);
        if let Some(i) = inflatable {
            let (data, entries) = st.spare.pop().unwrap_or_default();
            let a = &mut st.active[i];
            let stream = a.stream.take()?;
            let block = EntryBlock {
                chunk: a.span.index,
                first: a.entries,
                offset: a.offset,
                data,
                entries,
                last: false,
            };
            return Some(Task::Inflate(Box::new(Inflating {
                span: a.span.clone(),
                stream,
                block,
                index: a.block,
            })));
        }
        if st.active.len() < self.workers
            && let Some(span) = st.waiting.pop_front()
        {
            if span.len > MAX_COMPRESSED_CHUNK {
                let msg = format!(
                    "compressed size {} exceeds the {} MiB limit",
                    span.len,
                    MAX_COMPRESSED_CHUNK >> 20
                );
                st.done.insert(
                    (span.index, 0),
                    (true, Err(chunk_err(self.path, &span, msg))),
                );
                self.sh.results.notify_one();
            } else {
                let mut input = st.spare_input.pop().unwrap_or_default();
                input.clear();
                st.active.push_back(Active {
                    span,
                    stream: Some(ChunkStream {
                        input,
                        used: 0,
                        read: 0,
                        inflater: Inflater::new(self.max_raw),
                        carry: Vec::new(),
                    }),
                    block: 0,
                    entries: 0,
                    offset: 0,
                    unconsumed: 0,
                });
            }
            return self.take(st);
        }
        None
    }

    /// Puts a chunk's stream back after a block was inflated, and queues the block.
    fn inflated(&self, st: &mut State<T>, job: Inflating, r: Result<bool, PlogError>) {
        let Inflating {
            span,
            stream,
            block,
            index,
        } = job;
        let key = (span.index, index);
        let Some(pos) = st.active.iter().position(|a| a.span.index == span.index) else {
            return;
        };
        match r {
            Ok(last) => {
                let a = &mut st.active[pos];
                a.block += 1;
                a.entries += block.entries.len() as u64;
                a.offset += block.data.len() as u64;
                a.unconsumed += 1;
                if last {
                    st.active.remove(pos);
                    st.spare_input.push(stream.input);
                } else {
                    a.stream = Some(stream);
                }
                st.ready.insert(key, EntryBlock { last, ..block });
            }
            Err(e) => {
                st.active.remove(pos);
                st.done.insert(key, (true, Err(e)));
                self.sh.results.notify_one();
            }
        }
    }
}

/// Largest compressed chunk accepted: PANDA's are a few MiB; larger is damage.
pub const MAX_COMPRESSED_CHUNK: u64 = 512 << 20;

/// Compressed bytes read at a time.
const PIECE: usize = 128 << 10;

/// Inflates the next block of a chunk into `block`: whole entries only, the start of an
/// entry cut by the block's end kept for the next one. True for the chunk's last block.
fn next_block(
    path: &Path,
    file: &File,
    span: &ChunkSpan,
    s: &mut ChunkStream,
    block: &mut EntryBlock,
) -> Result<bool, PlogError> {
    let (data, entries) = (&mut block.data, &mut block.entries);
    data.clear();
    entries.clear();
    data.extend_from_slice(&s.carry);
    s.carry.clear();
    let mut target = data.len() + BLOCK;
    loop {
        if s.used == s.input.len() && s.read < span.len {
            read_piece(path, file, span, s)?;
        }
        let input = Input {
            bytes: &s.input[s.used..],
            last: s.read == span.len,
        };
        let want = target - data.len();
        let (ended, used) = s.inflater.fill(path, span, input, data, want)?;
        s.used += used;
        if !ended && data.len() < target {
            continue; // the piece is used up: read the next
        }
        let cut = whole_entries(data, entries);
        if ended {
            if cut < data.len() && !span.truncated {
                let entry = block.first + entries.len() as u64;
                let at = block.offset + cut as u64;
                return Err(leftover_error(path, span, entry, at, &data[cut..]));
            }
            data.truncate(cut);
            return Ok(true);
        }
        if !entries.is_empty() {
            s.carry.extend_from_slice(&data[cut..]);
            data.truncate(cut);
            return Ok(false);
        }
        // One entry larger than a block so far: inflate another block's worth.
        entries.clear();
        target = data.len() + BLOCK;
    }
}

/// Reads the chunk's next piece of compressed bytes into `s.input`.
fn read_piece(
    path: &Path,
    file: &File,
    span: &ChunkSpan,
    s: &mut ChunkStream,
) -> Result<(), PlogError> {
    let want = (span.len - s.read).min(PIECE as u64) as usize;
    s.input.clear();
    s.input.resize(want, 0);
    s.used = 0;
    let mut got = 0;
    while got < want {
        match file.read_at(&mut s.input[got..], span.pos + s.read + got as u64) {
            Ok(0) => {
                let msg = format!(
                    "file ends after {} of the chunk's {} bytes",
                    s.read + got as u64,
                    span.len
                );
                return Err(chunk_err(path, span, msg));
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(PlogError::io(path, e)),
        }
    }
    s.read += want as u64;
    Ok(())
}
