//! The engines ptest drives, by name, and the one default engine. Parsing a name
//! ([`Engine::from_name`], or deserializing an [`Engine`] from configuration) is the only
//! place an engine name is interpreted: an unknown one is an error naming the known ones,
//! never a default. Dispatch to an engine's driver lives in `dispatch.rs`, not here.

use crate::EngineError;

/// A record/replay engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Engine {
    /// PANDA (QEMU 2.9 with its own record/replay and plugins).
    Panda,
    /// Upstream QEMU's deterministic record/replay (`-icount rr=…`).
    Qemu,
}

impl Engine {
    /// The engine when nothing names one: PANDA's own image lists have no engine field,
    /// and recordings made by PANDA's `ptest.py` have no metadata.
    pub const DEFAULT: Engine = Engine::Panda;

    pub const ALL: [Engine; 2] = [Engine::Panda, Engine::Qemu];

    pub fn name(self) -> &'static str {
        match self {
            Engine::Panda => "panda",
            Engine::Qemu => "qemu",
        }
    }

    /// The engine called `name`; `what` says where the name was given, for the error.
    pub fn from_name(what: &str, name: &str) -> Result<Engine, EngineError> {
        Engine::ALL
            .into_iter()
            .find(|e| e.name() == name)
            .ok_or_else(|| EngineError::UnknownEngine {
                what: what.to_string(),
                name: name.to_string(),
                known: Engine::names(),
            })
    }

    /// `panda, qemu`: the names, for messages.
    pub fn names() -> String {
        Engine::ALL.map(Engine::name).join(", ")
    }
}

/// As configuration writes it (`engine = "qemu"`); an unknown name is an error naming the
/// known ones, at the value's position.
impl<'de> serde::Deserialize<'de> for Engine {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Engine, D::Error> {
        let name = String::deserialize(d)?;
        Engine::ALL
            .into_iter()
            .find(|e| e.name() == name)
            .ok_or_else(|| {
                serde::de::Error::custom(format!("unknown engine; use one of {}", Engine::names()))
            })
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_list_the_known() {
        assert_eq!(Engine::names(), "panda, qemu");
        for e in Engine::ALL {
            assert_eq!(Engine::from_name("x", e.name()).unwrap(), e);
        }
        let err = Engine::from_name("[images.x] engine", "qmeu")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "[images.x] engine = \"qmeu\" is not an engine ptest knows; use one of panda, qemu"
        );
    }
}
