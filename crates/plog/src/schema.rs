//! Schemas: where `LogEntry`'s definition comes from, flattened into lookup tables the
//! decoder can walk without hashing.
//!
//! Sources, in order: `--schema FILE` (a `.proto` compiled in-process by protox, or a
//! serialized `FileDescriptorSet`), then `$PANDA_BUILD/<arch>-softmmu/plog.proto`,
//! else none (generic decoding). Does not decode entries (that is [`crate::decode`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use prost_reflect::{DescriptorPool, FieldDescriptor, Kind as PKind, MessageDescriptor};

use crate::error::PlogError;
use crate::json::quoted;
use crate::wire::MAX_DEPTH;

/// Scalar type of a field, as far as decoding and rendering care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int32,
    Int64,
    Uint32,
    Uint64,
    Sint32,
    Sint64,
    Fixed32,
    Fixed64,
    Sfixed32,
    Sfixed64,
    Bool,
    Float,
    Double,
    String,
    Bytes,
    Enum(usize),
    Message(usize),
}

/// One field of a message.
#[derive(Debug, Clone)]
pub struct Field {
    pub number: u32,
    /// Proto name (`asid_info`), used by the text rendering and diff paths.
    pub name: String,
    /// JSON name (`asidInfo`, as `MessageToJson` prints it) as a quoted, escaped JSON
    /// string, ready to copy into output.
    pub json_key: String,
    pub kind: Kind,
    pub repeated: bool,
}

/// One message type: fields sorted by number, plus a number → index table.
#[derive(Debug, Clone, Default)]
pub struct Message {
    pub fields: Vec<Field>,
    /// Dense lookup for small field numbers (the common case).
    dense: Vec<u16>,
    sparse: HashMap<u32, usize>,
}

impl Message {
    /// Index into `fields` for a field number.
    pub fn find(&self, number: u32) -> Option<usize> {
        match self.dense.get(number as usize) {
            Some(&i) if i != u16::MAX => Some(usize::from(i)),
            Some(_) => None,
            None => self.sparse.get(&number).copied(),
        }
    }
}

/// A compiled schema rooted at `LogEntry`.
#[derive(Debug, Clone)]
pub struct Schema {
    pub messages: Vec<Message>,
    /// Per enum: value number → name.
    pub enums: Vec<HashMap<i32, String>>,
    pub root: usize,
}

impl Schema {
    /// Loads a `.proto` or a serialized descriptor set.
    pub fn load(path: &Path) -> Result<Schema, PlogError> {
        let err = |msg: String| PlogError::Schema {
            path: path.display().to_string(),
            msg,
        };
        let bytes = std::fs::read(path).map_err(|e| PlogError::io(path, e))?;
        let is_proto = path.extension().is_some_and(|e| e == "proto");
        let pool = if is_proto {
            compile_proto(path).map_err(err)?
        } else {
            match DescriptorPool::decode(bytes.as_slice()) {
                Ok(p) => p,
                Err(dec) => compile_proto(path).map_err(|e| {
                    err(format!(
                        "neither a descriptor set ({dec}) nor a .proto file ({e})"
                    ))
                })?,
            }
        };
        let entry =
            find_log_entry(&pool).ok_or_else(|| err("defines no LogEntry message".into()))?;
        Self::from_descriptor(&entry).map_err(err)
    }

    /// `--schema` if given, else `$PANDA_BUILD/*-softmmu/plog.proto`, else `None`.
    pub fn resolve(explicit: Option<&Path>) -> Result<Option<Schema>, PlogError> {
        if let Some(p) = explicit {
            return Self::load(p).map(Some);
        }
        match discover() {
            Some(p) => Self::load(&p).map(Some),
            None => Ok(None),
        }
    }

    /// Flattens the descriptor graph reachable from `root`. A chain of more than
    /// [`MAX_DEPTH`] distinct message types nested in each other is refused: flattening
    /// follows it recursively (10,000 levels overflowed the stack), and the decoder would
    /// refuse data nested that deep anyway.
    pub fn from_descriptor(root: &MessageDescriptor) -> Result<Schema, String> {
        let mut b = Builder::default();
        let root = b.message(root, 0)?;
        Ok(Schema {
            messages: b.messages,
            enums: b.enums,
            root,
        })
    }
}

fn compile_proto(path: &Path) -> Result<DescriptorPool, String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file = path.file_name().map(PathBuf::from).unwrap_or_default();
    let mut c = protox::Compiler::new([dir]).map_err(|e| one_line(&e.to_string()))?;
    c.include_imports(true);
    c.open_file(&file)
        .map_err(|e| one_line(&format!("{e:?}")))?;
    Ok(c.descriptor_pool())
}

/// protox errors can be multi-line diagnostics; the CLI promises one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn find_log_entry(pool: &DescriptorPool) -> Option<MessageDescriptor> {
    pool.get_message_by_name("panda.LogEntry")
        .or_else(|| pool.all_messages().find(|m| m.name() == "LogEntry"))
}

/// `$PANDA_BUILD/<arch>-softmmu/plog.proto`, first architecture in name order.
pub fn discover() -> Option<PathBuf> {
    discover_in(Path::new(&std::env::var_os("PANDA_BUILD")?))
}

/// `<build>/<arch>-softmmu/plog.proto`, first architecture in name order.
pub fn discover_in(build: &Path) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(build)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with("-softmmu"))
        })
        .map(|p| p.join("plog.proto"))
        .filter(|p| p.is_file())
        .collect();
    dirs.sort();
    dirs.into_iter().next()
}

#[derive(Default)]
struct Builder {
    messages: Vec<Message>,
    enums: Vec<HashMap<i32, String>>,
    msg_ids: HashMap<String, usize>,
    enum_ids: HashMap<String, usize>,
}

impl Builder {
    /// `d`'s index, flattening it first if new. `depth` counts the distinct message types
    /// above it on the path from `LogEntry` (recursive types stop at the first repeat).
    fn message(&mut self, d: &MessageDescriptor, depth: usize) -> Result<usize, String> {
        if let Some(&i) = self.msg_ids.get(d.full_name()) {
            return Ok(i);
        }
        if depth > MAX_DEPTH {
            return Err(format!(
                "message {} is nested {depth} levels deep below LogEntry; at most {MAX_DEPTH} levels are supported (protobuf's own recursion limit): flatten the schema",
                d.full_name()
            ));
        }
        let id = self.messages.len();
        self.msg_ids.insert(d.full_name().to_string(), id);
        self.messages.push(Message::default());
        let mut fields: Vec<Field> = d
            .fields()
            .map(|f| self.field(&f, depth))
            .collect::<Result<_, _>>()?;
        fields.sort_by_key(|f| f.number);
        let max = fields
            .iter()
            .map(|f| f.number)
            .filter(|&n| n < 4096)
            .max()
            .unwrap_or(0);
        let mut dense = vec![u16::MAX; max as usize + 1];
        let mut sparse = HashMap::new();
        for (i, f) in fields.iter().enumerate() {
            match dense.get_mut(f.number as usize) {
                Some(slot) => *slot = i as u16,
                None => {
                    sparse.insert(f.number, i);
                }
            }
        }
        self.messages[id] = Message {
            fields,
            dense,
            sparse,
        };
        Ok(id)
    }

    fn field(&mut self, f: &FieldDescriptor, depth: usize) -> Result<Field, String> {
        let kind = match f.kind() {
            PKind::Int32 => Kind::Int32,
            PKind::Int64 => Kind::Int64,
            PKind::Uint32 => Kind::Uint32,
            PKind::Uint64 => Kind::Uint64,
            PKind::Sint32 => Kind::Sint32,
            PKind::Sint64 => Kind::Sint64,
            PKind::Fixed32 => Kind::Fixed32,
            PKind::Fixed64 => Kind::Fixed64,
            PKind::Sfixed32 => Kind::Sfixed32,
            PKind::Sfixed64 => Kind::Sfixed64,
            PKind::Bool => Kind::Bool,
            PKind::Float => Kind::Float,
            PKind::Double => Kind::Double,
            PKind::String => Kind::String,
            PKind::Bytes => Kind::Bytes,
            PKind::Message(m) => Kind::Message(self.message(&m, depth + 1)?),
            PKind::Enum(e) => {
                let id = match self.enum_ids.get(e.full_name()) {
                    Some(&i) => i,
                    None => {
                        let i = self.enums.len();
                        self.enums.push(
                            e.values()
                                .map(|v| (v.number(), v.name().to_string()))
                                .collect(),
                        );
                        self.enum_ids.insert(e.full_name().to_string(), i);
                        i
                    }
                };
                Kind::Enum(id)
            }
        };
        Ok(Field {
            number: f.number(),
            name: f.name().to_string(),
            json_key: quoted(f.json_name()),
            kind,
            repeated: f.is_list() || f.is_map(),
        })
    }
}

impl Schema {
    /// A one-message schema (the generic decoder's `LogEntry` with `pc`/`instr`).
    pub fn from_fields(fields: Vec<Field>) -> Schema {
        let mut dense = vec![u16::MAX; 3];
        for (i, f) in fields.iter().enumerate() {
            if let Some(slot) = dense.get_mut(f.number as usize) {
                *slot = i as u16;
            }
        }
        Schema {
            messages: vec![Message {
                fields,
                dense,
                sparse: HashMap::new(),
            }],
            enums: Vec::new(),
            root: 0,
        }
    }
}
