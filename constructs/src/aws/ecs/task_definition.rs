//! `FargateTaskDefinition`: the containers of a Fargate task, their sizes and the task's
//! roles, with CPU and memory limits always set.

use indexmap::IndexMap;

use crate::aws::refs::{RoleArn, RoleName};
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::resource::{ResourceHandle, ResourceOptions};
use crate::resources::ecs::{self as cfn, task_definition as td};
use crate::scope::Scope;

use super::container::{volume_name, ContainerDefinitionProps, DependencyCondition};
use super::fargate::{fargate_memory_options, FARGATE_CPU_UNITS};
use super::image::IMAGE_METADATA_KEY;
use super::task_roles::{ExecutionGrants, TaskRoles};

/// The CPU architecture of the images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CpuArchitecture {
    /// `X86_64` (the default: what most build machines produce).
    #[default]
    X86_64,
    /// `ARM64` (Graviton; cheaper per vCPU).
    Arm64,
}

/// Props of [`FargateTaskDefinition`]: the task size and its containers.
///
/// ```
/// # use stackforge_constructs::aws::ecs::*;
/// # use stackforge_constructs::aws::ecr::Repository;
/// # use stackforge_constructs::aws::logs::{LogGroup, LogGroupProps};
/// # use stackforge_constructs::aws::refs::RepositoryName;
/// # use stackforge_constructs::testing::synth_stack;
/// synth_stack(|s| {
///     let logs = LogGroup::new(s, "Logs", LogGroupProps::default())?;
///     let repo = Repository::from_name(RepositoryName::from_expr("orders"));
///     let props = FargateTaskDefinitionProps { cpu: 512, memory_mib: 1024, ..Default::default() }
///         .add_container(ContainerDefinitionProps {
///             ports: vec![8080],
///             cpu: Some(384),
///             memory_mib: Some(768),
///             ..ContainerDefinitionProps::new("app", ContainerImage::ecr_tag(&repo, "1.0.0"),
///                 ContainerLogging::new(&logs, "app"))
///         })
///         .add_container(ContainerDefinitionProps {
///             essential: false,
///             memory_mib: Some(256),
///             cpu: Some(128),
///             ..ContainerDefinitionProps::new("migrate", ContainerImage::ecr_tag(&repo, "1.0.0"),
///                 ContainerLogging::new(&logs, "migrate"))
///         });
///     let task = FargateTaskDefinition::new(s, "Task", props)?;
///     assert_eq!(task.container_port("app"), Some(8080));
///     Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct FargateTaskDefinitionProps {
    /// Task CPU units (256, 512, 1024, 2048, 4096, 8192 or 16384). Default: 512.
    pub cpu: u32,
    /// Task memory in MiB, a size Fargate allows with `cpu`. Default: 1024.
    pub memory_mib: u32,
    /// The images' CPU architecture. Default: [`CpuArchitecture::X86_64`].
    pub cpu_architecture: CpuArchitecture,
    /// Allows `aws ecs execute-command` into the tasks (the task role then gets the SSM
    /// channel permissions, and services of this task enable it). Default: false.
    pub enable_execute_command: bool,
    /// The containers, at least one essential. Default: none (add with
    /// [`FargateTaskDefinitionProps::add_container`]).
    pub containers: Vec<ContainerDefinitionProps>,
}

impl Default for FargateTaskDefinitionProps {
    fn default() -> Self {
        Self {
            cpu: 512,
            memory_mib: 1024,
            cpu_architecture: CpuArchitecture::default(),
            enable_execute_command: false,
            containers: Vec::new(),
        }
    }
}

impl FargateTaskDefinitionProps {
    /// Adds a container (checked, with the others, when the task definition is created).
    pub fn add_container(mut self, container: ContainerDefinitionProps) -> Self {
        self.containers.push(container);
        self
    }

    /// Checks the task size and every container; errors name `path`.
    pub(crate) fn check(&self, path: &str) -> Result<()> {
        let invalid = |field: &str, problem: String, fix: String| {
            Err(Error::invalid_props(path, field, problem, fix))
        };
        let Some(memory_options) = fargate_memory_options(self.cpu) else {
            return invalid(
                "cpu",
                format!("{} CPU units is not a Fargate task size", self.cpu),
                format!("use one of {FARGATE_CPU_UNITS:?}"),
            );
        };
        if !memory_options.contains(&self.memory_mib) {
            return invalid(
                "memory_mib",
                format!(
                    "{} MiB with {} CPU units is not a Fargate task size",
                    self.memory_mib, self.cpu
                ),
                format!(
                    "with {} CPU units use {} to {} MiB ({:?})",
                    self.cpu,
                    memory_options[0],
                    memory_options[memory_options.len() - 1],
                    memory_options
                ),
            );
        }
        if !self.containers.iter().any(|c| c.essential) {
            return invalid(
                "containers",
                "the task has no essential container".into(),
                "add a container with `essential: true` (the default)".into(),
            );
        }
        let task = (self.cpu, self.memory_mib);
        let (mut cpu, mut memory) = (0, 0);
        for (i, c) in self.containers.iter().enumerate() {
            c.check(path, &format!("containers[{i}]."), task)?;
            if self.containers[..i].iter().any(|o| o.name == c.name) {
                return invalid(
                    &format!("containers[{i}].name"),
                    format!("two containers are named `{}`", c.name),
                    "give each container its own name".into(),
                );
            }
            let size = c.size(task);
            cpu += size.0;
            memory += size.1;
        }
        if self.containers.len() > 1 && (cpu > self.cpu || memory > self.memory_mib) {
            return invalid(
                "containers",
                format!(
                    "the containers ask for {cpu} CPU units and {memory} MiB together, the task has {} and {}",
                    self.cpu, self.memory_mib
                ),
                "give each container its `cpu` and `memory_mib` so that together they fit the task".into(),
            );
        }
        for (i, c) in self.containers.iter().enumerate() {
            for d in &c.depends_on {
                let field = format!("containers[{i}].depends_on");
                let Some(other) = self.containers.iter().find(|o| o.name == d.container) else {
                    return invalid(
                        &field,
                        format!("no container of the task is named `{}`", d.container),
                        "name a container of this task".into(),
                    );
                };
                let problem = if other.name == c.name {
                    Some("a container cannot wait for itself")
                } else if matches!(
                    d.condition,
                    DependencyCondition::Complete | DependencyCondition::Success
                ) && other.essential
                {
                    Some("ECS refuses COMPLETE and SUCCESS on an essential container, whose exit stops the task")
                } else if d.condition == DependencyCondition::Healthy
                    && other.health_check.is_none()
                {
                    Some("HEALTHY needs the other container to have a health check")
                } else {
                    None
                };
                if let Some(problem) = problem {
                    return invalid(
                        &field,
                        format!("`{}`: {problem}", d.container),
                        "fix the dependency or the container it names".into(),
                    );
                }
            }
        }
        Ok(())
    }

    fn to_cfn(&self, roles: &TaskRoles) -> cfn::TaskDefinition {
        let task = (self.cpu, self.memory_mib);
        let mut volumes = 0;
        let containers = self
            .containers
            .iter()
            .map(|c| {
                let def = c.to_cfn(task, volumes);
                volumes += c.scratch_paths.len();
                def
            })
            .collect();
        cfn::TaskDefinition {
            container_definitions: Some(containers),
            cpu: Some(self.cpu.to_string().into()),
            memory: Some(self.memory_mib.to_string().into()),
            execution_role_arn: Some(roles.execution_role_arn().into()),
            task_role_arn: Some(roles.task_role_arn().into()),
            network_mode: Some(td::NetworkMode::Awsvpc),
            requires_compatibilities: Some(vec![td::RequiresCompatibility::Fargate]),
            runtime_platform: Some(td::RuntimePlatform {
                cpu_architecture: Some(match self.cpu_architecture {
                    CpuArchitecture::X86_64 => td::CpuArchitecture::X86_64,
                    CpuArchitecture::Arm64 => td::CpuArchitecture::Arm64,
                }),
                operating_system_family: Some(td::OperatingSystemFamily::Linux),
            }),
            // A volume with no host path is ephemeral task storage, writable by the container.
            volumes: (volumes > 0).then(|| {
                (0..volumes)
                    .map(|i| td::Volume {
                        name: Some(volume_name(i).into()),
                        ..Default::default()
                    })
                    .collect()
            }),
            ..Default::default()
        }
    }
}

/// A Fargate task definition (`awsvpc` networking, Linux) and its roles.
#[derive(Debug, Clone)]
pub struct FargateTaskDefinition {
    handle: ResourceHandle<cfn::TaskDefinition>,
    roles: TaskRoles,
    containers: Vec<(String, Vec<u16>)>,
    execute_command: bool,
}

impl FargateTaskDefinition {
    /// Adds the task definition under `scope/id` (`Resource`) with its roles
    /// (`ExecutionRole`, `TaskRole`).
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        props: FargateTaskDefinitionProps,
    ) -> Result<FargateTaskDefinition> {
        let mut scope = scope.construct(id, "FargateTaskDefinition")?;
        props.check(scope.path())?;
        let roles = TaskRoles::new(&mut scope, &props)?;
        Self::with_roles(&mut scope, "Resource", props, &roles)
    }

    /// Adds only the task definition, at `scope/id`, with roles made for these props by
    /// [`TaskRoles::new`] (an error names what the execution role would not allow).
    pub fn with_roles(
        scope: &mut Scope<'_>,
        id: &str,
        props: FargateTaskDefinitionProps,
        roles: &TaskRoles,
    ) -> Result<FargateTaskDefinition> {
        Self::with_roles_and_metadata(scope, id, props, roles, IndexMap::new())
    }

    /// [`Self::with_roles`] with resource metadata for tools (such as the step `deploy` runs
    /// after the stack, `stackforge:run-after-deploy`).
    pub fn with_roles_and_metadata(
        scope: &mut Scope<'_>,
        id: &str,
        props: FargateTaskDefinitionProps,
        roles: &TaskRoles,
        metadata: IndexMap<String, serde_json::Value>,
    ) -> Result<FargateTaskDefinition> {
        let path = format!("{}/{id}", scope.path());
        props.check(&path)?;
        if !roles.grants.covers(&ExecutionGrants::of(&props)) {
            return Err(Error::invalid_props(
                &path,
                "roles",
                "the execution role does not allow pulling every image, writing every log group and reading every secret of these containers",
                "create the roles with `TaskRoles::new` from these same props",
            ));
        }
        // Digest parameters and their repositories, for `deploy` (see IMAGE_METADATA_KEY).
        let images: serde_json::Map<String, serde_json::Value> = props
            .containers
            .iter()
            .filter_map(|c| c.image.deploy_metadata(&c.name))
            .collect();
        let mut options = ResourceOptions {
            metadata,
            ..Default::default()
        };
        if !images.is_empty() {
            options.metadata.insert(
                IMAGE_METADATA_KEY.to_owned(),
                serde_json::Value::Object(images),
            );
        }
        let handle = scope.add_with(id, props.to_cfn(roles), options)?;
        Ok(FargateTaskDefinition {
            handle,
            roles: roles.clone(),
            containers: props
                .containers
                .iter()
                .map(|c| (c.name.clone(), c.ports.clone()))
                .collect(),
            execute_command: props.enable_execute_command,
        })
    }

    /// The task definition ARN (`Ref`).
    pub fn arn(&self) -> Expr {
        self.handle.ref_()
    }

    /// The first port of container `name`, if it has that container and a port.
    pub fn container_port(&self, name: &str) -> Option<u16> {
        self.containers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, ports)| ports.first().copied())
    }

    /// Whether container `name` listens on `port`.
    pub fn has_port(&self, name: &str, port: u16) -> bool {
        self.containers
            .iter()
            .any(|(n, ports)| n == name && ports.contains(&port))
    }

    /// Whether `aws ecs execute-command` is allowed (services enable it accordingly).
    pub fn execute_command_enabled(&self) -> bool {
        self.execute_command
    }

    /// The roles.
    pub fn roles(&self) -> &TaskRoles {
        &self.roles
    }

    /// The role the application runs as; grant it what the application needs.
    pub fn task_role(&self) -> RoleName {
        self.roles.task_role()
    }

    /// The task role's ARN.
    pub fn task_role_arn(&self) -> RoleArn {
        self.roles.task_role_arn()
    }

    /// The underlying resource.
    pub fn handle(&self) -> &ResourceHandle<cfn::TaskDefinition> {
        &self.handle
    }
}
