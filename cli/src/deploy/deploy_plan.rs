//! The typed plan of a deploy, made in one pure step before any `aws` call: the stacks in
//! deploy order with their parameter values and rendered templates, the declared refactors
//! to carry out first, and the deploy-time steps around the stacks (images, pre-flight
//! checks, setup tasks). `--dry-run`, the production preview, `--plan`, `--apply` and the
//! deploy itself all read this one value; nothing re-reads the parameter files.

use std::path::Path;

use stackforge_construct_model::change::refactor::RecordedRefactor;
use stackforge_construct_model::{Assembly, EnvironmentAssembly, OutputFormat, StackArtifact};

use super::plan::{self, AwsOptions, ParameterOverride, MAX_INLINE_TEMPLATE_BYTES};
use super::plan_file::{self, PlannedStackChange};
use super::preview::is_production;
use super::refactor;
use super::steps::{StepOptions, Steps};
use super::template_bucket::{self, TemplateBucket, MAX_S3_TEMPLATE_BYTES};
use crate::error::{CliError, Result};
use crate::output::{render_env, EnvFiles};
use crate::params::ParameterValues;

/// What a deploy is asked to do (the command line, parsed).
#[derive(Debug, Clone)]
pub struct PlanRequest<'a> {
    /// `--stack` (short names; empty: every stack).
    pub stacks: &'a [String],
    /// `--exclusively`.
    pub exclusively: bool,
    /// `--parameter STACK:KEY=VALUE`.
    pub overrides: &'a [ParameterOverride],
    /// The folder of this environment's parameter files (`params/<env>/`).
    pub params_dir: &'a Path,
    /// `--s3-bucket`, `--s3-prefix`.
    pub template_bucket: Option<TemplateBucket>,
    /// Whether the templates are sent to CloudFormation (those over the inline limit then
    /// need `template_bucket`); not for `--apply`, whose change sets hold them already.
    pub sends_templates: bool,
    /// The deploy-time steps' options (images, setup tasks).
    pub steps: StepOptions,
    /// A private folder for merged parameter files.
    pub scratch: &'a Path,
}

/// One stack with everything needed to deploy it.
#[derive(Debug, Clone)]
pub struct PlannedStack<'a> {
    /// The synthesized stack.
    pub artifact: &'a StackArtifact,
    /// Its parameter values (files, `--parameter`, image digests given on the command line).
    pub parameters: ParameterValues,
    /// The template's file name (`network.template.json`).
    pub file_name: String,
    /// The template body deployed (what `synth` writes).
    pub body: String,
    /// SHA-256 of `body`.
    pub template_sha256: String,
}

impl PlannedStack<'_> {
    /// The stack's inputs as a plan file records them (no change set yet).
    pub fn recorded(&self) -> PlannedStackChange {
        let declared = &self.artifact.template().parameters;
        PlannedStackChange {
            name: self.artifact.name.clone(),
            stack_name: self.artifact.stack_name.clone(),
            template_sha256: self.template_sha256.clone(),
            parameters: self
                .parameters
                .iter()
                .map(|(k, v)| {
                    let no_echo = declared.get(k).is_some_and(|p| p.no_echo);
                    (k.clone(), plan_file::recorded_value(v, no_echo))
                })
                .collect(),
            stack_status: None,
            stack_updated: None,
            change_set_id: None,
            changes: Vec::new(),
        }
    }
}

/// Everything one deploy of one environment does.
#[derive(Debug)]
pub struct DeployPlan<'a> {
    /// The app's name.
    pub app: &'a str,
    /// The environment.
    pub env: &'a EnvironmentAssembly,
    /// Whether it is a production environment ([`is_production`]).
    pub production: bool,
    /// The stacks, in deploy order.
    pub stacks: Vec<PlannedStack<'a>>,
    /// The declared renames and moves touching these stacks, carried out first.
    pub refactors: Vec<&'a RecordedRefactor>,
    /// The steps around the stacks: pre-flight checks, images, setup tasks.
    pub steps: Steps,
    /// The rendered files of the whole environment (for the staleness check).
    pub files: EnvFiles,
    /// Where templates over the inline limit are uploaded (`--s3-bucket`).
    pub template_bucket: Option<TemplateBucket>,
}

impl<'a> DeployPlan<'a> {
    /// Plans deploying `env` of `assembly` as `request` asks: no `aws` call; reads the
    /// parameter files once. Errors: unknown or misplaced `--parameter`s, parameter files,
    /// image options, a template over the inline limit without `--s3-bucket`.
    pub fn build(
        assembly: &'a Assembly,
        env: &'a EnvironmentAssembly,
        request: PlanRequest<'_>,
    ) -> Result<Self> {
        let artifacts = plan::select_stacks(env, request.stacks, request.exclusively);
        let names: Vec<&str> = artifacts.iter().map(|s| s.name.as_str()).collect();
        let overrides = plan::overrides_by_stack(env, &artifacts, request.overrides)?;
        let mut values = indexmap::IndexMap::new();
        for stack in &artifacts {
            let mine = overrides.get(&stack.name).cloned().unwrap_or_default();
            values.insert(
                stack.name.clone(),
                plan::parameter_values(request.params_dir, stack, &mine, request.scratch)?,
            );
        }
        let steps = Steps::plan(&assembly.app, env, &artifacts, &mut values, request.steps)?;
        if request.sends_templates {
            check_sizes(&artifacts, request.template_bucket.is_some())?;
        }
        let files = render_env(assembly, env, OutputFormat::Json);
        let stacks = planned_stacks(&artifacts, &files, values);
        Ok(DeployPlan {
            app: &assembly.app,
            env,
            production: is_production(env.environment.name()),
            stacks,
            refactors: refactor::relevant(env, &names),
            steps,
            files,
            template_bucket: request.template_bucket,
        })
    }

    /// Plans destroying stacks of `env`: `names` plus, unless `exclusively`, every stack
    /// depending on them, transitively (no names: all of them). The stacks are kept in
    /// deploy order, as for [`DeployPlan::build`]; [`DeployPlan::deletion_order`] reverses it.
    /// Pure and reads no parameter file (deleting a stack takes no parameters); it plans no
    /// refactor and no deploy-time step.
    pub fn for_destroy(
        assembly: &'a Assembly,
        env: &'a EnvironmentAssembly,
        names: &[String],
        exclusively: bool,
    ) -> Result<Self> {
        let artifacts = plan::select_dependents(env, names, exclusively);
        let steps = Steps::plan(
            &assembly.app,
            env,
            &[],
            &mut indexmap::IndexMap::new(),
            StepOptions::default(),
        )?;
        let files = render_env(assembly, env, OutputFormat::Json);
        let stacks = planned_stacks(&artifacts, &files, indexmap::IndexMap::new());
        Ok(DeployPlan {
            app: &assembly.app,
            env,
            production: is_production(env.environment.name()),
            stacks,
            refactors: Vec::new(),
            steps,
            files,
            template_bucket: None,
        })
    }

    /// Per stack (by index), the indexes of the stacks of this plan it depends on: what
    /// [`parallel::deploy_all`](super::parallel::deploy_all) waits for.
    pub fn needs(&self) -> Vec<Vec<usize>> {
        let names = self.stack_names();
        self.stacks
            .iter()
            .map(|s| {
                s.artifact
                    .dependencies
                    .iter()
                    .filter_map(|d| names.iter().position(|n| n == d))
                    .collect()
            })
            .collect()
    }

    /// The stacks in the order `destroy` deletes them: dependents first, the reverse of the
    /// deploy order.
    pub fn deletion_order(&self) -> impl Iterator<Item = &PlannedStack<'a>> {
        self.stacks.iter().rev()
    }

    /// The environment's name.
    pub fn env_name(&self) -> &str {
        self.env.environment.name()
    }

    /// The short names of the stacks, in deploy order.
    pub fn stack_names(&self) -> Vec<&str> {
        self.stacks
            .iter()
            .map(|s| s.artifact.name.as_str())
            .collect()
    }

    /// What `--dry-run` prints: the refactor first, then per stack the `aws cloudformation
    /// deploy` command (naming the committed file in `committed`, `NoEcho` values masked)
    /// with the steps around it.
    pub fn dry_run_lines(
        &self,
        program: &str,
        committed: &Path,
        options: &AwsOptions,
    ) -> Vec<String> {
        let mut lines = refactor::dry_run_lines(
            self.env,
            self.app,
            &self.refactors,
            program,
            &options.global_args(),
        );
        lines.extend(self.steps.dry_run_lines(None));
        for s in &self.stacks {
            let file = committed.join(&s.file_name);
            let shown = plan::ParameterArgs::Shown(&s.parameters);
            let bucket = self.template_bucket.as_ref();
            let args = plan::deploy_args(s.artifact, &file, shown, bucket, options);
            lines.push(plan::shell_line(program, &args));
            lines.extend(self.steps.dry_run_lines(Some(&s.artifact.name)));
        }
        lines
    }
}

/// The planned stacks of `artifacts` (in that order) with their rendered bodies and the
/// parameter values in `values` (by short name; none for a stack missing there).
fn planned_stacks<'a>(
    artifacts: &[&'a StackArtifact],
    files: &EnvFiles,
    mut values: indexmap::IndexMap<String, ParameterValues>,
) -> Vec<PlannedStack<'a>> {
    artifacts
        .iter()
        .map(|artifact| {
            let file_name = artifact.template_file(OutputFormat::Json);
            let body = files.files.get(&file_name).cloned().unwrap_or_default();
            PlannedStack {
                artifact,
                parameters: values.shift_remove(&artifact.name).unwrap_or_default(),
                template_sha256: plan_file::sha256(body.as_bytes()),
                file_name,
                body,
            }
        })
        .collect()
}

fn check_sizes(stacks: &[&StackArtifact], bucket: bool) -> Result<()> {
    let problems: Vec<String> = stacks
        .iter()
        .filter_map(|s| template_bucket::size_problem(&s.stack_name, s.body_len(), bucket))
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    Err(CliError::Usage(format!(
        "template(s) over CloudFormation's {MAX_INLINE_TEMPLATE_BYTES}-byte inline limit: {}. They must be uploaded to S3 (up to {MAX_S3_TEMPLATE_BYTES} bytes). Fix: pass --s3-bucket BUCKET (a bucket in the target region; --s3-prefix P for a folder). Nothing was deployed.",
        problems.join(", ")
    )))
}
