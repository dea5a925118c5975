//! One container of a Fargate task: its image, size, user, ports, environment, secrets,
//! health check, start-up dependencies and logs. Every container runs as a non-root user on
//! a read-only root filesystem with all kernel capabilities dropped; no prop turns that off.

use indexmap::IndexMap;

use crate::aws::logs::LogGroup;
use crate::aws::refs::{LogGroupArn, LogGroupName};
use crate::aws::secretsmanager::SecretRef;
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::resources::ecs::task_definition as td;
use crate::value::Str;

use super::checks::{
    check_health_check, check_scratch_paths, check_user, is_env_name, is_name, USER_FIX,
};
use super::image::ContainerImage;

/// A container health check (Docker `HEALTHCHECK`).
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerHealthCheck {
    /// The command: `["CMD", "/bin/app", "health"]` or `["CMD-SHELL", "curl -f ..."]`.
    pub command: Vec<String>,
    /// Seconds between checks (5 to 300). Default: 30.
    pub interval_seconds: u32,
    /// Seconds before a check fails (2 to 120). Default: 5.
    pub timeout_seconds: u32,
    /// Failures before the container is unhealthy (1 to 10). Default: 3.
    pub retries: u32,
    /// Seconds after start during which failures do not count (0 to 300). Default: 60.
    pub start_period_seconds: u32,
}

impl ContainerHealthCheck {
    /// A check running `command` with the default timings.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(command: I) -> Self {
        Self {
            command: command.into_iter().map(Into::into).collect(),
            interval_seconds: 30,
            timeout_seconds: 5,
            retries: 3,
            start_period_seconds: 60,
        }
    }

    fn to_cfn(&self) -> td::HealthCheck {
        td::HealthCheck {
            command: Some(self.command.iter().map(|c| c.as_str().into()).collect()),
            interval: Some(self.interval_seconds.into()),
            timeout: Some(self.timeout_seconds.into()),
            retries: Some(self.retries.into()),
            start_period: Some(self.start_period_seconds.into()),
        }
    }
}

/// When a container may start relative to another container of the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DependencyCondition {
    /// `START`: once the other container has started.
    Start,
    /// `COMPLETE`: once it has exited (whatever its exit code); it must not be essential.
    Complete,
    /// `SUCCESS`: once it has exited with 0 (a migration, a set-up step); it must not be
    /// essential.
    Success,
    /// `HEALTHY`: once its health check passes; it must have one.
    Healthy,
}

impl DependencyCondition {
    fn to_cfn(self) -> td::Condition {
        match self {
            DependencyCondition::Start => td::Condition::Start,
            DependencyCondition::Complete => td::Condition::Complete,
            DependencyCondition::Success => td::Condition::Success,
            DependencyCondition::Healthy => td::Condition::Healthy,
        }
    }
}

/// A start-up dependency on another container of the same task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerDependency {
    /// The other container's name.
    pub container: String,
    /// What it must have reached.
    pub condition: DependencyCondition,
}

impl ContainerDependency {
    /// Starts after `container` has reached `condition`.
    pub fn new(container: &str, condition: DependencyCondition) -> Self {
        Self {
            container: container.to_owned(),
            condition,
        }
    }
}

/// Where a container's output goes (the `awslogs` driver). The execution role may write
/// exactly this log group.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerLogging {
    /// The log group's name.
    pub log_group: LogGroupName,
    /// The log group's ARN.
    pub log_group_arn: LogGroupArn,
    /// Log stream prefix (streams are `PREFIX/CONTAINER/TASK_ID`; no `:` or `*`).
    pub stream_prefix: String,
}

impl ContainerLogging {
    /// Logs to `log_group` under streams `stream_prefix/CONTAINER/TASK_ID`.
    pub fn new(log_group: &LogGroup, stream_prefix: &str) -> Self {
        Self {
            log_group: log_group.name(),
            log_group_arn: log_group.arn(),
            stream_prefix: stream_prefix.to_owned(),
        }
    }
}

/// Props of one container. Build with [`ContainerDefinitionProps::new`], then set fields
/// with `..ContainerDefinitionProps::new(..)`.
#[derive(Debug, Clone)]
pub struct ContainerDefinitionProps {
    /// The container name (1 to 255 letters, digits, `-` and `_`), unique in the task.
    pub name: String,
    /// The image.
    pub image: ContainerImage,
    /// Where its output goes.
    pub logging: ContainerLogging,
    /// Whether the task stops when this container stops. Default: true.
    pub essential: bool,
    /// CPU units (at most the task's). Default: the task's.
    pub cpu: Option<u32>,
    /// Hard memory limit in MiB (6 to the task's). Default: the task's. With several
    /// containers, the limits together must fit in the task's memory.
    pub memory_mib: Option<u32>,
    /// The user it runs as (`uid`, `uid:gid` or a user name; never root). Default: `10001`.
    pub user: String,
    /// Writable directories on top of the read-only root filesystem (ephemeral task
    /// storage; Fargate has no tmpfs). Default: `["/tmp"]`.
    pub scratch_paths: Vec<String>,
    /// TCP ports it listens on. Default: none.
    pub ports: Vec<u16>,
    /// The command, replacing the image's `CMD`. Default: the image's.
    pub command: Vec<String>,
    /// Plain environment variables. Default: none.
    pub environment: IndexMap<String, Expr>,
    /// Environment variables read from Secrets Manager when the task starts (the execution
    /// role may read exactly these secrets). Default: none.
    pub secrets: IndexMap<String, SecretRef>,
    /// The health check. Default: none.
    pub health_check: Option<ContainerHealthCheck>,
    /// Containers of the task that must reach a state before this one starts. Default: none.
    pub depends_on: Vec<ContainerDependency>,
}

impl ContainerDefinitionProps {
    /// An essential container `name` running `image`, logging to `logging`, with the
    /// defaults above.
    pub fn new(name: &str, image: ContainerImage, logging: ContainerLogging) -> Self {
        Self {
            name: name.to_owned(),
            image,
            logging,
            essential: true,
            cpu: None,
            memory_mib: None,
            user: "10001".to_owned(),
            scratch_paths: vec!["/tmp".to_owned()],
            ports: Vec::new(),
            command: Vec::new(),
            environment: IndexMap::new(),
            secrets: IndexMap::new(),
            health_check: None,
            depends_on: Vec::new(),
        }
    }

    /// Checks everything that concerns this container alone; `prefix` (`containers[1].`)
    /// is prepended to field names.
    pub(crate) fn check(&self, path: &str, prefix: &str, task: (u32, u32)) -> Result<()> {
        let invalid = |field: &str, problem: String, fix: &str| {
            Err(Error::invalid_props(
                path,
                format!("{prefix}{field}"),
                problem,
                fix,
            ))
        };
        if !is_name(&self.name) {
            return invalid(
                "name",
                format!("`{}` is not a container name", self.name),
                "use 1 to 255 letters, digits, `-` and `_`",
            );
        }
        self.image.check(path, &format!("{prefix}image"))?;
        let (cpu, memory) = self.size(task);
        if cpu == 0 || cpu > task.0 {
            return invalid(
                "cpu",
                format!("{cpu} CPU units is outside 1..={} (the task's)", task.0),
                "give the container at most the task's CPU, or leave it unset",
            );
        }
        // Docker refuses hard limits under 6 MiB.
        if memory < 6 || memory > task.1 {
            return invalid(
                "memory_mib",
                format!("{memory} MiB is outside 6..={} (the task's)", task.1),
                "give the container at most the task's memory, or leave it unset",
            );
        }
        if let Err(problem) = check_user(&self.user) {
            return invalid("user", problem, USER_FIX);
        }
        check_scratch_paths(path, &format!("{prefix}scratch_paths"), &self.scratch_paths)?;
        for (i, port) in self.ports.iter().enumerate() {
            if *port == 0 {
                return invalid(
                    "ports",
                    "port 0 is not a TCP port".into(),
                    "use a port between 1 and 65535",
                );
            }
            if self.ports[..i].contains(port) {
                return invalid(
                    "ports",
                    format!("port {port} is listed twice"),
                    "list each port once",
                );
            }
        }
        if self.command.iter().any(String::is_empty) {
            return invalid(
                "command",
                "the command has an empty argument".into(),
                "list the program and its arguments, none empty",
            );
        }
        let mut names: Vec<&str> = Vec::new();
        let env_names = self.environment.keys().map(|k| ("environment", k));
        let secret_names = self.secrets.keys().map(|k| ("secrets", k));
        for (field, name) in env_names.chain(secret_names) {
            if !is_env_name(name) {
                return invalid(
                    field,
                    format!("`{name}` is not an environment variable name"),
                    "use letters, digits and `_`, not starting with a digit",
                );
            }
            if names.contains(&name.as_str()) {
                return invalid(
                    field,
                    format!("`{name}` is set more than once"),
                    "set each variable once, as plain environment or as a secret",
                );
            }
            names.push(name);
        }
        for (name, secret) in &self.secrets {
            secret.check(path, &format!("{prefix}secrets.{name}"))?;
        }
        if let Some(h) = &self.health_check {
            check_health_check(path, &format!("{prefix}health_check."), h)?;
        }
        let stream = &self.logging.stream_prefix;
        if stream.is_empty() || stream.contains([':', '*']) {
            return invalid(
                "logging.stream_prefix",
                format!("`{stream}` is not a log stream prefix"),
                "use a short name without `:` or `*`, such as `app`",
            );
        }
        Ok(())
    }

    /// CPU units and memory after defaults, given the task's.
    pub(crate) fn size(&self, task: (u32, u32)) -> (u32, u32) {
        (
            self.cpu.unwrap_or(task.0),
            self.memory_mib.unwrap_or(task.1),
        )
    }

    /// The container definition; its scratch volumes are named `scratch{first_volume + i}`.
    pub(crate) fn to_cfn(&self, task: (u32, u32), first_volume: usize) -> td::ContainerDefinition {
        let (cpu, memory) = self.size(task);
        let environment: Vec<td::KeyValuePair> = self
            .environment
            .iter()
            .map(|(k, v)| td::KeyValuePair {
                name: Some(k.as_str().into()),
                value: Some(Str(v.clone())),
            })
            .collect();
        let secrets: Vec<td::Secret> = self
            .secrets
            .iter()
            .map(|(name, s)| td::Secret::new(name.as_str(), Str(s.value_from())))
            .collect();
        let mut log_options = IndexMap::new();
        log_options.insert(
            "awslogs-group".to_owned(),
            Str::from(&self.logging.log_group),
        );
        log_options.insert("awslogs-region".to_owned(), Str(Expr::region()));
        log_options.insert(
            "awslogs-stream-prefix".to_owned(),
            Str::from(self.logging.stream_prefix.as_str()),
        );
        td::ContainerDefinition {
            essential: Some(self.essential.into()),
            cpu: Some(cpu.into()),
            memory: Some(memory.into()),
            user: Some(self.user.as_str().into()),
            readonly_root_filesystem: Some(true.into()),
            privileged: Some(false.into()),
            linux_parameters: Some(td::LinuxParameters {
                // A non-root process needs no kernel capabilities.
                capabilities: Some(td::KernelCapabilities {
                    drop: Some(vec!["ALL".into()]),
                    ..Default::default()
                }),
                init_process_enabled: Some(true.into()),
                ..Default::default()
            }),
            port_mappings: (!self.ports.is_empty()).then(|| {
                self.ports
                    .iter()
                    .map(|p| td::PortMapping {
                        container_port: Some((*p).into()),
                        protocol: Some(td::Protocol::Tcp),
                        ..Default::default()
                    })
                    .collect()
            }),
            command: (!self.command.is_empty())
                .then(|| self.command.iter().map(|c| c.as_str().into()).collect()),
            environment: (!environment.is_empty()).then_some(environment),
            secrets: (!secrets.is_empty()).then_some(secrets),
            health_check: self.health_check.as_ref().map(ContainerHealthCheck::to_cfn),
            depends_on: (!self.depends_on.is_empty()).then(|| {
                self.depends_on
                    .iter()
                    .map(|d| td::ContainerDependency {
                        container_name: Some(d.container.as_str().into()),
                        condition: Some(d.condition.to_cfn()),
                    })
                    .collect()
            }),
            log_configuration: Some(td::LogConfiguration {
                options: Some(log_options),
                ..td::LogConfiguration::new("awslogs")
            }),
            mount_points: (!self.scratch_paths.is_empty()).then(|| {
                self.scratch_paths
                    .iter()
                    .enumerate()
                    .map(|(i, p)| td::MountPoint {
                        container_path: Some(p.as_str().into()),
                        source_volume: Some(volume_name(first_volume + i).into()),
                        read_only: Some(false.into()),
                    })
                    .collect()
            }),
            ..td::ContainerDefinition::new(Str(self.image.uri()), self.name.as_str())
        }
    }
}

/// The name of the task's `i`-th scratch volume.
pub(crate) fn volume_name(i: usize) -> String {
    format!("scratch{i}")
}
