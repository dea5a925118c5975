//! The stackforge value model, shared by the generated resource catalog and the constructs:
//! [`expr::Expr`] (CloudFormation values and intrinsic functions), the typed property values of
//! [`value`], the typed-resource trait in [`resource`], and the [`schema`] index of every
//! resource type with its validator.
//!
//! It lives in its own crate so that the generated catalog depends only on it, and editing a
//! construct never recompiles generated code.
#![deny(missing_docs)]

pub mod expr;
pub mod parse;
pub mod path;
pub mod property_path;
pub mod resource;
pub mod schema;
pub mod value;
