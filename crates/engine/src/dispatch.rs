//! The one place that picks a driver ([`Engine::driver`]) and decides which engine a
//! command uses: `record` by the image's engine, `replay` by the recording's metadata
//! (with a documented fallback for recordings without it). Drivers must not pick
//! engines; this module must not run emulators itself.

use crate::driver::{Driver, Emulator, Recording};
use crate::engines::Engine;
use crate::recording::{self, ReplayFiles};
use crate::request::{RecordRequest, ReplayRequest};
use crate::{Context, EngineError, catalog, metadata, panda, qemu};

impl Engine {
    /// The one dispatch point from an engine to its driver.
    fn driver(self) -> &'static dyn Driver {
        match self {
            Engine::Panda => &panda::Panda,
            Engine::Qemu => &qemu::Qemu,
        }
    }

    /// The emulator this engine would run for `arch`.
    pub fn probe(self, ctx: &Context, arch: &str) -> Result<Emulator, EngineError> {
        self.driver().probe(ctx, arch)
    }
}

/// `ptest record`: on the engine of the image recorded on (`--image`, else the test's or
/// suite's); without an image, PANDA's (its `run_debian.py` image for `--arch`).
pub fn record(ctx: &Context, req: &RecordRequest) -> Result<Engine, EngineError> {
    let engine = match req.image.as_ref().or(ctx.default_image.as_ref()) {
        Some(image) => catalog::resolve(ctx, image)?.engine(),
        None => Engine::DEFAULT,
    };
    let recorded = engine.driver().record(ctx, req);
    interrupted(ctx)?;
    recorded?;
    Ok(engine)
}

/// `ptest replay`: on the engine that made the recording.
pub fn replay(ctx: &Context, req: &ReplayRequest) -> Result<Engine, EngineError> {
    let engine = replay_engine(ctx, req)?;
    let replayed = engine.driver().replay(ctx, req);
    interrupted(ctx)?;
    replayed?;
    Ok(engine)
}

/// A driver that returns after a signal killed its emulator did not fail on its own:
/// what it returned is replaced by why it stopped.
fn interrupted(ctx: &Context) -> Result<(), EngineError> {
    match ctx.cancel.signal() {
        Some(signal) => Err(EngineError::Interrupted { signal }),
        None => Ok(()),
    }
}

/// The engine of the recording `req` names: the one its metadata (`NAME.meta.json`)
/// names. Fallback, for recordings without readable metadata (PANDA's made by the
/// original ptest.py, or a QEMU recording whose metadata was lost, which its driver
/// then reports): PANDA's `NAME-rr-nondet.log` → PANDA, QEMU's `NAME.rr` → QEMU; with
/// neither, the engine of the image it would replay on, else PANDA (whose driver then
/// says the recording is missing).
fn replay_engine(ctx: &Context, req: &ReplayRequest) -> Result<Engine, EngineError> {
    let (dir, stem) = recording::locate(ctx, req.name)?;
    let meta = recording::meta_path(&dir, &stem);
    if let Ok(m) = metadata::read(&meta) {
        return Engine::from_name(&format!("{}: engine", meta.display()), &m.engine);
    }
    if recording::panda_nondet(&dir, &stem).exists() {
        return Ok(Engine::Panda);
    }
    if ReplayFiles::new(&dir, &stem).rr.exists() {
        return Ok(Engine::Qemu);
    }
    match req.image.map(str::to_string).or(ctx.default_image.clone()) {
        Some(image) => Ok(catalog::resolve(ctx, &image)?.engine()),
        None => Ok(Engine::DEFAULT),
    }
}

/// Every recording under `replays/` (or `replays/TEST/`), sorted by test and name.
pub fn recordings(ctx: &Context, test: Option<&str>) -> Vec<Recording> {
    let root = ctx.regression_dir.join("replays");
    let mut tests: Vec<String> = match test {
        Some(t) => vec![t.to_string()],
        None => match std::fs::read_dir(&root) {
            Ok(rd) => rd
                .flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        },
    };
    tests.sort();
    let mut out = Vec::new();
    for t in tests {
        let dir = root.join(&t);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<String> = rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let tctx = Context {
            test: Some(t.clone()),
            ..ctx.clone()
        };
        for file in &names {
            out.extend(
                Engine::ALL
                    .iter()
                    .find_map(|e| e.driver().recording(&tctx, &dir, &t, file)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests;
