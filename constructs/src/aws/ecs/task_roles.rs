//! `TaskRoles`: the two roles of a Fargate task definition. The execution role (ECS starting
//! the task) may pull exactly the task's images, write exactly its log groups and read
//! exactly its secrets; the task role (the application) has no permission until granted.

use crate::aws::iam::{PolicyDocument, ServiceRole, ServiceRoleProps, Statement};
use crate::aws::refs::{RoleArn, RoleName};
use crate::error::Result;
use crate::expr::Expr;
use crate::scope::Scope;

use super::task_definition::FargateTaskDefinitionProps;

/// What an execution role was made to allow, so a task definition can prove its roles fit.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ExecutionGrants {
    pub(crate) repositories: Vec<Expr>,
    pub(crate) log_groups: Vec<Expr>,
    pub(crate) secrets: Vec<Expr>,
    pub(crate) keys: Vec<Expr>,
}

impl ExecutionGrants {
    pub(crate) fn of(props: &FargateTaskDefinitionProps) -> Self {
        let mut g = ExecutionGrants::default();
        for c in &props.containers {
            if let Some(r) = c.image.repository() {
                push_unique(&mut g.repositories, r.arn().expr());
            }
            push_unique(&mut g.log_groups, c.logging.log_group_arn.expr());
            for secret in c.secrets.values() {
                push_unique(&mut g.secrets, secret.arn.expr());
                if let Some(k) = &secret.kms_key {
                    push_unique(&mut g.keys, k.expr());
                }
            }
        }
        g
    }

    /// Whether everything `other` needs is allowed here.
    pub(crate) fn covers(&self, other: &ExecutionGrants) -> bool {
        let all = |have: &[Expr], need: &[Expr]| need.iter().all(|n| have.contains(n));
        all(&self.repositories, &other.repositories)
            && all(&self.log_groups, &other.log_groups)
            && all(&self.secrets, &other.secrets)
            && all(&self.keys, &other.keys)
    }

    fn policy(&self) -> PolicyDocument {
        let mut statements = Vec::new();
        if !self.repositories.is_empty() {
            statements.push(
                Statement::allow(
                    [
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:GetDownloadUrlForLayer",
                        "ecr:BatchGetImage",
                    ],
                    self.repositories.clone(),
                )
                .sid("PullImage"),
            );
            statements
                .push(Statement::allow(["ecr:GetAuthorizationToken"], ["*"]).sid("RegistryLogin"));
        }
        statements.push(
            Statement::allow(
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                self.log_groups.clone(),
            )
            .sid("WriteLogs"),
        );
        if !self.secrets.is_empty() {
            statements.push(
                Statement::allow(["secretsmanager:GetSecretValue"], self.secrets.clone())
                    .sid("ReadSecrets"),
            );
        }
        if !self.keys.is_empty() {
            statements
                .push(Statement::allow(["kms:Decrypt"], self.keys.clone()).sid("DecryptSecrets"));
        }
        PolicyDocument::new(statements)
    }
}

fn push_unique(list: &mut Vec<Expr>, e: Expr) {
    if !list.contains(&e) {
        list.push(e);
    }
}

/// The execution role and the task role of a task definition.
#[derive(Debug, Clone)]
pub struct TaskRoles {
    execution: ServiceRole,
    task: ServiceRole,
    pub(crate) grants: ExecutionGrants,
}

impl TaskRoles {
    /// Adds `scope/ExecutionRole` and `scope/TaskRole` for a task definition of `props`
    /// (checked first: nothing is added when they are invalid). With
    /// `props.enable_execute_command` the task role may open the ECS Exec channels.
    pub fn new(scope: &mut Scope<'_>, props: &FargateTaskDefinitionProps) -> Result<TaskRoles> {
        props.check(scope.path())?;
        let grants = ExecutionGrants::of(props);
        // ECS needs these before the first task starts, so they are inline on the role.
        let execution = ServiceRole::new(
            scope,
            "ExecutionRole",
            ServiceRoleProps {
                service: "ecs-tasks.amazonaws.com".into(),
                description: Some(
                    "Starts the service's tasks: pulls the image, writes logs, reads secrets"
                        .into(),
                ),
                policy: Some(grants.policy()),
                ..Default::default()
            },
        )?;
        let task = ServiceRole::new(
            scope,
            "TaskRole",
            ServiceRoleProps {
                service: "ecs-tasks.amazonaws.com".into(),
                description: Some("The service's application; no permissions until granted".into()),
                // The SSM agent ECS Exec runs in the task opens its channels as the task.
                policy: props.enable_execute_command.then(|| {
                    PolicyDocument::new(vec![Statement::allow(
                        [
                            "ssmmessages:CreateControlChannel",
                            "ssmmessages:CreateDataChannel",
                            "ssmmessages:OpenControlChannel",
                            "ssmmessages:OpenDataChannel",
                        ],
                        ["*"],
                    )
                    .sid("EcsExec")])
                }),
                ..Default::default()
            },
        )?;
        Ok(TaskRoles {
            execution,
            task,
            grants,
        })
    }

    /// The role the application runs as; grant it what the application needs.
    pub fn task_role(&self) -> RoleName {
        self.task.name()
    }

    /// The task role's ARN.
    pub fn task_role_arn(&self) -> RoleArn {
        self.task.arn()
    }

    /// The role ECS starts tasks with.
    pub fn execution_role(&self) -> RoleName {
        self.execution.name()
    }

    /// The execution role's ARN.
    pub fn execution_role_arn(&self) -> RoleArn {
        self.execution.arn()
    }
}
