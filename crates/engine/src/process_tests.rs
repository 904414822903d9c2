//! The one supervisor and the one cancellation together: a request reaches every group
//! on the kill list, and a dropped group leaves nothing behind.

use super::*;

#[test]
fn a_noop_cancel_is_requested_only_by_request_and_keeps_the_first_signal() {
    let cancel = Cancel::noop();
    cancel.install();
    assert!(!cancel.requested());
    assert_eq!(cancel.signal(), None);
    cancel.request(15);
    cancel.request(2);
    assert!(cancel.requested());
    assert_eq!(cancel.signal(), Some(15));
    // Clones share the request.
    assert!(cancel.clone().requested());
}

/// Not a timing assertion: the limit only guards against a group that never dies.
const LIMIT: Duration = Duration::from_secs(30);

fn sleeper(cancel: &Cancel) -> Group {
    let mut cmd = std::process::Command::new("sleep");
    cmd.arg("30");
    Group::start(&mut cmd, cancel, Parent::KillOnDeath).expect("sleep starts")
}

#[test]
fn a_request_terms_every_group_on_the_kill_list() {
    use std::os::unix::process::ExitStatusExt;
    let cancel = Cancel::noop();
    let mut a = sleeper(&cancel);
    let mut b = sleeper(&cancel);
    cancel.request(2);
    for group in [&mut a, &mut b] {
        let status = group.wait_for(LIMIT).expect("killed");
        assert_eq!(status.signal(), Some(15), "{status:?}");
    }
}

#[test]
fn a_group_started_after_the_request_is_termed_at_once() {
    use std::os::unix::process::ExitStatusExt;
    let cancel = Cancel::noop();
    cancel.request(15);
    let mut late = sleeper(&cancel);
    let status = late.wait_for(LIMIT).expect("killed");
    assert_eq!(status.signal(), Some(15), "{status:?}");
}

#[test]
fn a_dropped_group_leaves_nothing_behind() {
    let cancel = Cancel::noop();
    let group = sleeper(&cancel);
    let pid = group.id();
    drop(group);
    // Reaped as well as killed: no /proc entry, not even a zombie.
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    assert!(cancel.kill_list_is_empty());
}
