//! The QEMU engine's machine line: the guest-visible emulator arguments, kept in the
//! recording's metadata with placeholders for the paths that legitimately change.

use std::path::Path;

pub const DEFAULT_SHIFT: u32 = 5;
pub const DEFAULT_MEMORY: u32 = 256;
const KERNEL_APPEND: &str = "console=ttyS0 panic=-1 nokaslr";

/// The guest-visible machine line with placeholders (see `Metadata::machine`).
pub fn machine_line(memory: u32, shift: u32) -> Vec<String> {
    let mem = memory.to_string();
    let icount = format!("shift={shift},rr={{mode}},rrfile={{rrfile}}");
    [
        "-M",
        "pc",
        "-accel",
        "tcg",
        "-m",
        &mem,
        "-display",
        "none",
        "-no-reboot",
        "-net",
        "none",
        "-rtc",
        "base=2020-01-01T00:00:00,clock=vm",
        "-kernel",
        "{kernel}",
        "-initrd",
        "{initrd}",
        "-append",
        KERNEL_APPEND,
        "-serial",
        "file:{serial}",
        "-icount",
        &icount,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Paths substituted into a machine line.
pub struct Paths<'a> {
    pub kernel: &'a Path,
    pub initrd: &'a Path,
    pub serial: &'a Path,
    pub rrfile: &'a Path,
    pub mode: &'a str,
}

pub fn concrete(machine: &[String], p: &Paths) -> Vec<String> {
    machine
        .iter()
        .map(|a| {
            a.replace("{kernel}", &p.kernel.to_string_lossy())
                .replace("{initrd}", &p.initrd.to_string_lossy())
                .replace("{serial}", &p.serial.to_string_lossy())
                .replace("{rrfile}", &p.rrfile.to_string_lossy())
                .replace("{mode}", p.mode)
        })
        .collect()
}
