//! What the README states about the command line holds: its exit-code table has one row
//! per code, the codes of `src/exit_code.rs`; it and `ptest --help` say the same about
//! where options stand.

mod common;

use ptest::exit_code;

const README: &str = include_str!("../README.md");

/// The codes in the first column of the table headed `| exit code | meaning |`.
fn exit_code_rows() -> Vec<i32> {
    let table = README
        .split_once("| exit code | meaning |")
        .expect("README.md has an exit-code table")
        .1;
    table
        .lines()
        .skip(2)
        // The table ends at the first line that is not a row (a blank one included).
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let code = l
                .trim_start_matches('|')
                .split('|')
                .next()
                .unwrap_or("")
                .trim();
            code.parse()
                .unwrap_or_else(|_| panic!("README.md exit-code row without a code: {l}"))
        })
        .collect()
}

#[test]
fn the_exit_code_table_has_one_row_per_code() {
    let rows = exit_code_rows();
    let all = [
        exit_code::OK,
        exit_code::DIFFERENT,
        exit_code::USAGE,
        exit_code::ENGINE_FAILED,
        exit_code::TESTS_FAILED,
        exit_code::INTERRUPTED,
    ];
    assert_eq!(
        rows, all,
        "README.md's exit-code table, in order, once each"
    );
}

#[test]
fn help_and_readme_say_the_same_about_where_options_stand() {
    let help = common::TestSuite::new().ptest(&["--help"]);
    help.code(0);
    let flat = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let sentence = flat(ptest::cli::OPTION_PLACES);
    assert!(flat(&help.stdout).contains(&sentence), "{}", help.stdout);
    assert!(
        flat(README).contains(&sentence),
        "README.md should say, as `ptest --help` does: {sentence}"
    );
    for option in ["--failed", "--partition"] {
        assert!(help.stdout.contains(option), "{option}: {}", help.stdout);
    }
}
