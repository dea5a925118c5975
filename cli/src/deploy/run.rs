//! Deploying one stack: run `aws cloudformation deploy`, translate its output into steps,
//! and poll the stack's events while it runs; or, for `--apply`, execute its reviewed
//! change set and wait for it ([`StackJob::run`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use super::aws::AwsCli;
use super::progress::{EventLog, Reporter, StackEvent};
use super::reviewed::{execute, Executed};
use crate::error::{CliError, Result};

/// Environment variable setting how often stack events are polled, in milliseconds.
pub const POLL_ENV: &str = "STACKFORGE_DEPLOY_POLL_MS";

/// The default event polling interval.
pub const DEFAULT_POLL: Duration = Duration::from_secs(2);

/// The polling interval: `$STACKFORGE_DEPLOY_POLL_MS` or [`DEFAULT_POLL`].
pub fn poll_interval() -> Duration {
    std::env::var(POLL_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_POLL)
}

/// How a stack's deploy ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The change set was executed; holds the final stack status when an event told it.
    Deployed(Option<String>),
    /// The change set was empty.
    NoChanges,
    /// The deploy failed.
    Failed {
        /// The final stack status, when an event told it.
        status: Option<String>,
        /// The `*_FAILED` events of this deploy, oldest first.
        failures: Vec<StackEvent>,
        /// What the AWS CLI printed (for failures without events, such as a rejected
        /// change set).
        output: String,
    },
}

/// What is done to one stack.
#[derive(Debug, Clone)]
pub enum Action {
    /// `aws` with these arguments (`cloudformation deploy ...`).
    Deploy(Vec<String>),
    /// Execute the reviewed change set with this ARN (`deploy --apply`).
    ExecuteChangeSet(String),
    /// Nothing: the reviewed plan found no changes for it.
    Unchanged,
}

/// One stack to deploy.
#[derive(Debug, Clone)]
pub struct StackJob {
    /// `[2/5] migration-api-dev-data`: how its lines start.
    pub label: String,
    /// The CloudFormation stack name.
    pub stack_name: String,
    /// What is done to it.
    pub action: Action,
}

impl StackJob {
    /// Carries out the job, printing progress to `out`; returns how it ended. Errors when
    /// the AWS CLI cannot be started or refuses to execute a change set.
    pub fn run(
        &self,
        aws: &AwsCli,
        poll: Duration,
        reporter: &Reporter,
        out: &mut dyn Write,
    ) -> Result<Outcome> {
        let label = &self.label;
        match &self.action {
            Action::Deploy(args) => deploy_stack(aws, self, args, poll, reporter, out),
            Action::ExecuteChangeSet(id) => {
                match execute(aws, &self.stack_name, id, label, poll, reporter, out)? {
                    Executed::Done(status) => {
                        reporter.line(out, &format!("{label}: {status}"));
                        Ok(Outcome::Deployed(Some(status)))
                    }
                    Executed::Failed(waited) => Ok(Outcome::Failed {
                        status: waited.status,
                        failures: waited.failures,
                        output: String::new(),
                    }),
                }
            }
            Action::Unchanged => {
                reporter.line(out, &format!("{label}: no changes (as planned)"));
                Ok(Outcome::NoChanges)
            }
        }
    }
}

/// Deploys `job` with `aws` and `args`, printing progress to `out`; returns how it ended.
/// Errors only when the AWS CLI cannot be started.
fn deploy_stack(
    aws: &AwsCli,
    job: &StackJob,
    args: &[String],
    poll: Duration,
    reporter: &Reporter,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let started = Instant::now();
    let label = &job.label;
    reporter.status(format!("{label}: starting"));
    reporter.line(out, &format!("{label}: started"));
    let mut log = EventLog::default();
    // A stack that does not exist yet has no events: nothing to skip.
    if let Ok(events) = EventLog::fetch(aws, &job.stack_name) {
        log.baseline(events);
    }

    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = aws
        .command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            CliError::Failed(format!(
                "{label}: cannot run `{}`: {e}. Nothing was deployed for this stack.",
                aws.program()
            ))
        })?;
    let (tx, lines) = mpsc::channel::<String>();
    if let Some(stdout) = child.stdout.take() {
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    let stderr = child.stderr.take().map(|mut e| {
        thread::spawn(move || {
            let mut s = String::new();
            let _ = e.read_to_string(&mut s);
            s
        })
    });

    let mut transcript = String::new();
    let mut no_changes = false;
    let mut last_poll = Instant::now();
    loop {
        match lines.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                transcript.push_str(&line);
                transcript.push('\n');
                if let Some(step) = step(&line, &mut no_changes) {
                    reporter.line(out, &format!("{label}: {step}"));
                    reporter.status(format!("{label}: {step}"));
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        reporter.tick();
        if last_poll.elapsed() >= poll {
            print_new_events(aws, job, &mut log, reporter, out);
            last_poll = Instant::now();
        }
    }
    let status = child.wait();
    let stderr = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    print_new_events(aws, job, &mut log, reporter, out);

    let took = format!("{:.1}s", started.elapsed().as_secs_f64());
    let succeeded = status.as_ref().is_ok_and(|s| s.success());
    let outcome = if succeeded && no_changes {
        reporter.line(out, &format!("{label}: no changes ({took})"));
        Outcome::NoChanges
    } else if succeeded {
        let status = log.stack_status().map(str::to_owned);
        let done = status.as_deref().unwrap_or("deployed");
        reporter.line(out, &format!("{label}: {done} in {took}"));
        Outcome::Deployed(status)
    } else {
        let status = log.stack_status().map(str::to_owned);
        let failed = status.as_deref().unwrap_or("failed");
        reporter.line(out, &format!("{label}: FAILED ({failed}) after {took}"));
        Outcome::Failed {
            status,
            failures: log.failures().into_iter().cloned().collect(),
            output: format!("{}\n{}", transcript.trim(), stderr.trim())
                .trim()
                .to_owned(),
        }
    };
    Ok(outcome)
}

/// The step an `aws cloudformation deploy` output line announces, if any.
fn step(line: &str, no_changes: &mut bool) -> Option<String> {
    let line = line.trim();
    if line.is_empty()
        || line.starts_with("Successfully created/updated stack")
        || line.starts_with("Failed to create/update the stack")
        || line.starts_with("to fetch the list of events")
        || line.starts_with("aws cloudformation describe-stack-events")
    {
        None
    } else if line.starts_with("Waiting for changeset to be created") {
        Some("creating change set".into())
    } else if line.starts_with("Waiting for stack create/update to complete") {
        Some("change set created; executing".into())
    } else if line.starts_with("No changes to deploy") {
        *no_changes = true;
        None
    } else {
        Some(format!("aws: {line}"))
    }
}

fn print_new_events(
    aws: &AwsCli,
    job: &StackJob,
    log: &mut EventLog,
    reporter: &Reporter,
    out: &mut dyn Write,
) {
    // A failed poll (the stack does not exist yet, throttling) is retried at the next one.
    if let Ok(events) = EventLog::fetch(aws, &job.stack_name) {
        for e in log.absorb(events) {
            reporter.line(out, &format!("    {}", e.line()));
        }
    }
}

/// The failure report of a failed stack: every `*_FAILED` event with its reason, or what
/// the AWS CLI printed when there were none.
pub fn failure_report(stack_name: &str, outcome: &Outcome) -> String {
    let Outcome::Failed {
        status,
        failures,
        output,
    } = outcome
    else {
        return String::new();
    };
    let status = status
        .as_deref()
        .map_or(String::new(), |s| format!(" ({s})"));
    if failures.is_empty() {
        let said = if output.is_empty() {
            "the AWS CLI printed nothing".to_owned()
        } else {
            output.clone()
        };
        return format!("stack {stack_name} failed{status}:\n{said}\n");
    }
    let mut text = format!("stack {stack_name} failed{status}. Failed resources:\n");
    for e in failures {
        text.push_str(&format!(
            "  {} ({}) {}: {}\n",
            e.logical_resource_id,
            e.resource_type,
            e.resource_status,
            e.resource_status_reason
                .as_deref()
                .filter(|r| !r.is_empty())
                .unwrap_or("no reason given")
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_come_from_the_aws_cli_lines() {
        let mut none = false;
        assert_eq!(
            step("Waiting for changeset to be created..", &mut none).as_deref(),
            Some("creating change set")
        );
        assert_eq!(step("", &mut none), None);
        assert_eq!(
            step("Successfully created/updated stack - s", &mut none),
            None
        );
        assert!(!none);
        assert_eq!(
            step("No changes to deploy. Stack s is up to date", &mut none),
            None
        );
        assert!(none);
        assert_eq!(
            step("Uploading to b/k.template  1 of 1", &mut none).as_deref(),
            Some("aws: Uploading to b/k.template  1 of 1")
        );
    }
}
