//! Quoting and splitting words for a POSIX shell: the guest's `/init`, log lines, and
//! `ptest record`'s command for the QEMU engine. Pure string functions.

use crate::EngineError;

/// Single-quotes `arg` for a POSIX shell (plain words stay as they are).
pub fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-=:,+@%".contains(&b))
    {
        return arg.to_string();
    }
    format!("'{}'", arg.replace('\'', r"'\''"))
}

/// POSIX shell word splitting (quotes and backslashes; no expansions), as `shlex.split`.
pub fn shell_words(s: &str) -> Result<Vec<String>, EngineError> {
    let mut words = Vec::new();
    let mut cur: Option<String> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => words.extend(cur.take()),
            '\'' => {
                let w = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => w.push(x),
                        None => return Err(unclosed(s)),
                    }
                }
            }
            '"' => {
                let w = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => w.push(x),
                            Some(x) => {
                                w.push('\\');
                                w.push(x);
                            }
                            None => return Err(unclosed(s)),
                        },
                        Some(x) => w.push(x),
                        None => return Err(unclosed(s)),
                    }
                }
            }
            '\\' => {
                let w = cur.get_or_insert_with(String::new);
                w.extend(chars.next());
            }
            _ => cur.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(cur);
    Ok(words)
}

fn unclosed(s: &str) -> EngineError {
    EngineError::Usage(format!(
        "guest command {s:?}: unclosed quote; close it or quote the whole argument"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quote_leaves_plain_words_and_quotes_the_rest() {
        assert_eq!(shell_quote("/bin/ls"), "/bin/ls");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn shell_words_split_as_shlex() {
        let w = shell_words("guest:/bin/busybox sh -c 'echo one; echo two | wc -c; true'").unwrap();
        assert_eq!(
            w,
            [
                "guest:/bin/busybox",
                "sh",
                "-c",
                "echo one; echo two | wc -c; true"
            ]
        );
        assert_eq!(
            shell_words(r#"a "b \"c\" d" e\ f ''"#).unwrap(),
            ["a", "b \"c\" d", "e f", ""]
        );
        assert!(shell_words("a 'b").is_err());
    }
}
