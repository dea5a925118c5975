//! The model of the typed catalog: how one CloudFormation resource schema becomes Rust
//! types (struct, field, enum and variant names, field types) and which Cargo feature
//! turns the type on. `cargo xtask codegen` renders the catalog from it, and
//! `stackforge migrate` writes code against the catalog with it, so the two never disagree.

#![deny(missing_docs)]

pub mod model;
pub mod naming;

pub use model::{build, Resource, Ty};
