//! The terminal side of the engine's [`Observer`]: notes go to stderr as `ptest: …`
//! (the wording the engine gives them), notices also to the runner's socket, and
//! progress bars are drawn only on an interactive terminal.

use ptest_engine::{Bar, Counting, Observer, Stream};

pub struct Terminal {
    /// Whether stderr is a terminal that may show progress bars.
    pub interactive: bool,
}

/// Prints one engine note.
pub fn note(message: &str) {
    eprintln!("ptest: {message}");
}

impl Observer for Terminal {
    fn note(&self, message: &str) {
        note(message);
    }

    fn notice(&self, message: &str) {
        // On stderr for the script's log, and to the runner for the terminal.
        note(message);
        crate::runner::notices::send(message);
    }

    fn output(&self, stream: Stream, line: &[u8]) {
        // As the emulator's own output: a test script reads a replay's plugin output
        // from `ptest replay`'s stdout.
        use std::io::Write;
        let mut out: Box<dyn Write> = match stream {
            Stream::Stdout => Box::new(std::io::stdout().lock()),
            Stream::Stderr => Box::new(std::io::stderr().lock()),
        };
        let _ = out.write_all(line);
        let _ = out.write_all(b"\n");
        let _ = out.flush();
    }

    fn bar(&self, counting: Counting, label: &str, total: Option<u64>, at: u64) -> Box<dyn Bar> {
        if !self.interactive {
            return Box::new(Drawn(indicatif::ProgressBar::hidden()));
        }
        let bar = match total {
            Some(t) => indicatif::ProgressBar::new(t),
            None => indicatif::ProgressBar::new_spinner(),
        };
        let template = match counting {
            Counting::Bytes => {
                "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}"
            }
            Counting::Instructions => {
                "replay {msg} [{bar:30}] {percent}% {pos}/{len} instr, ETA {eta}"
            }
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(label.to_string());
        bar.set_position(at);
        Box::new(Drawn(bar))
    }
}

struct Drawn(indicatif::ProgressBar);

impl Bar for Drawn {
    fn set(&self, position: u64) {
        self.0.set_position(position);
    }

    fn inc(&self, delta: u64) {
        self.0.inc(delta);
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
