//! Reviewed deploys: `deploy --plan FILE` creates a change set per stack (nothing executed)
//! and writes the plan file; `deploy --apply FILE` checks that nothing changed since (the
//! templates, the parameters, the deployed stacks, the change sets) and executes exactly
//! those change sets, in order.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::aws::AwsCli;
use super::change_set::{self, Created, TemplateSource};
use super::deploy_plan::DeployPlan;
use super::plan::MAX_INLINE_TEMPLATE_BYTES;
use super::plan_file::{self, PlanFile, FORMAT};
use super::preview;
use super::progress::{EventLog, Reporter};
use super::stack_status::{self, Waited};
use crate::diff;
use crate::error::{CliError, Result};

/// Creates the change sets of `plan` (in `scratch`) and returns the plan file's content.
/// The caller has checked that no declared refactor is pending (change sets cannot carry
/// one out).
/// `account` and `aws_options` are recorded so `--apply` can check it acts on the same.
pub fn create(
    aws: &AwsCli,
    plan: &DeployPlan<'_>,
    account: &str,
    aws_options: Vec<String>,
    scratch: &Path,
    poll: Duration,
    log: &mut dyn Write,
) -> Result<PlanFile> {
    if plan.steps.builds_images() {
        return Err(CliError::Usage(
            "deploy --plan cannot build or push images: their digests are parameters, known only after the push, and a plan reviews fixed parameters. Nothing was planned. Fix: build and push the image first (docker build, docker push to the stack's repository) and plan with --image-digest [STACK:PARAMETER=]sha256:... (the digest the push printed); or deploy without --plan, which builds and pushes during the deploy.".into(),
        ));
    }
    let dir = scratch.join("change-sets");
    fs::create_dir_all(&dir).map_err(|e| CliError::io(&dir, e))?;
    let predicted = prediction(aws, plan)?;
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut stacks = Vec::new();
    let mut region = None;
    for s in &plan.stacks {
        let name = &s.artifact.stack_name;
        let deployed = stack_status::describe(aws, name)?;
        let template = dir.join(&s.file_name);
        fs::write(&template, &s.body).map_err(|e| CliError::io(&template, e))?;
        // DeployPlan::build refused a large template without a bucket.
        let source = match plan.template_bucket.as_ref() {
            Some(b) if s.body.len() > MAX_INLINE_TEMPLATE_BYTES => {
                let url = b.upload(aws, &template, &s.template_sha256, &mut region)?;
                let _ = writeln!(log, "{name}: template uploaded to {url}");
                TemplateSource::Url(url)
            }
            _ => TemplateSource::File(template),
        };
        let inputs = change_set::write_inputs(&dir, name, &s.parameters, &s.artifact.tags)?;
        let kind = change_set::change_set_type(deployed.as_ref().map(|d| d.status.as_str()));
        let args = change_set::create_args(
            name,
            &format!("stackforge-{stamp}-{}", &s.template_sha256[..12]),
            kind,
            &source,
            &inputs,
        );
        let _ = writeln!(log, "{name}: creating change set ({kind})");
        let created = change_set::create(aws, name, &args, poll);
        // The parameters file may hold NoEcho values: gone once CloudFormation has read it.
        let _ = fs::remove_file(&inputs.0);
        let created = created?;
        // Read after the change set exists: one for a new stack creates it in
        // REVIEW_IN_PROGRESS, which `--apply` then finds unchanged.
        let deployed = stack_status::describe(aws, name)?;
        let mut recorded = s.recorded();
        recorded.stack_status = deployed.as_ref().map(|d| d.status.clone());
        recorded.stack_updated = deployed.and_then(|d| d.updated);
        match created {
            Created::Ready { id, changes } => {
                let offline = predicted
                    .iter()
                    .find(|d| d.stack == s.artifact.name)
                    .map_or(&[][..], |d| &d.resources[..]);
                recorded.changes = plan_file::side_by_side(&changes, offline);
                recorded.change_set_id = Some(id);
            }
            Created::NoChanges => {}
        }
        stacks.push(recorded);
    }
    Ok(PlanFile {
        format: FORMAT.to_owned(),
        app: plan.app.to_owned(),
        environment: plan.env_name().to_owned(),
        account: account.to_owned(),
        aws_options,
        stacks,
    })
}

/// The offline prediction: the `diff` comparison of the deployed and the planned templates.
fn prediction(aws: &AwsCli, plan: &DeployPlan<'_>) -> Result<Vec<diff::StackDiff>> {
    let mut old = diff::env::Templates::new();
    let mut new = diff::env::Templates::new();
    for s in &plan.stacks {
        if let Some(t) = preview::live_template(aws, &s.artifact.stack_name)? {
            old.insert(s.artifact.name.clone(), t);
        }
        new.insert(s.artifact.name.clone(), s.artifact.template().clone());
    }
    Ok(diff::diff_env(
        plan.env_name(),
        &old,
        &new,
        &diff::EnvContext::default(),
    ))
}

/// Reads a plan file.
pub fn read(path: &Path) -> Result<PlanFile> {
    let text = fs::read_to_string(path).map_err(|e| CliError::Input {
        path: path.to_owned(),
        problem: format!("cannot read the plan: {e}. Fix: name the file `deploy --plan` wrote"),
    })?;
    let file: PlanFile = serde_json::from_str(&text).map_err(|e| CliError::Input {
        path: path.to_owned(),
        problem: format!(
            "not a stackforge plan ({e}). Fix: name the file `deploy --plan` wrote, unedited"
        ),
    })?;
    if file.format != FORMAT {
        return Err(CliError::Input {
            path: path.to_owned(),
            problem: format!(
                "plan format `{}` is not `{FORMAT}`. Fix: plan again with this stackforge",
                file.format
            ),
        });
    }
    Ok(file)
}

/// Everything that changed since `file` was planned, compared with the fresh `plan` and the
/// deployed stacks and change sets; empty when it can be applied as reviewed.
pub fn changed_since(
    aws: &AwsCli,
    plan: &DeployPlan<'_>,
    file: &PlanFile,
    account: &str,
    aws_options: &[String],
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    if file.app != plan.app || file.environment != plan.env_name() {
        problems.push(format!(
            "the plan is for `{}` of {}, this deploy is `{}` of {}",
            file.environment,
            file.app,
            plan.env_name(),
            plan.app
        ));
    }
    if file.account != account {
        problems.push(format!(
            "the plan was made in account {}, the credentials are for {account}",
            file.account
        ));
    }
    if file.aws_options != aws_options {
        problems.push(format!(
            "the plan was made with the aws options `{}`, this deploy has `{}`",
            file.aws_options.join(" "),
            aws_options.join(" ")
        ));
    }
    let planned: Vec<&str> = file.stacks.iter().map(|s| s.name.as_str()).collect();
    if planned != plan.stack_names() {
        problems.push(format!(
            "the plan deploys {}, this deploy {}",
            planned.join(", "),
            plan.stack_names().join(", ")
        ));
        return Ok(problems);
    }
    for (reviewed, now) in file.stacks.iter().zip(&plan.stacks) {
        problems.extend(plan_file::changed_inputs(reviewed, &now.recorded()));
        let name = &reviewed.stack_name;
        let deployed = stack_status::describe(aws, name)?;
        let status = deployed.as_ref().map(|d| d.status.clone());
        let updated = deployed.and_then(|d| d.updated);
        if status != reviewed.stack_status || updated != reviewed.stack_updated {
            problems.push(format!(
                "{name}: the deployed stack changed since the plan ({} at {} then, {} at {} now)",
                reviewed.stack_status.as_deref().unwrap_or("not deployed"),
                reviewed.stack_updated.as_deref().unwrap_or("-"),
                status.as_deref().unwrap_or("not deployed"),
                updated.as_deref().unwrap_or("-"),
            ));
        }
        if let Some(id) = &reviewed.change_set_id {
            let v = change_set::describe(aws, id)?;
            let execution = v["ExecutionStatus"].as_str().unwrap_or("unknown");
            if execution != "AVAILABLE" {
                problems.push(format!(
                    "{name}: its change set is {execution}, no longer AVAILABLE to execute"
                ));
            }
        }
    }
    Ok(problems)
}

/// How executing one change set ended.
#[derive(Debug)]
pub enum Executed {
    /// The stack reached this `*_COMPLETE` status.
    Done(String),
    /// It failed; the wait's result holds the status and failed events.
    Failed(Waited),
}

/// Executes the change set `id` of `stack_name` and waits for the stack, printing its
/// events under `label`.
pub fn execute(
    aws: &AwsCli,
    stack_name: &str,
    id: &str,
    label: &str,
    poll: Duration,
    reporter: &Reporter,
    out: &mut dyn Write,
) -> Result<Executed> {
    let mut log = EventLog::default();
    if let Ok(events) = EventLog::fetch(aws, stack_name) {
        log.baseline(events);
    }
    reporter.line(out, &format!("{label}: executing change set {id}"));
    reporter.status(format!("{label}: executing"));
    let ran = aws
        .command(&[
            "cloudformation",
            "execute-change-set",
            "--change-set-name",
            id,
        ])
        .output()
        .map_err(|e| CliError::Failed(format!("{label}: cannot run `{}`: {e}", aws.program())))?;
    if !ran.status.success() {
        return Err(CliError::Failed(format!(
            "{label}: execute-change-set failed: {}",
            String::from_utf8_lossy(&ran.stderr).trim()
        )));
    }
    let waited = stack_status::wait(aws, stack_name, &mut log, poll, reporter, out)?;
    match waited.status.as_deref() {
        Some(s @ ("CREATE_COMPLETE" | "UPDATE_COMPLETE")) => Ok(Executed::Done(s.to_owned())),
        _ => Ok(Executed::Failed(waited)),
    }
}
