//! [`Plan`]: what the fast path precomputes from a schema once per dump: each field's
//! kind, wire type and quoted key by number, and the quoted names of enum values.

use std::collections::HashMap;

use crate::decode::wire_type;
use crate::json::quoted;
use crate::schema::{Kind, Schema};

/// Enum values below this get a precomputed, quoted name (a table index instead of a
/// hash lookup and an escape per value).
const DENSE_ENUM: usize = 256;

/// Per-schema tables the fast path needs, computed once per dump.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Per enum: quoted JSON names of the values `0..DENSE_ENUM` (`None` = no name).
    pub(super) dense: Vec<Vec<Option<Key>>>,
    /// Per enum: quoted names of the values outside the dense range.
    pub(super) sparse: Vec<HashMap<i32, Key>>,
    /// Per message: what the walk needs of each field, by field number.
    pub(super) slots: Vec<Slots>,
}

/// A message's fields by number: a table for the small numbers (one load from a tag to
/// all the walk needs), a map for the rest.
#[derive(Debug, Clone, Default)]
pub(super) struct Slots {
    near: Vec<Option<Slot>>,
    far: HashMap<u32, Slot>,
}

/// Field numbers below this are looked up in a table.
const NEAR: u32 = 256;

impl Slots {
    #[inline]
    pub(super) fn get(&self, number: u32) -> Option<&Slot> {
        match self.near.get(number as usize) {
            Some(s) => s.as_ref(),
            None if number < NEAR => None,
            None => self.far.get(&number),
        }
    }
}

/// What the walk needs of one field, in one place (instead of the field, its wire type
/// and its key looked up apart).
#[derive(Debug, Clone)]
pub(super) struct Slot {
    pub(super) kind: Kind,
    pub(super) wire: u8,
    pub(super) repeated: bool,
    /// `"key":` and `"key": ` (compact, pretty).
    pub(super) key: [Key; 2],
}

/// Bytes of ASCII text copied into the output many times: keys and enum names.
#[derive(Debug, Clone)]
pub(super) struct Key {
    /// The text followed by zeros up to [`PAD`] bytes, when it fits.
    padded: Option<[u8; PAD]>,
    text: Box<[u8]>,
}

/// Short texts are copied as a fixed [`PAD`] bytes and cut back: no `memcpy` call.
const PAD: usize = 32;

impl Key {
    fn new(text: &str) -> Key {
        let b = text.as_bytes();
        let padded = (b.len() <= PAD).then(|| {
            let mut p = [0u8; PAD];
            p[..b.len()].copy_from_slice(b);
            p
        });
        Key {
            padded,
            text: b.into(),
        }
    }

    #[inline]
    pub(super) fn put(&self, out: &mut Vec<u8>) {
        match &self.padded {
            Some(p) => {
                let end = out.len() + self.text.len();
                out.extend_from_slice(p);
                out.truncate(end);
            }
            None => out.extend_from_slice(&self.text),
        }
    }
}

impl Plan {
    pub fn new(schema: &Schema) -> Plan {
        let mut dense = Vec::with_capacity(schema.enums.len());
        let mut sparse = Vec::with_capacity(schema.enums.len());
        for e in &schema.enums {
            let mut d = vec![None; DENSE_ENUM];
            let mut s = HashMap::new();
            for (&n, name) in e {
                let q = Key::new(&quoted(name));
                match usize::try_from(n).ok().filter(|&i| i < DENSE_ENUM) {
                    Some(i) => d[i] = Some(q),
                    None => {
                        s.insert(n, q);
                    }
                }
            }
            dense.push(d);
            sparse.push(s);
        }
        let slot = |f: &crate::schema::Field| Slot {
            kind: f.kind,
            wire: wire_type(f.kind),
            repeated: f.repeated,
            key: [":", ": "].map(|sep| Key::new(&format!("{}{sep}", f.json_key))),
        };
        let slots = schema
            .messages
            .iter()
            .map(|m| {
                let mut t = Slots::default();
                for f in &m.fields {
                    if f.number < NEAR {
                        let i = f.number as usize;
                        if t.near.len() <= i {
                            t.near.resize(i + 1, None);
                        }
                        t.near[i] = Some(slot(f));
                    } else {
                        t.far.insert(f.number, slot(f));
                    }
                }
                t
            })
            .collect();
        Plan {
            dense,
            sparse,
            slots,
        }
    }

    pub(super) fn enum_name(&self, e: usize, n: i32) -> Option<&Key> {
        match usize::try_from(n).ok().filter(|&i| i < DENSE_ENUM) {
            Some(i) => self.dense.get(e)?.get(i)?.as_ref(),
            None => self.sparse.get(e)?.get(&n),
        }
    }
}
