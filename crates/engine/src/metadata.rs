//! The metadata kept beside a recording: everything a replay must match. A QEMU
//! replay that differs in any of these hangs silently, so `ptest replay` compares
//! them first and refuses to start, naming what differs.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::EngineError;

/// `REPLAY.meta.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Metadata {
    pub format: u32,
    /// `qemu` or `panda`.
    pub engine: String,
    pub image: String,
    pub arch: String,
    /// `qemu-system-x86_64 --version`'s first line.
    pub emulator_version: String,
    /// The guest-visible machine line, with `{kernel}`, `{initrd}`, `{serial}`,
    /// `{rrfile}` and `{mode}` placeholders for what legitimately changes.
    pub machine: Vec<String>,
    /// The recorded command and the host files copied in.
    pub command: Vec<String>,
    pub copied: Vec<String>,
    pub kernel_sha256: String,
    pub initramfs_sha256: String,
    pub replay_sha256: String,
    pub replay_size: u64,
    /// Instructions the recording covers (QMP `query-replay` once the guest powered off).
    pub instructions: u64,
    /// The guest command's exit status, from the end marker.
    pub guest_exit: i32,
}

pub const FORMAT: u32 = 1;

pub fn read(path: &Path) -> Result<Metadata, EngineError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            EngineError::Mismatch(format!(
                "{}: no metadata beside the recording (was it recorded by ptest, and did the recording finish?); re-record it with `ptest setup`",
                path.display()
            ))
        } else {
            EngineError::io(path)(e)
        }
    })?;
    serde_json::from_str(&text).map_err(|e| {
        EngineError::Mismatch(format!(
            "{}: unreadable metadata ({e}); re-record with `ptest setup`",
            path.display()
        ))
    })
}

/// Writes atomically, so a killed recording never leaves metadata that vouches for it.
pub fn write(path: &Path, meta: &Metadata) -> Result<(), EngineError> {
    let tmp = path.with_extension("json.tmp");
    let json = serde_json::to_string_pretty(meta).unwrap_or_default() + "\n";
    std::fs::write(&tmp, json).map_err(EngineError::io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(EngineError::io(path))
}

/// One line per difference between what was recorded and what a replay would use.
pub fn differences(recorded: &Metadata, now: &Metadata) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = |what: &str, a: &str, b: &str| {
        if a != b {
            out.push(format!("{what}: recorded {}, now {}", short(a), short(b)));
        }
    };
    field("engine", &recorded.engine, &now.engine);
    // The image's name may change (`--image`); its kernel, hashed below, may not.
    field(
        "emulator version",
        &recorded.emulator_version,
        &now.emulator_version,
    );
    field("kernel sha256", &recorded.kernel_sha256, &now.kernel_sha256);
    field(
        "initramfs sha256",
        &recorded.initramfs_sha256,
        &now.initramfs_sha256,
    );
    field(
        "replay file sha256",
        &recorded.replay_sha256,
        &now.replay_sha256,
    );
    if recorded.machine != now.machine {
        let (ra, rb) = first_difference(&recorded.machine, &now.machine);
        out.push(format!("machine line: recorded `{ra}`, now `{rb}`"));
    }
    out
}

fn short(s: &str) -> String {
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        format!("{}…", &s[..12])
    } else {
        s.to_string()
    }
}

/// The first argument that differs (with its option name when it is an option's value).
fn first_difference(a: &[String], b: &[String]) -> (String, String) {
    let n = a.len().max(b.len());
    for i in 0..n {
        let x = a.get(i).map(String::as_str).unwrap_or("(nothing)");
        let y = b.get(i).map(String::as_str).unwrap_or("(nothing)");
        if x != y {
            let opt = |v: &[String]| {
                i.checked_sub(1)
                    .and_then(|j| v.get(j))
                    .filter(|o| o.starts_with('-'))
                    .map(|o| format!("{o} "))
                    .unwrap_or_default()
            };
            return (format!("{}{x}", opt(a)), format!("{}{y}", opt(b)));
        }
    }
    (String::new(), String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Metadata {
        Metadata {
            format: FORMAT,
            engine: "qemu".into(),
            image: "qemu-busybox".into(),
            arch: "x86_64".into(),
            emulator_version: "QEMU emulator version 7.2.22".into(),
            machine: ["-m", "256", "-icount", "shift=5"]
                .map(String::from)
                .to_vec(),
            command: vec!["ls".into()],
            copied: vec![],
            kernel_sha256: "a".repeat(64),
            initramfs_sha256: "b".repeat(64),
            replay_sha256: "c".repeat(64),
            replay_size: 10,
            instructions: 5,
            guest_exit: 0,
        }
    }

    #[test]
    fn identical_metadata_has_no_differences() {
        assert!(differences(&meta(), &meta()).is_empty());
    }

    #[test]
    fn differences_name_the_option_and_both_values() {
        let mut now = meta();
        now.machine[1] = "512".into();
        now.emulator_version = "QEMU emulator version 8.0".into();
        now.kernel_sha256 = "d".repeat(64);
        let d = differences(&meta(), &now);
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(
            d[0].contains("recorded QEMU emulator version 7.2.22, now QEMU emulator version 8.0")
        );
        assert!(d[1].starts_with("kernel sha256: recorded aaaaaaaaaaaa…, now dddddddddddd…"));
        assert!(
            d[2].starts_with("machine line: recorded `-m 256`, now `-m 512`"),
            "{}",
            d[2]
        );
    }

    #[test]
    fn write_then_read_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.meta.json");
        write(&path, &meta()).unwrap();
        assert_eq!(read(&path).unwrap(), meta());
        let err = read(&dir.path().join("missing.meta.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no metadata beside the recording"), "{err}");
    }
}
