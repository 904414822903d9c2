//! The named filter presets: each one's regex → replacement rules. The user-facing list is
//! in the `filter` module's doc and the README's preset table; keep the three in step.
//!
//! Only data and lookup: compiling and checking the rules is `filter`, applying them is
//! `apply`. A leaf: it must not import anything else from `compare`.

/// One preset: its name and its regex → replacement rules (applied in order).
pub(in crate::compare) struct Preset {
    pub name: &'static str,
    pub rules: &'static [(&'static str, &'static str)],
}

const PRESETS: &[Preset] = &[
    // 12-hex-digit host userspace pointers (0x7…, 0x55…, 0x56…) → 0xPTR.
    Preset {
        name: "host-pointers",
        rules: &[(r"\b0x(?:7[0-9a-fA-F]|5[56])[0-9a-fA-F]{10}\b", "0xPTR")],
    },
    // ISO 8601 date-times (2024-05-01T12:34:56.789Z, 2024-05-01 12:34:56+02:00) → <TIMESTAMP>.
    Preset {
        name: "iso-timestamps",
        rules: &[(
            r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?",
            "<TIMESTAMP>",
        )],
    },
    // Durations with a unit (12.5ms, 3s, 1m2s, 40µs, 2h) → <DURATION>.
    Preset {
        name: "durations",
        rules: &[(r"\b(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+\b", "<DURATION>")],
    },
    // Process ids after 'pid' (pid 1234, pid=1234, PID: 1234) → <PID>.
    Preset {
        name: "pids",
        rules: &[(r"(?i)\b(pid)(\s*[=:]?\s*)\d+\b", "${1}${2}<PID>")],
    },
    // Per-run names under /tmp and /var/tmp (/tmp/tmpa1b2c3/x) → /tmp/<TMP>/x.
    Preset {
        name: "tmp-paths",
        rules: &[(r"(/(?:var/)?tmp)/[^/\s'\x22:]+", "$1/<TMP>")],
    },
];

/// The preset called `name`, if there is one.
pub(in crate::compare) fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// Every preset's name, in the order they are listed, for "known presets: …" messages.
pub(in crate::compare) fn names() -> impl Iterator<Item = &'static str> {
    PRESETS.iter().map(|p| p.name)
}
