//! Image downloads: fallback URLs, resume of partial downloads (HTTP `Range`), hash
//! verification, atomic rename into place, `file://` and local paths.
//!
//! HTTP goes through `ureq`: blocking (ptest downloads one image at a time, so an async
//! runtime would only add weight), small, rustls-based (no system OpenSSL to install),
//! and it exposes the response status and headers needed for `Range`.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::EngineError;
use crate::observe::{Bar, Counting, Observer};

/// An expected digest: SHA-256 (64 hex digits) or, as PANDA's own list has, SHA-1 (40).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    Sha256(String),
    Sha1(String),
}

impl Expected {
    pub fn parse(hex: &str) -> Option<Expected> {
        let h = hex.trim().to_ascii_lowercase();
        if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        match h.len() {
            64 => Some(Expected::Sha256(h)),
            40 => Some(Expected::Sha1(h)),
            _ => None,
        }
    }

    fn want(&self) -> &str {
        match self {
            Expected::Sha256(h) | Expected::Sha1(h) => h,
        }
    }

    fn algo(&self) -> &'static str {
        match self {
            Expected::Sha256(_) => "sha256",
            Expected::Sha1(_) => "sha1",
        }
    }

    /// The digest of the file at `path`, in this algorithm.
    pub fn digest_of(&self, path: &Path) -> Result<String, EngineError> {
        let mut f = File::open(path).map_err(EngineError::io(path))?;
        let mut buf = vec![0u8; 1 << 20];
        let mut s256 = Sha256::new();
        let mut s1 = Sha1::new();
        loop {
            let n = f.read(&mut buf).map_err(EngineError::io(path))?;
            if n == 0 {
                break;
            }
            match self {
                Expected::Sha256(_) => s256.update(&buf[..n]),
                Expected::Sha1(_) => s1.update(&buf[..n]),
            }
        }
        Ok(match self {
            Expected::Sha256(_) => hex::encode(s256.finalize()),
            Expected::Sha1(_) => hex::encode(s1.finalize()),
        })
    }

    /// `None` if `path` matches, else a message saying what it has instead.
    pub fn check(&self, path: &Path) -> Result<Option<String>, EngineError> {
        let got = self.digest_of(path)?;
        Ok(
            (got != self.want())
                .then(|| format!("{} {got}, expected {}", self.algo(), self.want())),
        )
    }
}

/// Checks a local image that is used in place.
pub fn verify_present(
    path: &Path,
    expected: Option<&Expected>,
    name: &str,
) -> Result<(), EngineError> {
    if !path.exists() {
        return Err(EngineError::Image(format!(
            "image {name}: {} does not exist",
            path.display()
        )));
    }
    if let Some(exp) = expected
        && let Some(bad) = exp.check(path)?
    {
        return Err(EngineError::Image(format!(
            "image {name}: {} has {bad}",
            path.display()
        )));
    }
    Ok(())
}

/// Gets `dest` from the first of `sources` that works. A file already at `dest` that
/// matches `expected` (or any file there, when no hash is known) is kept as it is.
pub fn fetch(
    sources: &[String],
    dest: &Path,
    expected: Option<&Expected>,
    name: &str,
    observer: &dyn Observer,
) -> Result<(), EngineError> {
    if dest.exists() {
        match expected {
            None => return Ok(()),
            Some(exp) => match exp.check(dest)? {
                None => {
                    observer.note(&format!(
                        "image {name}: {} present and verified",
                        dest.display()
                    ));
                    return Ok(());
                }
                Some(bad) => observer.note(&format!(
                    "image {name}: {} has {bad}; downloading it again",
                    dest.display()
                )),
            },
        }
    }
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(EngineError::io(parent))?;
    }
    let part = part_path(dest);
    let mut failures = Vec::new();
    for source in sources {
        observer.note(&format!("image {name}: getting {source}"));
        match fetch_one(source, &part, observer, name) {
            Ok(()) => {}
            Err(why) => {
                failures.push(format!("{source}: {why}"));
                continue;
            }
        }
        if let Some(exp) = expected
            && let Some(bad) = exp.check(&part)?
        {
            // Wrong bytes are not worth resuming from.
            let _ = std::fs::remove_file(&part);
            failures.push(format!("{source}: served the wrong file ({bad})"));
            continue;
        }
        std::fs::rename(&part, dest).map_err(EngineError::io(dest))?;
        observer.note(&format!("image {name}: {} ready", dest.display()));
        return Ok(());
    }
    Err(EngineError::Image(format!(
        "image {name}: could not get {}:\n  - {}\n  check the network (or put the file there yourself) and run `ptest images fetch {name}` again",
        dest.display(),
        failures.join("\n  - ")
    )))
}

fn part_path(dest: &Path) -> PathBuf {
    let mut s = dest.as_os_str().to_owned();
    s.push(".part");
    PathBuf::from(s)
}

/// Copies or downloads `source` into `part`; an HTTP download resumes what `part` holds.
fn fetch_one(source: &str, part: &Path, observer: &dyn Observer, name: &str) -> Result<(), String> {
    if source.starts_with("http://") || source.starts_with("https://") {
        // A dropped connection is resumed from where it stopped, a few times.
        let mut last = String::new();
        for _ in 0..4 {
            match http_once(source, part, observer, name) {
                Ok(()) => return Ok(()),
                Err(Attempt::Fatal(e)) => return Err(e),
                Err(Attempt::Retry(e)) => last = e,
            }
        }
        return Err(last);
    }
    let path = source.strip_prefix("file://").unwrap_or(source);
    let mut from = File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let total = from.metadata().map(|m| m.len()).ok();
    let mut to = File::create(part).map_err(|e| format!("cannot write {}: {e}", part.display()))?;
    let bar = observer.bar(Counting::Bytes, name, total, 0);
    copy(&mut from, &mut to, &*bar).map_err(|e| format!("copying: {e}"))?;
    bar.finish();
    Ok(())
}

enum Attempt {
    Retry(String),
    Fatal(String),
}

fn http_once(url: &str, part: &Path, observer: &dyn Observer, name: &str) -> Result<(), Attempt> {
    let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(15))
        .timeout_read(Duration::from_secs(30))
        .build();
    let mut req = agent.get(url);
    if have > 0 {
        req = req.set("Range", &format!("bytes={have}-"));
    }
    let resp = match req.call() {
        Ok(r) => r,
        // The part file already holds everything.
        Err(ureq::Error::Status(416, _)) if have > 0 => return Ok(()),
        Err(ureq::Error::Status(code, r)) => {
            return Err(Attempt::Fatal(format!("HTTP {code} {}", r.status_text())));
        }
        Err(ureq::Error::Transport(t)) => {
            return Err(Attempt::Fatal(format!(
                "cannot download ({t}); are we offline?"
            )));
        }
    };
    let resumed = resp.status() == 206 && have > 0;
    let length: Option<u64> = resp.header("Content-Length").and_then(|v| v.parse().ok());
    let mut file = if resumed {
        OpenOptions::new().append(true).open(part)
    } else {
        File::create(part)
    }
    .map_err(|e| Attempt::Fatal(format!("cannot write {}: {e}", part.display())))?;
    let start = if resumed { have } else { 0 };
    if resumed {
        observer.note(&format!("image {name}: resuming at byte {have}"));
    }
    let bar = observer.bar(Counting::Bytes, name, length.map(|l| l + start), start);
    let mut body = resp.into_reader();
    let got = copy(&mut body, &mut file, &*bar)
        .map_err(|e| Attempt::Retry(format!("connection lost: {e}")))?;
    bar.finish();
    match length {
        Some(l) if got < l => Err(Attempt::Retry(format!(
            "connection closed after {got} of {l} bytes"
        ))),
        _ => Ok(()),
    }
}

fn copy(from: &mut dyn Read, to: &mut File, bar: &dyn Bar) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0;
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            to.sync_all()?;
            return Ok(total);
        }
        to.write_all(&buf[..n])?;
        total += n as u64;
        bar.inc(n as u64);
    }
}
