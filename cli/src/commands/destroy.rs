//! `destroy`: delete one environment's deployed stacks, dependents first, after listing what
//! CloudFormation keeps and what is lost, and after a confirmation.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use stackforge_construct_model::{Assembly, EnvironmentAssembly};

use crate::cli::{EXIT_FAILURE, EXIT_OK};
use crate::commands::AwsArgs;
use crate::deploy::aws::AwsCli;
use crate::deploy::deploy_plan::DeployPlan;
use crate::deploy::destroy::{self, Doomed};
use crate::deploy::plan::{self, AwsOptions};
use crate::deploy::preview::is_production;
use crate::deploy::progress::{EventLog, Reporter};
use crate::deploy::{run, stack_status};
use crate::error::{CliError, Result};
use crate::pipeline::{synthesize_against, Against, Factory, Io, Selection};

/// Delete one environment's stacks with `aws cloudformation delete-stack`, dependents first.
///
/// Before deleting anything it lists, per deployed stack, the resources CloudFormation keeps
/// (`DeletionPolicy` `Retain`/`Snapshot`, with their names) and those holding data that are
/// lost, and refuses while a stack outside the destroy imports one of their exports. Then it
/// needs `--yes`, or a confirmation typed at the prompt (for production environments, the
/// environment's name).
///
/// `--dry-run` stops after the listing and prints the `delete-stack` commands it would run.
///
/// Exit codes: 0 deleted (or nothing deployed, or a dry run); 1 an import forbids it or a stack failed to
/// delete (the stacks after it are left); 2 usage errors, no confirmation, a missing AWS CLI
/// or credentials — nothing was deleted then.
#[derive(Debug, Clone, Args)]
pub struct DestroyCommand {
    /// The environment (exactly one; may be left out when the app has only one) and the
    /// stacks to delete (default: all; each pulls in the stacks that depend on it).
    #[command(flatten)]
    pub select: Selection,
    /// Delete only the stacks named with --stack, not those depending on them.
    #[arg(long, requires = "stacks")]
    pub exclusively: bool,
    /// Delete without asking.
    #[arg(long)]
    pub yes: bool,
    /// List what would be deleted and retained and the `delete-stack` commands, in order,
    /// then stop: only read-only `aws` calls are made, nothing is deleted.
    #[arg(long, conflicts_with = "yes")]
    pub dry_run: bool,
    /// Where the `aws` calls go (region, profile, endpoint).
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Folder with the committed templates (`<DIR>/<env>/`), read as `synth` reads them.
    #[arg(long, value_name = "DIR", default_value = "templates")]
    pub templates: PathBuf,
}

impl DestroyCommand {
    /// Runs the command.
    pub fn execute(&self, factory: Factory<'_>, io: &mut Io<'_>) -> Result<u8> {
        let against = Against {
            drop_kept_exports: false,
            strict: false,
        };
        let (assembly, _) = synthesize_against(factory, &self.templates, against, io)?;
        let env = self.environment(&assembly)?;
        // The same typed plan as `deploy`'s, deleted in its reverse order.
        let plan = DeployPlan::for_destroy(&assembly, env, &self.select.stacks, self.exclusively)?;
        let stacks: Vec<_> = plan.deletion_order().map(|s| s.artifact).collect();
        let options = AwsOptions {
            region: self.aws.region.clone(),
            profile: self.aws.profile.clone(),
            endpoint_url: self.aws.endpoint_url.clone(),
        };
        let aws = AwsCli::from_env(&options);
        let identity = aws.check_identity()?;
        let name = env.environment.name();
        let _ = writeln!(
            io.err,
            "reading {} stack(s) of `{name}` in account {} as {}",
            stacks.len(),
            identity.account,
            identity.arn
        );
        let doomed = destroy::read(&aws, &stacks)?;
        write!(io.out, "{}", destroy::render(name, &doomed))
            .map_err(|e| CliError::io("stdout", e))?;
        if let Some(refusal) = destroy::import_refusal(&doomed) {
            let _ = writeln!(io.err, "error: {refusal}");
            return Ok(EXIT_FAILURE);
        }
        let busy: Vec<String> = doomed
            .iter()
            .filter_map(|d| {
                let s = d.deployed.as_ref().filter(|s| s.is_busy())?;
                Some(format!("{} ({})", d.stack_name, s.status))
            })
            .collect();
        if !busy.is_empty() {
            return Err(CliError::Failed(format!(
                "CloudFormation is working on {}. Nothing was deleted. Fix: wait until it is done and run destroy again",
                busy.join(", ")
            )));
        }
        let todo: Vec<&Doomed> = doomed.iter().filter(|d| d.deployed.is_some()).collect();
        if todo.is_empty() {
            let _ = writeln!(io.out, "nothing to delete in `{name}`");
            return Ok(EXIT_OK);
        }
        if self.dry_run {
            let _ = writeln!(
                io.out,
                "dry run: nothing deleted; destroy would run, in order:"
            );
            for d in &todo {
                let mut args = vec![
                    "cloudformation".to_owned(),
                    "delete-stack".to_owned(),
                    "--stack-name".to_owned(),
                    d.stack_name.clone(),
                ];
                args.extend(options.global_args());
                let _ = writeln!(io.out, "{}", plan::shell_line(&aws.program(), &args));
            }
            return Ok(EXIT_OK);
        }
        self.confirm(name, todo.len(), io)?;
        self.delete(&aws, name, &todo, io)
    }

    /// Deletes `todo` in order, each waited for; stops at the first failure.
    fn delete(&self, aws: &AwsCli, env: &str, todo: &[&Doomed], io: &mut Io<'_>) -> Result<u8> {
        let reporter = Reporter::new();
        let poll = run::poll_interval();
        for (i, d) in todo.iter().enumerate() {
            let label = format!("[{}/{}] {}", i + 1, todo.len(), d.stack_name);
            let mut log = EventLog::default();
            if let Ok(events) = EventLog::fetch(aws, &d.stack_name) {
                log.baseline(events);
            }
            reporter.line(io.out, &format!("{label}: deleting"));
            reporter.status(format!("{label}: deleting"));
            let args = [
                "cloudformation",
                "delete-stack",
                "--stack-name",
                &d.stack_name,
            ];
            let ran = aws.command(&args).output().map_err(|e| {
                CliError::Failed(format!("{label}: cannot run `{}`: {e}", aws.program()))
            })?;
            let waited = if ran.status.success() {
                Some(stack_status::wait(
                    aws,
                    &d.stack_name,
                    &mut log,
                    poll,
                    &reporter,
                    io.out,
                )?)
            } else {
                None
            };
            match waited {
                Some(w) if w.status.is_none() => {
                    reporter.line(io.out, &format!("{label}: deleted"));
                }
                other => {
                    reporter.finish();
                    let why = match &other {
                        Some(w) => {
                            let mut text =
                                format!("ended {}", w.status.as_deref().unwrap_or_default());
                            for e in &w.failures {
                                text.push_str(&format!(
                                    "\n  {} ({}) {}: {}",
                                    e.logical_resource_id,
                                    e.resource_type,
                                    e.resource_status,
                                    e.resource_status_reason
                                        .as_deref()
                                        .unwrap_or("no reason given")
                                ));
                            }
                            text
                        }
                        None => format!(
                            "`aws cloudformation delete-stack` failed: {}",
                            String::from_utf8_lossy(&ran.stderr).trim()
                        ),
                    };
                    let _ = writeln!(
                        io.err,
                        "error: stack {} was not deleted: {why}",
                        d.stack_name
                    );
                    let later: Vec<&str> = todo[i + 1..]
                        .iter()
                        .map(|d| d.stack_name.as_str())
                        .collect();
                    if !later.is_empty() {
                        let _ = writeln!(
                            io.err,
                            "stopped at the first failure; not deleted: {}",
                            later.join(", ")
                        );
                    }
                    return Ok(EXIT_FAILURE);
                }
            }
        }
        reporter.finish();
        writeln!(io.out, "destroyed `{env}`: {} stack(s) deleted", todo.len())
            .map_err(|e| CliError::io("stdout", e))?;
        Ok(EXIT_OK)
    }

    /// `--yes`, or the answer typed at the prompt: `y` (the environment's name for
    /// production); otherwise refuses.
    fn confirm(&self, env: &str, count: usize, io: &mut Io<'_>) -> Result<()> {
        if self.yes {
            return Ok(());
        }
        if !std::io::stdin().is_terminal() {
            return Err(CliError::Usage(
                "deleting stacks needs a confirmation and standard input is not a terminal to confirm on. Nothing was deleted. Fix: review the list above and pass --yes.".into(),
            ));
        }
        let production = is_production(env);
        if production {
            let _ = write!(
                io.err,
                "`{env}` is a production environment. Type its name to delete {count} stack(s): "
            );
        } else {
            let _ = write!(io.err, "Delete {count} stack(s) of `{env}`? [y/N] ");
        }
        let _ = io.err.flush();
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        let answer = answer.trim();
        let yes = if production {
            answer == env
        } else {
            matches!(answer, "y" | "Y" | "yes" | "YES")
        };
        if yes {
            Ok(())
        } else {
            Err(CliError::Usage(format!(
                "not confirmed; nothing was deleted from `{env}`."
            )))
        }
    }

    /// The one environment to destroy.
    fn environment<'a>(&self, assembly: &'a Assembly) -> Result<&'a EnvironmentAssembly> {
        let envs = self.select.environments(assembly)?;
        match envs.as_slice() {
            [env] => Ok(env),
            _ => {
                let names: Vec<&str> = envs.iter().map(|e| e.environment.name()).collect();
                Err(CliError::Usage(format!(
                    "destroy acts on one environment at a time; the app `{}` has: {}. Fix: pass one of them with --env.",
                    assembly.app,
                    names.join(", ")
                )))
            }
        }
    }
}
