//! The binary form of compiled conditions and saved groups.
//!
//! A condition is stored as the tree [`Condition::parse`] builds, node for
//! node, so that decoding it is reading it: the engines do not link the
//! condition compiler (operator names, operator objects, JavaScript key
//! order, regex literals, lint paths), about 5 KB of code before wasm-opt.
//! Whatever a node holds that [`Condition::parse`] derived with code the
//! evaluation runs anyway is derived again here instead of stored (the
//! number of a string compared with `$lt`, a compiled regex), so a decoded
//! tree is the tree of its source, which `tests/engine.rs` checks for every
//! GrowthBook conformance case.
//!
//! Depths count as the JSON of the condition nests (a document, its
//! attribute's value, an operator's operand, each array), so every
//! condition the compiler accepts (nested less deep than
//! [`super::MAX_DEPTH`]) decodes.
//!
//! Layout (integers as varints, strings and numbers as in the rest of the format):
//!
//! - document: count, then clauses; a clause is a tag byte (low 3 bits:
//!   `$and` 0, `$or` 1, `$nor` 2, `$not` 3, attribute 4, `$savedGroup` 5;
//!   bit 3: its source JSON follows the tag), then `$and`/`$or`/`$nor`:
//!   count and documents; `$not`: a document; attribute: path and test;
//!   `$savedGroup`: 0, or 1, the id and the attribute key (0: none,
//!   1: not a string, 2: a string follows).
//! - test: tag 8 and a count of operators, or else a value: a string, number,
//!   boolean or null is that test, an array or object is JSON equality.
//! - operator: a tag byte, the operator in the low 4 bits and its flags in
//!   the high 4 (see [`Writer::op`]), then its operands.
//! - saved groups: count, then id and group: a tag (0: v1 values, 1: v2
//!   list, 2: v2 condition, 3: anything else; flags in the high 4 bits),
//!   its parts, and for v2 the payload entry.

use super::{Reader, Writer, MAX_DEPTH};
use crate::condition::{regex, string_to_number, Clause, Condition, Doc, Group, GroupRef, Op, Prim, Rel, SavedGroups, Source, Test};
use crate::value::Value;

/// A test that is an operator object; other tags are values.
const OPS: u8 = 8;
/// The bit of a clause's tag saying its source follows.
const HAS_SOURCE: u8 = 8;

impl Writer {
    pub(super) fn condition(&mut self, c: &Condition) {
        self.doc(&c.doc);
    }

    fn doc(&mut self, doc: &Doc) {
        self.uint(doc.0.len() as u64);
        for clause in &doc.0 {
            let (tag, source) = match clause {
                Clause::And(_) => (0, &None),
                Clause::Or(_, s) => (1, s),
                Clause::Nor(_, s) => (2, s),
                Clause::Not(_, s) => (3, s),
                Clause::Attr(_, _, s) => (4, s),
                Clause::SavedGroup(_, s) => (5, s),
            };
            match source.as_ref().filter(|_| self.sources) {
                Some(source) => {
                    self.out.push(tag | HAS_SOURCE);
                    self.value(source);
                }
                None => self.out.push(tag),
            }
            match clause {
                Clause::And(docs) | Clause::Or(docs, _) | Clause::Nor(docs, _) => self.docs(docs),
                Clause::Not(doc, _) => self.doc(doc),
                Clause::Attr(path, test, _) => {
                    self.str(path);
                    self.test(test);
                }
                Clause::SavedGroup(None, _) => self.out.push(0),
                Clause::SavedGroup(Some(r), _) => {
                    self.out.push(1);
                    self.str(&r.id);
                    match &r.attribute_key {
                        None => self.out.push(0),
                        Some(None) => self.out.push(1),
                        Some(Some(key)) => {
                            self.out.push(2);
                            self.str(key);
                        }
                    }
                }
            }
        }
    }

    fn docs(&mut self, docs: &[Doc]) {
        self.uint(docs.len() as u64);
        docs.iter().for_each(|d| self.doc(d));
    }

    fn test(&mut self, test: &Test) {
        match test {
            Test::Str(s) => {
                self.out.push(4);
                self.str(s);
            }
            Test::Num(n) => self.number(*n),
            Test::Bool(b) => self.out.push(1 + u8::from(*b)),
            Test::Null => self.out.push(0),
            // Always an array or an object (`Condition::parse` makes the others tests of their own).
            Test::Json(v) => self.value(v),
            Test::Ops(ops) => {
                self.out.push(OPS);
                self.uint(ops.len() as u64);
                ops.iter().for_each(|op| self.op(op));
            }
        }
    }

    fn tests(&mut self, tests: &[Test]) {
        self.uint(tests.len() as u64);
        tests.iter().for_each(|t| self.test(t));
    }

    fn values(&mut self, values: &[Value]) {
        self.uint(values.len() as u64);
        values.iter().for_each(|v| self.value(v));
    }

    /// An operator: `kind | flags << 4`, then its operands.
    fn op(&mut self, op: &Op) {
        let tag = |kind: u8, flags: [bool; 3]| kind | u8::from(flags[0]) << 4 | u8::from(flags[1]) << 5 | u8::from(flags[2]) << 6;
        match op {
            Op::Eq(v) => {
                self.out.push(0);
                self.value(v);
            }
            Op::Ne(v) => {
                self.out.push(1);
                self.value(v);
            }
            // The relation in flag bits 0-2; bit 3: the operand is a string
            // (its number is derived again when decoding).
            Op::Cmp(rel, Prim::Num(n)) => {
                self.out.push(2 | (*rel as u8) << 4);
                self.number(*n);
            }
            Op::Cmp(rel, Prim::Str(s, _)) => {
                self.out.push(2 | (*rel as u8 | 8) << 4);
                self.str(s);
            }
            Op::Version(rel, padded) => {
                self.out.push(3 | (*rel as u8) << 4);
                self.str(padded);
            }
            Op::Exists(b) => self.out.push(tag(4, [*b, false, false])),
            Op::In { list, negate, fold } => {
                self.out.push(tag(5, [list.is_some(), *negate, *fold]));
                if let Some(list) = list {
                    self.values(list);
                }
            }
            Op::Group { id, negate } => {
                self.out.push(tag(6, [*negate, false, false]));
                self.str(id);
            }
            Op::Not(t) => {
                self.out.push(7);
                self.test(t);
            }
            Op::Size(t) => {
                self.out.push(8);
                self.test(t);
            }
            Op::ElemValue(t) => {
                self.out.push(9);
                self.test(t);
            }
            Op::ElemDoc(d) => {
                self.out.push(10);
                self.doc(d);
            }
            Op::All { items, fold } => {
                self.out.push(tag(11, [items.is_some(), *fold, false]));
                if let Some(items) = items {
                    self.tests(items);
                }
            }
            // The regex itself is compiled again when decoding.
            Op::Regex { pattern, fold, re: _ } => {
                self.out.push(tag(12, [pattern.is_some(), *fold, false]));
                if let Some(pattern) = pattern {
                    self.str(pattern);
                }
            }
            Op::Text { text, start, end, fold } => {
                self.out.push(tag(13, [*start, *end, *fold]));
                self.str(text);
            }
            Op::Type(name) => {
                self.out.push(14);
                self.str(name);
            }
            Op::Unknown(name) => {
                self.out.push(15);
                self.str(name);
            }
        }
    }

    pub(super) fn saved_groups(&mut self, groups: &SavedGroups) {
        self.uint(groups.0.len() as u64);
        for (id, group) in &groups.0 {
            self.str(id);
            match group {
                Group::Values(values) => {
                    self.out.push(0);
                    self.values(values);
                }
                Group::List { attribute_key, values, source } => {
                    self.out.push(1 | u8::from(attribute_key.is_some()) << 4 | u8::from(values.is_some()) << 5);
                    if let Some(key) = attribute_key {
                        self.str(key);
                    }
                    if let Some(values) = values {
                        self.values(values);
                    }
                    self.value(source);
                }
                Group::Condition(condition, source) => {
                    self.out.push(2 | u8::from(condition.is_some()) << 4);
                    if let Some(condition) = condition {
                        self.condition(condition);
                    }
                    self.value(source);
                }
                Group::Other(source) => {
                    self.out.push(3);
                    self.value(source);
                }
            }
        }
    }
}

impl<const ALL: bool> Reader<'_, ALL> {
    pub(super) fn condition(&mut self) -> Condition {
        Condition { doc: self.doc(0) }
    }

    /// Whether `depth` is too deep (and so recorded): a forged section must
    /// not overflow the stack.
    fn too_deep(&mut self, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            self.fail("condition nested too deep");
            return true;
        }
        false
    }

    /// A document at `depth` (its object's depth in the source).
    fn doc(&mut self, depth: usize) -> Doc {
        if self.too_deep(depth) {
            return Doc::default();
        }
        Doc(self.list(|r| r.clause(depth + 1)))
    }

    /// `depth`: that of the clause's value in the source.
    fn clause(&mut self, depth: usize) -> Clause {
        let tag = self.byte();
        let source: Source = if tag & HAS_SOURCE != 0 { Some(self.value(depth)) } else { None };
        match tag & !HAS_SOURCE {
            5 if !ALL => self.left_out(Clause::And(Vec::new())),
            1 => Clause::Or(self.docs(depth), source),
            2 => Clause::Nor(self.docs(depth), source),
            3 => Clause::Not(Box::new(self.doc(depth)), source),
            4 => Clause::Attr(self.text(), self.test(depth), source),
            5 => Clause::SavedGroup(self.group_ref(), source),
            // `$and` has no source of its own.
            0 if source.is_none() => Clause::And(self.docs(depth)),
            _ => {
                self.fail("condition clause tag");
                Clause::And(Vec::new())
            }
        }
    }

    /// The documents of an array at `depth`.
    fn docs(&mut self, depth: usize) -> Vec<Doc> {
        self.list(|r| r.doc(depth + 1))
    }

    fn group_ref(&mut self) -> Option<GroupRef> {
        if !self.flag() {
            return None;
        }
        let id = self.text();
        let attribute_key = match self.byte() {
            0 => None,
            1 => Some(None),
            2 => Some(Some(self.text())),
            _ => {
                self.fail("saved group reference");
                None
            }
        };
        Some(GroupRef { id, attribute_key })
    }

    /// A test of a value at `depth`.
    fn test(&mut self, depth: usize) -> Test {
        if self.too_deep(depth) {
            return Test::Null;
        }
        if self.error.is_none() && self.bytes.get(self.pos) == Some(&OPS) {
            self.pos += 1;
            return Test::Ops(self.list(|r| r.op(depth + 1)));
        }
        match self.value(depth) {
            Value::String(s) => Test::Str(s.into()),
            Value::Number(n) => Test::Num(n),
            Value::Bool(b) => Test::Bool(b),
            Value::Null => Test::Null,
            json if ALL => Test::Json(json),
            _ => self.left_out(Test::Null),
        }
    }

    /// An operator, clause or test that the common browser engine leaves
    /// out (see [`super::fits_common_engine`]): recorded as an error, and
    /// `default` stands in for it until the ruleset is dropped.
    #[cold]
    fn left_out<T>(&mut self, default: T) -> T {
        self.fail("an operator of the all-operators feature");
        default
    }

    /// A string as a `Box<str>`, made in one place (each `String` to
    /// `Box<str>` conversion inlined a reallocation).
    fn text(&mut self) -> Box<str> {
        self.string().into_boxed_str()
    }

    fn rel(&mut self, flags: u8) -> Rel {
        match Rel::ALL.get(usize::from(flags & 7)) {
            Some(&rel) => rel,
            None => {
                self.fail("comparison");
                Rel::Eq
            }
        }
    }

    /// An operator whose operand is at `depth`.
    fn op(&mut self, depth: usize) -> Op {
        let tag = self.byte();
        let flag = |bit: u8| tag >> 4 & 1 << bit != 0;
        match tag & 15 {
            3 | 6 | 8..=11 | 14 if !ALL => self.left_out(Op::Exists(false)),
            0 => Op::Eq(self.value(depth)),
            1 => Op::Ne(self.value(depth)),
            2 => Op::Cmp(
                self.rel(tag >> 4),
                if flag(3) {
                    let s = self.string();
                    let n = string_to_number(&s);
                    Prim::Str(s.into(), n)
                } else {
                    Prim::Num(self.number())
                },
            ),
            3 => Op::Version(self.rel(tag >> 4), self.text()),
            4 => Op::Exists(flag(0)),
            5 => Op::In {
                list: if flag(0) { Some(self.values(depth + 1)) } else { None },
                negate: flag(1),
                fold: flag(2),
            },
            6 => Op::Group { id: self.text(), negate: flag(0) },
            7 => Op::Not(Box::new(self.test(depth))),
            8 => Op::Size(Box::new(self.test(depth))),
            9 => Op::ElemValue(Box::new(self.test(depth))),
            10 => Op::ElemDoc(Box::new(self.doc(depth))),
            11 => Op::All { items: if flag(0) { Some(self.list(|r| r.test(depth + 1))) } else { None }, fold: flag(1) },
            12 => {
                let fold = flag(1);
                let pattern: Option<Box<str>> = if flag(0) { Some(self.text()) } else { None };
                let re = pattern.as_deref().and_then(|p| regex(p, fold));
                Op::Regex { pattern, fold, re }
            }
            13 => Op::Text { text: self.text(), start: flag(0), end: flag(1), fold: flag(2) },
            14 => Op::Type(self.text()),
            _ => Op::Unknown(self.text()),
        }
    }

    /// The saved groups object is at depth 0, each group at 1.
    pub(super) fn saved_groups(&mut self) -> SavedGroups {
        // Only the operators the common engine leaves out read saved groups.
        if !ALL {
            if self.uint() != 0 {
                self.left_out(());
            }
            return SavedGroups::default();
        }
        SavedGroups(self.list(|r| {
            let id = r.string();
            let tag = r.byte();
            let flag = |bit: u8| tag >> 4 & 1 << bit != 0;
            let group = match tag & 15 {
                0 => Group::Values(r.values(2)),
                1 => Group::List {
                    attribute_key: if flag(0) { Some(r.string()) } else { None },
                    values: if flag(1) { Some(r.values(3)) } else { None },
                    source: r.value(1),
                },
                2 => Group::Condition(if flag(0) { Some(Box::new(Condition { doc: r.doc(2) })) } else { None }, r.value(1)),
                3 => Group::Other(r.value(1)),
                _ => {
                    r.fail("saved group tag");
                    Group::Other(Value::Null)
                }
            };
            (id, group)
        }))
    }
}
