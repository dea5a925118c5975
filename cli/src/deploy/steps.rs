//! The deploy-time steps around the stacks, in the order a deploy meets them:
//!
//! 1. before anything changes: placeholder parameters and empty secrets a container reads
//!    ([`preflight`](super::preflight)), then the images are built (or taken);
//! 2. before each stack: a secret it reads must have a value by now;
//! 3. after each stack: the images whose repository it holds are pushed, and their digests
//!    become parameters of the stacks after it; its setup tasks run
//!    ([`setup_tasks`](super::setup_tasks)).
//!
//! `commands::deploy` calls these at four places; everything else is here.

use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use stackforge_construct_model::{EnvironmentAssembly, StackArtifact};

use super::aws::AwsCli;
use super::images::{self, ImageOption, ImageSource, LocalImage, PlannedImage};
use super::preflight::{self, ConsumedSecret, Finding};
use super::setup_tasks;
use crate::error::{CliError, Result};
use crate::params::ParameterValues;

/// What the steps need from the command line.
#[derive(Debug, Clone, Default)]
pub struct StepOptions {
    /// `--image-context`, `--image`, `--image-digest`, parsed.
    pub images: Vec<ImageOption>,
    /// `--skip-setup-tasks`.
    pub skip_setup_tasks: bool,
    /// The global `aws` options as they appear in printed commands (` --region R`).
    pub global: String,
}

/// The steps of one deploy.
#[derive(Debug)]
pub struct Steps {
    app: String,
    env: String,
    images: Vec<PlannedImage>,
    locals: Vec<Option<LocalImage>>,
    tool: Option<PathBuf>,
    secrets: Vec<ConsumedSecret>,
    setup: IndexMap<String, Vec<setup_tasks::SetupTask>>,
    deployed: Vec<String>,
    stack_names: IndexMap<String, String>,
    options: StepOptions,
}

impl Steps {
    /// Plans the steps of deploying `stacks` of `env`; `values` holds each stack's parameter
    /// values (from files and `--parameter`), to which image digests given on the command
    /// line are added.
    pub fn plan(
        app: &str,
        env: &EnvironmentAssembly,
        stacks: &[&StackArtifact],
        values: &mut IndexMap<String, ParameterValues>,
        options: StepOptions,
    ) -> Result<Steps> {
        let planned = images::plan(env, stacks, &options.images, |stack, key| {
            values.get(stack).is_some_and(|v| v.contains_key(key))
        })?;
        for image in &planned {
            if let Some(ImageSource::Digest(d)) = &image.source {
                if let Some(v) = values.get_mut(&image.stack) {
                    v.insert(image.parameter.parameter.clone(), d.clone());
                }
            }
        }
        let setup = stacks
            .iter()
            .map(|s| (s.name.clone(), setup_tasks::of(s)))
            .filter(|(_, t)| !t.is_empty())
            .collect();
        Ok(Steps {
            app: app.to_owned(),
            env: env.environment.name().to_owned(),
            locals: vec![None; planned.len()],
            images: planned,
            tool: None,
            secrets: preflight::consumed_empty_secrets(env, stacks),
            setup,
            deployed: stacks.iter().map(|s| s.name.clone()).collect(),
            stack_names: env
                .stacks
                .iter()
                .map(|s| (s.name.clone(), s.stack_name.clone()))
                .collect(),
            options,
        })
    }

    /// Whether images are built or pushed during the deploy (their digests are known only
    /// then, so they cannot be part of a reviewed plan).
    pub fn builds_images(&self) -> bool {
        self.needs_tool()
    }

    fn needs_tool(&self) -> bool {
        self.images.iter().any(|i| {
            matches!(
                i.source,
                Some(ImageSource::Build(_) | ImageSource::Local(_))
            )
        })
    }

    /// The lines a dry run prints after the command deploying `stack` (`None`: before the
    /// first stack).
    pub fn dry_run_lines(&self, stack: Option<&str>) -> Vec<String> {
        let tool = if self.needs_tool() {
            images::container_tool()
                .ok()
                .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "docker".to_owned())
        } else {
            "docker".to_owned()
        };
        let mut lines = Vec::new();
        for image in &self.images {
            let here = match stack {
                None => !self.deploys(image),
                Some(s) => image.repository_stack.as_deref() == Some(s),
            };
            if here {
                lines.extend(images::dry_run_lines(image, &tool, &self.app));
            }
        }
        if let Some(tasks) = stack.and_then(|s| self.setup.get(s)) {
            if self.options.skip_setup_tasks {
                lines.push(format!(
                    "# setup tasks of {} skipped (--skip-setup-tasks)",
                    stack.unwrap_or_default()
                ));
            } else {
                for t in tasks {
                    lines.push(format!(
                        "aws ecs run-task --cluster <cluster> --task-definition <{}> --launch-type FARGATE --network-configuration <subnets, security group>{}   # setup task {}, then wait until it stops with exit code 0",
                        t.logical_id, self.options.global, t.logical_id
                    ));
                }
            }
        }
        lines
    }

    /// Whether the repository stack of `image` is part of this deploy's stacks.
    fn deploys(&self, image: &PlannedImage) -> bool {
        image
            .repository_stack
            .as_ref()
            .is_some_and(|s| self.deployed.contains(s))
    }

    /// Before anything changes: placeholders, empty secrets already deployed, container tool,
    /// image builds. Returns the findings that stop the deploy (nothing was built then).
    pub fn before_all(
        &mut self,
        aws: &AwsCli,
        account: &str,
        stacks: &[(&StackArtifact, &ParameterValues)],
        parameter_dir: &Path,
        say: &mut dyn FnMut(&str),
    ) -> Result<Vec<Finding>> {
        let mut findings = preflight::placeholders(&self.env, stacks, account, parameter_dir);
        for secret in &self.secrets {
            match preflight::deployed_without_value(aws, secret) {
                Ok(Some(arn)) => findings.push(preflight::empty_secret_finding(
                    secret,
                    &arn,
                    &self.options.global,
                )),
                Ok(None) => {}
                Err(e) => {
                    return Err(CliError::Failed(format!(
                        "cannot check the secret {}/{} that {} reads: {e}. Nothing was deployed.",
                        secret.secret_stack, secret.logical_id, secret.reader
                    )))
                }
            }
        }
        if !findings.is_empty() {
            return Ok(findings);
        }
        if self.needs_tool() {
            let tool = images::container_tool()?;
            for (i, image) in self.images.iter().enumerate() {
                say(&format!(
                    "image {}: preparing with {}",
                    image.name(),
                    tool.display()
                ));
                self.locals[i] = images::prepare(&tool, image, &self.app)?;
            }
            self.tool = Some(tool);
        }
        // Images whose repository no stack of this deploy creates are pushed now.
        self.push(aws, None, say)?;
        Ok(Vec::new())
    }

    /// Before deploying `stack`: a secret it reads that is still empty stops the deploy.
    pub fn before_stack(&self, aws: &AwsCli, stack: &str) -> Result<Option<Finding>> {
        for secret in self.secrets.iter().filter(|s| s.consumer == stack) {
            if let Some(arn) = preflight::deployed_without_value(aws, secret).map_err(|e| {
                CliError::Failed(format!(
                    "cannot check the secret {}/{}: {e}",
                    secret.secret_stack, secret.logical_id
                ))
            })? {
                return Ok(Some(preflight::empty_secret_finding(
                    secret,
                    &arn,
                    &self.options.global,
                )));
            }
        }
        Ok(None)
    }

    /// The image digests pushed so far for `stack`'s parameters.
    pub fn digests_for(&self, stack: &str) -> Vec<(String, String)> {
        self.images
            .iter()
            .filter(|i| i.stack == stack)
            .filter_map(|i| match &i.source {
                Some(ImageSource::Digest(d)) => Some((i.parameter.parameter.clone(), d.clone())),
                _ => None,
            })
            .collect()
    }

    /// After `stack` is deployed (or unchanged): pushes the images whose repository it holds
    /// and runs its setup tasks.
    pub fn after_stack(
        &mut self,
        aws: &AwsCli,
        stack: &StackArtifact,
        poll: Duration,
        say: &mut dyn FnMut(&str),
    ) -> Result<()> {
        self.push(aws, Some(&stack.name), say)?;
        if let Some(tasks) = self.setup.get(&stack.name) {
            if self.options.skip_setup_tasks {
                say(&format!(
                    "setup tasks skipped (--skip-setup-tasks): {}",
                    tasks
                        .iter()
                        .map(|t| t.logical_id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            } else {
                let names = &self.stack_names;
                let lookup = |s: &str| names.get(s).cloned();
                setup_tasks::run(aws, &stack.stack_name, tasks, &lookup, poll, |l| say(l))?;
            }
        }
        Ok(())
    }

    /// Pushes the prepared images whose repository is in `stack` (`None`: not in a stack of
    /// this deploy); their sources become digests.
    fn push(&mut self, aws: &AwsCli, stack: Option<&str>, say: &mut dyn FnMut(&str)) -> Result<()> {
        for i in 0..self.images.len() {
            let image = &self.images[i];
            let here = match stack {
                None => !self.deploys(image),
                Some(s) => image.repository_stack.as_deref() == Some(s),
            };
            let (Some(local), Some(tool), true) = (&self.locals[i], &self.tool, here) else {
                continue;
            };
            let repository = images::repository(aws, image)?;
            say(&format!(
                "image {}: pushing to {}",
                image.name(),
                repository.1
            ));
            let digest = images::push(aws, tool, local, &repository)?;
            say(&format!("image {}: {digest}", image.name()));
            self.images[i].source = Some(ImageSource::Digest(digest));
            self.locals[i] = None;
        }
        Ok(())
    }
}
