//! `Expr`: a CloudFormation value — a literal, a list or map of values, or an intrinsic
//! function. References are typed values that know the stack that owns their target, so
//! synthesis can turn a cross-stack use into an export/import without parsing strings.

use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::path::ConstructPath;
use crate::property_path::{PathSeg, PropertyPath};

/// Identifies one stack of one environment of an app (`dev` / `network`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StackKey {
    env: Arc<str>,
    name: Arc<str>,
}

impl StackKey {
    /// A key for stack `name` of environment `env`.
    pub fn new(env: &str, name: &str) -> Self {
        Self {
            env: env.into(),
            name: name.into(),
        }
    }

    /// The environment name (`dev`).
    pub fn env(&self) -> &str {
        &self.env
    }

    /// The stack's short name inside its environment (`network`).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for StackKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.env, self.name)
    }
}

/// What a [`Reference`] points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefKind {
    /// A resource (its `Ref` value or one of its attributes).
    Resource,
    /// A template parameter.
    Parameter,
}

/// A reference to a resource or parameter of a stack, as handed out by handles.
///
/// `owner` is `None` only for references built by hand from a logical ID
/// ([`Expr::local_ref`]); synthesis checks those exist in the stack that uses them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    owner: Option<StackKey>,
    logical_id: Arc<str>,
    path: ConstructPath,
    kind: RefKind,
}

impl Reference {
    /// A reference to `logical_id` (at construct `path`) owned by stack `owner`. Stacks hand
    /// these out when a resource or parameter is added; build one by hand only in tests.
    pub fn new(owner: StackKey, logical_id: &str, path: ConstructPath, kind: RefKind) -> Self {
        Self {
            owner: Some(owner),
            logical_id: logical_id.into(),
            path,
            kind,
        }
    }

    /// A reference to `logical_id` in whichever stack uses it, for resources named by hand
    /// (raw resources, ported templates). Synthesis checks the ID exists there.
    pub fn local(logical_id: &str) -> Self {
        Self {
            owner: None,
            logical_id: logical_id.into(),
            path: ConstructPath::root(logical_id),
            kind: RefKind::Resource,
        }
    }

    /// The stack owning the target, if known.
    pub fn owner(&self) -> Option<&StackKey> {
        self.owner.as_ref()
    }

    /// The target's logical ID in its stack.
    pub fn logical_id(&self) -> &str {
        &self.logical_id
    }

    /// The target's construct path (`network/Vpc/Resource`), or its logical ID for hand-made
    /// references.
    pub fn path(&self) -> &ConstructPath {
        &self.path
    }

    /// Whether the target is a resource or a parameter.
    pub fn kind(&self) -> RefKind {
        self.kind
    }
}

/// A condition declared in a stack's `Conditions` section.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConditionRef {
    owner: Option<StackKey>,
    name: Arc<str>,
}

impl ConditionRef {
    /// The condition `name` declared in stack `owner` (stacks hand these out).
    pub fn new(owner: StackKey, name: &str) -> Self {
        Self {
            owner: Some(owner),
            name: name.into(),
        }
    }

    /// The condition `name` of whichever template uses it (read from a template, or named by
    /// hand); synthesis checks it exists there.
    pub fn local(name: &str) -> Self {
        Self {
            owner: None,
            name: name.into(),
        }
    }

    /// The stack declaring the condition, when known.
    pub fn owner(&self) -> Option<&StackKey> {
        self.owner.as_ref()
    }

    /// The condition's name in the template.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A mapping declared in a stack's `Mappings` section.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MappingRef {
    owner: Option<StackKey>,
    name: Arc<str>,
}

impl MappingRef {
    /// The mapping `name` declared in stack `owner` (stacks hand these out).
    pub fn new(owner: StackKey, name: &str) -> Self {
        Self {
            owner: Some(owner),
            name: name.into(),
        }
    }

    /// The mapping `name` of whichever template uses it (read from a template, or named by
    /// hand); synthesis checks it exists there.
    pub fn local(name: &str) -> Self {
        Self {
            owner: None,
            name: name.into(),
        }
    }

    /// The stack declaring the mapping, when known.
    pub fn owner(&self) -> Option<&StackKey> {
        self.owner.as_ref()
    }

    /// The mapping's name in the template.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// CloudFormation pseudo parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pseudo {
    /// `AWS::Region`
    Region,
    /// `AWS::AccountId`
    AccountId,
    /// `AWS::Partition`
    Partition,
    /// `AWS::StackName`
    StackName,
    /// `AWS::StackId`
    StackId,
    /// `AWS::URLSuffix`
    UrlSuffix,
    /// `AWS::NotificationARNs`
    NotificationArns,
    /// `AWS::NoValue`: removes the property it is the value of.
    NoValue,
}

impl Pseudo {
    /// The name used in `{"Ref": ...}`.
    pub fn name(self) -> &'static str {
        match self {
            Pseudo::Region => "AWS::Region",
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::StackId => "AWS::StackId",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
            Pseudo::NotificationArns => "AWS::NotificationARNs",
            Pseudo::NoValue => "AWS::NoValue",
        }
    }

    /// The pseudo parameter called `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Pseudo::Region,
            Pseudo::AccountId,
            Pseudo::Partition,
            Pseudo::StackName,
            Pseudo::StackId,
            Pseudo::UrlSuffix,
            Pseudo::NotificationArns,
            Pseudo::NoValue,
        ]
        .into_iter()
        .find(|p| p.name() == name)
    }
}

/// A CloudFormation value: literal, list, map or intrinsic function.
///
/// Build mixed strings with [`Expr::concat`]; they render as `Fn::Join` (a literal-only
/// result stays a plain string). Nothing here is ever encoded into a string token.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A string literal.
    String(String),
    /// A number literal.
    Number(serde_json::Number),
    /// A boolean literal.
    Bool(bool),
    /// A list of values.
    List(Vec<Expr>),
    /// A map of values (key order is kept).
    Map(IndexMap<String, Expr>),
    /// `{"Ref": logical_id}` of a resource or parameter.
    Ref(Reference),
    /// `{"Fn::GetAtt": [logical_id, attribute]}`.
    GetAtt {
        /// The resource.
        target: Reference,
        /// The attribute (`Arn`, `Endpoint.Address`).
        attribute: String,
    },
    /// `{"Ref": "AWS::..."}`.
    Pseudo(Pseudo),
    /// `{"Fn::Sub": [template, vars]}`. Placeholders must name a variable or a pseudo
    /// parameter; synthesis rejects anything else, so references are always typed.
    Sub {
        /// The template string with `${Name}` placeholders.
        template: String,
        /// Values of the placeholders.
        vars: IndexMap<String, Expr>,
    },
    /// A string made of parts (literals and values known at deploy time), built by
    /// [`Expr::concat`]. Renders as `Fn::Sub` when every part can be inlined in one (literals,
    /// pseudo parameters, same-stack `Ref`/`GetAtt`), else as `Fn::Join` with `""`.
    Concat(Vec<Expr>),
    /// `{"Fn::Join": [delimiter, list]}`; `list` is a [`Expr::List`] or a list-valued function.
    Join {
        /// The delimiter.
        delimiter: String,
        /// The values to join.
        list: Box<Expr>,
    },
    /// `{"Fn::Select": [index, list]}`.
    Select {
        /// Zero-based index (a number; templates may also give a string or a reference).
        index: Box<Expr>,
        /// A list or list-valued function.
        list: Box<Expr>,
    },
    /// `{"Fn::Split": [delimiter, source]}`.
    Split {
        /// The delimiter.
        delimiter: String,
        /// The string to split.
        source: Box<Expr>,
    },
    /// `{"Fn::GetAZs": region}` (an empty string means the stack's region).
    GetAzs {
        /// The region.
        region: Box<Expr>,
    },
    /// `{"Fn::ImportValue": name}`.
    ImportValue(Box<Expr>),
    /// `{"Fn::If": [condition, then, otherwise]}`.
    If {
        /// The condition's name.
        condition: ConditionRef,
        /// Value when true.
        then: Box<Expr>,
        /// Value when false.
        otherwise: Box<Expr>,
    },
    /// `{"Fn::Equals": [a, b]}` (conditions only).
    Equals(Box<Expr>, Box<Expr>),
    /// `{"Fn::And": [...]}` (conditions only).
    And(Vec<Expr>),
    /// `{"Fn::Or": [...]}` (conditions only).
    Or(Vec<Expr>),
    /// `{"Fn::Not": [x]}` (conditions only).
    Not(Box<Expr>),
    /// `{"Condition": name}`: another condition, inside a condition.
    Condition(ConditionRef),
    /// `{"Fn::FindInMap": [map, top, second]}`.
    FindInMap {
        /// The mapping.
        map: MappingRef,
        /// Top-level key.
        top: Box<Expr>,
        /// Second-level key.
        second: Box<Expr>,
    },
    /// `{"Fn::Base64": value}`.
    Base64(Box<Expr>),
    /// `{"Fn::Cidr": [block, count, bits]}`.
    Cidr {
        /// The CIDR block to divide.
        block: Box<Expr>,
        /// How many CIDRs to generate.
        count: Box<Expr>,
        /// Host bits per CIDR.
        bits: Box<Expr>,
    },
}

impl Expr {
    /// A string literal.
    pub fn str(s: impl Into<String>) -> Expr {
        Expr::String(s.into())
    }

    /// `{"Ref": logical_id}` to a resource or parameter named by hand (for raw resources
    /// and templates ported from elsewhere). Synthesis checks the ID exists in the stack
    /// that uses it. Prefer handles, which carry their stack.
    pub fn local_ref(logical_id: &str) -> Expr {
        Expr::Ref(Reference::local(logical_id))
    }

    /// `{"Fn::GetAtt": [logical_id, attribute]}` named by hand (see [`Expr::local_ref`]).
    pub fn local_get_att(logical_id: &str, attribute: &str) -> Expr {
        Expr::GetAtt {
            target: Reference::local(logical_id),
            attribute: attribute.into(),
        }
    }

    /// Concatenates parts: adjacent literals merge, nested concatenations flatten, a
    /// literal-only result is a plain string, a single non-literal part is returned as is,
    /// anything else is an [`Expr::Concat`].
    pub fn concat<I, E>(parts: I) -> Expr
    where
        I: IntoIterator<Item = E>,
        E: Into<Expr>,
    {
        fn push(out: &mut Vec<Expr>, part: Expr) {
            match part {
                Expr::String(s) if s.is_empty() => {}
                Expr::String(s) => match out.last_mut() {
                    Some(Expr::String(prev)) => prev.push_str(&s),
                    _ => out.push(Expr::String(s)),
                },
                Expr::Concat(items) => items.into_iter().for_each(|i| push(out, i)),
                other => out.push(other),
            }
        }
        let mut out: Vec<Expr> = Vec::new();
        for part in parts {
            push(&mut out, part.into());
        }
        match out.len() {
            0 => Expr::String(String::new()),
            1 => out.pop().unwrap_or_else(|| Expr::String(String::new())),
            _ => Expr::Concat(out),
        }
    }

    /// `Fn::Join` of `items` with `delimiter` (literal-only input joins at synth time).
    pub fn join<I, E>(delimiter: &str, items: I) -> Expr
    where
        I: IntoIterator<Item = E>,
        E: Into<Expr>,
    {
        let items: Vec<Expr> = items.into_iter().map(Into::into).collect();
        if items.iter().all(|e| matches!(e, Expr::String(_))) {
            let strings: Vec<&str> = items
                .iter()
                .filter_map(|e| match e {
                    Expr::String(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect();
            return Expr::String(strings.join(delimiter));
        }
        Expr::Join {
            delimiter: delimiter.into(),
            list: Box::new(Expr::List(items)),
        }
    }

    /// `Fn::Sub` with explicit variables.
    pub fn sub<I, K, V>(template: &str, vars: I) -> Expr
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<Expr>,
    {
        Expr::Sub {
            template: template.into(),
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// `Fn::Select`.
    pub fn select(index: u32, list: impl Into<Expr>) -> Expr {
        Expr::Select {
            index: Box::new(Expr::from(index)),
            list: Box::new(list.into()),
        }
    }

    /// `Fn::Split`.
    pub fn split(delimiter: &str, source: impl Into<Expr>) -> Expr {
        Expr::Split {
            delimiter: delimiter.into(),
            source: Box::new(source.into()),
        }
    }

    /// `Fn::GetAZs` for the stack's own region.
    pub fn get_azs() -> Expr {
        Expr::GetAzs {
            region: Box::new(Expr::String(String::new())),
        }
    }

    /// `Fn::ImportValue` of an export name.
    pub fn import_value(name: impl Into<Expr>) -> Expr {
        Expr::ImportValue(Box::new(name.into()))
    }

    /// `Fn::If`.
    pub fn if_(
        condition: &ConditionRef,
        then: impl Into<Expr>,
        otherwise: impl Into<Expr>,
    ) -> Expr {
        Expr::If {
            condition: condition.clone(),
            then: Box::new(then.into()),
            otherwise: Box::new(otherwise.into()),
        }
    }

    /// `Fn::Equals`.
    pub fn equals(a: impl Into<Expr>, b: impl Into<Expr>) -> Expr {
        Expr::Equals(Box::new(a.into()), Box::new(b.into()))
    }

    /// `Fn::Not`.
    pub fn not(x: impl Into<Expr>) -> Expr {
        Expr::Not(Box::new(x.into()))
    }

    /// `Fn::FindInMap`.
    pub fn find_in_map(map: &MappingRef, top: impl Into<Expr>, second: impl Into<Expr>) -> Expr {
        Expr::FindInMap {
            map: map.clone(),
            top: Box::new(top.into()),
            second: Box::new(second.into()),
        }
    }

    /// `Fn::Base64`.
    pub fn base64(x: impl Into<Expr>) -> Expr {
        Expr::Base64(Box::new(x.into()))
    }

    /// `Fn::Cidr`.
    pub fn cidr(block: impl Into<Expr>, count: u32, bits: u32) -> Expr {
        Expr::Cidr {
            block: Box::new(block.into()),
            count: Box::new(Expr::from(count)),
            bits: Box::new(Expr::from(bits)),
        }
    }

    /// `{"Ref": "AWS::Region"}`.
    pub fn region() -> Expr {
        Expr::Pseudo(Pseudo::Region)
    }

    /// `{"Ref": "AWS::AccountId"}`.
    pub fn account_id() -> Expr {
        Expr::Pseudo(Pseudo::AccountId)
    }

    /// `{"Ref": "AWS::Partition"}`.
    pub fn partition() -> Expr {
        Expr::Pseudo(Pseudo::Partition)
    }

    /// `{"Ref": "AWS::StackName"}`.
    pub fn stack_name() -> Expr {
        Expr::Pseudo(Pseudo::StackName)
    }

    /// `{"Ref": "AWS::URLSuffix"}`.
    pub fn url_suffix() -> Expr {
        Expr::Pseudo(Pseudo::UrlSuffix)
    }

    /// `{"Ref": "AWS::NoValue"}`.
    pub fn no_value() -> Expr {
        Expr::Pseudo(Pseudo::NoValue)
    }

    /// `arn:${Partition}:<service>:${Region}:${AccountId}:<resource>`; pass `region: false`
    /// for global services (IAM, S3), which leave the region empty.
    pub fn arn(service: &str, region: bool, resource: impl Into<Expr>) -> Expr {
        Expr::concat([
            Expr::str("arn:"),
            Expr::partition(),
            Expr::str(format!(":{service}:")),
            if region {
                Expr::region()
            } else {
                Expr::str("")
            },
            Expr::str(":"),
            Expr::account_id(),
            Expr::str(":"),
            resource.into(),
        ])
    }

    /// A map from key/value pairs.
    pub fn map<I, K, V>(entries: I) -> Expr
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<Expr>,
    {
        Expr::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// A list from values.
    pub fn list<I, E>(items: I) -> Expr
    where
        I: IntoIterator<Item = E>,
        E: Into<Expr>,
    {
        Expr::List(items.into_iter().map(Into::into).collect())
    }

    /// The literal string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Expr::String(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this value contains no intrinsic function (a plain JSON literal).
    pub fn is_literal(&self) -> bool {
        match self {
            Expr::String(_) | Expr::Number(_) | Expr::Bool(_) => true,
            Expr::List(items) => items.iter().all(Expr::is_literal),
            Expr::Map(m) => m.values().all(Expr::is_literal),
            _ => false,
        }
    }

    /// Calls `f` on this value and every value inside it, depth first.
    pub fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        self.for_each_child(|c| c.visit(f));
    }

    /// Calls `f` on this value and every value inside it, depth first, with mutable access
    /// (children are visited after `f` has run on their parent).
    pub fn visit_mut(&mut self, f: &mut impl FnMut(&mut Expr)) {
        f(self);
        self.for_each_child_mut(|c| c.visit_mut(f));
    }

    /// Whether values nest more than `max` levels deep below this one. Walks without
    /// recursion, so a value too deep for the recursive walks (rendering, references) is
    /// found before any of them runs.
    pub fn nests_deeper_than(&self, max: usize) -> bool {
        let mut todo: Vec<(&Expr, usize)> = vec![(self, 0)];
        while let Some((e, depth)) = todo.pop() {
            if depth > max {
                return true;
            }
            e.for_each_child(|c| todo.push((c, depth + 1)));
        }
        false
    }

    fn for_each_child<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        match self {
            Expr::String(_)
            | Expr::Number(_)
            | Expr::Bool(_)
            | Expr::Ref(_)
            | Expr::GetAtt { .. }
            | Expr::Pseudo(_)
            | Expr::Condition(_) => {}
            Expr::List(items) | Expr::Concat(items) | Expr::And(items) | Expr::Or(items) => {
                items.iter().for_each(f)
            }
            Expr::Map(m) => m.values().for_each(f),
            Expr::Sub { vars, .. } => vars.values().for_each(f),
            Expr::Join { list, .. } => f(list),
            Expr::Select { index, list } => {
                f(index);
                f(list);
            }
            Expr::Split { source, .. } => f(source),
            Expr::GetAzs { region } => f(region),
            Expr::ImportValue(x) | Expr::Not(x) | Expr::Base64(x) => f(x),
            Expr::If {
                then, otherwise, ..
            } => {
                f(then);
                f(otherwise);
            }
            Expr::Equals(a, b) => {
                f(a);
                f(b);
            }
            Expr::FindInMap { top, second, .. } => {
                f(top);
                f(second);
            }
            Expr::Cidr { block, count, bits } => {
                f(block);
                f(count);
                f(bits);
            }
        }
    }

    /// Calls `f` on each value directly inside this one (list items, map values, function
    /// arguments), with mutable access; not on this value, not deeper.
    pub fn for_each_child_mut(&mut self, mut f: impl FnMut(&mut Expr)) {
        match self {
            Expr::String(_)
            | Expr::Number(_)
            | Expr::Bool(_)
            | Expr::Ref(_)
            | Expr::GetAtt { .. }
            | Expr::Pseudo(_)
            | Expr::Condition(_) => {}
            Expr::List(items) | Expr::Concat(items) | Expr::And(items) | Expr::Or(items) => {
                items.iter_mut().for_each(f)
            }
            Expr::Map(m) => m.values_mut().for_each(f),
            Expr::Sub { vars, .. } => vars.values_mut().for_each(f),
            Expr::Join { list, .. } => f(list),
            Expr::Select { index, list } => {
                f(index);
                f(list);
            }
            Expr::Split { source, .. } => f(source),
            Expr::GetAzs { region } => f(region),
            Expr::ImportValue(x) | Expr::Not(x) | Expr::Base64(x) => f(x),
            Expr::If {
                then, otherwise, ..
            } => {
                f(then);
                f(otherwise);
            }
            Expr::Equals(a, b) => {
                f(a);
                f(b);
            }
            Expr::FindInMap { top, second, .. } => {
                f(top);
                f(second);
            }
            Expr::Cidr { block, count, bits } => {
                f(block);
                f(count);
                f(bits);
            }
        }
    }
}

/// Something a value uses from outside itself, as [`Expr::uses`] reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Use<'a> {
    /// A logical ID of the same template: a resource or parameter through `Ref`, an
    /// attribute through `Fn::GetAtt`, or either through an `Fn::Sub` placeholder.
    Local {
        /// The logical ID.
        id: &'a str,
        /// The attribute, for `Fn::GetAtt` and `${Id.Attribute}`.
        attribute: Option<&'a str>,
    },
    /// A pseudo parameter.
    Pseudo(Pseudo),
    /// `Fn::ImportValue` of this name (usually a literal string).
    Import(&'a Expr),
    /// A condition, by name (`Fn::If`, `{"Condition": ..}`).
    Condition(&'a str),
    /// A mapping, by name (`Fn::FindInMap`).
    Mapping(&'a str),
}

impl Expr {
    /// Everything this value uses, with where (the property path below this value), in
    /// document order. `Fn::Sub` placeholders count (`${Bucket.Arn}`), except those naming the
    /// substitution's own variables and `${!Literal}` escapes.
    pub fn uses(&self) -> Vec<(PropertyPath, Use<'_>)> {
        let mut out = Vec::new();
        self.collect_uses(&mut PropertyPath::new(), &mut out);
        out
    }

    fn collect_uses<'a>(&'a self, path: &mut PropertyPath, out: &mut Vec<(PropertyPath, Use<'a>)>) {
        let local = |r: &'a Reference, attribute: Option<&'a str>| Use::Local {
            id: r.logical_id(),
            attribute,
        };
        match self {
            Expr::Ref(r) => out.push((path.clone(), local(r, None))),
            Expr::GetAtt { target, attribute } => {
                out.push((path.clone(), local(target, Some(attribute))))
            }
            Expr::Pseudo(p) => out.push((path.clone(), Use::Pseudo(*p))),
            Expr::ImportValue(name) => {
                out.push((path.clone(), Use::Import(name)));
                name.collect_uses(path, out);
            }
            Expr::If { condition, .. } | Expr::Condition(condition) => {
                out.push((path.clone(), Use::Condition(condition.name())))
            }
            Expr::FindInMap { map, .. } => out.push((path.clone(), Use::Mapping(map.name()))),
            Expr::Sub { template, vars } => {
                for name in sub_placeholders(template) {
                    if vars.contains_key(name) {
                        continue;
                    }
                    let (id, attribute) = match name.split_once('.') {
                        Some((id, attr)) => (id, Some(attr)),
                        None => (name, None),
                    };
                    let u = match Pseudo::from_name(name) {
                        Some(p) => Use::Pseudo(p),
                        None => Use::Local { id, attribute },
                    };
                    out.push((path.clone(), u));
                }
            }
            _ => {}
        }
        match self {
            Expr::Map(m) => {
                for (k, v) in m {
                    path.push(PathSeg::Key(k.clone()));
                    v.collect_uses(path, out);
                    path.pop();
                }
            }
            Expr::List(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(PathSeg::Index(i));
                    v.collect_uses(path, out);
                    path.pop();
                }
            }
            // The parts of a string and a function's argument lists are not properties: their
            // uses belong to the property holding the whole value.
            Expr::Concat(items) => items.iter().for_each(|v| v.collect_uses(path, out)),
            Expr::Join { list, .. } | Expr::Select { list, .. } => {
                if let Expr::Select { index, .. } = self {
                    index.collect_uses(path, out);
                }
                match &**list {
                    Expr::List(items) => items.iter().for_each(|v| v.collect_uses(path, out)),
                    other => other.collect_uses(path, out),
                }
            }
            Expr::Sub { vars, .. } => {
                for v in vars.values() {
                    v.collect_uses(path, out);
                }
            }
            Expr::ImportValue(_) => {}
            other => other.for_each_child(|c| c.collect_uses(path, out)),
        }
    }
}

impl From<&str> for Expr {
    fn from(s: &str) -> Self {
        Expr::String(s.to_owned())
    }
}

impl From<String> for Expr {
    fn from(s: String) -> Self {
        Expr::String(s)
    }
}

impl From<&String> for Expr {
    fn from(s: &String) -> Self {
        Expr::String(s.clone())
    }
}

impl From<bool> for Expr {
    fn from(b: bool) -> Self {
        Expr::Bool(b)
    }
}

macro_rules! expr_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Expr {
            fn from(n: $t) -> Self {
                Expr::Number(n.into())
            }
        }
    )*};
}
expr_from_int!(i32, i64, u8, u16, u32, u64);

impl From<f64> for Expr {
    /// A non-finite float (which JSON cannot hold) becomes `0`.
    fn from(n: f64) -> Self {
        Expr::Number(serde_json::Number::from_f64(n).unwrap_or_else(|| 0.into()))
    }
}

impl From<&Expr> for Expr {
    fn from(e: &Expr) -> Self {
        e.clone()
    }
}

impl From<Pseudo> for Expr {
    fn from(p: Pseudo) -> Self {
        Expr::Pseudo(p)
    }
}

impl<T: Into<Expr>> From<Vec<T>> for Expr {
    fn from(items: Vec<T>) -> Self {
        Expr::List(items.into_iter().map(Into::into).collect())
    }
}

impl From<serde_json::Value> for Expr {
    /// Intrinsic functions become their typed variants ([`Expr::from_json`]); JSON `null`
    /// becomes `AWS::NoValue` (CloudFormation has no null). A malformed intrinsic stays a
    /// plain map, which synthesis rejects when it reads the template back, naming where.
    fn from(v: serde_json::Value) -> Self {
        if let Ok(e) = Expr::from_json(&v) {
            return e;
        }
        literal(v)
    }
}

fn literal(v: serde_json::Value) -> Expr {
    {
        match v {
            serde_json::Value::Null => Expr::Pseudo(Pseudo::NoValue),
            serde_json::Value::Bool(b) => Expr::Bool(b),
            serde_json::Value::Number(n) => Expr::Number(n),
            serde_json::Value::String(s) => Expr::String(s),
            serde_json::Value::Array(a) => Expr::List(a.into_iter().map(literal).collect()),
            serde_json::Value::Object(o) => {
                Expr::Map(o.into_iter().map(|(k, v)| (k, literal(v))).collect())
            }
        }
    }
}

struct OneKey<'a, V: Serialize + ?Sized>(&'a str, &'a V);

impl<V: Serialize + ?Sized> Serialize for OneKey<'_, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(self.0, self.1)?;
        m.end()
    }
}

/// The placeholders of an `Fn::Sub` template, as written (`Name`, `Resource.Attribute`),
/// trimmed; `${!Literal}` is an escape, not a placeholder. An unclosed `${` ends the scan.
pub fn sub_placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find('}') else { break };
        let inner = rest[..end].trim();
        if !inner.starts_with('!') && !inner.is_empty() {
            names.push(inner);
        }
        rest = &rest[end + 1..];
    }
    names
}

/// The `Fn::Sub` string for a concatenation of literals, pseudo parameters and same-stack
/// `Ref`/`GetAtt`s — far easier to read than the equivalent `Fn::Join`. `None` when any part
/// is something `Fn::Sub` cannot inline (an import, a nested function).
fn sub_form(items: &[Expr]) -> Option<String> {
    if items.iter().all(|i| matches!(i, Expr::String(_))) {
        return None;
    }
    let mut template = String::new();
    for item in items {
        match item {
            // A literal `${` would read as a placeholder; `${!` is Fn::Sub's escape for it.
            Expr::String(s) => template.push_str(&s.replace("${", "${!")),
            Expr::Pseudo(p) if *p != Pseudo::NoValue => {
                template.push_str(&format!("${{{}}}", p.name()))
            }
            Expr::Ref(r) => template.push_str(&format!("${{{}}}", r.logical_id)),
            Expr::GetAtt { target, attribute } => {
                template.push_str(&format!("${{{}.{attribute}}}", target.logical_id))
            }
            _ => return None,
        }
    }
    Some(template)
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Expr::String(x) => s.serialize_str(x),
            Expr::Number(n) => n.serialize(s),
            Expr::Bool(b) => s.serialize_bool(*b),
            Expr::List(items) => items.serialize(s),
            Expr::Map(m) => m.serialize(s),
            Expr::Ref(r) => OneKey("Ref", &*r.logical_id).serialize(s),
            Expr::GetAtt { target, attribute } => {
                OneKey("Fn::GetAtt", &(&*target.logical_id, attribute.as_str())).serialize(s)
            }
            Expr::Pseudo(p) => OneKey("Ref", p.name()).serialize(s),
            Expr::Sub { template, vars } if vars.is_empty() => {
                OneKey("Fn::Sub", template.as_str()).serialize(s)
            }
            Expr::Sub { template, vars } => {
                OneKey("Fn::Sub", &(template.as_str(), vars)).serialize(s)
            }
            Expr::Concat(parts) => match sub_form(parts) {
                Some(template) => OneKey("Fn::Sub", template.as_str()).serialize(s),
                None => OneKey("Fn::Join", &("", parts)).serialize(s),
            },
            Expr::Join { delimiter, list } => {
                OneKey("Fn::Join", &(delimiter.as_str(), &**list)).serialize(s)
            }
            Expr::Select { index, list } => OneKey("Fn::Select", &(&**index, &**list)).serialize(s),
            Expr::Split { delimiter, source } => {
                OneKey("Fn::Split", &(delimiter.as_str(), &**source)).serialize(s)
            }
            Expr::GetAzs { region } => OneKey("Fn::GetAZs", &**region).serialize(s),
            Expr::ImportValue(x) => OneKey("Fn::ImportValue", &**x).serialize(s),
            Expr::If {
                condition,
                then,
                otherwise,
            } => OneKey("Fn::If", &(&*condition.name, &**then, &**otherwise)).serialize(s),
            Expr::Equals(a, b) => OneKey("Fn::Equals", &(&**a, &**b)).serialize(s),
            Expr::And(items) => OneKey("Fn::And", items).serialize(s),
            Expr::Or(items) => OneKey("Fn::Or", items).serialize(s),
            Expr::Not(x) => OneKey("Fn::Not", &(&**x,)).serialize(s),
            Expr::Condition(c) => OneKey("Condition", &*c.name).serialize(s),
            Expr::FindInMap { map, top, second } => {
                OneKey("Fn::FindInMap", &(&*map.name, &**top, &**second)).serialize(s)
            }
            Expr::Base64(x) => OneKey("Fn::Base64", &**x).serialize(s),
            Expr::Cidr { block, count, bits } => {
                OneKey("Fn::Cidr", &(&**block, &**count, &**bits)).serialize(s)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(e: &Expr) -> serde_json::Value {
        serde_json::to_value(e).unwrap()
    }

    fn vpc_ref() -> Reference {
        Reference::new(
            StackKey::new("dev", "network"),
            "Vpc8378EB38",
            ConstructPath::root("network")
                .child("Vpc")
                .child("Resource"),
            RefKind::Resource,
        )
    }

    #[test]
    fn literals_render_as_json_literals() {
        assert_eq!(render(&Expr::from("a")), json!("a"));
        assert_eq!(render(&Expr::from(7)), json!(7));
        assert_eq!(render(&Expr::from(1.5)), json!(1.5));
        assert_eq!(render(&Expr::from(true)), json!(true));
        assert_eq!(render(&Expr::list(["a", "b"])), json!(["a", "b"]));
        assert_eq!(render(&Expr::map([("K", 1)])), json!({"K": 1}));
    }

    #[test]
    fn every_intrinsic_renders_in_cloudformation_form() {
        let owner = StackKey::new("dev", "network");
        let cond = ConditionRef::new(owner.clone(), "IsProd");
        let map = MappingRef::new(owner, "Sizes");
        let r = vpc_ref();
        let cases: Vec<(Expr, serde_json::Value)> = vec![
            (Expr::Ref(r.clone()), json!({"Ref": "Vpc8378EB38"})),
            (
                Expr::GetAtt {
                    target: r.clone(),
                    attribute: "CidrBlock".into(),
                },
                json!({"Fn::GetAtt": ["Vpc8378EB38", "CidrBlock"]}),
            ),
            (
                Expr::sub("${AWS::Region}-x", Vec::<(String, Expr)>::new()),
                json!({"Fn::Sub": "${AWS::Region}-x"}),
            ),
            (
                Expr::sub("${A}-x", [("A", Expr::Ref(r.clone()))]),
                json!({"Fn::Sub": ["${A}-x", {"A": {"Ref": "Vpc8378EB38"}}]}),
            ),
            (
                Expr::join(",", [Expr::Ref(r.clone()), Expr::str("b")]),
                json!({"Fn::Join": [",", [{"Ref": "Vpc8378EB38"}, "b"]]}),
            ),
            (
                Expr::Join {
                    delimiter: String::new(),
                    list: Box::new(Expr::split(",", "a,b")),
                },
                json!({"Fn::Join": ["", {"Fn::Split": [",", "a,b"]}]}),
            ),
            (
                Expr::select(1, Expr::get_azs()),
                json!({"Fn::Select": [1, {"Fn::GetAZs": ""}]}),
            ),
            (Expr::split(",", "a,b"), json!({"Fn::Split": [",", "a,b"]})),
            (
                Expr::import_value("net:Vpc"),
                json!({"Fn::ImportValue": "net:Vpc"}),
            ),
            (
                Expr::if_(&cond, "a", Expr::no_value()),
                json!({"Fn::If": ["IsProd", "a", {"Ref": "AWS::NoValue"}]}),
            ),
            (
                Expr::equals(Expr::region(), "us-east-1"),
                json!({"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}),
            ),
            (
                Expr::And(vec![Expr::Condition(cond.clone()), Expr::Bool(true)]),
                json!({"Fn::And": [{"Condition": "IsProd"}, true]}),
            ),
            (
                Expr::Or(vec![Expr::Condition(cond.clone())]),
                json!({"Fn::Or": [{"Condition": "IsProd"}]}),
            ),
            (
                Expr::not(Expr::Condition(cond)),
                json!({"Fn::Not": [{"Condition": "IsProd"}]}),
            ),
            (
                Expr::find_in_map(&map, Expr::region(), "Size"),
                json!({"Fn::FindInMap": ["Sizes", {"Ref": "AWS::Region"}, "Size"]}),
            ),
            (Expr::base64("echo"), json!({"Fn::Base64": "echo"})),
            (
                Expr::cidr("10.0.0.0/16", 4, 8),
                json!({"Fn::Cidr": ["10.0.0.0/16", 4, 8]}),
            ),
            (Expr::account_id(), json!({"Ref": "AWS::AccountId"})),
            (Expr::partition(), json!({"Ref": "AWS::Partition"})),
            (Expr::stack_name(), json!({"Ref": "AWS::StackName"})),
            (Expr::url_suffix(), json!({"Ref": "AWS::URLSuffix"})),
            (
                Expr::Pseudo(Pseudo::StackId),
                json!({"Ref": "AWS::StackId"}),
            ),
            (
                Expr::Pseudo(Pseudo::NotificationArns),
                json!({"Ref": "AWS::NotificationARNs"}),
            ),
        ];
        for (expr, want) in cases {
            assert_eq!(render(&expr), want, "{expr:?}");
        }
    }

    #[test]
    fn concat_of_literals_is_a_plain_string() {
        assert_eq!(Expr::concat(["a", "b", "c"]), Expr::str("abc"));
        assert_eq!(Expr::join("-", ["a", "b"]), Expr::str("a-b"));
    }

    #[test]
    fn concat_with_references_merges_adjacent_literals_and_renders_as_sub() {
        let e = Expr::concat([
            Expr::str("arn:"),
            Expr::str("aws:"),
            Expr::Ref(vpc_ref()),
            Expr::str("/x"),
        ]);
        assert_eq!(
            e,
            Expr::Concat(vec![
                Expr::str("arn:aws:"),
                Expr::Ref(vpc_ref()),
                Expr::str("/x")
            ])
        );
        assert_eq!(render(&e), json!({"Fn::Sub": "arn:aws:${Vpc8378EB38}/x"}));
        // A single reference stays a reference.
        assert_eq!(
            Expr::concat([Expr::str(""), Expr::Ref(vpc_ref())]),
            Expr::Ref(vpc_ref())
        );
        // Nested concatenations flatten.
        let nested = Expr::concat([Expr::str("a"), e, Expr::str("b")]);
        assert_eq!(
            render(&nested),
            json!({"Fn::Sub": "aarn:aws:${Vpc8378EB38}/xb"})
        );
        // Parts Fn::Sub cannot inline keep the Fn::Join form; literal `${` is escaped in Sub.
        let import = Expr::concat([Expr::import_value("x"), Expr::str("-y")]);
        assert_eq!(
            render(&import),
            json!({"Fn::Join": ["", [{"Fn::ImportValue": "x"}, "-y"]]})
        );
        let dollar = Expr::concat([Expr::str("${literal}-"), Expr::region()]);
        assert_eq!(
            render(&dollar),
            json!({"Fn::Sub": "${!literal}-${AWS::Region}"})
        );
        let attr = Expr::concat([
            Expr::GetAtt {
                target: vpc_ref(),
                attribute: "Endpoint.Address".into(),
            },
            Expr::str(":5432"),
        ]);
        assert_eq!(
            render(&attr),
            json!({"Fn::Sub": "${Vpc8378EB38.Endpoint.Address}:5432"})
        );
    }

    #[test]
    fn arn_builder_uses_pseudo_parameters() {
        assert_eq!(
            render(&Expr::arn("logs", true, "log-group:x")),
            json!({"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:x"})
        );
    }

    #[test]
    fn json_null_means_no_value() {
        assert_eq!(Expr::from(serde_json::Value::Null), Expr::no_value());
    }

    #[test]
    fn sub_placeholders_skip_escapes_and_keep_attributes() {
        assert_eq!(
            sub_placeholders("${A}-${B.Arn}${!C}${ D }${}-${E"),
            ["A", "B.Arn", "D"]
        );
    }

    #[test]
    fn pseudo_names_round_trip() {
        for p in [
            Pseudo::Region,
            Pseudo::AccountId,
            Pseudo::Partition,
            Pseudo::StackName,
            Pseudo::StackId,
            Pseudo::UrlSuffix,
            Pseudo::NotificationArns,
            Pseudo::NoValue,
        ] {
            assert_eq!(Pseudo::from_name(p.name()), Some(p));
        }
        assert_eq!(Pseudo::from_name("AWS::Nope"), None);
    }
}
