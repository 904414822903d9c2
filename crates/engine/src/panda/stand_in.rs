//! Image stand-ins (`[image-map]` in ptest.toml, `--image-map ORIGINAL=OURS`): a suite
//! that names an image this machine cannot have (PANDA's `i386` = `wheezy_panda2.qcow2`)
//! records on another one instead, and its replays' `-os ORIGINAL_PROFILE` becomes the
//! stand-in's own profile (with the `osi_linux` profile file of a guest ptest built).
//! Each substitution is one note; without a mapping nothing changes.

use super::*;
use crate::catalog::{resolve, same_image};
use crate::panda_image::guest_for;
use crate::spec::PANDA_BUILDER;

/// The stand-in for image `name`, if the suite or command line maps it.
pub fn stand_in_for<'a>(ctx: &'a Context, name: &str) -> Option<&'a str> {
    ctx.image_map
        .iter()
        .find(|(from, _)| same_image(from, name))
        .map(|(_, to)| to.as_str())
}

/// `picked` (an image chosen for a recording), or its stand-in with a note saying so.
pub fn map_recording(
    ctx: &Context,
    picked: (String, ImageSpec, Option<String>),
) -> Result<(String, ImageSpec, Option<String>), EngineError> {
    let (name, spec, note) = picked;
    let Some(to) = stand_in_for(ctx, &name) else {
        return Ok((name, spec, note));
    };
    let mapped = format!("NOTE: image {name} is mapped to {to}: recording on {to}");
    let note = Some(match note {
        Some(n) => format!("{n}; {mapped}"),
        None => mapped,
    });
    Ok((to.to_string(), resolve(ctx, to)?, note))
}

/// The image a recording without metadata or a named image (one that a plugin such as
/// `scissors` wrote) replays on: the stand-in of `arch`'s own image, if it has one.
pub fn replay_image(ctx: &Context, arch: Option<&str>) -> Option<String> {
    let (original, _) = arch_image(arch?).ok()?;
    stand_in_for(ctx, &original).map(str::to_string)
}

/// Replay arguments with `-os P` replaced when `image` stands in for an image whose
/// profile is `P`: `-os` becomes the stand-in's own, and for a guest ptest built,
/// `osi_linux` is pointed at its `kernelinfo.conf`. Returns the note to print.
pub fn map_os_profile(
    ctx: &Context,
    image: &str,
    spec: &ImageSpec,
    args: &mut Vec<String>,
) -> Result<Option<String>, EngineError> {
    let Some(at) = args.iter().position(|a| a == "-os") else {
        return Ok(None);
    };
    let Some(given) = args.get(at + 1).cloned() else {
        return Ok(None);
    };
    let mut originals = Vec::new();
    for (from, to) in &ctx.image_map {
        if same_image(to, image) {
            originals.push((from.clone(), resolve(ctx, from)?));
        }
    }
    let Some((from, _)) = originals
        .iter()
        .find(|(_, s)| s.os.as_deref() == Some(given.as_str()))
    else {
        return Ok(None);
    };
    let Some(ours) = spec.os.clone() else {
        return Err(EngineError::Usage(format!(
            "image {image} stands in for {from}, whose -os {given} this replay asks for, but declares no os of its own; set os under [images.{image}]"
        )));
    };
    args[at + 1] = ours.clone();
    if spec.builder.as_deref() == Some(PANDA_BUILDER) {
        let guest = guest_for(image, spec.arch.as_deref());
        let kconf = ctx.qcow_dir().join(image).join("kernelinfo.conf");
        args.extend([
            "-panda-arg".into(),
            format!("osi_linux:kconf_file={}", kconf.display()),
            "-panda-arg".into(),
            format!("osi_linux:kconf_group={}", guest.kconf_group),
        ]);
    }
    Ok(Some(format!(
        "NOTE: -os {given} ({from}'s profile) is mapped to {image}'s own -os {ours}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        let mut c = Context {
            regression_dir: "/r".into(),
            ..Default::default()
        };
        c.image_map
            .insert("i386".into(), "panda-busybox-i386".into());
        c
    }

    #[test]
    fn a_mapped_image_records_on_its_stand_in_with_one_note() {
        let c = ctx();
        // The alias and the name it stands for are the same image.
        for name in ["i386", "i386_wheezy"] {
            let picked = (name.to_string(), ImageSpec::default(), None);
            let (to, spec, note) = map_recording(&c, picked).unwrap();
            assert_eq!(to, "panda-busybox-i386");
            assert_eq!(spec.arch.as_deref(), Some("i386"));
            let note = note.unwrap();
            assert!(note.starts_with("NOTE: image "), "{note}");
            assert!(!note.contains('\n'), "{note}");
        }
        let picked = ("x86_64".to_string(), ImageSpec::default(), None);
        assert_eq!(map_recording(&c, picked).unwrap().0, "x86_64");
        assert_eq!(
            replay_image(&c, Some("i386")).as_deref(),
            Some("panda-busybox-i386")
        );
        assert_eq!(replay_image(&c, Some("x86_64")), None);
        assert_eq!(replay_image(&Context::default(), Some("i386")), None);
    }

    #[test]
    fn the_original_profile_becomes_the_stand_ins_own() {
        let c = ctx();
        let spec = crate::catalog::builtin("panda-busybox-i386").unwrap();
        let words = "-panda asidstory -os linux-32-debian:3.2.0-4-686-pae";
        let mut args: Vec<String> = words.split(' ').map(String::from).collect();
        let note = map_os_profile(&c, "panda-busybox-i386", &spec, &mut args)
            .unwrap()
            .unwrap();
        assert_eq!(
            args.join(" "),
            "-panda asidstory -os linux-32-panda-busybox-i386 \
             -panda-arg osi_linux:kconf_file=/r/qcows/panda-busybox-i386/kernelinfo.conf \
             -panda-arg osi_linux:kconf_group=panda-busybox-i386:32"
        );
        assert!(note.contains("linux-32-debian:3.2.0-4-686-pae"), "{note}");
        // Another profile, or no mapping: untouched.
        let mut other: Vec<String> = vec!["-os".into(), "linux-64-x".into()];
        assert_eq!(
            map_os_profile(&c, "panda-busybox-i386", &spec, &mut other).unwrap(),
            None
        );
        let mut same: Vec<String> = words.split(' ').map(String::from).collect();
        let none = Context::default();
        assert_eq!(
            map_os_profile(&none, "panda-busybox-i386", &spec, &mut same).unwrap(),
            None
        );
        assert_eq!(same.join(" "), words);
    }
}
