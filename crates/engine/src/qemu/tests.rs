use std::path::Path;

use super::*;
use crate::busybox::init_script;
use crate::marker::{BEGIN_MARKER, END_MARKER, end_marker};

#[test]
fn machine_line_is_the_known_good_one() {
    let m = machine_line(256, 5);
    let line = m.join(" ");
    assert!(
        line.starts_with("-M pc -accel tcg -m 256 -display none -no-reboot -net none"),
        "{line}"
    );
    assert!(
        line.ends_with("-icount shift=5,rr={mode},rrfile={rrfile}"),
        "{line}"
    );
    let p = Path::new;
    let c = concrete(
        &m,
        &Paths {
            kernel: p("/k"),
            initrd: p("/i"),
            serial: p("/s"),
            rrfile: p("/r"),
            mode: "replay",
        },
    );
    assert!(c.contains(&"file:/s".to_string()));
    assert!(c.contains(&"shift=5,rr=replay,rrfile=/r".to_string()));
}

#[test]
fn init_runs_the_command_between_markers() {
    let s = init_script(&["echo".into(), "hello world".into()]);
    let begin = s.find(BEGIN_MARKER).unwrap();
    let cmd = s.find("echo 'hello world'").unwrap();
    let end = s.find(END_MARKER).unwrap();
    assert!(begin < cmd && cmd < end);
    assert!(s.trim_end().ends_with("poweroff -f"));
}

#[test]
fn end_marker_gives_the_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c");
    std::fs::write(
        &p,
        format!("boot\n{BEGIN_MARKER}\nhi\n{END_MARKER} rc=3\r\n"),
    )
    .unwrap();
    assert_eq!(end_marker(&p), Some(3));
    std::fs::write(&p, format!("boot\n{BEGIN_MARKER}\nhi\n")).unwrap();
    assert_eq!(end_marker(&p), None);
}
