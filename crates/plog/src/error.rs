//! The crate's one error type. Every variant renders as a single line naming the file
//! and where in it things went wrong, so a user can find the damage with `xxd -s`.

/// Everything that can go wrong reading, decoding or comparing pandalogs.
#[derive(Debug, thiserror::Error)]
pub enum PlogError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Problem in the header, the directory or the file layout.
    #[error("{path}: byte {offset}: {msg}")]
    Format {
        path: String,
        offset: u64,
        msg: String,
    },
    /// A chunk that cannot be read or decompressed.
    #[error("{path}: chunk {chunk} (file byte {offset}): {msg}")]
    Chunk {
        path: String,
        chunk: usize,
        offset: u64,
        msg: String,
    },
    /// An entry inside a decompressed chunk that cannot be split off or decoded.
    #[error(
        "{path}: chunk {chunk}, entry {entry} of the chunk (byte {offset} of its decompressed data): {msg}"
    )]
    Entry {
        path: String,
        chunk: usize,
        entry: u64,
        offset: u64,
        msg: String,
    },
    #[error("{path}: not a pandalog: {msg}")]
    NotPandalog { path: String, msg: String },
    #[error("schema {path}: {msg}")]
    Schema { path: String, msg: String },
    /// Writing the output failed (other than a closed pipe, which is not an error).
    #[error("writing output: {0}")]
    Output(#[source] std::io::Error),
    #[error("{0}")]
    Unsupported(String),
}

impl PlogError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        PlogError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
