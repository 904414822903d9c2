//! Values configuration files write whose TOML type says too little: durations, guest
//! memory, QEMU's icount shift, engine names. Each is checked while it is deserialized,
//! so a bad one fails at its own `file:line:column` (the TOML deserializer attaches the
//! value's span to the error) and the settings hold typed values from then on. Messages
//! say what is wrong and how to write it; the caller names the key.

use std::time::Duration;

use serde::{Deserialize, Deserializer, de::Error as _};

/// QEMU refuses `-icount shift=N` above this.
pub const MAX_ICOUNT_SHIFT: u32 = 10;
/// Guest memory above this (1 TiB) is a typo, and would overflow the drivers' arithmetic.
pub const MAX_MEMORY_MIB: u64 = 1 << 20;

/// A duration as configuration writes it (`90s`, `20m`, `1h30m`); zero is refused (a
/// zero timeout kills everything at once).
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    match humantime::parse_duration(value) {
        Ok(d) if d.is_zero() => Err("must be longer than zero".into()),
        Ok(d) => Ok(d),
        Err(e) => Err(format!(
            "{e}; write durations like \"90s\", \"20m\" or \"1h30m\""
        )),
    }
}

/// Guest memory as images write it (`1G`, `256M`, or MiB), in MiB, within
/// [`MAX_MEMORY_MIB`].
pub fn parse_memory(value: &str) -> Result<u64, String> {
    let v = value.trim();
    let (number, factor) = match v.char_indices().last() {
        Some((i, 'G' | 'g')) => (&v[..i], 1024),
        Some((i, 'M' | 'm')) => (&v[..i], 1),
        _ => (v, 1),
    };
    let mib = number
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| "write guest memory like \"256M\", \"1G\" or a number of MiB".to_string())?;
    if mib == 0 || mib > MAX_MEMORY_MIB {
        return Err(format!("must be 1 MiB to {} GiB", MAX_MEMORY_MIB >> 10));
    }
    Ok(mib)
}

/// `deserialize_with` for an optional duration (with `#[serde(default)]`).
pub fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(d)?;
    parse_duration(&text).map(Some).map_err(D::Error::custom)
}

/// `deserialize_with` for an image's `memory` string: checked, kept as written (PANDA
/// is given it as is).
pub fn memory<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    parse_memory(&text).map_err(D::Error::custom)?;
    Ok(Some(text))
}

/// `deserialize_with` for `[engine] memory`, a number of MiB.
pub fn memory_mib<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let mib = u32::deserialize(d)?;
    if mib == 0 || u64::from(mib) > MAX_MEMORY_MIB {
        return Err(D::Error::custom(format!(
            "guest memory in MiB, 1 to {MAX_MEMORY_MIB}"
        )));
    }
    Ok(Some(mib))
}

/// `deserialize_with` for `[engine] shift`.
pub fn icount_shift<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let shift = u32::deserialize(d)?;
    if shift > MAX_ICOUNT_SHIFT {
        return Err(D::Error::custom(format!(
            "QEMU's icount shift is 0 to {MAX_ICOUNT_SHIFT}"
        )));
    }
    Ok(Some(shift))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_and_durations_refuse_zero_and_nonsense() {
        assert_eq!(parse_memory("1G"), Ok(1024));
        assert_eq!(parse_memory(" 256M "), Ok(256));
        assert!(parse_memory("0").is_err());
        assert!(parse_memory("5000000G").unwrap_err().contains("1024 GiB"));
        assert!(parse_memory("lots").unwrap_err().contains("256M"));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert!(
            parse_duration("0s")
                .unwrap_err()
                .contains("longer than zero")
        );
        assert!(parse_duration("ten").unwrap_err().contains("20m"));
    }
}
