//! Where PANDA is: its build folder (`$PANDA_BUILD`, else the checkout holding the
//! suite), its `panda-system-ARCH` binaries and their version. Shared by the PANDA
//! driver and the `panda-busybox` image builder; it must not run PANDA beyond `-version`.

use std::path::{Path, PathBuf};

use crate::{Context, EngineError};

/// Where PANDA's build is, as PANDA's `ptest_utils.py` and `run_debian.py` looked:
/// `$PANDA_BUILD`, else `build/` of the checkout holding the suite (a suite in
/// `CHECKOUT/panda/testing/tests` or `CHECKOUT/panda/testing`). The Python helper's
/// `panda_build_dir` is the same rule.
pub fn build_dir(ctx: &Context) -> Option<PathBuf> {
    if let Some(b) = std::env::var_os("PANDA_BUILD").filter(|b| !b.is_empty()) {
        return Some(PathBuf::from(b));
    }
    let suite = ctx.suite_dir.as_ref()?;
    let suite = std::fs::canonicalize(suite).unwrap_or_else(|_| suite.clone());
    let testing = match suite.file_name() {
        Some(n) if n == "tests" => suite.parent()?.to_path_buf(),
        _ => suite,
    };
    Some(testing.parent()?.parent()?.join("build"))
}

/// `panda-system-ARCH` from [`build_dir`]`/ARCH-softmmu/`, else from `PATH`.
pub fn binary(arch: &str, build: Option<&Path>) -> Result<PathBuf, EngineError> {
    let name = format!("panda-system-{arch}");
    let mut tried = Vec::new();
    if let Some(build) = build {
        let p = build.join(format!("{arch}-softmmu")).join(&name);
        if p.exists() {
            return executable(p);
        }
        tried.push(p.display().to_string());
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(&name);
            if p.exists() {
                return executable(p);
            }
        }
    }
    tried.push(format!("{name} on PATH"));
    Err(EngineError::EmulatorNotFound {
        program: name.clone(),
        message: format!(
            "PANDA not found (tried {}); build PANDA in the checkout's build/ folder or export PANDA_BUILD=/path/to/panda/build",
            tried.join(", ")
        ),
    })
}

fn executable(p: PathBuf) -> Result<PathBuf, EngineError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&p)
        .map_err(EngineError::io(&p))?
        .permissions()
        .mode();
    if mode & 0o111 == 0 || p.is_dir() {
        return Err(EngineError::EmulatorNotFound {
            program: p.display().to_string(),
            message: format!(
                "{} is not executable; chmod +x it or point PANDA_BUILD at another build",
                p.display()
            ),
        });
    }
    Ok(p)
}

/// The binary's own version (first line of `panda-system-ARCH -version`), for metadata;
/// the path when it does not answer.
pub fn version(ctx: &crate::Context, bin: &Path) -> String {
    let mut cmd = std::process::Command::new(bin);
    cmd.arg("-version").stderr(std::process::Stdio::null());
    crate::usage::probe(ctx, &mut cmd)
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| bin.display().to_string())
}
