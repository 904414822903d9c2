//! `ptest images` and `ptest replays`: the engine's lists, rendered as tables on stdout.

use ptest_engine::Context;

/// One line per image, and whether it is present in `qcows/`.
pub fn images(ctx: &Context) {
    for e in ptest_engine::catalog::list(ctx) {
        let what = e
            .spec
            .description
            .clone()
            .or(e.spec.os.clone())
            .unwrap_or_default();
        say!(
            "{:<20} {:<6} {:<8} {:<9} {:<8} {what}",
            e.name,
            e.spec.engine(),
            e.spec.arch.as_deref().unwrap_or("?"),
            e.origin,
            if e.present { "present" } else { "absent" },
        );
    }
}

/// The recordings under `replays/` (or `replays/TEST/`), with size, instruction count
/// and whether their metadata still matches.
pub fn replays(ctx: &Context, test: Option<&str>) {
    let recs = ptest_engine::recordings(ctx, test);
    if recs.is_empty() {
        say!(
            "no recordings in {}",
            ctx.regression_dir.join("replays").display()
        );
        return;
    }
    say!(
        "{:<16} {:<16} {:<6} {:>10} {:>14}  metadata",
        "test",
        "replay",
        "engine",
        "size",
        "instructions"
    );
    for r in &recs {
        say!(
            "{:<16} {:<16} {:<6} {:>10} {:>14}  {}",
            r.test,
            r.name,
            r.engine,
            crate::human::size(r.size),
            r.instructions
                .map(|n| n.to_string())
                .unwrap_or_else(|| "?".into()),
            r.status
        );
    }
}
