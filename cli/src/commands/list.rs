//! `list`: environments, their stacks in deploy order, dependencies and resource counts.

use clap::Args;

use crate::cli::EXIT_OK;
use crate::error::{CliError, Result};
use crate::pipeline::{synthesize, Factory, Io, Selection};

/// List environments, stacks (in deploy order), dependencies and resource counts.
#[derive(Debug, Clone, Args)]
pub struct ListCommand {
    /// Environments to list.
    #[command(flatten)]
    pub select: Selection,
}

impl ListCommand {
    /// Runs the command.
    pub fn execute(&self, factory: Factory<'_>, io: &mut Io<'_>) -> Result<u8> {
        let assembly = synthesize(factory, io)?;
        let mut text = String::new();
        for env in self.select.environments(&assembly)? {
            let e = &env.environment;
            let place = match (e.account(), e.region()) {
                (Some(a), Some(r)) => format!(" (account {a}, {r})"),
                (None, Some(r)) => format!(" ({r})"),
                (Some(a), None) => format!(" (account {a})"),
                (None, None) => String::new(),
            };
            text.push_str(&format!("{}{place}\n", e.name()));
            let width = env
                .stacks
                .iter()
                .map(|s| s.stack_name.len())
                .max()
                .unwrap_or(0);
            for (i, s) in env
                .stacks
                .iter()
                .enumerate()
                .filter(|(_, s)| self.select.includes_stack(&s.name))
            {
                let deps = if s.dependencies.is_empty() {
                    String::new()
                } else {
                    format!("  depends on: {}", s.dependencies.join(", "))
                };
                text.push_str(&format!(
                    "  {}. {:width$}  {:>3} resources{deps}\n",
                    i + 1,
                    s.stack_name,
                    s.template().resources.len(),
                ));
            }
        }
        io.out
            .write_all(text.as_bytes())
            .map_err(|e| CliError::io("stdout", e))?;
        Ok(EXIT_OK)
    }
}
