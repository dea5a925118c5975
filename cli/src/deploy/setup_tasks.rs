//! One-off ECS tasks a stack asks `deploy` to run right after it is deployed (the task
//! definition's `stackforge:run-after-deploy` metadata), such as creating the database users
//! services connect as with IAM authentication (`rds::DatabaseUserSetup`).
//!
//! The task runs with `aws ecs run-task` (Fargate, the stack's private subnets and security
//! group, no public IP); `deploy` waits until it stops and requires exit code 0 from every
//! container, then goes on with the next stack.

use std::time::{Duration, Instant};

use serde_json::Value;
use stackforge_construct_model::deploy_metadata::SETUP_METADATA_KEY;
use stackforge_construct_model::StackArtifact;

use super::aws::AwsCli;
use crate::error::{CliError, Result};

/// Environment variable: seconds to wait for a setup task to stop (default 900).
pub const TIMEOUT_ENV: &str = "STACKFORGE_SETUP_TASK_TIMEOUT_S";

/// Where a physical ID is: a resource of a stack, or a literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Resource `logical_id` of the stack with short name `stack`.
    Resource {
        /// The stack's short name.
        stack: String,
        /// The logical ID.
        logical_id: String,
    },
    /// A literal ID.
    Id(String),
}

impl Location {
    fn read(v: &Value) -> Option<Location> {
        if let (Some(stack), Some(id)) = (v["stack"].as_str(), v["logicalId"].as_str()) {
            return Some(Location::Resource {
                stack: stack.to_owned(),
                logical_id: id.to_owned(),
            });
        }
        v["id"].as_str().map(|i| Location::Id(i.to_owned()))
    }

    /// The physical ID, looked up with `describe-stack-resource`; `stack_name` maps a short
    /// stack name to its CloudFormation name.
    fn resolve(&self, aws: &AwsCli, stack_name: &dyn Fn(&str) -> Option<String>) -> Result<String> {
        match self {
            Location::Id(id) => Ok(id.clone()),
            Location::Resource { stack, logical_id } => {
                let name = stack_name(stack).ok_or_else(|| {
                    CliError::Failed(format!("no stack `{stack}` in this environment"))
                })?;
                let v = aws
                    .json(&[
                        "cloudformation",
                        "describe-stack-resource",
                        "--stack-name",
                        &name,
                        "--logical-resource-id",
                        logical_id,
                    ])
                    .map_err(|e| {
                        CliError::Failed(format!("cannot find {logical_id} of {name}: {e}"))
                    })?;
                v["StackResourceDetail"]["PhysicalResourceId"]
                    .as_str()
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        CliError::Failed(format!("{logical_id} of {name} has no physical ID"))
                    })
            }
        }
    }
}

/// A setup task of a stack: its task definition and where its cluster, security group and
/// subnets are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupTask {
    /// The stack's short name.
    pub stack: String,
    /// The task definition's logical ID.
    pub logical_id: String,
    /// The cluster.
    pub cluster: Location,
    /// The security group.
    pub security_group: Location,
    /// The subnets.
    pub subnets: Vec<Location>,
}

/// The setup tasks of `stack`, in template order.
pub fn of(stack: &StackArtifact) -> Vec<SetupTask> {
    stack
        .template()
        .resources
        .iter()
        .filter_map(|(id, r)| {
            let m = r.metadata.get(SETUP_METADATA_KEY)?;
            Some(SetupTask {
                stack: stack.name.clone(),
                logical_id: id.clone(),
                cluster: Location::read(&m["cluster"])?,
                security_group: Location::read(&m["securityGroup"])?,
                subnets: m["subnets"]
                    .as_array()?
                    .iter()
                    .map(Location::read)
                    .collect::<Option<Vec<_>>>()?,
            })
        })
        .collect()
}

/// The `aws` arguments starting a task: cluster, task definition, subnets and security
/// group are physical IDs.
pub fn run_task_args(
    cluster: &str,
    task_definition: &str,
    subnets: &[String],
    security_group: &str,
) -> Vec<String> {
    let network = format!(
        "awsvpcConfiguration={{subnets=[{}],securityGroups=[{security_group}],assignPublicIp=DISABLED}}",
        subnets.join(",")
    );
    vec![
        "ecs".into(),
        "run-task".into(),
        "--cluster".into(),
        cluster.to_owned(),
        "--task-definition".into(),
        task_definition.to_owned(),
        "--launch-type".into(),
        "FARGATE".into(),
        "--network-configuration".into(),
        network,
        "--started-by".into(),
        "stackforge-deploy".into(),
    ]
}

/// Runs the setup tasks of `stack_name` and waits for each to stop; `say` prints progress.
/// Errors name the task, its stop reason and exit codes, and the log group to read.
pub fn run(
    aws: &AwsCli,
    stack_name: &str,
    tasks: &[SetupTask],
    names: &dyn Fn(&str) -> Option<String>,
    poll: Duration,
    mut say: impl FnMut(&str),
) -> Result<()> {
    let timeout = std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(900), Duration::from_secs);
    for task in tasks {
        let here = Location::Resource {
            stack: task.stack.clone(),
            logical_id: task.logical_id.clone(),
        };
        let cluster = task.cluster.resolve(aws, names)?;
        let subnets = task
            .subnets
            .iter()
            .map(|s| s.resolve(aws, names))
            .collect::<Result<Vec<_>>>()?;
        let args = run_task_args(
            &cluster,
            &here.resolve(aws, names)?,
            &subnets,
            &task.security_group.resolve(aws, names)?,
        );
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let started = aws.json(&refs).map_err(|e| {
            CliError::Failed(format!(
                "setup task {} of {stack_name} did not start: {e}",
                task.logical_id
            ))
        })?;
        let Some(arn) = started["tasks"][0]["taskArn"].as_str().map(str::to_owned) else {
            return Err(CliError::Failed(format!(
                "setup task {} of {stack_name} did not start: {}",
                task.logical_id, started["failures"]
            )));
        };
        say(&format!("setup task {} started ({arn})", task.logical_id));
        let begun = Instant::now();
        let stopped = loop {
            let v = aws
                .json(&[
                    "ecs",
                    "describe-tasks",
                    "--cluster",
                    &cluster,
                    "--tasks",
                    &arn,
                ])
                .map_err(|e| CliError::Failed(format!("cannot follow setup task {arn}: {e}")))?;
            let t = v["tasks"][0].clone();
            if t["lastStatus"] == "STOPPED" {
                break t;
            }
            if begun.elapsed() >= timeout {
                return Err(CliError::Failed(format!(
                    "setup task {} of {stack_name} ({arn}) did not stop within {}s (last status {}). Fix: look at it with `aws ecs describe-tasks --cluster {cluster} --tasks {arn}`; set {TIMEOUT_ENV} to wait longer",
                    task.logical_id,
                    timeout.as_secs(),
                    t["lastStatus"]
                )));
            }
            std::thread::sleep(poll);
        };
        let containers = stopped["containers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let failed: Vec<String> = containers
            .iter()
            .filter(|c| c["exitCode"].as_i64() != Some(0))
            .map(|c| {
                format!(
                    "{} exited {}{}",
                    c["name"].as_str().unwrap_or("?"),
                    c["exitCode"],
                    c["reason"]
                        .as_str()
                        .map_or(String::new(), |r| format!(" ({r})"))
                )
            })
            .collect();
        if containers.is_empty() || !failed.is_empty() {
            return Err(CliError::Failed(format!(
                "setup task {} of {stack_name} failed: {}; stopped: {}. Fix: read its log group (stack {stack_name}, the task definition's awslogs group) and deploy again; the statements are idempotent",
                task.logical_id,
                if failed.is_empty() { "no container reported".to_owned() } else { failed.join(", ") },
                stopped["stoppedReason"].as_str().unwrap_or("no reason given")
            )));
        }
        say(&format!(
            "setup task {} finished in {:.1}s",
            task.logical_id,
            begun.elapsed().as_secs_f64()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn run_task_runs_in_the_private_subnets_without_a_public_ip() {
        let args = run_task_args(
            "cluster-1",
            "arn:td",
            &["subnet-a".into(), "subnet-b".into()],
            "sg-1",
        );
        assert_eq!(
            args.join(" "),
            "ecs run-task --cluster cluster-1 --task-definition arn:td --launch-type FARGATE --network-configuration awsvpcConfiguration={subnets=[subnet-a,subnet-b],securityGroups=[sg-1],assignPublicIp=DISABLED} --started-by stackforge-deploy"
        );
    }

    #[test]
    fn locations_are_resources_of_stacks_or_literal_ids() {
        assert_eq!(
            Location::read(&json!({"stack": "network", "logicalId": "Subnet1"})),
            Some(Location::Resource {
                stack: "network".into(),
                logical_id: "Subnet1".into()
            })
        );
        assert_eq!(
            Location::read(&json!({"id": "subnet-0abc"})),
            Some(Location::Id("subnet-0abc".into()))
        );
        assert_eq!(Location::read(&json!({})), None);
    }
}
