//! Read-only queries on what a stack has declared so far, for constructs that refuse a name
//! already taken or look for a resource declared earlier. The AWS constructs live in another
//! crate (`stackforge-constructs`), so they ask through these instead of reading the stack's
//! fields, which stay private to the model.

use crate::expr::ExprMap;
use crate::path::ConstructPath;
use crate::stack::Stack;

/// A resource a stack declares, as [`Stack::declared_resources`] lists it.
#[derive(Debug, Clone, Copy)]
pub struct DeclaredResource<'a> {
    /// The construct path.
    pub path: &'a ConstructPath,
    /// The logical ID.
    pub logical_id: &'a str,
    /// The CloudFormation type.
    pub type_name: &'a str,
    /// The properties as declared.
    pub properties: &'a ExprMap,
}

impl Stack {
    /// Whether the stack declares a parameter `name`.
    pub fn has_parameter(&self, name: &str) -> bool {
        self.parameters.contains_key(name)
    }

    /// Whether the stack declares a resource with logical ID `logical_id`.
    pub fn has_resource(&self, logical_id: &str) -> bool {
        self.resources.contains_key(logical_id)
    }

    /// Whether the stack declares an output `name`.
    pub fn has_output(&self, name: &str) -> bool {
        self.outputs.contains_key(name)
    }

    /// Whether the stack declares a mapping `name`.
    pub fn has_mapping(&self, name: &str) -> bool {
        self.mappings.contains_key(name)
    }

    /// The resources declared so far, in declaration order.
    pub fn declared_resources(&self) -> impl Iterator<Item = DeclaredResource<'_>> {
        self.resources.iter().map(|(id, r)| DeclaredResource {
            path: &r.path,
            logical_id: id,
            type_name: &r.type_name,
            properties: &r.properties,
        })
    }
}
