//! Finding a test's inputs: the static ones (before any run) and, after a pass, those the
//! run showed: the engine's `logs/NAME/inputs/emulator-PID.json` (what each emulator
//! mapped, replayed and was given), the helper's `python-PID.json` (what the script
//! imported) and the emulators the runner saw in the script's process tree.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use globset::{Glob, GlobMatcher};
use ptest_engine::stamp::Stamps;
use ptest_engine::usage::{self, EmulatorRun};
use serde::Deserialize;

use super::{FileInput, InputSet, Inputs, Role, Unobservable};
use crate::suite::TestDef;

/// What the runner saw of one attempt, besides what the engine and the helper wrote.
#[derive(Debug, Clone)]
pub struct Observed {
    /// When the attempt started: inputs changed since were changed by (or during) it.
    pub started: SystemTime,
    /// Emulators (pid, executable) the runner's watch found in the script's process tree.
    pub emulators: Vec<(u32, PathBuf)>,
    /// The test script is Python (whose imports the helper must report).
    pub python_script: bool,
    /// The folder of the Python helper (part of ptest, not an input of its own).
    pub helper_dir: PathBuf,
}

/// What the helper writes at the script's exit (`python-PID.json`).
#[derive(Debug, Deserialize)]
struct PythonRun {
    executable: PathBuf,
    modules: Vec<PathBuf>,
    #[serde(default)]
    pandare: bool,
}

/// Removes what an earlier attempt's engine commands and helper wrote.
pub fn clear_observations(log_dir: &Path) {
    let _ = std::fs::remove_dir_all(log_dir.join(usage::DIR));
}

/// The inputs known without running: the ptest binary, the test's folder, its blessed
/// reference, its declared inputs, and its settings and environment as values.
pub fn static_inputs(
    stamps: &Stamps,
    ptest: &Path,
    test: &TestDef,
    blessed: &Path,
) -> Result<InputSet, Unobservable> {
    let mut set = InputSet::default();
    let add = |set: &mut InputSet, path: PathBuf, role: Role| add_file(stamps, set, path, role);
    let sha256 = super::ptest_sha256(ptest)?;
    let ptest_input = FileInput {
        role: Role::Ptest,
        sha256,
    };
    set.files.insert(ptest.to_path_buf(), ptest_input);
    for path in files_under(&test.dir) {
        let in_cache = path.components().any(|c| c.as_os_str() == "__pycache__");
        if !in_cache {
            add(&mut set, path, Role::TestFile)?;
        }
    }
    for path in files_under(blessed) {
        add(&mut set, path, Role::Reference)?;
    }
    for pattern in &test.settings.inputs {
        let matched = declared(&test.dir, pattern)?;
        let listing: Vec<String> = matched.iter().map(|p| p.display().to_string()).collect();
        set.values
            .insert(format!("declared {pattern}"), listing.join("\n"));
        for path in matched {
            add(&mut set, path, Role::Declared)?;
        }
    }
    let s = &test.settings;
    // What changes what the test does or how its outputs are judged; not how long it may
    // take or how many CPUs it gets.
    let settings = format!("{:?}", (&s.python, &s.image, &s.engine, &s.compare));
    set.values.insert(
        "settings".into(),
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(settings.as_bytes())),
    );
    for (name, value) in &s.env {
        set.values.insert(format!("env {name}"), value.clone());
    }
    // What the script inherits and that picks which emulator, library or module runs: a
    // new PANDA_BUILD leaves the old build's files unchanged, yet runs another build.
    for (name, value) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if picks_what_runs(&name) && !s.env.contains_key(&*name) {
            let key = format!("env {name}");
            set.values.insert(key, value.to_string_lossy().into_owned());
        }
    }
    Ok(set)
}

/// Inherited variables that are inputs of every test.
fn picks_what_runs(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "PATH",
        "PYTHONPATH",
        "PYTHONHOME",
        "LD_LIBRARY_PATH",
        "LD_PRELOAD",
        "PTEST_IMAGE_MAP",
    ];
    EXACT.contains(&name)
        || (name.starts_with("PANDA_") && name != "PANDA_REGRESSION_DIR")
        || name.starts_with("QEMU_")
}

/// The inputs of a test that just passed: its static inputs (`before`: as they were when
/// it started; a change during the run makes them unknown), and what the run showed.
pub fn record(
    stamps: &Stamps,
    ptest: &Path,
    test: &TestDef,
    blessed: &Path,
    log_dir: &Path,
    seen: &Observed,
    before: Result<InputSet, Unobservable>,
) -> Inputs {
    let observed = before.and_then(|before| {
        let now = static_inputs(stamps, ptest, test, blessed)?;
        if let Some((path, input)) = now
            .files
            .iter()
            .find(|(path, input)| before.files.get(*path) != Some(*input))
        {
            return Err(Unobservable::ChangedWhileRunning {
                role: input.role,
                path: path.clone(),
            });
        }
        observed_inputs(stamps, test, log_dir, seen, now)
    });
    match observed {
        Ok(set) => Inputs::Known(set),
        Err(why) => Inputs::Unknown(why),
    }
}

/// `set` (the static inputs) with what the run showed added.
fn observed_inputs(
    stamps: &Stamps,
    test: &TestDef,
    log_dir: &Path,
    seen: &Observed,
    mut set: InputSet,
) -> Result<InputSet, Unobservable> {
    let (emulators, pythons) = read_observations(&log_dir.join(usage::DIR))?;
    let started_by_ptest: BTreeSet<u32> = emulators.iter().map(|e| e.pid).collect();
    if let Some((_, exe)) = seen
        .emulators
        .iter()
        .find(|(pid, _)| !started_by_ptest.contains(pid))
    {
        return Err(Unobservable::EmulatorNotThroughPtest { exe: exe.clone() });
    }
    if seen.python_script && pythons.is_empty() && test.settings.inputs.is_empty() {
        return Err(Unobservable::PythonImportsUnknown);
    }
    if pythons.iter().any(|p| p.pandare) {
        return Err(Unobservable::InProcessEmulator);
    }
    let mut found: BTreeMap<PathBuf, Role> = BTreeMap::new();
    for run in &emulators {
        if !run.observed {
            return Err(Unobservable::MapsUnreadable {
                binary: run.binary.clone(),
            });
        }
        if let Some(path) = run.replaced.first() {
            return Err(Unobservable::ChangedWhileRunning {
                role: mapped_role(path),
                path: path.clone(),
            });
        }
        found.entry(run.binary.clone()).or_insert(Role::Emulator);
        for path in &run.mapped {
            found
                .entry(path.clone())
                .or_insert_with(|| mapped_role(path));
        }
        for path in &run.recording {
            found.entry(path.clone()).or_insert(Role::Recording);
        }
        for path in &run.arguments {
            found.entry(path.clone()).or_insert(Role::EmulatorArgument);
        }
    }
    let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (test_dir, helper_dir) = (real(&test.dir), real(&seen.helper_dir));
    for python in &pythons {
        found
            .entry(python.executable.clone())
            .or_insert(Role::Interpreter);
        for module in &python.modules {
            if !module.starts_with(&test_dir) && !module.starts_with(&helper_dir) {
                found.entry(module.clone()).or_insert(Role::PythonModule);
            }
        }
    }
    // A file changed since shortly before the start was changed by the run, or during it
    // (file times come from a coarse clock).
    let since = seen.started - Duration::from_millis(50);
    for (path, role) in found {
        if set.files.contains_key(&path) {
            continue;
        }
        if changed_since(&path, since) {
            if role.may_be_made_by_the_test() {
                continue; // a recording this test made, then replayed
            }
            return Err(Unobservable::ChangedWhileRunning { role, path });
        }
        add_file(stamps, &mut set, path, role)?;
    }
    Ok(set)
}

/// A mapped file's role: PANDA keeps its plugins in `…/panda/plugins/`.
fn mapped_role(path: &Path) -> Role {
    let in_plugins = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|d| d == "plugins");
    match in_plugins {
        true => Role::Plugin,
        false => Role::Library,
    }
}

fn changed_since(path: &Path, since: SystemTime) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false; // a missing file fails its hash, which says so
    };
    let secs = |s: i64, ns: i64| {
        SystemTime::UNIX_EPOCH
            + Duration::from_secs(u64::try_from(s).unwrap_or(0))
            + Duration::from_nanos(u64::try_from(ns).unwrap_or(0))
    };
    secs(meta.mtime(), meta.mtime_nsec()) >= since || secs(meta.ctime(), meta.ctime_nsec()) >= since
}

fn add_file(
    stamps: &Stamps,
    set: &mut InputSet,
    path: PathBuf,
    role: Role,
) -> Result<(), Unobservable> {
    let sha256 = stamps.sha256(&path).map_err(|e| Unobservable::Unreadable {
        path: path.clone(),
        why: e.to_string(),
    })?;
    set.files.entry(path).or_insert(FileInput { role, sha256 });
    Ok(())
}

/// Regular files under `dir`, as full paths, in order.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let entries = crate::tree::walk(dir).unwrap_or_default();
    entries
        .into_iter()
        .filter(|(_, e)| matches!(e, crate::tree::Entry::File))
        .map(|(name, _)| dir.join(name))
        .collect()
}

/// The files `pattern` matches: relative to the test's folder, or absolute.
fn declared(test_dir: &Path, pattern: &str) -> Result<Vec<PathBuf>, Unobservable> {
    let full = test_dir.join(pattern);
    let bad = |why: String| Unobservable::Unreadable {
        path: full.clone(),
        why,
    };
    let matcher: GlobMatcher = Glob::new(&full.to_string_lossy())
        .map_err(|e| bad(e.to_string()))?
        .compile_matcher();
    // Walk from the deepest folder without a glob character.
    let base: PathBuf = full
        .ancestors()
        .find(|a| !a.to_string_lossy().contains(['*', '?', '[', '{']))
        .unwrap_or(test_dir)
        .to_path_buf();
    if base.is_file() {
        return Ok(vec![base]);
    }
    Ok(files_under(&base)
        .into_iter()
        .filter(|p| matcher.is_match(p))
        .collect())
}

fn read_observations(dir: &Path) -> Result<(Vec<EmulatorRun>, Vec<PythonRun>), Unobservable> {
    let (mut emulators, mut pythons) = (Vec::new(), Vec::new());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok((emulators, pythons));
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !name.ends_with(".json") {
            continue; // a write in progress
        }
        let path = e.path();
        let unreadable = |why: String| Unobservable::Unreadable {
            path: path.clone(),
            why,
        };
        let bytes = std::fs::read(&path).map_err(|e| unreadable(e.to_string()))?;
        if name.starts_with("emulator-") {
            emulators.push(serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()))?);
        } else if name.starts_with("python-") {
            pythons.push(serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()))?);
        }
    }
    Ok((emulators, pythons))
}

#[cfg(test)]
#[path = "gather_tests.rs"]
mod tests;
