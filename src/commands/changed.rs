//! `--changed`: whether each test's last pass still stands (`ptest test --changed`,
//! `ptest list --changed`). The decision is `inputs::check`'s; this reads the state and
//! the suite for it.

use std::path::Path;

use crate::inputs::{self, Freshness};
use crate::runner::state::State;
use crate::suite::{RegressionDir, TestDef};

/// Whether `test` would run under `--changed`, and when the pass it would reuse finished.
pub fn freshness(
    state: &State,
    regdir: &RegressionDir,
    ptest: &Path,
    test: &TestDef,
) -> (Freshness, Option<u64>) {
    let Some((last, kept)) = state.last_pass(&test.name) else {
        let last = state.tests.get(&test.name).and_then(|t| t.last.as_ref());
        return match last {
            Some(l) => (
                Freshness::LastRunNotAPass {
                    last: format!("{} {}", l.mode.as_str(), l.status.word()),
                },
                None,
            ),
            None => (Freshness::NoPass, None),
        };
    };
    let stamps = inputs::stamps(&regdir.root);
    let now = inputs::static_inputs(&stamps, ptest, test, &regdir.blessed(&test.name));
    (inputs::check(&stamps, kept, now), Some(last.finished))
}

/// Whether a run uses `--changed`: the flag, else the suite's `changed = true`; only
/// `test` reuses passes.
pub fn wanted(flag: bool, no_flag: bool, suite_default: Option<bool>) -> bool {
    flag || (!no_flag && suite_default.unwrap_or(false))
}
