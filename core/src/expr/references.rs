//! What a value can point at: a resource or parameter of a stack (`Reference`), a
//! condition, a mapping, a pseudo parameter.

use std::fmt;
use std::sync::Arc;

use crate::path::ConstructPath;

/// Identifies one stack of one environment of an app (`dev` / `network`).
///
/// One pointer wide (the names live behind one shared allocation): every [`Reference`]
/// handed out carries one, and `Expr` is as large as its largest variant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StackKey(Arc<StackNames>);

/// The names a [`StackKey`] shares (compared and ordered by `env`, then `name`).
#[derive(Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct StackNames {
    env: Box<str>,
    name: Box<str>,
}

impl StackKey {
    /// A key for stack `name` of environment `env`.
    pub fn new(env: &str, name: &str) -> Self {
        Self(Arc::new(StackNames {
            env: env.into(),
            name: name.into(),
        }))
    }

    /// The environment name (`dev`).
    pub fn env(&self) -> &str {
        &self.0.env
    }

    /// The stack's short name inside its environment (`network`).
    pub fn name(&self) -> &str {
        &self.0.name
    }
}

impl fmt::Display for StackKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.0.env, self.0.name)
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
/// ([`Expr::local_ref`](crate::expr::Expr::local_ref)); synthesis checks those exist in the stack that uses them.
///
/// One pointer wide (what it names lives behind one shared allocation): `Expr` is as large
/// as its largest variant, and every template holds many references.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference(Arc<Target>);

/// What a [`Reference`] shares.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Target {
    owner: Option<StackKey>,
    /// None when it is the path (a reference named by hand or read from a template: one
    /// copy of the name instead of two, for every reference of every template read).
    logical_id: Option<Box<str>>,
    path: ConstructPath,
    kind: RefKind,
}

impl Reference {
    /// A reference to `logical_id` (at construct `path`) owned by stack `owner`. Stacks hand
    /// these out when a resource or parameter is added; build one by hand only in tests.
    pub fn new(owner: StackKey, logical_id: &str, path: ConstructPath, kind: RefKind) -> Self {
        Self(Arc::new(Target {
            owner: Some(owner),
            logical_id: (logical_id != path.as_str()).then(|| logical_id.into()),
            path,
            kind,
        }))
    }

    /// A reference to `logical_id` in whichever stack uses it, for resources named by hand
    /// (raw resources, ported templates). Synthesis checks the ID exists there.
    pub fn local(logical_id: &str) -> Self {
        Self(Arc::new(Target {
            owner: None,
            logical_id: None,
            path: ConstructPath::root(logical_id),
            kind: RefKind::Resource,
        }))
    }

    /// The stack owning the target, if known.
    pub fn owner(&self) -> Option<&StackKey> {
        self.0.owner.as_ref()
    }

    /// The target's logical ID in its stack.
    pub fn logical_id(&self) -> &str {
        match &self.0.logical_id {
            Some(id) => id,
            None => self.0.path.as_str(),
        }
    }

    /// The target's construct path (`network/Vpc/Resource`), or its logical ID for hand-made
    /// references.
    pub fn path(&self) -> &ConstructPath {
        &self.0.path
    }

    /// Whether the target is a resource or a parameter.
    pub fn kind(&self) -> RefKind {
        self.0.kind
    }
}

/// A condition declared in a stack's `Conditions` section.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConditionRef(Arc<Declared>);

impl ConditionRef {
    /// The condition `name` declared in stack `owner` (stacks hand these out).
    pub fn new(owner: StackKey, name: &str) -> Self {
        Self(Declared::new(Some(owner), name))
    }

    /// The condition `name` of whichever template uses it (read from a template, or named by
    /// hand); synthesis checks it exists there.
    pub fn local(name: &str) -> Self {
        Self(Declared::new(None, name))
    }

    /// The stack declaring the condition, when known.
    pub fn owner(&self) -> Option<&StackKey> {
        self.0.owner.as_ref()
    }

    /// The condition's name in the template.
    pub fn name(&self) -> &str {
        &self.0.name
    }
}

/// A mapping declared in a stack's `Mappings` section.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MappingRef(Arc<Declared>);

impl MappingRef {
    /// The mapping `name` declared in stack `owner` (stacks hand these out).
    pub fn new(owner: StackKey, name: &str) -> Self {
        Self(Declared::new(Some(owner), name))
    }

    /// The mapping `name` of whichever template uses it (read from a template, or named by
    /// hand); synthesis checks it exists there.
    pub fn local(name: &str) -> Self {
        Self(Declared::new(None, name))
    }

    /// The stack declaring the mapping, when known.
    pub fn owner(&self) -> Option<&StackKey> {
        self.0.owner.as_ref()
    }

    /// The mapping's name in the template.
    pub fn name(&self) -> &str {
        &self.0.name
    }
}

/// A condition or mapping name and its stack, shared by the clones of one
/// [`ConditionRef`] or [`MappingRef`] (one pointer each, like [`Reference`]).
#[derive(Debug, PartialEq, Eq, Hash)]
struct Declared {
    owner: Option<StackKey>,
    name: Box<str>,
}

impl Declared {
    fn new(owner: Option<StackKey>, name: &str) -> Arc<Self> {
        Arc::new(Self {
            owner,
            name: name.into(),
        })
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
