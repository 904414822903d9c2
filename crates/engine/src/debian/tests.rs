use super::*;

#[test]
fn kernel_dependency_is_the_linux_image_line() {
    let out = "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-56-cloud-amd64\n";
    assert_eq!(
        parse_kernel_dependency(out).as_deref(),
        Some("linux-image-6.1.0-56-cloud-amd64")
    );
    assert_eq!(parse_kernel_dependency("x\n  Depends: libc6\n"), None);
}

#[test]
fn candidate_is_the_policy_line() {
    let out = "busybox-static:\n  Installed: (none)\n  Candidate: 1:1.35.0-4+b3\n  Version table:\n \
               *** 1:1.35.0-4+b3 500\nlinux-image-6.1.0-56-cloud-amd64:\n  Installed: (none)\n  \
               Candidate: 6.1.192-2\n";
    assert_eq!(
        parse_candidate(out, "busybox-static").as_deref(),
        Some("1:1.35.0-4+b3")
    );
    assert_eq!(
        parse_candidate(out, "linux-image-6.1.0-56-cloud-amd64").as_deref(),
        Some("6.1.192-2")
    );
    assert_eq!(parse_candidate(out, "linux-image"), None);
    assert_eq!(parse_candidate("x:\n  Candidate: (none)\n", "x"), None);
    let p = Packages {
        kernel: "linux-image-6.1.0-56-cloud-amd64".into(),
        kernel_version: "6.1.192-2".into(),
        busybox: "busybox-static".into(),
        busybox_version: "1:1.35.0-4+b3".into(),
    };
    assert_eq!(
        p.key(),
        "linux-image-6.1.0-56-cloud-amd64_6.1.192-2+busybox-static_1%1.35.0-4+b3"
    );
}
