//! The stackforge CLI as a library: synth, list, diff, check, deploy and graph over any
//! [`stackforge_constructs::App`]. `src/main.rs` runs it on the migration-api app.

pub mod cli;
pub mod commands;
pub mod deploy;
pub mod diff;
pub mod error;
pub mod graph;
pub mod intrinsics;
pub mod output;
pub mod params;
pub mod pipeline;
pub mod policy;
pub mod safety;
pub mod template_file;

pub use cli::run;
pub use error::{CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE};
pub use pipeline::{AppFactory, Io};
