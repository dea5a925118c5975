//! Deployed stacks as CloudFormation reports them (`describe-stacks`): read before a deploy
//! or a destroy, and waited on while CloudFormation works on them, with their events shown.

use std::io::Write;
use std::thread;
use std::time::{Duration, Instant};

use super::aws::{AwsCli, AwsError};
use super::progress::{EventLog, Reporter, StackEvent};
use crate::error::{CliError, Result};

/// How long a wait for one stack lasts before giving up (the AWS CLI's own
/// `stack-delete-complete` waiter: 120 polls of 30 s).
pub const STACK_WAIT_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// A deployed stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedStack {
    /// `StackStatus` (`CREATE_COMPLETE`, `UPDATE_ROLLBACK_FAILED`, ...).
    pub status: String,
    /// `StackStatusReason`, when CloudFormation gives one.
    pub reason: Option<String>,
    /// When it last changed: `LastUpdatedTime`, or `CreationTime` for a stack never updated.
    pub updated: Option<String>,
    /// The names its outputs export (`Outputs[].ExportName`).
    pub exports: Vec<String>,
}

impl DeployedStack {
    /// Whether CloudFormation is still working on it (`*_IN_PROGRESS`; `REVIEW_IN_PROGRESS`,
    /// a stack made only of a change set, is not busy).
    pub fn is_busy(&self) -> bool {
        self.status.ends_with("_IN_PROGRESS") && self.status != "REVIEW_IN_PROGRESS"
    }
}

/// The stack `stack_name` (`aws cloudformation describe-stacks --stack-name`), or `None`
/// when it does not exist (never created, or deleted).
pub fn describe(aws: &AwsCli, stack_name: &str) -> Result<Option<DeployedStack>> {
    let v = match aws.json(&[
        "cloudformation",
        "describe-stacks",
        "--stack-name",
        stack_name,
    ]) {
        Ok(v) => v,
        Err(AwsError::Failed { stderr, .. }) if stderr.contains("does not exist") => {
            return Ok(None)
        }
        Err(e) => {
            return Err(CliError::Failed(format!(
                "cannot read the state of stack {stack_name}: {e}. Nothing was changed."
            )))
        }
    };
    let Some(stack) = v["Stacks"].get(0) else {
        return Ok(None);
    };
    let status = stack["StackStatus"].as_str().unwrap_or_default().to_owned();
    if status == "DELETE_COMPLETE" {
        return Ok(None);
    }
    let exports = stack["Outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["ExportName"].as_str().map(str::to_owned))
        .collect();
    Ok(Some(DeployedStack {
        status,
        reason: stack["StackStatusReason"]
            .as_str()
            .filter(|r| !r.is_empty())
            .map(str::to_owned),
        updated: stack["LastUpdatedTime"]
            .as_str()
            .or_else(|| stack["CreationTime"].as_str())
            .map(str::to_owned),
        exports,
    }))
}

/// How a wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waited {
    /// The final status; `None` when the stack is gone (deleted).
    pub status: Option<String>,
    /// The `*_FAILED` events seen while waiting, oldest first.
    pub failures: Vec<StackEvent>,
}

/// Waits until CloudFormation is done with `stack_name` (its status no longer
/// `*_IN_PROGRESS`, or the stack is gone), printing its new events under `label`.
/// `log` holds the events from before the operation (its baseline).
pub fn wait(
    aws: &AwsCli,
    stack_name: &str,
    log: &mut EventLog,
    poll: Duration,
    reporter: &Reporter,
    out: &mut dyn Write,
) -> Result<Waited> {
    let started = Instant::now();
    loop {
        // A failed event poll (the stack just went away, throttling) is retried next time.
        if let Ok(events) = EventLog::fetch(aws, stack_name) {
            for e in log.absorb(events) {
                reporter.line(out, &format!("    {}", e.line()));
            }
        }
        let now = describe(aws, stack_name)?;
        match now {
            Some(s) if s.is_busy() => {}
            other => {
                return Ok(Waited {
                    status: other.map(|s| s.status),
                    failures: log.failures().into_iter().cloned().collect(),
                })
            }
        }
        if started.elapsed() > STACK_WAIT_TIMEOUT {
            return Err(CliError::Failed(format!(
                "stack {stack_name}: CloudFormation is still working on it after {} minutes; stopped waiting. Fix: check `aws cloudformation describe-stacks --stack-name {stack_name}` and run the command again when it is done",
                STACK_WAIT_TIMEOUT.as_secs() / 60
            )));
        }
        reporter.tick();
        thread::sleep(poll);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_means_cloudformation_is_working_on_it() {
        let s = |status: &str| DeployedStack {
            status: status.into(),
            reason: None,
            updated: None,
            exports: Vec::new(),
        };
        for busy in [
            "CREATE_IN_PROGRESS",
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            "UPDATE_ROLLBACK_IN_PROGRESS",
            "DELETE_IN_PROGRESS",
        ] {
            assert!(s(busy).is_busy(), "{busy}");
        }
        for idle in [
            "REVIEW_IN_PROGRESS",
            "CREATE_COMPLETE",
            "UPDATE_ROLLBACK_FAILED",
            "ROLLBACK_COMPLETE",
        ] {
            assert!(!s(idle).is_busy(), "{idle}");
        }
    }
}
