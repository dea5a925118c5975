//! Stack events and how progress is shown: a line per step and per resource event, with an
//! `indicatif` spinner underneath when standard output is a terminal.

use std::collections::HashSet;
use std::io::Write;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Deserialize;

use super::aws::{AwsCli, AwsError};

/// One stack event, as `aws cloudformation describe-stack-events` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StackEvent {
    /// Unique per event.
    pub event_id: String,
    /// The resource's logical ID (the stack name for stack-level events).
    #[serde(default)]
    pub logical_resource_id: String,
    /// The resource type (`AWS::CloudFormation::Stack` for stack-level events).
    #[serde(default)]
    pub resource_type: String,
    /// When it happened, as the CLI prints it (ISO 8601).
    #[serde(default)]
    pub timestamp: String,
    /// `CREATE_IN_PROGRESS`, `UPDATE_FAILED`, ...
    #[serde(default)]
    pub resource_status: String,
    /// Why, when CloudFormation says.
    #[serde(default)]
    pub resource_status_reason: Option<String>,
}

impl StackEvent {
    /// Whether the status is a failure (`*_FAILED`).
    pub fn is_failure(&self) -> bool {
        self.resource_status.ends_with("_FAILED")
    }

    /// Whether the event is about the stack itself.
    pub fn is_stack(&self) -> bool {
        self.resource_type == "AWS::CloudFormation::Stack"
    }

    /// `HH:MM:SS  LogicalId  Type  STATUS  reason`.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{}  {}  {}  {}",
            time_of_day(&self.timestamp),
            self.logical_resource_id,
            self.resource_type,
            self.resource_status
        );
        if let Some(reason) = self
            .resource_status_reason
            .as_deref()
            .filter(|r| !r.is_empty())
        {
            line.push_str("  ");
            line.push_str(reason);
        }
        line
    }
}

/// The `HH:MM:SS` of an ISO 8601 timestamp (the whole text when it is not one).
fn time_of_day(timestamp: &str) -> &str {
    timestamp
        .split_once('T')
        .and_then(|(_, t)| t.get(..8))
        .unwrap_or(timestamp)
}

/// How many recent events one poll asks for; more new events than this between two polls
/// are not shown (they still count for the failure report when they are failures later).
const EVENTS_PER_POLL: &str = "100";

/// The events of one stack seen so far; tells the new ones apart.
#[derive(Debug, Default)]
pub struct EventLog {
    seen: HashSet<String>,
    /// Events that arrived since [`EventLog::baseline`], oldest first.
    pub new: Vec<StackEvent>,
}

impl EventLog {
    /// The stack's most recent events, newest first; an error for a stack that does not exist.
    pub fn fetch(aws: &AwsCli, stack_name: &str) -> Result<Vec<StackEvent>, AwsError> {
        let v = aws.json(&[
            "cloudformation",
            "describe-stack-events",
            "--stack-name",
            stack_name,
            "--max-items",
            EVENTS_PER_POLL,
        ])?;
        serde_json::from_value(v["StackEvents"].clone()).map_err(|e| AwsError::Output {
            command: "cloudformation describe-stack-events".into(),
            problem: e.to_string(),
        })
    }

    /// Marks `events` (from before the deploy) as old.
    pub fn baseline(&mut self, events: Vec<StackEvent>) {
        self.seen.extend(events.into_iter().map(|e| e.event_id));
    }

    /// Records `events` (newest first, as fetched) and returns the ones not seen before,
    /// oldest first.
    pub fn absorb(&mut self, events: Vec<StackEvent>) -> Vec<StackEvent> {
        let mut fresh: Vec<StackEvent> = events
            .into_iter()
            .filter(|e| self.seen.insert(e.event_id.clone()))
            .collect();
        fresh.reverse();
        self.new.extend(fresh.iter().cloned());
        fresh
    }

    /// The failures among the new events, oldest first.
    pub fn failures(&self) -> Vec<&StackEvent> {
        self.new.iter().filter(|e| e.is_failure()).collect()
    }

    /// The last stack-level status among the new events.
    pub fn stack_status(&self) -> Option<&str> {
        self.new
            .iter()
            .rev()
            .find(|e| e.is_stack())
            .map(|e| e.resource_status.as_str())
    }
}

/// Prints progress lines, with a spinner showing the current step when standard output is a
/// terminal (indicatif draws nothing otherwise, so captured output holds only the lines).
pub struct Reporter {
    bar: ProgressBar,
}

impl Reporter {
    /// A reporter drawing its spinner on standard output.
    pub fn new() -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        Reporter { bar }
    }

    /// Prints `text` as a line above the spinner.
    pub fn line(&self, out: &mut dyn Write, text: &str) {
        self.bar.suspend(|| {
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
        });
    }

    /// Sets what the spinner says.
    pub fn status(&self, message: String) {
        self.bar.set_message(message);
    }

    /// Advances the spinner (called from the polling loop; no background thread, so the
    /// spinner never competes for a locked standard output).
    pub fn tick(&self) {
        self.bar.tick();
    }

    /// Removes the spinner.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Default for Reporter {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, status: &str) -> StackEvent {
        StackEvent {
            event_id: id.into(),
            logical_resource_id: "Topic".into(),
            resource_type: "AWS::SNS::Topic".into(),
            timestamp: "2026-01-02T03:04:05.678Z".into(),
            resource_status: status.into(),
            resource_status_reason: None,
        }
    }

    #[test]
    fn absorb_returns_only_unseen_events_oldest_first() {
        let mut log = EventLog::default();
        log.baseline(vec![event("old", "CREATE_FAILED")]);
        let fresh = log.absorb(vec![
            event("b", "CREATE_COMPLETE"),
            event("a", "CREATE_IN_PROGRESS"),
            event("old", "CREATE_FAILED"),
        ]);
        let ids: Vec<&str> = fresh.iter().map(|e| e.event_id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert!(log.absorb(vec![event("b", "CREATE_COMPLETE")]).is_empty());
        assert!(
            log.failures().is_empty(),
            "the baseline's failure is not this deploy's"
        );
    }

    #[test]
    fn event_line_has_time_id_type_status_and_reason() {
        let mut e = event("a", "CREATE_FAILED");
        e.resource_status_reason = Some("boom".into());
        assert_eq!(
            e.line(),
            "03:04:05  Topic  AWS::SNS::Topic  CREATE_FAILED  boom"
        );
        e.timestamp = "yesterday".into();
        assert!(e.line().starts_with("yesterday  Topic"));
    }
}
