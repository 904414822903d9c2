//! The engines ptest drives, by name. Parsing a name is the only place an engine name
//! is interpreted: an unknown one is an error naming the known ones, never a default.
//! Dispatch to an engine's driver lives in `driver.rs`, not here.

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
                known: ENGINES.to_vec(),
            })
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// The engine names, for configuration checks (`[images.NAME] engine`).
pub const ENGINES: &[&str] = &["panda", "qemu"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_list_the_known() {
        assert_eq!(ENGINES, Engine::ALL.map(Engine::name));
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
