//! Built-in images, so that suites can name them without configuring anything: PANDA's
//! generic images (`catalog.toml`, with PANDA's generic aliases `i386`, `x86_64`, …) and
//! `qemu-busybox`, `panda-busybox` and `panda-busybox-i386`, which ptest assembles itself. Also [`resolve`]:
//! a name to its spec, the suite's declarations first. Data only: it must not fetch or
//! build images (that is `images`) nor print them (the binary lists [`list`]).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::spec::{self, ImageSpec};
use crate::{Context, Engine, EngineError};

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
pub(crate) fn arch_names() -> Vec<&'static str> {
    ALIASES.iter().map(|(a, _)| *a).collect()
}

fn panda_images() -> &'static BTreeMap<String, ImageSpec> {
    static IMAGES: OnceLock<BTreeMap<String, ImageSpec>> = OnceLock::new();
    IMAGES.get_or_init(|| {
        // The file is part of the source and covered by a test; an error here is a bug.
        let mut map: BTreeMap<String, ImageSpec> =
            toml::from_str(include_str!("catalog.toml")).unwrap_or_default();
        for spec in map.values_mut() {
            spec.engine = Some(Engine::Panda);
        }
        map
    })
}

pub(crate) fn names() -> Vec<&'static str> {
    let mut n: Vec<&str> = vec![QEMU_BUSYBOX];
    n.extend(panda_busybox::GUESTS.iter().map(|g| g.name));
    n.extend(panda_images().keys().map(String::as_str));
    n.extend(ALIASES.iter().map(|(a, _)| *a));
    n
}

pub fn builtin(name: &str) -> Option<ImageSpec> {
    if let Some(guest) = panda_busybox::guest(name) {
        return Some(guest.spec());
    }
    if name == QEMU_BUSYBOX {
        return Some(ImageSpec {
            engine: Some(Engine::Qemu),
            arch: Some("x86_64".into()),
            builder: Some(spec::QEMU_BUILDER.into()),
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

/// Whether two names are the same image: equal, or an alias and the image it stands for.
pub(crate) fn same_image(a: &str, b: &str) -> bool {
    let real = |n: &str| {
        ALIASES
            .iter()
            .find(|(alias, _)| *alias == n)
            .map_or(n.to_string(), |(_, r)| r.to_string())
    };
    real(a) == real(b)
}

/// The suite's `[images.NAME]` if declared, else the built-in catalog's. (An unknown
/// engine cannot get this far: [`ImageSpec::engine`] is an [`crate::Engine`], refused
/// where the suite's config was read.)
pub(crate) fn resolve(ctx: &Context, name: &str) -> Result<ImageSpec, EngineError> {
    if let Some(spec) = ctx.images.get(name) {
        return Ok(spec.clone());
    }
    builtin(name).ok_or_else(|| {
        let mut known: Vec<String> = ctx.images.keys().cloned().collect();
        known.extend(names().into_iter().map(str::to_string));
        EngineError::ImageNotFound {
            name: name.to_string(),
            known,
        }
    })
}

/// One image for `ptest images`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageEntry {
    pub name: String,
    pub spec: ImageSpec,
    /// `built-in` or `suite`.
    pub origin: &'static str,
    /// Whether it is in `qcows/`.
    pub present: bool,
}

/// Every image ptest knows: built-in ones, then the suite's (which replace built-ins of
/// the same name).
pub fn list(ctx: &Context) -> Vec<ImageEntry> {
    let mut all: Vec<(String, ImageSpec, &'static str)> = names()
        .into_iter()
        .filter_map(|n| builtin(n).map(|s| (n.to_string(), s, "built-in")))
        .collect();
    for (n, s) in &ctx.images {
        all.retain(|(m, _, _)| m != n);
        all.push((n.clone(), s.clone(), "suite"));
    }
    let qcows = ctx.qcow_dir();
    all.into_iter()
        .map(|(name, spec, origin)| ImageEntry {
            present: spec.local_path(&qcows, &name).exists(),
            name,
            spec,
            origin,
        })
        .collect()
}

/// The PANDA guests ptest assembles from Debian packages (`panda-busybox`, `panda-busybox-i386`).
pub(crate) mod panda_busybox;

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
        assert_eq!(x.engine, Some(Engine::Panda));
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

    #[test]
    fn an_unknown_engine_is_refused_not_taken_for_panda() {
        // The type refuses it where the suite's config is read, naming the known ones.
        let err = toml::from_str::<BTreeMap<String, ImageSpec>>("[x]\nengine = \"qmeu\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("engine = \"qmeu\"") && err.contains("panda, qemu"),
            "{err}"
        );
    }

    #[test]
    fn unknown_image_lists_known_ones() {
        let err = resolve(&Context::default(), "nope")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown image \"nope\""), "{err}");
        assert!(err.contains("qemu-busybox"), "{err}");
    }
}
