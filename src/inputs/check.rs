//! Whether a test's last pass still stands: every input it recorded, hashed again (the
//! stamps make an unchanged file cost a `stat`), and its static inputs found again, so a
//! new file in its folder or reference counts too.

use std::path::PathBuf;

use ptest_engine::stamp::Stamps;
use serde::{Deserialize, Serialize};

use super::{InputSet, Inputs, Role, Unobservable, name};

/// One input that differs from the last pass's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum Change {
    Modified {
        role: Role,
        path: PathBuf,
    },
    Removed {
        role: Role,
        path: PathBuf,
    },
    Added {
        role: Role,
        path: PathBuf,
    },
    /// A value: `settings`, `env NAME`, `declared PATTERN`.
    Value {
        name: String,
    },
}

impl Change {
    /// "plugin panda_stringsearch.so changed".
    pub fn describe(&self) -> String {
        match self {
            Change::Modified {
                role: Role::Ptest, ..
            } => "ptest itself changed (another build of ptest)".into(),
            Change::Modified { role, path } => format!("{} {} changed", role.word(), name(path)),
            Change::Removed { role, path } => format!("{} {} is gone", role.word(), name(path)),
            Change::Added { role, path } => format!("new {} {}", role.word(), name(path)),
            Change::Value { name } => match name.split_once(' ') {
                Some(("env", var)) => format!("environment variable {var} changed"),
                Some(("declared", pattern)) => format!("the files matching `{pattern}` changed"),
                _ => "its settings (image, engine, Python, comparison) changed".into(),
            },
        }
    }
}

/// Whether a test runs under `--changed`, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// Nothing it used changed since its last pass: the pass is reused.
    Unchanged,
    /// It runs: no earlier pass whose inputs were kept.
    NoPass,
    /// It runs: its last run (`"bless passed"`, `"test failed"`) is no `test` pass.
    LastRunNotAPass { last: String },
    /// It runs: what its last pass used could not be known.
    Unknown(Unobservable),
    /// It runs: these inputs changed.
    Changed(Vec<Change>),
}

impl Freshness {
    /// Why it runs, in one line (`None`: it does not).
    pub fn why(&self) -> Option<String> {
        match self {
            Freshness::Unchanged => None,
            Freshness::NoPass => Some("no earlier pass with its inputs recorded".into()),
            Freshness::LastRunNotAPass { last } => {
                Some(format!("its last run ({last}) is no pass to reuse"))
            }
            Freshness::Unknown(why) => Some(format!("never cached: {}", why.describe())),
            Freshness::Changed(changes) => {
                let shown: Vec<String> = changes.iter().take(3).map(Change::describe).collect();
                let more = match changes.len().saturating_sub(3) {
                    0 => String::new(),
                    n => format!(" (and {n} more)"),
                };
                Some(format!("{}{more}", shown.join(", ")))
            }
        }
    }
}

/// `last`: the inputs kept with the test's last pass (`None`: its last run did not pass
/// or kept none); `now`: its static inputs as they are now.
pub fn check(
    stamps: &Stamps,
    last: Option<&Inputs>,
    now: Result<InputSet, Unobservable>,
) -> Freshness {
    let kept = match last {
        None => return Freshness::NoPass,
        Some(Inputs::Unknown(why)) => return Freshness::Unknown(why.clone()),
        Some(Inputs::Known(kept)) => kept,
    };
    let now = match now {
        Ok(now) => now,
        Err(why) => return Freshness::Unknown(why),
    };
    let mut changes = Vec::new();
    for (path, input) in &kept.files {
        let current = match input.role.is_static() {
            true => now.files.get(path).map(|f| f.sha256.clone()),
            false => stamps.sha256(path).ok(),
        };
        match current {
            None => changes.push(Change::Removed {
                role: input.role,
                path: path.clone(),
            }),
            Some(sha) if sha != input.sha256 => changes.push(Change::Modified {
                role: input.role,
                path: path.clone(),
            }),
            Some(_) => {}
        }
    }
    for (path, input) in &now.files {
        if !kept.files.contains_key(path) {
            changes.push(Change::Added {
                role: input.role,
                path: path.clone(),
            });
        }
    }
    let names = kept.values.keys().chain(now.values.keys());
    let mut differing: Vec<&String> = names
        .filter(|n| kept.values.get(*n) != now.values.get(*n))
        .collect();
    differing.dedup();
    changes.extend(
        differing
            .into_iter()
            .map(|n| Change::Value { name: n.clone() }),
    );
    // The most telling first: an emulator's or a script's change before a library's.
    changes.sort_by_key(|c| match c {
        Change::Modified { role, .. }
        | Change::Removed { role, .. }
        | Change::Added { role, .. } => (0, *role),
        Change::Value { .. } => (1, Role::Ptest),
    });
    match changes.is_empty() {
        true => Freshness::Unchanged,
        false => Freshness::Changed(changes),
    }
}

#[cfg(test)]
mod tests {
    use super::super::FileInput;
    use super::*;

    fn stamps(dir: &std::path::Path) -> Stamps {
        Stamps::new(dir, false)
    }

    fn set(files: &[(&std::path::Path, Role)], values: &[(&str, &str)], s: &Stamps) -> InputSet {
        InputSet {
            files: files
                .iter()
                .map(|(p, role)| {
                    let sha256 = s.sha256(p).unwrap();
                    (
                        p.to_path_buf(),
                        FileInput {
                            role: *role,
                            sha256,
                        },
                    )
                })
                .collect(),
            values: values
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn unchanged_inputs_reuse_the_pass_and_each_kind_of_change_is_named() {
        let t = tempfile::tempdir().unwrap();
        let s = stamps(t.path());
        let (script, plugin) = (t.path().join("t-test.py"), t.path().join("panda_x.so"));
        std::fs::write(&script, "print(1)").unwrap();
        std::fs::write(&plugin, "elf").unwrap();
        let kept = set(
            &[(&script, Role::TestFile), (&plugin, Role::Plugin)],
            &[("env A", "1")],
            &s,
        );
        let now = || set(&[(&script, Role::TestFile)], &[("env A", "1")], &s);
        let last = Inputs::Known(kept.clone());
        assert_eq!(check(&s, Some(&last), Ok(now())), Freshness::Unchanged);

        std::fs::write(&plugin, "elf, rebuilt").unwrap();
        assert_eq!(
            check(&s, Some(&last), Ok(now())).why().unwrap(),
            "plugin panda_x.so changed"
        );
        std::fs::remove_file(&plugin).unwrap();
        assert_eq!(
            check(&s, Some(&last), Ok(now())).why().unwrap(),
            "plugin panda_x.so is gone"
        );
        let env_changed = set(&[(&script, Role::TestFile)], &[("env A", "2")], &s);
        let last = Inputs::Known(set(&[(&script, Role::TestFile)], &[("env A", "1")], &s));
        assert_eq!(
            check(&s, Some(&last), Ok(env_changed)).why().unwrap(),
            "environment variable A changed"
        );
        let extra = t.path().join("data.txt");
        std::fs::write(&extra, "d").unwrap();
        let grown = set(
            &[(&script, Role::TestFile), (&extra, Role::TestFile)],
            &[("env A", "1")],
            &s,
        );
        assert_eq!(
            check(&s, Some(&last), Ok(grown)).why().unwrap(),
            "new test file data.txt"
        );
    }

    #[test]
    fn no_pass_or_unknown_inputs_always_run() {
        let t = tempfile::tempdir().unwrap();
        let s = stamps(t.path());
        assert_eq!(check(&s, None, Ok(InputSet::default())), Freshness::NoPass);
        let unknown = Inputs::Unknown(Unobservable::InProcessEmulator);
        assert!(matches!(
            check(&s, Some(&unknown), Ok(InputSet::default())),
            Freshness::Unknown(_)
        ));
    }
}
