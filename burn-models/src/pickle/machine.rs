//! The pickle virtual machine (protocols 0–5), without any code execution.
//!
//! Opcodes follow CPython's `Lib/pickle.py` / `Modules/_pickle.c`. Globals are never imported: `GLOBAL` pushes a
//! name, and `REDUCE` / `NEWOBJ` / `BUILD` on names are interpreted by [`super::globals`] for a short list of
//! known, pure functions and classes; everything else becomes an inert [`Object`].

use std::collections::HashMap;
use std::sync::Arc;

use super::blob::Blob;
use super::context::{Context, PersistentLoad};
use super::error::{PickleError, Result};
use super::globals;
use super::value::{Dict, Global, Obj, Value};

/// Runs one pickle stream of `data` starting at `start`; returns the value and the offset after `STOP`.
pub fn unpickle(
    ctx: &mut Context,
    data: &Blob,
    start: usize,
    persistent: &mut dyn PersistentLoad,
) -> Result<(Value, usize)> {
    let mut m = Machine {
        data,
        pos: start,
        op_pos: start,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
    };
    let value = m.run(ctx, persistent)?;
    Ok((value, m.pos))
}

struct Machine<'a> {
    data: &'a Blob,
    pos: usize,
    op_pos: usize,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: HashMap<u64, Value>,
}

impl Machine<'_> {
    fn malformed(&self, msg: impl Into<String>) -> PickleError {
        PickleError::Malformed {
            offset: self.op_pos,
            msg: msg.into(),
        }
    }

    fn take(&mut self, n: u64, what: &'static str) -> Result<&[u8]> {
        let input = self.data.as_slice();
        let available = input.len() - self.pos;
        if n > available as u64 {
            return Err(PickleError::Truncated {
                offset: self.pos,
                what,
                needed: n,
                available,
            });
        }
        let n = n as usize;
        let s = &input[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn take_blob(&mut self, n: u64, what: &'static str) -> Result<Blob> {
        let start = self.pos;
        self.take(n, what)?;
        // `take` checked the range, so the slice exists.
        self.data
            .slice(start, n as usize)
            .ok_or(PickleError::Truncated {
                offset: start,
                what,
                needed: n,
                available: 0,
            })
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1, "u8 operand")?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2, "u16 operand")?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4, "u32 operand")?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8, "u64 operand")?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn line(&mut self) -> Result<&[u8]> {
        let input = self.data.as_slice();
        let rest = &input[self.pos..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(n) => {
                let s = &input[self.pos..self.pos + n];
                self.pos += n + 1;
                Ok(s)
            }
            None => Err(PickleError::Truncated {
                offset: self.pos,
                what: "newline-terminated operand",
                needed: rest.len() as u64 + 1,
                available: rest.len(),
            }),
        }
    }

    fn line_str(&mut self) -> Result<String> {
        let off = self.pos;
        let l = self.line()?.to_vec();
        String::from_utf8(l).map_err(|_| PickleError::Malformed {
            offset: off,
            msg: "operand is not UTF-8".into(),
        })
    }

    fn push(&mut self, ctx: &Context, v: Value) -> Result<()> {
        if self.stack.len() >= ctx.limits.max_stack {
            return Err(PickleError::Limit(format!(
                "pickle stack deeper than {}",
                ctx.limits.max_stack
            )));
        }
        self.stack.push(v);
        Ok(())
    }

    fn pop(&mut self) -> Result<Value> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(self.malformed("stack underflow"));
        }
        self.stack
            .pop()
            .ok_or_else(|| self.malformed("stack underflow"))
    }

    fn top(&self) -> Result<&Value> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(self.malformed("stack underflow"));
        }
        self.stack
            .last()
            .ok_or_else(|| self.malformed("stack underflow"))
    }

    fn pop_mark(&mut self) -> Result<Vec<Value>> {
        let mark = self
            .marks
            .pop()
            .ok_or_else(|| self.malformed("no MARK on the stack"))?;
        if mark > self.stack.len() {
            return Err(self.malformed("MARK beyond the stack"));
        }
        Ok(self.stack.split_off(mark))
    }

    fn memo_put(&mut self, ctx: &Context, key: u64, v: Value) -> Result<()> {
        if self.memo.len() >= ctx.limits.max_memo && !self.memo.contains_key(&key) {
            return Err(PickleError::Limit(format!(
                "more than {} memo entries",
                ctx.limits.max_memo
            )));
        }
        self.memo.insert(key, v);
        Ok(())
    }

    fn memo_get(&self, key: u64) -> Result<Value> {
        self.memo
            .get(&key)
            .cloned()
            .ok_or_else(|| self.malformed(format!("memo key {key} not found")))
    }

    fn str_value(&self, ctx: &mut Context, bytes: &[u8]) -> Result<Value> {
        let s =
            std::str::from_utf8(bytes).map_err(|_| self.malformed("string is not valid UTF-8"))?;
        ctx.charge(s.len() as u64)?;
        Ok(Value::Str(Arc::from(s)))
    }

    fn run(&mut self, ctx: &mut Context, persistent: &mut dyn PersistentLoad) -> Result<Value> {
        loop {
            self.op_pos = self.pos;
            let op = self.u8()?;
            match op {
                // --- framing and protocol
                0x80 => {
                    let p = self.u8()?;
                    if p > 5 {
                        return Err(PickleError::Unsupported(format!("pickle protocol {p}")));
                    }
                }
                0x95 => {
                    // FRAME: the length is advisory; the opcodes that follow are read as usual.
                    self.u64()?;
                }
                b'.' => {
                    // STOP
                    let v = self.pop()?;
                    return Ok(v);
                }
                // --- stack manipulation
                b'(' => {
                    if self.marks.len() >= ctx.limits.max_marks {
                        return Err(PickleError::Limit(format!(
                            "more than {} nested MARKs",
                            ctx.limits.max_marks
                        )));
                    }
                    self.marks.push(self.stack.len());
                }
                b'0' => {
                    self.pop()?;
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'2' => {
                    let v = self.top()?.clone();
                    self.push(ctx, v)?;
                }
                // --- constants and numbers
                b'N' => self.push(ctx, Value::None)?,
                0x88 => self.push(ctx, Value::Bool(true))?,
                0x89 => self.push(ctx, Value::Bool(false))?,
                b'J' => {
                    let v = self.u32()? as i32;
                    self.push(ctx, Value::Int(i64::from(v)))?;
                }
                b'K' => {
                    let v = self.u8()?;
                    self.push(ctx, Value::Int(i64::from(v)))?;
                }
                b'M' => {
                    let v = self.u16()?;
                    self.push(ctx, Value::Int(i64::from(v)))?;
                }
                0x8a | 0x8b => {
                    let n = if op == 0x8a {
                        u64::from(self.u8()?)
                    } else {
                        u64::from(self.u32()?)
                    };
                    let bytes = self.take(n, "LONG operand")?.to_vec();
                    ctx.charge(n)?;
                    let v = long_from_le(&bytes);
                    self.push(ctx, v)?;
                }
                b'I' => {
                    let off = self.pos;
                    let s = self.line_str()?;
                    let v = match s.as_str() {
                        "00" => Value::Bool(false),
                        "01" => Value::Bool(true),
                        t => Value::Int(t.trim().parse().map_err(|_| PickleError::Malformed {
                            offset: off,
                            msg: format!("invalid INT operand {t:?}"),
                        })?),
                    };
                    self.push(ctx, v)?;
                }
                b'L' => {
                    let off = self.pos;
                    let s = self.line_str()?;
                    let t = s.trim().trim_end_matches('L');
                    let v = t.parse::<i64>().map(Value::Int).or_else(|_| {
                        if !t.is_empty()
                            && t.trim_start_matches('-')
                                .bytes()
                                .all(|b| b.is_ascii_digit())
                        {
                            ctx.charge(t.len() as u64)?;
                            Ok(Value::BigInt(Arc::from(t.as_bytes())))
                        } else {
                            Err(PickleError::Malformed {
                                offset: off,
                                msg: format!("invalid LONG operand {t:?}"),
                            })
                        }
                    })?;
                    self.push(ctx, v)?;
                }
                b'F' => {
                    let off = self.pos;
                    let s = self.line_str()?;
                    let v: f64 = s.trim().parse().map_err(|_| PickleError::Malformed {
                        offset: off,
                        msg: format!("invalid FLOAT operand {s:?}"),
                    })?;
                    self.push(ctx, Value::Float(v))?;
                }
                b'G' => {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(self.take(8, "BINFLOAT operand")?);
                    let v = f64::from_be_bytes(a);
                    self.push(ctx, Value::Float(v))?;
                }
                // --- strings and bytes
                b'X' | 0x8c | 0x8d => {
                    let n = match op {
                        b'X' => u64::from(self.u32()?),
                        0x8c => u64::from(self.u8()?),
                        _ => self.u64()?,
                    };
                    let start = self.pos;
                    self.take(n, "string")?;
                    let bytes = &self.data.as_slice()[start..self.pos];
                    let v = self.str_value(ctx, bytes)?;
                    self.push(ctx, v)?;
                }
                b'V' => {
                    let off = self.pos;
                    let raw = self.line()?.to_vec();
                    let s = decode_raw_unicode_escape(&raw).ok_or(PickleError::Malformed {
                        offset: off,
                        msg: "invalid UNICODE operand".into(),
                    })?;
                    ctx.charge(s.len() as u64)?;
                    self.push(ctx, Value::Str(Arc::from(s)))?;
                }
                b'B' | b'C' | 0x8e | 0x96 => {
                    let n = match op {
                        b'B' => u64::from(self.u32()?),
                        b'C' => u64::from(self.u8()?),
                        _ => self.u64()?,
                    };
                    let blob = self.take_blob(n, "bytes")?;
                    self.push(ctx, Value::Bytes(blob))?;
                }
                b'T' | b'U' => {
                    // Python 2 `str`: decoded like `encoding='latin1'` would, kept as bytes.
                    let n = if op == b'T' {
                        u64::from(self.u32()?)
                    } else {
                        u64::from(self.u8()?)
                    };
                    let blob = self.take_blob(n, "bytes")?;
                    self.push(ctx, Value::Bytes(blob))?;
                }
                b'S' => {
                    let off = self.pos;
                    let raw = self.line()?.to_vec();
                    let s = decode_quoted_string(&raw).ok_or(PickleError::Malformed {
                        offset: off,
                        msg: "invalid STRING operand".into(),
                    })?;
                    ctx.charge(s.len() as u64)?;
                    self.push(ctx, Value::Bytes(Blob::new(s)))?;
                }
                0x97 | 0x98 => {
                    return Err(PickleError::Unsupported(
                        "out-of-band buffers (pickle protocol 5)".into(),
                    ));
                }
                // --- containers
                b')' => {
                    let v = ctx.arena.alloc(Obj::Tuple(Vec::new()));
                    self.push(ctx, v)?;
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    let floor = self.marks.last().copied().unwrap_or(0);
                    if self.stack.len() < floor + n {
                        return Err(self.malformed("stack underflow"));
                    }
                    let items = self.stack.split_off(self.stack.len() - n);
                    let v = ctx.arena.alloc(Obj::Tuple(items));
                    self.push(ctx, v)?;
                }
                b't' => {
                    let items = self.pop_mark()?;
                    let v = ctx.arena.alloc(Obj::Tuple(items));
                    self.push(ctx, v)?;
                }
                b']' => {
                    let v = ctx.arena.alloc(Obj::List(Vec::new()));
                    self.push(ctx, v)?;
                }
                b'l' => {
                    let items = self.pop_mark()?;
                    let v = ctx.arena.alloc(Obj::List(items));
                    self.push(ctx, v)?;
                }
                b'}' => {
                    let v = ctx.arena.alloc(Obj::Dict(Dict::default()));
                    self.push(ctx, v)?;
                }
                b'd' => {
                    let items = self.pop_mark()?;
                    if items.len() % 2 != 0 {
                        return Err(self.malformed("DICT with an odd number of items"));
                    }
                    let mut d = Dict::default();
                    let mut it = items.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        d.insert(k, v);
                    }
                    let v = ctx.arena.alloc(Obj::Dict(d));
                    self.push(ctx, v)?;
                }
                0x8f => {
                    let v = ctx.arena.alloc(Obj::Set(Vec::new()));
                    self.push(ctx, v)?;
                }
                0x91 => {
                    let items = self.pop_mark()?;
                    let v = ctx.arena.alloc(Obj::Set(items));
                    self.push(ctx, v)?;
                }
                b'a' => {
                    let v = self.pop()?;
                    let target = self.top()?.clone();
                    self.extend(ctx, &target, vec![v])?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    let target = self.top()?.clone();
                    self.extend(ctx, &target, items)?;
                }
                0x90 => {
                    let items = self.pop_mark()?;
                    let target = self.top()?.clone();
                    match target_mut(ctx, &target) {
                        Some(Obj::Set(s)) => s.extend(items),
                        _ => return Err(self.malformed("ADDITEMS on a non-set")),
                    }
                }
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    let target = self.top()?.clone();
                    self.set_items(ctx, &target, vec![k, v])?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    if items.len() % 2 != 0 {
                        return Err(self.malformed("SETITEMS with an odd number of items"));
                    }
                    let target = self.top()?.clone();
                    self.set_items(ctx, &target, items)?;
                }
                // --- memo
                b'p' => {
                    let off = self.pos;
                    let s = self.line_str()?;
                    let key: u64 = s.trim().parse().map_err(|_| PickleError::Malformed {
                        offset: off,
                        msg: "invalid PUT operand".into(),
                    })?;
                    let v = self.top()?.clone();
                    self.memo_put(ctx, key, v)?;
                }
                b'q' => {
                    let key = u64::from(self.u8()?);
                    let v = self.top()?.clone();
                    self.memo_put(ctx, key, v)?;
                }
                b'r' => {
                    let key = u64::from(self.u32()?);
                    let v = self.top()?.clone();
                    self.memo_put(ctx, key, v)?;
                }
                0x94 => {
                    let key = self.memo.len() as u64;
                    let v = self.top()?.clone();
                    self.memo_put(ctx, key, v)?;
                }
                b'g' => {
                    let off = self.pos;
                    let s = self.line_str()?;
                    let key: u64 = s.trim().parse().map_err(|_| PickleError::Malformed {
                        offset: off,
                        msg: "invalid GET operand".into(),
                    })?;
                    let v = self.memo_get(key)?;
                    self.push(ctx, v)?;
                }
                b'h' => {
                    let key = u64::from(self.u8()?);
                    let v = self.memo_get(key)?;
                    self.push(ctx, v)?;
                }
                b'j' => {
                    let key = u64::from(self.u32()?);
                    let v = self.memo_get(key)?;
                    self.push(ctx, v)?;
                }
                // --- globals, calls and objects
                b'c' => {
                    let module = self.line_str()?;
                    let name = self.line_str()?;
                    ctx.charge((module.len() + name.len()) as u64)?;
                    self.push(
                        ctx,
                        Value::Global(Global {
                            module: Arc::from(module),
                            name: Arc::from(name),
                        }),
                    )?;
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    match (module, name) {
                        (Value::Str(module), Value::Str(name)) => {
                            self.push(ctx, Value::Global(Global { module, name }))?
                        }
                        _ => return Err(self.malformed("STACK_GLOBAL needs two strings")),
                    }
                }
                b'R' => {
                    let args = self.pop()?;
                    let func = self.pop()?;
                    let args = self.args_of(ctx, &args)?;
                    let v = globals::call(ctx, &func, args, self.op_pos)?;
                    self.push(ctx, v)?;
                }
                0x81 => {
                    let args = self.pop()?;
                    let cls = self.pop()?;
                    let args = self.args_of(ctx, &args)?;
                    let v = globals::new_object(ctx, &cls, args, self.op_pos)?;
                    self.push(ctx, v)?;
                }
                0x92 => {
                    let _kwargs = self.pop()?;
                    let args = self.pop()?;
                    let cls = self.pop()?;
                    let args = self.args_of(ctx, &args)?;
                    let v = globals::new_object(ctx, &cls, args, self.op_pos)?;
                    self.push(ctx, v)?;
                }
                b'o' => {
                    let mut items = self.pop_mark()?;
                    if items.is_empty() {
                        return Err(self.malformed("OBJ without a class"));
                    }
                    let args = items.split_off(1);
                    let cls = items.pop().unwrap_or(Value::None);
                    let v = globals::new_object(ctx, &cls, args, self.op_pos)?;
                    self.push(ctx, v)?;
                }
                b'i' => {
                    let module = self.line_str()?;
                    let name = self.line_str()?;
                    let args = self.pop_mark()?;
                    let cls = Value::Global(Global {
                        module: Arc::from(module),
                        name: Arc::from(name),
                    });
                    let v = globals::new_object(ctx, &cls, args, self.op_pos)?;
                    self.push(ctx, v)?;
                }
                b'b' => {
                    let state = self.pop()?;
                    let target = self.top()?.clone();
                    globals::build(ctx, &target, state, self.op_pos)?;
                }
                0x82..=0x84 => {
                    return Err(PickleError::Unsupported(
                        "extension registry codes (EXT1/2/4)".into(),
                    ));
                }
                b'P' => {
                    let pid = self.line_str()?;
                    ctx.charge(pid.len() as u64)?;
                    let v = persistent.load(ctx, Value::Str(Arc::from(pid)))?;
                    self.push(ctx, v)?;
                }
                b'Q' => {
                    let pid = self.pop()?;
                    let v = persistent.load(ctx, pid)?;
                    self.push(ctx, v)?;
                }
                _ => {
                    return Err(PickleError::BadOpcode {
                        opcode: op,
                        offset: self.op_pos,
                    });
                }
            }
        }
    }

    fn args_of(&self, ctx: &Context, args: &Value) -> Result<Vec<Value>> {
        match ctx.arena.deref(args) {
            Some(Obj::Tuple(items)) => Ok(items.clone()),
            _ => Err(self.malformed("call arguments are not a tuple")),
        }
    }

    fn extend(&self, ctx: &mut Context, target: &Value, items: Vec<Value>) -> Result<()> {
        match target_mut(ctx, target) {
            Some(Obj::List(l)) => l.extend(items),
            Some(Obj::Object(o)) => o.list_items.extend(items),
            _ => return Err(self.malformed("APPEND(S) on a value that is not a list")),
        }
        Ok(())
    }

    fn set_items(&self, ctx: &mut Context, target: &Value, items: Vec<Value>) -> Result<()> {
        let dict = match target_mut(ctx, target) {
            Some(Obj::Dict(d)) => d,
            Some(Obj::Object(o)) => &mut o.dict_items,
            _ => return Err(self.malformed("SETITEM(S) on a value that is not a dict")),
        };
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            dict.insert(k, v);
        }
        Ok(())
    }
}

fn target_mut<'a>(ctx: &'a mut Context, v: &Value) -> Option<&'a mut Obj> {
    match v {
        Value::Ref(id) => ctx.arena.get_mut(*id),
        _ => None,
    }
}

/// A `LONG1` / `LONG4` operand: little-endian two's complement.
fn long_from_le(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Int(0);
    }
    if bytes.len() <= 8 {
        let negative = bytes[bytes.len() - 1] & 0x80 != 0;
        let mut a = if negative { [0xffu8; 8] } else { [0u8; 8] };
        a[..bytes.len()].copy_from_slice(bytes);
        return Value::Int(i64::from_le_bytes(a));
    }
    Value::BigInt(Arc::from(bytes))
}

/// Python's `raw-unicode-escape` (protocol 0 `UNICODE`): `\uXXXX` and `\UXXXXXXXX`, other bytes as Latin-1.
fn decode_raw_unicode_escape(raw: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && i + 1 < raw.len() && (raw[i + 1] == b'u' || raw[i + 1] == b'U') {
            let n = if raw[i + 1] == b'u' { 4 } else { 8 };
            let hex = raw.get(i + 2..i + 2 + n)?;
            let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            out.push(char::from_u32(code)?);
            i += 2 + n;
        } else {
            out.push(char::from(raw[i]));
            i += 1;
        }
    }
    Some(out)
}

/// Protocol 0 `STRING`: a quoted Python 2 string literal with backslash escapes.
fn decode_quoted_string(raw: &[u8]) -> Option<Vec<u8>> {
    let q = *raw.first()?;
    if raw.len() < 2 || (q != b'\'' && q != b'"') || *raw.last()? != q {
        return None;
    }
    let body = &raw[1..raw.len() - 1];
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i] != b'\\' {
            out.push(body[i]);
            i += 1;
            continue;
        }
        let c = *body.get(i + 1)?;
        i += 2;
        match c {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'0'..=b'7' => out.push(c - b'0'),
            b'x' => {
                let hex = body.get(i..i + 2)?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            other => out.push(other),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pickle::context::NoPersistent;
    use crate::pickle::limits::Limits;

    fn run(bytes: &[u8]) -> Result<(Context, Value)> {
        let mut ctx = Context::new(Limits::for_input(bytes.len()));
        let (v, _) = unpickle(&mut ctx, &Blob::new(bytes.to_vec()), 0, &mut NoPersistent)?;
        Ok((ctx, v))
    }

    #[test]
    fn small_ints_and_longs() {
        // pickle.dumps(-1, 2) and pickle.dumps(2**70, 2)
        let (_, v) = run(b"\x80\x02J\xff\xff\xff\xff.").unwrap();
        assert!(matches!(v, Value::Int(-1)));
        let (_, v) = run(b"\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00@.").unwrap();
        assert!(matches!(v, Value::BigInt(_)));
        let (_, v) = run(b"\x80\x02\x8a\x02\xff\x7f.").unwrap();
        assert!(matches!(v, Value::Int(32767)));
    }

    #[test]
    fn errors_not_panics() {
        for bad in [
            &b""[..],
            b"\x80",
            b"(",
            b"a.",
            b"\xff",
            b"h\x05.",
            b"\x80\x02X\xff\xff\xff\xff",
        ] {
            assert!(run(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn protocol0_text() {
        // pickle.dumps({'a': [1, 2.5, u'\u00e9']}, 0)
        let p = b"(dp0\nVa\np1\n(lp2\nI1\naF2.5\naV\\u00e9\np3\nas.";
        let (ctx, v) = run(p).unwrap();
        let d = ctx.arena.dict(&v).unwrap();
        let l = ctx.arena.seq(d.get_str("a").unwrap()).unwrap();
        assert!(matches!(&l[2], Value::Str(s) if &**s == "é"));
    }
}
