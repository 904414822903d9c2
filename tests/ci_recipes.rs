//! The CI recipes in README.md ("Running on many machines") are code users copy: every
//! ```yaml block must parse, and every `ptest …` command line in its `run:` (GitHub
//! Actions) and `script:` (GitLab CI) steps must be accepted by the real binary's argument
//! parser as the subcommand it names — so a renamed command, flag or value syntax breaks
//! this test instead of users' pipelines.

mod common;

use serde_yaml_ng::Value;

const README: &str = include_str!("../README.md");

/// The bodies of the README's ```yaml blocks.
fn yaml_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.trim_start().starts_with("```yaml") => current = Some(String::new()),
            Some(block) if line.trim_start().starts_with("```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    assert!(
        current.is_none(),
        "README.md: a ```yaml block is not closed"
    );
    blocks
}

/// Every shell text under a `run:` or `script:` key (a string or a list of strings).
fn shell_steps(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Mapping(map) => {
            for (key, v) in map {
                let is_shell = matches!(key.as_str(), Some("run" | "script"));
                match v {
                    Value::String(s) if is_shell => out.push(s.clone()),
                    Value::Sequence(items) if is_shell => {
                        out.extend(items.iter().filter_map(|i| i.as_str().map(String::from)))
                    }
                    _ => shell_steps(v, out),
                }
            }
        }
        Value::Sequence(items) => items.iter().for_each(|i| shell_steps(i, out)),
        Value::Tagged(tagged) => shell_steps(&tagged.value, out),
        _ => {}
    }
}

/// The arguments of each `ptest …` line in `shell` (continuation lines joined), with CI
/// expressions (`${{ matrix.shard }}`, `${CI_NODE_INDEX}`, `$VAR`) replaced by `1`, which
/// makes every `K/N` shard `1/N` or `1/1`: valid.
fn ptest_lines(shell: &str) -> Vec<Vec<String>> {
    let joined = shell.replace("\\\n", " ");
    let expression =
        regex::Regex::new(r"\$\{\{[^}]*\}\}|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*")
            .expect("regex");
    joined
        .lines()
        .filter_map(|line| {
            let line = expression.replace_all(line.trim(), "1");
            let mut words = line.split_whitespace();
            (words.next() == Some("ptest")).then(|| {
                words
                    .take_while(|w| !w.starts_with('#') && !matches!(*w, "|" | "||" | "&&" | ";"))
                    .map(|w| w.trim_matches(|c| c == '"' || c == '\'').to_string())
                    .collect()
            })
        })
        .collect()
}

#[test]
fn every_ptest_command_in_the_readme_ci_recipes_exists_with_its_flags() {
    let blocks = yaml_blocks(README);
    assert!(
        blocks.len() >= 2,
        "README.md should hold the GitHub Actions and GitLab CI recipes as ```yaml blocks; found {}",
        blocks.len()
    );
    let mut checked = 0;
    for (i, block) in blocks.iter().enumerate() {
        let doc: Value = serde_yaml_ng::from_str(block)
            .unwrap_or_else(|e| panic!("README.md yaml block {}: {e}\n{block}", i + 1));
        let mut steps = Vec::new();
        shell_steps(&doc, &mut steps);
        let lines: Vec<Vec<String>> = steps.iter().flat_map(|s| ptest_lines(s)).collect();
        assert!(
            lines.len() >= 2,
            "README.md yaml block {}: expected a shard and a merge command, found {lines:?}",
            i + 1
        );
        for args in lines {
            check(&args);
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} ptest command(s) checked");
}

/// `ptest ARGS --help`: clap checks every subcommand, flag and value before printing
/// help, and the help it prints names the subcommand the line meant (a renamed subcommand
/// would otherwise be taken for a test name of the default command).
fn check(args: &[String]) {
    let out = std::process::Command::new(common::PTEST)
        .args(args)
        .arg("--help")
        .env("NO_COLOR", "1")
        .output()
        .expect("run ptest");
    let shown = format!("ptest {}", args.join(" "));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "README.md CI recipe: `{shown}` is refused by ptest:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let usage = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Usage: ptest"))
        .unwrap_or_else(|| panic!("`{shown} --help` printed no usage line:\n{stdout}"));
    let command: Vec<&str> = usage
        .split_whitespace()
        .take_while(|w| !w.starts_with('[') && !w.starts_with('<'))
        .collect();
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|w| !w.starts_with('-'))
        .collect();
    assert!(
        !command.is_empty() && words.starts_with(&command),
        "README.md CI recipe: `{shown}` is not read as a subcommand (ptest shows usage `ptest{usage}`)"
    );
}

#[test]
fn the_checker_catches_a_renamed_flag_and_a_renamed_subcommand() {
    let bad = [
        "ptest test --partition hash:1/4 --jsonn shard-1.json",
        "ptest test --partition hash:1:4 --json shard-1.json",
        "ptest reports merge shard-*.json --json all.json",
    ];
    for line in bad {
        let args = &ptest_lines(line)[0];
        let caught = std::panic::catch_unwind(|| check(args));
        assert!(caught.is_err(), "`{line}` passed the check");
    }
    check(&ptest_lines("ptest report merge shard-*.json --json all.json")[0]);
}
