//! One worker thread of the block pipeline: takes the next task under the lock (render
//! a ready block, inflate the next block of a chunk, start a chunk) and does it outside.

use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use super::chunk::{ChunkStream, MAX_COMPRESSED_CHUNK, next_block};
use super::{Active, EntryBlock, Key, Shared, State, WINDOW};
use crate::error::PlogError;
use crate::inflate::{Inflater, chunk_err};
use crate::layout::ChunkSpan;

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

pub(super) struct Worker<'a, T> {
    pub(super) sh: &'a Shared<T>,
    pub(super) path: &'a Path,
    pub(super) file: &'a Result<File, std::io::ErrorKind>,
    pub(super) workers: usize,
    pub(super) max_raw: usize,
}

impl<T> Worker<'_, T> {
    /// Renders the earliest ready block, else inflates the next block of the earliest
    /// chunk with room in its window, else starts the next chunk, else waits.
    pub(super) fn run(&self, render: &dyn Fn(&mut EntryBlock) -> Result<T, PlogError>) {
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
