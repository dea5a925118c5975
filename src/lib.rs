//! The stackforge CLI as a library: synth, list, diff, check, deploy and graph over any
//! [`stackforge_constructs::App`]. `src/main.rs` runs it on the migration-api app.
//!
//! What an app needs is [`run`], [`AppFactory`] and [`Io`]. The policy gate ([`policy`]),
//! the semantic diff ([`diff`]) and the graph builder ([`graph`]) are exported for tools that
//! want them without the command line; everything else is internal.

mod cli;
mod commands;
mod deploy;
pub mod diff;
mod error;
mod files;
pub mod graph;
mod lock;
mod output;
mod params;
mod pipeline;
pub mod policy;
mod scaffold;

pub use cli::{run, EXIT_FAILURE, EXIT_OK, EXIT_USAGE};
pub use error::CliError;
pub use pipeline::{AppFactory, Io};
