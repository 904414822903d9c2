//! The CD image that brings host files into a PANDA guest (as PANDA's `run_guest.py`
//! does), made with `genisoimage` or `xorriso`, whichever is installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::EngineError;

/// Builds `iso` holding `files` (by base name) with Rock Ridge and Joliet names.
pub fn build(files: &[PathBuf], iso: &Path) -> Result<(), EngineError> {
    let stage = iso.with_extension("iso.d");
    let _ = std::fs::remove_dir_all(&stage);
    std::fs::create_dir_all(&stage).map_err(EngineError::io(&stage))?;
    for f in files {
        let name = f
            .file_name()
            .ok_or_else(|| EngineError::Usage(format!("--copy {}: not a file", f.display())))?;
        std::fs::copy(f, stage.join(name)).map_err(EngineError::io(f))?;
    }
    let tools: [(&str, &[&str]); 2] = [
        ("genisoimage", &["-quiet", "-R", "-J", "-o"]),
        ("xorriso", &["-as", "mkisofs", "-quiet", "-R", "-J", "-o"]),
    ];
    let mut last = String::new();
    for (tool, args) in tools {
        match Command::new(tool).args(args).arg(iso).arg(&stage).output() {
            Ok(out) if out.status.success() => {
                let _ = std::fs::remove_dir_all(&stage);
                return Ok(());
            }
            Ok(out) => {
                last = format!(
                    "{tool} failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )
            }
            Err(_) => {}
        }
    }
    let _ = std::fs::remove_dir_all(&stage);
    Err(EngineError::Emulator(if last.is_empty() {
        "copying host files into a PANDA guest needs genisoimage or xorriso (apt-get install genisoimage)".into()
    } else {
        last
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_holds_the_files_by_base_name() {
        if Command::new("isoinfo").arg("--version").output().is_err() {
            eprintln!("skipping: isoinfo (genisoimage) not installed");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("prog");
        std::fs::write(&a, b"#!/bin/sh\necho hi\n").unwrap();
        let iso = dir.path().join("out/x.iso");
        std::fs::create_dir_all(iso.parent().unwrap()).unwrap();
        build(&[a], &iso).unwrap();
        let out = Command::new("isoinfo")
            .args(["-R", "-f", "-i"])
            .arg(&iso)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "/prog");
        assert!(
            !iso.with_extension("iso.d").exists(),
            "staging folder left behind"
        );
    }
}
