//! The steps every command shares: build the app, synthesize it, select environments and
//! stacks, and report warnings.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use indexmap::IndexMap;
use stackforge_construct_model::committed::CommittedState;
use stackforge_construct_model::{App, Assembly, EnvironmentAssembly};

use crate::error::{CliError, Result};
use crate::files::{read_committed, CommittedFolder};
use crate::policy::{self, RuleSet};

/// A plain function building the app to synthesize (every environment), such as
/// `stackforge_stacks::app`. [`crate::run`] takes any `Fn() -> Result<App, Error>`: this
/// type, or a closure capturing runtime configuration.
pub type AppFactory = fn() -> Result<App, stackforge_construct_model::Error>;

/// The app factory as the commands receive it: a function or a closure.
pub(crate) type Factory<'a> = &'a dyn Fn() -> Result<App, stackforge_construct_model::Error>;

/// Standard output and error of a command (captured in tests).
pub struct Io<'a> {
    /// Results.
    pub out: &'a mut dyn Write,
    /// Warnings, progress and errors.
    pub err: &'a mut dyn Write,
}

/// `--env` / `--stack` selection shared by the commands.
#[derive(Debug, Clone, Default, Args)]
pub struct Selection {
    /// Environment to act on (repeat for several). Default: all.
    #[arg(long = "env", value_name = "ENV")]
    pub envs: Vec<String>,
    /// Stack to act on, by short name (repeat for several). Default: all.
    #[arg(long = "stack", value_name = "STACK")]
    pub stacks: Vec<String>,
}

impl Selection {
    /// The selected environments, in app order; an unknown name is a usage error listing the
    /// known ones.
    pub fn environments<'a>(&self, assembly: &'a Assembly) -> Result<Vec<&'a EnvironmentAssembly>> {
        let known: Vec<&str> = assembly
            .environments
            .iter()
            .map(|e| e.environment.name())
            .collect();
        for e in &self.envs {
            if !known.contains(&e.as_str()) {
                return Err(CliError::Usage(format!(
                    "unknown environment `{e}`. The app `{}` has: {}. Fix: pass one of these to --env.",
                    assembly.app,
                    known.join(", ")
                )));
            }
        }
        let envs: Vec<&EnvironmentAssembly> = assembly
            .environments
            .iter()
            .filter(|e| self.envs.is_empty() || self.envs.iter().any(|s| s == e.environment.name()))
            .collect();
        for s in &self.stacks {
            if !envs.iter().any(|e| e.stack(s).is_some()) {
                let mut names: Vec<&str> = envs
                    .iter()
                    .flat_map(|e| e.stacks.iter().map(|s| s.name.as_str()))
                    .collect();
                names.dedup();
                return Err(CliError::Usage(format!(
                    "unknown stack `{s}`. The selected environments have: {}. Fix: pass one of these to --stack.",
                    names.join(", ")
                )));
            }
        }
        Ok(envs)
    }

    /// Whether the stack `name` is selected.
    pub fn includes_stack(&self, name: &str) -> bool {
        self.stacks.is_empty() || self.stacks.iter().any(|s| s == name)
    }
}

/// Builds and synthesizes the app, printing synthesis warnings to `io.err`.
pub fn synthesize(factory: Factory<'_>, io: &mut Io<'_>) -> Result<Assembly> {
    let app = factory()?;
    // Consumed: declarations move into the templates (a lower peak, same bytes).
    let assembly = app.into_assembly(&CommittedState::none())?;
    print_warnings(&assembly, io);
    Ok(assembly)
}

fn print_warnings(assembly: &Assembly, io: &mut Io<'_>) {
    for w in &assembly.warnings {
        let _ = writeln!(io.err, "warning: {w}");
    }
}

/// How [`synthesize_against`] treats the committed folder.
#[derive(Debug, Clone, Copy, Default)]
pub struct Against {
    /// Drop kept exports nothing imports any more (`synth --drop-kept-exports`).
    pub drop_kept_exports: bool,
    /// An unreadable committed file is an error (`diff`), not a warning (`synth`).
    pub strict: bool,
}

/// Builds the app and synthesizes it against the committed state in `dir/<env>/` (each
/// environment of the app). Returns the assembly and what was read per environment.
pub fn synthesize_against(
    factory: Factory<'_>,
    dir: &Path,
    against: Against,
    io: &mut Io<'_>,
) -> Result<(Assembly, IndexMap<String, CommittedFolder>)> {
    let app = factory()?;
    let mut folders = IndexMap::new();
    let mut state = CommittedState::none();
    if against.drop_kept_exports {
        state = state.dropping_kept_exports();
    }
    for env in app.environments() {
        let mut folder = read_committed(&dir.join(env.name()))?;
        if against.strict {
            if let Some(e) = folder.problems.drain(..).next() {
                return Err(e.into());
            }
        }
        for p in &folder.problems {
            let _ = writeln!(
                io.err,
                "warning: {p}; the safety checks skip this committed file"
            );
        }
        state = state.with_env(env.name(), folder.state.clone());
        folders.insert(env.name().to_owned(), folder);
    }
    let assembly = app.into_assembly(&state)?;
    print_warnings(&assembly, io);
    Ok((assembly, folders))
}

/// `--rules`, shared by the commands that run the policy gate (`synth`, `check`, and later
/// `deploy` and `diff`).
#[derive(Debug, Clone, Default, Args)]
pub struct GateOptions {
    /// Folder of extra cfn-guard rule files (`*.guard`, searched recursively) to run with the
    /// built-in rules.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

impl GateOptions {
    /// The built-in rules plus the `--rules` files, with results cached between runs.
    pub fn rule_set(&self) -> Result<RuleSet> {
        Ok(RuleSet::with_custom(self.rules.as_deref())?.cached_in(policy::cache::default_dir()))
    }
}

/// Runs the policy gate on `envs` before anything is written or deployed. On violations it
/// prints the report to `io.err` and returns false (the caller says what it did not do);
/// when clean it prints the summary line.
pub fn policy_gate(
    envs: &[&EnvironmentAssembly],
    options: &GateOptions,
    io: &mut Io<'_>,
) -> Result<bool> {
    let rules = options.rule_set()?;
    let report = policy::gate(envs, &rules)?;
    for e in &report.input_errors {
        let _ = writeln!(io.err, "error: {}: {}", e.path.display(), e.problem);
    }
    if report.passed() {
        let hint = if report.suppressed.is_empty() {
            ""
        } else {
            " (`check` lists the suppressed findings)"
        };
        let _ = writeln!(io.err, "{}{hint}", report.summary());
        return Ok(true);
    }
    let _ = write!(io.err, "{}", report.render_text());
    Ok(false)
}
