//! What the gate found: violations, suppressed findings and unreadable inputs, as text or
//! one JSON document.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};

use super::catalog::Severity;

/// A rule that a resource (or, for per-environment rules without one, a whole scope) fails.
///
/// The texts that repeat across findings (rule, source, stack, type, message) are shared:
/// a gate run over an app that is not hardened yet reports one finding per resource and rule
/// (66,500 at 100,000 resources), and copies of the same message were half of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The rule id (`RDS_STORAGE_ENCRYPTED`) or custom rule name.
    pub rule: Arc<str>,
    /// How serious it is.
    pub severity: Severity,
    /// Where: `env/stack` for the app, the file path for `check PATH`, or the environment or
    /// folder for a finding about no single resource.
    pub source: Arc<str>,
    /// The CloudFormation stack name, for the app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack: Option<Arc<str>>,
    /// The template file, for `check PATH`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// The resource's logical ID.
    pub logical_id: Option<String>,
    /// The resource type.
    pub resource_type: Option<Arc<str>>,
    /// The construct path (`Metadata."stackforge:path"`), when the template has one.
    pub path: Option<String>,
    /// What is wrong and how to fix it.
    pub message: Arc<str>,
}

/// A finding waived by a suppression, with the reason given for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuppressedFinding {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// Why the rule does not apply (from `Metadata."stackforge:suppressions"`).
    pub reason: String,
    /// The construct path the suppression was declared on.
    pub suppressed_at: Option<String>,
}

/// An input that could not be checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputError {
    /// The file or folder.
    pub path: PathBuf,
    /// Why, and how to fix it.
    pub problem: String,
}

/// What a gate run found, as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every input was read and nothing fails the gate.
    Clean,
    /// Something fails the gate.
    Violations,
    /// An input could not be read or is not CloudFormation.
    InputErrors,
}

/// The result of one gate run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// Findings that fail the gate.
    pub violations: Vec<Finding>,
    /// Findings waived by suppressions.
    pub suppressed: Vec<SuppressedFinding>,
    /// Inputs that could not be read or are not CloudFormation.
    pub input_errors: Vec<InputError>,
    /// Templates checked.
    pub templates: usize,
    /// Resources checked.
    pub resources: usize,
    /// Rules evaluated.
    pub rules: usize,
}

impl Report {
    /// True when nothing fails the gate and every input was read.
    pub fn passed(&self) -> bool {
        self.violations.is_empty() && self.input_errors.is_empty()
    }

    /// What the run found: an input that could not be checked wins over violations.
    pub fn outcome(&self) -> Outcome {
        if !self.input_errors.is_empty() {
            Outcome::InputErrors
        } else if !self.violations.is_empty() {
            Outcome::Violations
        } else {
            Outcome::Clean
        }
    }

    /// The violations that name `rule`.
    pub fn violations_of<'a>(&'a self, rule: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.violations.iter().filter(move |f| &*f.rule == rule)
    }

    /// The text report: violations, then suppressed findings, then a summary line. Input
    /// errors are counted in the summary (commands print them to stderr).
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        if !self.violations.is_empty() {
            let _ = writeln!(s, "policy violations ({}):\n", self.violations.len());
            for f in &self.violations {
                let _ = writeln!(s, "  {}", headline(f));
                let _ = writeln!(s, "      {}\n", f.message);
            }
        }
        if !self.suppressed.is_empty() {
            let _ = writeln!(s, "suppressed findings ({}):\n", self.suppressed.len());
            for sf in &self.suppressed {
                let _ = writeln!(s, "  {}", headline(&sf.finding));
                let at = sf
                    .suppressed_at
                    .as_deref()
                    .map(|p| format!(" (suppressed at {p})"))
                    .unwrap_or_default();
                let _ = writeln!(s, "      reason: {}{at}\n", sf.reason);
            }
        }
        let _ = writeln!(s, "{}", self.summary());
        s
    }

    /// One line: passed or failed, with counts.
    pub fn summary(&self) -> String {
        let mut parts = vec![plural(self.violations.len(), "violation")];
        if !self.suppressed.is_empty() {
            parts.push(format!("{} suppressed", self.suppressed.len()));
        }
        if !self.input_errors.is_empty() {
            parts.push(plural(self.input_errors.len(), "unreadable input"));
        }
        format!(
            "policy gate {}: {}; {} on {} ({})",
            if self.passed() { "passed" } else { "FAILED" },
            parts.join(", "),
            plural(self.rules, "rule"),
            plural(self.templates, "template"),
            plural(self.resources, "resource"),
        )
    }

    /// The machine-readable report.
    pub fn to_json(&self) -> Value {
        json!({
            "summary": {
                "passed": self.passed(),
                "violations": self.violations.len(),
                "suppressed": self.suppressed.len(),
                "input_errors": self.input_errors.len(),
                "templates": self.templates,
                "resources": self.resources,
                "rules": self.rules,
            },
            "violations": self.violations,
            "suppressed": self.suppressed,
            "input_errors": self.input_errors,
        })
    }
}

fn headline(f: &Finding) -> String {
    let mut line = format!("[{}] {}  {}", f.severity.as_str(), f.rule, f.source);
    if let Some(stack) = &f.stack {
        let _ = write!(line, " ({stack})");
    }
    match (&f.logical_id, &f.resource_type) {
        (Some(id), Some(t)) => {
            let _ = write!(line, "  {id} {t}");
        }
        (Some(id), None) => {
            let _ = write!(line, "  {id}");
        }
        _ => {}
    }
    if let Some(path) = &f.path {
        let _ = write!(line, "  at {path}");
    }
    line
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> Finding {
        Finding {
            rule: "S3_TLS_ONLY".into(),
            severity: Severity::High,
            source: "dev/data".into(),
            stack: Some("app-dev-data".into()),
            file: None,
            logical_id: Some("Bucket83908E77".into()),
            resource_type: Some("AWS::S3::Bucket".into()),
            path: Some("data/Bucket/Resource".into()),
            message: "No policy. Fix: add one.".into(),
        }
    }

    #[test]
    fn text_lists_violations_and_suppressions_with_reasons() {
        let report = Report {
            violations: vec![finding()],
            suppressed: vec![SuppressedFinding {
                finding: Finding {
                    rule: "LOGS_RETENTION".into(),
                    ..finding()
                },
                reason: "kept forever by law".into(),
                suppressed_at: Some("data".into()),
            }],
            templates: 1,
            resources: 2,
            rules: 40,
            ..Report::default()
        };
        let text = report.render_text();
        assert!(text.contains("[high] S3_TLS_ONLY  dev/data (app-dev-data)  Bucket83908E77 AWS::S3::Bucket  at data/Bucket/Resource\n      No policy. Fix: add one."), "{text}");
        assert!(
            text.contains("reason: kept forever by law (suppressed at data)"),
            "{text}"
        );
        assert!(text.ends_with("policy gate FAILED: 1 violation, 1 suppressed; 40 rules on 1 template (2 resources)\n"), "{text}");
        assert_eq!(report.outcome(), Outcome::Violations);
        let json = report.to_json();
        assert_eq!(json["violations"][0]["logical_id"], "Bucket83908E77");
        assert_eq!(json["suppressed"][0]["reason"], "kept forever by law");
        assert_eq!(json["suppressed"][0]["rule"], "LOGS_RETENTION");
    }

    #[test]
    fn input_errors_win_over_violations() {
        let mut report = Report {
            violations: vec![finding()],
            ..Report::default()
        };
        report.input_errors.push(InputError {
            path: "x.json".into(),
            problem: "empty".into(),
        });
        assert_eq!(report.outcome(), Outcome::InputErrors);
        assert_eq!(Report::default().outcome(), Outcome::Clean);
    }
}
