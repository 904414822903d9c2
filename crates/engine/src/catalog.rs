//! Built-in images, so that suites can name them without configuring anything: PANDA's
//! generic images (`catalog.toml`, with PANDA's generic aliases `i386`, `x86_64`, …) and
//! `qemu-busybox` and `panda-busybox`, which ptest assembles itself. Also [`resolve`]:
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
    let mut n: Vec<&str> = vec![QEMU_BUSYBOX, panda_busybox::NAME];
    n.extend(panda_images().keys().map(String::as_str));
    n.extend(ALIASES.iter().map(|(a, _)| *a));
    n
}

pub fn builtin(name: &str) -> Option<ImageSpec> {
    if name == panda_busybox::NAME {
        return Some(panda_busybox::spec());
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

/// `panda-busybox`'s catalog entry and the constants its builder (`panda_image`) and
/// its guest share.
pub(crate) mod panda_busybox {
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

    /// The built-in catalog entry.
    pub fn spec() -> ImageSpec {
        let q = format!("{{qcows}}/{NAME}");
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
            arch: Some("x86_64".into()),
            builder: Some(PANDA_BUILDER.into()),
            memory: Some(format!("{MEMORY_MIB}M")),
            prompt: Some(PROMPT.into()),
            cdrom: Some("ide1-cd0".into()),
            snapshot: Some(SNAPSHOT.into()),
            os: Some(OS.into()),
            extra_args: extra.iter().map(|s| s.to_string()).collect(),
            description: Some(
                "Debian's cloud kernel + busybox initramfs with a `root` snapshot, built for PANDA from apt packages".into(),
            ),
            ..Default::default()
        }
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
