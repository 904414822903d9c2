//! The `ptest_utils` Python helper existing scripts import: every name the issue lists,
//! the environment ptest gives scripts, what importing it imports, cwd independence, and the PANDA
//! helpers failing clearly without PANDA.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{PTEST, TestSuite, read};

/// The variables ptest.py's helper provided (issue 2), which scripts use after
/// `from ptest_utils import *`.
const VARIABLES: &[&str] = &[
    "testname",
    "pandaregressiondir",
    "testingscriptsdir",
    "replaydir",
    "blesseddir",
    "tmpoutdir",
    "miscdir",
    "tmpoutfile",
    "tmpfulloutfile",
    "search_string_file",
    "search_string_file_pfx",
    "enabled_tests",
    "disabled_tests",
];

/// The functions it provided.
const FUNCTIONS: &[&str] = &[
    "progress",
    "error",
    "file_exists",
    "dir_exists",
    "dir_required",
    "file_required",
    "clear_dir",
    "moveit",
    "create_search_string_file",
    "record_debian",
    "run_test_debian",
    "run_debian",
];

fn py_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// Run a test script that dumps `expr` (a Python expression, after
/// `from ptest_utils import *`) as JSON into its output; bless and return the value.
fn dump(s: &TestSuite, name: &str) -> serde_json::Value {
    s.ptest(&["bless", name]).code(0);
    let text = read(s.blessed(name).join(format!("{name}.out")));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn every_listed_name_is_exported_by_import_star() {
    let body = format!(
        "from ptest_utils import *\n\
         import json\n\
         g = globals()\n\
         missing = [n for n in {names} if n not in g]\n\
         not_callable = [n for n in {funcs} if n in g and not callable(g[n])]\n\
         with open(tmpoutfile, 'w') as f:\n    json.dump({{'missing': missing, 'not_callable': not_callable}}, f)\n",
        names = py_list(&[VARIABLES, FUNCTIONS].concat()),
        funcs = py_list(FUNCTIONS),
    );
    let s = TestSuite::new().py("names", &body);
    let v = dump(&s, "names");
    assert_eq!(v["missing"], serde_json::json!([]), "missing names");
    assert_eq!(v["not_callable"], serde_json::json!([]), "not callable");
}

#[test]
fn helper_paths_have_ptest_py_meanings() {
    let body = "from ptest_utils import *\n\
                import json\n\
                v = dict(testname=testname, pandaregressiondir=pandaregressiondir,\n\
                  testingscriptsdir=testingscriptsdir, replaydir=replaydir, blesseddir=blesseddir,\n\
                  tmpoutdir=tmpoutdir, miscdir=miscdir, tmpoutfile=tmpoutfile,\n\
                  tmpfulloutfile=tmpfulloutfile, search_string_file=search_string_file,\n\
                  search_string_file_pfx=search_string_file_pfx, enabled_tests=enabled_tests,\n\
                  disabled_tests=disabled_tests)\n\
                with open(tmpoutfile, 'w') as f:\n    json.dump(v, f)\n";
    // ptest.py's layout: testing/tests/config.testing, run from testing/.
    let s = TestSuite::new();
    let tests = s.dir.join("tests");
    std::fs::create_dir_all(tests.join("paths")).unwrap();
    std::fs::remove_file(s.dir.join("config.testing")).unwrap();
    std::fs::write(tests.join("config.testing"), "paths\n# other\nsecond\n").unwrap();
    std::fs::write(tests.join("paths/paths-test.py"), body).unwrap();
    let v = dump(&s, "paths");
    let reg = s.reg.display().to_string();
    let p = |rel: &str| format!("{reg}/{rel}");
    assert_eq!(v["testname"], "paths");
    assert_eq!(v["pandaregressiondir"], reg);
    assert_eq!(v["testingscriptsdir"], s.dir.display().to_string());
    assert_eq!(v["replaydir"], p("replays/paths"));
    assert_eq!(v["blesseddir"], p("blessed/paths"));
    assert_eq!(v["tmpoutdir"], p("tmpout/paths"));
    assert_eq!(v["miscdir"], p("misc/paths"));
    assert_eq!(v["tmpoutfile"], p("tmpout/paths/paths.out"));
    assert_eq!(v["search_string_file_pfx"], p("misc/paths/paths"));
    assert_eq!(
        v["search_string_file"],
        p("misc/paths/paths_search_strings.txt")
    );
    // The full output is kept, but never where it would be compared.
    let full = v["tmpfulloutfile"].as_str().unwrap();
    assert!(
        full.starts_with(&reg) && !full.contains("/tmpout/"),
        "{full}"
    );
    assert_eq!(v["enabled_tests"], serde_json::json!(["paths", "second"]));
    assert_eq!(v["disabled_tests"], serde_json::json!(["# other"]));
}

#[test]
fn scripts_get_the_documented_environment() {
    let body = "import json, os, sys\n\
                keys = ['PANDA_REGRESSION_DIR', 'PTEST_TEST', 'PTEST_TEST_DIR', 'PTEST_REPLAY_DIR',\n\
                  'PTEST_BLESSED_DIR', 'PTEST_TMPOUT_DIR', 'PTEST_MISC_DIR', 'PTEST_QCOW_DIR',\n\
                  'PTEST_OUTFILE', 'PTEST_MODE', 'PTEST_EXE', 'PYTHONPATH']\n\
                v = {k: os.environ.get(k) for k in keys}\n\
                v['cwd'] = os.getcwd()\n\
                v['argv0'] = sys.argv[0]\n\
                out = os.environ['PTEST_OUTFILE'] if os.environ['PTEST_MODE'] != 'setup' else \\\n\
                  os.path.join(os.environ['PTEST_MISC_DIR'], 'setup.json')\n\
                with open(out, 'w') as f:\n    json.dump(v, f)\n";
    let s = TestSuite::new().py("envy", body);
    s.write("envy/envy-setup.py", body);
    let run = s
        .cmd()
        .env("PYTHONPATH", "/users/own/path")
        .arg("init")
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let setup: serde_json::Value =
        serde_json::from_str(&read(s.misc("envy").join("setup.json"))).unwrap();
    assert_eq!(setup["PTEST_MODE"], "setup");
    s.cmd()
        .env("PYTHONPATH", "/users/own/path")
        .arg("bless")
        .assert()
        .code(0);
    let v: serde_json::Value =
        serde_json::from_str(&read(s.blessed("envy").join("envy.out"))).unwrap();
    let reg = s.reg.display().to_string();
    let p = |rel: &str| serde_json::Value::from(format!("{reg}/{rel}"));
    let test_dir = s.dir.join("envy").display().to_string();
    assert_eq!(
        v["PANDA_REGRESSION_DIR"],
        serde_json::Value::from(reg.clone())
    );
    assert_eq!(v["PTEST_TEST"], "envy");
    assert_eq!(
        v["PTEST_TEST_DIR"],
        serde_json::Value::from(test_dir.clone())
    );
    assert_eq!(v["PTEST_REPLAY_DIR"], p("replays/envy"));
    assert_eq!(v["PTEST_BLESSED_DIR"], p("blessed/envy"));
    assert_eq!(v["PTEST_TMPOUT_DIR"], p("tmpout/envy"));
    assert_eq!(v["PTEST_MISC_DIR"], p("misc/envy"));
    assert_eq!(v["PTEST_QCOW_DIR"], p("qcows"));
    assert_eq!(v["PTEST_OUTFILE"], p("tmpout/envy/envy.out"));
    assert_eq!(v["PTEST_MODE"], "bless");
    let exe = PathBuf::from(v["PTEST_EXE"].as_str().unwrap());
    assert_eq!(
        exe.canonicalize().unwrap(),
        Path::new(PTEST).canonicalize().unwrap()
    );
    // The helper's folder first, the user's PYTHONPATH kept after it.
    let pythonpath = v["PYTHONPATH"].as_str().unwrap();
    let (first, rest) = pythonpath.split_once(':').expect("two entries");
    assert!(Path::new(first).join("ptest_utils.py").is_file(), "{first}");
    assert_eq!(rest, "/users/own/path");
    // Run in the test's folder.
    assert_eq!(v["cwd"], serde_json::Value::from(test_dir));
    // The test run says `test`.
    s.ptest(&["test"])
        .code(100)
        .says(&["PTEST_MODE", "bless", "test"]);
}

/// The folder ptest wrote the helper into, after any run.
fn helper_dir(s: &TestSuite) -> PathBuf {
    let dir = s.reg.join(".ptest/python");
    assert!(
        dir.join("ptest_utils.py").is_file(),
        "no helper in {}",
        dir.display()
    );
    dir
}

/// `python3 -c CODE` in `cwd` with the environment of a script of test `name`.
fn python(s: &TestSuite, name: &str, cwd: &Path, code: &str) -> std::process::Output {
    let reg = &s.reg;
    Command::new("python3")
        .arg("-c")
        .arg(code)
        .current_dir(cwd)
        .env("PYTHONPATH", helper_dir(s))
        .env("PANDA_REGRESSION_DIR", reg)
        .env("PTEST_TEST", name)
        .env("PTEST_SUITE_DIR", &s.dir)
        .env("PTEST_TMPOUT_DIR", reg.join("tmpout").join(name))
        .env("PTEST_MISC_DIR", reg.join("misc").join(name))
        .env_remove("PANDA_BUILD")
        .output()
        .expect("python3")
}

/// Modules the helper must not import when a script imports it: the original's own
/// (`colorama`, `run_debian`), and what only `record_debian` needs or nothing does.
/// (Its import time is in BENCHMARKS.md, "ptest_utils import time": speed is measured
/// there, not asserted here.)
const HEAVY: &[&str] = &[
    "colorama",
    "run_debian",
    "argparse",
    "shlex",
    "gettext",
    "json",
    "ctypes",
    "asyncio",
    "multiprocessing",
    "concurrent.futures",
    "logging",
    "ssl",
    "http.client",
    "urllib.request",
    "email",
];

#[test]
fn importing_imports_nothing_heavy() {
    let s = TestSuite::new().sh("a", "echo x > \"$PTEST_OUTFILE\"");
    s.ptest(&["bless"]).code(0);
    // `-S`: without `site`, whose `.pth` files import things of their own, every module
    // in sys.modules after the import is there because of the helper or the interpreter.
    // The same check after `record_debian`'s option parsing shows it can see an import.
    let code = format!(
        "import sys\n\
         heavy = {}\n\
         import ptest_utils\n\
         print([m for m in heavy if m in sys.modules])\n\
         ptest_utils._run_debian_args(['guest:/bin/true'])\n\
         print([m for m in heavy if m in sys.modules])",
        py_list(HEAVY)
    );
    let out = Command::new("python3")
        .args(["-S", "-c", &code])
        .current_dir(&s.dir)
        .env("PYTHONPATH", helper_dir(&s))
        .env("PANDA_REGRESSION_DIR", &s.reg)
        .env("PTEST_TEST", "a")
        .env("PTEST_SUITE_DIR", &s.dir)
        .env_remove("PANDA_BUILD")
        .output()
        .expect("python3");
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[0], "[]", "imported at module load: {}", lines[0]);
    assert!(lines[1].contains("'argparse'"), "{stdout}");
}

#[test]
fn works_with_the_working_directory_anywhere() {
    // A script that changes directory before importing, as old scripts did with chdir.
    let s = TestSuite::new()
        .line("#off")
        .py(
            "roam",
            "import os\n\
             os.chdir('/')\n\
             from ptest_utils import *\n\
             os.chdir(tmpoutdir)\n\
             with open(os.path.basename(tmpoutfile), 'w') as f:\n    f.write('%s %s\\n' % (enabled_tests, disabled_tests))\n",
        );
    s.ptest(&["bless"]).code(0);
    assert_eq!(
        read(s.blessed("roam").join("roam.out")),
        "['roam'] ['#off']\n"
    );
    // Imported from elsewhere with relative paths nowhere in sight.
    let out = python(
        &s,
        "roam",
        Path::new("/"),
        "from ptest_utils import *\nimport os\nprint(os.path.isabs(tmpoutfile), tmpoutfile, enabled_tests)",
    );
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!(
            "True {}/tmpout/roam/roam.out ['roam']",
            s.reg.display()
        )),
        "{text}"
    );
}

#[test]
fn outside_ptest_the_helper_says_how_to_run_it() {
    let s = TestSuite::new().sh("a", "echo x > \"$PTEST_OUTFILE\"");
    s.ptest(&["bless"]).code(0);
    let out = Command::new("python3")
        .args(["-c", "import ptest_utils"])
        .env("PYTHONPATH", helper_dir(&s))
        .env_remove("PANDA_REGRESSION_DIR")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("PANDA_REGRESSION_DIR") && err.contains("ptest"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn file_helpers_behave_as_in_ptest_py() {
    let s = TestSuite::new().py(
        "files",
        "from ptest_utils import *\n\
         import os\n\
         progress('hello from ' + testname)\n\
         error('a reported problem')\n\
         assert dir_exists(miscdir) and not dir_exists(tmpoutfile)\n\
         create_search_string_file('needle')\n\
         assert file_exists(search_string_file)\n\
         assert open(search_string_file).read() == 'needle\\n'\n\
         d = os.path.join(miscdir, 'scratch')\n\
         os.makedirs(d, exist_ok=True)\n\
         open(os.path.join(d, 'junk'), 'w').write('x')\n\
         clear_dir(d)\n\
         assert dir_exists(d) and os.listdir(d) == []\n\
         open(os.path.join(miscdir, 'rr-nondet.log'), 'w').write('rec')\n\
         moveit(os.path.join(miscdir, 'rr-'), os.path.join(miscdir, 'moved-'), 'nondet.log')\n\
         assert file_exists(os.path.join(miscdir, 'moved-nondet.log'))\n\
         file_required(search_string_file)\n\
         dir_required(replaydir)\n\
         open(tmpoutfile, 'w').write('ok\\n')\n\
         dir_required(os.path.join(miscdir, 'absent'))\n\
         open(tmpoutfile, 'w').write('dir_required did not exit\\n')\n",
    );
    let run = s.ptest(&["bless"]);
    // dir_required on a missing folder exits 1, as in ptest.py.
    run.code(100).says(&["exited with code 1", "absent"]);
    let log = read(s.reg.join("logs/files/bless.log"));
    assert!(log.contains("hello from files"), "{log}");
    assert!(log.contains("a reported problem"), "{log}");
    assert!(log.contains("moving"), "{log}");
}

/// A test replaying `replay1` through `run_test_debian`, with PANDA nowhere to be found.
fn replaying() -> TestSuite {
    TestSuite::new().py(
        "replay1",
        "from ptest_utils import *\n\
         run_test_debian('-panda stringsearch', 'replay1', 'i386')\n",
    )
}

fn bless_without_panda(s: &TestSuite) -> String {
    let run: common::Run = s
        .cmd()
        .env("PATH", "/usr/bin:/bin")
        .arg("bless")
        .output()
        .unwrap()
        .into();
    run.code(100);
    assert_eq!(run.status_of("replay1"), "ERROR");
    // It must not have blessed its failure note.
    assert!(!s.blessed("replay1").join("replay1.out").exists());
    read(s.reg.join("logs/replay1/bless.log"))
}

#[test]
fn run_test_debian_without_panda_fails_with_a_clear_message() {
    // A PANDA recording (nondet log: instruction count first) exists; PANDA does not.
    let s = replaying().setup_sh(
        "replay1",
        "printf '\\100\\000\\000\\000\\000\\000\\000\\000' > \"$PTEST_REPLAY_DIR/replay1-rr-nondet.log\"\n\
         echo snapshot > \"$PTEST_REPLAY_DIR/replay1-rr-snp\"",
    );
    s.ptest(&["setup"]).code(0);
    let log = bless_without_panda(&s);
    assert!(
        log.contains("PANDA not found") && log.contains("PANDA_BUILD"),
        "no clear message in the log:\n{log}"
    );
}

#[test]
fn run_test_debian_without_a_recording_says_to_record_it() {
    let s = replaying();
    let log = bless_without_panda(&s);
    assert!(
        log.contains("replay1") && log.contains("record it first"),
        "no clear message in the log:\n{log}"
    );
}

#[test]
fn a_script_run_by_hand_finds_its_test_name_as_with_ptest_py() {
    // ptest.py users ran `./NAME-test.py` directly; with only PANDA_REGRESSION_DIR set,
    // the helper derives NAME from the script's file name.
    let s = TestSuite::new().py(
        "byhand",
        "from ptest_utils import *\nprint(testname, tmpoutfile, replaydir)\n",
    );
    s.ptest(&["bless"]).code(100); // prints instead of writing: no output
    let script = s.dir.join("byhand/byhand-test.py");
    let out = Command::new("python3")
        .arg(&script)
        .current_dir("/")
        .env("PYTHONPATH", helper_dir(&s))
        .env("PANDA_REGRESSION_DIR", &s.reg)
        .env_remove("PTEST_TEST")
        .env_remove("PTEST_SUITE_DIR")
        .env_remove("PTEST_OUTFILE")
        .env_remove("PTEST_TMPOUT_DIR")
        .env_remove("PTEST_REPLAY_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let reg = s.reg.display();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("byhand {reg}/tmpout/byhand/byhand.out {reg}/replays/byhand\n")
    );
}
