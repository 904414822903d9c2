//! `ptest archive` and `ptest unarchive`: recordings travel between machines. This module
//! chooses what to pack (the selected tests, cut by `--partition` exactly as `ptest test`
//! cuts them, and with `--images` the images they use) and prints what happened; the
//! format, hashing and safe unpacking are `crate::archive`'s.

use std::path::Path;

use crate::archive::{self, ArchiveError, Selection};
use crate::cli::{ArchiveArgs, GlobalArgs};
use crate::runner::RunKind;
use crate::suite::{Overrides, RegressionDir, Suite};

use super::{CommandError, load_suite, regression_dir};

/// The per-test folders an archive carries: the recordings and their metadata, the
/// reference a test job compares with, and what setup left in `misc/`.
const PER_TEST: [&str; 3] = ["replays", "blessed", "misc"];

pub fn pack(
    g: &GlobalArgs,
    args: &ArchiveArgs,
    cancel: &ptest_engine::process::Cancel,
) -> Result<i32, CommandError> {
    let suite = load_suite(g)?;
    let regdir = regression_dir(g)?;
    regdir.require_existing()?;
    let entries = suite.select(&args.tests)?;
    let mut tests: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
    if let Some(partition) = &args.partition {
        // The same cut `ptest test --partition` makes (test mode's durations).
        let duration_of = super::durations::partition_source(&suite, &regdir, RunKind::Test)?;
        let names: Vec<&str> = tests.iter().map(String::as_str).collect();
        let keep = partition.select(&names, &*duration_of);
        tests = keep.into_iter().map(|i| tests[i].clone()).collect();
    }
    let mut units = Vec::new();
    for test in &tests {
        for kind in PER_TEST {
            units.push(format!("{kind}/{test}"));
        }
        if !regdir.blessed(test).is_dir() {
            eprintln!(
                "ptest: note: {test} has no blessed reference; `ptest test` will report it as an error where this archive is unpacked (run `ptest bless {test}` first)"
            );
        }
    }
    let mut images = Vec::new();
    if args.images {
        for (image, unit) in image_units(g, &suite, &regdir, &tests)? {
            images.push(image);
            if !units.contains(&unit) {
                units.push(unit);
            }
        }
    }
    let selection = Selection {
        partition: args.partition.map(|p| p.to_string()),
        requested: args.tests.clone(),
    };
    // Ctrl-C and SIGTERM request the cancellation the packer polls: it removes its temp
    // file, exit 130.
    cancel.install();
    let manifest = archive::pack::pack(
        &regdir.root,
        &units,
        tests,
        images,
        selection,
        &args.output,
        cancel,
    )
    .map_err(archive_error)?;
    let bytes: u64 = manifest.files.iter().map(|f| f.size).sum();
    say!(
        "ptest: packed {} files ({}) of {} tests{} into {}",
        manifest.files.len(),
        crate::human::size(bytes),
        manifest.tests.len(),
        if manifest.images.is_empty() {
            String::new()
        } else {
            format!(" and {} images", manifest.images.len())
        },
        args.output.display()
    );
    Ok(crate::exit_code::OK)
}

/// The images `tests` use (their configured image and the image each recording's
/// `meta.json` names), each with the `qcows/` unit holding it.
fn image_units(
    g: &GlobalArgs,
    suite: &Suite,
    regdir: &RegressionDir,
    tests: &[String],
) -> Result<Vec<(String, String)>, CommandError> {
    let mut wanted: Vec<(String, String)> = Vec::new();
    let mut want = |image: String, test: &str| {
        if !wanted.iter().any(|(i, _)| *i == image) {
            wanted.push((image, test.to_string()));
        }
    };
    for test in tests {
        if let Some(entry) = suite.entry(test) {
            let def = suite.test(entry, &Overrides::default())?;
            if let Some(image) = def.settings.image {
                want(image, test);
            }
        }
        let replays = regdir.replays(test);
        for rel in crate::tree::walk(&replays)
            .map_err(CommandError::io(&replays))?
            .into_keys()
        {
            if !rel.ends_with(".meta.json") {
                continue;
            }
            let path = replays.join(&rel);
            let text = std::fs::read_to_string(&path).map_err(CommandError::io(&path))?;
            let meta: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                CommandError::Usage(format!(
                    "{}: unreadable recording metadata ({e}); re-record with `ptest setup {test}`",
                    path.display()
                ))
            })?;
            if let Some(image) = meta.get("image").and_then(|i| i.as_str()) {
                want(image.to_string(), test);
            }
        }
    }
    // Nothing runs here: no emulator for a signal to stop.
    let ctx = super::engine::context(
        g,
        Some(suite),
        regdir,
        None,
        &ptest_engine::process::Cancel::noop(),
    )?;
    let known = ptest_engine::catalog::list(&ctx);
    let qcows = regdir.qcows();
    let mut out = Vec::new();
    for (image, test) in wanted {
        let Some(entry) = known.iter().find(|e| e.name == image) else {
            return Err(CommandError::Usage(format!(
                "image {image:?} (used by {test}) is not a known image; see `ptest images list`"
            )));
        };
        let path = entry.spec.local_path(&qcows, &image);
        let Some(first) = path
            .strip_prefix(&qcows)
            .ok()
            .and_then(|rel| rel.components().next())
        else {
            eprintln!(
                "ptest: note: image {image} is at {}, outside the regression directory; not packed",
                path.display()
            );
            continue;
        };
        if !path.exists() {
            return Err(CommandError::Usage(format!(
                "image {image} (used by {test}) is not in {}; fetch it with `ptest images fetch {image}`",
                qcows.display()
            )));
        }
        let unit = format!("qcows/{}", first.as_os_str().to_string_lossy());
        out.push((image, unit));
    }
    Ok(out)
}

pub fn unpack(g: &GlobalArgs, archive_path: &Path, max_size: u64) -> Result<i32, CommandError> {
    let regdir = regression_dir(g)?;
    // A fresh machine unpacks into a directory that does not exist yet.
    if !regdir.root.exists() {
        regdir.create_layout(&[], false)?;
    }
    regdir.require_existing()?;
    let _lock = regdir.lock()?;
    let done = archive::unpack::unpack(archive_path, &regdir.root, &regdir.state_dir(), max_size)
        .map_err(archive_error)?;
    // The rest of the layout (tmpout/, logs/ …) for the tests that arrived.
    let names: Vec<&str> = done.manifest.tests.iter().map(String::as_str).collect();
    regdir.create_layout(&names, false)?;
    say!(
        "ptest: unpacked {} files of {} tests from {} into {} ({} folders placed, {} already identical)",
        done.manifest.files.len(),
        done.manifest.tests.len(),
        archive_path.display(),
        regdir.root.display(),
        done.placed.len(),
        done.identical.len()
    );
    Ok(crate::exit_code::OK)
}

fn archive_error(e: ArchiveError) -> CommandError {
    match e {
        ArchiveError::Io { path, source } => CommandError::Io { path, source },
        ArchiveError::Interrupted { .. } => CommandError::Interrupted(e.to_string()),
        other => CommandError::Usage(other.to_string()),
    }
}
