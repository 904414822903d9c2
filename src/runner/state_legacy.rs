//! The single `.ptest/state.json` that ptest wrote before state went per test (version
//! 2): read as the base under the per-test files, and moved into them by the next save.
//! It must never overwrite a per-test file: those are newer by construction.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::Path;

use serde::Deserialize;

use super::{StateError, TestState, check_version, write_test};

const FILE: &str = "state.json";
/// The last version kept in one file.
const LEGACY_VERSION: u32 = 2;

#[derive(Deserialize)]
struct Legacy {
    #[serde(default)]
    tests: BTreeMap<String, TestState>,
}

/// The legacy file's tests; none if there is no such file.
pub(super) fn read(state_dir: &Path) -> Result<BTreeMap<String, TestState>, StateError> {
    let path = state_dir.join(FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(source) => return Err(StateError::Io { path, source }),
    };
    check_version(&path, &bytes, LEGACY_VERSION)?;
    // A differing file's diff was text then: such a file is older, not damaged, and
    // `ptest test` replaces it.
    let legacy: Legacy = serde_json::from_slice(&bytes).map_err(|_| StateError::Older {
        path,
        found: LEGACY_VERSION,
    })?;
    Ok(legacy
        .tests
        .into_iter()
        .filter(|(name, _)| is_plain_name(name))
        .collect())
}

/// Write each legacy entry that has no per-test file yet (never replacing one: another
/// process may have just written it), then remove `state.json`. An unusable legacy file
/// is removed too, as the single-file ptest replaced it: the command warned about it.
pub(super) fn migrate(state_dir: &Path, tests_dir: &Path) -> std::io::Result<()> {
    let path = state_dir.join(FILE);
    if !path.exists() {
        return Ok(());
    }
    for (name, test) in read(state_dir).unwrap_or_default() {
        let target = tests_dir.join(format!("{name}.json"));
        if target.exists() {
            continue;
        }
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}.json."))
            .tempfile_in(tests_dir)?;
        write_test(&mut tmp, &test)?;
        // A hard link fails if the target exists (rename would replace it), and works
        // over NFS, unlike renameat2(RENAME_NOREPLACE).
        match std::fs::hard_link(tmp.path(), &target) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// A name that is one plain file name: a hand-edited file must not make ptest write
/// outside `state/tests/`.
pub(super) fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\0'])
}
