//! The one error type of the compare operation: a configuration mistake or an output
//! folder that cannot be read. It imports only the leaf `cancel` from `compare`.
//! Problems with individual files are not errors but `FileVerdict::Invalid` entries.

use std::path::PathBuf;

use super::cancel::Stopped;

/// Why rules could not be compiled or folders not compared. Problems with individual
/// files are not errors: they are `FileVerdict::Invalid` entries.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// A configuration mistake, as one line naming the config file and what to fix.
    #[error("{0}")]
    Invalid(String),
    /// An output folder itself could not be read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The comparison was stopped (its [`super::Cancel`]): the runner words it.
    #[error("the comparison was stopped ({0:?})")]
    Stopped(Stopped),
}
