//! What `destroy` deletes and keeps, decided before anything is deleted: for the stacks of
//! the typed plan ([`DeployPlan::for_destroy`](super::deploy_plan::DeployPlan::for_destroy),
//! deleted in reverse deploy order), per stack the resources CloudFormation keeps (`DeletionPolicy`
//! `Retain`, `RetainExceptOnCreate`, `Snapshot`) and those it deletes, and the imports that
//! forbid deleting an exporting stack.
//!
//! The deployed template and the deployed resources are the truth here (not a fresh synth):
//! they are what `delete-stack` acts on.

use std::fmt::Write as _;

use indexmap::IndexMap;
use stackforge_construct_model::change::stateful;
use stackforge_construct_model::{RemovalPolicy, StackArtifact, Template};

use super::aws::{AwsCli, AwsError};
use super::preview;
use super::stack_status::{self, DeployedStack};
use crate::error::{CliError, Result};

/// A resource CloudFormation keeps when its stack is deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// Its logical ID.
    pub logical_id: String,
    /// Its type.
    pub type_name: String,
    /// Its name (physical ID).
    pub physical_id: String,
    /// `Retain` (kept as it is) or `Snapshot` (deleted after a final snapshot).
    pub policy: RemovalPolicy,
    /// Whether the policy is CloudFormation's default for the type, not written.
    pub by_default: bool,
}

/// A resource deleted with its stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    /// Its logical ID.
    pub logical_id: String,
    /// Its type.
    pub type_name: String,
    /// Its name (physical ID).
    pub physical_id: String,
    /// What deleting it loses, for stateful types.
    pub loses: Option<&'static str>,
}

/// One stack of the destroy.
#[derive(Debug, Clone)]
pub struct Doomed {
    /// The CloudFormation stack name.
    pub stack_name: String,
    /// The deployed stack; `None` when it is not deployed (nothing to delete).
    pub deployed: Option<DeployedStack>,
    /// What CloudFormation keeps.
    pub kept: Vec<Kept>,
    /// What it deletes.
    pub lost: Vec<Lost>,
    /// Its exports still imported by a stack outside this destroy: `(export, importer)`.
    pub imported: Vec<(String, String)>,
}

/// The policy CloudFormation applies on stack deletion to a `type_name` resource with
/// `written` as its `DeletionPolicy`. Without one it is `Delete`, except `Snapshot` for
/// `AWS::RDS::DBCluster` and for an `AWS::RDS::DBInstance` outside a cluster
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html>).
pub fn deletion_policy(
    type_name: &str,
    written: Option<RemovalPolicy>,
    in_cluster: bool,
) -> (RemovalPolicy, bool) {
    match written {
        Some(p) => (p, false),
        None if type_name == "AWS::RDS::DBCluster"
            || (type_name == "AWS::RDS::DBInstance" && !in_cluster) =>
        {
            (RemovalPolicy::Snapshot, true)
        }
        None => (RemovalPolicy::Delete, true),
    }
}

/// Sorts the `resources` a stack lists (logical ID -> (type, physical ID)) into kept and lost,
/// by the deletion policies of its deployed `template`.
pub fn inventory(
    template: &Template,
    resources: &IndexMap<String, (String, String)>,
) -> (Vec<Kept>, Vec<Lost>) {
    let (mut kept, mut lost) = (Vec::new(), Vec::new());
    for (id, (type_name, physical)) in resources {
        let def = template.resources.get(id);
        let in_cluster = def.is_some_and(|d| d.properties.contains_key("DBClusterIdentifier"));
        let written = def.and_then(|d| d.deletion_policy);
        match deletion_policy(type_name, written, in_cluster) {
            (RemovalPolicy::Delete, _) => lost.push(Lost {
                logical_id: id.clone(),
                type_name: type_name.clone(),
                physical_id: physical.clone(),
                loses: stateful::loses(type_name),
            }),
            (policy, by_default) => kept.push(Kept {
                logical_id: id.clone(),
                type_name: type_name.clone(),
                physical_id: physical.clone(),
                policy,
                by_default,
            }),
        }
    }
    (kept, lost)
}

/// Reads what destroying `stacks` (in deletion order) does: each deployed stack's template,
/// resources and the importers of its exports.
pub fn read(aws: &AwsCli, stacks: &[&StackArtifact]) -> Result<Vec<Doomed>> {
    let deleting: Vec<&str> = stacks.iter().map(|s| s.stack_name.as_str()).collect();
    let mut out = Vec::new();
    for s in stacks {
        let deployed = stack_status::describe(aws, &s.stack_name)?;
        let mut doomed = Doomed {
            stack_name: s.stack_name.clone(),
            deployed: deployed.clone(),
            kept: Vec::new(),
            lost: Vec::new(),
            imported: Vec::new(),
        };
        if let Some(d) = &deployed {
            let template = preview::live_template(aws, &s.stack_name)?.unwrap_or_default();
            let resources = list_resources(aws, &s.stack_name)?;
            (doomed.kept, doomed.lost) = inventory(&template, &resources);
            for export in &d.exports {
                for importer in importers(aws, export)? {
                    if !deleting.contains(&importer.as_str()) {
                        doomed.imported.push((export.clone(), importer));
                    }
                }
            }
        }
        out.push(doomed);
    }
    Ok(out)
}

/// `list-stack-resources`: logical ID -> (type, physical ID), in CloudFormation's order.
fn list_resources(aws: &AwsCli, stack_name: &str) -> Result<IndexMap<String, (String, String)>> {
    let v = aws
        .json(&[
            "cloudformation",
            "list-stack-resources",
            "--stack-name",
            stack_name,
        ])
        .map_err(|e| {
            CliError::Failed(format!(
                "cannot list the resources of {stack_name}: {e}. Nothing was deleted."
            ))
        })?;
    Ok(v["StackResourceSummaries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let id = r["LogicalResourceId"].as_str().filter(|i| !i.is_empty())?;
            let text = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            Some((
                id.to_owned(),
                (text("ResourceType"), text("PhysicalResourceId")),
            ))
        })
        .collect())
}

/// The stacks importing `export` (`list-imports`; CloudFormation answers "is not imported
/// by any stack" as an error when there are none).
fn importers(aws: &AwsCli, export: &str) -> Result<Vec<String>> {
    match aws.json(&["cloudformation", "list-imports", "--export-name", export]) {
        Ok(v) => Ok(v["Imports"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect()),
        Err(AwsError::Failed { stderr, .. }) if stderr.contains("is not imported by any stack") => {
            Ok(Vec::new())
        }
        Err(e) => Err(CliError::Failed(format!(
            "cannot list the importers of export {export}: {e}. Nothing was deleted."
        ))),
    }
}

/// The listing shown before anything is deleted.
pub fn render(env: &str, doomed: &[Doomed]) -> String {
    let mut text = String::new();
    let here: Vec<&Doomed> = doomed.iter().filter(|d| d.deployed.is_some()).collect();
    let _ = writeln!(
        text,
        "destroy `{env}`: {} stack(s) to delete, in this order:",
        here.len()
    );
    for d in doomed {
        let Some(deployed) = &d.deployed else {
            let _ = writeln!(text, "  {}: not deployed; nothing to delete", d.stack_name);
            continue;
        };
        let _ = writeln!(text, "  {} ({})", d.stack_name, deployed.status);
        for k in &d.kept {
            let how = match k.policy {
                RemovalPolicy::Snapshot => "snapshot kept, resource deleted",
                _ => "kept",
            };
            let default = if k.by_default {
                ", CloudFormation's default"
            } else {
                ""
            };
            let _ = writeln!(
                text,
                "    = retained: {} {} `{}` ({how}; DeletionPolicy {}{default})",
                k.logical_id,
                k.type_name,
                k.physical_id,
                k.policy.as_str()
            );
        }
        for l in d.lost.iter().filter(|l| l.loses.is_some()) {
            let _ = writeln!(
                text,
                "    - lost: {} {} `{}` ({})",
                l.logical_id,
                l.type_name,
                l.physical_id,
                l.loses.unwrap_or_default()
            );
        }
        let others = d.lost.iter().filter(|l| l.loses.is_none()).count();
        if others > 0 {
            let _ = writeln!(text, "    - deleted: {others} other resource(s)");
        }
    }
    let kept: usize = here.iter().map(|d| d.kept.len()).sum();
    let lost: usize = here
        .iter()
        .map(|d| d.lost.iter().filter(|l| l.loses.is_some()).count())
        .sum();
    let _ = writeln!(
        text,
        "{kept} resource(s) retained, {lost} holding data lost."
    );
    text
}

/// The refusal when an export of a stack being deleted is still imported elsewhere.
pub fn import_refusal(doomed: &[Doomed]) -> Option<String> {
    let lines: Vec<String> = doomed
        .iter()
        .flat_map(|d| {
            d.imported.iter().map(move |(export, importer)| {
                format!(
                    "  {} exports {export}, imported by {importer}",
                    d.stack_name
                )
            })
        })
        .collect();
    if lines.is_empty() {
        return None;
    }
    Some(format!(
        "CloudFormation cannot delete a stack while another stack imports one of its exports:\n{}\nNothing was deleted. Fix: destroy the importing stacks too (leave out --exclusively, or name them with --stack), or remove the imports from them and deploy first",
        lines.join("\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use stackforge_construct_model::document;

    #[test]
    fn deletion_policies_follow_cloudformation_defaults() {
        let cases = [
            ("AWS::S3::Bucket", None, false, RemovalPolicy::Delete, true),
            (
                "AWS::S3::Bucket",
                Some(RemovalPolicy::Retain),
                false,
                RemovalPolicy::Retain,
                false,
            ),
            (
                "AWS::RDS::DBCluster",
                None,
                false,
                RemovalPolicy::Snapshot,
                true,
            ),
            (
                "AWS::RDS::DBInstance",
                None,
                false,
                RemovalPolicy::Snapshot,
                true,
            ),
            (
                "AWS::RDS::DBInstance",
                None,
                true,
                RemovalPolicy::Delete,
                true,
            ),
            (
                "AWS::RDS::DBInstance",
                Some(RemovalPolicy::Delete),
                false,
                RemovalPolicy::Delete,
                false,
            ),
        ];
        for (t, written, in_cluster, policy, by_default) in cases {
            assert_eq!(
                deletion_policy(t, written, in_cluster),
                (policy, by_default),
                "{t} {written:?} {in_cluster}"
            );
        }
    }

    #[test]
    fn inventory_keeps_retained_and_snapshot_resources_and_names_lost_data() {
        let template = document::from_json(&json!({"Resources": {
            "Logs": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"},
            "Db": {"Type": "AWS::RDS::DBInstance"},
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Topic": {"Type": "AWS::SNS::Topic"}
        }}))
        .unwrap();
        let listed: IndexMap<String, (String, String)> = [
            ("Logs", "AWS::S3::Bucket", "logs-bucket"),
            ("Db", "AWS::RDS::DBInstance", "db-1"),
            ("Queue", "AWS::SQS::Queue", "https://q"),
            ("Topic", "AWS::SNS::Topic", "arn:topic"),
        ]
        .iter()
        .map(|(i, t, p)| ((*i).to_owned(), ((*t).to_owned(), (*p).to_owned())))
        .collect();
        let (kept, lost) = inventory(&template, &listed);
        let kept: Vec<(&str, RemovalPolicy)> = kept
            .iter()
            .map(|k| (k.logical_id.as_str(), k.policy))
            .collect();
        assert_eq!(
            kept,
            [
                ("Logs", RemovalPolicy::Retain),
                ("Db", RemovalPolicy::Snapshot)
            ]
        );
        let lost: Vec<(&str, Option<&str>)> = lost
            .iter()
            .map(|l| (l.logical_id.as_str(), l.loses))
            .collect();
        assert_eq!(
            lost,
            [("Queue", Some("messages in the queue")), ("Topic", None)]
        );
    }
}
