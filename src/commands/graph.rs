//! `graph`: one environment as a Graphviz DOT or Mermaid picture.

use clap::{Args, ValueEnum};

use crate::cli::EXIT_OK;
use crate::error::{CliError, Result};
use crate::graph::{build, to_dot, to_mermaid, GraphOptions, Level};
use crate::pipeline::{synthesize, Factory, Io};

/// The output format of `graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT (`dot -Tsvg`).
    #[default]
    Dot,
    /// A Mermaid flowchart (renders in Markdown on GitHub).
    Mermaid,
}

/// Print one environment as a graph: stacks as clusters, resources as nodes, references,
/// cross-stack imports and security-group rules as edges.
#[derive(Debug, Clone, Args)]
pub struct GraphCommand {
    /// The environment to draw (one per graph). Default: the app's first environment.
    #[arg(long = "env", value_name = "ENV")]
    pub envs: Vec<String>,
    /// Stack to draw, by short name (repeat for several). Default: all. Nodes of other
    /// stacks connected to these are drawn too, marked "not selected".
    #[arg(long = "stack", value_name = "STACK")]
    pub stacks: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// Detail level.
    #[arg(long, value_enum, default_value_t = Level::Resources)]
    pub level: Level,
}

impl GraphCommand {
    /// Runs the command.
    pub fn execute(&self, factory: Factory<'_>, io: &mut Io<'_>) -> Result<u8> {
        if self.envs.len() > 1 {
            return Err(CliError::Usage(format!(
                "graph draws one environment at a time, got --env {}. Fix: pass one --env and run graph once per environment.",
                self.envs.join(" --env ")
            )));
        }
        let assembly = synthesize(factory, io)?;
        let known: Vec<&str> = assembly
            .environments
            .iter()
            .map(|e| e.environment.name())
            .collect();
        let env = match self.envs.first() {
            Some(name) => assembly.environment(name).ok_or_else(|| {
                CliError::Usage(format!(
                    "unknown environment `{name}`. The app `{}` has: {}. Fix: pass one of these to --env.",
                    assembly.app,
                    known.join(", ")
                ))
            })?,
            None => assembly.environments.first().ok_or_else(|| {
                CliError::Failed(format!(
                    "the app `{}` has no environments, so there is nothing to draw. Fix: add a stack to the app.",
                    assembly.app
                ))
            })?,
        };
        for s in &self.stacks {
            if env.stack(s).is_none() {
                let names: Vec<&str> = env.stacks.iter().map(|s| s.name.as_str()).collect();
                return Err(CliError::Usage(format!(
                    "unknown stack `{s}` in environment `{}`, which has: {}. Fix: pass one of these to --stack.",
                    env.environment.name(),
                    names.join(", ")
                )));
            }
        }
        let graph = build(
            &assembly.app,
            env,
            &GraphOptions {
                level: self.level,
                stacks: self.stacks.clone(),
            },
        );
        let text = match self.format {
            GraphFormat::Dot => to_dot(&graph),
            GraphFormat::Mermaid => to_mermaid(&graph),
        };
        io.out
            .write_all(text.as_bytes())
            .map_err(|e| CliError::io("stdout", e))?;
        Ok(EXIT_OK)
    }
}
