//! Parallel chunk pipeline: one thread reads compressed chunks in file order, worker
//! threads decompress them and run a caller-supplied function on each (decode, render),
//! and the iterator hands results back in chunk order.
//!
//! Memory is bounded by a fixed number of chunks in flight: the reader takes a permit
//! before reading a chunk and the consumer returns it after taking that chunk's result,
//! so a slow chunk can never let the others pile up in the reorder buffer. Knows chunks
//! as bytes only: entries and protobuf are the caller's work.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::error::PlogError;
use crate::inflate::{chunk_err, inflate};
use crate::layout::{ChunkSpan, Layout};

/// Largest decompressed chunk accepted whatever the header says. PANDA's chunks are
/// ~16 MiB (a little more when one instruction's entries straddle the limit).
pub const MAX_RAW_CHUNK: usize = 512 << 20;

/// Largest decompressed chunk accepted for a log whose header gives `chunk_size` (0:
/// unknown, as in a log never closed; PANDA's default is assumed). PANDA closes a chunk
/// once it is full and the next entry starts a new instruction, so a chunk exceeds the
/// chunk size only by the entries of one instruction: 1/16 of the chunk size, at least
/// 1 MiB, covers that. Anything larger is damage or a zlib bomb, and would make each
/// worker hold (and render) far more than the header promised.
pub fn chunk_limit(chunk_size: u32) -> usize {
    let size = if chunk_size == 0 {
        crate::layout::DEFAULT_CHUNK_SIZE
    } else {
        chunk_size
    } as usize;
    size.saturating_add((size / 16).max(1 << 20))
        .min(MAX_RAW_CHUNK)
}
/// Largest compressed chunk accepted (same reasoning).
pub const MAX_COMPRESSED_CHUNK: u64 = 512 << 20;

/// The per-chunk work, run on a worker thread with the decompressed bytes.
pub type Work<T> = Arc<dyn Fn(&ChunkSpan, Vec<u8>) -> Result<T, PlogError> + Send + Sync>;

type Job = (ChunkSpan, Result<Vec<u8>, PlogError>);

/// Ordered iterator over the results of `work` on every chunk of a log.
pub struct ChunkStream<T> {
    results: Receiver<(usize, Result<T, PlogError>)>,
    permits: Option<SyncSender<()>>,
    pending: BTreeMap<usize, Result<T, PlogError>>,
    next: usize,
    total: usize,
    threads: Vec<JoinHandle<()>>,
    failed: bool,
}

/// Number of worker threads to use: the available cores.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl<T: Send + 'static> ChunkStream<T> {
    /// Starts the reader and `workers` decompression threads over `layout`'s chunks.
    pub fn start(
        path: &Path,
        layout: &Layout,
        workers: usize,
        max_raw: usize,
        work: Work<T>,
    ) -> Self {
        let workers = workers.max(1);
        let in_flight = workers + 1;
        let (permit_tx, permit_rx) = sync_channel::<()>(in_flight);
        for _ in 0..in_flight {
            let _ = permit_tx.send(());
        }
        let (job_tx, job_rx) = sync_channel::<Job>(in_flight);
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (res_tx, res_rx) = sync_channel(in_flight);
        let mut threads = Vec::with_capacity(workers + 1);
        let chunks = layout.chunks.clone();
        let total = chunks.len();
        let rpath = path.to_path_buf();
        threads.push(std::thread::spawn(move || {
            read_chunks(&rpath, chunks, &permit_rx, &job_tx);
        }));
        for _ in 0..workers {
            let job_rx = Arc::clone(&job_rx);
            let res_tx = res_tx.clone();
            let work = Arc::clone(&work);
            let wpath = path.to_path_buf();
            threads.push(std::thread::spawn(move || {
                loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((span, data)) = job else { return };
                    let out = data
                        .and_then(|z| inflate(&wpath, &span, &z, max_raw))
                        .and_then(|raw| work(&span, raw));
                    if res_tx.send((span.index, out)).is_err() {
                        return;
                    }
                }
            }));
        }
        ChunkStream {
            results: res_rx,
            permits: Some(permit_tx),
            pending: BTreeMap::new(),
            next: 0,
            total,
            threads,
            failed: false,
        }
    }
}

impl<T> Iterator for ChunkStream<T> {
    type Item = Result<T, PlogError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.next >= self.total {
            return None;
        }
        loop {
            if let Some(r) = self.pending.remove(&self.next) {
                self.next += 1;
                if let Some(p) = &self.permits {
                    let _ = p.send(());
                }
                self.failed = r.is_err();
                return Some(r);
            }
            match self.results.recv() {
                Ok((i, r)) => {
                    self.pending.insert(i, r);
                }
                Err(_) => {
                    self.failed = true;
                    return Some(Err(PlogError::Unsupported(
                        "internal error: a decompression thread stopped".into(),
                    )));
                }
            }
        }
    }
}

impl<T> Drop for ChunkStream<T> {
    fn drop(&mut self) {
        // Closing the permit channel stops the reader; dropping the result receiver
        // stops the workers. Drain so blocked senders wake up, then join.
        self.permits = None;
        while self.results.try_recv().is_ok() {}
        let (_tx, rx) = sync_channel(0);
        let results = std::mem::replace(&mut self.results, rx);
        drop(results);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Reader thread: reads each chunk's compressed bytes once a permit is available.
fn read_chunks(
    path: &PathBuf,
    chunks: Vec<ChunkSpan>,
    permits: &Receiver<()>,
    jobs: &SyncSender<Job>,
) {
    let mut file = match File::open(path) {
        Ok(f) => Some(f),
        Err(e) => {
            if let Some(first) = chunks.into_iter().next() {
                let _ = jobs.send((first, Err(PlogError::io(path, e))));
            }
            return;
        }
    };
    for span in chunks {
        if permits.recv().is_err() {
            return;
        }
        let data = match file.as_mut() {
            Some(f) => read_span(path, f, &span),
            None => return,
        };
        let stop = data.is_err();
        if jobs.send((span, data)).is_err() || stop {
            return;
        }
    }
}

fn read_span(path: &Path, f: &mut File, span: &ChunkSpan) -> Result<Vec<u8>, PlogError> {
    if span.len > MAX_COMPRESSED_CHUNK {
        return Err(chunk_err(
            path,
            span,
            format!(
                "compressed size {} exceeds the {} MiB limit",
                span.len,
                MAX_COMPRESSED_CHUNK >> 20
            ),
        ));
    }
    let mut buf = Vec::with_capacity(span.len as usize);
    f.seek(SeekFrom::Start(span.pos))
        .map_err(|e| PlogError::io(path, e))?;
    f.take(span.len)
        .read_to_end(&mut buf)
        .map_err(|e| PlogError::io(path, e))?;
    if (buf.len() as u64) < span.len {
        return Err(chunk_err(
            path,
            span,
            format!(
                "file ends after {} of the chunk's {} bytes",
                buf.len(),
                span.len
            ),
        ));
    }
    Ok(buf)
}
