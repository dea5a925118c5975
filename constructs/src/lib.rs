//! The stackforge programming model.
//!
//! An [`App`] holds [`Stack`]s per [`Environment`]; constructs add resources to a stack through
//! a [`Scope`] (a path in the construct tree) and return handles whose attributes are typed
//! [`Expr`] values. [`App::synth`] resolves cross-stack references, validates, and returns an
//! in-memory [`Assembly`] of CloudFormation templates. See `ARCHITECTURE.md` for the pipeline.
#![deny(missing_docs)]

pub mod expr;
pub mod resource;
pub mod resources;
pub mod schema_check;
pub mod value;

pub use expr::{ConditionRef, Expr, MappingRef, Pseudo, RefKind, Reference, StackKey};
pub use resource::{
    CfnResource, RawResource, RemovalPolicy, ResourceHandle, ResourceOptions, TagShape, TypeInfo,
};
pub use value::{Bool, Int, IntoExpr, Num, Str, Tag};
