//! Flow logs: every packet decision of a VPC to a KMS-encrypted log group, written by a role
//! that may write only there.

use crate::aws::iam::{PolicyDocument, ServiceRole, ServiceRoleProps, Statement};
use crate::aws::logs::{LogGroup, LogGroupProps, RETENTION_DAYS};
use crate::aws::refs::{KmsKeyArn, VpcId};
use crate::error::Result;
use crate::resources::ec2;
use crate::resources::ec2::flow_log::{LogDestinationType, ResourceType, TrafficType};
use crate::scope::Scope;
use crate::value::Tag;

/// Where the VPC's flow logs go. Flow logs are always on: they are the only record of who
/// talked to what inside the network.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowLogProps {
    /// Retention in days, one of [`RETENTION_DAYS`]. Default: 365.
    pub retention_days: u32,
    /// The key encrypting the log group (its policy must allow CloudWatch Logs). Default: a
    /// dedicated key is created.
    pub encryption_key: Option<KmsKeyArn>,
}

impl Default for FlowLogProps {
    fn default() -> Self {
        Self {
            retention_days: 365,
            encryption_key: None,
        }
    }
}

/// A VPC's flow log, its log group and the role that writes it.
#[derive(Debug, Clone)]
pub struct FlowLog {
    log_group: LogGroup,
}

impl FlowLog {
    /// Adds the flow log of `vpc` under `scope/id` (`LogGroup`, `Role`, `Resource`), named
    /// after `scope`'s path (the VPC's, when the VPC adds it).
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        vpc: &VpcId,
        props: FlowLogProps,
    ) -> Result<FlowLog> {
        let vpc_path = scope.path().to_owned();
        let vpc_id = vpc;
        let mut scope = scope.construct(id, "FlowLog")?;
        if !RETENTION_DAYS.contains(&props.retention_days) {
            return Err(scope.invalid(
                "retention_days",
                format!(
                    "{} is not a retention CloudWatch Logs accepts",
                    props.retention_days
                ),
                format!("use one of {RETENTION_DAYS:?}"),
            ));
        }
        let group = LogGroup::new(
            &mut scope,
            "LogGroup",
            LogGroupProps {
                encryption_key: props.encryption_key,
                retention_days: props.retention_days,
                ..Default::default()
            },
        )?;
        let role = ServiceRole::new(
            &mut scope,
            "Role",
            ServiceRoleProps {
                service: "vpc-flow-logs.amazonaws.com".to_owned(),
                description: Some(crate::names::ascii_description(
                    &format!("Writes the flow logs of {vpc_path}"),
                    crate::names::IAM_DESCRIPTION_CHARS,
                )),
                policy: Some(PolicyDocument::new(vec![Statement::allow(
                    [
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogStreams",
                    ],
                    [group.arn()],
                )])),
                ..Default::default()
            },
        )?;
        scope.add(
            "Resource",
            ec2::FlowLog {
                deliver_logs_permission_arn: Some(role.arn().into()),
                log_destination_type: Some(LogDestinationType::CloudWatchLogs),
                log_group_name: Some(group.name().into()),
                traffic_type: Some(TrafficType::All),
                tags: Some(vec![Tag::new("Name", crate::names::tag_value(&vpc_path))]),
                ..ec2::FlowLog::new(vpc_id, ResourceType::Vpc)
            },
        )?;
        Ok(FlowLog { log_group: group })
    }

    /// The log group holding the flow logs.
    pub fn log_group(&self) -> &LogGroup {
        &self.log_group
    }
}
