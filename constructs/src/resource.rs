//! Resources: the typed-resource trait, handles with typed attributes, per-resource options
//! and the raw escape hatch.

use std::marker::PhantomData;

use indexmap::IndexMap;

use crate::expr::{ConditionRef, Expr, Reference};

/// A typed CloudFormation resource (generated from the resource provider schemas).
pub trait CfnResource {
    /// The CloudFormation type name (`AWS::EC2::VPC`).
    const TYPE_NAME: &'static str;

    /// The `Properties` section this value renders as.
    fn into_properties(self) -> IndexMap<String, Expr>;
}

/// A resource added to a stack. Attribute accessors are generated per resource type
/// (`handle.cidr_block()` for a VPC); [`ResourceHandle::ref_`] and
/// [`ResourceHandle::get_att`] work for every type.
#[derive(Debug)]
pub struct ResourceHandle<T> {
    reference: Reference,
    _type: PhantomData<fn() -> T>,
}

// Manual impl: `T` itself need not be `Clone`.
impl<T> Clone for ResourceHandle<T> {
    fn clone(&self) -> Self {
        Self {
            reference: self.reference.clone(),
            _type: PhantomData,
        }
    }
}

impl<T> ResourceHandle<T> {
    pub(crate) fn new(reference: Reference) -> Self {
        Self {
            reference,
            _type: PhantomData,
        }
    }

    /// `{"Ref": logical_id}`.
    pub fn ref_(&self) -> Expr {
        Expr::Ref(self.reference.clone())
    }

    /// `{"Fn::GetAtt": [logical_id, attribute]}`.
    pub fn get_att(&self, attribute: &str) -> Expr {
        Expr::GetAtt {
            target: self.reference.clone(),
            attribute: attribute.to_owned(),
        }
    }

    /// The resource's logical ID.
    pub fn logical_id(&self) -> &str {
        self.reference.logical_id()
    }

    /// The resource's construct path (`network/Vpc/Resource`).
    pub fn path(&self) -> &str {
        self.reference.path()
    }

    /// The underlying reference (for `DependsOn` and custom wiring).
    pub fn reference(&self) -> &Reference {
        &self.reference
    }
}

/// A resource whose type has no typed struct: type name plus property map. Synthesis
/// validates it against the vendored schema of its type (or warns when there is none).
#[derive(Debug, Clone, PartialEq)]
pub struct RawResource {
    /// The CloudFormation type name.
    pub type_name: String,
    /// The properties.
    pub properties: IndexMap<String, Expr>,
}

impl RawResource {
    /// A raw resource of `type_name` with no properties yet.
    pub fn new(type_name: &str) -> Self {
        Self {
            type_name: type_name.to_owned(),
            properties: IndexMap::new(),
        }
    }

    /// Sets a property (builder style).
    pub fn prop(mut self, name: &str, value: impl Into<Expr>) -> Self {
        self.properties.insert(name.to_owned(), value.into());
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

/// How a resource type takes tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagShape {
    /// A list of `{"Key": .., "Value": ..}` under the named property.
    List(&'static str),
    /// A map of key to value under the named property.
    Map(&'static str),
}

/// Static facts about a resource type, generated from its schema.
#[derive(Debug)]
pub struct TypeInfo {
    /// The CloudFormation type name.
    pub type_name: &'static str,
    /// How the type takes tags, if it is taggable.
    pub tags: Option<TagShape>,
    /// JSON pointers (`/properties/CidrBlock`) of properties whose change replaces the resource.
    pub create_only: &'static [&'static str],
    /// Properties whose change may replace the resource, depending on the value.
    pub conditional_create_only: &'static [&'static str],
    /// The vendored resource provider schema (JSON text).
    pub schema: &'static str,
}

/// The type facts for `type_name`, if a schema for it is vendored.
pub fn type_info(type_name: &str) -> Option<&'static TypeInfo> {
    let types = crate::resources::TYPES;
    types
        .binary_search_by(|t| t.type_name.cmp(type_name))
        .ok()
        .map(|i| &types[i])
}
