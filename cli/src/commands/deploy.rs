//! `deploy`: synthesize (against the committed templates, with the same change-safety checks
//! as `synth`), carry out declared renames and moves with CloudFormation stack refactoring,
//! then apply the templates of one environment with the AWS CLI, stack by stack in manifest
//! order, stopping at the first failure.

mod reviewed;
mod stacks;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use stackforge_construct_model::{Assembly, EnvironmentAssembly};

use crate::cli::{EXIT_FAILURE, EXIT_OK};
use crate::deploy::aws::AwsCli;
use crate::deploy::deploy_plan::{DeployPlan, PlanRequest};
use crate::deploy::images::{is_digest, ImageOption, ImageSource};
use crate::deploy::plan::{self, AwsOptions, ParameterOverride};
use crate::deploy::preview;
use crate::deploy::progress::Reporter;
use crate::deploy::steps::StepOptions;
use crate::deploy::template_bucket::TemplateBucket;
use crate::deploy::{recovery, refactor, run, ScratchDir};
use crate::error::{CliError, Result};
use crate::output::compare_env;
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
    /// S3 bucket for templates over 51,200 bytes (required when there are any; up to 1 MB),
    /// in the target region. `--plan` uploads them keyed by their SHA-256.
    #[arg(long, value_name = "BUCKET")]
    pub s3_bucket: Option<String>,
    /// Key prefix (a folder) for the templates uploaded to --s3-bucket.
    #[arg(long, value_name = "PREFIX", requires = "s3_bucket")]
    pub s3_prefix: Option<String>,
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
    /// Build the image of the stacks' image digest parameters from DIR's Dockerfile (with
    /// docker, podman or finch), push it after the repository's stack and pass its digest.
    /// `STACK:PARAMETER=DIR` for one parameter (repeatable).
    #[arg(long = "image-context", value_name = "[STACK:PARAMETER=]DIR")]
    pub image_contexts: Vec<String>,
    /// Push this local image instead of building one (`STACK:PARAMETER=IMAGE` for one
    /// parameter; repeatable).
    #[arg(long = "image", value_name = "[STACK:PARAMETER=]IMAGE")]
    pub images: Vec<String>,
    /// Use an image already in the repository, by digest: nothing is built or pushed
    /// (`STACK:PARAMETER=sha256:...` for one parameter; repeatable).
    #[arg(long = "image-digest", value_name = "[STACK:PARAMETER=]sha256:...")]
    pub image_digests: Vec<String>,
    /// Do not run the one-off setup tasks stacks ask for after they are deployed (such as
    /// creating the database users of IAM authentication).
    #[arg(long)]
    pub skip_setup_tasks: bool,
    /// Folder of the parameter files, `<DIR>/<env>/<stack>.json` (as for `synth`).
    #[arg(long, value_name = "DIR", default_value = crate::params::DEFAULT_DIR)]
    pub params: PathBuf,
    /// Create a CloudFormation change set per stack (nothing is executed) and write the plan
    /// to FILE: change set ids, template hashes, parameters, and CloudFormation's changes
    /// beside the offline prediction (disagreements marked `!`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["dry_run", "apply"])]
    pub plan: Option<PathBuf>,
    /// Execute exactly the change sets of the plan FILE, in order (with --concurrency,
    /// independent ones at the same time); refuses when a template, a parameter, a deployed
    /// stack or a change set changed since the plan. A plan stands for the production
    /// confirmation.
    #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
    pub apply: Option<PathBuf>,
    /// Repair stacks a deploy cannot update first: delete and re-create a stack whose first
    /// creation failed (`ROLLBACK_COMPLETE`), continue the failed rollback of one in
    /// `UPDATE_ROLLBACK_FAILED`. Without it such stacks stop the deploy with the fix.
    #[arg(long)]
    pub recover: bool,
    /// Deploy (or, with --apply, execute the change sets of) up to N stacks at the same time:
    /// a stack starts once the stacks it depends on are deployed (default 1: one after the
    /// other, in manifest order).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=16))]
    pub concurrency: u8,
}

impl DeployCommand {
    /// Runs the command.
    pub fn execute(&self, factory: Factory<'_>, io: &mut Io<'_>) -> Result<u8> {
        if !self.templates.is_dir() {
            return Err(CliError::Usage(format!(
                "--templates {}: no such folder (deploy compares the fresh synth with the committed templates). Fix: run `synth` first, or pass --templates DIR",
                self.templates.display()
            )));
        }
        // A committed file that cannot be read is refused, naming it: deploy never guesses
        // past a broken input.
        let against = Against {
            drop_kept_exports: false,
            strict: true,
        };
        let (assembly, _) = synthesize_against(factory, &self.templates, against, io)?;
        let env = self.environment(&assembly)?;

        let names: Vec<&str> = plan::select_stacks(env, &self.select.stacks, self.exclusively)
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        let here = env.environment.name();
        if let Some(refusal) = assembly
            .safety
            .refusal(|e, s| e == here && names.contains(&s))
        {
            let _ = writeln!(io.err, "error: {refusal}\nNothing was deployed.");
            return Ok(EXIT_FAILURE);
        }
        let options = AwsOptions {
            region: self.region.clone(),
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
        };
        let scratch = ScratchDir::new()?;
        let params = self.params.join(here);
        let mut plan = DeployPlan::build(
            &assembly,
            env,
            PlanRequest {
                stacks: &self.select.stacks,
                exclusively: self.exclusively,
                overrides: &self.parameters,
                params_dir: &params,
                template_bucket: self.s3_bucket.clone().map(|bucket| TemplateBucket {
                    bucket,
                    prefix: self.s3_prefix.clone(),
                }),
                sends_templates: self.apply.is_none(),
                steps: self.step_options(&options)?,
                scratch: scratch.path(),
            },
        )?;
        // The gate sees the whole environment: its rules follow references across stacks.
        if !policy_gate(&[env], &self.gate, io)? {
            let _ = writeln!(io.err, "Nothing was deployed. Fix the violations above.");
            return Ok(EXIT_FAILURE);
        }
        self.warn_if_stale(&plan, io);
        let aws = AwsCli::from_env(&options);

        if self.dry_run {
            let committed = self.templates.join(here);
            let lines = plan.dry_run_lines(&aws.program(), &committed, &options);
            for line in lines {
                writeln!(io.out, "{line}").map_err(|e| CliError::io("stdout", e))?;
            }
            return Ok(EXIT_OK);
        }

        let identity = aws.check_identity()?;
        if let Some(file) = &self.plan {
            let app = &assembly.app;
            if let Some(p) = self.prepare_refactor(&aws, env, app, &plan.refactors, &scratch, io)? {
                let _ = writeln!(
                    io.err,
                    "error: {} declared rename(s) and move(s) are not carried out yet in `{here}`: a stack refactor, which a change set cannot review or execute. Nothing was planned. Fix: carry it out first with a deploy without --plan (`deploy --env {here} --dry-run` shows its commands; production shows the preview and asks), then plan again: the refactor is then done and --plan goes on.",
                    p.plan.mappings.len()
                );
                return Ok(EXIT_FAILURE);
            }
            return reviewed::plan(&aws, &plan, &identity, &options, file, &scratch, io);
        }
        if self.apply.is_none() {
            let _ = writeln!(
                io.err,
                "deploying {} stack(s) of `{here}` to account {} as {}",
                plan.stacks.len(),
                identity.account,
                identity.arn
            );
        }
        let with_values: Vec<_> = plan
            .stacks
            .iter()
            .map(|p| (p.artifact, &p.parameters))
            .collect();
        let findings =
            plan.steps
                .before_all(&aws, &identity.account, &with_values, &params, &mut |l| {
                    let _ = writeln!(io.err, "{l}");
                })?;
        if !findings.is_empty() {
            for f in &findings {
                let _ = writeln!(io.err, "error: {}", f.line());
            }
            return Err(CliError::Usage(format!(
                "{} problem(s) found before deploying; nothing was deployed.",
                findings.len()
            )));
        }
        if let Some(file) = &self.apply {
            let concurrency = usize::from(self.concurrency);
            return reviewed::apply(&aws, &mut plan, &identity, &options, file, concurrency, io);
        }
        let stack_names: Vec<&str> = plan
            .stacks
            .iter()
            .map(|s| s.artifact.stack_name.as_str())
            .collect();
        let stuck = recovery::find_stuck(&aws, &stack_names)?;
        if let Some(code) = self.refuse_stuck(&stuck, io) {
            return Ok(code);
        }
        let prepared =
            self.prepare_refactor(&aws, env, &assembly.app, &plan.refactors, &scratch, io)?;
        let mappings = prepared.as_ref().map_or(&[][..], |p| &p.plan.mappings[..]);
        if plan.production {
            self.confirm_production(&aws, &plan, &stuck, mappings, io)?;
        }
        let reporter = Reporter::new();
        let poll = run::poll_interval();
        for s in &stuck {
            if let Err(e) = recovery::recover(&aws, s, poll, &reporter, io.out) {
                reporter.finish();
                return Err(e);
            }
        }
        if let Some(p) = &prepared {
            refactor::run(&aws, p, poll, io.out)?;
        }
        let run = stacks::Run {
            aws: &aws,
            options: &options,
            concurrency: usize::from(self.concurrency),
            rendered: scratch.path().join("templates"),
        };
        run.deploy(&mut plan, &reporter, io)
    }

    /// With stacks that need something before a deploy: without `--recover`, or with one
    /// `--recover` does not repair, prints each with its fix and returns the exit code.
    fn refuse_stuck(&self, stuck: &[recovery::Stuck], io: &mut Io<'_>) -> Option<u8> {
        let refused: Vec<&recovery::Stuck> = stuck
            .iter()
            .filter(|s| !self.recover || !s.recoverable())
            .collect();
        if refused.is_empty() {
            return None;
        }
        for s in &refused {
            let _ = writeln!(io.err, "error: {s}");
        }
        let _ = writeln!(io.err, "Nothing was deployed.");
        Some(EXIT_FAILURE)
    }

    /// The options of the deploy-time steps, from the command line.
    fn step_options(&self, aws: &AwsOptions) -> Result<StepOptions> {
        let mut parsed = Vec::new();
        let usage = |flag: &str, e: String| CliError::Usage(format!("{flag}: {e}"));
        for v in &self.image_contexts {
            parsed.push(
                ImageOption::parse(v, |d| {
                    let dir = PathBuf::from(d);
                    if dir.join("Dockerfile").is_file() {
                        Ok(ImageSource::Build(dir))
                    } else {
                        Err(format!(
                            "`{d}` has no Dockerfile. Fix: name the folder to build"
                        ))
                    }
                })
                .map_err(|e| usage("--image-context", e))?,
            );
        }
        for v in &self.images {
            parsed.push(
                ImageOption::parse(v, |r| {
                    if r.is_empty() || r.contains(char::is_whitespace) {
                        Err(format!("`{r}` is not an image reference"))
                    } else {
                        Ok(ImageSource::Local(r.to_owned()))
                    }
                })
                .map_err(|e| usage("--image", e))?,
            );
        }
        for v in &self.image_digests {
            parsed.push(
                ImageOption::parse(v, |d| {
                    if is_digest(d) {
                        Ok(ImageSource::Digest(d.to_owned()))
                    } else {
                        Err(format!(
                            "`{d}` is not an image digest. Fix: write sha256: and 64 lower-case hex digits"
                        ))
                    }
                })
                .map_err(|e| usage("--image-digest", e))?,
            );
        }
        let global: String = aws
            .global_args()
            .iter()
            .map(|a| format!(" {}", plan::shell_quote(a)))
            .collect();
        Ok(StepOptions {
            images: parsed,
            skip_setup_tasks: self.skip_setup_tasks,
            global,
        })
    }

    /// The refactor to carry out before the deploys, if the deployed stacks do not reflect
    /// the declared renames and moves yet: planned from their deployed templates.
    fn prepare_refactor(
        &self,
        aws: &AwsCli,
        env: &EnvironmentAssembly,
        app: &str,
        refactors: &[&stackforge_construct_model::change::refactor::RecordedRefactor],
        scratch: &ScratchDir,
        io: &mut Io<'_>,
    ) -> Result<Option<refactor::Prepared>> {
        if refactors.is_empty() {
            return Ok(None);
        }
        let mut deployed = stackforge_construct_model::change::EnvTemplates::new();
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

    fn warn_if_stale(&self, plan: &DeployPlan<'_>, io: &mut Io<'_>) {
        let names: Vec<String> = plan.stacks.iter().map(|s| s.file_name.clone()).collect();
        let stale: Vec<String> = compare_env(&self.templates, &plan.files, Some(&names))
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
                self.templates.join(&plan.files.env).display(),
                stale.join("; ")
            );
        }
    }

    /// Shows what changes and asks to go on: `--yes`, or a prompt when standard input is a
    /// terminal; otherwise refuses.
    fn confirm_production(
        &self,
        aws: &AwsCli,
        plan: &DeployPlan<'_>,
        stuck: &[recovery::Stuck],
        refactor: &[stackforge_construct_model::change::refactor::ResourceMapping],
        io: &mut Io<'_>,
    ) -> Result<()> {
        let name = plan.env_name();
        let _ = writeln!(
            io.err,
            "`{name}` is a production environment. Changes to deploy:"
        );
        for s in stuck {
            let action = s.action_args().unwrap_or_default().join(" ");
            let _ = writeln!(io.err, "Recovery first ({}): aws {action}", s.status);
        }
        let mut stacks = Vec::new();
        for p in &plan.stacks {
            let name = &p.artifact.stack_name;
            // A stack whose first creation failed is created again: compare with nothing.
            let recreated = stuck
                .iter()
                .any(|s| &s.stack_name == name && s.blocker == recovery::Blocker::Recreate);
            let live = if recreated {
                None
            } else {
                preview::live_template(aws, name)?
            };
            stacks.push((p.artifact.name.as_str(), live, p.artifact.template()));
        }
        let _ = write!(io.err, "{}", preview::preview(name, &stacks, refactor));
        if self.yes {
            return Ok(());
        }
        if std::io::stdin().is_terminal() {
            let _ = write!(
                io.err,
                "Deploy {} stack(s) to `{name}`? [y/N] ",
                plan.stacks.len()
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
