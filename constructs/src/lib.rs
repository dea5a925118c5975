//! The crate a stackforge app imports: the programming model and the AWS constructs.
//!
//! An [`App`] holds [`Stack`]s per [`Environment`]; constructs add resources to a stack through
//! a [`Scope`] (a path in the construct tree) and return handles whose attributes are typed
//! [`Expr`] values. [`App::synth`] runs aspects, resolves cross-stack references, validates,
//! and returns an in-memory [`Assembly`] of CloudFormation templates. See `ARCHITECTURE.md`
//! for the pipeline.
//!
//! The model lives in `stackforge-construct-model` and is re-exported here at the same paths
//! (`stackforge_constructs::{App, Scope, Expr, ...}`, `stackforge_constructs::synth`, ...); the
//! AWS constructs ([`aws`]) are this crate's own. The CLI depends on the model only, so editing
//! a construct recompiles this crate, the app's stacks and the binary, not the CLI library.
#![deny(missing_docs)]

pub use stackforge_construct_model::*;

pub mod aws;
