//! CloudFormation change sets, for `deploy --plan` and `--apply`: created per stack (nothing
//! executed), read back with CloudFormation's own list of changes and replacement verdicts,
//! and executed later exactly as reviewed.
//!
//! API reference: `CreateChangeSet`, `DescribeChangeSet`, `ExecuteChangeSet`
//! (<https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/>).

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::aws::AwsCli;
use super::plan::CAPABILITIES;
use crate::error::{CliError, Result};
use crate::params::ParameterValues;

/// How long change set creation may take (the AWS CLI's `change-set-create-complete`
/// waiter: 120 polls of 30 s).
pub const CREATE_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// The reasons CloudFormation gives for a change set that would change nothing.
const NO_CHANGES: [&str; 2] = ["didn't contain changes", "No updates are to be performed"];

/// One change CloudFormation reports (`Changes[].ResourceChange`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CfnChange {
    /// `Add`, `Modify`, `Remove`, `Import`, `Dynamic`.
    pub action: String,
    /// The logical ID.
    pub logical_id: String,
    /// The resource type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// For `Modify`: `True`, `False` or `Conditional`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
}

/// A change set after its creation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// Ready to execute: its ARN and changes.
    Ready {
        /// The change set ARN (`Id`).
        id: String,
        /// CloudFormation's changes.
        changes: Vec<CfnChange>,
    },
    /// CloudFormation found nothing to change (the change set is deleted again).
    NoChanges,
}

/// `CREATE` for a stack that does not exist yet (or exists only as a reviewed change set,
/// `REVIEW_IN_PROGRESS`), `UPDATE` otherwise.
pub fn change_set_type(status: Option<&str>) -> &'static str {
    match status {
        None | Some("REVIEW_IN_PROGRESS") => "CREATE",
        Some(_) => "UPDATE",
    }
}

/// The files `create-change-set` reads: parameters and tags as JSON (values with commas or
/// spaces need no escaping then, and none is on the command line `ps` shows), in `dir`,
/// named after the stack, each new and readable by its owner only (parameter values may be
/// `NoEcho` ones). The caller removes them once the change set is created.
pub fn write_inputs(
    dir: &Path,
    stack_name: &str,
    parameters: &ParameterValues,
    tags: &indexmap::IndexMap<String, String>,
) -> Result<(PathBuf, PathBuf)> {
    let params: Vec<Value> = parameters
        .iter()
        .map(|(k, v)| json!({"ParameterKey": k, "ParameterValue": v}))
        .collect();
    let tags: Vec<Value> = tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    let mut paths = Vec::new();
    for (what, v) in [("parameters", params), ("tags", tags)] {
        let path = dir.join(format!("{stack_name}.{what}.json"));
        super::write_private(&path, Value::Array(v).to_string().as_bytes())
            .map_err(|e| CliError::io(&path, e))?;
        paths.push(path);
    }
    let tags = paths.pop().unwrap_or_default();
    let params = paths.pop().unwrap_or_default();
    Ok((params, tags))
}

/// Where `create-change-set` reads the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateSource {
    /// A local file (`--template-body file://`), up to the inline limit.
    File(PathBuf),
    /// An object in S3 (`--template-url`), up to 1 MB.
    Url(String),
}

/// The arguments after `aws` creating the change set `name` of `stack_name`.
pub fn create_args(
    stack_name: &str,
    name: &str,
    kind: &str,
    template: &TemplateSource,
    inputs: &(PathBuf, PathBuf),
) -> Vec<String> {
    let (template_flag, template) = match template {
        TemplateSource::File(path) => ("--template-body", format!("file://{}", path.display())),
        TemplateSource::Url(url) => ("--template-url", url.clone()),
    };
    let (parameters, tags) = (
        format!("file://{}", inputs.0.display()),
        format!("file://{}", inputs.1.display()),
    );
    let mut args: Vec<String> = [
        "cloudformation",
        "create-change-set",
        "--stack-name",
        stack_name,
        "--change-set-name",
        name,
        "--change-set-type",
        kind,
        template_flag,
        &template,
        "--parameters",
        &parameters,
        "--tags",
        &tags,
        "--capabilities",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.extend(CAPABILITIES.iter().map(|c| (*c).to_owned()));
    args.extend([
        "--description".to_owned(),
        "stackforge deploy --plan".to_owned(),
    ]);
    args
}

/// Creates the change set and waits until CloudFormation has computed it.
pub fn create(aws: &AwsCli, stack_name: &str, args: &[String], poll: Duration) -> Result<Created> {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let created = aws.json(&refs).map_err(|e| {
        CliError::Failed(format!(
            "stack {stack_name}: CloudFormation refused the change set: {e}. Nothing was executed."
        ))
    })?;
    let id = created["Id"].as_str().unwrap_or_default().to_owned();
    let started = Instant::now();
    loop {
        let v = describe(aws, &id)?;
        match v["Status"].as_str().unwrap_or_default() {
            "CREATE_COMPLETE" => {
                return Ok(Created::Ready {
                    changes: changes(&v),
                    id,
                })
            }
            "FAILED" => {
                let reason = v["StatusReason"].as_str().unwrap_or("no reason given");
                if NO_CHANGES.iter().any(|n| reason.contains(n)) {
                    // An empty change set can never be executed; leave nothing behind.
                    let _ = aws
                        .command(&[
                            "cloudformation",
                            "delete-change-set",
                            "--change-set-name",
                            &id,
                        ])
                        .output();
                    return Ok(Created::NoChanges);
                }
                return Err(CliError::Failed(format!(
                    "stack {stack_name}: the change set failed: {reason}. Nothing was executed."
                )));
            }
            _ => {}
        }
        if started.elapsed() > CREATE_TIMEOUT {
            return Err(CliError::Failed(format!(
                "stack {stack_name}: change set {id} was still being created after {} minutes. Nothing was executed.",
                CREATE_TIMEOUT.as_secs() / 60
            )));
        }
        thread::sleep(poll);
    }
}

/// `describe-change-set` of the change set `id` (its ARN).
pub fn describe(aws: &AwsCli, id: &str) -> Result<Value> {
    aws.json(&[
        "cloudformation",
        "describe-change-set",
        "--change-set-name",
        id,
    ])
    .map_err(|e| CliError::Failed(format!("cannot read change set {id}: {e}")))
}

/// The resource changes of a `describe-change-set` answer.
pub fn changes(v: &Value) -> Vec<CfnChange> {
    v["Changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let r = &c["ResourceChange"];
            Some(CfnChange {
                action: r["Action"].as_str()?.to_owned(),
                logical_id: r["LogicalResourceId"].as_str()?.to_owned(),
                type_name: r["ResourceType"].as_str().unwrap_or_default().to_owned(),
                replacement: r["Replacement"].as_str().map(str::to_owned),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_set_type_creates_only_missing_stacks() {
        assert_eq!(change_set_type(None), "CREATE");
        assert_eq!(change_set_type(Some("REVIEW_IN_PROGRESS")), "CREATE");
        assert_eq!(change_set_type(Some("UPDATE_ROLLBACK_COMPLETE")), "UPDATE");
    }

    #[test]
    fn changes_are_read_from_resource_changes() {
        let v = json!({"Changes": [
            {"Type": "Resource", "ResourceChange": {"Action": "Modify", "LogicalResourceId": "Db", "ResourceType": "AWS::RDS::DBInstance", "Replacement": "True"}},
            {"Type": "Resource", "ResourceChange": {"Action": "Add", "LogicalResourceId": "Topic", "ResourceType": "AWS::SNS::Topic"}}
        ]});
        let got = changes(&v);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].replacement.as_deref(), Some("True"));
        assert_eq!(
            (got[1].action.as_str(), got[1].replacement.as_deref()),
            ("Add", None)
        );
    }
}
