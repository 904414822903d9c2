//! A minimal QMP client: just enough to ask a running QEMU how far its replay got
//! (`query-replay`) and to make it quit.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A connected QMP session (capabilities negotiated).
pub struct Qmp {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    /// Bytes of a message not yet complete when a read timed out (see [`Qmp::wait_event`]).
    partial: Vec<u8>,
    /// An event arrived (skipped by `execute` or seen by `wait_event`) since the last
    /// [`Qmp::wait_event`]: the caller should look at the VM's state now.
    event: bool,
}

/// What `query-replay` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayInfo {
    pub mode: String,
    pub icount: u64,
}

impl Qmp {
    /// Connects to the socket QEMU listens on, retrying until `limit` (QEMU creates it
    /// only once it has parsed its command line); `alive` says whether waiting still makes sense.
    pub fn connect(path: &Path, limit: Duration, alive: &mut dyn FnMut() -> bool) -> Option<Qmp> {
        let start = Instant::now();
        while start.elapsed() < limit && alive() {
            if let Ok(stream) = UnixStream::connect(path)
                && let Some(qmp) = Qmp::handshake(stream)
            {
                return Some(qmp);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    fn handshake(stream: UnixStream) -> Option<Qmp> {
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let writer = stream.try_clone().ok()?;
        let mut qmp = Qmp {
            reader: BufReader::new(stream),
            writer,
            partial: Vec::new(),
            event: false,
        };
        let greeting = qmp.read_message()?;
        greeting.get("QMP")?;
        qmp.execute("qmp_capabilities")?;
        Some(qmp)
    }

    fn read_message(&mut self) -> Option<Value> {
        self.read_message_within(Duration::from_secs(5)).ok()?
    }

    /// The next message, waiting at most `limit`. `Err(())` when the wait timed out (what
    /// was read so far is kept for the next call); `Ok(None)` when the socket closed or
    /// the message is not JSON.
    fn read_message_within(&mut self, limit: Duration) -> Result<Option<Value>, ()> {
        let _ = self
            .reader
            .get_ref()
            .set_read_timeout(Some(limit.max(Duration::from_millis(1))));
        // read_until appends what it consumed before an error, so a message split by a
        // timeout is completed by the next call.
        match self.reader.read_until(b'\n', &mut self.partial) {
            Ok(0) => Ok(None),
            Ok(_) if !self.partial.ends_with(b"\n") => Ok(None),
            Ok(_) => {
                let v = serde_json::from_slice(&self.partial).ok();
                self.partial.clear();
                Ok(v)
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Err(())
            }
            Err(_) => Ok(None),
        }
    }

    /// Waits up to `limit` for an asynchronous event (`SHUTDOWN`, `STOP`, …), so that the
    /// caller learns of the guest's power-off when it happens rather than at its next poll.
    /// True if an event came (also one `execute` skipped earlier); `None` if the socket
    /// closed.
    pub fn wait_event(&mut self, limit: Duration) -> Option<bool> {
        let start = Instant::now();
        while !self.event {
            let left = limit.saturating_sub(start.elapsed());
            if left.is_zero() {
                break;
            }
            match self.read_message_within(left) {
                Err(()) => break,
                Ok(None) => return None,
                Ok(Some(v)) => self.event |= v.get("event").is_some(),
            }
        }
        Some(std::mem::take(&mut self.event))
    }

    /// Runs `command` and returns its `return` value (events in between are skipped).
    pub fn execute(&mut self, command: &str) -> Option<Value> {
        let msg = serde_json::json!({ "execute": command });
        self.writer.write_all(format!("{msg}\n").as_bytes()).ok()?;
        for _ in 0..100 {
            let v = self.read_message()?;
            if let Some(r) = v.get("return") {
                return Some(r.clone());
            }
            if v.get("error").is_some() {
                return None;
            }
            self.event |= v.get("event").is_some();
        }
        None
    }

    pub fn query_replay(&mut self) -> Option<ReplayInfo> {
        let r = self.execute("query-replay")?;
        Some(ReplayInfo {
            mode: r.get("mode")?.as_str()?.to_string(),
            icount: r.get("icount")?.as_u64()?,
        })
    }

    /// `query-status`'s `status` (`running`, `shutdown`, …).
    pub fn status(&mut self) -> Option<String> {
        Some(
            self.execute("query-status")?
                .get("status")?
                .as_str()?
                .to_string(),
        )
    }

    pub fn quit(&mut self) {
        let _ = self.writer.write_all(b"{\"execute\":\"quit\"}\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    /// A fake QEMU: greeting, capabilities, then an event split across two writes (the
    /// first half arrives before the client's wait times out), then one query answered.
    #[test]
    fn an_event_split_by_a_timeout_is_still_seen_and_the_session_goes_on() {
        let t = tempfile::tempdir().unwrap();
        let sock = t.path().join("qmp.sock");
        let listener = UnixListener::bind(&sock).unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            s.write_all(b"{\"QMP\": {}}\n").unwrap();
            r.read_line(&mut line).unwrap();
            s.write_all(b"{\"return\": {}}\n").unwrap();
            s.write_all(b"{\"event\": \"SHUT").unwrap();
            std::thread::sleep(Duration::from_millis(300));
            s.write_all(b"DOWN\"}\n").unwrap();
            line.clear();
            r.read_line(&mut line).unwrap();
            assert!(line.contains("query-status"));
            s.write_all(b"{\"return\": {\"status\": \"shutdown\"}}\n")
                .unwrap();
        });
        let mut q = Qmp::connect(&sock, Duration::from_secs(5), &mut || true).unwrap();
        // Usually the first wait times out with half a message read (the rest must not be
        // lost); on a loaded machine it may already see the whole event.
        let mut seen = q.wait_event(Duration::from_millis(50)) == Some(true);
        for _ in 0..100 {
            if seen {
                break;
            }
            seen = q.wait_event(Duration::from_millis(100)) == Some(true);
        }
        assert!(seen);
        assert_eq!(q.status().as_deref(), Some("shutdown"));
        server.join().unwrap();
        // The server is gone: the socket reads as closed.
        assert_eq!(q.wait_event(Duration::from_millis(100)), None);
    }
}
