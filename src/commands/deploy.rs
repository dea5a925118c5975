//! `deploy`: synthesize (against the committed templates, with the same change-safety checks
//! as `synth`), carry out declared renames and moves with CloudFormation stack refactoring,
//! then apply the templates of one environment with the AWS CLI, stack by stack in manifest
//! order, stopping at the first failure.

use std::fs;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use stackforge_constructs::{Assembly, EnvironmentAssembly, OutputFormat, StackArtifact};

use crate::cli::{EXIT_FAILURE, EXIT_OK};
use crate::deploy::aws::AwsCli;
use crate::deploy::plan::{self, AwsOptions, ParameterOverride, MAX_INLINE_TEMPLATE_BYTES};
use crate::deploy::preview::{self, is_production};
use crate::deploy::progress::Reporter;
use crate::deploy::refactor;
use crate::deploy::run::{self, Outcome, StackJob};
use crate::deploy::ScratchDir;
use crate::error::{CliError, Result};
use crate::output::{compare_env, render_env};
use crate::params::ParameterValues;
use crate::pipeline::{
    policy_gate, synthesize_against, Against, Factory, GateOptions, Io, Selection,
};

/// Deploy one environment's stacks with `aws cloudformation deploy`, dependencies first.
///
/// Declared renames and moves (the mappings synth records in the manifest) are carried out
/// first with `aws cloudformation create-stack-refactor` / `execute-stack-refactor`, for the
/// mappings the deployed stacks do not reflect yet.
///
/// Exit codes: 0 deployed (or nothing to change); 1 a change `synth` refuses, a refused or
/// failed stack refactor (no stack updated), or a failed stack (later stacks are left
/// untouched); 2 usage or input errors, a missing AWS CLI (`aws` on PATH or
/// `$STACKFORGE_AWS_CLI`) or missing credentials — in those cases nothing was deployed.
#[derive(Debug, Clone, Args)]
pub struct DeployCommand {
    /// The environment (exactly one; may be left out when the app has only one) and the
    /// stacks to deploy (default: all; each pulls in the stacks it depends on).
    #[command(flatten)]
    pub select: Selection,
    /// Deploy only the stacks named with --stack, not what they depend on.
    #[arg(long, requires = "stacks")]
    pub exclusively: bool,
    /// Print the `aws` commands, in order, and change nothing (runs no `aws` at all).
    #[arg(long)]
    pub dry_run: bool,
    /// AWS region (passed to every `aws` call).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// AWS CLI profile (passed to every `aws` call).
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Endpoint URL (passed to every `aws` call; for emulators).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// S3 bucket for templates over 51,200 bytes (required when there are any).
    #[arg(long, value_name = "BUCKET")]
    pub s3_bucket: Option<String>,
    /// Override one parameter value from the parameter files (repeatable), checked against
    /// the stack's declared parameters.
    #[arg(long = "parameter", value_name = "STACK:KEY=VALUE")]
    pub parameters: Vec<ParameterOverride>,
    /// Deploy a production environment without asking. Production: the environment name has
    /// the word `prod` or `production` (`prod`, `eu-prod`; not `preprod`).
    #[arg(long)]
    pub yes: bool,
    /// Extra policy rules (the gate runs before anything is deployed).
    #[command(flatten)]
    pub gate: GateOptions,
    /// Folder with the committed templates (`<DIR>/<env>/`), compared with a fresh synth.
    #[arg(long, value_name = "DIR", default_value = "templates")]
    pub templates: PathBuf,
    /// Folder of the parameter files, `<DIR>/<env>/<stack>.json` (as for `synth`).
    #[arg(long, value_name = "DIR", default_value = crate::params::DEFAULT_DIR)]
    pub params: PathBuf,
}

/// A stack with everything needed to deploy it.
struct Planned<'a> {
    stack: &'a StackArtifact,
    parameters: ParameterValues,
}

impl DeployCommand {
    /// Runs the command.
    pub fn execute(&self, factory: Factory<'_>, io: &mut Io<'_>) -> Result<u8> {
        let against = Against {
            drop_kept_exports: false,
            strict: false,
        };
        let (assembly, _) = synthesize_against(factory, &self.templates, against, io)?;
        let env = self.environment(&assembly)?;

        let stacks = plan::select_stacks(env, &self.select.stacks, self.exclusively);
        let names: Vec<&str> = stacks.iter().map(|s| s.name.as_str()).collect();
        let here = env.environment.name();
        if let Some(refusal) = assembly
            .safety
            .refusal(|e, s| e == here && names.contains(&s))
        {
            let _ = writeln!(io.err, "error: {refusal}\nNothing was deployed.");
            return Ok(EXIT_FAILURE);
        }
        let refactors = refactor::relevant(env, &names);
        let overrides = plan::overrides_by_stack(env, &stacks, &self.parameters)?;
        // The gate sees the whole environment: its rules follow references across stacks.
        if !policy_gate(&[env], &self.gate, io)? {
            let _ = writeln!(io.err, "Nothing was deployed. Fix the violations above.");
            return Ok(EXIT_FAILURE);
        }
        let scratch = ScratchDir::new()?;
        let dir = self.templates.join(env.environment.name());
        let params = self.params.join(env.environment.name());
        let mut planned = Vec::new();
        for stack in &stacks {
            let mine = overrides.get(&stack.name).cloned().unwrap_or_default();
            planned.push(Planned {
                stack,
                parameters: plan::parameter_values(&params, stack, &mine, scratch.path())?,
            });
        }
        self.check_sizes(&stacks)?;
        let files = render_env(&assembly, env, OutputFormat::Json);
        self.warn_if_stale(&files, &stacks, io);
        let options = AwsOptions {
            region: self.region.clone(),
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
        };
        let aws = AwsCli::from_env(&options);

        if self.dry_run {
            let lines = refactor::dry_run_lines(
                env,
                &assembly.app,
                &refactors,
                &aws.program(),
                &options.global_args(),
            );
            for l in lines {
                writeln!(io.out, "{l}").map_err(|e| CliError::io("stdout", e))?;
            }
            for p in &planned {
                let file = dir.join(p.stack.template_file(OutputFormat::Json));
                let args = self.args(p, &file, &options, true);
                writeln!(io.out, "{}", plan::shell_line(&aws.program(), &args))
                    .map_err(|e| CliError::io("stdout", e))?;
            }
            return Ok(EXIT_OK);
        }

        let identity = aws.check_identity()?;
        let _ = writeln!(
            io.err,
            "deploying {} stack(s) of `{}` to account {} as {}",
            planned.len(),
            env.environment.name(),
            identity.account,
            identity.arn
        );
        let prepared = self.prepare_refactor(&aws, env, &assembly.app, &refactors, &scratch, io)?;
        let mappings = prepared.as_ref().map_or(&[][..], |p| &p.plan.mappings[..]);
        if is_production(env.environment.name()) {
            self.confirm_production(&aws, env, &planned, mappings, io)?;
        }
        if let Some(p) = &prepared {
            refactor::run(&aws, p, run::poll_interval(), io.out)?;
        }

        let rendered = scratch.path().join("templates");
        fs::create_dir_all(&rendered).map_err(|e| CliError::io(&rendered, e))?;
        let reporter = Reporter::new();
        let poll = run::poll_interval();
        let started = Instant::now();
        let (mut changed, mut unchanged) = (0, 0);
        for (i, p) in planned.iter().enumerate() {
            let name = p.stack.template_file(OutputFormat::Json);
            let file = rendered.join(&name);
            let body = files.files.get(&name).cloned().unwrap_or_default();
            fs::write(&file, body).map_err(|e| CliError::io(&file, e))?;
            let job = StackJob {
                label: format!("[{}/{}] {}", i + 1, planned.len(), p.stack.stack_name),
                stack_name: p.stack.stack_name.clone(),
                args: self.args(p, &file, &options, false),
            };
            let outcome = run::deploy_stack(&aws, &job, poll, &reporter, io.out);
            let outcome = match outcome {
                Ok(o) => o,
                Err(e) => {
                    reporter.finish();
                    return Err(e);
                }
            };
            match outcome {
                Outcome::Deployed(_) => changed += 1,
                Outcome::NoChanges => unchanged += 1,
                Outcome::Failed { .. } => {
                    reporter.finish();
                    let _ = write!(
                        io.err,
                        "error: {}",
                        run::failure_report(&p.stack.stack_name, &outcome)
                    );
                    let later: Vec<&str> = planned[i + 1..]
                        .iter()
                        .map(|p| p.stack.stack_name.as_str())
                        .collect();
                    if !later.is_empty() {
                        let _ = writeln!(
                            io.err,
                            "stopped at the first failure; not deployed: {}",
                            later.join(", ")
                        );
                    }
                    return Ok(EXIT_FAILURE);
                }
            }
        }
        reporter.finish();
        writeln!(
            io.out,
            "deployed `{}` in {:.1}s: {changed} stack(s) changed, {unchanged} without changes",
            env.environment.name(),
            started.elapsed().as_secs_f64()
        )
        .map_err(|e| CliError::io("stdout", e))?;
        Ok(EXIT_OK)
    }

    /// The refactor to carry out before the deploys, if the deployed stacks do not reflect
    /// the declared renames and moves yet: planned from their deployed templates.
    fn prepare_refactor(
        &self,
        aws: &AwsCli,
        env: &EnvironmentAssembly,
        app: &str,
        refactors: &[&stackforge_constructs::change::refactor::RecordedRefactor],
        scratch: &ScratchDir,
        io: &mut Io<'_>,
    ) -> Result<Option<refactor::Prepared>> {
        if refactors.is_empty() {
            return Ok(None);
        }
        let mut deployed = stackforge_constructs::change::EnvTemplates::new();
        for stack in refactor::stacks_of(refactors) {
            let name = refactor::stack_name(env, app, &stack);
            if let Some(t) = preview::live_template(aws, &name)? {
                deployed.insert(stack, t);
            }
        }
        let (todo, notes) = refactor::pending(refactors, &deployed)?;
        for n in notes {
            let _ = writeln!(io.err, "stack refactor: {n}");
        }
        if todo.is_empty() {
            let _ = writeln!(
                io.err,
                "stack refactor: the deployed stacks reflect every declared rename and move; once every environment does, remove the declarations"
            );
            return Ok(None);
        }
        let target = env
            .stacks
            .iter()
            .map(|s| (s.name.clone(), s.template().clone()))
            .collect();
        let dir = scratch.path().join("refactor");
        refactor::prepare(env, app, &deployed, &target, &todo, &dir).map(Some)
    }

    /// The one environment to deploy.
    fn environment<'a>(&self, assembly: &'a Assembly) -> Result<&'a EnvironmentAssembly> {
        let envs = self.select.environments(assembly)?;
        match envs.as_slice() {
            [env] => Ok(env),
            _ => {
                let names: Vec<&str> = envs.iter().map(|e| e.environment.name()).collect();
                Err(CliError::Usage(format!(
                    "deploy acts on one environment at a time; the app `{}` has: {}. Fix: pass one of them with --env.",
                    assembly.app,
                    names.join(", ")
                )))
            }
        }
    }

    fn check_sizes(&self, stacks: &[&StackArtifact]) -> Result<()> {
        let big = plan::oversized(stacks);
        if big.is_empty() || self.s3_bucket.is_some() {
            return Ok(());
        }
        let list: Vec<String> = big
            .iter()
            .map(|(s, n)| format!("{} ({n} bytes)", s.stack_name))
            .collect();
        Err(CliError::Usage(format!(
            "template(s) over CloudFormation's {MAX_INLINE_TEMPLATE_BYTES}-byte inline limit: {}. They must be uploaded to S3. Fix: pass --s3-bucket BUCKET (a bucket in the target region). Nothing was deployed.",
            list.join(", ")
        )))
    }

    fn warn_if_stale(
        &self,
        files: &crate::output::EnvFiles,
        stacks: &[&StackArtifact],
        io: &mut Io<'_>,
    ) {
        let names: Vec<String> = stacks
            .iter()
            .map(|s| s.template_file(OutputFormat::Json))
            .collect();
        let stale: Vec<String> = compare_env(&self.templates, files, Some(&names))
            .iter()
            .map(|s| s.to_string())
            .collect();
        if !stale.is_empty() {
            let what = if self.dry_run {
                "the commands below name the committed files, which differ from a fresh synth"
            } else {
                "deploying the freshly synthesized templates"
            };
            let _ = writeln!(
                io.err,
                "warning: {} is stale ({}); {what}. Fix: run `cargo run -- synth`, review and commit.",
                self.templates.join(&files.env).display(),
                stale.join("; ")
            );
        }
    }

    fn args(
        &self,
        p: &Planned<'_>,
        file: &std::path::Path,
        options: &AwsOptions,
        mask: bool,
    ) -> Vec<String> {
        plan::deploy_args(
            p.stack,
            file,
            &p.parameters,
            self.s3_bucket.as_deref(),
            options,
            mask,
        )
    }

    /// Shows what changes and asks to go on: `--yes`, or a prompt when standard input is a
    /// terminal; otherwise refuses.
    fn confirm_production(
        &self,
        aws: &AwsCli,
        env: &EnvironmentAssembly,
        planned: &[Planned<'_>],
        refactor: &[stackforge_constructs::change::refactor::ResourceMapping],
        io: &mut Io<'_>,
    ) -> Result<()> {
        let name = env.environment.name();
        let _ = writeln!(
            io.err,
            "`{name}` is a production environment. Changes to deploy:"
        );
        let mut stacks = Vec::new();
        for p in planned {
            let live = preview::live_template(aws, &p.stack.stack_name)?;
            stacks.push((p.stack.name.as_str(), live, p.stack.template()));
        }
        let _ = write!(io.err, "{}", preview::preview(name, &stacks, refactor));
        if self.yes {
            return Ok(());
        }
        if std::io::stdin().is_terminal() {
            let _ = write!(
                io.err,
                "Deploy {} stack(s) to `{name}`? [y/N] ",
                planned.len()
            );
            let _ = io.err.flush();
            let mut answer = String::new();
            let _ = std::io::stdin().read_line(&mut answer);
            if matches!(answer.trim(), "y" | "Y" | "yes" | "YES") {
                return Ok(());
            }
            return Err(CliError::Usage(format!(
                "not confirmed; nothing was deployed to `{name}`."
            )));
        }
        Err(CliError::Usage(format!(
            "`{name}` is a production environment and standard input is not a terminal to confirm on. Nothing was deployed. Fix: review the changes above and pass --yes."
        )))
    }
}
