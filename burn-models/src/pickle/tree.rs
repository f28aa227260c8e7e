//! The module tree: what a pickle holds, as class names, dotted tensor names and plain attributes.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use serde_json::{Map, Value as Json};

use super::context::Context;
use super::error::{PickleError, Result};
use super::tensor::TensorView;
use super::value::{Dict, Obj, ObjId, StorageData, Value};

/// How a node was pickled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// An NVIDIA `torch_utils.persistence` object (class source embedded in the pickle).
    Persistent,
    /// A `torch.nn.Module` (or other class instance) pickled by reference to its class.
    Module,
    /// A TorchScript object (`__torch__.…` class) from a TorchScript archive.
    TorchScript,
    /// A dict, list or tuple holding tensors or modules.
    Container,
}

/// One module (or container) of the tree.
#[derive(Debug, Clone)]
pub struct ModuleNode {
    /// Class name: `Generator` for persistent objects, `module.Class` for others, `dict`/`list`/… for
    /// containers.
    pub class_name: String,
    /// How it was pickled.
    pub kind: NodeKind,
    /// `module_src` of persistent objects (Python source, never executed).
    pub module_src: Option<String>,
    /// Parameters, buffers and tensor attributes, in pickled order, by local name.
    pub tensors: Vec<(String, TensorView)>,
    /// Plain attributes (`z_dim`, `init_kwargs`, …) as JSON, in pickled order.
    pub attributes: Vec<(String, Json)>,
    /// Sub-modules and nested containers, in pickled order.
    pub children: Vec<(String, ModuleNode)>,
}

impl ModuleNode {
    fn new(class_name: String, kind: NodeKind) -> Self {
        Self {
            class_name,
            kind,
            module_src: None,
            tensors: Vec::new(),
            attributes: Vec::new(),
            children: Vec::new(),
        }
    }

    /// The child at dotted path `path` (`""` is this node).
    pub fn find(&self, path: &str) -> Option<&ModuleNode> {
        if path.is_empty() {
            return Some(self);
        }
        let (head, rest) = path.split_once('.').unwrap_or((path, ""));
        let child = self
            .children
            .iter()
            .find(|(n, _)| n == head)
            .map(|(_, c)| c)?;
        child.find(rest)
    }

    /// The attribute `name` of this node.
    pub fn attribute(&self, name: &str) -> Option<&Json> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// Every tensor below this node by dotted name relative to it (`mapping.fc0.weight`).
    pub fn flat_tensors(&self) -> BTreeMap<String, &TensorView> {
        let mut out = BTreeMap::new();
        self.collect_tensors("", &mut out);
        out
    }

    fn collect_tensors<'a>(&'a self, prefix: &str, out: &mut BTreeMap<String, &'a TensorView>) {
        for (name, t) in &self.tensors {
            out.insert(format!("{prefix}{name}"), t);
        }
        for (name, child) in &self.children {
            child.collect_tensors(&format!("{prefix}{name}."), out);
        }
    }

    /// Class name of every node below this one by dotted path (`""` is this node).
    pub fn flat_classes(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        self.collect_classes("", &mut out);
        out
    }

    fn collect_classes(&self, path: &str, out: &mut BTreeMap<String, String>) {
        out.insert(path.to_owned(), self.class_name.clone());
        for (name, child) in &self.children {
            let p = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            child.collect_classes(&p, out);
        }
    }

    /// A readable listing: classes, attributes, then tensors with dtype and shape.
    pub fn render(&self, name: &str) -> String {
        let mut s = String::new();
        self.render_into(&mut s, name, "", 0);
        s
    }

    fn render_into(&self, s: &mut String, name: &str, path: &str, depth: usize) {
        let pad = "  ".repeat(depth);
        let kind = match self.kind {
            NodeKind::Persistent => " (persistent)",
            NodeKind::TorchScript => " (torchscript)",
            NodeKind::Module | NodeKind::Container => "",
        };
        let _ = writeln!(s, "{pad}{name}: {}{kind}", self.class_name);
        for (k, v) in &self.attributes {
            let mut text = v.to_string();
            if text.len() > 300 {
                let cut = (0..=300)
                    .rev()
                    .find(|&i| text.is_char_boundary(i))
                    .unwrap_or(0);
                text.truncate(cut);
                text.push('…');
            }
            let _ = writeln!(s, "{pad}  @{k} = {text}");
        }
        for (k, t) in &self.tensors {
            let full = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            let view = if t.is_contiguous() && t.offset == 0 {
                ""
            } else {
                " (strided view)"
            };
            let _ = writeln!(s, "{pad}  {full}  {} {:?}{view}", t.dtype, t.shape);
        }
        for (k, child) in &self.children {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            child.render_into(s, k, &p, depth + 1);
        }
    }
}

/// Turns the unpickled object graph into a [`ModuleNode`] tree.
pub fn build(ctx: &Context, root: &Value, constants: Option<&Value>) -> Result<ModuleNode> {
    let mut b = Builder {
        ctx,
        visited: 0,
        on_path: HashSet::new(),
    };
    let mut node = match b.module_like(root) {
        Some(_) => b.node(root, 0)?,
        None => {
            let mut n = ModuleNode::new("value".into(), NodeKind::Container);
            b.add_entry(&mut n, "value", root, 0)?;
            n
        }
    };
    if let Some(c) = constants
        && ctx.arena.seq(c).is_some_and(|s| !s.is_empty())
    {
        let child = b.node(c, 0)?;
        node.children.push(("constants".into(), child));
    }
    Ok(node)
}

struct Builder<'a> {
    ctx: &'a Context,
    visited: usize,
    on_path: HashSet<ObjId>,
}

impl Builder<'_> {
    fn tick(&mut self, depth: usize) -> Result<()> {
        self.visited += 1;
        if self.visited > self.ctx.limits.max_tree_values {
            return Err(PickleError::Limit(format!(
                "more than {} values in the module tree",
                self.ctx.limits.max_tree_values
            )));
        }
        if depth > self.ctx.limits.max_depth {
            return Err(PickleError::Limit(format!(
                "module tree deeper than {}",
                self.ctx.limits.max_depth
            )));
        }
        Ok(())
    }

    /// `Some(kind)` when `v` is a module or a container that becomes a node.
    fn module_like(&self, v: &Value) -> Option<NodeKind> {
        match self.ctx.arena.deref(v)? {
            Obj::Persistent(_) => Some(NodeKind::Persistent),
            Obj::Object(o) => {
                if o.class.module.starts_with("__torch__") {
                    return Some(NodeKind::TorchScript);
                }
                let state = o.state.as_ref().and_then(|s| state_dict(self.ctx, s))?;
                (state.get_str("_modules").is_some() || state.get_str("_parameters").is_some())
                    .then_some(NodeKind::Module)
            }
            Obj::Dict(_) | Obj::List(_) | Obj::Tuple(_) => Some(NodeKind::Container),
            _ => None,
        }
    }

    fn tensor(&self, v: &Value, name: &str) -> Result<Option<TensorView>> {
        let Some(Obj::Tensor(t)) = self.ctx.arena.deref(v) else {
            return Ok(None);
        };
        let err = |msg: &str| PickleError::Tensor {
            name: name.to_owned(),
            msg: msg.to_owned(),
        };
        let Some(Obj::Storage(s)) = self.ctx.arena.get(t.storage) else {
            return Err(err("no storage"));
        };
        let StorageData::Ready(blob) = &s.data else {
            return Err(err(
                "its storage is referenced but its bytes are missing from the file",
            ));
        };
        let view = TensorView {
            dtype: s.dtype,
            shape: t.shape.clone(),
            strides: t.strides.clone(),
            offset: t.offset,
            storage: blob.clone(),
            storage_key: s.key.to_string(),
            requires_grad: t.requires_grad,
            parameter: t.parameter,
        };
        view.validate(name)?;
        Ok(Some(view))
    }

    /// Whether `v` holds a tensor or a module anywhere below it.
    fn has_weights(&mut self, v: &Value, depth: usize) -> Result<bool> {
        self.tick(depth)?;
        let Value::Ref(id) = v else { return Ok(false) };
        if self.on_path.contains(id) {
            return Ok(false);
        }
        let Some(obj) = self.ctx.arena.get(*id) else {
            return Ok(false);
        };
        let children: Vec<Value> = match obj {
            Obj::Tensor(_) | Obj::Persistent(_) => return Ok(true),
            Obj::Object(_) if self.module_like(v).is_some() => return Ok(true),
            Obj::Object(o) => o
                .dict_items
                .items
                .iter()
                .map(|(_, v)| v.clone())
                .chain(o.list_items.iter().cloned())
                .collect(),
            Obj::Dict(d) => d.items.iter().map(|(_, v)| v.clone()).collect(),
            Obj::List(l) | Obj::Tuple(l) | Obj::Set(l) => l.clone(),
            Obj::Storage(_) => return Ok(false),
        };
        self.on_path.insert(*id);
        let mut found = false;
        for c in &children {
            if self.has_weights(c, depth + 1)? {
                found = true;
                break;
            }
        }
        self.on_path.remove(id);
        Ok(found)
    }

    fn node(&mut self, v: &Value, depth: usize) -> Result<ModuleNode> {
        self.tick(depth)?;
        let Value::Ref(id) = v else {
            return Ok(ModuleNode::new("value".into(), NodeKind::Container));
        };
        if !self.on_path.insert(*id) {
            let mut n = ModuleNode::new("<cycle>".into(), NodeKind::Container);
            n.attributes.push((
                "cycle".into(),
                Json::String("reference to an enclosing object".into()),
            ));
            return Ok(n);
        }
        let result = self.node_inner(v, depth);
        self.on_path.remove(id);
        result
    }

    fn node_inner(&mut self, v: &Value, depth: usize) -> Result<ModuleNode> {
        let kind = self.module_like(v).unwrap_or(NodeKind::Container);
        let ctx = self.ctx;
        match ctx.arena.deref(v) {
            Some(Obj::Persistent(meta)) => {
                let meta = ctx.arena.dict(meta);
                let text = |k: &str| match meta.and_then(|m| m.get_str(k)) {
                    Some(Value::Str(s)) => Some(s.to_string()),
                    _ => None,
                };
                let mut n = ModuleNode::new(
                    text("class_name").unwrap_or_else(|| "<persistent>".into()),
                    kind,
                );
                n.module_src = text("module_src");
                if let Some(state) = meta.and_then(|m| m.get_str("state"))
                    && let Some(d) = state_dict(ctx, state)
                {
                    self.fill_from_state(&mut n, d, depth)?;
                }
                Ok(n)
            }
            Some(Obj::Object(o)) => {
                let mut n = ModuleNode::new(o.class.dotted(), kind);
                if let Some(d) = o.state.as_ref().and_then(|s| state_dict(ctx, s)) {
                    self.fill_from_state(&mut n, d, depth)?;
                }
                for (k, item) in &o.dict_items.items {
                    self.add_entry(&mut n, &key_name(k), item, depth)?;
                }
                for (i, item) in o.list_items.iter().enumerate() {
                    self.add_entry(&mut n, &i.to_string(), item, depth)?;
                }
                Ok(n)
            }
            Some(Obj::Dict(d)) => {
                let class = d
                    .class
                    .as_ref()
                    .map_or_else(|| "dict".to_owned(), |g| g.dotted());
                let mut n = ModuleNode::new(class, kind);
                for (k, item) in &d.items {
                    self.add_entry(&mut n, &key_name(k), item, depth)?;
                }
                Ok(n)
            }
            Some(Obj::List(l) | Obj::Tuple(l)) => {
                let class = if matches!(ctx.arena.deref(v), Some(Obj::List(_))) {
                    "list"
                } else {
                    "tuple"
                };
                let mut n = ModuleNode::new(class.into(), kind);
                for (i, item) in l.iter().enumerate() {
                    self.add_entry(&mut n, &i.to_string(), item, depth)?;
                }
                Ok(n)
            }
            _ => Ok(ModuleNode::new("value".into(), NodeKind::Container)),
        }
    }

    /// Fills a module from its `__dict__`: `_parameters`, `_buffers`, `_modules`, `_init_args`,
    /// `_init_kwargs`, and public attributes. Other `_`-prefixed torch internals (hooks, …) are skipped.
    fn fill_from_state(&mut self, n: &mut ModuleNode, state: &Dict, depth: usize) -> Result<()> {
        let ctx = self.ctx;
        for (k, v) in &state.items {
            let Value::Str(key) = k else { continue };
            match &**key {
                "_parameters" | "_buffers" | "_modules" => {
                    if let Some(d) = ctx.arena.dict(v) {
                        for (name, item) in &d.items {
                            if matches!(item, Value::None) {
                                continue;
                            }
                            self.add_entry(n, &key_name(name), item, depth)?;
                        }
                    }
                }
                "_init_args" | "_init_kwargs" => {
                    let j = self.json(v, depth + 1)?;
                    n.attributes.push((key[1..].to_owned(), j));
                }
                k if k.starts_with('_') => {}
                k => self.add_entry(n, k, v, depth)?,
            }
        }
        Ok(())
    }

    fn add_entry(&mut self, n: &mut ModuleNode, name: &str, v: &Value, depth: usize) -> Result<()> {
        let dotted = name; // local name; full names are formed by the flat views
        if let Some(t) = self.tensor(v, dotted)? {
            n.tensors.push((name.to_owned(), t));
            return Ok(());
        }
        let kind = self.module_like(v);
        let is_node = match kind {
            Some(NodeKind::Container) | None => self.has_weights(v, depth + 1)?,
            Some(_) => true,
        };
        if is_node {
            let child = self.node(v, depth + 1)?;
            n.children.push((name.to_owned(), child));
        } else {
            let j = self.json(v, depth + 1)?;
            n.attributes.push((name.to_owned(), j));
        }
        Ok(())
    }

    /// A plain value as JSON. Objects become `{"__class__": …}` records; nothing is called.
    fn json(&mut self, v: &Value, depth: usize) -> Result<Json> {
        self.tick(depth)?;
        Ok(match v {
            Value::None => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::BigInt(b) => Json::String(format!("<integer of {} bytes>", b.len())),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or_else(|| Json::String(f.to_string()), Json::Number),
            Value::Str(s) => Json::String(s.to_string()),
            Value::Bytes(b) => Json::String(format!("<{} bytes>", b.len())),
            Value::Global(g) => Json::String(g.dotted()),
            Value::Ref(id) => {
                if !self.on_path.insert(*id) {
                    return Ok(Json::String("<cycle>".into()));
                }
                let r = self.json_obj(*id, depth);
                self.on_path.remove(id);
                r?
            }
        })
    }

    fn json_obj(&mut self, id: ObjId, depth: usize) -> Result<Json> {
        let ctx = self.ctx;
        let Some(obj) = ctx.arena.get(id) else {
            return Ok(Json::Null);
        };
        Ok(match obj {
            Obj::List(l) | Obj::Tuple(l) | Obj::Set(l) => Json::Array(
                l.iter()
                    .map(|x| self.json(x, depth + 1))
                    .collect::<Result<_>>()?,
            ),
            Obj::Dict(d) => self.json_dict(d, depth)?,
            Obj::Object(o) => {
                let mut m = Map::new();
                m.insert("__class__".into(), Json::String(o.class.dotted()));
                if !o.args.is_empty() {
                    let args = o
                        .args
                        .iter()
                        .map(|x| self.json(x, depth + 1))
                        .collect::<Result<_>>()?;
                    m.insert("args".into(), Json::Array(args));
                }
                if let Some(s) = &o.state {
                    m.insert("state".into(), self.json(s, depth + 1)?);
                }
                if !o.dict_items.items.is_empty() {
                    m.insert("items".into(), self.json_dict(&o.dict_items, depth)?);
                }
                if !o.list_items.is_empty() {
                    let l = o
                        .list_items
                        .iter()
                        .map(|x| self.json(x, depth + 1))
                        .collect::<Result<_>>()?;
                    m.insert("list".into(), Json::Array(l));
                }
                Json::Object(m)
            }
            Obj::Persistent(_) => Json::String("<persistent object>".into()),
            Obj::Tensor(t) => Json::String(format!("<tensor {:?}>", t.shape)),
            Obj::Storage(s) => Json::String(format!("<storage {} x {}>", s.numel, s.dtype)),
        })
    }

    fn json_dict(&mut self, d: &Dict, depth: usize) -> Result<Json> {
        let mut m = Map::new();
        for (k, v) in &d.items {
            let j = self.json(v, depth + 1)?;
            m.insert(key_name(k), j);
        }
        Ok(Json::Object(m))
    }
}

/// The `__dict__` part of a `BUILD` state (`state` or `(state, slotstate)`).
fn state_dict<'c>(ctx: &'c Context, state: &Value) -> Option<&'c Dict> {
    if let Some(d) = ctx.arena.dict(state) {
        return Some(d);
    }
    match ctx.arena.seq(state) {
        Some([d, _]) => ctx.arena.dict(d),
        _ => None,
    }
}

/// A dict key as a name: strings as they are, numbers in decimal, others described.
fn key_name(k: &Value) -> String {
    match k {
        Value::Str(s) => s.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::None => "None".to_owned(),
        Value::Bytes(b) => String::from_utf8_lossy(b.as_slice()).into_owned(),
        _ => "<key>".to_owned(),
    }
}
