//! The line of a config file an error points at, with a caret under the bad text, drawn
//! as rustc and miette draw them. The error's one-line headline (`file:line:column:
//! message`) stays the error; this is shown under it on terminals (see
//! `commands::run`). Hand-written rather than a crate such as `annotate-snippets`: one
//! line and one caret run is all a TOML value or key needs.

use std::fmt;
use std::ops::Range;

/// One source line and the run of it to underline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    line: usize,
    source: String,
    /// What goes under the source up to the caret: tabs kept, everything else a space, so
    /// the caret lands under the same character whatever the tab width.
    indent: String,
    carets: usize,
}

impl Excerpt {
    /// The excerpt of `text` at byte range `span` (clamped to the text and to the line
    /// the span starts on).
    pub fn new(text: &str, span: Range<usize>) -> Excerpt {
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = text[..start].matches('\n').count() + 1;
        let source = text[line_start..line_end].trim_end_matches('\r');
        let indent = text[line_start..start]
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let end = floor_char_boundary(text, span.end.clamp(start, line_end));
        let carets = text[start..end].chars().count().max(1);
        Excerpt {
            line,
            source: source.to_string(),
            indent,
            carets,
        }
    }
}

impl fmt::Display for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let number = self.line.to_string();
        let gutter = " ".repeat(number.len());
        writeln!(f, "{gutter} |")?;
        writeln!(f, "{number} | {}", self.source)?;
        write!(f, "{gutter} | {}{}", self.indent, "^".repeat(self.carets))
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::Excerpt;

    #[test]
    fn carets_sit_under_the_span_on_its_line() {
        let text = "[engine]\nstall-timeout = \"x\"\nshift = 4\n";
        let e = Excerpt::new(text, 25..28);
        assert_eq!(
            e.to_string(),
            "  |\n2 | stall-timeout = \"x\"\n  |                 ^^^"
        );
    }

    #[test]
    fn tabs_wide_characters_and_spans_past_the_end_stay_aligned() {
        let text = "\tname = \"é\" # x\r\nnext";
        let start = text.find('"').unwrap_or(0);
        let e = Excerpt::new(text, start..start + 4);
        assert_eq!(
            e.to_string(),
            "  |\n1 | \tname = \"é\" # x\n  | \t       ^^^"
        );
        let e = Excerpt::new("a = ", 4..40);
        assert_eq!(e.to_string(), "  |\n1 | a = \n  |     ^");
    }
}
