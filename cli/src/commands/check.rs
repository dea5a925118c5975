//! `check`: the policy gate on the synthesized app, or on template files and folders.

use std::path::PathBuf;

use clap::Args;

use crate::cli::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};
use crate::error::{CliError, Result};
use crate::pipeline::{synthesize, Factory, GateOptions, Io, Selection};
use crate::policy;

/// Check templates against the policy rules (the guide's security checklist).
///
/// Without PATH, synthesizes the app and checks every environment (or those given with
/// --env), each as a whole: cross-stack references are followed and per-environment rules
/// (backups) see all its stacks. With PATH, checks those files and folders: each file alone,
/// except that the templates of a folder holding a manifest.json are checked together; every
/// resource is also checked against its type's schema (rule SCHEMA: type name, properties,
/// Fn::GetAtt attributes).
///
/// Exit status: 0 clean, 1 violations, 2 when an input could not be read, is not
/// CloudFormation or needs a transform or macro (the other inputs are still checked).
#[derive(Debug, Clone, Args)]
pub struct CheckCommand {
    /// Template files or folders (JSON or YAML; folders are searched recursively for
    /// *.json, *.yaml, *.yml and *.template). Default: the synthesized app.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Environment of the app to check (repeat for several). Default: all.
    #[arg(long = "env", value_name = "ENV")]
    pub envs: Vec<String>,
    /// Extra rules.
    #[command(flatten)]
    pub gate: GateOptions,
    /// Print one JSON document (summary, violations, suppressed, input_errors).
    #[arg(long)]
    pub json: bool,
}

impl CheckCommand {
    /// Runs the command.
    pub fn execute(&self, factory: Factory<'_>, io: &mut Io<'_>) -> Result<u8> {
        if !self.paths.is_empty() && !self.envs.is_empty() {
            return Err(CliError::Usage(
                "--env selects environments of the synthesized app, and PATH checks files instead. Fix: pass one or the other.".into(),
            ));
        }
        let rules = self.gate.rule_set()?;
        let report = if self.paths.is_empty() {
            let assembly = synthesize(factory, io)?;
            let select = Selection {
                envs: self.envs.clone(),
                stacks: Vec::new(),
            };
            let envs = select.environments(&assembly)?;
            policy::gate(&envs, &rules)?
        } else {
            policy::check_paths(&self.paths, &rules)?
        };
        for e in &report.input_errors {
            let _ = writeln!(io.err, "error: {}: {}", e.path.display(), e.problem);
        }
        let text = if self.json {
            crate::output::pretty_json(&report.to_json())
        } else {
            report.render_text()
        };
        io.out
            .write_all(text.as_bytes())
            .map_err(|e| CliError::io("stdout", e))?;
        Ok(match report.outcome() {
            policy::Outcome::Clean => EXIT_OK,
            policy::Outcome::Violations => EXIT_FAILURE,
            policy::Outcome::InputErrors => EXIT_USAGE,
        })
    }
}
