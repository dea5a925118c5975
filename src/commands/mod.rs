//! One module per subcommand; each is a clap `Args` struct with an `execute` method.

pub mod check;
pub mod deploy;
pub mod destroy;
pub mod diff;
pub mod drift;
pub mod graph;
pub mod list;
pub mod migrate;
pub mod new;
pub mod synth;
