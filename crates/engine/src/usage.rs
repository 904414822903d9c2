//! What one emulator run used, for `ptest test --changed`: the emulator binary, every file
//! it mapped (PANDA's plugins among them, read from `/proc/PID/maps` while it runs), the
//! recording it replayed and the files named on its command line (image, kernel,
//! kernelinfo). A driver starts an [`EmulatorUse`] right after spawning the emulator and
//! finishes it once the emulator is gone; inside a test, the use is written to the test's
//! log folder (`logs/NAME/inputs/`), where the runner gathers it into the test's inputs.
//!
//! Maps are sampled by a thread while the emulator runs: quickly at first (plugins load
//! during start-up), then every [`MAX_INTERVAL`]; a driver may also [`EmulatorUse::sample`]
//! at a moment it knows everything is loaded (PANDA's first progress line). An emulator
//! none of whose samples could be read is "not observed", and a test with one is never
//! served from the cache.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Context;

/// The folder of a test's log folder where uses are written.
pub const DIR: &str = "inputs";
const FIRST_INTERVAL: Duration = Duration::from_millis(5);
/// The longest pause between two samples of a running emulator's maps.
pub const MAX_INTERVAL: Duration = Duration::from_millis(200);

/// One emulator run's inputs, as written to `logs/NAME/inputs/emulator-PID.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmulatorRun {
    /// `record` or `replay`.
    pub command: String,
    pub pid: u32,
    pub binary: PathBuf,
    /// Every regular file the emulator mapped (shared objects, the binary itself).
    pub mapped: BTreeSet<PathBuf>,
    /// Mapped files that were deleted or replaced while it ran (`(deleted)` in the maps).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub replaced: BTreeSet<PathBuf>,
    /// The recording's files (a replay's input; a recording made is an output).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub recording: BTreeSet<PathBuf>,
    /// Files named on the command line (`-hda`, `-kernel`, `kconf_file=…`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub arguments: BTreeSet<PathBuf>,
    /// Whether at least one sample of its maps was read.
    pub observed: bool,
}

#[derive(Debug, Default)]
struct Samples {
    mapped: BTreeSet<PathBuf>,
    replaced: BTreeSet<PathBuf>,
    read: u32,
}

/// A running emulator's use being observed.
pub struct EmulatorUse {
    run: EmulatorRun,
    samples: Arc<Mutex<Samples>>,
    /// Dropped to stop the sampler at once (not after its pause).
    stop: Option<mpsc::Sender<()>>,
    sampler: Option<std::thread::JoinHandle<()>>,
    log_dir: Option<PathBuf>,
}

impl EmulatorUse {
    /// Starts observing emulator `pid`, run as `binary ARGS` in `cwd`. Only inside a test
    /// (`ctx.test`) is anything sampled or written.
    pub fn start(
        ctx: &Context,
        command: &str,
        pid: u32,
        binary: &Path,
        args: &[String],
        cwd: &Path,
    ) -> EmulatorUse {
        let log_dir = ctx.test_dir("logs").ok();
        let samples = Arc::new(Mutex::new(Samples::default()));
        let (stop, stopped) = mpsc::channel::<()>();
        let sampler = log_dir.is_some().then(|| {
            let samples = samples.clone();
            std::thread::spawn(move || sample_until_gone(pid, &samples, &stopped))
        });
        EmulatorUse {
            run: EmulatorRun {
                command: command.to_string(),
                pid,
                binary: executable(pid, binary),
                arguments: files_in_arguments(args, cwd),
                ..EmulatorRun::default()
            },
            samples,
            stop: Some(stop),
            sampler,
            log_dir,
        }
    }

    /// The files of the recording replayed (`dir/STEM*`).
    pub fn replaying(mut self, dir: &Path, stem: &str) -> EmulatorUse {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let is_file = e.file_type().is_ok_and(|t| t.is_file());
                if is_file && e.file_name().to_string_lossy().starts_with(stem) {
                    self.run.recording.insert(e.path());
                }
            }
        }
        self
    }

    /// Samples the maps now (the driver knows everything is loaded).
    pub fn sample(&self) {
        if self.sampler.is_some() {
            sample_once(self.run.pid, &self.samples);
        }
    }

    /// Stops sampling (the emulator has exited) and, inside a test, writes the use to the
    /// test's log folder. Best effort: a use that cannot be written leaves the test
    /// uncached, never wrong (the runner sees an emulator it has no use for).
    pub fn finish(mut self) {
        self.stop.take();
        if let Some(t) = self.sampler.take() {
            let _ = t.join();
        }
        let Some(dir) = self.log_dir.take().map(|d| d.join(DIR)) else {
            return;
        };
        if let Ok(samples) = self.samples.lock() {
            self.run.mapped = samples.mapped.clone();
            self.run.replaced = samples.replaced.clone();
            self.run.observed = samples.read > 0;
        }
        write(&dir, &self.run);
    }
}

/// Runs `cmd`, an emulator asked only for its version, to its end and returns its output
/// (stdout piped; stderr as the caller set it). Inside a test it is reported as a probe,
/// so the runner's watch, which may see it, knows ptest started it.
pub fn probe(
    ctx: &Context,
    cmd: &mut std::process::Command,
) -> std::io::Result<std::process::Output> {
    let child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    if let Ok(dir) = ctx.test_dir("logs") {
        let binary = Path::new(cmd.get_program());
        let run = EmulatorRun {
            command: "probe".into(),
            pid: child.id(),
            binary: executable(child.id(), binary),
            // What a probe maps is what its binary's runs map, which they report.
            observed: true,
            ..EmulatorRun::default()
        };
        write(&dir.join(DIR), &run);
    }
    child.wait_with_output()
}

/// Writes `run` into `dir` (temp file + rename); best effort, as [`EmulatorUse::finish`].
fn write(dir: &Path, run: &EmulatorRun) {
    let name = format!("emulator-{}.json", run.pid);
    if std::fs::create_dir_all(dir).is_ok()
        && let Ok(json) = serde_json::to_vec(run)
    {
        let tmp = dir.join(format!(".{name}.tmp"));
        if std::fs::write(&tmp, json).is_ok() {
            let _ = std::fs::rename(&tmp, dir.join(name));
        }
    }
}

/// The file `pid` runs: `/proc/PID/exe` (links resolved, `PATH` looked up, as the kernel
/// did), else `binary` as given.
fn executable(pid: u32, binary: &Path) -> PathBuf {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .ok()
        .filter(|p| p.is_absolute())
        .or_else(|| crate::stamp::which(&binary.to_string_lossy()))
        .and_then(|p| std::path::absolute(p).ok())
        .unwrap_or_else(|| binary.to_path_buf())
}

fn sample_until_gone(pid: u32, samples: &Mutex<Samples>, stopped: &mpsc::Receiver<()>) {
    let mut interval = FIRST_INTERVAL;
    while sample_once(pid, samples) {
        // Until told to stop (the sender dropped), or the emulator exits (a zombie's maps
        // are empty).
        if stopped.recv_timeout(interval) != Err(mpsc::RecvTimeoutError::Timeout) {
            return;
        }
        interval = (interval * 2).min(MAX_INTERVAL);
    }
}

/// One read of `/proc/PID/maps` into `samples`; whether the process still had any.
fn sample_once(pid: u32, samples: &Mutex<Samples>) -> bool {
    let Ok(maps) = std::fs::read_to_string(format!("/proc/{pid}/maps")) else {
        return false;
    };
    let (mapped, replaced) = mapped_files(&maps);
    if mapped.is_empty() && replaced.is_empty() {
        return false;
    }
    if let Ok(mut s) = samples.lock() {
        s.read += 1;
        s.mapped.extend(mapped);
        s.replaced.extend(replaced);
    }
    true
}

/// The files a maps text names: those still there, and those deleted or replaced.
/// Anonymous, special (`[heap]`), device and memfd mappings are not files.
pub fn mapped_files(maps: &str) -> (BTreeSet<PathBuf>, BTreeSet<PathBuf>) {
    let (mut mapped, mut replaced) = (BTreeSet::new(), BTreeSet::new());
    for line in maps.lines() {
        // address perms offset dev inode path — the path may hold spaces.
        let Some(path) = line.splitn(6, ' ').nth(5).map(str::trim_start) else {
            continue;
        };
        if !path.starts_with('/') || path.starts_with("/dev/") || path.starts_with("/memfd:") {
            continue;
        }
        match path.strip_suffix(" (deleted)") {
            Some(gone) => replaced.insert(PathBuf::from(gone)),
            None => mapped.insert(PathBuf::from(path)),
        };
    }
    (mapped, replaced)
}

/// Regular files named by an argument (`-hda a.qcow2`, `file=a.qcow2,if=ide`,
/// `-panda osi_linux:kconf_file=/k.conf`), relative ones in `cwd`.
pub fn files_in_arguments(args: &[String], cwd: &Path) -> BTreeSet<PathBuf> {
    let mut files = BTreeSet::new();
    for arg in args {
        for part in arg.split([',', ':', ';']) {
            let value = part.rsplit('=').next().unwrap_or(part);
            if value.is_empty() || value.starts_with('-') {
                continue;
            }
            let path = cwd.join(value);
            if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                files.insert(std::path::absolute(&path).unwrap_or(path));
            }
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_name_files_and_deleted_ones_but_not_anonymous_or_special_mappings() {
        let maps = "\
55d0c0a00000-55d0c0a02000 r--p 00000000 fe:01 123 /usr/bin/panda-system-i386
7f00-7f01 r-xp 00000000 fe:01 456 /build/plugins/panda_stringsearch.so
7f02-7f03 r-xp 00000000 fe:01 457 /build/plugins/panda old.so (deleted)
7f04-7f05 rw-p 00000000 00:00 0 
7f06-7f07 rw-p 00000000 00:00 0 [heap]
7f08-7f09 rw-s 00000000 00:05 9 /dev/zero (deleted)
7f0a-7f0b rw-s 00000000 00:01 10 /memfd:wayland (deleted)
7f0c-7f0d r-xp 00000000 fe:01 457 /lib/with space.so
";
        let (mapped, replaced) = mapped_files(maps);
        let names = |s: &BTreeSet<PathBuf>| {
            s.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(&mapped),
            [
                "/build/plugins/panda_stringsearch.so",
                "/lib/with space.so",
                "/usr/bin/panda-system-i386"
            ]
        );
        assert_eq!(names(&replaced), ["/build/plugins/panda old.so"]);
    }

    #[test]
    fn arguments_name_the_existing_files_they_hold() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("disk.qcow2"), "q").unwrap();
        std::fs::write(t.path().join("k.conf"), "k").unwrap();
        let args: Vec<String> = [
            "-m",
            "128",
            "-drive",
            "file=disk.qcow2,if=ide",
            "-panda",
            &format!("osi_linux:kconf_file={}/k.conf", t.path().display()),
            "-replay",
            "base",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let files = files_in_arguments(&args, t.path());
        assert_eq!(
            files.into_iter().collect::<Vec<_>>(),
            [t.path().join("disk.qcow2"), t.path().join("k.conf")]
        );
    }

    #[test]
    fn a_running_process_is_observed_with_its_binary_mapped() {
        let t = tempfile::tempdir().unwrap();
        let ctx = Context {
            regression_dir: t.path().to_path_buf(),
            test: Some("t".into()),
            ..Context::default()
        };
        let mut child = std::process::Command::new("sleep")
            .arg("2")
            .spawn()
            .unwrap();
        let usage = EmulatorUse::start(
            &ctx,
            "replay",
            child.id(),
            Path::new("sleep"),
            &[],
            t.path(),
        );
        // Its maps exist once the exec is complete; under load that can trail the spawn.
        let maps = format!("/proc/{}/maps", child.id());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::fs::read_to_string(&maps).is_ok_and(|m| !m.contains("sleep"))
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        usage.sample();
        let _ = child.kill();
        let _ = child.wait();
        usage.finish();
        let written = t
            .path()
            .join(format!("logs/t/{DIR}/emulator-{}.json", child.id()));
        let run: EmulatorRun = serde_json::from_slice(&std::fs::read(written).unwrap()).unwrap();
        assert!(run.observed);
        assert!(
            run.mapped.iter().any(|p| p.ends_with("sleep")),
            "{:?}",
            run.mapped
        );
    }
}
