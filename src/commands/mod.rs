//! One module per subcommand; each is a clap `Args` struct with an `execute` method.

pub mod deploy;
pub mod list;
pub mod synth;
