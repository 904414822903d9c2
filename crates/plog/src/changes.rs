//! The entry-level difference of two logs as data: which entries changed (their fields,
//! old and new values), which only one log has, and the totals; with the one text
//! rendering `ptest plog diff`, the terminal and `ptest diff` all print. The diff in
//! `diff` fills it; the binary stores it and lays it out (HTML) from the data.

use serde::{Deserialize, Serialize};

/// Where an entry sits in its log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryAt {
    /// Position in its log (0 = the bogus first entry).
    pub index: u64,
    pub instr: u64,
    pub pc: u64,
}

impl EntryAt {
    /// `entry N[ of SIDE] (instr I, pc 0xP)`.
    fn label(&self, side: Option<&str>) -> String {
        let of = side.map(|s| format!(" of {s}")).unwrap_or_default();
        format!(
            "entry {}{of} (instr {}, pc {:#x})",
            self.index, self.instr, self.pc
        )
    }
}

/// One field of a pair of entries that differs; a side without the field is `None`.
/// Values are cut to [`MAX_FIELD_CHARS`] characters (`…` marks a cut).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub path: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Which log of the two an entry is only in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogSide {
    First,
    Second,
}

/// One difference between two logs, as data: what `ptest plog diff`, the terminal and the
/// HTML report all render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum EntryChange {
    /// Paired entries whose fields differ.
    Fields {
        entry: EntryAt,
        fields: Vec<FieldChange>,
    },
    /// Paired entries with the same fields but different text (e.g. whitespace left by a
    /// filter); both texts cut to [`MAX_TEXT_CHARS`].
    Text {
        entry: EntryAt,
        old: String,
        new: String,
    },
    /// An entry only one log has; its text cut to [`MAX_ONLY_CHARS`].
    OnlyIn {
        entry: EntryAt,
        side: LogSide,
        text: String,
    },
}

/// Characters kept of a changed field's value, of a whole entry's text, of a one-side entry.
pub const MAX_FIELD_CHARS: usize = 80;
pub const MAX_TEXT_CHARS: usize = 100;
pub const MAX_ONLY_CHARS: usize = 200;

impl EntryChange {
    /// The one-line text form, the sides named by `names`.
    pub fn render(&self, names: &[String; 2]) -> String {
        match self {
            EntryChange::Fields { entry, fields } => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|f| {
                        let show =
                            |v: &Option<String>| v.as_deref().unwrap_or("(absent)").to_string();
                        format!("{} {} → {}", f.path, show(&f.old), show(&f.new))
                    })
                    .collect();
                format!("{}: {}", entry.label(None), parts.join("; "))
            }
            EntryChange::Text { entry, old, new } => {
                format!("{}: {old} → {new}", entry.label(None))
            }
            EntryChange::OnlyIn { entry, side, text } => {
                let name = &names[*side as usize];
                format!("{}: only in {name}: {text}", entry.label(Some(name)))
            }
        }
    }
}

/// The entry-level difference of two logs: the changes kept (at most the caller's limit)
/// and the totals of all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffReport {
    /// What the two logs are called in one-side-only lines (`A`/`B`, `blessed`/`new`).
    pub names: [String; 2],
    pub changes: Vec<EntryChange>,
    pub changed: u64,
    pub only_a: u64,
    pub only_b: u64,
    pub entries_a: u64,
    pub entries_b: u64,
    /// How many changes are kept (while diffing; not stored).
    #[serde(skip)]
    pub max_lines: usize,
}

impl DiffReport {
    /// `names` label the sides in one-side-only lines (e.g. `A`/`B`, `blessed`/`new`).
    pub fn new(max_lines: usize, a: &str, b: &str) -> Self {
        DiffReport {
            max_lines,
            names: [a.into(), b.into()],
            ..Default::default()
        }
    }

    pub fn equal(&self) -> bool {
        self.changed == 0 && self.only_a == 0 && self.only_b == 0
    }

    pub(crate) fn push(&mut self, change: EntryChange) {
        if self.changes.len() < self.max_lines {
            self.changes.push(change);
        }
    }

    pub(crate) fn room(&self) -> bool {
        self.changes.len() < self.max_lines
    }

    /// The kept changes, one line each.
    pub fn lines(&self) -> Vec<String> {
        self.changes.iter().map(|c| c.render(&self.names)).collect()
    }

    /// How many changes were found but not kept.
    pub fn not_shown(&self) -> u64 {
        (self.changed + self.only_a + self.only_b).saturating_sub(self.changes.len() as u64)
    }

    /// One line of totals.
    pub fn summary(&self) -> String {
        let more = self.not_shown();
        let tail = if more > 0 {
            format!(" ({more} not shown)")
        } else {
            String::new()
        };
        format!(
            "{} entries differ, {} only in {}, {} only in {} ({} vs {} entries){tail}",
            self.changed,
            self.only_a,
            self.names[0],
            self.only_b,
            self.names[1],
            self.entries_a,
            self.entries_b
        )
    }

    /// Report lines plus the summary, newline-terminated; empty when equal.
    pub fn render(&self) -> String {
        if self.equal() {
            return String::new();
        }
        let mut s = String::new();
        for l in self.lines() {
            s.push_str(&l);
            s.push('\n');
        }
        s.push_str(&self.summary());
        s.push('\n');
        s
    }
}
