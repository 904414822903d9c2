//! The PANDA guests ptest assembles from Debian packages: `panda-busybox` (x86_64, for
//! ptest's own examples) and `panda-busybox-i386` (the 32-bit guest PANDA's own
//! `panda/testing` suite records on). One [`Guest`] value per image says what differs;
//! the builder (`panda_image`) and the catalog entry ([`Guest::spec`]) read only it.

use crate::spec::{ImageSpec, PANDA_BUILDER};

pub const NAME: &str = "panda-busybox";
/// PANDA's `-os`; `osi_linux`'s default profile group for it is [`KCONF_GROUP`].
pub const OS: &str = "linux-64-panda-busybox";
pub const KCONF_GROUP: &str = "panda-busybox:64";
/// The guest shell's prompt, set by `/init` (never typed, so no echo can match it).
pub const PS1: &str = "root@ptest-panda:~# ";
/// [`PS1`] as a regex (it has no metacharacters).
pub const PROMPT: &str = "root@ptest-panda:~# ";
pub const SNAPSHOT: &str = "root";
pub const MEMORY_MIB: u32 = 256;
pub const APPEND: &str = "console=ttyS0 panic=-1 nokaslr";

/// One PANDA guest built from Debian packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guest {
    pub name: &'static str,
    /// PANDA's target: the guest runs on `panda-system-ARCH`.
    pub arch: &'static str,
    /// Debian's architecture of every package, when it is not the host's: names are
    /// then qualified (`busybox-static:i386`), and apt must know the architecture.
    pub debian_arch: Option<&'static str>,
    /// The kernel meta-package; the kernel is the package it depends on.
    pub kernel_meta: &'static str,
    /// PANDA's `-os` for this guest; `osi_linux`'s default group for `linux-BITS-VARIANT`
    /// is `VARIANT:BITS`, which [`Guest::kconf_group`] is.
    pub os: &'static str,
    pub kconf_group: &'static str,
    /// Debian packages unpacked into the initramfs beside busybox: programs the guest's
    /// users run, with every library they load (listed, not resolved: the guest has no
    /// package manager, and a missing one shows when the program is run).
    pub userland: &'static [&'static str],
    /// Files written into the guest: (path, contents).
    pub files: &'static [(&'static str, &'static str)],
    pub description: &'static str,
}

pub const X86_64: Guest = Guest {
    name: NAME,
    arch: "x86_64",
    debian_arch: None,
    kernel_meta: "linux-image-cloud-amd64",
    os: OS,
    kconf_group: KCONF_GROUP,
    userland: &[],
    files: &[],
    description: "Debian's cloud kernel + busybox initramfs with a `root` snapshot, built for PANDA from apt packages",
};

/// The stand-in for PANDA's `wheezy_panda2.qcow2` (`i386`): PANDA's suite runs
/// `/bin/netstat -a`, `find /usr/bin`, `/usr/bin/file /bin/ls` and `/bin/cat /etc/passwd`
/// (and searches the latter for `Debian User`). `cat` is busybox's; the rest are Debian's.
pub const I386: Guest = Guest {
    name: "panda-busybox-i386",
    arch: "i386",
    debian_arch: Some("i386"),
    kernel_meta: "linux-image-686",
    os: "linux-32-panda-busybox-i386",
    kconf_group: "panda-busybox-i386:32",
    userland: &[
        "net-tools",
        "findutils",
        "file",
        "libmagic1",
        "libmagic-mgc",
        "libc6",
        "libgcc-s1",
        "libselinux1",
        "libpcre2-8-0",
        "libbz2-1.0",
        "liblzma5",
        "zlib1g",
    ],
    files: &[
        (
            "etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:Debian User,,,:/home/user:/bin/sh\n",
        ),
        ("etc/group", "root:x:0:\nuser:x:1000:\n"),
    ],
    description: "Debian's 686 kernel + busybox initramfs with net-tools, findutils and file (i386) and a `root` snapshot, built for PANDA from apt packages",
};

pub const GUESTS: &[&Guest] = &[&X86_64, &I386];

/// The guest named `name`.
pub fn guest(name: &str) -> Option<&'static Guest> {
    GUESTS.iter().copied().find(|g| g.name == name)
}

impl Guest {
    /// `pkg` as apt must be asked for it (`pkg:ARCH` for a foreign architecture).
    pub fn package(&self, pkg: &str) -> String {
        match self.debian_arch {
            Some(arch) => format!("{pkg}:{arch}"),
            None => pkg.to_string(),
        }
    }

    /// The built-in catalog entry.
    pub fn spec(&self) -> ImageSpec {
        let q = format!("{{qcows}}/{}", self.name);
        let extra = [
            "-kernel",
            &format!("{q}/vmlinuz"),
            "-initrd",
            &format!("{q}/initrd.gz"),
            "-append",
            APPEND,
            "-display",
            "none",
        ];
        ImageSpec {
            engine: Some(crate::Engine::Panda),
            arch: Some(self.arch.into()),
            builder: Some(PANDA_BUILDER.into()),
            memory: Some(format!("{MEMORY_MIB}M")),
            prompt: Some(PROMPT.into()),
            cdrom: Some("ide1-cd0".into()),
            snapshot: Some(SNAPSHOT.into()),
            os: Some(self.os.into()),
            extra_args: extra.iter().map(|s| s.to_string()).collect(),
            description: Some(self.description.into()),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_guest_names_the_profile_group_osi_linux_derives_from_its_os() {
        for g in GUESTS {
            let (bits, variant) =
                g.os.strip_prefix("linux-")
                    .and_then(|r| r.split_once('-'))
                    .unwrap();
            assert_eq!(format!("{variant}:{bits}"), g.kconf_group, "{}", g.name);
            assert_eq!(guest(g.name), Some(*g));
            assert_eq!(g.spec().arch.as_deref(), Some(g.arch));
        }
        assert_eq!(I386.package("file"), "file:i386");
        assert_eq!(X86_64.package("busybox-static"), "busybox-static");
    }
}
