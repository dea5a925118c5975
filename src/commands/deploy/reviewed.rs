//! `deploy --plan FILE` and `deploy --apply FILE`: the command side of
//! [`crate::deploy::reviewed`].

use std::fs;
use std::path::Path;

use crate::cli::{EXIT_FAILURE, EXIT_OK};
use crate::deploy::aws::{AwsCli, Identity};
use crate::deploy::deploy_plan::DeployPlan;
use crate::deploy::plan::AwsOptions;
use crate::deploy::plan_file;
use crate::deploy::progress::Reporter;
use crate::deploy::reviewed::{self, Executed};
use crate::deploy::{recovery, run, ScratchDir};
use crate::error::{CliError, Result};
use crate::pipeline::Io;

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

/// Executes the change sets of the plan `file` after checking that nothing changed since.
pub(super) fn apply(
    aws: &AwsCli,
    plan: &mut DeployPlan<'_>,
    identity: &Identity,
    options: &AwsOptions,
    file: &Path,
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
    let poll = run::poll_interval();
    for (i, s) in reviewed_plan.stacks.iter().enumerate() {
        let label = format!("[{}/{count}] {}", i + 1, s.stack_name);
        let Some(id) = &s.change_set_id else {
            reporter.line(io.out, &format!("{label}: no changes (as planned)"));
            continue;
        };
        let outcome = reviewed::execute(aws, &s.stack_name, id, &label, poll, &reporter, io.out);
        let later: Vec<&str> = reviewed_plan.stacks[i + 1..]
            .iter()
            .map(|s| s.stack_name.as_str())
            .collect();
        match outcome {
            Ok(Executed::Done(status)) => {
                reporter.line(io.out, &format!("{label}: {status}"));
                let artifact = plan.stacks[i].artifact;
                let mut say = |l: &str| reporter.line(io.out, &format!("{label}: {l}"));
                if let Err(e) = plan.steps.after_stack(aws, artifact, poll, &mut say) {
                    reporter.finish();
                    let _ = writeln!(io.err, "error: {e}");
                    stopped(&later, io);
                    return Ok(EXIT_FAILURE);
                }
            }
            Ok(Executed::Failed(waited)) => {
                reporter.finish();
                let outcome = run::Outcome::Failed {
                    status: waited.status.clone(),
                    failures: waited.failures.clone(),
                    output: String::new(),
                };
                let _ = write!(
                    io.err,
                    "error: {}",
                    run::failure_report(&s.stack_name, &outcome)
                );
                stopped(&later, io);
                return Ok(EXIT_FAILURE);
            }
            Err(e) => {
                reporter.finish();
                let _ = writeln!(io.err, "error: {e}");
                stopped(&later, io);
                return Ok(EXIT_FAILURE);
            }
        }
    }
    reporter.finish();
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

fn stopped(later: &[&str], io: &mut Io<'_>) {
    if !later.is_empty() {
        let _ = writeln!(
            io.err,
            "stopped at the first failure; not deployed: {}",
            later.join(", ")
        );
    }
}
