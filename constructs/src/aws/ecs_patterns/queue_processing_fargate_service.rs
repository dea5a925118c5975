//! `QueueProcessingFargateService`: a worker that consumes a [`Queue`] — no load balancer,
//! no inbound traffic, tasks scaled on the queue's depth (from zero when idle, if the
//! minimum is 0) — with alarms on the dead-letter queue and on the age of the oldest
//! message.

use indexmap::IndexMap;

use crate::aws::cloudwatch::{
    AlarmProps, AlarmSet, AlarmSetProps, AlertingTopic, ComparisonOperator, Metric,
    TreatMissingData,
};
use crate::aws::ec2::{Connectable, SecurityGroup, SecurityGroupProps, Vpc};
use crate::aws::ecs::{
    check_steps, default_egress, Cluster, ContainerDefinitionProps, ContainerHealthCheck,
    ContainerImage, ContainerLogging, CpuArchitecture, FargateService, FargateServiceProps,
    FargateTaskDefinition, FargateTaskDefinitionProps, ScalingRule, ServiceScaling,
    ServiceScalingProps, StepScaling, TaskRoles,
};
use crate::aws::logs::{LogGroup, LogGroupProps};
use crate::aws::refs::{LogGroupArn, LogGroupName, RoleName, SecurityGroupId, ServiceName};
use crate::aws::secretsmanager::SecretRef;
use crate::aws::sqs::Queue;
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::scope::Scope;

/// Props of [`QueueProcessingFargateService`].
#[derive(Debug, Clone)]
pub struct QueueProcessingFargateServiceProps {
    /// The container's name. Default: `worker`.
    pub container_name: String,
    /// Task CPU units. Default: 256.
    pub cpu: u32,
    /// Task memory in MiB. Default: 512.
    pub memory_mib: u32,
    /// The image's CPU architecture. Default: [`CpuArchitecture::X86_64`].
    pub cpu_architecture: CpuArchitecture,
    /// The user the container runs as (never root). Default: `10001`.
    pub user: String,
    /// Writable directories on top of the read-only root filesystem. Default: `["/tmp"]`.
    pub scratch_paths: Vec<String>,
    /// The command, replacing the image's. Default: the image's.
    pub command: Vec<String>,
    /// Plain environment variables (the queue's URL is added as `queue_url_variable`).
    /// Default: none.
    pub environment: IndexMap<String, Expr>,
    /// Environment variables read from Secrets Manager. Default: none.
    pub secrets: IndexMap<String, SecretRef>,
    /// The variable holding the queue's URL. Default: `QUEUE_URL`.
    pub queue_url_variable: String,
    /// The container health check. Default: none.
    pub health_check: Option<ContainerHealthCheck>,
    /// Days the logs are kept. Default: 365.
    pub log_retention_days: u32,
    /// Fewest tasks: 0 stops the worker while the queue is empty. Default: 0.
    pub min_tasks: u32,
    /// Most tasks. Default: 4.
    pub max_tasks: u32,
    /// `(visible messages from, tasks to add)`, increasing. Default: 1 -> +1, 100 -> +2,
    /// 500 -> +4.
    pub scale_out_steps: Vec<(f64, u32)>,
    /// Minutes the backlog (visible and in-flight messages) must stay empty before the
    /// worker scales in to `min_tasks`. Default: 5.
    pub scale_in_after_minutes: u32,
    /// Alarm when the oldest message has waited longer than this, seconds. Default: 900.
    pub max_message_age_seconds: u32,
    /// Prefix of the alarm names (`PREFIX-dead-letters`, `PREFIX-oldest-message`).
    /// Default: `STACKNAME-ID`.
    pub alarm_name_prefix: Option<String>,
    /// Where the alarms notify. Default: a new encrypted topic.
    pub alerting_topic: AlertingTopic,
    /// Allows `aws ecs execute-command` into the tasks. Default: false.
    pub enable_execute_command: bool,
}

impl Default for QueueProcessingFargateServiceProps {
    fn default() -> Self {
        Self {
            container_name: "worker".into(),
            cpu: 256,
            memory_mib: 512,
            cpu_architecture: CpuArchitecture::default(),
            user: "10001".into(),
            scratch_paths: vec!["/tmp".into()],
            command: Vec::new(),
            environment: IndexMap::new(),
            secrets: IndexMap::new(),
            queue_url_variable: "QUEUE_URL".into(),
            health_check: None,
            log_retention_days: 365,
            min_tasks: 0,
            max_tasks: 4,
            scale_out_steps: vec![(1.0, 1), (100.0, 2), (500.0, 4)],
            scale_in_after_minutes: 5,
            max_message_age_seconds: 900,
            alarm_name_prefix: None,
            alerting_topic: AlertingTopic::default(),
            enable_execute_command: false,
        }
    }
}

/// A Fargate worker consuming a queue.
#[derive(Debug, Clone)]
pub struct QueueProcessingFargateService {
    service: FargateService,
    task_definition: FargateTaskDefinition,
    log_group: LogGroup,
    alarms: AlarmSet,
}

impl Connectable for QueueProcessingFargateService {
    fn security_group_id(&self) -> SecurityGroupId {
        self.service.security_group()
    }
}

impl QueueProcessingFargateService {
    /// Adds the worker under `scope/id` in `cluster`, its tasks in `vpc`'s private subnets
    /// running `image`: `Logs`, `ExecutionRole`, `TaskRole`, `TaskDefinition`, the grant to
    /// consume `queue` (`ConsumesQueue`), `SecurityGroup`, the service (`Resource`),
    /// `Scaling` and `Alarms`.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        cluster: &Cluster,
        vpc: &Vpc,
        queue: &Queue,
        image: ContainerImage,
        props: QueueProcessingFargateServiceProps,
    ) -> Result<QueueProcessingFargateService> {
        let mut scope = scope.construct(id, "QueueProcessingFargateService")?;
        let prefix = props.alarm_name_prefix.clone().unwrap_or_else(|| {
            // Room for the longest suffix (`-oldest-message`) in an alarm name.
            crate::names::fit(
                &format!("{}-{id}", scope.stack().stack_name()),
                crate::names::ALARM_NAME_CHARS - "-oldest-message".len(),
            )
        });
        let depth = StepScaling {
            id: "QueueDepth".into(),
            scale_out_metric: queue.metric_visible_messages(),
            scale_out_steps: props.scale_out_steps.clone(),
            scale_in_metrics: vec![
                queue.metric_visible_messages(),
                queue.metric_in_flight_messages(),
            ],
            scale_in_at_or_below: 0.0,
            scale_in_periods: props.scale_in_after_minutes,
        };
        check(scope.path(), vpc, &props, &depth)?;
        // The containers are checked before anything is added; the log group comes first.
        let unset = ContainerLogging {
            log_group: LogGroupName::from_expr(""),
            log_group_arn: LogGroupArn::from_expr(""),
            stream_prefix: props.container_name.clone(),
        };
        task_definition_props(&props, image.clone(), unset, queue).check(scope.path())?;
        let log_group = LogGroup::new(
            &mut scope,
            "Logs",
            LogGroupProps {
                retention_days: props.log_retention_days,
                ..Default::default()
            },
        )?;
        let logging = ContainerLogging::new(&log_group, &props.container_name);
        let task_props = task_definition_props(&props, image, logging, queue);
        let roles = TaskRoles::new(&mut scope, &task_props)?;
        let task_definition =
            FargateTaskDefinition::with_roles(&mut scope, "TaskDefinition", task_props, &roles)?;
        queue.grant_consume(&mut scope, "ConsumesQueue", &task_definition.task_role())?;
        let security_group = SecurityGroup::new(
            &mut scope,
            "SecurityGroup",
            &vpc.vpc_id(),
            SecurityGroupProps {
                description: "Tasks of the worker: no inbound traffic".into(),
                egress: vec![default_egress()],
            },
        )?;
        let service = FargateService::with_security_group(
            &mut scope,
            "Resource",
            cluster,
            &task_definition,
            vpc,
            &security_group,
            FargateServiceProps::default(),
        )?;
        ServiceScaling::new(
            &mut scope,
            "Scaling",
            &service,
            ServiceScalingProps {
                min_tasks: props.min_tasks,
                max_tasks: props.max_tasks,
                rules: vec![ScalingRule::Steps(depth)],
            },
        )?;
        let alarms = AlarmSet::new(
            &mut scope,
            "Alarms",
            AlarmSetProps {
                alarms: alarms(&prefix, queue, props.max_message_age_seconds),
                topic: props.alerting_topic.clone(),
                topic_output: None,
            },
        )?;
        Ok(QueueProcessingFargateService {
            service,
            task_definition,
            log_group,
            alarms,
        })
    }

    /// Lets the tasks connect to `peer` on TCP `port` (an `AWS::EC2::SecurityGroupEgress` at
    /// `scope/id`).
    pub fn allow_to(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        peer: &impl Connectable,
        port: u16,
    ) -> Result<()> {
        self.service.allow_to(scope, id, peer, port)
    }

    /// The ECS service.
    pub fn service(&self) -> &FargateService {
        &self.service
    }

    /// The ECS service name.
    pub fn service_name(&self) -> ServiceName {
        self.service.service_name()
    }

    /// The role the worker runs as (it may consume the queue); grant it what else it needs.
    pub fn task_role(&self) -> RoleName {
        self.task_definition.task_role()
    }

    /// The log group's name.
    pub fn log_group_name(&self) -> LogGroupName {
        self.log_group.name()
    }

    /// The dead-letter and message-age alarms.
    pub fn alarms(&self) -> &AlarmSet {
        &self.alarms
    }

    /// AWS/ECS `CPUUtilization` of the worker.
    pub fn metric_cpu(&self) -> Metric {
        self.service.metric_cpu()
    }

    /// AWS/ECS `MemoryUtilization` of the worker.
    pub fn metric_memory(&self) -> Metric {
        self.service.metric_memory()
    }
}

fn alarms(prefix: &str, queue: &Queue, max_age: u32) -> Vec<AlarmProps> {
    vec![
        AlarmProps {
            treat_missing_data: TreatMissingData::NotBreaching,
            ..AlarmProps::new(
                format!("{prefix}-dead-letters"),
                "Messages failed processing and wait in the dead-letter queue",
                queue.metric_dead_letter_messages(),
                ComparisonOperator::GreaterThanOrEqualToThreshold,
                1.0,
            )
        },
        AlarmProps {
            evaluation_periods: 5,
            treat_missing_data: TreatMissingData::NotBreaching,
            ..AlarmProps::new(
                format!("{prefix}-oldest-message"),
                format!("The oldest message has waited more than {max_age} seconds"),
                queue.metric_oldest_message_age(),
                ComparisonOperator::GreaterThanThreshold,
                f64::from(max_age),
            )
        },
    ]
}

fn task_definition_props(
    props: &QueueProcessingFargateServiceProps,
    image: ContainerImage,
    logging: ContainerLogging,
    queue: &Queue,
) -> FargateTaskDefinitionProps {
    let mut environment = props.environment.clone();
    environment.insert(props.queue_url_variable.clone(), queue.url().expr());
    FargateTaskDefinitionProps {
        cpu: props.cpu,
        memory_mib: props.memory_mib,
        cpu_architecture: props.cpu_architecture,
        enable_execute_command: props.enable_execute_command,
        containers: Vec::new(),
    }
    .add_container(ContainerDefinitionProps {
        user: props.user.clone(),
        scratch_paths: props.scratch_paths.clone(),
        command: props.command.clone(),
        environment,
        secrets: props.secrets.clone(),
        health_check: props.health_check.clone(),
        ..ContainerDefinitionProps::new(&props.container_name, image, logging)
    })
}

fn check(
    path: &str,
    vpc: &Vpc,
    p: &QueueProcessingFargateServiceProps,
    depth: &StepScaling,
) -> Result<()> {
    let invalid = |field: &str, problem: String, fix: &str| {
        Err(Error::invalid_props(path, field, problem, fix))
    };
    if vpc.private_subnets().is_empty() {
        return invalid(
            "vpc",
            "the VPC has no private subnets for the tasks".into(),
            "give the VPC private subnets with egress (NAT or VPC endpoints)",
        );
    }
    if p.environment.contains_key(&p.queue_url_variable)
        || p.secrets.contains_key(&p.queue_url_variable)
    {
        return invalid(
            "environment",
            format!(
                "`{}` is set by the worker to the queue's URL",
                p.queue_url_variable
            ),
            "drop it from `environment`/`secrets`, or choose another `queue_url_variable`",
        );
    }
    if !(1..=1440).contains(&p.scale_in_after_minutes) {
        return invalid(
            "scale_in_after_minutes",
            format!("{} is outside 1..=1440", p.scale_in_after_minutes),
            "use a few minutes, such as 5",
        );
    }
    if p.max_tasks == 0 || p.min_tasks > p.max_tasks {
        return invalid(
            "min_tasks",
            format!(
                "min_tasks {} and max_tasks {} leave no room to scale",
                p.min_tasks, p.max_tasks
            ),
            "make max_tasks at least 1 and at least min_tasks",
        );
    }
    if let Err(problem) = check_steps(depth) {
        return invalid(
            "scale_out_steps",
            problem,
            "list increasing values, each adding at least 1 task",
        );
    }
    if p.max_message_age_seconds == 0 {
        return invalid(
            "max_message_age_seconds",
            "0 seconds would alarm on every message".into(),
            "use how long a message may wait, such as 900",
        );
    }
    Ok(())
}
