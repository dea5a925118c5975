//! `synth`: write (or, with `--check`, compare) the templates of the selected environments.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use stackforge_constructs::OutputFormat;

use crate::cli::{EXIT_FAILURE, EXIT_OK};
use crate::error::{CliError, Result};
use crate::output::{compare_env, render_env, write_env, Staleness};
use crate::pipeline::{
    policy_gate, synthesize_against, Against, AppFactory, GateOptions, Io, Selection,
};

/// Template file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// Pretty-printed JSON.
    #[default]
    Json,
    /// YAML.
    Yaml,
}

impl From<Format> for OutputFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Json => OutputFormat::Json,
            Format::Yaml => OutputFormat::Yaml,
        }
    }
}

/// Synthesize the app and write `templates/<env>/<stack>.template.json` plus `manifest.json`.
#[derive(Debug, Clone, Args)]
pub struct SynthCommand {
    /// Environments and stacks to synthesize.
    #[command(flatten)]
    pub select: Selection,
    /// Template format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Output folder; environment folders go inside it.
    #[arg(long, default_value = "templates")]
    pub out: PathBuf,
    /// Synthesize in memory and compare with the output folder; exit 1 if it is stale.
    #[arg(long)]
    pub check: bool,
    /// Skip the policy gate (prints a warning). For debugging only: never deploy the result.
    #[arg(long)]
    pub no_check: bool,
    /// Drop the exports kept for stacks that no longer import them (run after those stacks
    /// were deployed without the import; until then synth keeps them).
    #[arg(long)]
    pub drop_kept_exports: bool,
    /// Extra policy rules.
    #[command(flatten)]
    pub gate: GateOptions,
}

impl SynthCommand {
    /// Runs the command.
    pub fn execute(&self, factory: AppFactory, io: &mut Io<'_>) -> Result<u8> {
        let against = Against {
            drop_kept_exports: self.drop_kept_exports,
            strict: false,
        };
        let (assembly, _) = synthesize_against(factory, &self.out, against, io)?;
        let envs = self.select.environments(&assembly)?;
        let selected = |env: &str, stack: &str| {
            envs.iter().any(|e| e.environment.name() == env) && self.select.includes_stack(stack)
        };
        for note in assembly
            .safety
            .kept
            .iter()
            .filter(|k| selected(&k.env, &k.stack))
        {
            let _ = writeln!(io.err, "warning: {note}");
        }
        if let Some(refusal) = assembly.safety.refusal(selected) {
            return Err(refusal.into());
        }
        if self.no_check {
            let _ = writeln!(
                io.err,
                "warning: policy gate SKIPPED (--no-check): the templates are not checked against the security rules. Do not deploy them; run `check` first."
            );
        } else if !policy_gate(&envs, &self.gate, io)? {
            let _ = writeln!(
                io.err,
                "Nothing was {}. Fix the violations above, or suppress a rule that does not apply with `scope.suppress(RULE, reason)`.",
                if self.check { "compared" } else { "written" }
            );
            return Ok(EXIT_FAILURE);
        }
        let format = OutputFormat::from(self.format);
        let mut rendered = Vec::new();
        for env in &envs {
            let dir = self.out.join(env.environment.name());
            for stack in &env.stacks {
                crate::params::load(&dir, stack)?;
            }
            let files = render_env(&assembly, env, format);
            let only: Option<Vec<String>> = (!self.select.stacks.is_empty()).then(|| {
                env.stacks
                    .iter()
                    .filter(|s| self.select.includes_stack(&s.name))
                    .map(|s| s.template_file(format))
                    .collect()
            });
            rendered.push((files, only));
        }

        if self.check {
            let mut stale: Vec<Staleness> = Vec::new();
            for (files, only) in &rendered {
                stale.extend(compare_env(&self.out, files, only.as_deref()));
            }
            if stale.is_empty() {
                writeln!(io.out, "templates are up to date ({})", self.out.display())
                    .map_err(|e| CliError::io("stdout", e))?;
                return Ok(EXIT_OK);
            }
            for s in &stale {
                let _ = writeln!(io.err, "{s}");
                if let Staleness::Differs(_, diff) = s {
                    let _ = write!(io.err, "{diff}");
                }
            }
            let _ = writeln!(
                io.err,
                "{} is stale: {} file(s) differ from a fresh synth. Fix: run `cargo run -- synth`, review the diff, and commit it.",
                self.out.display(),
                stale.len()
            );
            return Ok(EXIT_FAILURE);
        }

        for (files, only) in &rendered {
            write_env(&self.out, files, only.as_deref())?;
            let stacks = files.files.len() - 1;
            writeln!(
                io.out,
                "wrote {} ({stacks} template{})",
                self.out.join(&files.env).display(),
                if stacks == 1 { "" } else { "s" }
            )
            .map_err(|e| CliError::io("stdout", e))?;
        }
        Ok(EXIT_OK)
    }
}
