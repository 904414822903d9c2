//! One side of a comparison in memory: a file's lines, in compared form, as byte ranges
//! of one buffer, bounded by [`MAX_LOADED_BYTES`].
//!
//! Only the container: it must not read files (that is `transform`) nor diff or render
//! (that is `diff` and `render`). A leaf in `compare`.

/// One side of a diff: lines as byte ranges of a buffer. Offsets are `u32` (8 bytes a
/// line instead of 16): loaded files are at most [`MAX_LOADED_BYTES`].
#[derive(Debug, Default)]
pub(crate) struct Lines {
    buf: Vec<u8>,
    spans: Vec<(u32, u32)>,
    /// Lines keep their `\n` (exact mode): a missing final newline is a difference,
    /// which the diff shows as `\ No newline at end of file`.
    terminators: bool,
}

/// The most text one side of a diff may hold (after filters), so that offsets fit in `u32`.
pub(crate) const MAX_LOADED_BYTES: usize = u32::MAX as usize;

impl Lines {
    /// Lines of `buf` as they are (each keeping its `\n`); `None` if `buf` is larger than
    /// [`MAX_LOADED_BYTES`]. The span table is sized exactly (a count first), so it never
    /// holds twice its size while growing.
    pub(crate) fn from_bytes(buf: Vec<u8>) -> Option<Lines> {
        if buf.len() > MAX_LOADED_BYTES {
            return None;
        }
        let count = memchr::memchr_iter(b'\n', &buf).count() + 1;
        let mut spans = Vec::with_capacity(count);
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', &buf) {
            spans.push((start as u32, end as u32 + 1));
            start = end + 1;
        }
        if start < buf.len() {
            spans.push((start as u32, buf.len() as u32));
        }
        Some(Lines {
            buf,
            spans,
            terminators: true,
        })
    }

    /// An empty list to fill with [`Self::push`]; `terminators` says whether pushed lines
    /// carry their `\n`.
    pub(crate) fn with_terminators(terminators: bool, capacity: usize) -> Lines {
        Lines {
            buf: Vec::with_capacity(capacity.min(MAX_LOADED_BYTES)),
            spans: Vec::new(),
            terminators,
        }
    }

    /// Append a line; false (and nothing appended) once the buffer would pass
    /// [`MAX_LOADED_BYTES`].
    #[must_use]
    pub(crate) fn push(&mut self, line: &[u8]) -> bool {
        let start = self.buf.len();
        if start + line.len() > MAX_LOADED_BYTES {
            return false;
        }
        self.buf.extend_from_slice(line);
        self.spans.push((start as u32, self.buf.len() as u32));
        true
    }

    /// Shorten each line to the length `trim` returns for it, without copying the buffer.
    pub(crate) fn map_spans(&mut self, trim: impl Fn(&[u8]) -> usize) {
        for span in &mut self.spans {
            let len = trim(&self.buf[span.0 as usize..span.1 as usize]);
            span.1 = span.0 + len as u32;
        }
    }

    /// Whether lines keep their `\n`, so a missing final newline is shown.
    pub(crate) fn terminators(&self) -> bool {
        self.terminators
    }

    pub(crate) fn set_terminators(&mut self, terminators: bool) {
        self.terminators = terminators;
    }

    /// Sort the lines (for `sorted` mode): a diff of sorted lists shows the lines only one
    /// side has.
    pub(crate) fn sort(&mut self) {
        let buf = &self.buf;
        self.spans.sort_unstable_by(|a, b| {
            buf[a.0 as usize..a.1 as usize].cmp(&buf[b.0 as usize..b.1 as usize])
        });
    }

    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    pub(crate) fn line(&self, i: usize) -> &[u8] {
        let (s, e) = self.spans[i];
        &self.buf[s as usize..e as usize]
    }

    pub(crate) fn same_as(&self, other: &Lines) -> bool {
        self.len() == other.len() && (0..self.len()).all(|i| self.line(i) == other.line(i))
    }
}
