//! `ScanFindingsAlert`: an EventBridge rule sending ECR's scan results with findings of the
//! given severities to an SNS topic, so a vulnerable image reaches the people on call and
//! not only the console.
//!
//! AWS documentation, "Amazon ECR events and EventBridge" (event for an image scan): with
//! basic scanning ECR emits `ECR Image Scan` events whose `detail` holds `repository-name`,
//! `scan-status` and `finding-severity-counts` (a count per severity, present only when
//! non-zero). ECR publishes no CloudWatch metric of findings, so an alarm cannot watch them.

use serde_json::json;

use crate::aws::refs::TopicArn;
use crate::error::Result;
use crate::expr::Expr;
use crate::resource::ResourceHandle;
use crate::resources::events::{self as cfn, rule};
use crate::scope::Scope;
use crate::value::Str;

use super::Repository;

/// Severities ECR reports, most severe first.
pub const SEVERITIES: &[&str] = &["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"];

/// Props of [`ScanFindingsAlert`].
#[derive(Debug, Clone, PartialEq)]
pub struct ScanFindingsAlertProps {
    /// Severities that trigger the alert (from [`SEVERITIES`]). Default: `CRITICAL`, `HIGH`.
    pub severities: Vec<String>,
}

impl Default for ScanFindingsAlertProps {
    fn default() -> Self {
        Self {
            severities: vec!["CRITICAL".to_owned(), "HIGH".to_owned()],
        }
    }
}

/// An EventBridge rule (`AWS::Events::Rule` at `scope/id`) sending completed image scans of
/// a repository with findings of the chosen severities to a topic. The topic must let
/// EventBridge rules publish and use its key
/// ([`TopicProps::allow_event_rules`](crate::aws::sns::TopicProps::allow_event_rules)).
#[derive(Debug, Clone)]
pub struct ScanFindingsAlert {
    handle: ResourceHandle<cfn::Rule>,
}

impl ScanFindingsAlert {
    /// Adds the rule.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        repository: &Repository,
        topic: &TopicArn,
        props: ScanFindingsAlertProps,
    ) -> Result<ScanFindingsAlert> {
        if props.severities.is_empty() {
            return Err(scope.invalid(
                &format!("{id}.severities"),
                "no severity would ever trigger the alert".to_owned(),
                "list at least one, e.g. `CRITICAL` and `HIGH`",
            ));
        }
        for s in &props.severities {
            if !SEVERITIES.contains(&s.as_str()) {
                return Err(scope.invalid(
                    &format!("{id}.severities"),
                    format!("`{s}` is not a severity ECR reports"),
                    format!("use some of {SEVERITIES:?}"),
                ));
            }
        }
        let any_of: Vec<serde_json::Value> = props
            .severities
            .iter()
            .map(|s| json!({ s: [{"numeric": [">", 0]}] }))
            .collect();
        let severity_match = if any_of.len() == 1 {
            json!({"finding-severity-counts": any_of[0]})
        } else {
            json!({"$or": any_of.iter().map(|c| json!({"finding-severity-counts": c})).collect::<Vec<_>>()})
        };
        let mut detail = json!({"scan-status": ["COMPLETE"]});
        if let (Some(d), Some(m)) = (detail.as_object_mut(), severity_match.as_object()) {
            d.extend(m.clone());
        }
        let mut pattern = Expr::from(json!({
            "source": ["aws.ecr"],
            "detail-type": ["ECR Image Scan"],
            "detail": detail,
        }));
        if let Expr::Map(p) = &mut pattern {
            if let Some(Expr::Map(d)) = p.get_mut("detail") {
                d.insert(
                    "repository-name",
                    Expr::List(vec![repository.name().into()]),
                );
            }
        }
        let handle = scope.add(
            id,
            cfn::Rule {
                description: Some(Str::from(format!(
                    "Image scans with {} findings, to the alerting topic",
                    props.severities.join(" or ")
                ))),
                event_pattern: Some(pattern),
                state: Some(rule::State::Enabled),
                targets: Some(vec![rule::Target::new(
                    Str::from(topic.clone()),
                    "AlertingTopic",
                )]),
                ..Default::default()
            },
        )?;
        Ok(ScanFindingsAlert { handle })
    }

    /// The rule's ARN.
    pub fn arn(&self) -> Expr {
        self.handle.arn()
    }
}
