//! Text and numbers for people: the one size formatter of every report and listing, the
//! one flattener of multi-line library errors into one-line messages, and the one renderer
//! of control characters for the terminal ([`visible`]).

use std::borrow::Cow;

/// `text` safe to print on a terminal: C0 control characters in caret notation, as `cat
/// -v` shows them (ESC → `^[`, BEL → `^G`, a newline → `^J`), DEL as `^?`, other control
/// characters as U+FFFD; tabs stay. File names, diff lines, log lines and script notices
/// pass through it, so that no output of a test can retitle, recolour or rewrite the
/// terminal, or split one entry into two lines. Data (the JSON report, `state.json`) stays
/// raw.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\t' && c.is_control()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push(c),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            '\u{7f}' => out.push_str("^?"),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod visible_tests {
    #[test]
    fn controls_in_caret_notation_tabs_and_text_kept() {
        assert_eq!(super::visible("plain\ttext é"), "plain\ttext é");
        assert_eq!(
            super::visible("a\x1b]0;t\x07\nb\x7f\u{9b}"),
            "a^[]0;t^G^Jb^?\u{fffd}"
        );
    }
}

/// `12 B`, `2.0 KiB`, `3.5 MiB`, `1.2 GiB`.
pub fn size(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// A size as people write it: bytes, or a number with a binary unit `K`, `M`, `G`, `T`
/// (`KiB`, `MiB` … and `KB` … read the same): `512M`, `32G`, `1.5GiB`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let shift = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches('B')
        .trim_end_matches('I')
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => {
            return Err(format!(
                "{text:?} is not a size; write bytes or a number with K, M, G or T (e.g. 512M, 32G)"
            ));
        }
    };
    let n: f64 = number.parse().map_err(|_| {
        format!(
            "{text:?} is not a size; write bytes or a number with K, M, G or T (e.g. 512M, 32G)"
        )
    })?;
    let bytes = n * (1u64 << shift) as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(format!("{text:?} is too large"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_are_parsed_with_binary_units() {
        assert_eq!(super::parse_size("512"), Ok(512));
        assert_eq!(super::parse_size("1M"), Ok(1 << 20));
        assert_eq!(super::parse_size("32G"), Ok(32 << 30));
        assert_eq!(super::parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(super::parse_size("2 kb"), Ok(2048));
        assert!(super::parse_size("lots").is_err());
        assert!(super::parse_size("").is_err());
        assert!(super::parse_size("1e400").is_err());
    }

    #[test]
    fn sizes_pick_the_largest_unit_below() {
        assert_eq!(super::size(12), "12 B");
        assert_eq!(super::size(2056), "2.0 KiB");
        assert_eq!(super::size(3 << 20), "3.0 MiB");
        assert_eq!(super::size(5 << 30), "5.0 GiB");
    }
}

/// One line of a multi-line diagnostic (regex and glob errors span several: pattern,
/// caret, message): the `error: ` line's message if there is one, else the non-empty
/// lines joined with `; `. Config errors promise one line.
pub fn one_line(msg: &str) -> String {
    msg.lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("error: "))
        .map(str::to_string)
        .unwrap_or_else(|| {
            msg.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("; ")
        })
}

#[cfg(test)]
mod one_line_tests {
    #[test]
    fn keeps_the_error_line_or_joins_the_rest() {
        let regex_error = "regex parse error:\n    (\n    ^\nerror: unclosed group";
        assert_eq!(super::one_line(regex_error), "unclosed group");
        assert_eq!(super::one_line("first\n\n  second \n"), "first; second");
        assert_eq!(super::one_line("plain"), "plain");
    }
}
