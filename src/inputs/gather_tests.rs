//! What a run showed, turned into inputs: each way a test's inputs become unknown, and
//! the roles found files get.

use std::time::Duration;

use super::*;
use crate::suite::{ScriptError, Settings};

struct Scene {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    test: TestDef,
    stamps: Stamps,
}

impl Scene {
    fn new() -> Scene {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap();
        let dir = root.join("suite/t");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("t-test.sh"), "echo").unwrap();
        std::fs::create_dir_all(root.join("logs/inputs")).unwrap();
        std::fs::write(root.join("ptest"), "the ptest binary").unwrap();
        let test = TestDef {
            name: "t".into(),
            setup: Ok(None),
            test: Err(ScriptError::NoTestScript {
                dir: dir.clone(),
                name: "t".into(),
            }),
            dir,
            settings: Settings::default(),
        };
        let stamps = Stamps::new(&root, false);
        Scene {
            _tmp: tmp,
            root,
            test,
            stamps,
        }
    }

    fn file(&self, rel: &str) -> PathBuf {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, rel).unwrap();
        path
    }

    /// An emulator use as `ptest replay` writes it.
    fn emulator(&self, run: &EmulatorRun) {
        let path = self
            .root
            .join(format!("logs/inputs/emulator-{}.json", run.pid));
        std::fs::write(path, serde_json::to_vec(run).unwrap()).unwrap();
    }

    fn record(&self, started: SystemTime, seen: &[(u32, PathBuf)]) -> Inputs {
        let blessed = self.root.join("blessed");
        let observed = Observed {
            started,
            emulators: seen.to_vec(),
            python_script: false,
            helper_dir: self.root.join("helper"),
        };
        let ptest = self.root.join("ptest");
        let before = static_inputs(&self.stamps, &ptest, &self.test, &blessed);
        record(
            &self.stamps,
            &ptest,
            &self.test,
            &blessed,
            &self.root.join("logs"),
            &observed,
            before,
        )
    }
}

fn an_hour_ago() -> SystemTime {
    SystemTime::now() - Duration::from_secs(3600)
}

#[test]
fn an_observed_emulator_gives_its_binary_plugins_libraries_and_recording() {
    let s = Scene::new();
    let bin = s.file("build/x86_64-softmmu/panda-system-x86_64");
    let plugin = s.file("build/x86_64-softmmu/panda/plugins/panda_stringsearch.so");
    let lib = s.file("lib/libglib.so");
    let rec = s.file("replays/t/cat-rr-nondet.log");
    let started = SystemTime::now() + Duration::from_secs(1);
    s.emulator(&EmulatorRun {
        command: "replay".into(),
        pid: 42,
        binary: bin.clone(),
        mapped: [bin.clone(), plugin.clone(), lib.clone()].into(),
        recording: [rec.clone()].into(),
        observed: true,
        ..EmulatorRun::default()
    });
    let Inputs::Known(set) = s.record(started, &[(42, bin.clone())]) else {
        panic!("unknown inputs");
    };
    let role = |p: &PathBuf| set.files.get(p).map(|f| f.role);
    assert_eq!(role(&bin), Some(Role::Emulator));
    assert_eq!(role(&plugin), Some(Role::Plugin));
    assert_eq!(role(&lib), Some(Role::Library));
    assert_eq!(role(&rec), Some(Role::Recording));
    assert_eq!(role(&s.test.dir.join("t-test.sh")), Some(Role::TestFile));
    assert_eq!(role(&s.root.join("ptest")), Some(Role::Ptest));
}

#[test]
fn a_recording_the_test_made_is_an_intermediate_but_a_plugin_changed_meanwhile_is_not() {
    let s = Scene::new();
    let bin = s.file("bin/qemu-system-x86_64");
    // Files older than the run, by more than the coarse file clock's slack.
    std::thread::sleep(Duration::from_millis(100));
    let started = SystemTime::now();
    let rec = s.file("replays/t/made-now.rr");
    let mut run = EmulatorRun {
        command: "replay".into(),
        pid: 7,
        binary: bin.clone(),
        mapped: [bin.clone()].into(),
        arguments: [rec.clone()].into(),
        observed: true,
        ..EmulatorRun::default()
    };
    s.emulator(&run);
    let Inputs::Known(set) = s.record(started, &[]) else {
        panic!("the recording made during the run made the inputs unknown");
    };
    assert!(!set.files.contains_key(&rec), "an intermediate is no input");

    let plugin = s.file("plugins/panda_new.so");
    run.mapped.insert(plugin.clone());
    s.emulator(&run);
    assert_eq!(
        s.record(started, &[]),
        Inputs::Unknown(Unobservable::ChangedWhileRunning {
            role: Role::Plugin,
            path: plugin
        })
    );
}

#[test]
fn unobservable_runs_give_unknown_inputs_with_the_reason() {
    let s = Scene::new();
    let bin = s.file("bin/panda-system-i386");
    // An emulator the watch saw that no engine command reported.
    assert_eq!(
        s.record(an_hour_ago(), &[(9, bin.clone())]),
        Inputs::Unknown(Unobservable::EmulatorNotThroughPtest { exe: bin.clone() })
    );
    // Its maps could not be read.
    let mut run = EmulatorRun {
        command: "replay".into(),
        pid: 9,
        binary: bin.clone(),
        observed: false,
        ..EmulatorRun::default()
    };
    s.emulator(&run);
    assert_eq!(
        s.record(an_hour_ago(), &[(9, bin.clone())]),
        Inputs::Unknown(Unobservable::MapsUnreadable {
            binary: bin.clone()
        })
    );
    // A library it mapped was replaced while it ran.
    run.observed = true;
    run.replaced = [s.root.join("lib/gone.so")].into();
    s.emulator(&run);
    assert!(matches!(
        s.record(an_hour_ago(), &[(9, bin)]),
        Inputs::Unknown(Unobservable::ChangedWhileRunning { .. })
    ));
    // A damaged report.
    std::fs::write(s.root.join("logs/inputs/emulator-9.json"), "{").unwrap();
    assert!(matches!(
        s.record(an_hour_ago(), &[]),
        Inputs::Unknown(Unobservable::Unreadable { .. })
    ));
}

#[test]
fn a_declared_glob_names_its_files_and_what_it_matched() {
    let mut s = Scene::new();
    let a = s.file("suite/data/a.txt");
    s.file("suite/data/b.bin");
    s.test.settings.inputs = vec!["../data/*.txt".into()];
    let ptest = s.root.join("ptest");
    let set = static_inputs(&s.stamps, &ptest, &s.test, &s.root.join("blessed")).unwrap();
    let declared: Vec<&PathBuf> = set
        .files
        .iter()
        .filter(|(_, f)| f.role == Role::Declared)
        .map(|(p, _)| p)
        .collect();
    assert_eq!(declared.len(), 1);
    assert!(declared[0].ends_with("data/a.txt"), "{declared:?} vs {a:?}");
    assert!(set.values.contains_key("declared ../data/*.txt"));
}
