//! `--apply-suggestions`: the suggested rules written into a test's `test.toml` with
//! `toml_edit`, so its comments and layout stay as they were. Written whole (temporary
//! file, then rename): never a half-written config.
//!
//! It writes the lines and nothing else; re-checking the runs under the new rules is the
//! caller's.

use std::path::{Path, PathBuf};

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use super::model::Suggestion;
use crate::human::one_line;

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not valid TOML ({}); fix it, then apply the suggestions again", path.display(), one_line(.why))]
    Parse { path: PathBuf, why: String },
    #[error("{}: `{key}` is not {what}; the suggestions were not written (add them by hand)", path.display())]
    Shape {
        path: PathBuf,
        key: &'static str,
        what: &'static str,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Add `suggestions` to the config file at `path` (created if missing); returns how many
/// were new (one already there is not added twice).
pub fn apply(path: &Path, suggestions: &[&Suggestion]) -> Result<usize, EditError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(EditError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut doc: DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| EditError::Parse {
                path: path.to_path_buf(),
                why: e.to_string(),
            })?;
    let shape = |key, what| EditError::Shape {
        path: path.to_path_buf(),
        key,
        what,
    };
    let mut added = 0;
    for s in suggestions {
        let new = match s {
            Suggestion::Preset { .. } | Suggestion::Filter { .. } => {
                let filters = doc
                    .entry("filters")
                    .or_insert(Item::ArrayOfTables(ArrayOfTables::new()))
                    .as_array_of_tables_mut()
                    .ok_or_else(|| shape("filters", "an array of tables ([[filters]])"))?;
                let table = filter_table(s);
                let known = filters.iter().any(|t| t.to_string() == table.to_string());
                if !known {
                    filters.push(table);
                }
                !known
            }
            Suggestion::Mode { mode, files } => {
                let compare = doc
                    .entry("compare")
                    .or_insert_with(|| {
                        let mut t = Table::new();
                        t.set_implicit(true);
                        Item::Table(t)
                    })
                    .as_table_like_mut()
                    .ok_or_else(|| shape("compare", "a table ([compare])"))?;
                let modes = compare
                    .entry("modes")
                    .or_insert(Item::Table(Table::new()))
                    .as_table_like_mut()
                    .ok_or_else(|| shape("compare.modes", "a table"))?;
                let known = modes.get(files).and_then(|m| m.as_str()) == Some(mode.as_str());
                modes.insert(files, value(mode.as_str()));
                !known
            }
        };
        added += usize::from(new);
    }
    write_whole(path, &doc.to_string())?;
    Ok(added)
}

fn filter_table(s: &Suggestion) -> Table {
    let mut t = Table::new();
    match s {
        Suggestion::Preset { preset, files } => {
            t["preset"] = value(preset.as_str());
            t["files"] = value(files.as_str());
        }
        Suggestion::Filter {
            regex,
            replace,
            files,
        } => {
            t["regex"] = value(regex.as_str());
            t["replace"] = value(replace.as_str());
            t["files"] = value(files.as_str());
        }
        Suggestion::Mode { .. } => {}
    }
    t
}

fn write_whole(path: &Path, text: &str) -> Result<(), EditError> {
    let err = |source| EditError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}
