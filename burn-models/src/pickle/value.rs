//! The object model of the unpickler: plain values on the stack, containers and objects in an arena.
//!
//! Containers live in an [`Arena`] and are referred to by index, so memoised containers that are filled after
//! being memoised (the usual `EMPTY_DICT, MEMOIZE, MARK, …, SETITEMS` pattern) are shared correctly, and cycles
//! cannot leak memory.

use std::collections::HashMap;
use std::sync::Arc;

use super::blob::Blob;
use super::dtype::Dtype;

/// A global name `module.name` as found by `GLOBAL` / `STACK_GLOBAL`. Never resolved to code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Global {
    /// Module path, e.g. `torch._utils`.
    pub module: Arc<str>,
    /// Attribute name, e.g. `_rebuild_tensor_v2`.
    pub name: Arc<str>,
}

impl Global {
    /// `module.name`.
    pub fn dotted(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }

    /// Whether this is `module.name`.
    pub fn is(&self, module: &str, name: &str) -> bool {
        &*self.module == module && &*self.name == name
    }
}

/// Index of an object in the [`Arena`].
pub type ObjId = usize;

/// A value on the pickle stack.
#[derive(Debug, Clone)]
pub enum Value {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A larger integer: little-endian two's complement bytes.
    BigInt(Arc<[u8]>),
    /// A float.
    Float(f64),
    /// A string.
    Str(Arc<str>),
    /// A `bytes` / `bytearray` value (a view into the input).
    Bytes(Blob),
    /// A global name (a class or function, never resolved).
    Global(Global),
    /// A container or object in the arena.
    Ref(ObjId),
}

/// Key of the dict index (only the key types that pickled modules use are indexed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum DictKey {
    Str(Arc<str>),
    Int(i64),
}

impl DictKey {
    fn of(v: &Value) -> Option<Self> {
        match v {
            Value::Str(s) => Some(DictKey::Str(s.clone())),
            Value::Int(i) => Some(DictKey::Int(*i)),
            Value::Bool(b) => Some(DictKey::Int(i64::from(*b))),
            _ => None,
        }
    }
}

/// An insertion-ordered dict (plain `dict`, `OrderedDict`, `EasyDict`, …).
#[derive(Debug, Clone, Default)]
pub struct Dict {
    /// The class for dict subclasses (`collections.OrderedDict`, `dnnlib.util.EasyDict`); `None` for `dict`.
    pub class: Option<Global>,
    /// Items in insertion order.
    pub items: Vec<(Value, Value)>,
    index: HashMap<DictKey, usize>,
    /// Instance state set by `BUILD` (e.g. `OrderedDict._metadata` of state dicts).
    pub state: Option<Value>,
}

impl Dict {
    /// An empty dict of the given class.
    pub fn with_class(class: Option<Global>) -> Self {
        Self {
            class,
            ..Self::default()
        }
    }

    /// `d[key] = value`, replacing an existing string or integer key in place.
    pub fn insert(&mut self, key: Value, value: Value) {
        match DictKey::of(&key) {
            Some(k) => match self.index.get(&k) {
                Some(&i) => self.items[i].1 = value,
                None => {
                    self.index.insert(k, self.items.len());
                    self.items.push((key, value));
                }
            },
            None => self.items.push((key, value)),
        }
    }

    /// `d[key]` for a string key.
    pub fn get_str(&self, key: &str) -> Option<&Value> {
        let k = DictKey::Str(Arc::from(key));
        self.index.get(&k).map(|&i| &self.items[i].1)
    }
}

/// An instance of a class that the reader does not interpret: kept inert, with whatever the pickle gave it.
#[derive(Debug, Clone)]
pub struct Object {
    /// The class (or a placeholder for calls on non-global callables).
    pub class: Global,
    /// Constructor / reduce arguments.
    pub args: Vec<Value>,
    /// State from `BUILD`.
    pub state: Option<Value>,
    /// Items from `SETITEM(S)` on the object (dict subclasses).
    pub dict_items: Dict,
    /// Items from `APPEND(S)` on the object (list subclasses).
    pub list_items: Vec<Value>,
}

/// Where a storage's bytes are.
#[derive(Debug, Clone)]
pub enum StorageData {
    /// Not read yet (legacy `torch.save`: storages follow the pickle).
    Pending,
    /// The raw little-endian bytes.
    Ready(Blob),
}

/// A typed storage.
#[derive(Debug, Clone)]
pub struct Storage {
    /// Element type.
    pub dtype: Dtype,
    /// Number of elements.
    pub numel: usize,
    /// Storage key in its file (for messages).
    pub key: Arc<str>,
    /// The bytes.
    pub data: StorageData,
}

/// A tensor rebuilt by `torch._utils._rebuild_tensor_v2`: a strided view into a storage.
#[derive(Debug, Clone)]
pub struct TensorObj {
    /// The storage object.
    pub storage: ObjId,
    /// Offset in elements.
    pub offset: usize,
    /// Shape.
    pub shape: Vec<usize>,
    /// Strides in elements.
    pub strides: Vec<usize>,
    /// `requires_grad`.
    pub requires_grad: bool,
    /// Whether it came through `_rebuild_parameter`.
    pub parameter: bool,
}

/// An object in the arena.
#[derive(Debug, Clone)]
pub enum Obj {
    /// A list.
    List(Vec<Value>),
    /// A tuple.
    Tuple(Vec<Value>),
    /// A dict or dict subclass.
    Dict(Dict),
    /// A set or frozenset.
    Set(Vec<Value>),
    /// An uninterpreted instance.
    Object(Object),
    /// `torch_utils.persistence._reconstruct_persistent_obj(meta)`: the `meta` dict.
    Persistent(Value),
    /// A storage.
    Storage(Storage),
    /// A tensor.
    Tensor(TensorObj),
}

/// Owner of every container and object created while unpickling one file.
#[derive(Debug, Default)]
pub struct Arena {
    objs: Vec<Obj>,
}

impl Arena {
    /// Adds an object and returns a reference to it.
    pub fn alloc(&mut self, obj: Obj) -> Value {
        self.objs.push(obj);
        Value::Ref(self.objs.len() - 1)
    }

    /// The object `id`.
    pub fn get(&self, id: ObjId) -> Option<&Obj> {
        self.objs.get(id)
    }

    /// The object `id`, mutably.
    pub fn get_mut(&mut self, id: ObjId) -> Option<&mut Obj> {
        self.objs.get_mut(id)
    }

    /// The object a value refers to, if any.
    pub fn deref<'a>(&'a self, v: &Value) -> Option<&'a Obj> {
        match v {
            Value::Ref(id) => self.get(*id),
            _ => None,
        }
    }

    /// The elements of a tuple or list value.
    pub fn seq<'a>(&'a self, v: &Value) -> Option<&'a [Value]> {
        match self.deref(v)? {
            Obj::Tuple(items) | Obj::List(items) => Some(items),
            _ => None,
        }
    }

    /// The dict behind a value (plain dicts and dict subclasses).
    pub fn dict<'a>(&'a self, v: &Value) -> Option<&'a Dict> {
        match self.deref(v)? {
            Obj::Dict(d) => Some(d),
            _ => None,
        }
    }
}
