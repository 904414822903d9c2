//! The one walker of output folders (compared, checked before blessing, copied, counted):
//! every regular file under a folder by relative name, and whatever cannot be compared or
//! blessed (symlinks, FIFOs, sockets, devices, non-UTF-8 names, unreadable folders) as an
//! invalid entry with the reason. Nothing is followed or opened here, so a FIFO cannot
//! hang the run and a symlink cannot pull in files from outside. Empty folders are not
//! entries: outputs are files.

use std::collections::BTreeMap;
use std::fs::FileType;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    File,
    /// Not comparable; says why (without the path, which the caller adds).
    Invalid(String),
}

/// Every entry under `root` by `/`-separated relative name, sorted. A missing root is an
/// empty folder (a test without a blessed reference yet); an unreadable one, or a root
/// that is not a folder, is an error (about `root`, which the caller names).
pub fn walk(root: &Path) -> std::io::Result<BTreeMap<String, Entry>> {
    let mut out = BTreeMap::new();
    match std::fs::metadata(root) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
        Ok(m) if !m.is_dir() => return Err(std::io::Error::other("not a directory")),
        Ok(_) => {}
    }
    walk_dir(root, "", &mut out)?;
    Ok(out)
}

fn describe(t: &FileType) -> Option<&'static str> {
    if t.is_symlink() {
        Some("is a symbolic link (never followed); outputs must be regular files")
    } else if t.is_fifo() {
        Some("is a FIFO (named pipe); outputs must be regular files")
    } else if t.is_socket() {
        Some("is a socket; outputs must be regular files")
    } else if t.is_block_device() || t.is_char_device() {
        Some("is a device node; outputs must be regular files")
    } else if t.is_file() || t.is_dir() {
        None
    } else {
        Some("is not a regular file")
    }
}

fn walk_dir(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Entry>) -> std::io::Result<()> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        entries.push((entry.file_name(), entry.file_type()?));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, ty) in entries {
        let rel = match name.to_str() {
            Some(n) => format!("{prefix}{n}"),
            None => {
                let lossy = format!("{prefix}{}", name.to_string_lossy());
                out.insert(
                    lossy,
                    Entry::Invalid(
                        "has a file name that is not valid UTF-8 (shown with �); rename it".into(),
                    ),
                );
                continue;
            }
        };
        if let Some(reason) = describe(&ty) {
            out.insert(rel, Entry::Invalid(reason.into()));
        } else if ty.is_dir() {
            if let Err(e) = walk_dir(&dir.join(&name), &format!("{rel}/"), out) {
                out.insert(
                    rel,
                    Entry::Invalid(format!("is a folder that cannot be read: {e}")),
                );
            }
        } else {
            out.insert(rel, Entry::File);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn lists_nested_files_sorted_and_flags_special_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("sub/deeper")).unwrap();
        std::fs::create_dir(d.join("empty")).unwrap();
        std::fs::write(d.join("b.txt"), "b").unwrap();
        std::fs::write(d.join("a.txt"), "a").unwrap();
        std::fs::write(d.join("sub/deeper/c"), "c").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", d.join("link")).unwrap();
        std::os::unix::fs::symlink(d.join("sub"), d.join("dirlink")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            d.join("fifo"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        let bad = std::ffi::OsStr::from_bytes(b"bad\xffname");
        std::fs::write(d.join(bad), "x").unwrap();
        let listed = walk(d).unwrap();
        let names: Vec<&str> = listed.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "a.txt",
                "b.txt",
                "bad\u{fffd}name",
                "dirlink",
                "fifo",
                "link",
                "sub/deeper/c"
            ]
        );
        assert_eq!(listed["a.txt"], Entry::File);
        assert_eq!(listed["sub/deeper/c"], Entry::File);
        for (name, want) in [
            ("link", "symbolic link"),
            ("dirlink", "symbolic link"),
            ("fifo", "FIFO"),
            ("bad\u{fffd}name", "not valid UTF-8"),
        ] {
            match &listed[name] {
                Entry::Invalid(r) => assert!(r.contains(want), "{name}: {r}"),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn missing_root_is_empty_and_file_root_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(walk(&dir.path().join("nope")).unwrap().is_empty());
        std::fs::write(dir.path().join("f"), "x").unwrap();
        assert!(walk(&dir.path().join("f")).is_err());
    }
}
