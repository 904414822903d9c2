//! Checking a staged archive against its manifest: every member listed with its size and
//! hash, every listed file present, every unit and test name sound. It reads only what
//! `unpack` staged and its manifest; it must not write anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{ArchiveError, MANIFEST, Manifest, check_member_path, unit_of};

/// Member → (size, sha256), as read.
pub(super) type Members = BTreeMap<String, (u64, String)>;

/// Every member is in the manifest with its size and hash, and every manifest file and
/// unit is sound.
pub(super) fn verify(
    archive: &Path,
    manifest: &Manifest,
    members: &Members,
) -> Result<(), ArchiveError> {
    let member_err = |member: &str, reason: String| ArchiveError::Member {
        archive: archive.to_path_buf(),
        member: member.to_string(),
        reason,
    };
    // Test names become folder names (`create_layout`): one plain component each.
    for test in &manifest.tests {
        let unit = format!("replays/{test}");
        if test.contains('/') || check_member_path(&unit).is_err() {
            return Err(member_err(
                MANIFEST,
                format!("test name {test:?} is not a plain name"),
            ));
        }
    }
    let units: BTreeSet<&str> = manifest.units.iter().map(String::as_str).collect();
    for unit in &units {
        check_member_path(unit).map_err(|r| member_err(unit, format!("manifest unit {r}")))?;
        if unit.split('/').count() != 2 {
            return Err(member_err(unit, "manifest unit is not KIND/NAME".into()));
        }
    }
    let mut listed = BTreeSet::new();
    for f in &manifest.files {
        check_member_path(&f.path).map_err(|r| member_err(&f.path, r))?;
        if !units.contains(unit_of(&f.path).as_str()) {
            return Err(member_err(
                &f.path,
                "belongs to no unit of the manifest".into(),
            ));
        }
        match members.get(&f.path) {
            None => return Err(member_err(&f.path, "is in the manifest but missing".into())),
            Some((size, _)) if *size != f.size => {
                return Err(member_err(
                    &f.path,
                    format!("is {size} bytes, the manifest says {}", f.size),
                ));
            }
            Some((_, sha)) if *sha != f.sha256 => {
                return Err(member_err(
                    &f.path,
                    "SHA-256 differs from the manifest's (damaged or altered)".into(),
                ));
            }
            Some(_) => {}
        }
        listed.insert(f.path.as_str());
    }
    let filled: BTreeSet<String> = manifest.files.iter().map(|f| unit_of(&f.path)).collect();
    if let Some(empty) = units.iter().find(|u| !filled.contains(**u)) {
        return Err(member_err(empty, "manifest unit without files".into()));
    }
    if let Some(extra) = members.keys().find(|m| !listed.contains(m.as_str())) {
        return Err(member_err(extra, "is not in the manifest".into()));
    }
    Ok(())
}
