//! `--apply-suggestions` after a `--repeat` run: each varying test's checked suggestions
//! written into its `test.toml` (`variation::edit`), then its kept runs compared again
//! under the suite as re-read, and the verdict printed. Nothing is blessed here: the user
//! blesses once the runs agree.

use crate::cli::GlobalArgs;
use crate::runner::RunOutcome;
use crate::runner::repeat::run_dir;
use crate::suite::RegressionDir;
use crate::variation::{self, Suggestion};

use super::{CommandError, load_suite};

pub(super) fn apply_suggestions(
    g: &GlobalArgs,
    regdir: &RegressionDir,
    outcome: &RunOutcome,
) -> Result<(), CommandError> {
    let overrides = super::overrides(g);
    for result in &outcome.results {
        let Some(found) = &result.variation else {
            continue;
        };
        let name = &result.name;
        let suggestions: Vec<&Suggestion> = found.suggestions().collect();
        if suggestions.is_empty() {
            say!("ptest: {name}: no checked suggestion to apply; filter what varies by hand");
            continue;
        }
        let suite = load_suite(g)?;
        let Some(entry) = suite.select(std::slice::from_ref(name))?.into_iter().next() else {
            continue;
        };
        let path = suite.test(entry, &overrides)?.dir.join("test.toml");
        let added = variation::edit::apply(&path, &suggestions)?;
        say!(
            "ptest: {name}: wrote {added} suggestion(s) into {}",
            path.display()
        );
        // Re-read: the suite as the next run will see it, new lines included.
        let suite = load_suite(g)?;
        let Some(entry) = suite.select(std::slice::from_ref(name))?.into_iter().next() else {
            continue;
        };
        let test = suite.test(entry, &overrides)?;
        let runs: Vec<_> = (1..=found.runs).map(|k| run_dir(regdir, name, k)).collect();
        let again = variation::analyse(&test.settings.compare, &runs)
            .map_err(|e| CommandError::Usage(format!("{name}: cannot re-check the runs: {e}")))?;
        if again.agrees() {
            say!(
                "ptest: {name}: under the new rules all {} runs agree; bless with `ptest bless --repeat {} {name}`",
                found.runs,
                found.runs
            );
        } else {
            say!("ptest: {name}: under the new rules the runs still disagree:");
            let target = path.display().to_string();
            for line in variation::render(&again, &target).lines() {
                say!("    {line}");
            }
        }
    }
    Ok(())
}
