//! The CD image that brings host files into a PANDA guest (as PANDA's `run_guest.py`
//! does), written here rather than with `genisoimage`: one ISO 9660 root directory
//! with Rock Ridge names and modes, so guests see the host's file names as they are
//! (plain ISO 9660 would upper-case and truncate them).

use std::path::{Path, PathBuf};

use crate::EngineError;

const SECTOR: usize = 2048;
/// Sectors: 0-15 system area, 16 primary volume descriptor, 17 terminator, 18/19 the
/// little-/big-endian path tables, 20… the root directory, then the files.
const ROOT_LBA: usize = 20;

struct File {
    name: String,
    data: Vec<u8>,
    mode: u32,
}

/// Writes `iso` holding `files` by base name.
pub fn build(files: &[PathBuf], iso: &Path) -> Result<(), EngineError> {
    use std::os::unix::fs::PermissionsExt;
    let mut list = Vec::new();
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.is_empty() || name.len() > 200 || list.iter().any(|x: &File| x.name == name) {
            return Err(EngineError::Usage(format!(
                "--copy {}: needs a distinct file name of at most 200 bytes",
                f.display()
            )));
        }
        let data = std::fs::read(f).map_err(EngineError::io(f))?;
        let perm = std::fs::metadata(f)
            .map_err(EngineError::io(f))?
            .permissions()
            .mode();
        let mode = if perm & 0o111 != 0 {
            0o100755
        } else {
            0o100644
        };
        list.push(File { name, data, mode });
    }
    list.sort_by(|a, b| a.name.cmp(&b.name));
    let bytes = image(&list);
    let tmp = iso.with_extension("iso.tmp");
    std::fs::write(&tmp, bytes).map_err(EngineError::io(&tmp))?;
    std::fs::rename(&tmp, iso).map_err(EngineError::io(iso))
}

fn both16(v: u16) -> [u8; 4] {
    let (l, b) = (v.to_le_bytes(), v.to_be_bytes());
    [l[0], l[1], b[0], b[1]]
}

fn both32(v: u32) -> [u8; 8] {
    let (l, b) = (v.to_le_bytes(), v.to_be_bytes());
    [l[0], l[1], l[2], l[3], b[0], b[1], b[2], b[3]]
}

/// Rock Ridge `PX`: POSIX mode, links, uid, gid.
fn px(mode: u32) -> Vec<u8> {
    let mut v = vec![b'P', b'X', 36, 1];
    for x in [mode, 1, 0, 0] {
        v.extend_from_slice(&both32(x));
    }
    v
}

/// One directory record; `id` is the ISO 9660 identifier, `su` the system use area.
fn record(id: &[u8], lba: usize, len: usize, dir: bool, su: &[u8]) -> Vec<u8> {
    let pad = usize::from(id.len().is_multiple_of(2));
    let total = 33 + id.len() + pad + su.len();
    let mut r = vec![total as u8, 0];
    r.extend_from_slice(&both32(lba as u32));
    r.extend_from_slice(&both32(len as u32));
    r.extend_from_slice(&[70, 1, 1, 0, 0, 0, 0]); // 1970-01-01: no host time leaks in
    r.extend_from_slice(&[if dir { 2 } else { 0 }, 0, 0]);
    r.extend_from_slice(&both16(1));
    r.push(id.len() as u8);
    r.extend_from_slice(id);
    r.extend(std::iter::repeat_n(0, pad));
    r.extend_from_slice(su);
    r
}

fn image(files: &[File]) -> Vec<u8> {
    // Root "." carries SUSP's SP (Rock Ridge present) and a short ER naming RRIP.
    let mut dot_su = vec![b'S', b'P', 7, 1, 0xBE, 0xEF, 0];
    dot_su.extend(px(0o40555));
    let (id, des, src) = (b"RRIP_1991A", b"RR", b"ptest");
    dot_su.extend_from_slice(&[b'E', b'R', (8 + id.len() + des.len() + src.len()) as u8, 1]);
    dot_su.extend_from_slice(&[id.len() as u8, des.len() as u8, src.len() as u8, 1]);
    dot_su.extend_from_slice(id);
    dot_su.extend_from_slice(des);
    dot_su.extend_from_slice(src);
    let entries: Vec<(Vec<u8>, Vec<u8>)> = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut su = px(f.mode);
            su.extend_from_slice(&[b'N', b'M', (5 + f.name.len()) as u8, 1, 0]);
            su.extend_from_slice(f.name.as_bytes());
            (format!("F{i:04}.;1").into_bytes(), su)
        })
        .collect();
    // Lay out the directory (records never straddle a sector) to learn its size.
    let sizes: Vec<usize> = [34 + dot_su.len(), 34 + 36]
        .into_iter()
        .chain(
            entries
                .iter()
                .map(|(id, su)| 33 + id.len() + usize::from(id.len().is_multiple_of(2)) + su.len()),
        )
        .collect();
    let mut dir_sectors = 1;
    let mut used = 0;
    for s in &sizes {
        if used + s > SECTOR {
            dir_sectors += 1;
            used = 0;
        }
        used += s;
    }
    let mut lba = ROOT_LBA + dir_sectors;
    let mut extents = Vec::new();
    for f in files {
        extents.push(lba);
        lba += f.data.len().div_ceil(SECTOR).max(1);
    }
    let total = lba;
    let dir_len = dir_sectors * SECTOR;
    let mut dir = Vec::with_capacity(dir_len);
    let mut push = |r: Vec<u8>| {
        if dir.len() % SECTOR + r.len() > SECTOR {
            dir.resize(dir.len().div_ceil(SECTOR) * SECTOR, 0);
        }
        dir.extend(r);
    };
    push(record(&[0], ROOT_LBA, dir_len, true, &dot_su));
    push(record(&[1], ROOT_LBA, dir_len, true, &px(0o40555)));
    for ((id, su), (f, at)) in entries.iter().zip(files.iter().zip(&extents)) {
        push(record(id, *at, f.data.len(), false, su));
    }
    dir.resize(dir_len, 0);

    let mut out = vec![0u8; total * SECTOR];
    let pvd = &mut out[16 * SECTOR..17 * SECTOR];
    pvd[0] = 1;
    pvd[1..6].copy_from_slice(b"CD001");
    pvd[6] = 1;
    pvd[8..72].fill(b' ');
    pvd[40..45].copy_from_slice(b"PTEST");
    pvd[80..88].copy_from_slice(&both32(total as u32));
    pvd[120..124].copy_from_slice(&both16(1));
    pvd[124..128].copy_from_slice(&both16(1));
    pvd[128..132].copy_from_slice(&both16(SECTOR as u16));
    pvd[132..140].copy_from_slice(&both32(10));
    pvd[140..144].copy_from_slice(&18u32.to_le_bytes());
    pvd[148..152].copy_from_slice(&19u32.to_be_bytes());
    pvd[156..190].copy_from_slice(&record(&[0], ROOT_LBA, dir_len, true, &[]));
    pvd[190..813].fill(b' ');
    for at in [813, 830, 847, 864] {
        pvd[at..at + 16].fill(b'0');
    }
    pvd[881] = 1;
    let term = &mut out[17 * SECTOR..18 * SECTOR];
    term[0] = 255;
    term[1..6].copy_from_slice(b"CD001");
    term[6] = 1;
    for (sector, lba_bytes) in [
        (18, (ROOT_LBA as u32).to_le_bytes()),
        (19, (ROOT_LBA as u32).to_be_bytes()),
    ] {
        let pt = &mut out[sector * SECTOR..];
        pt[0] = 1;
        pt[2..6].copy_from_slice(&lba_bytes);
        pt[6..8].copy_from_slice(&if sector == 18 {
            1u16.to_le_bytes()
        } else {
            1u16.to_be_bytes()
        });
    }
    out[ROOT_LBA * SECTOR..ROOT_LBA * SECTOR + dir_len].copy_from_slice(&dir);
    for (f, at) in files.iter().zip(&extents) {
        out[at * SECTOR..at * SECTOR + f.data.len()].copy_from_slice(&f.data);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_is_reproducible_and_readable_by_isoinfo() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("Hello_World.TXT");
        std::fs::write(&a, b"hi\n").unwrap();
        let b = dir.path().join("big-program");
        std::fs::write(&b, vec![7u8; 5000]).unwrap();
        let iso = dir.path().join("x.iso");
        build(&[a.clone(), b.clone()], &iso).unwrap();
        let bytes = std::fs::read(&iso).unwrap();
        assert_eq!(&bytes[16 * SECTOR + 1..16 * SECTOR + 6], b"CD001");
        assert_eq!(bytes.len() % SECTOR, 0);
        build(&[b, a.clone()], &iso).unwrap();
        assert_eq!(
            std::fs::read(&iso).unwrap(),
            bytes,
            "same files, same bytes"
        );
        let err = build(&[a.clone(), a], &iso).unwrap_err().to_string();
        assert!(err.contains("distinct file name"), "{err}");
        // isoinfo (from genisoimage), where installed, reads the Rock Ridge names.
        let Ok(out) = std::process::Command::new("isoinfo")
            .args(["-R", "-f", "-i"])
            .arg(&iso)
            .output()
        else {
            return;
        };
        let listing = String::from_utf8_lossy(&out.stdout);
        assert!(
            listing.contains("/Hello_World.TXT") && listing.contains("/big-program"),
            "{listing}"
        );
    }
}
