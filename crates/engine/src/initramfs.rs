//! A byte-reproducible initramfs (cpio `newc`, gzip), built in Rust.
//!
//! QEMU's replay hangs silently when the initramfs differs from the recorded one by a
//! single byte, so every source of variation is pinned: entries are sorted by path,
//! inode numbers are assigned in that order, mtimes/uids/gids are 0, and the gzip
//! header carries neither a timestamp nor a file name.

use std::collections::BTreeMap;
use std::io::Write;

use flate2::{Compression, GzBuilder};

/// One entry of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Dir,
    File {
        data: Vec<u8>,
        executable: bool,
    },
    Symlink(String),
    /// A character device (`/dev/console` must exist before devtmpfs is mounted).
    CharDev {
        major: u32,
        minor: u32,
    },
}

/// An archive under construction; paths are relative (`bin/busybox`, no leading `/`).
#[derive(Debug, Default, Clone)]
pub struct Archive {
    entries: BTreeMap<String, Entry>,
}

impl Archive {
    pub fn new() -> Archive {
        Archive::default()
    }

    /// Adds `path` and, as directories, every parent it lacks.
    pub fn add(&mut self, path: &str, entry: Entry) {
        let path = path.trim_start_matches('/').to_string();
        let mut parent = String::new();
        for part in path
            .split('/')
            .collect::<Vec<_>>()
            .iter()
            .rev()
            .skip(1)
            .rev()
        {
            if !parent.is_empty() {
                parent.push('/');
            }
            parent.push_str(part);
            self.entries.entry(parent.clone()).or_insert(Entry::Dir);
        }
        self.entries.insert(path, entry);
    }

    /// The uncompressed cpio `newc` archive.
    pub fn cpio(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (ino, (path, entry)) in self.entries.iter().enumerate() {
            let (mode, data, rdev): (u32, &[u8], (u32, u32)) = match entry {
                Entry::Dir => (0o040755, &[], (0, 0)),
                Entry::File { data, executable } => {
                    (if *executable { 0o100755 } else { 0o100644 }, data, (0, 0))
                }
                Entry::Symlink(target) => (0o120777, target.as_bytes(), (0, 0)),
                Entry::CharDev { major, minor } => (0o020600, &[], (*major, *minor)),
            };
            let nlink = if matches!(entry, Entry::Dir) { 2 } else { 1 };
            write_header(
                &mut out,
                ino as u32 + 1,
                mode,
                nlink,
                data.len(),
                rdev,
                path,
            );
            out.extend_from_slice(data);
            pad4(&mut out);
        }
        write_header(&mut out, 0, 0, 1, 0, (0, 0), "TRAILER!!!");
        out
    }

    /// The gzip-compressed archive, as the kernel takes it with `-initrd`.
    pub fn gzip(&self) -> Vec<u8> {
        let mut enc = GzBuilder::new()
            .mtime(0)
            .operating_system(3)
            .write(Vec::new(), Compression::new(6));
        // Writing to a Vec cannot fail.
        let _ = enc.write_all(&self.cpio());
        enc.finish().unwrap_or_default()
    }
}

fn write_header(
    out: &mut Vec<u8>,
    ino: u32,
    mode: u32,
    nlink: u32,
    size: usize,
    rdev: (u32, u32),
    name: &str,
) {
    let fields = [
        ino,
        mode,
        0, // uid
        0, // gid
        nlink,
        0, // mtime
        size as u32,
        0, // devmajor
        0, // devminor
        rdev.0,
        rdev.1,
        name.len() as u32 + 1,
        0, // check
    ];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08X}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad4(out);
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Archive {
        let mut a = Archive::new();
        a.add(
            "/bin/busybox",
            Entry::File {
                data: b"\x7fELF".to_vec(),
                executable: true,
            },
        );
        a.add("dev/console", Entry::CharDev { major: 5, minor: 1 });
        a.add(
            "init",
            Entry::File {
                data: b"#!/bin/sh\n".to_vec(),
                executable: true,
            },
        );
        a.add("bin/sh", Entry::Symlink("busybox".into()));
        a
    }

    #[test]
    fn same_content_same_bytes_whatever_the_insertion_order() {
        let mut b = Archive::new();
        b.add(
            "init",
            Entry::File {
                data: b"#!/bin/sh\n".to_vec(),
                executable: true,
            },
        );
        b.add("bin/sh", Entry::Symlink("busybox".into()));
        b.add("dev/console", Entry::CharDev { major: 5, minor: 1 });
        b.add(
            "bin/busybox",
            Entry::File {
                data: b"\x7fELF".to_vec(),
                executable: true,
            },
        );
        assert_eq!(sample().gzip(), b.gzip());
        // Different content, different archive.
        b.add(
            "init",
            Entry::File {
                data: b"#!/bin/sh \n".to_vec(),
                executable: true,
            },
        );
        assert_ne!(sample().gzip(), b.gzip());
    }

    #[test]
    fn cpio_is_newc_with_parents_and_trailer() {
        let cpio = sample().cpio();
        assert!(cpio.starts_with(b"070701"));
        assert_eq!(cpio.len() % 4, 0);
        let text = String::from_utf8_lossy(&cpio);
        let bin = text.find("bin\0").unwrap();
        let busybox = text.find("bin/busybox\0").unwrap();
        assert!(bin < busybox, "parent directory first");
        assert!(text.ends_with("TRAILER!!!\0\0\0\0") || text.contains("TRAILER!!!\0"));
    }

    #[test]
    fn gzip_header_has_no_timestamp() {
        let gz = sample().gzip();
        assert_eq!(&gz[..3], &[0x1f, 0x8b, 8]);
        assert_eq!(&gz[4..8], &[0, 0, 0, 0], "mtime");
        assert_eq!(gz[3] & 0x08, 0, "no file name");
    }

    #[test]
    fn cpio_tool_extracts_it() {
        // The system's cpio (if any) must read what we write.
        let Ok(out) = std::process::Command::new("cpio").arg("--version").output() else {
            return;
        };
        if !out.status.success() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("cpio")
            .args(["-id", "--quiet"])
            .current_dir(dir.path())
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(&sample().cpio())
            .unwrap();
        assert!(child.wait().unwrap().success());
        assert_eq!(
            std::fs::read(dir.path().join("init")).unwrap(),
            b"#!/bin/sh\n"
        );
        assert_eq!(
            std::fs::read_link(dir.path().join("bin/sh"))
                .unwrap()
                .to_str(),
            Some("busybox")
        );
    }
}
