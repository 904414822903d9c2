//! Built-in images, so that suites can name them without configuring anything.

use crate::images::ImageSpec;

/// The image ptest assembles itself for upstream QEMU.
pub const QEMU_BUSYBOX: &str = "qemu-busybox";

pub fn names() -> Vec<&'static str> {
    vec![QEMU_BUSYBOX]
}

pub fn builtin(name: &str) -> Option<ImageSpec> {
    match name {
        QEMU_BUSYBOX => Some(ImageSpec {
            engine: Some("qemu".into()),
            arch: Some("x86_64".into()),
            builder: Some("debian-busybox".into()),
            memory: Some("256M".into()),
            description: Some(
                "Debian's cloud kernel + busybox-static initramfs, built from apt packages (upstream QEMU)".into(),
            ),
            ..Default::default()
        }),
        _ => None,
    }
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
        println!(
            "{name:<28} {:<6} {:<8} {:<9} {:<8} {}",
            spec.engine.as_deref().unwrap_or("panda"),
            spec.arch.as_deref().unwrap_or("?"),
            origin,
            if present { "present" } else { "absent" },
            spec.description.as_deref().unwrap_or("")
        );
    }
}
