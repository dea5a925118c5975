//! Resources: the typed-resource trait, handles with typed attributes, per-resource options
//! and the raw escape hatch. Everything but the handle comes from `stackforge-core`; the
//! handle lives beside the generated resources, whose attribute accessors are inherent
//! methods on it.

use std::marker::PhantomData;

pub use stackforge_core::resource::*;

use crate::expr::{Expr, Reference};

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
    /// A handle for the resource `reference` points at (scopes hand these out when a
    /// resource is added).
    pub fn new(reference: Reference) -> Self {
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

/// The type facts for `type_name`, if a schema for it is vendored.
pub fn type_info(type_name: &str) -> Option<&'static TypeInfo> {
    let types = crate::resources::TYPES;
    types
        .binary_search_by(|t| t.type_name.cmp(type_name))
        .ok()
        .map(|i| &types[i])
}
