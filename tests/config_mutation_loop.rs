//! A bounded random-mutation loop over `config.testing`, `ptest.toml` and `test.toml`
//! parsing: not coverage-guided fuzzing (that is `fuzz/`, run with cargo-fuzz), but it runs
//! on every `cargo test`. Each input must parse or fail with one line naming the file;
//! nothing may panic.

use std::path::Path;

use ptest::suite::config::{Scope, from_text};
use ptest::suite::config_testing::{parse, validate_name};

/// xorshift64*: deterministic, so a failure reproduces with the same iteration.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Fragments that reach the interesting branches when spliced in.
const PIECES: &[&str] = &[
    "#",
    "\n",
    " ",
    "\t",
    "\u{feff}",
    "..",
    "/",
    "all",
    "# c",
    "=",
    "\"",
    "[",
    "]",
    "[[filters]]",
    "[engine]",
    "[compare]",
    "[images.x]",
    "timeout = \"0s\"",
    "stall-timeout = \"x\"",
    "engine = \"qmeu\"",
    "memory = \"5000000G\"",
    "shift = 99",
    "mode = \"sortd\"",
    "jobs = 0",
    "threads = 2",
    "regex = \"(\"",
    "preset = \"pids\"",
    "[env]",
    "\u{0}",
    "é",
];

fn mutate(rng: &mut Rng, seed: &str) -> String {
    let mut s: Vec<char> = seed.chars().collect();
    for _ in 0..=rng.below(6) {
        let at = rng.below(s.len() + 1);
        match rng.below(4) {
            0 if !s.is_empty() => {
                let end = (at + rng.below(8)).min(s.len());
                s.drain(at.min(end)..end);
            }
            1 => {
                let piece = PIECES[rng.below(PIECES.len())];
                s.splice(at..at, piece.chars());
            }
            2 => s.insert(at, char::from_u32(rng.below(0x2000) as u32).unwrap_or('?')),
            _ => {
                // Duplicate a run: repeated keys and names.
                let start = rng.below(s.len() + 1);
                let end = (start + rng.below(40)).min(s.len());
                let run: Vec<char> = s[start..end].to_vec();
                s.splice(at..at, run);
            }
        }
    }
    s.into_iter().collect()
}

fn seeds(ext: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(ext))
            {
                out.extend(std::fs::read_to_string(&path).ok());
            }
        }
    }
    out.push(String::new());
    out
}

const ITERATIONS: usize = 20_000;

#[test]
fn config_testing_mutations_parse_or_name_the_line() {
    let seeds = seeds("config.testing");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..ITERATIONS {
        let text = mutate(&mut rng, &seeds[i % seeds.len()]);
        match parse(Path::new("config.testing"), &text) {
            Ok(parsed) => {
                for e in &parsed.entries {
                    assert!(
                        validate_name(&e.name).is_ok(),
                        "{i}: {:?} in {text:?}",
                        e.name
                    );
                }
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.starts_with("config.testing:") && !msg.contains('\n'),
                    "{i}: {msg}"
                );
            }
        }
    }
}

#[test]
fn toml_mutations_load_or_name_the_file() {
    let seeds = seeds(".toml");
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for i in 0..ITERATIONS {
        let text = mutate(&mut rng, &seeds[i % seeds.len()]);
        for (name, scope) in [("ptest.toml", Scope::Suite), ("t/test.toml", Scope::Test)] {
            if let Err(e) = from_text(Path::new(name), &text, scope) {
                let msg = e.to_string();
                assert!(
                    msg.starts_with(name) && !msg.contains('\n'),
                    "{i}: {msg}\n{text:?}"
                );
            }
        }
    }
}
