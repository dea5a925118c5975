//! `synth`: write (or, with `--check`, compare) the templates of the selected environments.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};
use stackforge_construct_model::layout::PARAMETER_FILE_SUFFIX;
use stackforge_construct_model::{EnvironmentAssembly, OutputFormat};

use crate::cli::{EXIT_FAILURE, EXIT_OK};
use crate::error::{CliError, Result};
use crate::lock::OutputLock;
use crate::output::{compare_env, recover_interrupted, render_env, write_env, EnvFiles, Staleness};
use crate::params::{self, Loaded};
use crate::pipeline::{
    policy_gate, synthesize_against, Against, Factory, GateOptions, Io, Selection,
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

/// Synthesize the app and write `templates/<env>/<stack>.template.json` plus `manifest.json`
/// and, for stacks with parameters, `<stack>.parameters.json` (the checked values of
/// `params/<env>/<stack>.json`, without `NoEcho` values).
///
/// One synth at a time reads and replaces an output folder: a second one waits for the lock
/// (up to --lock-timeout), then refuses. Leftovers of an interrupted synth are cleaned up.
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
    /// Folder of the hand-edited parameter files, `<DIR>/<env>/<stack>.json`.
    #[arg(long, value_name = "DIR", default_value = params::DEFAULT_DIR)]
    pub params: PathBuf,
    /// Create each missing parameter file of a stack that needs values, with `null`
    /// placeholders to fill in (existing files are never touched).
    #[arg(long)]
    pub init_params: bool,
    /// Seconds to wait for another synth holding the output folder's lock.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub lock_timeout: u64,
    /// Synthesize in memory and compare with the output folder; exit 1 if it is stale.
    #[arg(long, conflicts_with = "init_params")]
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
    pub fn execute(&self, factory: Factory<'_>, io: &mut Io<'_>) -> Result<u8> {
        if self.out.exists() && !self.out.is_dir() {
            return Err(CliError::Usage(format!(
                "--out {}: is a file, not a folder. Fix: pass a folder, or move the file away",
                self.out.display()
            )));
        }
        // `--check` of a folder that does not exist reads nothing and must not create it.
        let _lock = if self.check && !self.out.is_dir() {
            None
        } else {
            Some(self.lock(io)?)
        };
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
        let values = params::load_all(&self.params, &envs, self.init_params, &self.out)?;
        let mut rendered = Vec::new();
        let mut refused = Vec::new();
        for env in &envs {
            let loaded = &values[env.environment.name()];
            let mut files = render_env(&assembly, env, format);
            refused.extend(self.add_parameter_files(&mut files, env, loaded));
            self.warn_about_foreign_parameter_files(&files, io);
            let only: Option<Vec<String>> = (!self.select.stacks.is_empty()).then(|| {
                env.stacks
                    .iter()
                    .filter(|s| self.select.includes_stack(&s.name))
                    .flat_map(|s| [s.template_file(format), s.parameter_file()])
                    .collect()
            });
            rendered.push((files, only));
        }
        if let Some(e) = CliError::several(refused) {
            return Err(e);
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
            let stacks = (files.files.keys())
                .filter(|n| stackforge_construct_model::layout::template_stack(n).is_some())
                .count();
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

    fn lock(&self, io: &mut Io<'_>) -> Result<OutputLock> {
        let timeout = Duration::from_secs(self.lock_timeout);
        let out = self.out.display().to_string();
        let err = &mut *io.err;
        let (lock, acquired) = OutputLock::acquire(&self.out, timeout, &mut |holder| {
            let _ = writeln!(
                err,
                "waiting: {out} is locked by {holder} (another synth); waiting up to {}s",
                timeout.as_secs()
            );
        })?;
        if acquired.waited_for.is_some() {
            let _ = writeln!(io.err, "lock on {out} released; going on");
        }
        if let Some(pid) = acquired.recovered_from {
            let _ = writeln!(
                io.err,
                "note: took over the lock on {out} left by process {pid}, which no longer holds it"
            );
        }
        for note in recover_interrupted(&self.out)? {
            let _ = writeln!(io.err, "note: {note}");
        }
        Ok(lock)
    }

    /// Adds the output copy of each stack's parameter values to `files`. Refuses to replace
    /// a parameter file of the previous layout (hand-edited in the output folder) whose
    /// stack has no input file: it names the move instead.
    fn add_parameter_files(
        &self,
        files: &mut EnvFiles,
        env: &EnvironmentAssembly,
        loaded: &indexmap::IndexMap<String, Loaded>,
    ) -> Vec<CliError> {
        let mut refused = Vec::new();
        let env_name = env.environment.name();
        for stack in env.stacks.iter().filter(|s| params::has_file_values(s)) {
            let Some(l) = loaded.get(&stack.name) else {
                continue;
            };
            let name = stack.parameter_file();
            let text = params::render_output(stack, &l.values);
            let existing = self.out.join(env_name).join(&name);
            if !l.from_file && !self.check {
                if let Ok(have) = fs::read_to_string(&existing) {
                    if have != text {
                        refused.push(legacy_parameter_file(
                            &existing,
                            &self.params,
                            env_name,
                            stack,
                        ));
                        continue;
                    }
                }
            }
            files.files.insert(name, text);
        }
        refused
    }

    /// Parameter files in the output folder that synth does not write (a stack removed, the
    /// previous layout) are kept; says so.
    fn warn_about_foreign_parameter_files(&self, files: &EnvFiles, io: &mut Io<'_>) {
        let dir = self.out.join(&files.env);
        let Ok(entries) = fs::read_dir(&dir) else {
            return;
        };
        let mut foreign: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(PARAMETER_FILE_SUFFIX) && !files.files.contains_key(n))
            .collect();
        foreign.sort();
        for name in foreign {
            let stack = name.trim_end_matches(PARAMETER_FILE_SUFFIX);
            let _ = writeln!(
                io.err,
                "warning: {} is not written by synth (no stack `{stack}` with parameters); left as it is. Fix: delete it if it is obsolete; hand-edited values belong in {}",
                dir.join(&name).display(),
                self.params.join(&files.env).join(format!("{stack}.json")).display()
            );
        }
    }
}

fn legacy_parameter_file(
    existing: &Path,
    params_dir: &Path,
    env: &str,
    stack: &stackforge_construct_model::StackArtifact,
) -> CliError {
    let input = params_dir.join(env).join(params::file_name(stack));
    CliError::Failed(format!(
        "{}: a hand-edited parameter file in the output folder (the layout before {}); synth now reads {} and writes this file, so it would replace it. Nothing was written. Fix: move it ({}), or delete it if a previous synth wrote it from an input file you removed",
        existing.display(),
        params_dir.display(),
        input.display(),
        params::move_command(existing, &input)
    ))
}
