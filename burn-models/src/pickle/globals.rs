//! The few globals the reader interprets. All of them are pure data constructors; nothing is executed.
//!
//! | global | result |
//! | --- | --- |
//! | `torch._utils._rebuild_tensor_v2`, `_rebuild_tensor` | a strided tensor view of a storage |
//! | `torch._utils._rebuild_parameter`, `_rebuild_parameter_with_state` | the same tensor, marked as a parameter |
//! | `torch._utils._rebuild_from_type_v2` | the inner rebuild call (tensor subclass type ignored) |
//! | `torch.storage._load_from_bytes` | a storage from an embedded legacy `torch.save` blob |
//! | `torch_utils.persistence._reconstruct_persistent_obj` | the `meta` dict of an NVIDIA persistent object |
//! | `collections.OrderedDict`, `dnnlib.util.EasyDict`, `builtins.dict` | a dict |
//! | `builtins.set` / `frozenset` / `list` | a set / list |
//! | `_codecs.encode(s, 'latin1')`, `builtins.bytes` / `bytearray` | bytes (protocol 2 encoding of `bytes`) |
//! | `copyreg._reconstructor`, `copyreg.__newobj__` | an instance of the named class |
//! | `torch.jit._pickle.restore_type_tag` / `build_*list` | their argument (TorchScript type tags) |
//!
//! Any other callable yields an inert [`Object`] that records its class and arguments.

use std::sync::Arc;

use super::blob::Blob;
use super::context::Context;
use super::error::{PickleError, Result};
use super::legacy;
use super::value::{Dict, Global, Obj, Object, TensorObj, Value};

fn malformed(offset: usize, msg: impl Into<String>) -> PickleError {
    PickleError::Malformed {
        offset,
        msg: msg.into(),
    }
}

fn is_builtins(g: &Global, name: &str) -> bool {
    (&*g.module == "builtins" || &*g.module == "__builtin__") && &*g.name == name
}

fn is_dict_class(g: &Global) -> bool {
    g.is("collections", "OrderedDict")
        || g.is("dnnlib.util", "EasyDict")
        || g.is("dnnlib", "EasyDict")
        || is_builtins(g, "dict")
}

/// `func(*args)` for `REDUCE`.
pub fn call(ctx: &mut Context, func: &Value, args: Vec<Value>, offset: usize) -> Result<Value> {
    let g = match func {
        Value::Global(g) => g.clone(),
        _ => return Ok(inert(ctx, placeholder_class(), args)),
    };
    let module = &*g.module;
    let name = &*g.name;
    match (module, name) {
        ("torch._utils", "_rebuild_tensor_v2") | ("torch._utils", "_rebuild_tensor") => {
            rebuild_tensor(ctx, &args, offset)
        }
        ("torch._utils", "_rebuild_parameter")
        | ("torch._utils", "_rebuild_parameter_with_state") => {
            let tensor = match args.first().and_then(|v| ctx.arena.deref(v)) {
                Some(Obj::Tensor(t)) => t.clone(),
                _ => return Err(malformed(offset, "_rebuild_parameter needs a tensor")),
            };
            let requires_grad = matches!(args.get(1), Some(Value::Bool(true)));
            Ok(ctx.arena.alloc(Obj::Tensor(TensorObj {
                parameter: true,
                requires_grad,
                ..tensor
            })))
        }
        ("torch._utils", "_rebuild_from_type_v2") => {
            // (func, type, args, state): rebuild with `func(*args)`; the subclass type and state are ignored.
            let (inner, inner_args) = match (args.first(), args.get(2)) {
                (Some(f), Some(a)) => (f.clone(), a.clone()),
                _ => {
                    return Err(malformed(
                        offset,
                        "_rebuild_from_type_v2 needs (func, type, args, state)",
                    ));
                }
            };
            let inner_args = ctx
                .arena
                .seq(&inner_args)
                .map(<[Value]>::to_vec)
                .ok_or_else(|| {
                    malformed(offset, "_rebuild_from_type_v2 arguments are not a tuple")
                })?;
            call(ctx, &inner, inner_args, offset)
        }
        ("torch.storage", "_load_from_bytes") => match args.first() {
            Some(Value::Bytes(blob)) => legacy::load_embedded(ctx, blob),
            _ => Err(malformed(offset, "_load_from_bytes needs bytes")),
        },
        ("torch_utils.persistence", "_reconstruct_persistent_obj") => match args.first() {
            Some(meta) if ctx.arena.dict(meta).is_some() => {
                Ok(ctx.arena.alloc(Obj::Persistent(meta.clone())))
            }
            _ => Err(malformed(
                offset,
                "_reconstruct_persistent_obj needs a meta dict",
            )),
        },
        ("_codecs", "encode") => match args.first() {
            Some(Value::Str(s)) => {
                let mut out = Vec::with_capacity(s.len());
                for c in s.chars() {
                    out.push(
                        u8::try_from(u32::from(c))
                            .map_err(|_| malformed(offset, "_codecs.encode: non-latin1 char"))?,
                    );
                }
                ctx.charge(out.len() as u64)?;
                Ok(Value::Bytes(Blob::new(out)))
            }
            _ => Err(malformed(offset, "_codecs.encode needs a string")),
        },
        ("copyreg", "_reconstructor") => {
            let cls = args.first().cloned().unwrap_or(Value::None);
            new_object(ctx, &cls, Vec::new(), offset)
        }
        ("copyreg", "__newobj__") | ("copy_reg", "__newobj__") => {
            let mut args = args;
            if args.is_empty() {
                return Err(malformed(offset, "__newobj__ without a class"));
            }
            let rest = args.split_off(1);
            new_object(ctx, &args[0], rest, offset)
        }
        ("torch.jit._pickle", n) if n == "restore_type_tag" || n.starts_with("build_") => {
            Ok(args.into_iter().next().unwrap_or(Value::None))
        }
        _ if is_builtins(&g, "bytes") || is_builtins(&g, "bytearray") => match args.first() {
            None => Ok(Value::Bytes(Blob::new(Vec::new()))),
            Some(Value::Bytes(b)) => Ok(Value::Bytes(b.clone())),
            Some(_) => Ok(inert(ctx, g, args)),
        },
        _ if is_builtins(&g, "set") || is_builtins(&g, "frozenset") || is_builtins(&g, "list") => {
            let items = match args.first() {
                None => Vec::new(),
                Some(v) => match ctx.arena.deref(v) {
                    Some(Obj::List(l) | Obj::Tuple(l) | Obj::Set(l)) => l.clone(),
                    _ => return Ok(inert(ctx, g, args)),
                },
            };
            let obj = if &*g.name == "list" {
                Obj::List(items)
            } else {
                Obj::Set(items)
            };
            Ok(ctx.arena.alloc(obj))
        }
        _ if is_dict_class(&g) => {
            let mut d = Dict::with_class(if is_builtins(&g, "dict") {
                None
            } else {
                Some(g.clone())
            });
            if let Some(pairs) = args.first() {
                let pairs = ctx
                    .arena
                    .seq(pairs)
                    .map(<[Value]>::to_vec)
                    .unwrap_or_default();
                for p in pairs {
                    match ctx.arena.seq(&p) {
                        Some([k, v]) => d.insert(k.clone(), v.clone()),
                        _ => {
                            return Err(malformed(
                                offset,
                                "dict constructor needs (key, value) pairs",
                            ));
                        }
                    }
                }
            }
            Ok(ctx.arena.alloc(Obj::Dict(d)))
        }
        _ => Ok(inert(ctx, g, args)),
    }
}

/// `cls.__new__(cls, *args)` for `NEWOBJ`, `NEWOBJ_EX`, `OBJ` and `INST`.
pub fn new_object(
    ctx: &mut Context,
    cls: &Value,
    args: Vec<Value>,
    _offset: usize,
) -> Result<Value> {
    let g = match cls {
        Value::Global(g) => g.clone(),
        _ => return Ok(inert(ctx, placeholder_class(), args)),
    };
    if is_dict_class(&g) {
        let class = if is_builtins(&g, "dict") {
            None
        } else {
            Some(g)
        };
        return Ok(ctx.arena.alloc(Obj::Dict(Dict::with_class(class))));
    }
    if is_builtins(&g, "list") {
        return Ok(ctx.arena.alloc(Obj::List(Vec::new())));
    }
    if is_builtins(&g, "set") {
        return Ok(ctx.arena.alloc(Obj::Set(Vec::new())));
    }
    Ok(inert(ctx, g, args))
}

/// `BUILD`: `obj.__setstate__(state)` or `obj.__dict__.update(state)`, recorded without running code.
pub fn build(ctx: &mut Context, target: &Value, state: Value, offset: usize) -> Result<()> {
    let id = match target {
        Value::Ref(id) => *id,
        _ => return Err(malformed(offset, "BUILD on a value that is not an object")),
    };
    match ctx.arena.get_mut(id) {
        Some(Obj::Object(o)) => o.state = Some(state),
        Some(Obj::Dict(d)) => d.state = Some(state),
        // Python state of tensor subclasses / persistent objects: not needed for the weights.
        Some(Obj::Tensor(_) | Obj::Persistent(_) | Obj::Storage(_)) => {}
        _ => return Err(malformed(offset, "BUILD on a list, tuple or set")),
    }
    Ok(())
}

fn placeholder_class() -> Global {
    Global {
        module: Arc::from("<call>"),
        name: Arc::from("<non-global callable>"),
    }
}

fn inert(ctx: &mut Context, class: Global, args: Vec<Value>) -> Value {
    ctx.arena.alloc(Obj::Object(Object {
        class,
        args,
        state: None,
        dict_items: Dict::default(),
        list_items: Vec::new(),
    }))
}

fn usize_of(v: Option<&Value>) -> Option<usize> {
    match v {
        Some(Value::Int(i)) => usize::try_from(*i).ok(),
        _ => None,
    }
}

fn usizes(ctx: &Context, v: Option<&Value>) -> Option<Vec<usize>> {
    ctx.arena
        .seq(v?)?
        .iter()
        .map(|x| usize_of(Some(x)))
        .collect()
}

/// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
fn rebuild_tensor(ctx: &mut Context, args: &[Value], offset: usize) -> Result<Value> {
    let storage = match args.first() {
        Some(Value::Ref(id)) if matches!(ctx.arena.get(*id), Some(Obj::Storage(_))) => *id,
        _ => {
            return Err(malformed(
                offset,
                "_rebuild_tensor: first argument is not a storage",
            ));
        }
    };
    let storage_offset = usize_of(args.get(1))
        .ok_or_else(|| malformed(offset, "_rebuild_tensor: invalid storage offset"))?;
    let shape = usizes(ctx, args.get(2))
        .ok_or_else(|| malformed(offset, "_rebuild_tensor: invalid size"))?;
    let strides = usizes(ctx, args.get(3))
        .ok_or_else(|| malformed(offset, "_rebuild_tensor: invalid stride"))?;
    if shape.len() != strides.len() {
        return Err(malformed(
            offset,
            "_rebuild_tensor: size and stride differ in length",
        ));
    }
    let requires_grad = matches!(args.get(4), Some(Value::Bool(true)));
    Ok(ctx.arena.alloc(Obj::Tensor(TensorObj {
        storage,
        offset: storage_offset,
        shape,
        strides,
        requires_grad,
        parameter: false,
    })))
}
