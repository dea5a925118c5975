//! The handle of a typed resource. It lives in this crate because the generated attribute
//! accessors (`handle.cidr_block()` for a VPC) are inherent methods on it, and Rust allows
//! inherent impls only in the crate defining the type.

use std::marker::PhantomData;

use stackforge_core::expr::{Expr, Reference};

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
            attribute: attribute.into(),
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
