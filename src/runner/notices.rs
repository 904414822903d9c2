//! Notices from an engine command run inside a test script (`ptest record` waiting for an
//! image another recording holds) to the ptest running the suite, which shows them on the
//! terminal: the script's own output goes to its log, which nobody reads live. Both
//! halves live here: [`send`] (the engine command's observer calls it) and [`Listener`]
//! (the runner).
//!
//! They travel as datagrams `TEST\tMESSAGE` to the Unix socket named by [`SOCKET_ENV`]:
//! a path, not an inherited descriptor, because Python's `subprocess` closes inherited
//! descriptors. Best effort: without the socket nothing is sent (the observer also prints
//! the notice, into the script's log).

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// The environment variable holding the socket's path.
pub const SOCKET_ENV: &str = "PTEST_NOTICE_SOCKET";

/// Sends `message` (one line) to the runner, when there is one.
pub fn send(message: &str) {
    let Some(path) = std::env::var_os(SOCKET_ENV).filter(|p| !p.is_empty()) else {
        return;
    };
    let test = std::env::var("PTEST_TEST").unwrap_or_default();
    if let Ok(socket) = UnixDatagram::unbound() {
        // Never block the recording on a runner that does not read.
        let _ = socket.set_nonblocking(true);
        let _ = socket.send_to(format!("{test}\t{message}").as_bytes(), path);
    }
}

/// A bound socket and the thread reading it; dropping it stops the thread.
pub struct Listener {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    // Holds the socket's folder; a short path under /tmp (socket paths max out at 108 bytes).
    _dir: tempfile::TempDir,
}

impl Listener {
    /// Binds a socket and calls `on_notice(test, message)` for each notice. `None` when no
    /// socket can be made: notices then stay in the scripts' logs, nothing else is lost.
    pub fn start(on_notice: impl Fn(String, String) + Send + 'static) -> Option<Listener> {
        let dir = tempfile::Builder::new()
            .prefix("ptest-")
            .tempdir_in("/tmp")
            .ok()?;
        let path = dir.path().join("notices");
        let socket = UnixDatagram::bind(&path).ok()?;
        // Wake up now and then to notice the end of the run.
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .ok()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = vec![0u8; 4096];
            let deliver = |datagram: &[u8]| {
                if datagram.is_empty() {
                    return; // the wake-up `drop` sends
                }
                let text = String::from_utf8_lossy(datagram);
                let (test, message) = text.split_once('\t').unwrap_or(("", &text));
                on_notice(test.to_string(), message.trim_end().to_string());
            };
            while !stopped.load(Ordering::Relaxed) {
                if let Ok(n) = socket.recv(&mut buf) {
                    deliver(&buf[..n]);
                }
            }
            // What the last scripts sent just before they ended.
            if socket.set_nonblocking(true).is_ok() {
                while let Ok(n) = socket.recv(&mut buf) {
                    deliver(&buf[..n]);
                }
            }
        });
        Some(Listener {
            path,
            stop,
            thread: Some(thread),
            _dir: dir,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the listener now rather than at its next timeout (a run's last 200 ms).
        if let Ok(waker) = UnixDatagram::unbound() {
            let _ = waker.send_to(&[], &self.path);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn a_notice_sent_to_the_socket_arrives_with_its_test() {
        let (tx, rx) = mpsc::channel();
        let l = Listener::start(move |t, m| {
            let _ = tx.send((t, m));
        })
        .expect("listener");
        let s = UnixDatagram::unbound().expect("socket");
        s.send_to(b"asidstory1\twaiting for image i386\n", l.path())
            .expect("send");
        let got = rx.recv_timeout(Duration::from_secs(5)).expect("notice");
        assert_eq!(got, ("asidstory1".into(), "waiting for image i386".into()));
    }
}
