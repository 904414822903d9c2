//! Bad input: every case gets a clear message naming the file, line or test, never a
//! panic, and never loses a blessed reference.

mod common;

use common::{Run, TestSuite, no_panic, ok_test, read};

#[test]
fn bad_names_in_config_testing_are_errors_naming_the_line() {
    for (bad, why) in [
        ("a/b", "path separator"),
        ("../up", ".."),
        ("x..y", ".."),
        ("two words", "whitespace"),
        // Hidden names would collide with bless's staging folders (`.NAME.old`).
        (".a.old", "starts with `.`"),
    ] {
        let s = ok_test(TestSuite::new(), "good")
            .line("# a comment")
            .line(bad);
        let run = s.ptest(&["test"]);
        no_panic(&run);
        run.code(2);
        let path = s.dir.join("config.testing");
        run.says(&[&format!("{}:3: ", path.display()), bad, why]);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.all());
        assert!(
            !s.reg.exists(),
            "{bad}: ptest created the regression dir anyway"
        );
    }
}

#[test]
fn duplicate_name_is_an_error_naming_both_lines() {
    let s = ok_test(ok_test(TestSuite::new(), "a"), "b").line("a");
    let run = s.ptest(&["list"]);
    no_panic(&run);
    run.code(2).says(&["config.testing:3: ", "\"a\"", "line 1"]);
}

#[test]
fn missing_folder_or_test_script_errors_that_test_only() {
    let s = ok_test(TestSuite::new(), "good")
        .line("nofolder")
        .setup_sh("noscript", "true")
        .line("noscript");
    let run = s.ptest(&["bless"]);
    no_panic(&run);
    run.code(100);
    assert_eq!(run.status_of("good"), "PASS");
    assert_eq!(run.status_of("nofolder"), "ERROR");
    assert_eq!(run.status_of("noscript"), "ERROR");
    run.says(&[
        "test folder",
        "nofolder is missing",
        "no test script in",
        "noscript-test.py",
        "1 passed, 2 errored",
    ]);
    assert!(s.blessed("good").join("good.out").is_file());
}

#[test]
fn script_without_extension_must_be_executable() {
    let s = ok_test(TestSuite::new(), "good").line("plain");
    s.write(
        "plain/plain-test",
        "#!/bin/sh\necho x > \"$PTEST_OUTFILE\"\n",
    );
    let run = s.ptest(&["bless"]);
    no_panic(&run);
    run.code(100)
        .says(&["plain-test is not executable", "chmod +x", "plain-test.py"]);
    assert_eq!(run.status_of("plain"), "ERROR");
    assert_eq!(run.status_of("good"), "PASS");
    // Once executable, it runs (directly, by its shebang).
    s.exe(
        "plain/plain-test",
        "#!/bin/sh\necho x > \"$PTEST_OUTFILE\"\n",
    );
    s.ptest(&["bless"]).code(0);
}

#[test]
fn script_whose_shebang_interpreter_is_missing_names_it() {
    let s = ok_test(TestSuite::new(), "good").line("old").line("crlf");
    s.exe("old/old-test", "#!/usr/bin/python2\nprint 'hi'\n");
    s.exe(
        "crlf/crlf-test",
        "#!/bin/sh\r\necho x > \"$PTEST_OUTFILE\"\r\n",
    );
    let run = s.ptest(&["bless"]);
    no_panic(&run);
    run.code(100);
    assert_eq!(run.status_of("good"), "PASS");
    let old = run.line_of("old");
    assert!(
        old.contains("\"/usr/bin/python2\"") && old.contains("#!"),
        "{old}"
    );
    let crlf = run.line_of("crlf");
    assert!(
        crlf.contains("\"/bin/sh\\r\"") && crlf.contains("CRLF"),
        "{crlf}"
    );
}

#[test]
fn missing_interpreter_errors_python_tests_with_the_fix() {
    let s = ok_test(TestSuite::new(), "shell").py(
        "py",
        "from ptest_utils import *\nopen(tmpoutfile, 'w').write('x')\n",
    );
    let run = s.ptest(&["bless", "--python", "/nonexistent/python3"]);
    no_panic(&run);
    run.code(100).says(&["/nonexistent/python3", "--python"]);
    assert_eq!(run.status_of("py"), "ERROR");
    assert_eq!(run.status_of("shell"), "PASS");
    // The same from ptest.toml.
    let s = s.ptest_toml("python = \"/nonexistent/python3\"\n");
    let run = s.ptest(&["bless", "py"]);
    run.code(100).says(&["/nonexistent/python3"]);
}

#[test]
fn symlink_output_is_refused_by_bless_and_flagged_by_test() {
    let s = TestSuite::new().sh(
        "a",
        "echo real > \"$PTEST_OUTFILE\"\n\
         if [ -e \"$PTEST_SCRATCH/link\" ]; then ln -s /etc/hostname \"$PTEST_TMPOUT_DIR/link.out\"; fi",
    );
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.scratch("link"), "").unwrap();
    let run = s.ptest(&["bless"]);
    no_panic(&run);
    run.code(100)
        .says(&["link.out", "symbolic link", "not blessed"]);
    assert_eq!(run.status_of("a"), "ERROR");
    // The old reference is intact and holds no link.
    assert_eq!(read(s.blessed("a").join("a.out")), "real\n");
    assert!(!s.blessed("a").join("link.out").exists());
    let run = s.ptest(&["test"]);
    no_panic(&run);
    run.code(100).says(&["link.out", "symbolic link"]);
}

#[test]
fn fifo_output_is_refused_without_hanging() {
    let s = TestSuite::new().sh(
        "a",
        "echo real > \"$PTEST_OUTFILE\"\n\
         if [ -e \"$PTEST_SCRATCH/fifo\" ]; then mkfifo \"$PTEST_TMPOUT_DIR/pipe.out\"; fi",
    );
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.scratch("fifo"), "").unwrap();
    // A FIFO opened for reading would block forever; `RUN_LIMIT` catches a hang.
    let run = s.ptest(&["test"]);
    no_panic(&run);
    run.code(100).says(&["pipe.out", "FIFO"]);
    let run = s.ptest(&["bless"]);
    run.code(100).says(&["pipe.out", "FIFO", "not blessed"]);
    assert_eq!(read(s.blessed("a").join("a.out")), "real\n");
    assert!(!s.blessed("a").join("pipe.out").exists());
}

#[test]
fn non_utf8_file_name_is_refused_naming_it() {
    let s = TestSuite::new().sh(
        "a",
        "echo real > \"$PTEST_OUTFILE\"\n\
         if [ -e \"$PTEST_SCRATCH/bad\" ]; then echo x > \"$PTEST_TMPOUT_DIR/$(printf 'bad\\377name')\"; fi",
    );
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.scratch("bad"), "").unwrap();
    let run = s.ptest(&["bless"]);
    no_panic(&run);
    run.code(100).says(&["bad", "UTF-8"]);
    assert_eq!(run.status_of("a"), "ERROR");
    assert_eq!(common::tree(&s.blessed("a")).len(), 1);
    let run = s.ptest(&["test"]);
    no_panic(&run);
    run.code(100).says(&["bad", "UTF-8"]);
}

#[test]
fn unwritable_regression_dir_is_a_clear_error() {
    // Root ignores permission bits, so use a path that cannot be a directory for anyone:
    // one below a regular file.
    let s = ok_test(TestSuite::new(), "a");
    let file = s.scratch("plain-file");
    std::fs::write(&file, "not a directory").unwrap();
    let reg = file.join("reg");
    for cmd in ["init", "bless", "test", "setup"] {
        let run: Run = s
            .cmd()
            .env("PANDA_REGRESSION_DIR", &reg)
            .arg(cmd)
            .output()
            .unwrap()
            .into();
        no_panic(&run);
        run.code(2).says(&[&file.display().to_string()]);
        assert_eq!(run.stderr.lines().count(), 1, "{cmd}: {}", run.all());
    }
    assert_eq!(read(&file), "not a directory");
}

#[test]
fn regression_dir_that_is_a_file_is_named_as_such() {
    let s = ok_test(TestSuite::new(), "a");
    std::fs::write(&s.reg, "a file").unwrap();
    for cmd in ["test", "init", "bless"] {
        let run = s.ptest(&[cmd]);
        no_panic(&run);
        run.code(2).says(&["is a file, not a directory"]);
    }
    assert_eq!(read(&s.reg), "a file");
}

#[test]
fn regression_dir_may_be_a_link_to_a_directory() {
    // Users keep the big directory elsewhere and link to it: the root is theirs to
    // choose; only links inside it are refused.
    let s = ok_test(TestSuite::new(), "a");
    let real = s.scratch("real-reg");
    std::fs::create_dir_all(&real).unwrap();
    std::os::unix::fs::symlink(&real, &s.reg).unwrap();
    s.ptest(&["init"]).code(0);
    s.ptest(&["bless"]).code(0);
    s.ptest(&["test"]).code(0);
    assert_eq!(read(real.join("blessed/a/a.out")), "ok\n");
}

#[test]
fn tmpout_that_cannot_be_written_errors_the_test_and_keeps_the_reference() {
    let s = ok_test(ok_test(TestSuite::new(), "a"), "b");
    s.ptest(&["bless"]).code(0);
    // tmpout/a is a file now: nothing can be written there, even as root.
    let tmpout = s.tmpout("a");
    let _ = std::fs::remove_dir_all(&tmpout); // bless moved it into blessed/
    std::fs::write(&tmpout, "in the way").unwrap();
    for cmd in ["bless", "test"] {
        let run = s.ptest(&[cmd]);
        no_panic(&run);
        run.code(100).says(&[&tmpout.display().to_string()]);
        assert_eq!(run.status_of("a"), "ERROR");
        assert_eq!(run.status_of("b"), "PASS");
        assert_eq!(read(s.blessed("a").join("a.out")), "ok\n");
    }
}

#[test]
fn state_folder_that_is_a_file_is_a_clear_error() {
    let s = ok_test(TestSuite::new(), "a");
    s.ptest(&["bless"]).code(0);
    let state = s.reg.join(".ptest");
    std::fs::remove_dir_all(&state).unwrap();
    std::fs::write(&state, "").unwrap();
    let run = s.ptest(&["test"]);
    no_panic(&run);
    run.code(2).says(&[".ptest"]);
    assert_eq!(read(s.blessed("a").join("a.out")), "ok\n");
}

#[test]
fn malformed_toml_names_file_and_line() {
    let s =
        ok_test(TestSuite::new(), "a").ptest_toml("timeout = \"2m\"\n[compare\nmode = \"text\"\n");
    let run = s.ptest(&["test"]);
    no_panic(&run);
    let path = s.dir.join("ptest.toml");
    run.code(2).says(&[&format!("{}:2:", path.display())]);

    let s = ok_test(TestSuite::new(), "a").test_toml("a", "retries = 1\nthreads = = 2\n");
    let run = s.ptest(&["test"]);
    no_panic(&run);
    let path = s.dir.join("a/test.toml");
    run.code(2).says(&[&format!("{}:2:", path.display())]);
}

#[test]
fn unknown_keys_name_file_line_and_key() {
    let s = ok_test(TestSuite::new(), "a").ptest_toml("timeout = \"2m\"\n\ntimeuot = \"5m\"\n");
    let run = s.ptest(&["test"]);
    no_panic(&run);
    let path = s.dir.join("ptest.toml");
    run.code(2)
        .says(&[&format!("{}:3:", path.display()), "timeuot"]);

    let s =
        ok_test(TestSuite::new(), "a").test_toml("a", "[compare]\nmode = \"text\"\nmodez = 1\n");
    let run = s.ptest(&["test"]);
    no_panic(&run);
    let path = s.dir.join("a/test.toml");
    run.code(2)
        .says(&[&format!("{}:3:", path.display()), "modez"]);
    // A suite-only key in a test's file names the line and where it belongs.
    let s = ok_test(TestSuite::new(), "a").test_toml("a", "retries = 1\njobs = 4\n");
    s.ptest(&["test"])
        .code(2)
        .says(&["a/test.toml:2:", "ptest.toml"]);
}

#[test]
fn invalid_values_in_config_are_errors_naming_the_file() {
    let s = ok_test(TestSuite::new(), "a").test_toml("a", "[compare]\nmode = \"fuzzy\"\n");
    s.ptest(&["test"])
        .code(2)
        .says(&["a/test.toml", "fuzzy", "exact"]);
    let s = ok_test(TestSuite::new(), "a").ptest_toml("[[filters]]\nregex = \"(unclosed\"\n");
    s.ptest(&["test"])
        .code(2)
        .says(&["ptest.toml", "(unclosed"]);
    let s = ok_test(TestSuite::new(), "a").ptest_toml("[[filters]]\npreset = \"no-such-preset\"\n");
    s.ptest(&["test"])
        .code(2)
        .says(&["ptest.toml", "no-such-preset"]);
}

#[test]
fn no_regression_dir_gives_a_one_line_hint() {
    let s = ok_test(TestSuite::new(), "a");
    for cmd in ["test", "bless", "init", "accept", "diff", "clean"] {
        let mut c = s.cmd();
        c.env_remove("PANDA_REGRESSION_DIR").arg(cmd);
        if cmd == "clean" {
            c.arg("--orphans");
        }
        let run: Run = c.output().unwrap().into();
        no_panic(&run);
        run.code(2)
            .says(&["PANDA_REGRESSION_DIR", "--regression-dir"]);
        assert_eq!(run.stderr.lines().count(), 1, "{cmd}: {}", run.all());
    }
}

#[test]
fn empty_regression_dir_variable_gives_the_same_hint() {
    let s = ok_test(TestSuite::new(), "a");
    let run: Run = s
        .cmd()
        .env("PANDA_REGRESSION_DIR", "")
        .arg("test")
        .output()
        .unwrap()
        .into();
    no_panic(&run);
    run.code(2)
        .says(&["no regression directory", "PANDA_REGRESSION_DIR"]);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.all());
}

#[test]
fn non_utf8_config_testing_names_the_line() {
    let s = TestSuite::new();
    std::fs::write(s.dir.join("config.testing"), b"ok\nbad\xffname\n").unwrap();
    let run = s.ptest(&["test"]);
    no_panic(&run);
    run.code(2).says(&["config.testing:2:", "UTF-8"]);
}

#[test]
fn no_config_testing_says_where_it_looked() {
    let s = TestSuite::new();
    std::fs::remove_file(s.dir.join("config.testing")).unwrap();
    let run = s.ptest(&["test"]);
    no_panic(&run);
    run.code(2).says(&["no config.testing", "--suite"]);
}

#[test]
fn init_refuses_a_foreign_non_empty_directory() {
    let s = ok_test(TestSuite::new(), "a");
    std::fs::create_dir_all(&s.reg).unwrap();
    std::fs::write(s.reg.join("thesis.tex"), "precious").unwrap();
    for cmd in ["init", "bless", "test"] {
        let run = s.ptest(&[cmd]);
        no_panic(&run);
        run.code(2).says(&["not a ptest regression directory"]);
    }
    assert_eq!(
        std::fs::read_dir(&s.reg).unwrap().count(),
        1,
        "ptest wrote into it"
    );
    assert_eq!(read(s.reg.join("thesis.tex")), "precious");
    // --force adopts it, still without deleting what it did not create.
    s.ptest(&["init", "--force"]).code(0);
    assert_eq!(read(s.reg.join("thesis.tex")), "precious");
    assert!(s.reg.join("blessed/a").is_dir());
}

#[test]
fn init_never_deletes_blessed_references() {
    let s = ok_test(TestSuite::new(), "a").setup_sh("a", "echo rec > \"$PTEST_REPLAY_DIR/a.rr\"");
    s.ptest(&["init"]).code(0);
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.reg.join("misc/a/notes.txt"), "mine").unwrap();
    s.ptest(&["init"]).code(0);
    s.ptest(&["init", "--force"]).code(0);
    assert_eq!(read(s.blessed("a").join("a.out")), "ok\n");
    assert_eq!(read(s.reg.join("misc/a/notes.txt")), "mine");
    s.ptest(&["test"]).code(0);
}

#[test]
fn init_never_follows_a_link_out_of_the_regression_dir() {
    let s = ok_test(TestSuite::new(), "a");
    s.ptest(&["init"]).code(0);
    let outside = s.scratch("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("keep.txt"), "keep").unwrap();
    std::fs::remove_dir_all(s.reg.join("blessed")).unwrap();
    std::os::unix::fs::symlink(&outside, s.reg.join("blessed")).unwrap();
    let run = s.ptest(&["init"]);
    no_panic(&run);
    run.code(2).says(&["blessed", "symbolic link"]);
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        1,
        "init wrote outside the regression directory"
    );
    // --force replaces the link itself, never its target.
    s.ptest(&["init", "--force"]).code(0);
    assert!(!s.reg.join("blessed").is_symlink());
    assert_eq!(read(outside.join("keep.txt")), "keep");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1);
}

#[test]
fn bad_timeout_on_the_command_line_is_a_usage_error() {
    let s = ok_test(TestSuite::new(), "a");
    let run = s.ptest(&["test", "--timeout", "forever"]);
    no_panic(&run);
    run.code(2).says(&["90s"]);
}
