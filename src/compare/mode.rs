//! Compare modes: their names and parsing. What each mode means:
//!
//! - `exact`: byte for byte after filters (the default). Without an applicable filter the
//!   files are streamed in 1 MiB chunks, so any size costs bounded memory; with filters
//!   they are streamed line by line. Files that look binary (a NUL byte near the start)
//!   are compared byte for byte, unfiltered: line-wise regexes mean nothing there.
//! - `text`: like `exact`, but CRLF vs LF, trailing whitespace and a missing final
//!   newline are ignored.
//! - `sorted`: line order ignored (outputs built from hash maps or threads); each line is
//!   compared without its terminator. Loads both files.
//! - `plog`: pandalogs compared entry by entry by `ptest_plog`, with the filters applied to
//!   each entry's text. Files that look like pandalogs get this mode unless a glob in
//!   `[compare] modes` says otherwise.
//!
//! Whatever the mode, byte-identical files are equal: that check streams first, so the
//! common case (nothing changed) never loads a file.
//!
//! A leaf: it must not import anything else from `compare`; how a mode transforms lines
//! is `transform`, how a file is compared in it is `file`.

/// How a file's contents are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Exact,
    Text,
    Sorted,
    Plog,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::Exact, Mode::Text, Mode::Sorted, Mode::Plog];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Exact => "exact",
            Mode::Text => "text",
            Mode::Sorted => "sorted",
            Mode::Plog => "plog",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_names_round_trip() {
        for m in Mode::ALL {
            assert_eq!(Mode::parse(m.as_str()), Some(m));
        }
        assert_eq!(Mode::parse("fuzzy"), None);
    }
}
