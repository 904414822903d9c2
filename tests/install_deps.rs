//! `scripts/install-deps`' decisions, called as functions (the script, sourced, only
//! defines them): the one line per package apt would downgrade, read from apt's own
//! simulation output, and the venv the Python reader goes into (never the system Python).

use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `body` in bash after sourcing the script; returns its standard output. Paths in
/// these tests are under `/proc/none`, where nothing can be created.
fn sourced(body: &str, stdin: &str, env: &[(&str, &str)]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install-deps");
    let mut cmd = Command::new("bash");
    // `$0` stays `bash`: only a script run as a command (`$0` is itself) installs.
    cmd.arg("-c")
        .arg(format!(". \"$1\"; {body}"))
        .arg("bash")
        .arg(&script)
        .env_remove("PTEST_CACHE")
        .env_remove("XDG_CACHE_HOME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `apt-get install --simulate` on a machine with qemu-utils from backports (as found).
const SIMULATION: &str = "\
NOTE: This is only a simulation!
Inst qemu-utils [1:10.0.2+ds-2+deb13u1~bpo12+1] (1:7.2+dfsg-7+deb12u18+b3 Debian:12.15/oldstable [amd64])
Inst qemu-system-common (1:7.2+dfsg-7+deb12u18+b3 Debian:12.15/oldstable [amd64])
Inst libfoo1 [1.0-1] (1.2-1 Debian:12.15/oldstable [amd64])
Inst tmux [3.3a-3] (3.3a-3 Debian:12.15/oldstable [amd64])
Conf qemu-utils (1:7.2+dfsg-7+deb12u18+b3 Debian:12.15/oldstable [amd64])
";

#[test]
fn each_package_apt_would_downgrade_is_named_in_one_line() {
    let out = sourced("apt_downgrades", SIMULATION, &[]);
    assert_eq!(
        out,
        "install-deps: apt will replace qemu-utils 1:10.0.2+ds-2+deb13u1~bpo12+1 with \
         1:7.2+dfsg-7+deb12u18+b3 (a downgrade)\n"
    );
    // Upgrades, reinstalls and new packages are not worth a line.
    assert_eq!(
        sourced("apt_downgrades", "Inst a [1.0] (2.0 D [all])\n", &[]),
        ""
    );
}

#[test]
fn sourcing_the_script_installs_nothing() {
    // (Were it to install, under a HOME nothing can be written to it would fail.)
    assert_eq!(sourced("true", "", &[("HOME", "/proc/none")]), "");
}

#[test]
fn the_python_reader_goes_into_a_venv_under_the_cache() {
    assert_eq!(
        sourced("python_venv", "", &[("HOME", "/proc/none/u")]),
        "/proc/none/u/.cache/ptest/python\n"
    );
    assert_eq!(
        sourced("python_venv", "", &[("XDG_CACHE_HOME", "/proc/none/x")]),
        "/proc/none/x/ptest/python\n"
    );
    assert_eq!(
        sourced("python_venv", "", &[("PTEST_CACHE", "/proc/none/c")]),
        "/proc/none/c/python\n"
    );
}
