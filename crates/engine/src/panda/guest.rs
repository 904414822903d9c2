//! The guest command as PANDA's `run_debian.py` prepared it: host files named in the
//! command are copied into `./replays/BINARY/cdrom` (relative to the caller's working
//! directory), which the guest mounts at that same path, and the words are typed as
//! Python's `subprocess.list2cmdline` joins them.

use std::path::{Path, PathBuf};

use crate::EngineError;

/// A recording's copy folder and the command rewritten to use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdCopy {
    /// `CWD/replays/BINARY/cdrom`: copied files, mounted at the same path in the guest.
    pub dir: PathBuf,
    /// `guest:` prefixes dropped, host files replaced by their copies' paths.
    pub words: Vec<String>,
}

impl CdCopy {
    /// `DIR.iso`, beside the folder (run_guest.py's default ISO name).
    pub fn iso(&self) -> PathBuf {
        let mut s = self.dir.clone().into_os_string();
        s.push(".iso");
        PathBuf::from(s)
    }

    /// The files to put on the CD; empty means no CD (run_guest.py checks the folder,
    /// so files left by earlier recordings count too).
    pub fn files(&self) -> Result<Vec<PathBuf>, EngineError> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map_err(EngineError::io(&self.dir))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        Ok(files)
    }
}

/// `run_debian.py`'s `transform_arg_copy` over `words`, in `cwd`: `guest:X` → `X`; an
/// existing host file → copied into the copy folder, replaced by the copy's path; other
/// words unchanged. `extra` files (`--copy`) are copied in without being named.
pub fn cd_copy(cwd: &Path, words: &[String], extra: &[PathBuf]) -> Result<CdCopy, EngineError> {
    let first = words.first().ok_or_else(|| {
        EngineError::Usage("nothing to record: give the guest command after `--`".into())
    })?;
    let binary = first.strip_prefix("guest:").unwrap_or(first);
    let base = Path::new(binary)
        .file_name()
        .map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_else(|| "command".into());
    let dir = cwd.join("replays").join(base).join("cdrom");
    std::fs::create_dir_all(&dir).map_err(EngineError::io(&dir))?;
    let copy = |host: &Path| -> Result<PathBuf, EngineError> {
        let name = host
            .file_name()
            .ok_or_else(|| EngineError::Usage(format!("{}: not a file to copy", host.display())))?;
        let to = dir.join(name);
        if to != host {
            std::fs::copy(host, &to).map_err(EngineError::io(host))?;
        }
        Ok(to)
    };
    let mut out = Vec::with_capacity(words.len());
    for w in words {
        if let Some(g) = w.strip_prefix("guest:") {
            out.push(g.to_string());
        } else if cwd.join(w).is_file() {
            out.push(copy(&cwd.join(w))?.display().to_string());
        } else {
            out.push(w.clone());
        }
    }
    for f in extra {
        copy(&cwd.join(f))?;
    }
    Ok(CdCopy { dir, words: out })
}

/// Python's `subprocess.list2cmdline`: words joined by spaces, a word with a space or
/// tab (or empty) in double quotes, `"` and the backslashes before it escaped.
pub fn list2cmdline(words: &[String]) -> String {
    let mut out = String::new();
    for w in words {
        if !out.is_empty() {
            out.push(' ');
        }
        let quote = w.is_empty() || w.contains([' ', '\t']);
        if quote {
            out.push('"');
        }
        let mut backslashes = 0;
        for c in w.chars() {
            match c {
                '\\' => backslashes += 1,
                '"' => {
                    out.push_str(&"\\".repeat(backslashes * 2));
                    backslashes = 0;
                    out.push_str("\\\"");
                }
                _ => {
                    out.push_str(&"\\".repeat(backslashes));
                    backslashes = 0;
                    out.push(c);
                }
            }
        }
        out.push_str(&"\\".repeat(backslashes));
        if quote {
            out.push_str(&"\\".repeat(backslashes));
            out.push('"');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn list2cmdline_is_pythons() {
        // Expected values from CPython 3.11's subprocess.list2cmdline.
        let cases: &[(&[&str], &str)] = &[
            (
                &["cat", "/proc/cpuinfo;", "ls", "/bin", "|", "head"],
                "cat /proc/cpuinfo; ls /bin | head",
            ),
            (&["a b", "c"], "\"a b\" c"),
            (&[""], "\"\""),
            (&["'quoted", "arg'"], "'quoted arg'"),
            (&["a\"b"], "a\\\"b"),
            (&["a\\\\\"b"], "a\\\\\\\\\\\"b"),
            (&["x\\"], "x\\"),
            (&["x y\\"], "\"x y\\\\\""),
            (&["$?", "&&", "x"], "$? && x"),
        ];
        for (words, want) in cases {
            assert_eq!(list2cmdline(&s(words)), *want, "{words:?}");
        }
    }

    #[test]
    fn host_files_are_copied_into_replays_binary_cdrom() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("input.txt"), "x").unwrap();
        let c = cd_copy(d.path(), &s(&["guest:/bin/cat", "input.txt", "-n"]), &[]).unwrap();
        let dir = d.path().join("replays/cat/cdrom");
        assert_eq!(c.dir, dir);
        assert_eq!(
            c.words,
            s(&[
                "/bin/cat",
                &dir.join("input.txt").display().to_string(),
                "-n"
            ])
        );
        assert_eq!(c.files().unwrap(), vec![dir.join("input.txt")]);
        assert_eq!(c.iso(), d.path().join("replays/cat/cdrom.iso"));
        // Only guest words: the folder is made, and stays empty (no CD).
        let c = cd_copy(d.path(), &s(&["guest:/usr/bin/file", "guest:/bin/ls"]), &[]).unwrap();
        assert!(c.dir.ends_with("replays/file/cdrom") && c.dir.is_dir());
        assert!(c.files().unwrap().is_empty());
    }
}
