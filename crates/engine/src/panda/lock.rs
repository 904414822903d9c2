//! One emulator at a time per writable image: QEMU 2.9 (PANDA) has no image locking, and
//! two recordings booting one qcow2 read-write corrupt it. A recording holds an exclusive
//! lock on `IMAGE.ptest-lock` beside the image for the emulator's whole life; replays do
//! not boot the image and take no lock. The kernel drops the lock when the holder dies.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::EngineError;
use crate::observe::Observer;

/// Held while it lives.
pub struct ImageLock {
    _file: File,
}

fn lock_path(image: &Path) -> PathBuf {
    let mut s = image.as_os_str().to_os_string();
    s.push(".ptest-lock");
    PathBuf::from(s)
}

/// Locks `image` for `who`, waiting (and telling `observer`, once) while another
/// recording holds it.
pub fn lock(image: &Path, who: &str, observer: &dyn Observer) -> Result<ImageLock, EngineError> {
    let path = lock_path(image);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(EngineError::io(&path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            // On the terminal too, not only in the script's log: a test that seems stuck
            // is waiting for another.
            observer.notice(&format!(
                "waiting for image {}: another recording uses it ({})",
                image.display(),
                if holder.is_empty() {
                    "holder unknown"
                } else {
                    holder
                }
            ));
            file.lock().map_err(EngineError::io(&path))?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(EngineError::io(&path)(e)),
    }
    // Who holds it, for the next one that waits.
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = write!(file, "{who}");
    let _ = file.flush();
    Ok(ImageLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn a_second_holder_waits_until_the_first_lets_go() {
        let d = tempfile::tempdir().unwrap();
        let img = d.path().join("x.qcow2");
        let first = lock(&img, "pid 1 test a", &crate::observe::Silent).unwrap();
        let img2 = img.clone();
        let start = Instant::now();
        let t = std::thread::spawn(move || {
            let _second = lock(&img2, "pid 2 test b", &crate::observe::Silent).unwrap();
            start.elapsed()
        });
        std::thread::sleep(Duration::from_millis(300));
        drop(first);
        let waited = t.join().unwrap();
        assert!(waited >= Duration::from_millis(250), "{waited:?}");
        assert_eq!(
            std::fs::read_to_string(d.path().join("x.qcow2.ptest-lock")).unwrap(),
            "pid 2 test b"
        );
    }
}
