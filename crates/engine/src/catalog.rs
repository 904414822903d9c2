//! Built-in images, so that suites can name them without configuring anything: PANDA's
//! generic images (`catalog.toml`, with PANDA's generic aliases `i386`, `x86_64`, …) and
//! `qemu-busybox`, which ptest assembles itself for upstream QEMU.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::images::ImageSpec;

pub const QEMU_BUSYBOX: &str = "qemu-busybox";

/// PANDA's generic names and the image each stands for. `i386`, `x86_64`, `ppc` and
/// `arm` are exactly the images of PANDA's `run_debian.py` (`SUPPORTED_ARCHES`), which
/// its `ptest.py` suites record on; the others have no run_debian image and name
/// `pandare`'s.
const ALIASES: &[(&str, &str)] = &[
    ("i386", "i386_wheezy"),
    ("x86_64", "x86_64_wheezy"),
    ("ppc", "ppc_wheezy"),
    ("arm", "arm_wheezy"),
    ("aarch64", "aarch64_focal"),
    ("mips", "mips_wheezy"),
    ("mipsel", "mipsel_wheezy"),
];

/// The architectures with a built-in image.
pub fn arch_names() -> Vec<&'static str> {
    ALIASES.iter().map(|(a, _)| *a).collect()
}

fn panda_images() -> &'static BTreeMap<String, ImageSpec> {
    static IMAGES: OnceLock<BTreeMap<String, ImageSpec>> = OnceLock::new();
    IMAGES.get_or_init(|| {
        // The file is part of the source and covered by a test; an error here is a bug.
        let mut map: BTreeMap<String, ImageSpec> =
            toml::from_str(include_str!("catalog.toml")).unwrap_or_default();
        for spec in map.values_mut() {
            spec.engine = Some("panda".into());
        }
        map
    })
}

pub fn names() -> Vec<&'static str> {
    let mut n: Vec<&str> = vec![QEMU_BUSYBOX, crate::panda_image::NAME];
    n.extend(panda_images().keys().map(String::as_str));
    n.extend(ALIASES.iter().map(|(a, _)| *a));
    n
}

pub fn builtin(name: &str) -> Option<ImageSpec> {
    if name == crate::panda_image::NAME {
        return Some(crate::panda_image::spec());
    }
    if name == QEMU_BUSYBOX {
        return Some(ImageSpec {
            engine: Some("qemu".into()),
            arch: Some("x86_64".into()),
            builder: Some("debian-busybox".into()),
            memory: Some("256M".into()),
            description: Some(
                "Debian's cloud kernel + busybox-static initramfs, built from apt packages (upstream QEMU)".into(),
            ),
            ..Default::default()
        });
    }
    let real = ALIASES
        .iter()
        .find(|(a, _)| *a == name)
        .map(|(_, r)| *r)
        .unwrap_or(name);
    panda_images().get(real).cloned()
}

/// `ptest images`: one line per image, and whether it is present in `qcows/`.
pub fn print(ctx: &crate::Context) {
    let mut all: Vec<(String, ImageSpec, &str)> = names()
        .into_iter()
        .filter_map(|n| builtin(n).map(|s| (n.to_string(), s, "built-in")))
        .collect();
    for (n, s) in &ctx.images {
        all.retain(|(m, _, _)| m != n);
        all.push((n.clone(), s.clone(), "suite"));
    }
    for (name, spec, origin) in all {
        let present = spec.local_path(ctx, &name).exists();
        let what = spec
            .description
            .clone()
            .or(spec.os.clone())
            .unwrap_or_default();
        println!(
            "{name:<20} {:<6} {:<8} {:<9} {:<8} {what}",
            spec.engine.as_deref().unwrap_or("panda"),
            spec.arch.as_deref().unwrap_or("?"),
            origin,
            if present { "present" } else { "absent" },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_parses_with_every_panda_image() {
        let parsed: BTreeMap<String, ImageSpec> =
            toml::from_str(include_str!("catalog.toml")).unwrap();
        assert_eq!(parsed.len(), 12);
        let x = builtin("x86_64_ubuntu_1804").unwrap();
        assert_eq!(
            x.os.as_deref(),
            Some("linux-64-ubuntu:4.15.0-72-generic-noaslr-nokaslr")
        );
        assert_eq!(x.urls.len(), 2);
        assert_eq!(x.engine.as_deref(), Some("panda"));
        // run_debian.py's SUPPORTED_ARCHES: qcow file, literal prompt, cdrom, extra args;
        // no memory (run_debian passed no -m).
        let run_debian: &[(&str, &str, &str, &str)] = &[
            (
                "i386",
                "wheezy_panda2.qcow2",
                "root@debian-i386:~#",
                "ide1-cd0",
            ),
            (
                "x86_64",
                "wheezy_x64.qcow2",
                "root@debian-amd64:~#",
                "ide1-cd0",
            ),
            (
                "ppc",
                "ppc_wheezy.qcow",
                "root@debian-powerpc:~#",
                "ide1-cd0",
            ),
            (
                "arm",
                "arm_wheezy.qcow",
                "root@debian-armel:~#",
                "scsi0-cd2",
            ),
        ];
        for (arch, file, prompt, cdrom) in run_debian {
            let s = builtin(arch).unwrap();
            assert_eq!(s.arch.as_deref(), Some(*arch));
            assert_eq!(s.file.as_deref(), Some(*file), "{arch}");
            assert_eq!(s.prompt.as_deref(), Some(*prompt), "{arch}");
            assert_eq!(s.cdrom.as_deref(), Some(*cdrom), "{arch}");
            assert_eq!(s.memory, None, "{arch}");
            assert!(!s.extra_args.contains(&"-display".to_string()), "{arch}");
        }
        for (alias, real) in ALIASES {
            assert_eq!(builtin(alias), builtin(real), "{alias}");
        }
        for n in names() {
            let s = builtin(n).unwrap();
            for h in s.hashes.values() {
                assert!(crate::download::Expected::parse(h).is_some(), "{n}: {h}");
            }
        }
    }
}
