//! Deploying the planned stacks: each with `aws cloudformation deploy`, up to
//! `--concurrency` at a time (a stack waits for the stacks it depends on), the deploy-time
//! steps before and after each, and the report of how it ended.

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use crate::cli::{EXIT_FAILURE, EXIT_OK};
use crate::deploy::aws::AwsCli;
use crate::deploy::deploy_plan::DeployPlan;
use crate::deploy::parallel::{self, Around, Ended};
use crate::deploy::plan::{self, AwsOptions, ParameterArgs};
use crate::deploy::progress::Reporter;
use crate::deploy::run::{self, Action, Outcome, StackJob};
use crate::error::{CliError, Result};
use crate::pipeline::Io;

/// How the stacks are deployed.
pub(super) struct Run<'a> {
    pub aws: &'a AwsCli,
    pub options: &'a AwsOptions,
    pub concurrency: usize,
    /// Where the templates are written for the AWS CLI.
    pub rendered: PathBuf,
}

/// The deploy-time steps around each stack, for [`parallel::deploy_all`].
struct Steps<'r, 'p, 'a> {
    run: &'r Run<'a>,
    plan: &'r mut DeployPlan<'p>,
    reporter: &'r Reporter,
    /// The parameter files written, removed once every stack ended.
    parameter_files: Vec<PathBuf>,
}

impl Around for Steps<'_, '_, '_> {
    fn start(&mut self, i: usize) -> Result<StackJob> {
        let name = self.plan.stacks[i].artifact.name.clone();
        if let Some(stop) = self.plan.steps.before_stack(self.run.aws, &name)? {
            return Err(CliError::Failed(stop.line()));
        }
        let digests = self.plan.steps.digests_for(&name);
        let count = self.plan.stacks.len();
        let p = &mut self.plan.stacks[i];
        p.parameters.extend(digests);
        let file = self.run.rendered.join(&p.file_name);
        fs::write(&file, &p.body).map_err(|e| CliError::io(&file, e))?;
        // Values travel in a private file, never on the command line (`ps` shows that).
        let path = self
            .run
            .rendered
            .join(format!("{}.parameters.json", p.artifact.name));
        let values = if p.parameters.is_empty() {
            ParameterArgs::Shown(&p.parameters)
        } else {
            plan::write_parameter_file(&path, &p.parameters)?;
            ParameterArgs::File(&path)
        };
        let args = plan::deploy_args(
            p.artifact,
            &file,
            values,
            self.plan.template_bucket.as_ref(),
            self.run.options,
        );
        if !p.parameters.is_empty() {
            self.parameter_files.push(path);
        }
        Ok(StackJob {
            label: format!("[{}/{count}] {}", i + 1, p.artifact.stack_name),
            stack_name: p.artifact.stack_name.clone(),
            action: Action::Deploy(args),
        })
    }

    fn after(&mut self, i: usize, _: &Outcome, out: &mut dyn Write) -> Result<()> {
        let count = self.plan.stacks.len();
        let artifact = self.plan.stacks[i].artifact;
        let label = format!("[{}/{count}] {}", i + 1, artifact.stack_name);
        let reporter = self.reporter;
        let mut say = |l: &str| reporter.line(out, &format!("{label}: {l}"));
        self.plan
            .steps
            .after_stack(self.run.aws, artifact, run::poll_interval(), &mut say)
    }
}

impl Run<'_> {
    /// Deploys the stacks of `plan`, printing progress; returns the exit code.
    pub fn deploy(
        &self,
        plan: &mut DeployPlan<'_>,
        reporter: &Reporter,
        io: &mut Io<'_>,
    ) -> Result<u8> {
        fs::create_dir_all(&self.rendered).map_err(|e| CliError::io(&self.rendered, e))?;
        let started = Instant::now();
        let needs = plan.needs();
        let stack_names: Vec<String> = plan
            .stacks
            .iter()
            .map(|s| s.artifact.stack_name.clone())
            .collect();
        let env = plan.env_name().to_owned();
        let mut steps = Steps {
            run: self,
            plan,
            reporter,
            parameter_files: Vec::new(),
        };
        let ended = parallel::deploy_all(
            self.aws,
            needs,
            self.concurrency,
            run::poll_interval(),
            reporter,
            &mut steps,
            io.out,
        );
        // They may hold NoEcho values: gone now, not only when the scratch folder goes.
        for f in &steps.parameter_files {
            let _ = fs::remove_file(f);
        }
        reporter.finish();
        if report_failures(&ended, &stack_names, io) {
            return Ok(EXIT_FAILURE);
        }
        let changed = ended
            .outcomes
            .iter()
            .filter(|o| matches!(o, Some(Outcome::Deployed(_))))
            .count();
        let unchanged = ended.outcomes.len() - changed;
        writeln!(
            io.out,
            "deployed `{env}` in {:.1}s: {changed} stack(s) changed, {unchanged} without changes",
            started.elapsed().as_secs_f64()
        )
        .map_err(|e| CliError::io("stdout", e))?;
        Ok(EXIT_OK)
    }
}

/// Prints each failed stack's report, the first error and the stacks never started; returns
/// whether anything failed.
pub(super) fn report_failures(ended: &Ended, stack_names: &[String], io: &mut Io<'_>) -> bool {
    let mut failed = false;
    for (i, o) in ended.outcomes.iter().enumerate() {
        if let Some(outcome @ Outcome::Failed { .. }) = o {
            failed = true;
            let _ = write!(
                io.err,
                "error: {}",
                run::failure_report(&stack_names[i], outcome)
            );
        }
    }
    if let Some(e) = &ended.error {
        let _ = writeln!(io.err, "error: {e}");
    }
    if !failed && ended.error.is_none() {
        return false;
    }
    let later: Vec<&str> = ended
        .outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| o.is_none())
        .map(|(i, _)| stack_names[i].as_str())
        .collect();
    if !later.is_empty() {
        let _ = writeln!(
            io.err,
            "stopped at the first failure; not deployed: {}",
            later.join(", ")
        );
    }
    true
}
