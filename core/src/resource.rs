//! Resources: the typed-resource trait, per-resource options and the raw escape hatch.

use crate::expr::ExprMap;
use indexmap::IndexMap;

use crate::expr::{ConditionRef, Expr, Reference};

/// A typed CloudFormation resource (generated from the resource provider schemas).
pub trait CfnResource {
    /// The CloudFormation type name (`AWS::EC2::VPC`).
    const TYPE_NAME: &'static str;

    /// The `Properties` section this value renders as.
    fn into_properties(self) -> ExprMap;
}

/// A resource given as type name plus property map: the escape hatch for any type, typed or
/// not. Synthesis checks the type name and validates the properties against the type's schema
/// in the [schema index](crate::schema).
#[derive(Debug, Clone, PartialEq)]
pub struct RawResource {
    /// The CloudFormation type name.
    pub type_name: String,
    /// The properties.
    pub properties: ExprMap,
}

impl RawResource {
    /// A raw resource of `type_name` with no properties yet.
    pub fn new(type_name: &str) -> Self {
        Self {
            type_name: type_name.to_owned(),
            properties: ExprMap::new(),
        }
    }

    /// Sets a property (builder style).
    pub fn prop(mut self, name: &str, value: impl Into<Expr>) -> Self {
        self.properties.insert(name, value.into());
        self
    }
}

/// What happens to a resource when it is deleted from the stack or replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalPolicy {
    /// `Delete`
    Delete,
    /// `Retain`
    Retain,
    /// `RetainExceptOnCreate`
    RetainExceptOnCreate,
    /// `Snapshot` (databases, volumes)
    Snapshot,
}

impl RemovalPolicy {
    /// The template spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RemovalPolicy::Delete => "Delete",
            RemovalPolicy::Retain => "Retain",
            RemovalPolicy::RetainExceptOnCreate => "RetainExceptOnCreate",
            RemovalPolicy::Snapshot => "Snapshot",
        }
    }

    /// The policy spelled `name` in a template, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            RemovalPolicy::Delete,
            RemovalPolicy::Retain,
            RemovalPolicy::RetainExceptOnCreate,
            RemovalPolicy::Snapshot,
        ]
        .into_iter()
        .find(|p| p.as_str() == name)
    }
}

/// Resource attributes besides properties. All fields default to unset.
#[derive(Debug, Clone, Default)]
pub struct ResourceOptions {
    /// Resources this one waits for. Default: none. A resource of another stack of the same
    /// environment becomes a stack dependency instead.
    pub depends_on: Vec<Reference>,
    /// `Condition`. Default: none.
    pub condition: Option<ConditionRef>,
    /// `DeletionPolicy`. Default: unset (CloudFormation deletes).
    pub deletion_policy: Option<RemovalPolicy>,
    /// `UpdateReplacePolicy`. Default: unset (CloudFormation deletes).
    pub update_replace_policy: Option<RemovalPolicy>,
    /// Extra `Metadata` entries. Default: none (the construct path is always recorded).
    pub metadata: IndexMap<String, serde_json::Value>,
    /// An explicit logical ID replacing the computed one (for migrations). Default: computed.
    pub logical_id: Option<String>,
    /// `CreationPolicy` (signals to wait for). Default: none.
    pub creation_policy: Option<Expr>,
    /// `UpdatePolicy` (rolling updates, replacing updates). Default: none.
    pub update_policy: Option<Expr>,
}

impl ResourceOptions {
    /// Options with both `DeletionPolicy` and `UpdateReplacePolicy` set to `policy` (what
    /// happens to the data when the resource leaves the stack or is replaced).
    pub fn removal(policy: RemovalPolicy) -> Self {
        Self {
            deletion_policy: Some(policy),
            update_replace_policy: Some(policy),
            ..Default::default()
        }
    }
}

pub use crate::schema::{type_info, TagShape, TypeInfo};
