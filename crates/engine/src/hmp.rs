//! A minimal client of QEMU's human monitor (HMP), for replays: it asks how far the replay
//! got (`info replay`) and nothing else.
//!
//! Why not QMP, as recordings use: with a QMP monitor, QEMU 7.2 spends about twice the
//! system time in a record/replay run, even with no client connected (measured: 4.3 s →
//! 8.2–9 s of sys in a 11 s replay; an HMP monitor on the same chardev costs nothing).
//! HMP pushes no events, so the end of a replay is QEMU's exit, seen by waiting on it.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// What every HMP answer ends with.
const PROMPT: &[u8] = b"(qemu) ";

/// A connected HMP session (past the banner).
pub struct Hmp {
    stream: UnixStream,
    buf: Vec<u8>,
}

impl Hmp {
    /// Connects to the socket QEMU listens on, once it exists; `None` if it does not yet or
    /// QEMU does not greet with a prompt.
    pub fn connect(path: &Path) -> Option<Hmp> {
        let stream = UnixStream::connect(path).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let mut hmp = Hmp {
            stream,
            buf: Vec::new(),
        };
        hmp.until_prompt()?;
        Some(hmp)
    }

    /// Read until the prompt; the text before it (with the echoed command), or `None` when
    /// the monitor closed or said nothing for 5 s.
    fn until_prompt(&mut self) -> Option<String> {
        let start = Instant::now();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(at) = find(&self.buf, PROMPT) {
                let text = String::from_utf8_lossy(&self.buf[..at]).into_owned();
                self.buf.drain(..at + PROMPT.len());
                return Some(text);
            }
            if start.elapsed() > Duration::from_secs(5) {
                return None;
            }
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// The replay's instruction count, from `info replay`
    /// ("Replaying execution 'FILE': instruction count = N").
    pub fn replay_icount(&mut self) -> Option<u64> {
        self.stream.write_all(b"info replay\n").ok()?;
        let text = self.until_prompt()?;
        parse_icount(&text)
    }
}

fn parse_icount(text: &str) -> Option<u64> {
    let after = text.rsplit_once("instruction count = ")?.1;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;
    use std::os::unix::net::UnixListener;

    #[test]
    fn parses_the_count_after_the_echo_and_terminal_codes() {
        let text =
            "info replay\r\n\x1b[KReplaying execution 'x.rr': instruction count = 123456\r\n";
        assert_eq!(parse_icount(text), Some(123_456));
        assert_eq!(parse_icount("Record/replay is not active\r\n"), None);
    }

    /// A fake monitor: banner and prompt, then one `info replay` answered in two writes.
    #[test]
    fn a_session_reads_past_the_banner_and_answers_split_across_reads() {
        let t = tempfile::tempdir().unwrap();
        let sock = t.path().join("hmp.sock");
        let listener = UnixListener::bind(&sock).unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            s.write_all(b"QEMU 7.2.0 monitor - type 'help' for more information\r\n(qemu) ")
                .unwrap();
            let mut line = String::new();
            std::io::BufReader::new(s.try_clone().unwrap())
                .read_line(&mut line)
                .unwrap();
            assert_eq!(line, "info replay\n");
            s.write_all(b"info replay\r\nReplaying execution 'a.rr': instruction count = 4")
                .unwrap();
            std::thread::sleep(Duration::from_millis(50));
            s.write_all(b"2\r\n(qemu) ").unwrap();
        });
        let mut hmp = Hmp::connect(&sock).expect("connected");
        assert_eq!(hmp.replay_icount(), Some(42));
        server.join().unwrap();
    }
}
