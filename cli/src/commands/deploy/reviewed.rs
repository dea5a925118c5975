//! `deploy --plan FILE` and `deploy --apply FILE`: the command side of
//! [`crate::deploy::reviewed`].

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::cli::{EXIT_FAILURE, EXIT_OK};
use crate::deploy::aws::{AwsCli, Identity};
use crate::deploy::deploy_plan::DeployPlan;
use crate::deploy::parallel::{self, Around};
use crate::deploy::plan::AwsOptions;
use crate::deploy::plan_file;
use crate::deploy::plan_file::PlanFile;
use crate::deploy::progress::Reporter;
use crate::deploy::reviewed;
use crate::deploy::run::{Action, Outcome, StackJob};
use crate::deploy::{recovery, run, ScratchDir};
use crate::error::{CliError, Result};
use crate::pipeline::Io;

use super::stacks;

/// Creates the change sets of `plan`, writes the plan to `file` and prints it for review.
pub(super) fn plan(
    aws: &AwsCli,
    plan: &DeployPlan<'_>,
    identity: &Identity,
    options: &AwsOptions,
    file: &Path,
    scratch: &ScratchDir,
    io: &mut Io<'_>,
) -> Result<u8> {
    let names: Vec<&str> = plan
        .stacks
        .iter()
        .map(|s| s.artifact.stack_name.as_str())
        .collect();
    let stuck = recovery::find_stuck(aws, &names)?;
    if !stuck.is_empty() {
        for s in &stuck {
            let _ = writeln!(io.err, "error: {s}");
        }
        let _ = writeln!(
            io.err,
            "Nothing was planned. Fix: recover these stacks first (deploy --recover, without --plan)."
        );
        return Ok(EXIT_FAILURE);
    }
    let _ = writeln!(
        io.err,
        "planning {} stack(s) of `{}` in account {}: change sets only, nothing is executed",
        plan.stacks.len(),
        plan.env_name(),
        identity.account
    );
    let planned = reviewed::create(
        aws,
        plan,
        &identity.account,
        options.global_args(),
        scratch.path(),
        run::poll_interval(),
        io.err,
    )?;
    let text = serde_json::to_string_pretty(&planned).unwrap_or_default() + "\n";
    fs::write(file, text).map_err(|e| CliError::io(file, e))?;
    write!(io.out, "{}", plan_file::render(&planned)).map_err(|e| CliError::io("stdout", e))?;
    writeln!(
        io.out,
        "plan written to {}. Review it, then: deploy --env {} --apply {}",
        file.display(),
        plan.env_name(),
        file.display()
    )
    .map_err(|e| CliError::io("stdout", e))?;
    Ok(EXIT_OK)
}

/// Executes the change sets of the plan `file` after checking that nothing changed since, up
/// to `concurrency` at a time (a stack starts once the stacks it depends on are done).
pub(super) fn apply(
    aws: &AwsCli,
    plan: &mut DeployPlan<'_>,
    identity: &Identity,
    options: &AwsOptions,
    file: &Path,
    concurrency: usize,
    io: &mut Io<'_>,
) -> Result<u8> {
    let reviewed_plan = reviewed::read(file)?;
    let problems = reviewed::changed_since(
        aws,
        plan,
        &reviewed_plan,
        &identity.account,
        &options.global_args(),
    )?;
    if !problems.is_empty() {
        let _ = writeln!(
            io.err,
            "error: the plan {} no longer describes this deploy:",
            file.display()
        );
        for p in &problems {
            let _ = writeln!(io.err, "  - {p}");
        }
        let _ = writeln!(
            io.err,
            "Nothing was executed. Fix: plan again (deploy --plan FILE), review, and apply the new plan."
        );
        return Ok(EXIT_FAILURE);
    }
    let count = reviewed_plan.stacks.len();
    let _ = writeln!(
        io.err,
        "applying {} to `{}` in account {}: {count} stack(s), exactly the reviewed change sets",
        file.display(),
        plan.env_name(),
        identity.account
    );
    let reporter = Reporter::new();
    let stack_names: Vec<String> = reviewed_plan
        .stacks
        .iter()
        .map(|s| s.stack_name.clone())
        .collect();
    let needs = plan.needs();
    let ended = parallel::deploy_all(
        aws,
        needs,
        concurrency,
        run::poll_interval(),
        &reporter,
        &mut Reviewed {
            aws,
            plan,
            file: &reviewed_plan,
            reporter: &reporter,
        },
        io.out,
    );
    reporter.finish();
    if stacks::report_failures(&ended, &stack_names, io) {
        return Ok(EXIT_FAILURE);
    }
    writeln!(
        io.out,
        "applied {}: {} change set(s) executed",
        file.display(),
        reviewed_plan
            .stacks
            .iter()
            .filter(|s| s.change_set_id.is_some())
            .count()
    )
    .map_err(|e| CliError::io("stdout", e))?;
    Ok(EXIT_OK)
}

/// The reviewed change sets as jobs of [`parallel::deploy_all`], with the deploy-time steps
/// after each executed one.
struct Reviewed<'r, 'p> {
    aws: &'r AwsCli,
    plan: &'r mut DeployPlan<'p>,
    file: &'r PlanFile,
    reporter: &'r Reporter,
}

impl Reviewed<'_, '_> {
    fn label(&self, i: usize) -> String {
        let count = self.file.stacks.len();
        format!("[{}/{count}] {}", i + 1, self.file.stacks[i].stack_name)
    }
}

impl Around for Reviewed<'_, '_> {
    fn start(&mut self, i: usize) -> Result<StackJob> {
        let s = &self.file.stacks[i];
        Ok(StackJob {
            label: self.label(i),
            stack_name: s.stack_name.clone(),
            action: match &s.change_set_id {
                Some(id) => Action::ExecuteChangeSet(id.clone()),
                None => Action::Unchanged,
            },
        })
    }

    fn after(&mut self, i: usize, outcome: &Outcome, out: &mut dyn Write) -> Result<()> {
        if !matches!(outcome, Outcome::Deployed(_)) {
            return Ok(());
        }
        let label = self.label(i);
        let reporter = self.reporter;
        let mut say = |l: &str| reporter.line(out, &format!("{label}: {l}"));
        // `changed_since` checked that the plan file's stacks are the plan's, in order.
        let artifact = self.plan.stacks[i].artifact;
        self.plan
            .steps
            .after_stack(self.aws, artifact, run::poll_interval(), &mut say)
    }
}
