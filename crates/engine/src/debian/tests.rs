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

#[test]
fn foreign_architecture_packages_keep_their_qualifier_where_apt_needs_it() {
    assert_eq!(
        unqualified("linux-image-6.1.0-57-686:i386"),
        "linux-image-6.1.0-57-686"
    );
    assert_eq!(unqualified("busybox-static"), "busybox-static");
    assert_eq!(
        debug_package("linux-image-6.1.0-57-686:i386", "6.1.192-3"),
        "linux-image-6.1.0-57-686-dbg:i386=6.1.192-3"
    );
    assert_eq!(
        debug_package("linux-image-6.1.0-56-cloud-amd64", "6.1.192-2"),
        "linux-image-6.1.0-56-cloud-amd64-dbg=6.1.192-2"
    );
    let policy = "busybox-static:i386:\n  Installed: (none)\n  Candidate: 1:1.35.0-4+deb12u1+b1\n";
    assert_eq!(
        parse_candidate(policy, "busybox-static:i386").as_deref(),
        Some("1:1.35.0-4+deb12u1+b1")
    );
    let depends = "linux-image-686:i386\n  Depends: linux-image-6.1.0-57-686:i386\n";
    assert_eq!(
        parse_kernel_dependency(depends).as_deref(),
        Some("linux-image-6.1.0-57-686:i386")
    );
}
