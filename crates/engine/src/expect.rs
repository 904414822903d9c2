//! Expect-style automation of a guest's serial console and QEMU's human monitor over
//! Unix sockets: send text, wait for a regex with a timeout. Everything received is
//! appended to a transcript file (the test's log), so a guest that never shows its
//! prompt leaves a record of what it showed instead.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use regex::Regex;

use crate::EngineError;

/// One side of the conversation (a console or a monitor).
pub struct Session {
    name: String,
    stream: UnixStream,
    /// Received text not yet consumed by a match.
    pending: String,
    transcript: File,
    transcript_path: PathBuf,
}

impl Session {
    /// Connects to the socket at `path` (retrying until `limit`: the emulator creates
    /// it only once it is up), logging to `transcript`. `alive` stops the wait early
    /// when the emulator has died.
    pub fn connect(
        name: &str,
        path: &Path,
        transcript: &Path,
        limit: Duration,
        alive: &mut dyn FnMut() -> bool,
    ) -> Result<Session, EngineError> {
        let start = Instant::now();
        let stream = loop {
            match UnixStream::connect(path) {
                Ok(s) => break s,
                Err(e) if start.elapsed() >= limit || !alive() => {
                    return Err(EngineError::Emulator(format!(
                        "{name}: cannot connect to {} ({e}); did the emulator start? (see {})",
                        path.display(),
                        transcript.display()
                    )));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .map_err(EngineError::io(path))?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(transcript)
            .map_err(EngineError::io(transcript))?;
        Ok(Session {
            name: name.to_string(),
            stream,
            pending: String::new(),
            transcript: file,
            transcript_path: transcript.to_path_buf(),
        })
    }

    pub fn send(&mut self, text: &str) -> Result<(), EngineError> {
        self.stream.write_all(text.as_bytes()).map_err(|e| {
            EngineError::Emulator(format!(
                "{}: the emulator closed the connection ({e})",
                self.name
            ))
        })
    }

    pub fn sendline(&mut self, text: &str) -> Result<(), EngineError> {
        self.send(&format!("{text}\n"))
    }

    /// Waits until the received text matches `re`; returns the text up to and including
    /// the match and keeps what follows for the next wait.
    pub fn expect(&mut self, re: &Regex, timeout: Duration) -> Result<String, EngineError> {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 4096];
        loop {
            if let Some(m) = re.find(&self.pending) {
                let end = m.end();
                let before = self.pending[..end].to_string();
                self.pending.drain(..end);
                return Ok(before);
            }
            if Instant::now() >= deadline {
                return Err(self.failure(&format!(
                    "no match for /{}/ within {}",
                    re.as_str(),
                    humantime::format_duration(timeout)
                )));
            }
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    return Err(self.failure(&format!(
                        "connection closed while waiting for /{}/",
                        re.as_str()
                    )));
                }
                Ok(n) => {
                    let _ = self.transcript.write_all(&buf[..n]);
                    self.pending.push_str(&String::from_utf8_lossy(&buf[..n]));
                    // Keep memory bounded on chatty consoles: only the tail can still match
                    // a prompt.
                    if self.pending.len() > 1 << 20 {
                        let mut cut = self.pending.len() - (1 << 19);
                        while !self.pending.is_char_boundary(cut) {
                            cut += 1;
                        }
                        self.pending.drain(..cut);
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(self.failure(&format!("read error: {e}"))),
            }
        }
    }

    /// Waits (up to `timeout`) for the other side to close the connection, e.g. after
    /// `quit`; returns whether it did.
    pub fn wait_closed(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            match self.stream.read(&mut buf) {
                Ok(0) => return true,
                Ok(n) => {
                    let _ = self.transcript.write_all(&buf[..n]);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return true,
            }
        }
        false
    }

    fn failure(&self, what: &str) -> EngineError {
        let tail: String = {
            let lines: Vec<&str> = self
                .pending
                .lines()
                .filter(|l| !l.trim().is_empty())
                .collect();
            lines[lines.len().saturating_sub(3)..].join(" | ")
        };
        EngineError::Emulator(format!(
            "{}: {what}; last output: {:?} (transcript: {})",
            self.name,
            tail,
            self.transcript_path.display()
        ))
    }
}

/// One step of a scripted conversation with a guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A monitor command, then wait for the monitor's prompt.
    Monitor(String),
    /// A console command line, then wait for the guest's prompt.
    Console(String, Duration),
    /// Type text at the console without pressing Enter.
    Type(String),
    /// Press Enter and wait for the guest's prompt.
    Enter(Duration),
}

/// Runs `steps` against a monitor and a console whose prompts match `monitor_prompt`
/// and `prompt`.
pub fn run_steps(
    monitor: &mut Session,
    console: &mut Session,
    monitor_prompt: &Regex,
    prompt: &Regex,
    steps: &[Step],
) -> Result<(), EngineError> {
    for step in steps {
        match step {
            Step::Monitor(cmd) => {
                monitor.sendline(cmd)?;
                monitor.expect(monitor_prompt, Duration::from_secs(60))?;
            }
            Step::Console(cmd, t) => {
                console.sendline(cmd)?;
                console.expect(prompt, *t)?;
            }
            Step::Type(text) => console.send(text)?,
            Step::Enter(t) => {
                console.send("\n")?;
                console.expect(prompt, *t)?;
            }
        }
    }
    Ok(())
}
