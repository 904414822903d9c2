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
        };
        let greeting = qmp.read_message()?;
        greeting.get("QMP")?;
        qmp.execute("qmp_capabilities")?;
        Some(qmp)
    }

    fn read_message(&mut self) -> Option<Value> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        serde_json::from_str(&line).ok()
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
