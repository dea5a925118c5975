//! The stackforge programming model.
//!
//! Apps import it through `stackforge-constructs`, which re-exports everything here at the
//! same paths and adds the AWS constructs (`stackforge_constructs::aws`). The model is a crate
//! of its own so the CLI, which depends on it and not on the AWS constructs, is not recompiled
//! when a construct changes (the edit loop, README "Performance").
//!
//! An [`App`] holds [`Stack`]s per [`Environment`]; constructs add resources to a stack through
//! a [`Scope`] (a path in the construct tree) and return handles whose attributes are typed
//! [`Expr`] values. [`App::synth`] runs aspects, resolves cross-stack references, validates,
//! and returns an in-memory [`Assembly`] of CloudFormation templates. See `ARCHITECTURE.md`
//! for the pipeline.
#![deny(missing_docs)]

pub use stackforge_core::{expr, parse, path, property_path, schema, value};
/// Every CloudFormation resource type as a typed struct: the `stackforge-catalog` crate, one
/// module per service behind a Cargo feature of the same name (see the README).
pub mod resources {
    pub use stackforge_catalog::*;
}

/// The ordered map props take (`EcsServiceProps::environment`, ...), re-exported so an app
/// needs no `indexmap` dependency of its own: `stackforge_constructs::IndexMap`, or
/// `stackforge_constructs::indexmap::indexmap! { ... }`.
pub use indexmap::{self, IndexMap};

pub mod app;
pub mod aspect;
pub mod assembly;
pub mod change;
pub mod committed;
pub mod deploy_metadata;
pub mod document;
pub mod error;
pub mod export;
pub mod integrity;
pub mod layout;
pub mod logical_id;
pub mod names;
pub mod resource;
pub mod rules;
pub mod schema_check;
pub mod scope;
pub mod stack;
pub mod stack_queries;
pub mod synth;
pub mod template;
pub mod testing;
mod type_checks;
pub mod yaml;

pub use app::App;
pub use aspect::{Aspect, ResourceView, Tags};
pub use assembly::{Assembly, EnvironmentAssembly, OutputFormat, StackArtifact};
pub use error::{Error, Result, Warning};
pub use export::ExportName;
pub use expr::{ConditionRef, Expr, MappingRef, Pseudo, RefKind, Reference, StackKey, Use};
pub use path::ConstructPath;
pub use property_path::{PathSeg, PropertyPath};
pub use resource::{
    type_info, CfnResource, RawResource, RemovalPolicy, ResourceHandle, ResourceOptions, TagShape,
    TypeInfo,
};

pub use scope::Scope;
pub use stack::{Environment, Stack, StackProps, Suppression};
pub use stack_queries::DeclaredResource;
pub use template::{Output, Parameter, ParameterType, ResourceDef, Template};
pub use value::{Bool, Int, IntoExpr, Num, Str, Tag};
