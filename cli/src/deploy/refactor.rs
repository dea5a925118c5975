//! Stack refactoring before the stack updates: the renames and moves the app declares (the
//! resource mappings synth records in the manifest) are carried out with
//! `aws cloudformation create-stack-refactor` (CloudFormation validates it: `Status`
//! `CREATE_COMPLETE`), then `execute-stack-refactor` (`ExecutionStatus` `EXECUTE_COMPLETE`),
//! so the resources keep their physical identity and data; the normal deploys then update
//! the stacks to the new templates.
//!
//! Which mappings are pending is decided from the deployed templates: a mapping whose source
//! is still deployed is carried out, one whose destination is already deployed was carried
//! out before, one with neither side deployed has nothing to move (a new environment). The
//! refactor's templates are the deployed ones with only the mapped resources relocated
//! ([`stackforge_construct_model::change::plan_refactor`]), as stack refactoring requires.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use stackforge_construct_model::change::refactor::{RecordedRefactor, ResourceMapping};
use stackforge_construct_model::change::{plan_refactor, EnvTemplates, RefactorPlan};
use stackforge_construct_model::EnvironmentAssembly;

use super::aws::AwsCli;
use super::plan::MAX_INLINE_TEMPLATE_BYTES;
use crate::error::{CliError, Result};

/// How long a refactor may take before deploy gives up waiting (CloudFormation's own
/// waiters allow 10 minutes to create and 30 to execute).
pub const REFACTOR_TIMEOUT: Duration = Duration::from_secs(40 * 60);

/// The recorded refactors that touch `stacks` (short names), in record order.
pub fn relevant<'a>(env: &'a EnvironmentAssembly, stacks: &[&str]) -> Vec<&'a RecordedRefactor> {
    env.refactors
        .iter()
        .filter(|r| {
            r.resources.iter().any(|m| {
                stacks.contains(&m.source.stack.as_str())
                    || stacks.contains(&m.destination.stack.as_str())
            })
        })
        .collect()
}

/// The short names of the stacks `refactors` read or write, in first-seen order.
pub fn stacks_of(refactors: &[&RecordedRefactor]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in refactors.iter().flat_map(|r| &r.resources) {
        for s in [&m.source.stack, &m.destination.stack] {
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
    }
    out
}

/// The mappings still to carry out given the `deployed` templates, and a note per mapping
/// left out.
pub fn pending(
    refactors: &[&RecordedRefactor],
    deployed: &EnvTemplates,
) -> Result<(Vec<ResourceMapping>, Vec<String>)> {
    let has = |stack: &str, id: &str| {
        deployed
            .get(stack)
            .is_some_and(|t| t.resources.contains_key(id))
    };
    let (mut todo, mut notes) = (Vec::new(), Vec::new());
    for m in refactors.iter().flat_map(|r| &r.resources) {
        let (from, to) = (
            has(&m.source.stack, &m.source.logical_id),
            has(&m.destination.stack, &m.destination.logical_id),
        );
        match (from, to) {
            (true, false) => todo.push(m.clone()),
            (true, true) => {
                return Err(CliError::Failed(format!(
                    "stack refactor: both {} and {} are deployed, so {} cannot be renamed or moved there. Nothing was deployed. Fix: remove one of them (or the declaration) and synthesize again",
                    m.source, m.destination, m.source
                )))
            }
            (false, true) => notes.push(format!("{} -> {}: already done", m.source, m.destination)),
            (false, false) => notes.push(format!(
                "{} -> {}: neither is deployed, nothing to move",
                m.source, m.destination
            )),
        }
    }
    Ok((todo, notes))
}

/// A refactor ready to run: its plan and the files its `create-stack-refactor` reads.
#[derive(Debug)]
pub struct Prepared {
    /// The mappings and refactored templates.
    pub plan: RefactorPlan,
    /// The `--stack-definitions` file.
    pub definitions: PathBuf,
    /// The `--resource-mappings` file.
    pub mappings: PathBuf,
}

/// Plans the refactor of `mappings` from the `deployed` templates towards `target` (the new
/// synth) and writes its input files to `dir`. Problems (what stack refactoring cannot do)
/// are an error naming each: nothing is deployed then.
pub fn prepare(
    env: &EnvironmentAssembly,
    app: &str,
    deployed: &EnvTemplates,
    target: &EnvTemplates,
    mappings: &[ResourceMapping],
    dir: &Path,
) -> Result<Prepared> {
    let plan = plan_refactor(deployed, target, mappings).map_err(|problems| {
        let list: Vec<String> = problems
            .iter()
            .map(|p| format!("  - {}\n      Fix: {}", p.problem, p.fix))
            .collect();
        CliError::Failed(format!(
            "stack refactor: CloudFormation stack refactoring cannot carry out the declared renames and moves against the deployed stacks:\n{}\nNothing was deployed.",
            list.join("\n")
        ))
    })?;
    let mut definitions = Vec::new();
    for (stack, t) in &plan.templates {
        let body = serde_json::to_string(t).unwrap_or_default();
        if body.len() > MAX_INLINE_TEMPLATE_BYTES {
            return Err(CliError::Failed(format!(
                "stack refactor: the refactored template of {stack} has {} bytes, over the {MAX_INLINE_TEMPLATE_BYTES}-byte limit of an inline template body, and stackforge does not upload refactor templates to S3 yet. Nothing was deployed. Fix: carry out the refactor in smaller steps (fewer resources per stack), or keep the logical IDs",
                body.len()
            )));
        }
        definitions.push(json!({"StackName": stack_name(env, app, stack), "TemplateBody": body}));
    }
    let mapping_list: Vec<Value> = plan
        .mappings
        .iter()
        .map(|m| {
            json!({
                "Source": {"StackName": stack_name(env, app, &m.source.stack), "LogicalResourceId": m.source.logical_id},
                "Destination": {"StackName": stack_name(env, app, &m.destination.stack), "LogicalResourceId": m.destination.logical_id},
            })
        })
        .collect();
    fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
    let write = |name: &str, v: &Value| -> Result<PathBuf> {
        let path = dir.join(name);
        let text = serde_json::to_string_pretty(v).unwrap_or_default();
        fs::write(&path, text).map_err(|e| CliError::io(&path, e))?;
        Ok(path)
    };
    Ok(Prepared {
        definitions: write("stack-definitions.json", &Value::Array(definitions))?,
        mappings: write("resource-mappings.json", &Value::Array(mapping_list))?,
        plan,
    })
}

/// The CloudFormation stack name of short name `stack`.
pub fn stack_name(env: &EnvironmentAssembly, app: &str, stack: &str) -> String {
    env.stack(stack).map_or_else(
        || format!("{app}-{}-{stack}", env.environment.name()),
        |s| s.stack_name.clone(),
    )
}

/// The arguments after `aws` that create the refactor (global options are added by
/// [`AwsCli`]).
pub fn create_args(definitions: &str, mappings: &str, create_stacks: bool) -> Vec<String> {
    let mut args: Vec<String> = [
        "cloudformation",
        "create-stack-refactor",
        "--description",
        "stackforge: declared renames and moves",
        "--stack-definitions",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.push(format!("file://{definitions}"));
    args.push("--resource-mappings".into());
    args.push(format!("file://{mappings}"));
    if create_stacks {
        args.push("--enable-stack-creation".into());
    }
    args
}

/// The lines `deploy --dry-run` prints for `refactors`: the mappings as comments, then the
/// commands (the definitions file is built from the deployed templates at deploy time).
pub fn dry_run_lines(
    env: &EnvironmentAssembly,
    app: &str,
    refactors: &[&RecordedRefactor],
    program: &str,
    global: &[String],
) -> Vec<String> {
    if refactors.is_empty() {
        return Vec::new();
    }
    let count: usize = refactors.iter().map(|r| r.resources.len()).sum();
    let mut out = vec![format!(
        "# stack refactor first: {count} resource(s) renamed or moved by declared refactors (deploy leaves out mappings the deployed stacks already reflect)"
    )];
    for r in refactors {
        out.push(format!("#   {} `{}` -> `{}`:", r.verb(), r.from, r.to));
        for m in &r.resources {
            out.push(format!(
                "#     {} {} -> {} {}  ({})",
                stack_name(env, app, &m.source.stack),
                m.source.logical_id,
                stack_name(env, app, &m.destination.stack),
                m.destination.logical_id,
                m.type_name
            ));
        }
    }
    out.push("#   stack-definitions.json: the deployed templates of the stacks involved, with only these resources relocated".into());
    let line = |args: Vec<String>| {
        let mut all = args;
        all.extend(global.iter().cloned());
        super::plan::shell_line(program, &all)
    };
    out.push(line(create_args(
        "stack-definitions.json",
        "resource-mappings.json",
        false,
    )));
    out.push(
        "# (with --enable-stack-creation when a destination stack is not deployed yet)".into(),
    );
    out.push("# until its Status is CREATE_COMPLETE:".into());
    out.push(line(describe_args("STACK_REFACTOR_ID")));
    out.push(line(vec![
        "cloudformation".into(),
        "execute-stack-refactor".into(),
        "--stack-refactor-id".into(),
        "STACK_REFACTOR_ID".into(),
    ]));
    out.push("# until its ExecutionStatus is EXECUTE_COMPLETE:".into());
    out.push(line(describe_args("STACK_REFACTOR_ID")));
    out
}

fn describe_args(id: &str) -> Vec<String> {
    vec![
        "cloudformation".into(),
        "describe-stack-refactor".into(),
        "--stack-refactor-id".into(),
        id.into(),
    ]
}

/// Runs the prepared refactor: create, wait for validation, execute, wait for the end.
/// Progress goes to `log`. A refused or failed refactor is a [`CliError::Failed`] saying
/// CloudFormation's reason and that no stack was updated.
pub fn run(aws: &AwsCli, prepared: &Prepared, poll: Duration, log: &mut dyn Write) -> Result<()> {
    let defs = prepared.definitions.display().to_string();
    let maps = prepared.mappings.display().to_string();
    let args = create_args(&defs, &maps, !prepared.plan.created.is_empty());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let created = aws.json(&args).map_err(|e| {
        CliError::Failed(format!(
            "stack refactor: CloudFormation refused to create it: {e}. No stack was changed. Fix: see the reason, adjust the app or keep the logical IDs, and deploy again"
        ))
    })?;
    let id = created["StackRefactorId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let _ = writeln!(
        log,
        "stack refactor {id}: {} resource(s) across {}; validating",
        prepared.plan.mappings.len(),
        prepared
            .plan
            .templates
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    );
    let status = wait(aws, &id, poll, "Status", &["CREATE_IN_PROGRESS"])?;
    let available = status["ExecutionStatus"].as_str() == Some("AVAILABLE");
    if status["Status"].as_str() != Some("CREATE_COMPLETE") || !available {
        let reason = status["StatusReason"]
            .as_str()
            .or_else(|| status["ExecutionStatusReason"].as_str())
            .unwrap_or("no reason given");
        return Err(CliError::Failed(format!(
            "stack refactor {id} was refused by CloudFormation ({}, execution {}): {reason}. No stack was changed. Fix: resolve the reason (or keep the logical IDs instead of declaring the refactor) and deploy again",
            status["Status"].as_str().unwrap_or("?"),
            status["ExecutionStatus"].as_str().unwrap_or("?"),
        )));
    }
    let _ = writeln!(log, "stack refactor {id}: validated; executing");
    let out = aws
        .command(&[
            "cloudformation",
            "execute-stack-refactor",
            "--stack-refactor-id",
            &id,
        ])
        .output()
        .map_err(|e| {
            CliError::Failed(format!(
                "stack refactor {id}: cannot run the AWS CLI: {e}. No stack was updated"
            ))
        })?;
    if !out.status.success() {
        return Err(CliError::Failed(format!(
            "stack refactor {id}: execute-stack-refactor failed: {}. No stack was updated",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let status = wait(
        aws,
        &id,
        poll,
        "ExecutionStatus",
        &["EXECUTE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "AVAILABLE"],
    )?;
    match status["ExecutionStatus"].as_str() {
        Some("EXECUTE_COMPLETE") => {
            let _ = writeln!(log, "stack refactor {id}: EXECUTE_COMPLETE");
            Ok(())
        }
        other => Err(CliError::Failed(format!(
            "stack refactor {id} failed ({}): {}. CloudFormation rolls a failed refactor back; no stack was updated. Fix: resolve the reason and deploy again",
            other.unwrap_or("?"),
            status["ExecutionStatusReason"].as_str().unwrap_or("no reason given")
        ))),
    }
}

/// Polls `describe-stack-refactor` while `field` is one of `waiting`.
fn wait(aws: &AwsCli, id: &str, poll: Duration, field: &str, waiting: &[&str]) -> Result<Value> {
    let started = Instant::now();
    loop {
        let args = describe_args(id);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let v = aws.json(&args).map_err(|e| {
            CliError::Failed(format!("stack refactor {id}: cannot read its status: {e}"))
        })?;
        let now = v[field].as_str().unwrap_or_default();
        if !waiting.contains(&now) {
            return Ok(v);
        }
        if started.elapsed() > REFACTOR_TIMEOUT {
            return Err(CliError::Failed(format!(
                "stack refactor {id}: still {now} after {} minutes; stopped waiting. Nothing after it was deployed. Fix: check `aws cloudformation describe-stack-refactor --stack-refactor-id {id}` and deploy again when it is done",
                REFACTOR_TIMEOUT.as_secs() / 60
            )));
        }
        thread::sleep(poll);
    }
}
