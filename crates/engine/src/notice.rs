//! Notices from an engine command run inside a test script (`ptest record` waiting for an
//! image another recording holds) to the ptest running the suite, which shows them on the
//! terminal: the script's own output goes to its log, which nobody reads live.
//!
//! They travel as datagrams `TEST\tMESSAGE` to the Unix socket named by
//! [`SOCKET_ENV`]: a path, not an inherited descriptor, because Python's `subprocess`
//! closes inherited descriptors. Best effort: without the socket nothing is sent (the
//! binary's observer also prints the notice, into the script's log).

use std::os::unix::net::UnixDatagram;

/// The environment variable holding the socket's path.
pub const SOCKET_ENV: &str = "PTEST_NOTICE_SOCKET";

/// Sends `message` (one line) to the runner, when there is one.
pub fn send(message: &str) {
    let Some(path) = std::env::var_os(SOCKET_ENV).filter(|p| !p.is_empty()) else {
        return;
    };
    let test = std::env::var("PTEST_TEST").unwrap_or_default();
    if let Ok(socket) = UnixDatagram::unbound() {
        // Never block the recording on a runner that does not read.
        let _ = socket.set_nonblocking(true);
        let _ = socket.send_to(format!("{test}\t{message}").as_bytes(), path);
    }
}
