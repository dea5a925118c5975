//! Command-line parsing and dispatch.

use std::ffi::OsString;

use clap::{Parser, Subcommand};

use crate::commands::{
    check::CheckCommand, deploy::DeployCommand, destroy::DestroyCommand, diff::DiffCommand,
    drift::DriftCommand, graph::GraphCommand, list::ListCommand, migrate::MigrateCommand,
    new::NewCommand, synth::SynthCommand,
};
use crate::error::CliError;
use crate::pipeline::Io;
use crate::scaffold::NewApp;
use stackforge_construct_model::App;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: a failure was found (violations, stale templates, validation, failed deploy).
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: usage or input error.
pub const EXIT_USAGE: u8 = 2;

/// The process exit code for an error: 2 when the input was at fault, else 1.
pub fn exit_code(e: &CliError) -> u8 {
    if e.is_input_error() {
        EXIT_USAGE
    } else {
        EXIT_FAILURE
    }
}

/// stackforge: synthesize, check, diff and deploy CloudFormation stacks defined in Rust.
#[derive(Debug, Parser)]
#[command(name = "stackforge", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Synthesize templates into `templates/<env>/` (or check they are fresh).
    Synth(SynthCommand),
    /// List environments, stacks in deploy order, dependencies and resource counts.
    List(ListCommand),
    /// Check templates against the policy rules (the synthesized app, or PATHs).
    Check(CheckCommand),
    /// Compare the synthesized app with committed (or any) templates; flag replacements.
    Diff(DiffCommand),
    /// Print one environment as a Graphviz DOT or Mermaid graph.
    Graph(GraphCommand),
    /// Deploy one environment's stacks with the AWS CLI, in order, with progress.
    Deploy(Box<DeployCommand>),
    /// Delete one environment's stacks, dependents first, after listing what is retained.
    Destroy(DestroyCommand),
    /// Detect drift (changes made outside CloudFormation) in one environment's stacks.
    Drift(DriftCommand),
    /// Create a new app repository that synthesizes, passes the gate and tests out of the box.
    #[command(visible_alias = "init")]
    New(NewCommand),
    /// Turn CloudFormation templates into a new app whose synth gives them back.
    Migrate(MigrateCommand),
}

/// Parses `args`, runs the command on the app `factory` builds, prints errors as paragraphs
/// to `io.err` and returns the exit code (0 ok, 1 failure found, 2 usage or input error).
///
/// `factory` is a function (`my_app::app`) or a closure, so an app can take runtime
/// configuration (an environment variable, a settings file) before it is built. `new` is
/// refused: it is in the `stackforge` binary, which runs [`run_with_new_app`].
pub fn run<I, T, F>(args: I, factory: F, io: &mut Io<'_>) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
    F: Fn() -> Result<App, stackforge_construct_model::Error>,
{
    run_with_new_app(args, factory, None, io)
}

/// [`run`], with `new` creating the app `new_app` builds (`stackforge_scaffold_app::app`;
/// the CLI library does not depend on the AWS constructs that app uses).
pub fn run_with_new_app<I, T, F>(
    args: I,
    factory: F,
    new_app: Option<NewApp>,
    io: &mut Io<'_>,
) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
    F: Fn() -> Result<App, stackforge_construct_model::Error>,
{
    let factory = &factory;
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = write!(io.err, "{}", e.render());
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let result = match &cli.command {
        Command::Synth(c) => c.execute(factory, io),
        Command::List(c) => c.execute(factory, io),
        Command::Check(c) => c.execute(factory, io),
        Command::Diff(c) => c.execute(factory, io),
        Command::Graph(c) => c.execute(factory, io),
        Command::Deploy(c) => c.execute(factory, io),
        Command::Destroy(c) => c.execute(factory, io),
        Command::Drift(c) => c.execute(factory, io),
        Command::New(c) => c.execute(new_app, io),
        Command::Migrate(c) => c.execute(io),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(io.err, "error: {e}");
            exit_code(&e)
        }
    }
}
