//! Drift: what changed in the deployed resources outside CloudFormation, found by
//! CloudFormation's drift detection (`DetectStackDrift`, `DescribeStackDriftDetectionStatus`,
//! `DescribeStackResourceDrifts`), with the changes that touch an item of the security and
//! monitoring guide marked.

use std::fmt::Write as _;
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use super::aws::AwsCli;
use crate::error::{CliError, Result};

/// How long one stack's detection may take (CloudFormation detects most stacks in minutes).
pub const DETECTION_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The guide items drift can undo: resource type, property path prefix (`""`: any change,
/// and deleting the resource), and the item.
pub const GUIDE_ITEMS: &[(&str, &str, &str)] = &[
    (
        "AWS::EC2::SecurityGroup",
        "/SecurityGroupIngress",
        "security-group rules",
    ),
    (
        "AWS::EC2::SecurityGroup",
        "/SecurityGroupEgress",
        "security-group rules",
    ),
    ("AWS::EC2::SecurityGroupIngress", "", "security-group rules"),
    ("AWS::EC2::SecurityGroupEgress", "", "security-group rules"),
    (
        "AWS::ElasticLoadBalancingV2::Listener",
        "/SslPolicy",
        "listener TLS policy",
    ),
    ("AWS::WAFv2::WebACL", "/Rules", "WAF rate limit"),
    ("AWS::KMS::Key", "/EnableKeyRotation", "key rotation"),
    (
        "AWS::RDS::DBInstance",
        "/StorageEncrypted",
        "database encryption",
    ),
    ("AWS::RDS::DBInstance", "/KmsKeyId", "database encryption"),
    (
        "AWS::RDS::DBInstance",
        "/PubliclyAccessible",
        "database public access",
    ),
    (
        "AWS::RDS::DBInstance",
        "/EnableIAMDatabaseAuthentication",
        "database IAM authentication",
    ),
    ("AWS::Logs::LogGroup", "/RetentionInDays", "log retention"),
];

/// The guide item a change at `path` of a `type_name` resource touches (`None` for the
/// path: the resource was deleted).
pub fn guide_item(type_name: &str, path: Option<&str>) -> Option<&'static str> {
    GUIDE_ITEMS
        .iter()
        .find(|(t, prefix, _)| {
            *t == type_name
                && match path {
                    None => true,
                    Some(p) => {
                        prefix.is_empty()
                            || p == *prefix
                            || p.strip_prefix(prefix).is_some_and(|r| r.starts_with('/'))
                    }
                }
        })
        .map(|(_, _, item)| *item)
}

/// One drifted property (`PropertyDifferences[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PropertyDrift {
    /// `/SecurityGroupIngress/0/CidrIp`.
    pub path: String,
    /// `ADD`, `REMOVE` or `NOT_EQUAL`.
    pub difference: String,
    /// The template's value.
    pub expected: String,
    /// The deployed value.
    pub actual: String,
    /// The guide item it touches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guide_item: Option<&'static str>,
}

/// One drifted resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceDrift {
    /// Its logical ID.
    pub logical_id: String,
    /// Its physical ID.
    pub physical_id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// `MODIFIED` or `DELETED`.
    pub status: String,
    /// The drifted properties (none for a deleted resource).
    pub properties: Vec<PropertyDrift>,
    /// The guide item a deletion touches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guide_item: Option<&'static str>,
}

/// One stack's drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackDrift {
    /// The CloudFormation stack name.
    pub stack_name: String,
    /// `DRIFTED`, `IN_SYNC`, `UNKNOWN`, or `NOT_DEPLOYED`.
    pub status: String,
    /// Why detection could not check everything, when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detection_problem: Option<String>,
    /// The drifted resources.
    pub resources: Vec<ResourceDrift>,
}

impl StackDrift {
    /// Whether anything drifted.
    pub fn drifted(&self) -> bool {
        !self.resources.is_empty() || self.status == "DRIFTED"
    }
}

/// Runs drift detection on `stack_name` and reads its drifted resources.
pub fn detect(aws: &AwsCli, stack_name: &str, poll: Duration) -> Result<StackDrift> {
    let fail = |e: String| CliError::Failed(format!("drift detection of {stack_name}: {e}"));
    let started = aws
        .json(&[
            "cloudformation",
            "detect-stack-drift",
            "--stack-name",
            stack_name,
        ])
        .map_err(|e| fail(e.to_string()))?;
    let id = started["StackDriftDetectionId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let begun = Instant::now();
    let status = loop {
        let v = aws
            .json(&[
                "cloudformation",
                "describe-stack-drift-detection-status",
                "--stack-drift-detection-id",
                &id,
            ])
            .map_err(|e| fail(e.to_string()))?;
        if v["DetectionStatus"].as_str() != Some("DETECTION_IN_PROGRESS") {
            break v;
        }
        if begun.elapsed() > DETECTION_TIMEOUT {
            return Err(fail(format!(
                "still in progress after {} minutes (detection {id})",
                DETECTION_TIMEOUT.as_secs() / 60
            )));
        }
        thread::sleep(poll);
    };
    // DETECTION_FAILED still reports the resources it could check.
    let detection_problem =
        (status["DetectionStatus"].as_str() == Some("DETECTION_FAILED")).then(|| {
            status["DetectionStatusReason"]
                .as_str()
                .unwrap_or("detection failed")
                .to_owned()
        });
    let v = aws
        .json(&[
            "cloudformation",
            "describe-stack-resource-drifts",
            "--stack-name",
            stack_name,
            "--stack-resource-drift-status-filters",
            "MODIFIED",
            "DELETED",
        ])
        .map_err(|e| fail(e.to_string()))?;
    Ok(StackDrift {
        stack_name: stack_name.to_owned(),
        status: status["StackDriftStatus"]
            .as_str()
            .unwrap_or("UNKNOWN")
            .to_owned(),
        detection_problem,
        resources: resources(&v),
    })
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// The drifted resources of a `describe-stack-resource-drifts` answer.
pub fn resources(v: &Value) -> Vec<ResourceDrift> {
    v["StackResourceDrifts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| {
            matches!(
                r["StackResourceDriftStatus"].as_str(),
                Some("MODIFIED" | "DELETED")
            )
        })
        .map(|r| {
            let type_name = text(&r["ResourceType"]);
            let status = text(&r["StackResourceDriftStatus"]);
            let properties = r["PropertyDifferences"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    let path = text(&p["PropertyPath"]);
                    PropertyDrift {
                        guide_item: guide_item(&type_name, Some(&path)),
                        path,
                        difference: text(&p["DifferenceType"]),
                        expected: text(&p["ExpectedValue"]),
                        actual: text(&p["ActualValue"]),
                    }
                })
                .collect();
            ResourceDrift {
                logical_id: text(&r["LogicalResourceId"]),
                physical_id: text(&r["PhysicalResourceId"]),
                guide_item: (status == "DELETED")
                    .then(|| guide_item(&type_name, None))
                    .flatten(),
                type_name,
                status,
                properties,
            }
        })
        .collect()
}

/// The text report: per stack its status, drifted resources and properties; guide items
/// marked `[guide: ...]`.
pub fn render(env: &str, stacks: &[StackDrift]) -> String {
    let mut out = String::new();
    let drifted = stacks.iter().filter(|s| s.drifted()).count();
    for s in stacks {
        let _ = writeln!(out, "{}: {}", s.stack_name, s.status);
        if let Some(p) = &s.detection_problem {
            let _ = writeln!(out, "  detection incomplete: {p}");
        }
        for r in &s.resources {
            let mark = r
                .guide_item
                .map_or(String::new(), |g| format!("  [guide: {g}]"));
            let _ = writeln!(
                out,
                "  {} {} {} ({}){mark}",
                r.status, r.logical_id, r.type_name, r.physical_id
            );
            for p in &r.properties {
                let mark = p
                    .guide_item
                    .map_or(String::new(), |g| format!("  [guide: {g}]"));
                let _ = writeln!(
                    out,
                    "    {} {}: expected {} | actual {}{mark}",
                    p.difference,
                    p.path,
                    if p.expected.is_empty() {
                        "(none)"
                    } else {
                        &p.expected
                    },
                    if p.actual.is_empty() {
                        "(none)"
                    } else {
                        &p.actual
                    },
                );
            }
        }
    }
    let guide: usize = stacks
        .iter()
        .flat_map(|s| &s.resources)
        .map(|r| {
            usize::from(r.guide_item.is_some())
                + r.properties
                    .iter()
                    .filter(|p| p.guide_item.is_some())
                    .count()
        })
        .sum();
    let _ = writeln!(
        out,
        "drift in `{env}`: {drifted} of {} stack(s) drifted; {guide} change(s) touch a guide item",
        stacks.len()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn guide_items_match_by_type_and_property_path() {
        let cases = [
            (
                "AWS::EC2::SecurityGroup",
                Some("/SecurityGroupIngress/0/CidrIp"),
                Some("security-group rules"),
            ),
            ("AWS::EC2::SecurityGroup", Some("/GroupDescription"), None),
            (
                "AWS::EC2::SecurityGroupIngress",
                Some("/CidrIp"),
                Some("security-group rules"),
            ),
            (
                "AWS::ElasticLoadBalancingV2::Listener",
                Some("/SslPolicy"),
                Some("listener TLS policy"),
            ),
            (
                "AWS::KMS::Key",
                Some("/EnableKeyRotation"),
                Some("key rotation"),
            ),
            (
                "AWS::RDS::DBInstance",
                Some("/PubliclyAccessible"),
                Some("database public access"),
            ),
            ("AWS::RDS::DBInstance", Some("/PubliclyAccessibleX"), None),
            (
                "AWS::Logs::LogGroup",
                Some("/RetentionInDays"),
                Some("log retention"),
            ),
            ("AWS::Logs::LogGroup", None, Some("log retention")),
            ("AWS::SNS::Topic", Some("/DisplayName"), None),
        ];
        for (t, path, want) in cases {
            assert_eq!(guide_item(t, path), want, "{t} {path:?}");
        }
    }

    #[test]
    fn resource_drifts_are_read_with_their_properties() {
        let v = json!({"StackResourceDrifts": [
            {"LogicalResourceId": "Sg", "PhysicalResourceId": "sg-1", "ResourceType": "AWS::EC2::SecurityGroup",
             "StackResourceDriftStatus": "MODIFIED",
             "PropertyDifferences": [{"PropertyPath": "/SecurityGroupIngress/1", "ExpectedValue": "", "ActualValue": "{\"CidrIp\":\"0.0.0.0/0\"}", "DifferenceType": "ADD"}]},
            {"LogicalResourceId": "Ok", "ResourceType": "AWS::SNS::Topic", "StackResourceDriftStatus": "IN_SYNC"}
        ]});
        let got = resources(&v);
        assert_eq!(got.len(), 1, "in-sync resources are left out");
        assert_eq!(
            got[0].properties[0].guide_item,
            Some("security-group rules")
        );
        assert_eq!(got[0].properties[0].difference, "ADD");
    }
}
