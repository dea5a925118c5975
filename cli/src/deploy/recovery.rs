//! Stacks a deploy cannot update as they are, recognised before anything runs, with the
//! action CloudFormation allows offered instead of a raw CLI error (stack status codes:
//! <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes>):
//!
//! - `ROLLBACK_COMPLETE`, `ROLLBACK_FAILED`, `CREATE_FAILED`: the first creation failed;
//!   "only a delete operation can be performed", so the stack is deleted and created again;
//! - `UPDATE_ROLLBACK_FAILED`: an update failed and so did its rollback; the stack is
//!   rolled back with `continue-update-rollback`, after which it can be updated;
//! - `DELETE_FAILED`: a delete stopped halfway; nobody should deploy over it;
//! - `*_IN_PROGRESS`: CloudFormation is working on it; wait.

use std::fmt;
use std::io::Write;
use std::time::Duration;

use super::aws::AwsCli;
use super::progress::{EventLog, Reporter};
use super::stack_status::{self, DeployedStack};
use crate::error::{CliError, Result};

/// What a stack needs before it can be deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// Its first creation failed: delete it, then create it again.
    Recreate,
    /// A failed update's rollback failed: `continue-update-rollback`.
    ContinueRollback,
    /// CloudFormation is working on it: wait.
    Busy,
    /// A state `deploy` does not repair (`DELETE_FAILED`, a failed import rollback).
    Manual,
}

/// A stack of the deploy that needs something first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stuck {
    /// The CloudFormation stack name.
    pub stack_name: String,
    /// Its status.
    pub status: String,
    /// CloudFormation's reason for it, when given.
    pub reason: Option<String>,
    /// What it needs.
    pub blocker: Blocker,
}

/// What `status` (a deployed stack's `StackStatus`) needs before a deploy, if anything.
pub fn blocker(stack: &DeployedStack) -> Option<Blocker> {
    match stack.status.as_str() {
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" | "CREATE_FAILED" => Some(Blocker::Recreate),
        "UPDATE_ROLLBACK_FAILED" => Some(Blocker::ContinueRollback),
        "DELETE_FAILED" | "IMPORT_ROLLBACK_FAILED" => Some(Blocker::Manual),
        _ if stack.is_busy() => Some(Blocker::Busy),
        _ => None,
    }
}

impl Stuck {
    /// Whether `deploy --recover` repairs it.
    pub fn recoverable(&self) -> bool {
        matches!(self.blocker, Blocker::Recreate | Blocker::ContinueRollback)
    }

    /// The `aws` arguments of the recovery, if `deploy` carries one out.
    pub fn action_args(&self) -> Option<Vec<String>> {
        let verb = match self.blocker {
            Blocker::Recreate => "delete-stack",
            Blocker::ContinueRollback => "continue-update-rollback",
            Blocker::Busy | Blocker::Manual => return None,
        };
        Some(vec![
            "cloudformation".into(),
            verb.into(),
            "--stack-name".into(),
            self.stack_name.clone(),
        ])
    }
}

impl fmt::Display for Stuck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = self
            .reason
            .as_deref()
            .filter(|r| !r.is_empty())
            .map_or(String::new(), |r| format!(" ({r})"));
        let (s, st) = (&self.stack_name, &self.status);
        match self.blocker {
            Blocker::Recreate => write!(
                f,
                "stack {s} is {st}{reason}: its first creation failed, and CloudFormation can only delete such a stack. Fix: deploy with --recover to delete it and create it again (resources with DeletionPolicy Retain that the failed creation left behind stay and may collide by name), or delete it yourself: aws cloudformation delete-stack --stack-name {s}"
            ),
            Blocker::ContinueRollback => write!(
                f,
                "stack {s} is {st}{reason}: an update failed and so did its rollback; it cannot be updated until the rollback completes. Fix: deploy with --recover to run `aws cloudformation continue-update-rollback --stack-name {s}` first (fix what made the rollback fail, such as a resource changed or deleted outside CloudFormation, or skip that resource with --resources-to-skip yourself)"
            ),
            Blocker::Busy => write!(
                f,
                "stack {s} is {st}: CloudFormation is working on it. Fix: wait until it is done (aws cloudformation describe-stacks --stack-name {s}) and deploy again"
            ),
            Blocker::Manual => write!(
                f,
                "stack {s} is {st}{reason}; deploy does not repair this state. Fix: see its events (aws cloudformation describe-stack-events --stack-name {s}), resolve the cause, delete or roll it back, and deploy again"
            ),
        }
    }
}

/// The stacks among `stack_names` (in deploy order) that need something before a deploy.
pub fn find_stuck(aws: &AwsCli, stack_names: &[&str]) -> Result<Vec<Stuck>> {
    let mut stuck = Vec::new();
    for name in stack_names {
        let Some(stack) = stack_status::describe(aws, name)? else {
            continue;
        };
        if let Some(blocker) = blocker(&stack) {
            stuck.push(Stuck {
                stack_name: (*name).to_owned(),
                status: stack.status,
                reason: stack.reason,
                blocker,
            });
        }
    }
    Ok(stuck)
}

/// Carries out the recovery of `stuck` (recoverable) and waits for its end, printing progress
/// under `label`: the stack is gone (recreate) or `UPDATE_ROLLBACK_COMPLETE` afterwards.
pub fn recover(
    aws: &AwsCli,
    stuck: &Stuck,
    poll: Duration,
    reporter: &Reporter,
    out: &mut dyn Write,
) -> Result<()> {
    let Some(args) = stuck.action_args() else {
        return Err(CliError::Failed(stuck.to_string()));
    };
    let name = &stuck.stack_name;
    let mut log = EventLog::default();
    if let Ok(events) = EventLog::fetch(aws, name) {
        log.baseline(events);
    }
    reporter.line(out, &format!("recover {name}: aws {}", args.join(" ")));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let ran = aws.command(&refs).output().map_err(|e| {
        CliError::Failed(format!(
            "recover {name}: cannot run `{}`: {e}. Nothing was deployed.",
            aws.program()
        ))
    })?;
    if !ran.status.success() {
        return Err(CliError::Failed(format!(
            "recover {name}: `aws {}` failed: {}. Nothing was deployed.",
            args.join(" "),
            String::from_utf8_lossy(&ran.stderr).trim()
        )));
    }
    let waited = stack_status::wait(aws, name, &mut log, poll, reporter, out)?;
    let wanted = match stuck.blocker {
        Blocker::Recreate => None,
        _ => Some("UPDATE_ROLLBACK_COMPLETE"),
    };
    if waited.status.as_deref() == wanted {
        let done = wanted.unwrap_or("deleted; it is created again below");
        reporter.line(out, &format!("recover {name}: {done}"));
        return Ok(());
    }
    let mut reasons: Vec<String> = waited
        .failures
        .iter()
        .map(|e| {
            format!(
                "  {} ({}) {}: {}",
                e.logical_resource_id,
                e.resource_type,
                e.resource_status,
                e.resource_status_reason
                    .as_deref()
                    .unwrap_or("no reason given")
            )
        })
        .collect();
    if reasons.is_empty() {
        reasons.push("  (no failed events)".into());
    }
    let skip: Vec<&str> = waited
        .failures
        .iter()
        .filter(|e| !e.is_stack())
        .map(|e| e.logical_resource_id.as_str())
        .collect();
    let fix = match stuck.blocker {
        Blocker::ContinueRollback if !skip.is_empty() => format!(
            "resolve the reasons above, or skip the resources that cannot roll back (their state then differs from the template): aws cloudformation continue-update-rollback --stack-name {name} --resources-to-skip {}",
            skip.join(" ")
        ),
        _ => "resolve the reasons above and deploy again with --recover".to_owned(),
    };
    Err(CliError::Failed(format!(
        "recover {name}: it ended {} instead. Failed resources:\n{}\nNothing was deployed. Fix: {fix}",
        waited.status.as_deref().unwrap_or("deleted"),
        reasons.join("\n")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(status: &str) -> DeployedStack {
        DeployedStack {
            status: status.into(),
            reason: None,
            updated: None,
            exports: Vec::new(),
        }
    }

    #[test]
    fn each_status_gets_the_action_cloudformation_allows() {
        let cases = [
            ("CREATE_COMPLETE", None),
            ("UPDATE_ROLLBACK_COMPLETE", None),
            ("REVIEW_IN_PROGRESS", None),
            ("ROLLBACK_COMPLETE", Some(Blocker::Recreate)),
            ("ROLLBACK_FAILED", Some(Blocker::Recreate)),
            ("CREATE_FAILED", Some(Blocker::Recreate)),
            ("UPDATE_ROLLBACK_FAILED", Some(Blocker::ContinueRollback)),
            ("DELETE_FAILED", Some(Blocker::Manual)),
            ("UPDATE_IN_PROGRESS", Some(Blocker::Busy)),
        ];
        for (status, want) in cases {
            assert_eq!(blocker(&stack(status)), want, "{status}");
        }
    }

    #[test]
    fn only_recreate_and_continue_rollback_have_an_action() {
        let stuck = |blocker| Stuck {
            stack_name: "s".into(),
            status: "X".into(),
            reason: None,
            blocker,
        };
        assert_eq!(
            stuck(Blocker::Recreate).action_args().unwrap()[1],
            "delete-stack"
        );
        assert_eq!(
            stuck(Blocker::ContinueRollback).action_args().unwrap()[1],
            "continue-update-rollback"
        );
        assert!(stuck(Blocker::Busy).action_args().is_none());
        assert!(!stuck(Blocker::Manual).recoverable());
    }
}
