//! Getting images into `qcows/`: downloads (with verification) of declared images, and
//! the builds of the images ptest assembles itself (`qemu::image`, `panda_image`).
//! What an image is comes from `catalog`; this module must not pick engines or images.

use crate::catalog::resolve;
use crate::download::Expected;
use crate::spec::PANDA_BUILDER;
use crate::{Context, EngineError, download, panda_image};

/// Download (or verify) the named images into `qcows/`.
pub fn fetch(ctx: &Context, names: &[String]) -> Result<(), EngineError> {
    for name in names {
        let spec = resolve(ctx, name)?;
        if spec.builder.as_deref() == Some(PANDA_BUILDER) {
            let guest = panda_image::guest_for(name, spec.arch.as_deref());
            let dir = panda_image::ensure(ctx, name, guest)?;
            ctx.observer.note(&format!(
                "image {name}: {} present and verified",
                dir.display()
            ));
            continue;
        }
        if spec.builder.is_some() {
            let files = crate::qemu::ensure_image(ctx, name, &spec)?;
            ctx.observer.note(&format!(
                "image {name}: {} present and verified",
                files.dir.display()
            ));
            continue;
        }
        let dest = spec.local_path(&ctx.qcow_dir(), name);
        let file = dest
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let expected = |file: &str, main: bool| -> Result<Option<Expected>, EngineError> {
            let url_file = spec
                .urls
                .first()
                .and_then(|u| u.split(['?', '#']).next()?.rsplit('/').next());
            let hex = match main {
                true => spec
                    .hashes
                    .get(file)
                    .or_else(|| spec.hashes.get(url_file?))
                    .or(spec.sha256.as_ref()),
                false => spec.hashes.get(file),
            };
            hex.map(|h| {
                Expected::parse(h).ok_or_else(|| {
                    EngineError::Image(format!(
                        "image {name}: {h:?} is neither a sha256 nor a sha1 digest"
                    ))
                })
            })
            .transpose()
        };
        if spec.urls.is_empty() {
            let Some(p) = &spec.path else {
                return Err(EngineError::Image(format!(
                    "image {name}: no urls and no path to get it from; add one under [images.{name}]"
                )));
            };
            // A local image used in place: only verify it.
            download::verify_present(
                std::path::Path::new(p),
                expected(&file, true)?.as_ref(),
                name,
            )?;
            continue;
        }
        let mut sources = spec.urls.clone();
        if let Some(p) = &spec.path {
            sources.insert(0, p.clone());
        }
        download::fetch(
            &sources,
            &dest,
            expected(&file, true)?.as_ref(),
            name,
            &*ctx.observer,
        )?;
        for extra in &spec.extra_files {
            let sources: Vec<String> = spec
                .urls
                .iter()
                .map(|u| {
                    format!(
                        "{}/{extra}",
                        u.rsplit_once('/').map(|(d, _)| d).unwrap_or(u)
                    )
                })
                .collect();
            let dest = ctx.qcow_dir().join(extra);
            download::fetch(
                &sources,
                &dest,
                expected(extra, false)?.as_ref(),
                name,
                &*ctx.observer,
            )?;
        }
    }
    Ok(())
}
