//! GrowthBook targeting conditions, pre-compiled.
//!
//! A condition is a MongoDB-style document (`{"country": {"$in": ["DE"]}}`)
//! evaluated against the visitor's attributes. The semantics are those of
//! GrowthBook's JS SDK (`mongrule.ts`), including JavaScript's loose
//! comparisons (`value + "" === "5"`, `value * 1 === 5`, `!!value`, `<`
//! between mixed types, `JSON.stringify` equality): rules written for
//! GrowthBook must target the same visitors here.
//!
//! Unlike the SDK, which walks the JSON on every call, [`Condition::parse`]
//! compiles the document once: paths, operators and regexes are resolved up
//! front, so [`Condition::eval`] only walks a small tree and rarely allocates.
//!
//! Parsing never rejects a condition that GrowthBook evaluates in a defined
//! way: unknown operators and invalid regexes evaluate to `false` exactly as
//! in the SDK, and are reported by [`Condition::lint`]. Only structural
//! mistakes (a condition document that is not an object, `$and`/`$or`/`$nor`
//! that is not an array), where the SDK would iterate the characters of a
//! string or throw, are [`ConditionError`]s.
//!
//! The reference is the JS SDK's `mongrule.ts` as of `@growthbook/growthbook`
//! 1.8.0 (`$savedGroup` references and v2 saved groups included; there is
//! no `$notRegex` there, so it is an unknown operator here too).
//!
//! Known differences, all in regexes, which run on `regex-lite` after a
//! translation from JavaScript syntax (see [`js_regex`]): backreferences,
//! look-around and lone surrogate escapes are not supported (the regex never
//! matches and `lint` reports it); `.` consumes a whole character above
//! U+FFFF where JavaScript sees two code units; under `$regexi`, ranges of
//! non-ASCII letters (`[À-Ö]`) are not case-folded.

use crate::value::Value;
use crate::ALL_OPERATORS;
#[cfg(all(target_arch = "wasm32", feature = "browser", not(feature = "regex")))]
use crate::jsrt::Regex;
#[cfg(feature = "regex")]
use regex_lite::Regex;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

/// GrowthBook's `savedGroups` payload: group id to group, for `$inGroup`,
/// `$notInGroup` and `$savedGroup`.
///
/// Entries come in the SDK's two shapes: a bare array of values (v1), or
/// `{"type":"list","attributeKey":..,"values":[..]}` and
/// `{"type":"condition","condition":{..}}` (v2). Condition groups are
/// compiled once, when inserted (the binary ruleset stores them compiled,
/// see [`crate::codec`]).
#[derive(Debug, Clone, Default)]
pub struct SavedGroups(pub(crate) Vec<(String, Group)>);

/// v2 entries keep their payload entry (`source`) for [`SavedGroups::to_payload`].
#[derive(Debug, Clone)]
pub(crate) enum Group {
    /// A v1 bare array.
    Values(Vec<Value>),
    /// `None` parts are malformed (`attributeKey` not a string, `values` not an array).
    List { attribute_key: Option<String>, values: Option<Vec<Value>>, source: Value },
    /// `None`: the condition is not an object, which matches nobody.
    Condition(Option<Box<Condition>>, Value),
    /// A malformed entry or an unknown group type: matches nobody.
    Other(Value),
}

impl SavedGroups {
    pub fn new() -> Self {
        Self::default()
    }

    /// The SDK's `savedGroups` object (`{"id": [..] | {"type": ..}}`); a
    /// non-object gives no groups.
    pub fn from_payload(payload: &Value) -> Self {
        let mut groups = SavedGroups::new();
        if let Value::Object(entries) = payload {
            for (id, entry) in entries {
                groups.insert_entry(id.as_str(), entry);
            }
        }
        groups
    }

    /// v1 groups (id, members), as the compiler builds them.
    pub fn from_entries(entries: Vec<(String, Vec<Value>)>) -> Self {
        entries.into_iter().collect()
    }

    /// The v1 groups (id, members), in insertion order. v2 entries (from
    /// [`SavedGroups::insert_entry`]) are not included: see [`SavedGroups::to_payload`].
    pub fn entries(&self) -> Vec<(&str, &[Value])> {
        self.0
            .iter()
            .filter_map(|(id, g)| match g {
                Group::Values(values) => Some((id.as_str(), values.as_slice())),
                _ => None,
            })
            .collect()
    }

    /// All groups as the SDK's `savedGroups` payload object.
    pub fn to_payload(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(id, g)| {
                    let v = match g {
                        Group::Values(values) => Value::Array(values.clone()),
                        Group::List { source, .. } | Group::Condition(_, source) | Group::Other(source) => {
                            source.clone()
                        }
                    };
                    (id.clone(), v)
                })
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sets group `id` to a v1 list of member values (replacing an existing group).
    pub fn insert(&mut self, id: impl Into<String>, members: Vec<Value>) {
        self.set(id.into(), Group::Values(members));
    }

    /// Sets group `id` from a payload entry of either shape.
    pub fn insert_entry(&mut self, id: impl Into<String>, entry: &Value) {
        let group = match entry {
            Value::Array(values) => Group::Values(values.clone()),
            Value::Object(_) => match entry.get("type").and_then(Value::as_str) {
                Some("list") => Group::List {
                    attribute_key: entry.get("attributeKey").and_then(Value::as_str).map(String::from),
                    values: match entry.get("values") {
                        Some(Value::Array(values)) => Some(values.clone()),
                        _ => None,
                    },
                    source: entry.clone(),
                },
                Some("condition") => Group::Condition(
                    entry.get("condition").and_then(|c| Condition::parse(c).ok()).map(Box::new),
                    entry.clone(),
                ),
                _ => Group::Other(entry.clone()),
            },
            _ => Group::Other(entry.clone()),
        };
        self.set(id.into(), group);
    }

    fn set(&mut self, id: String, group: Group) {
        match self.0.iter_mut().find(|(k, _)| *k == id) {
            Some(entry) => entry.1 = group,
            None => self.0.push((id, group)),
        }
    }

    fn group(&self, id: &str) -> Option<&Group> {
        self.0.iter().find(|(k, _)| k == id).map(|(_, g)| g)
    }

    /// The member values of a v1 group or a v2 list group.
    pub fn get(&self, id: &str) -> Option<&[Value]> {
        match self.group(id)? {
            Group::Values(values) | Group::List { values: Some(values), .. } => Some(values),
            _ => None,
        }
    }

    /// The SDK's `getSavedGroupArrayValues`: an unknown id is an empty list,
    /// a group without values (`None`) matches nobody, even for `$notInGroup`.
    fn array_values(&self, id: &str) -> Option<&[Value]> {
        match self.group(id) {
            None => Some(&[]),
            Some(Group::Values(values) | Group::List { values: Some(values), .. }) => Some(values),
            Some(_) => None,
        }
    }
}

impl FromIterator<(String, Vec<Value>)> for SavedGroups {
    fn from_iter<I: IntoIterator<Item = (String, Vec<Value>)>>(iter: I) -> Self {
        let mut groups = SavedGroups::new();
        for (id, members) in iter {
            groups.insert(id, members);
        }
        groups
    }
}

/// What evaluation carries along: the saved groups, and the condition groups
/// being resolved (GrowthBook's `visited`, which stops reference cycles).
#[derive(Clone, Copy)]
struct Ctx<'a> {
    groups: &'a SavedGroups,
    visited: Option<&'a Visited<'a>>,
}

struct Visited<'a> {
    id: &'a str,
    parent: Option<&'a Visited<'a>>,
}

impl Ctx<'_> {
    fn has_visited(&self, id: &str) -> bool {
        let mut v = self.visited;
        while let Some(node) = v {
            if node.id == id {
                return true;
            }
            v = node.parent;
        }
        false
    }
}

/// A compiled targeting condition. The default is the empty condition
/// (`{}`), which every visitor matches.
///
/// The tree below is what the binary ruleset stores ([`crate::codec`]
/// writes and reads it node for node), so the engines decode conditions
/// ready to evaluate and do not link the compiler ([`Condition::parse`]).
#[derive(Debug, Clone, Default)]
pub struct Condition {
    pub(crate) doc: Doc,
}

/// A condition document: every clause must hold.
#[derive(Debug, Clone, Default)]
pub(crate) struct Doc(pub(crate) Vec<Clause>);

/// The JSON a clause was compiled from, for [`Condition::first_failure`]
/// only: [`Condition::parse`] keeps it, and so does a ruleset encoded with
/// sources (the edge's and the QA engine's); `None` in the lean browser
/// engine's ruleset, which never explains a decision.
pub(crate) type Source = Option<Value>;

#[derive(Debug, Clone)]
pub(crate) enum Clause {
    And(Vec<Doc>),
    Or(Vec<Doc>, Source),
    Nor(Vec<Doc>, Source),
    Not(Box<Doc>, Source),
    Attr(Box<str>, Test, Source),
    /// `$savedGroup`; `None` for a malformed reference (matches nobody).
    SavedGroup(Option<GroupRef>, Source),
}

#[derive(Debug, Clone)]
pub(crate) struct GroupRef {
    pub(crate) id: Box<str>,
    /// `Some(None)`: an `attributeKey` that is not a string (matches nobody).
    pub(crate) attribute_key: Option<Option<Box<str>>>,
}

/// GrowthBook's `evalConditionValue`: the test applied to one attribute value.
#[derive(Debug, Clone)]
pub(crate) enum Test {
    /// `value + "" === s`
    Str(Box<str>),
    /// `value * 1 === n`
    Num(f64),
    /// `value !== null && !!value === b`
    Bool(bool),
    /// `value === null`
    Null,
    /// `JSON.stringify(value) === JSON.stringify(condition)` (arrays and objects
    /// that are not operator objects).
    Json(Value),
    /// An operator object: every operator must hold.
    Ops(Vec<Op>),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Rel {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
}

impl Rel {
    /// Every relation, in the order of their numbers in the binary ruleset (`rel as u8`).
    pub(crate) const ALL: [Rel; 6] = [Rel::Eq, Rel::Ne, Rel::Lt, Rel::Lte, Rel::Gt, Rel::Gte];

    fn holds(self, ord: Option<Ordering>) -> bool {
        match self {
            Rel::Eq => ord == Some(Ordering::Equal),
            Rel::Ne => ord != Some(Ordering::Equal),
            Rel::Lt => ord == Some(Ordering::Less),
            Rel::Lte => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
            Rel::Gt => ord == Some(Ordering::Greater),
            Rel::Gte => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
        }
    }
}

/// A JavaScript primitive as `ToPrimitive` yields it for `<`; strings keep
/// their numeric value for comparisons against numbers.
#[derive(Debug, Clone)]
pub(crate) enum Prim {
    Num(f64),
    Str(Box<str>, f64),
}

#[derive(Debug, Clone)]
pub(crate) enum Op {
    Eq(Value),
    Ne(Value),
    Cmp(Rel, Prim),
    /// Compares `paddedVersionString`s; holds the padded expected version.
    Version(Rel, Box<str>),
    Exists(bool),
    /// `$in`/`$nin` (`fold`: `$ini`/`$nini`, the list is lower-cased). `None`:
    /// the operand is not an array, which is always false.
    In {
        list: Option<Vec<Value>>,
        negate: bool,
        fold: bool,
    },
    Group {
        id: Box<str>,
        negate: bool,
    },
    Not(Box<Test>),
    Size(Box<Test>),
    ElemValue(Box<Test>),
    ElemDoc(Box<Doc>),
    /// `$all`/`$alli`; `None`: the operand is not an array, always false.
    All {
        items: Option<Vec<Test>>,
        fold: bool,
    },
    /// `$regex`/`$regexi` (`fold`). `pattern`, which the binary ruleset
    /// stores: `None` when the operand is not a string; `re`: `None` when
    /// the regex did not compile, always false (the SDK's try/catch).
    Regex {
        pattern: Option<Box<str>>,
        fold: bool,
        re: Option<Regex>,
    },
    /// A regex that is a plain literal, optionally anchored (`^news`,
    /// `\.pdf$`): string operations instead of a regex engine. `fold`: `/i`
    /// with an ASCII literal.
    Text {
        text: Box<str>,
        start: bool,
        end: bool,
        fold: bool,
    },
    Type(Box<str>),
    Unknown(Box<str>),
}

/// Why a condition could not be compiled. Paths are JSON pointers into the
/// condition (`/$and/0/country`, `~` and `/` in keys escaped as `~0` and
/// `~1`); the root is the empty string. `path_segments()` gives the keys.
#[derive(Debug, Clone, PartialEq)]
pub enum ConditionError {
    /// A condition document (the root, an item of `$and`/`$or`/`$nor`, the
    /// operand of `$not` or of `$elemMatch`) is not an object.
    NotAnObject { path: String, found: &'static str },
    /// The operand of `$and`, `$or` or `$nor` is not an array.
    NotAnArray { path: String, found: &'static str },
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConditionError::NotAnObject { path, found } => {
                write!(f, "{}: expected a condition object, found {found}", Pointer(path))
            }
            ConditionError::NotAnArray { path, found } => {
                write!(f, "{}: expected an array of conditions, found {found}", Pointer(path))
            }
        }
    }
}

impl std::error::Error for ConditionError {}

impl ConditionError {
    /// The JSON pointer to the offending value ("" for the root).
    pub fn path(&self) -> &str {
        match self {
            ConditionError::NotAnObject { path, .. } | ConditionError::NotAnArray { path, .. } => path,
        }
    }

    /// The keys and array indices of [`ConditionError::path`], unescaped.
    pub fn path_segments(&self) -> Vec<String> {
        pointer_segments(self.path())
    }
}

impl ConditionIssue {
    /// The JSON pointer to the offending value ("" for the root).
    pub fn path(&self) -> &str {
        match self {
            ConditionIssue::Invalid(e) => e.path(),
            ConditionIssue::UnknownOperator { path, .. }
            | ConditionIssue::InvalidRegex { path, .. }
            | ConditionIssue::BadOperand { path, .. } => path,
        }
    }

    /// The keys and array indices of [`ConditionIssue::path`], unescaped
    /// (a key may itself contain `/`).
    pub fn path_segments(&self) -> Vec<String> {
        pointer_segments(self.path())
    }
}

fn pointer_segments(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer.split('/').skip(1).map(|s| s.replace("~1", "/").replace("~0", "~")).collect()
}

/// The JSON pointer of a path of keys.
fn pointer(path: &[String]) -> String {
    let mut out = String::new();
    if LEAN {
        return out;
    }
    for part in path {
        out.push('/');
        for c in part.chars() {
            match c {
                '~' => out.push_str("~0"),
                '/' => out.push_str("~1"),
                c => out.push(c),
            }
        }
    }
    out
}

/// A problem [`Condition::lint`] found. Except for `Invalid`, GrowthBook
/// accepts these conditions, but they cannot be what the author meant.
#[derive(Debug, Clone, PartialEq)]
pub enum ConditionIssue {
    /// The condition does not compile at all.
    Invalid(ConditionError),
    /// An operator GrowthBook does not know: it evaluates to false.
    UnknownOperator { path: String, operator: String },
    /// A regex that does not compile: it evaluates to false.
    InvalidRegex { path: String, pattern: String, error: String },
    /// An operand of the wrong type, e.g. `{"$in": "DE"}` (always false).
    BadOperand { path: String, operator: String, expected: &'static str },
}

impl fmt::Display for ConditionIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConditionIssue::Invalid(e) => e.fmt(f),
            ConditionIssue::UnknownOperator { path, operator } => {
                write!(f, "{}: unknown operator {operator} (never matches)", Pointer(path))
            }
            ConditionIssue::InvalidRegex { path, pattern, error } => {
                write!(f, "{}: invalid regular expression {pattern:?} (never matches): {error}", Pointer(path))
            }
            ConditionIssue::BadOperand { path, operator, expected } => {
                write!(f, "{}: {operator} expects {expected}", Pointer(path))
            }
        }
    }
}

/// Displays a JSON pointer, the root as "condition".
struct Pointer<'a>(&'a str);

impl fmt::Display for Pointer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "condition" } else { self.0 })
    }
}

/// The first test that failed, for "why did this not match".
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The attribute path, or `$or`/`$nor`/`$not`/`$savedGroup` when a whole group failed.
    pub path: String,
    /// The attribute value; `None` when the path does not resolve (and for groups).
    pub actual: Option<Value>,
    /// The failed expectation as JSON: the condition value, or the one failing
    /// operator of an operator object (`{"$in":["DE","AT"]}`).
    pub expected: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.path.as_str() {
            "$or" => write!(f, "no alternative of $or matched: {}", self.expected),
            "$nor" => write!(f, "an alternative of $nor matched: {}", self.expected),
            "$not" => write!(f, "the $not condition matched: {}", self.expected),
            "$savedGroup" => write!(f, "not in the saved group {}", self.expected),
            path => match &self.actual {
                Some(v) => write!(f, "{path} is {v}, expected {}", self.expected),
                None => write!(f, "{path} is missing, expected {}", self.expected),
            },
        }
    }
}

impl Condition {
    /// Compiles a GrowthBook condition document.
    pub fn parse(condition: &Value) -> Result<Condition, ConditionError> {
        let mut c = Compiler::default();
        let doc = c.doc(condition);
        match c.error {
            Some(e) => Err(e),
            None => Ok(Condition { doc }),
        }
    }

    /// Everything suspicious in `condition`: unknown operators, invalid
    /// regexes, operands of the wrong type, and a compile error if any.
    pub fn lint(condition: &Value) -> Vec<ConditionIssue> {
        let mut c = Compiler::default();
        c.doc(condition);
        if let Some(e) = c.error.take() {
            c.issues.push(ConditionIssue::Invalid(e));
        }
        c.issues
    }

    /// GrowthBook's `evalCondition(attributes, condition, savedGroups)`.
    #[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
    pub fn eval(&self, attributes: &Value, saved_groups: &SavedGroups) -> bool {
        eval_doc(&self.doc, attributes, Ctx { groups: saved_groups, visited: None })
    }

    /// The first clause that fails, `None` exactly when [`Condition::eval`] is true.
    pub fn first_failure(&self, attributes: &Value, saved_groups: &SavedGroups) -> Option<Failure> {
        doc_failure(&self.doc, attributes, Ctx { groups: saved_groups, visited: None })
    }

    /// The attribute paths the condition reads (first appearance order, no
    /// duplicates), not counting paths inside `$elemMatch` documents, which
    /// are relative to the array elements, nor those that saved groups read
    /// (they are known only with the groups; an explicit `attributeKey` of a
    /// `$savedGroup` reference is included).
    pub fn attribute_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect_paths(&self.doc, &mut out);
        out
    }

    /// The unknown operators used anywhere in the condition (each evaluates to false).
    pub fn unknown_operators(&self) -> Vec<String> {
        let mut out = Vec::new();
        unknown_in_doc(&self.doc, &mut out);
        out
    }
}

// ---------------------------------------------------------------- compiling

/// Compiles a condition document. Its methods never fail: the first
/// structural error is kept in `error` (a document that is not an object
/// compiles as an empty one, a list of documents that is not an array as
/// an empty list), and issues are no longer collected after it. No `Result`
/// through every method: each `?` had to drop what was built before it,
/// 250 B gzip in every visitor's download.
#[derive(Default)]
struct Compiler {
    /// The keys and indices leading to the value being compiled.
    path: Vec<String>,
    issues: Vec<ConditionIssue>,
    error: Option<ConditionError>,
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn is_operator_object(entries: &[(String, Value)]) -> bool {
    !entries.is_empty() && entries.iter().all(|(k, _)| k.starts_with("$"))
}

impl Compiler {
    /// Appends a path segment; returns the length to truncate back to.
    fn enter(&mut self, key: &str) -> usize {
        // The lean browser build only evaluates: no issues, no paths.
        if LEAN {
            return 0;
        }
        self.path.push(key.to_string());
        self.path.len() - 1
    }

    fn enter_index(&mut self, i: usize) -> usize {
        if LEAN {
            return 0;
        }
        self.enter(&i.to_string())
    }

    /// Whether issues are collected: not by the lean browser build, which
    /// only evaluates, and not after an error (lint reports what comes before it).
    fn reporting(&self) -> bool {
        !LEAN && self.error.is_none()
    }

    fn bad_operand(&mut self, op: &str, expected: &'static str) {
        if self.reporting() {
            self.issues.push(ConditionIssue::BadOperand { path: pointer(&self.path), operator: op.into(), expected });
        }
    }

    /// Keeps the first structural error.
    fn fail(&mut self, error: impl FnOnce(String) -> ConditionError) {
        if self.error.is_none() {
            self.error = Some(error(pointer(&self.path)));
        }
    }

    fn doc(&mut self, v: &Value) -> Doc {
        let Value::Object(entries) = v else {
            self.fail(|path| ConditionError::NotAnObject { path, found: kind(v) });
            return Doc::default();
        };
        let mut clauses = Vec::with_capacity(entries.len());
        // JavaScript iterates integer-like keys first.
        for i in js_key_order(entries) {
            let (key, val) = &entries[i];
            let mark = self.enter(key);
            let clause = match key.as_str() {
                "$and" => Clause::And(self.docs(val)),
                "$or" => Clause::Or(self.docs(val), Some(val.clone())),
                "$nor" => Clause::Nor(self.docs(val), Some(val.clone())),
                "$not" => Clause::Not(Box::new(self.doc(val)), Some(val.clone())),
                "$savedGroup" => Clause::SavedGroup(self.group_ref(val), Some(val.clone())),
                _ => Clause::Attr(key.as_str().into(), self.test(val, false), Some(val.clone())),
            };
            self.path.truncate(mark);
            clauses.push(clause);
        }
        Doc(clauses)
    }

    fn group_ref(&mut self, v: &Value) -> Option<GroupRef> {
        let r = match (v.get("id"), v.get("attributeKey")) {
            (Some(Value::String(id)), key) => {
                Some(GroupRef { id: id.as_str().into(), attribute_key: key.map(|k| k.as_str().map(Into::into)) })
            }
            _ => None,
        };
        if r.as_ref().is_none_or(|r| r.attribute_key == Some(None)) {
            self.bad_operand("$savedGroup", "{\"id\": string, \"attributeKey\"?: string}");
        }
        r
    }

    fn docs(&mut self, v: &Value) -> Vec<Doc> {
        let Value::Array(items) = v else {
            self.fail(|path| ConditionError::NotAnArray { path, found: kind(v) });
            return Vec::new();
        };
        let mut docs = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let mark = self.enter_index(i);
            docs.push(self.doc(item));
            self.path.truncate(mark);
        }
        docs
    }

    /// `fold`: the test is an item of `$alli`, so a string is compared lower-cased.
    fn test(&mut self, v: &Value, fold: bool) -> Test {
        match v {
            Value::String(s) if fold => Test::Str(to_lowercase(s).into()),
            Value::String(s) => Test::Str(s.as_str().into()),
            Value::Number(n) => Test::Num(*n),
            Value::Bool(b) => Test::Bool(*b),
            Value::Null => Test::Null,
            Value::Object(entries) if is_operator_object(entries) => {
                let mut ops = Vec::with_capacity(entries.len());
                for (op, arg) in entries {
                    let mark = self.enter(op);
                    ops.push(self.op(op, arg));
                    self.path.truncate(mark);
                }
                Test::Ops(ops)
            }
            _ => Test::Json(v.clone()),
        }
    }

    fn op(&mut self, op: &str, arg: &Value) -> Op {
        let Some(&(_, operator)) = OPERATORS.iter().find(|(name, _)| *name == op) else {
            if self.reporting() {
                self.issues.push(ConditionIssue::UnknownOperator { path: pointer(&self.path), operator: op.into() });
            }
            return Op::Unknown(op.into());
        };
        match operator {
            Operator::Eq => Op::Eq(arg.clone()),
            Operator::Ne => Op::Ne(arg.clone()),
            Operator::Cmp(rel) => Op::Cmp(rel, prim(arg)),
            Operator::Version(rel) => {
                if !matches!(arg, Value::String(_) | Value::Number(_)) {
                    self.bad_operand(op, "a version string");
                }
                Op::Version(rel, padded_version(&version_input(arg)).into())
            }
            Operator::Exists => Op::Exists(truthy(arg)),
            Operator::In { negate, fold } => {
                let list = match arg {
                    Value::Array(items) if fold => {
                        // A loop: `map` and `collect` are more code in the browser engine.
                        let mut list = Vec::with_capacity(items.len());
                        for item in items {
                            list.push(fold_value(item));
                        }
                        Some(list)
                    }
                    Value::Array(items) => Some(items.clone()),
                    _ => {
                        self.bad_operand(op, "an array");
                        None
                    }
                };
                Op::In { list, negate, fold }
            }
            Operator::Group { negate } => {
                if !matches!(arg, Value::String(_)) {
                    self.bad_operand(op, "a saved group id");
                }
                // `savedGroups[expected]` converts the key with String().
                Op::Group { id: arg.to_js_string().into(), negate }
            }
            Operator::Not => Op::Not(Box::new(self.test(arg, false))),
            Operator::Size => Op::Size(Box::new(self.test(arg, false))),
            Operator::ElemMatch => match arg {
                Value::Object(entries) if is_operator_object(entries) => Op::ElemValue(Box::new(self.test(arg, false))),
                _ => Op::ElemDoc(Box::new(self.doc(arg))),
            },
            Operator::All { fold } => {
                let items = match arg {
                    Value::Array(items) => {
                        let mut tests = Vec::with_capacity(items.len());
                        for (i, item) in items.iter().enumerate() {
                            let mark = self.enter_index(i);
                            tests.push(self.test(item, fold));
                            self.path.truncate(mark);
                        }
                        Some(tests)
                    }
                    _ => {
                        self.bad_operand(op, "an array");
                        None
                    }
                };
                Op::All { items, fold }
            }
            Operator::Regex { fold } => {
                if let Some(op) = arg.as_str().and_then(|p| literal_regex(p, fold)) {
                    return op;
                }
                let re = match arg {
                    Value::String(pattern) => match js_regex(pattern, fold) {
                        Ok(re) => Some(re),
                        Err(error) if self.reporting() => {
                            self.issues.push(ConditionIssue::InvalidRegex {
                                path: pointer(&self.path),
                                pattern: pattern.clone(),
                                error,
                            });
                            None
                        }
                        Err(_) => None,
                    },
                    _ => {
                        self.bad_operand(op, "a string");
                        None
                    }
                };
                Op::Regex { pattern: arg.as_str().map(Into::into), fold, re }
            }
            Operator::Type => {
                let name = arg.as_str().unwrap_or("");
                if !matches!(name, "string" | "number" | "boolean" | "object" | "array" | "null") {
                    self.bad_operand(op, "one of string, number, boolean, object, array, null");
                }
                Op::Type(name.into())
            }
        }
    }
}

/// What an operator's name stands for, as [`OPERATORS`] lists them.
#[derive(Clone, Copy)]
enum Operator {
    Eq,
    Ne,
    Cmp(Rel),
    Version(Rel),
    Exists,
    /// `fold`: the `i` variants, case-insensitive.
    In { negate: bool, fold: bool },
    Group { negate: bool },
    Not,
    Size,
    ElemMatch,
    All { fold: bool },
    Regex { fold: bool },
    Type,
}

/// GrowthBook's operators. [`Compiler::op`] looks a name up here once,
/// where a `match` on the name compared it with each operator in turn,
/// a string comparison apiece (90 B gzip in every visitor's download).
const OPERATORS: &[(&str, Operator)] = &[
    ("$eq", Operator::Eq),
    ("$ne", Operator::Ne),
    ("$lt", Operator::Cmp(Rel::Lt)),
    ("$lte", Operator::Cmp(Rel::Lte)),
    ("$gt", Operator::Cmp(Rel::Gt)),
    ("$gte", Operator::Cmp(Rel::Gte)),
    ("$veq", Operator::Version(Rel::Eq)),
    ("$vne", Operator::Version(Rel::Ne)),
    ("$vlt", Operator::Version(Rel::Lt)),
    ("$vlte", Operator::Version(Rel::Lte)),
    ("$vgt", Operator::Version(Rel::Gt)),
    ("$vgte", Operator::Version(Rel::Gte)),
    ("$exists", Operator::Exists),
    ("$in", Operator::In { negate: false, fold: false }),
    ("$nin", Operator::In { negate: true, fold: false }),
    ("$ini", Operator::In { negate: false, fold: true }),
    ("$nini", Operator::In { negate: true, fold: true }),
    ("$inGroup", Operator::Group { negate: false }),
    ("$notInGroup", Operator::Group { negate: true }),
    ("$not", Operator::Not),
    ("$size", Operator::Size),
    ("$elemMatch", Operator::ElemMatch),
    ("$all", Operator::All { fold: false }),
    ("$alli", Operator::All { fold: true }),
    ("$regex", Operator::Regex { fold: false }),
    ("$regexi", Operator::Regex { fold: true }),
    ("$type", Operator::Type),
];

/// GrowthBook's `caseFold`: strings lower-cased, everything else as is.
fn fold_value(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(to_lowercase(s)),
        other => other.clone(),
    }
}

/// JavaScript's `toLowerCase` (Rust's `to_lowercase` follows the same
/// Unicode mappings, final sigma included; the lean browser build asks JS).
fn to_lowercase(s: &str) -> String {
    #[cfg(all(target_arch = "wasm32", feature = "browser", not(feature = "regex")))]
    return crate::jsrt::to_lowercase(s);
    #[cfg(not(all(target_arch = "wasm32", feature = "browser", not(feature = "regex"))))]
    s.to_lowercase()
}

fn prim(v: &Value) -> Prim {
    match to_primitive(v) {
        Some(s) => {
            let n = string_to_number(&s);
            Prim::Str(s.into_owned().into(), n)
        }
        None => Prim::Num(to_number(v)),
    }
}

// The browser engines track no lint paths: they read conditions compiled
// (see `crate::codec`) and only evaluate them.
use crate::LEAN;

// --------------------------------------------------------------- evaluating

static NULL: Value = Value::Null;

#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn eval_doc(doc: &Doc, obj: &Value, g: Ctx<'_>) -> bool {
    doc.0.iter().all(|c| eval_clause(c, obj, g))
}

#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn eval_or(docs: &[Doc], obj: &Value, g: Ctx<'_>) -> bool {
    // An empty `$or` is true (and an empty `$nor` therefore false).
    docs.is_empty() || docs.iter().any(|d| eval_doc(d, obj, g))
}

/// Inlined into [`eval_doc`] by LLVM (see `BROWSER_WASM_OPT` in the Makefile).
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
#[cfg_attr(feature = "fast-decide", inline(always))]
fn eval_clause(clause: &Clause, obj: &Value, g: Ctx<'_>) -> bool {
    match clause {
        Clause::And(docs) => docs.iter().all(|d| eval_doc(d, obj, g)),
        Clause::Or(docs, _) => eval_or(docs, obj, g),
        Clause::Nor(docs, _) => !eval_or(docs, obj, g),
        Clause::Not(doc, _) => !eval_doc(doc, obj, g),
        Clause::Attr(path, test, _) => {
            let v = resolve(obj, path);
            eval_test(test, v.as_deref().unwrap_or(&NULL), g, false)
        }
        Clause::SavedGroup(r, _) if ALL_OPERATORS => r.as_ref().is_some_and(|r| eval_saved_group(r, obj, g)),
        // Not decoded without `all-operators` (see `codec::fits_common_engine`).
        Clause::SavedGroup(..) => false,
    }
}

/// GrowthBook's `evalSavedGroup`.
fn eval_saved_group(r: &GroupRef, obj: &Value, g: Ctx<'_>) -> bool {
    let override_key = match &r.attribute_key {
        Some(Some(key)) => Some(&**key),
        Some(None) => return false,
        None => None,
    };
    if g.has_visited(&r.id) {
        return false;
    }
    match g.groups.group(&r.id) {
        Some(Group::List { attribute_key, values: Some(values), .. }) => {
            // The reference's attributeKey wins over the entry's own.
            match override_key.or(attribute_key.as_deref()) {
                Some(key) => is_in(resolve(obj, key).as_deref().unwrap_or(&NULL), values, false),
                None => false,
            }
        }
        Some(Group::Condition(Some(c), _)) => {
            let visited = Visited { id: &r.id, parent: g.visited };
            eval_doc(&c.doc, obj, Ctx { groups: g.groups, visited: Some(&visited) })
        }
        _ => false,
    }
}

/// GrowthBook's `getPath`: each part must be a property of an object or an
/// array (`"0" in [..]`, `"length" in [..]`); anything else is `null`.
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn resolve<'a>(root: &'a Value, path: &str) -> Option<Cow<'a, Value>> {
    // Most paths are a single key. A loop, not `contains`: in wasm that is
    // a call to `memchr`, which costs more than scanning a short key.
    if !path.bytes().any(|b| b == b'.') {
        return match root {
            Value::Object(entries) => entries.iter().find(|(k, _)| crate::value::same_key(k, path)).map(|(_, v)| Cow::Borrowed(v)),
            Value::Array(items) if path == "length" => Some(Cow::Owned(Value::Number(items.len() as f64))),
            Value::Array(items) => items.get(array_index(path)?).map(Cow::Borrowed),
            _ => None,
        };
    }
    let mut cur = root;
    let mut parts = crate::search::split(path, b".");
    while let Some(part) = parts.next() {
        cur = match cur {
            Value::Object(entries) => entries.iter().find(|(k, _)| crate::value::same_key(k, part)).map(|(_, v)| v)?,
            Value::Array(items) if part == "length" => {
                // A number has no properties: a longer path is null.
                return match parts.next() {
                    None => Some(Cow::Owned(Value::Number(items.len() as f64))),
                    Some(_) => None,
                };
            }
            Value::Array(items) => items.get(array_index(part)?)?,
            _ => return None,
        };
    }
    Some(Cow::Borrowed(cur))
}

/// `key` as a JavaScript array index (canonical decimal below 2^32 - 1).
fn array_index(key: &str) -> Option<usize> {
    let b = key.as_bytes();
    if b.is_empty() || b.len() > 10 || (b.len() > 1 && b[0] == b'0') || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u64 = key.parse().ok()?;
    (n < u64::from(u32::MAX)).then_some(n as usize)
}

/// The order in which JavaScript enumerates an object's keys: array indices
/// ascending, then the other keys in insertion order.
fn js_key_order(entries: &[(String, Value)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    if entries.iter().any(|(k, _)| array_index(k).is_some()) {
        crate::decide::stable_sort_by_key(&mut order, |&i| match array_index(&entries[i].0) {
            Some(n) => (0, n),
            None => (1, i),
        });
    }
    order
}

#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn eval_test(test: &Test, v: &Value, g: Ctx<'_>, fold: bool) -> bool {
    match test {
        Test::Str(s) if fold => lower_eq(&js_string(v), s),
        Test::Str(s) => *js_string(v) == **s,
        Test::Num(n) => to_number(v) == *n,
        Test::Bool(b) => !v.is_null() && truthy(v) == *b,
        Test::Null => v.is_null(),
        Test::Json(c) if ALL_OPERATORS => json_eq(v, c),
        Test::Ops(ops) => ops.iter().all(|op| eval_op(op, v, g)),
        Test::Json(_) => false,
    }
}

/// Inlined into [`eval_test`] by LLVM (see `BROWSER_WASM_OPT` in the Makefile).
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
#[cfg_attr(feature = "fast-decide", inline(always))]
fn eval_op(op: &Op, v: &Value, g: Ctx<'_>) -> bool {
    match op {
        Op::Eq(e) => strict_eq(v, e),
        Op::Ne(e) => !strict_eq(v, e),
        Op::Cmp(rel, p) => rel.holds(js_compare(v, p)),
        Op::Version(rel, expected) if ALL_OPERATORS => rel.holds(Some(version_cmp(&version_input(v), expected))),
        Op::Exists(b) => v.is_null() != *b,
        Op::In { list: Some(list), negate, fold } => is_in(v, list, *fold) != *negate,
        Op::In { list: None, .. } => false,
        Op::Group { id, negate } if ALL_OPERATORS => match g.groups.array_values(id) {
            Some(values) => is_in(v, values, false) != *negate,
            None => false,
        },
        Op::Not(t) => !eval_test(t, v, g, false),
        Op::Size(t) if ALL_OPERATORS => match v {
            Value::Array(items) => eval_test(t, &Value::Number(items.len() as f64), g, false),
            _ => false,
        },
        // `$elemMatch` skips null elements.
        Op::ElemValue(t) if ALL_OPERATORS => match v {
            Value::Array(items) => items.iter().any(|x| !x.is_null() && eval_test(t, x, g, false)),
            _ => false,
        },
        Op::ElemDoc(d) if ALL_OPERATORS => match v {
            Value::Array(items) => items.iter().any(|x| !x.is_null() && eval_doc(d, x, g)),
            _ => false,
        },
        Op::All { items, fold } if ALL_OPERATORS => match (v, items) {
            (Value::Array(actual), Some(items)) => {
                items.iter().all(|t| actual.iter().any(|x| eval_test(t, x, g, *fold)))
            }
            _ => false,
        },
        Op::Regex { re: Some(re), .. } => re.is_match(&js_string(v)),
        Op::Regex { re: None, .. } => false,
        Op::Text { text, start, end, fold } => {
            let s = js_string(v);
            let (h, t) = (s.as_bytes(), text.as_bytes());
            let eq = |a: &[u8]| if *fold { a.eq_ignore_ascii_case(t) } else { a == t };
            match (start, end) {
                (true, true) => eq(h),
                (true, false) => h.len() >= t.len() && eq(&h[..t.len()]),
                (false, true) => h.len() >= t.len() && eq(&h[h.len() - t.len()..]),
                (false, false) => t.is_empty() || h.windows(t.len()).any(eq),
            }
        }
        Op::Type(t) if ALL_OPERATORS => type_name(v) == &**t,
        // `Unknown`, and what the common engine does not decode (see
        // `codec::fits_common_engine`): the arms above are compiled only
        // with `all-operators`.
        _ => false,
    }
}

/// GrowthBook's `isIn`: an intersection when the attribute is an array.
/// Plain membership is `Array.prototype.includes` (SameValueZero); the
/// case-insensitive variant compares with `===` after `caseFold`.
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn is_in(v: &Value, list: &[Value], fold: bool) -> bool {
    let member = |x: &Value| {
        if fold {
            list.iter().any(|e| match (x, e) {
                (Value::String(a), Value::String(b)) => lower_eq(a, b),
                _ => strict_eq(x, e),
            })
        } else {
            list.iter().any(|e| same_value_zero(x, e))
        }
    };
    match v {
        Value::Array(items) => items.iter().any(member),
        _ => member(v),
    }
}

/// Whether `a.toLowerCase() === lower` (`lower` is already lower-cased).
fn lower_eq(a: &str, lower: &str) -> bool {
    if a.is_ascii() {
        a.len() == lower.len() && a.bytes().zip(lower.bytes()).all(|(x, y)| x.to_ascii_lowercase() == y)
    } else {
        to_lowercase(a) == lower
    }
}

/// JavaScript's `===` on JSON values: arrays and objects are distinct objects.
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn strict_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

/// `Array.prototype.includes` equality: `===` except that `NaN` equals `NaN`.
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn same_value_zero(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || (x.is_nan() && y.is_nan()),
        _ => strict_eq(a, b),
    }
}

/// `JSON.stringify(a) === JSON.stringify(b)` without building the strings.
fn json_eq(a: &Value, b: &Value) -> bool {
    let json_null = |v: &Value| matches!(v, Value::Null) || matches!(v, Value::Number(n) if !n.is_finite());
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_finite() && y.is_finite() => x == y,
        (Value::Number(x), _) if !x.is_finite() => json_null(b),
        (_, Value::Number(y)) if !y.is_finite() => json_null(a),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && {
                let (ox, oy) = (js_key_order(x), js_key_order(y));
                ox.iter().zip(&oy).all(|(&i, &j)| x[i].0 == y[j].0 && json_eq(&x[i].1, &y[j].1))
            }
        }
        _ => strict_eq(a, b),
    }
}

/// JavaScript's `!!v`.
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => *n != 0.0 && !n.is_nan(),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// JavaScript's `String(v)`, borrowing when `v` is a string.
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn js_string(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        Value::Null => Cow::Borrowed("null"),
        Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        other => Cow::Owned(other.to_js_string()),
    }
}

/// `ToPrimitive(v)` when it is a string (strings, arrays, objects), else `None`.
fn to_primitive(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(_) | Value::Array(_) | Value::Object(_) => Some(js_string(v)),
        _ => None,
    }
}

/// JavaScript's `ToNumber(v)` (what `v * 1` computes).
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn to_number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => *n,
        Value::String(s) => string_to_number(s),
        Value::Array(_) => string_to_number(&v.to_js_string()),
        Value::Object(_) => f64::NAN,
    }
}

/// JavaScript's `a < b` family: strings compare by UTF-16 code units when
/// both sides are strings after `ToPrimitive`, otherwise both become numbers
/// (`None` when one is `NaN`, which makes every comparison false).
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn js_compare(v: &Value, p: &Prim) -> Option<Ordering> {
    match (to_primitive(v), p) {
        (Some(a), Prim::Str(b, _)) => Some(utf16_cmp(&a, b)),
        (Some(a), Prim::Num(b)) => string_to_number(&a).partial_cmp(b),
        (None, Prim::Str(_, b)) => to_number(v).partial_cmp(b),
        (None, Prim::Num(b)) => to_number(v).partial_cmp(b),
    }
}

/// String order of JavaScript (UTF-16 code units), which differs from
/// Rust's code point order for characters above U+FFFF.
///
/// By characters rather than `encode_utf16().cmp(..)` (whose generic code
/// the browser engine carried for this): the first two characters that
/// differ decide, by their first code units (a character above U+FFFF has
/// a high surrogate first, which sorts below U+E000..U+FFFF); when those
/// are the same, both are above U+FFFF with the same high surrogate, and
/// their low surrogates order as the characters do.
fn utf16_cmp(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    let first_unit = |c: char| if c > '\u{ffff}' { 0xD800 + ((c as u32 - 0x10000) >> 10) } else { c as u32 };
    let (mut x, mut y) = (a.chars(), b.chars());
    loop {
        match (x.next(), y.next()) {
            (Some(c), Some(d)) if c == d => {}
            (Some(c), Some(d)) => return (first_unit(c), c).cmp(&(first_unit(d), d)),
            // One is a prefix of the other: the shorter first.
            (c, d) => return c.is_some().cmp(&d.is_some()),
        }
    }
}

/// The whitespace JavaScript trims (`WhiteSpace` and `LineTerminator`).
pub(crate) fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}'
    )
}

/// JavaScript's `StringToNumber`: trimmed decimal, `0x`/`0o`/`0b` integers,
/// `Infinity`; an empty string is 0 and anything else `NaN`.
pub(crate) fn string_to_number(s: &str) -> f64 {
    let s = crate::search::trim(s, is_js_space);
    if s.is_empty() {
        return 0.0;
    }
    let b = s.as_bytes();
    if b.len() > 2 && b[0] == b'0' {
        let radix = match b[1] {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            b'b' | b'B' => 2,
            _ => 0,
        };
        if radix != 0 {
            let mut n = 0.0;
            // Bytes: the first non-ASCII one is not a digit either.
            for &digit in &b[2..] {
                match char::from(digit).to_digit(radix) {
                    Some(d) => n = n * f64::from(radix) + f64::from(d),
                    None => return f64::NAN,
                }
            }
            return n;
        }
    }
    let unsigned = if matches!(b[0], b'+' | b'-') { &s[1..] } else { s };
    if unsigned == "Infinity" {
        return if b[0] == b'-' { f64::NEG_INFINITY } else { f64::INFINITY };
    }
    // Rust's parser also takes "inf", "NaN" and friends, which JS does not.
    if !unsigned.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-')) {
        return f64::NAN;
    }
    crate::value::parse_f64(s).unwrap_or(f64::NAN)
}

/// The input of `paddedVersionString`: numbers as their string, non-empty
/// strings as they are, anything else `"0"`.
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn version_input(v: &Value) -> Cow<'_, str> {
    match v {
        Value::Number(_) => Cow::Owned(v.to_js_string()),
        Value::String(s) if !s.is_empty() => Cow::Borrowed(s),
        _ => Cow::Borrowed("0"),
    }
}

/// GrowthBook's `paddedVersionString`: drop a leading `v` and the `+build`
/// suffix, split on `.` and `-`, append `~` to a plain `x.y.z` (so it sorts
/// after its pre-releases), left-pad numeric parts to 5 with spaces and join
/// with `-`. Versions then compare as plain strings.
fn padded_version(input: &str) -> String {
    let s = strip_version(input);
    let mut out = String::with_capacity(s.len() + 16);
    let mut parts = 0;
    for part in crate::search::split(s, b"-.") {
        if parts > 0 {
            out.push('-');
        }
        parts += 1;
        if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            out.extend(std::iter::repeat_n(' ', 5usize.saturating_sub(part.len())));
        }
        out.push_str(part);
    }
    if parts == 3 {
        out.push_str("-~");
    }
    out
}

/// `.replace(/(^v|\+.*$)/g, "")`: `.` does not cross line terminators, so
/// the build suffix starts at the first `+` after the last of them.
fn strip_version(input: &str) -> &str {
    let s = input.strip_prefix("v").unwrap_or(input);
    // On bytes: `\n`, `\r`, and U+2028 and U+2029 (`E2 80 A8`, `E2 80 A9`).
    let b = s.as_bytes();
    let mut tail = 0;
    for i in 0..b.len() {
        match b[i] {
            b'\n' | b'\r' => tail = i + 1,
            0xE2 if b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xA8 | 0xA9)) => tail = i + 3,
            _ => {}
        }
    }
    match b[tail..].iter().position(|&c| c == b'+') {
        Some(i) => &s[..tail + i],
        None => s,
    }
}

/// Compares `paddedVersionString(input)` with an already padded version,
/// in JavaScript's string order. Short ASCII versions (all real ones) are
/// padded into a stack buffer.
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn version_cmp(input: &str, expected: &str) -> Ordering {
    if input.len() > 32 || !input.is_ascii() || !expected.is_ascii() {
        return utf16_cmp(&padded_version(input), expected);
    }
    let b = input.as_bytes();
    let b = b.strip_prefix(b"v").unwrap_or(b);
    let tail = b.iter().rposition(|c| matches!(c, b'\n' | b'\r')).map_or(0, |i| i + 1);
    let b = match b[tail..].iter().position(|c| *c == b'+') {
        Some(i) => &b[..tail + i],
        None => b,
    };
    // At most 32 bytes, 4 pad bytes for each of at most 16 numeric parts, and "-~".
    let mut buf = [0u8; 104];
    let mut n = 0;
    let mut parts = 0;
    for part in b.split(|c| matches!(c, b'-' | b'.')) {
        if parts > 0 {
            buf[n] = b'-';
            n += 1;
        }
        parts += 1;
        if !part.is_empty() && part.iter().all(u8::is_ascii_digit) {
            for _ in part.len()..5 {
                buf[n] = b' ';
                n += 1;
            }
        }
        buf[n..n + part.len()].copy_from_slice(part);
        n += part.len();
    }
    if parts == 3 {
        buf[n..n + 2].copy_from_slice(b"-~");
        n += 2;
    }
    buf[..n].cmp(expected.as_bytes())
}

// ------------------------------------------------------------ explanations

fn doc_failure(doc: &Doc, obj: &Value, g: Ctx<'_>) -> Option<Failure> {
    doc.0.iter().find(|c| !eval_clause(c, obj, g)).and_then(|c| clause_failure(c, obj, g))
}

/// The source of a clause as JSON, for [`Failure::expected`].
fn source_json(src: &Source) -> String {
    match src {
        Some(v) => v.to_json(),
        // A ruleset encoded for the lean browser engine, which never explains.
        None => "(a condition of a ruleset encoded without sources)".to_string(),
    }
}

fn clause_failure(clause: &Clause, obj: &Value, g: Ctx<'_>) -> Option<Failure> {
    let group = |name: &str, src: &Source| Failure { path: name.into(), actual: None, expected: source_json(src) };
    match clause {
        Clause::And(docs) => docs.iter().find_map(|d| doc_failure(d, obj, g)),
        Clause::Or(_, src) => Some(group("$or", src)),
        Clause::Nor(_, src) => Some(group("$nor", src)),
        Clause::Not(_, src) => Some(group("$not", src)),
        Clause::SavedGroup(_, src) => Some(group("$savedGroup", src)),
        Clause::Attr(path, test, src) => {
            let actual = resolve(obj, path);
            let v = actual.as_deref().unwrap_or(&NULL);
            let expected = match (test, src) {
                (Test::Ops(ops), Some(Value::Object(entries))) => {
                    let i = ops.iter().position(|op| !eval_op(op, v, g)).unwrap_or(0);
                    match entries.get(i) {
                        Some((k, arg)) => Value::Object(vec![(k.clone(), arg.clone())]).to_json(),
                        None => source_json(src),
                    }
                }
                _ => source_json(src),
            };
            Some(Failure { path: path.to_string(), actual: actual.map(Cow::into_owned), expected })
        }
    }
}

fn collect_paths(doc: &Doc, out: &mut Vec<String>) {
    for clause in &doc.0 {
        match clause {
            Clause::And(docs) | Clause::Or(docs, _) | Clause::Nor(docs, _) => {
                docs.iter().for_each(|d| collect_paths(d, out))
            }
            Clause::Not(d, _) => collect_paths(d, out),
            Clause::Attr(path, ..) => push_path(out, path),
            Clause::SavedGroup(Some(GroupRef { attribute_key: Some(Some(path)), .. }), _) => push_path(out, path),
            Clause::SavedGroup(..) => {}
        }
    }
}

/// Appends `path` unless present (the lists are short).
fn push_path(out: &mut Vec<String>, path: &str) {
    if !out.iter().any(|p| p == path) {
        out.push(path.to_string());
    }
}

fn unknown_in_doc(doc: &Doc, out: &mut Vec<String>) {
    for clause in &doc.0 {
        match clause {
            Clause::And(docs) | Clause::Or(docs, _) | Clause::Nor(docs, _) => {
                docs.iter().for_each(|d| unknown_in_doc(d, out))
            }
            Clause::Not(d, _) => unknown_in_doc(d, out),
            Clause::Attr(_, test, _) => unknown_in_test(test, out),
            Clause::SavedGroup(..) => {}
        }
    }
}

fn unknown_in_test(test: &Test, out: &mut Vec<String>) {
    let Test::Ops(ops) = test else { return };
    for op in ops {
        match op {
            Op::Unknown(name) => push_path(out, name),
            Op::Not(t) | Op::Size(t) | Op::ElemValue(t) => unknown_in_test(t, out),
            Op::ElemDoc(d) => unknown_in_doc(d, out),
            Op::All { items: Some(items), .. } => items.iter().for_each(|t| unknown_in_test(t, out)),
            _ => {}
        }
    }
}

// ------------------------------------------------------------------ regexes

/// A regex source that is only literal characters (and escaped
/// punctuation), with optional `^`/`$` anchors, as [`Op::Text`]. Under `/i`
/// only ASCII literals qualify (then ASCII case folding is JavaScript's).
fn literal_regex(src: &str, fold: bool) -> Option<Op> {
    let start = src.starts_with("^");
    let body = if start { &src[1..] } else { src };
    let (body, end) = match body.strip_suffix("$") {
        Some(b) if !b.ends_with("\\") => (b, true),
        _ => (body, false),
    };
    let mut text = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                e if e.is_ascii_punctuation() => text.push(e),
                _ => return None,
            },
            '^' | '$' | '.' | '|' | '?' | '*' | '+' | '(' | ')' | '[' | ']' | '{' | '}' => return None,
            c if fold && !c.is_ascii() => return None,
            c => text.push(c),
        }
    }
    Some(Op::Text { text: text.into(), start, end, fold })
}

/// Compiles a JavaScript regex source (no flags, or `i`) for `regex-lite`.
///
/// The syntaxes differ where it matters for GrowthBook rules: JavaScript
/// (Annex B) takes a lone `{`, `}` or `]` literally, `\q`-style escapes of
/// letters as the letter, `[` `&` `~` literally inside classes, `[]` as
/// nothing and `[^]` as anything, its `.` excludes `\r`, U+2028 and
/// U+2029, its `\s` is Unicode whitespace, and its `/i` folds non-ASCII
/// letters; it rejects `(?i)` and `a**`. The pattern is rewritten so both
/// engines agree; what cannot be expressed (backreferences, look-around)
/// is an error, as is anything JavaScript itself rejects.
#[cfg(feature = "regex")]
pub fn js_regex(source: &str, case_insensitive: bool) -> Result<Regex, String> {
    let mut out = String::with_capacity(source.len() + 8);
    if case_insensitive {
        out.push_str("(?i)");
    }
    translate(source, case_insensitive, &mut out).map_err(String::from)?;
    Regex::new(&out).map_err(|e| e.to_string())
}

/// The lean browser build: the browser's own `RegExp` runs the source, as
/// GrowthBook's SDK does. The translation check of the native build is not
/// repeated: a ruleset comes from the compiler, which refuses every pattern
/// the translation refuses, so every pattern here is one both engines run
/// alike (and the check's code stays out of every visitor's download).
#[cfg(all(target_arch = "wasm32", feature = "browser", not(feature = "regex")))]
pub fn js_regex(source: &str, case_insensitive: bool) -> Result<Regex, String> {
    Regex::new(source, case_insensitive).ok_or_else(|| "invalid regular expression".to_string())
}

/// [`js_regex`] without why it failed, for the ruleset reader (the
/// compiler refused the patterns that fail, so the reason is never shown;
/// the lean browser build then builds no message).
pub(crate) fn regex(source: &str, case_insensitive: bool) -> Option<Regex> {
    #[cfg(all(target_arch = "wasm32", feature = "browser", not(feature = "regex")))]
    return Regex::new(source, case_insensitive);
    #[cfg(not(all(target_arch = "wasm32", feature = "browser", not(feature = "regex"))))]
    js_regex(source, case_insensitive).ok()
}

/// Built without a regex engine: every regex is refused (never matches).
#[cfg(not(any(feature = "regex", all(target_arch = "wasm32", feature = "browser"))))]
#[derive(Debug, Clone)]
pub enum Regex {}

#[cfg(not(any(feature = "regex", all(target_arch = "wasm32", feature = "browser"))))]
impl Regex {
    fn is_match(&self, _: &str) -> bool {
        match *self {}
    }
}

#[cfg(not(any(feature = "regex", all(target_arch = "wasm32", feature = "browser"))))]
pub fn js_regex(source: &str, _case_insensitive: bool) -> Result<Regex, String> {
    let mut out = String::new();
    translate(source, false, &mut out).map_err(String::from)?;
    Err("built without regex support".to_string())
}

/// JavaScript regex syntax rewritten for regex-lite (and checked). The lean
/// browser build runs patterns on `RegExp` and does without it.
#[cfg(not(all(target_arch = "wasm32", feature = "browser", not(feature = "regex"))))]
mod js_syntax {
    type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

    pub(super) fn translate(src: &str, fold: bool, out: &mut String) -> Result<(), &'static str> {
        // Without regex-lite the output is not used: keep the case tables out.
        let fold = fold && cfg!(feature = "regex");
        let mut it = src.chars().peekable();
        // Whether the previous token can take a quantifier.
        let mut atom = false;
        while let Some(c) = it.next() {
            let mut next_atom = true;
            match c {
                '\\' => match escape(it.next().ok_or("\\ at end of pattern")?, &mut it, false)? {
                    Esc::Char(c) => literal(c, fold, out),
                    Esc::Class('s') => {
                        out.push('[');
                        out.push_str(JS_SPACE);
                        out.push(']');
                    }
                    Esc::Class('S') => {
                        out.push_str("[^");
                        out.push_str(JS_SPACE);
                        out.push(']');
                    }
                    Esc::Raw('c') => out.push_str(r"\\c"),
                    Esc::Class(e) | Esc::Raw(e) => {
                        next_atom = !matches!(e, 'b' | 'B');
                        out.push('\\');
                        out.push(e);
                    }
                },
                '[' => class(&mut it, fold, out)?,
                '(' => {
                    next_atom = false;
                    if it.peek() == Some(&'?') {
                        it.next();
                        match it.next() {
                            Some(':') => out.push_str("(?:"),
                            Some('<') if !matches!(it.peek(), Some('=' | '!')) => out.push_str("(?<"),
                            Some('=' | '!' | '<') => return Err("look-around is not supported"),
                            _ => return Err("invalid group"),
                        }
                    } else {
                        out.push('(');
                    }
                }
                '|' | '^' | '$' => {
                    next_atom = false;
                    out.push(c);
                }
                ')' => out.push(')'),
                '.' => out.push_str(r"[^\n\r\u{2028}\u{2029}]"),
                '*' | '+' | '?' => {
                    quantify(atom, c.encode_utf8(&mut [0; 4]), &mut it, out)?;
                    next_atom = false;
                }
                '{' => match counted(&it) {
                    Some((text, len)) => {
                        for _ in 0..len {
                            it.next();
                        }
                        quantify(atom, &text, &mut it, out)?;
                        next_atom = false;
                    }
                    None => out.push_str(r"\{"),
                },
                c => literal(c, fold, out),
            }
            atom = next_atom;
        }
        Ok(())
    }

    fn quantify(atom: bool, text: &str, it: &mut Chars, out: &mut String) -> Result<(), &'static str> {
        if !atom {
            return Err("nothing to repeat");
        }
        out.push_str(text);
        if it.peek() == Some(&'?') {
            it.next();
            out.push('?');
        }
        Ok(())
    }

    /// A `{n}`, `{n,}` or `{n,m}` quantifier after an already consumed `{`:
    /// its text and the number of characters it still spans.
    fn counted(it: &Chars) -> Option<(String, usize)> {
        let mut text = String::from("{");
        let mut digits = 0;
        let mut comma = false;
        for c in it.clone() {
            text.push(c);
            match c {
                '0'..='9' => digits += 1,
                ',' if !comma && digits > 0 => comma = true,
                '}' if digits > 0 => return Some((text.clone(), text.len() - 1)),
                _ => return None,
            }
        }
        None
    }

    /// JavaScript's `\s`: its `WhiteSpace` and `LineTerminator` (regex-lite's is ASCII).
    const JS_SPACE: &str = r"\t\n\x0B\x0C\r \xA0\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";
    /// The complement of [`JS_SPACE`], for `\S` inside a class (regex-lite has no nested classes).
    const JS_NON_SPACE: &str = r"\x00-\x08\x0E-\x1F\x21-\x9F\xA1-\x{167F}\x{1681}-\x{1FFF}\x{200B}-\x{2027}\x{202A}-\x{202E}\x{2030}-\x{205E}\x{2060}-\x{2FFF}\x{3001}-\x{FEFE}\x{FF00}-\x{10FFFF}";

    fn literal(c: char, fold: bool, out: &mut String) {
        let fold = fold && cfg!(feature = "regex");
        if matches!(
            c,
            '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' | '#' | '&' | '-' | '~'
        ) {
            out.push('\\');
            out.push(c);
        } else if fold && !c.is_ascii() {
            out.push('[');
            case_variants(c, out);
            out.push(']');
        } else {
            out.push(c);
        }
    }

    /// Writes `c` and every character JavaScript's `/i` treats as equal to it.
    /// regex-lite folds ASCII only; JS compares `Canonicalize(ch)` (the upper
    /// case when it is a single non-ASCII BMP unit), which also joins e.g.
    /// `σ`, `ς` and `Σ`.
    fn case_variants(c: char, out: &mut String) {
        // Characters whose canonical form is neither their own upper nor lower case.
        const EXTRA: &[(u16, u16)] = &[
            (0x39c, 0xb5),
            (0x1c4, 0x1c5),
            (0x1c7, 0x1c8),
            (0x1ca, 0x1cb),
            (0x1f1, 0x1f2),
            (0x399, 0x345),
            (0x399, 0x1fbe),
            (0x392, 0x3d0),
            (0x395, 0x3f5),
            (0x398, 0x3d1),
            (0x39a, 0x3f0),
            (0x3a0, 0x3d6),
            (0x3a1, 0x3f1),
            (0x3a3, 0x3c2),
            (0x3a6, 0x3d5),
            (0x412, 0x1c80),
            (0x414, 0x1c81),
            (0x41e, 0x1c82),
            (0x421, 0x1c83),
            (0x422, 0x1c84),
            (0x422, 0x1c85),
            (0x42a, 0x1c86),
            (0x462, 0x1c87),
            (0xa64a, 0x1c88),
            (0x1e60, 0x1e9b),
        ];
        let canon = js_canonicalize(c);
        let lower = single(canon.to_lowercase());
        let extras =
            EXTRA.iter().filter(|(k, _)| u32::from(*k) == canon as u32).filter_map(|(_, x)| char::from_u32((*x).into()));
        let mut seen: Vec<char> = Vec::with_capacity(4);
        for x in [c, canon].into_iter().chain(lower).chain(extras) {
            if !seen.contains(&x) && js_canonicalize(x) == canon {
                seen.push(x);
                out.push(x);
            }
        }
    }

    /// regex-lite does not case-fold a range like `\x08-c`; JS `/i` matches
    /// every letter whose upper case is in it. Adds the other case of the ASCII
    /// letters in `lo-hi`.
    fn fold_ascii_range(lo: char, hi: char, out: &mut String) {
        for (a, b) in [(b'A', b'Z'), (b'a', b'z')] {
            let (l, h) = ((lo as u32).max(a.into()), (hi as u32).min(b.into()));
            if l <= h {
                out.push(char::from(l as u8 ^ 0x20));
                out.push('-');
                out.push(char::from(h as u8 ^ 0x20));
            }
        }
    }

    fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
        let c = it.next()?;
        it.next().is_none().then_some(c)
    }

    /// ECMAScript `Canonicalize` for non-unicode case-insensitive regexes.
    fn js_canonicalize(c: char) -> char {
        if c as u32 > 0xFFFF {
            return c;
        }
        match single(c.to_uppercase()) {
            // A non-ASCII character never folds to ASCII (`ſ` is not `S`).
            Some(u) if (u as u32) <= 0xFFFF && (c.is_ascii() || !u.is_ascii()) => u,
            _ => c,
        }
    }

    /// What an escape sequence stands for.
    enum Esc {
        /// A single character (`\x41`, `\u00e9`, `\cJ`, `\0`, identity escapes).
        Char(char),
        /// A class escape (`\d`, `\s`, ...).
        Class(char),
        /// An assertion (`\b`, `\B`) or a control escape regex-lite shares.
        Raw(char),
    }

    fn escape(e: char, it: &mut Chars, in_class: bool) -> Result<Esc, &'static str> {
        let hex = |it: &mut Chars, n: usize| {
            let mut ahead = it.clone();
            let mut v = 0;
            for _ in 0..n {
                v = v * 16 + ahead.next()?.to_digit(16)?;
            }
            *it = ahead;
            Some(v)
        };
        Ok(match e {
            'd' | 'D' | 'w' | 'W' | 's' | 'S' => Esc::Class(e),
            'f' | 'n' | 'r' | 't' | 'v' => Esc::Raw(e),
            'b' if in_class => Esc::Char('\u{8}'),
            'b' | 'B' if !in_class => Esc::Raw(e),
            '0' if !matches!(it.peek(), Some('0'..='9')) => Esc::Char('\0'),
            '0'..='9' | 'k' => return Err("backreferences are not supported"),
            'x' => hex(it, 2).and_then(char::from_u32).map_or(Esc::Char('x'), Esc::Char),
            'u' => match hex(it, 4) {
                // A surrogate pair written as two escapes is one character here.
                Some(high @ 0xD800..=0xDBFF) => {
                    let mut ahead = it.clone();
                    let low =
                        (ahead.next() == Some('\\') && ahead.next() == Some('u')).then(|| hex(&mut ahead, 4)).flatten();
                    match low {
                        Some(low @ 0xDC00..=0xDFFF) => {
                            *it = ahead;
                            let c = char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00));
                            Esc::Char(c.ok_or("invalid surrogate pair")?)
                        }
                        _ => return Err("lone surrogates are not supported"),
                    }
                }
                Some(v) => Esc::Char(char::from_u32(v).ok_or("lone surrogates are not supported")?),
                None => Esc::Char('u'),
            },
            'c' => match it.peek().copied() {
                // Inside a class, Annex B also takes digits and `_`.
                Some(l) if l.is_ascii_alphabetic() || (in_class && (l.is_ascii_digit() || l == '_')) => {
                    it.next();
                    Esc::Char(char::from(l as u8 % 32))
                }
                // A `\c` without a control letter is a literal backslash, then `c`.
                _ => Esc::Raw('c'),
            },
            // Any other escaped character is itself (an identity escape).
            e => Esc::Char(e),
        })
    }

    fn class(it: &mut Chars, fold: bool, out: &mut String) -> Result<(), &'static str> {
        let fold = fold && cfg!(feature = "regex");
        let negated = it.peek() == Some(&'^');
        if negated {
            it.next();
        }
        if it.peek() == Some(&']') {
            it.next();
            out.push_str(if negated { "(?s:.)" } else { r"[^\x00-\x{10FFFF}]" });
            return Ok(());
        }
        out.push('[');
        if negated {
            out.push('^');
        }
        let next_is_class_escape = |it: &Chars| {
            let mut ahead = it.clone();
            ahead.next() == Some('\\') && matches!(ahead.next(), Some('d' | 'D' | 'w' | 'W' | 's' | 'S'))
        };
        let starts_range = |it: &Chars| {
            let mut ahead = it.clone();
            ahead.next() == Some('-') && !matches!(ahead.next(), Some(']') | None)
        };
        let mut after_class_escape = false;
        let mut range_end = false;
        let mut last: Option<char> = None;
        loop {
            let c = it.next().ok_or("unterminated character class")?;
            let mut class_escape = false;
            let mut dash = false;
            let item = match c {
                ']' => break,
                '\\' => match escape(it.next().ok_or("\\ at end of pattern")?, it, true)? {
                    Esc::Char(c) => Some(c),
                    Esc::Class('s') => {
                        class_escape = true;
                        out.push_str(JS_SPACE);
                        None
                    }
                    Esc::Class('S') => {
                        class_escape = true;
                        out.push_str(JS_NON_SPACE);
                        None
                    }
                    Esc::Class(e) => {
                        class_escape = true;
                        out.push('\\');
                        out.push(e);
                        None
                    }
                    Esc::Raw('c') => {
                        out.push_str(r"\\c");
                        None
                    }
                    Esc::Raw(e) => {
                        out.push('\\');
                        out.push(e);
                        None
                    }
                },
                // JS takes `-` next to a class escape literally; regex-lite rejects such a range.
                '-' if after_class_escape || next_is_class_escape(it) => Some('-'),
                '-' => {
                    dash = true;
                    out.push('-');
                    None
                }
                c => Some(c),
            };
            if let Some(c) = item {
                let in_range = range_end || starts_range(it);
                if fold && !c.is_ascii() && !in_range {
                    case_variants(c, out);
                } else {
                    if matches!(c, '[' | ']' | '\\' | '&' | '~' | '-' | '^') {
                        out.push('\\');
                    }
                    out.push(c);
                }
                if let (true, true, Some(lo)) = (fold, range_end, last) {
                    fold_ascii_range(lo, c, out);
                }
            }
            if !dash {
                last = item;
            }
            range_end = dash;
            after_class_escape = class_escape;
        }
        out.push(']');
        Ok(())
    }
}

#[cfg(not(all(target_arch = "wasm32", feature = "browser", not(feature = "regex"))))]
use js_syntax::translate;

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    fn arr(items: &[&str]) -> Value {
        Value::Array(items.iter().map(|s| Value::from(*s)).collect())
    }

    #[test]
    fn padded_versions() {
        let p = padded_version;
        assert_eq!(p("v1.2.3+build"), "    1-    2-    3-~");
        assert_eq!(p("1.0.0-rc.1"), "    1-    0-    0-rc-    1");
        assert_eq!(p("1.2\u{2028}3+x"), "    1-2\u{2028}3");
        assert_eq!(p("1.2\u{2028}+x"), "    1-2\u{2028}");
        assert_eq!(p("123456.1"), "123456-    1");
        assert!(p("0.9.0") < p("0.10.0"));
        for (a, b) in [
            ("1.2.3", "1.2.3-rc.1"),
            ("v1.10+x", "1.9"),
            ("1.2\n+x", "1.2"),
            ("1..2", "1.0.2"),
            ("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p", "1"),
        ] {
            assert_eq!(version_cmp(a, &p(b)), p(a).cmp(&p(b)), "{a} vs {b}");
        }
    }

    #[test]
    fn utf16_order_is_javascripts() {
        let pieces = ["", "a", "z", "\u{7f}", "é", "\u{d7ff}", "\u{e000}", "\u{ffff}", "\u{10000}", "😀", "😁", "\u{10ffff}", "\u{1f000}"];
        for p in pieces {
            for q in pieces {
                for r in pieces {
                    for t in pieces {
                        let (a, b) = (format!("{p}{q}"), format!("{r}{t}"));
                        assert_eq!(utf16_cmp(&a, &b), a.encode_utf16().cmp(b.encode_utf16()), "{a:?} {b:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn string_to_number_is_javascripts() {
        assert_eq!(string_to_number(" 8 "), 8.0);
        assert_eq!(string_to_number(""), 0.0);
        assert_eq!(string_to_number("0x10"), 16.0);
        assert_eq!(string_to_number("-Infinity"), f64::NEG_INFINITY);
        assert!(string_to_number("inf").is_nan());
        assert!(string_to_number("1e").is_nan());
        assert_eq!(string_to_number(".5"), 0.5);
    }

    #[test]
    fn loose_equality() {
        let c = Condition::parse(&obj(&[("n", Value::Number(0.0))])).unwrap();
        // A missing attribute is null, and `null * 1 === 0`.
        assert!(c.eval(&obj(&[]), &SavedGroups::default()));
        assert!(c.eval(&obj(&[("n", "".into())]), &SavedGroups::default()));
        let c = Condition::parse(&obj(&[("n", "1,2".into())])).unwrap();
        assert!(c.eval(&obj(&[("n", arr(&["1", "2"]))]), &SavedGroups::default()));
    }

    #[test]
    fn paths_index_arrays() {
        let attrs = obj(&[("tags", arr(&["a", "b"]))]);
        let c = Condition::parse(&obj(&[("tags.1", "b".into()), ("tags.length", Value::Number(2.0))])).unwrap();
        assert!(c.eval(&attrs, &SavedGroups::default()));
        assert_eq!(c.attribute_paths(), vec!["tags.1", "tags.length"]);
    }

    #[test]
    #[cfg(feature = "regex")]
    fn regex_translation() {
        let m = |p: &str, s: &str| js_regex(p, false).unwrap().is_match(s);
        assert!(m("a{", "a{"));
        assert!(m("}]", "}]"));
        assert!(m(r"[\d-z]", "-"));
        assert!(m("[[]", "["));
        assert!(m(r"\/", "/"));
        assert!(!m("^.$", "\r"));
        assert!(m("^[^]$", "\n"));
        assert!(!m("[]", "a"));
        assert!(m(r"\y", "y"));
        assert!(m(r"^\cJ$", "\n"));
        assert!(js_regex("(?i)a", false).is_err());
        assert!(js_regex("a**", false).is_err());
        assert!(js_regex(r"(a)\1", false).is_err());
        assert!(js_regex("(?=a)", false).is_err());
        assert!(js_regex("ÄPFEL", true).unwrap().is_match("äpfel"));
        assert!(js_regex("a{2}?", false).unwrap().is_match("aa"));
    }

    #[test]
    fn lint_reports_problems() {
        let cond = obj(&[
            ("a", obj(&[("$regx", "x".into())])),
            ("$or", Value::Array(vec![obj(&[("b", obj(&[("$regex", "(".into())]))])])),
            ("c", obj(&[("$in", "DE".into())])),
        ]);
        let issues = Condition::lint(&cond);
        assert_eq!(issues.len(), 3, "{issues:?}");
        assert_eq!(issues[0].to_string(), "/a/$regx: unknown operator $regx (never matches)");
        assert_eq!(issues[0].path(), "/a/$regx");
        assert!(matches!(&issues[1], ConditionIssue::InvalidRegex { .. }));
        assert_eq!(issues[1].path_segments(), ["$or", "0", "b", "$regex"]);
        assert!(matches!(&issues[2], ConditionIssue::BadOperand { .. }));
        assert_eq!(issues[2].to_string(), "/c/$in: $in expects an array");
        assert_eq!(Condition::parse(&cond).unwrap().unknown_operators(), vec!["$regx"]);

        let bad = obj(&[("$and", obj(&[]))]);
        let err = Condition::parse(&bad).unwrap_err();
        assert_eq!(err, ConditionError::NotAnArray { path: "/$and".into(), found: "an object" });
        assert_eq!(err.to_string(), "/$and: expected an array of conditions, found an object");
        assert_eq!(
            Condition::parse(&Value::from("x")).unwrap_err().to_string(),
            "condition: expected a condition object, found a string"
        );
        let odd = obj(&[("a/b~", obj(&[("$nope", Value::Null)]))]);
        let issue = &Condition::lint(&odd)[0];
        assert_eq!(issue.to_string(), "/a~1b~0/$nope: unknown operator $nope (never matches)");
        assert_eq!(issue.path_segments(), ["a/b~", "$nope"]);
    }

    #[test]
    fn json_equality_uses_javascript_key_order() {
        // JS enumerates integer keys first, so both stringify to {"1":2,"a":1}.
        let c = Condition::parse(&obj(&[("o", obj(&[("a", 1.0.into()), ("1", 2.0.into())]))])).unwrap();
        let attrs = obj(&[("o", obj(&[("1", 2.0.into()), ("a", 1.0.into())]))]);
        assert!(c.eval(&attrs, &SavedGroups::default()));
        let attrs = obj(&[("o", obj(&[("a", 1.0.into()), ("b", 2.0.into())]))]);
        assert!(!c.eval(&attrs, &SavedGroups::default()));
    }

    #[test]
    fn elem_match_skips_only_null() {
        let c = Condition::parse(&obj(&[("n", obj(&[("$elemMatch", obj(&[("$lt", 1.0.into())]))]))])).unwrap();
        let g = SavedGroups::default();
        assert!(c.eval(&obj(&[("n", Value::Array(vec![Value::Number(0.0)]))]), &g));
        // null < 1 would hold (null is 0), but null elements are skipped.
        assert!(!c.eval(&obj(&[("n", Value::Array(vec![Value::Null]))]), &g));
    }

    #[test]
    fn saved_groups_v1_v2_and_references() {
        let payload = obj(&[
            ("ids", Value::Array(vec![1.0.into(), "2".into()])),
            ("list", obj(&[("type", "list".into()), ("attributeKey", "id".into()), ("values", arr(&["x"]))])),
            ("cond", obj(&[("type", "condition".into()), ("condition", obj(&[("country", "DE".into())]))])),
            (
                "loop",
                obj(&[
                    ("type", "condition".into()),
                    ("condition", obj(&[("$savedGroup", obj(&[("id", "loop".into())]))])),
                ]),
            ),
            ("junk", "x".into()),
        ]);
        let g = SavedGroups::from_payload(&payload);
        let eval = |cond: Value, attrs: Value| Condition::parse(&cond).unwrap().eval(&attrs, &g);
        let in_group = |op: &str, id: &str| obj(&[("id", obj(&[(op, id.into())]))]);
        assert!(eval(in_group("$inGroup", "ids"), obj(&[("id", 1.0.into())])));
        assert!(eval(in_group("$inGroup", "list"), obj(&[("id", "x".into())])));
        assert!(eval(in_group("$notInGroup", "nope"), obj(&[("id", "x".into())])));
        // A malformed group matches nobody, not even for $notInGroup.
        assert!(!eval(in_group("$notInGroup", "junk"), obj(&[("id", "x".into())])));
        let reference = |id: &str| obj(&[("$savedGroup", obj(&[("id", id.into())]))]);
        assert!(eval(reference("list"), obj(&[("id", "x".into())])));
        assert!(eval(reference("cond"), obj(&[("country", "DE".into())])));
        assert!(!eval(reference("cond"), obj(&[("country", "AT".into())])));
        // v1 lists cannot be referenced, and cycles stop.
        assert!(!eval(reference("ids"), obj(&[("id", 1.0.into())])));
        assert!(!eval(reference("loop"), obj(&[])));
        let with_key = obj(&[("$savedGroup", obj(&[("id", "list".into()), ("attributeKey", "other".into())]))]);
        assert!(eval(with_key.clone(), obj(&[("other", "x".into())])));
        assert_eq!(Condition::parse(&with_key).unwrap().attribute_paths(), vec!["other"]);
        // v1 entries round-trip; the payload keeps every shape.
        assert_eq!(g.entries(), vec![("ids", &[Value::Number(1.0), Value::from("2")][..])]);
        assert_eq!(SavedGroups::from_payload(&g.to_payload()).to_payload(), payload);
    }

    #[test]
    fn failures_explain() {
        let cond = obj(&[("country", obj(&[("$in", arr(&["DE", "AT", "CH"]))]))]);
        let c = Condition::parse(&cond).unwrap();
        let f = c.first_failure(&obj(&[("country", "US".into())]), &SavedGroups::default()).unwrap();
        assert_eq!(f.to_string(), r#"country is "US", expected {"$in":["DE","AT","CH"]}"#);
        assert!(c.first_failure(&obj(&[("country", "AT".into())]), &SavedGroups::default()).is_none());

        let c = Condition::parse(&obj(&[("age", obj(&[("$gt", 18.0.into()), ("$lt", 30.0.into())]))])).unwrap();
        let f = c.first_failure(&obj(&[("age", 40.0.into())]), &SavedGroups::default()).unwrap();
        assert_eq!(f.to_string(), r#"age is 40, expected {"$lt":30}"#);

        let c = Condition::parse(&obj(&[("$and", Value::Array(vec![obj(&[("country", "DE".into())])]))])).unwrap();
        let f = c.first_failure(&obj(&[]), &SavedGroups::default()).unwrap();
        assert_eq!(f.to_string(), r#"country is missing, expected "DE""#);
    }
}
