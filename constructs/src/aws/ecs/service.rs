//! `FargateService`: tasks of a task definition in private subnets without public IPs, a
//! deployment circuit breaker that rolls back, and load balancer targets whose load
//! balancers alone may reach the tasks. The desired count is left to autoscaling
//! ([`ServiceScaling`](super::ServiceScaling)) unless fixed.

use crate::aws::cloudwatch::Metric;
use crate::aws::ec2::{Connectable, EgressRule, SecurityGroup, SecurityGroupProps, Vpc};
use crate::aws::elbv2::{ForwardsTraffic, TargetGroup};
use crate::aws::refs::{ClusterName, RoleArn, RoleName, SecurityGroupId, ServiceName};
use crate::error::{Error, Result};
use crate::expr::Reference;
use crate::resource::{ResourceHandle, ResourceOptions};
use crate::resources::ecs::{self as cfn, service};
use crate::scope::Scope;
use crate::value::Str;

use super::cluster::Cluster;
use super::task_definition::FargateTaskDefinition;

/// A target group a service's container registers in, with the listener or rule that
/// forwards to it.
#[derive(Debug, Clone)]
pub struct LoadBalancerTarget {
    target_group: TargetGroup,
    container_name: String,
    container_port: u16,
    forwarding: Reference,
    load_balancer_security_group: SecurityGroupId,
    forwarded: bool,
}

impl LoadBalancerTarget {
    /// Registers port `container_port` of container `container_name` in `target_group`,
    /// which `forwarded_by` (an [`HttpsListener`](crate::aws::elbv2::HttpsListener) or
    /// [`ListenerRule`](crate::aws::elbv2::ListenerRule)) forwards to.
    pub fn new(
        forwarded_by: &impl ForwardsTraffic,
        target_group: &TargetGroup,
        container_name: &str,
        container_port: u16,
    ) -> Self {
        Self {
            target_group: target_group.clone(),
            container_name: container_name.to_owned(),
            container_port,
            forwarding: forwarded_by.forwarding_resource(),
            load_balancer_security_group: forwarded_by.load_balancer_security_group(),
            forwarded: forwarded_by.forwards_to(target_group),
        }
    }

    /// The target group.
    pub fn target_group(&self) -> &TargetGroup {
        &self.target_group
    }
}

/// Props of [`FargateService`].
#[derive(Debug, Clone)]
pub struct FargateServiceProps {
    /// A fixed number of tasks. Default: none — autoscaling sets the count (ECS starts one
    /// task when the service is created, and a deploy never resets what autoscaling chose).
    pub desired_count: Option<u32>,
    /// Share of the desired count that must stay healthy during a deployment (0 to 100).
    /// Default: 100.
    pub min_healthy_percent: u32,
    /// Most tasks during a deployment, as a share of the desired count (above
    /// `min_healthy_percent`, at most 200). Default: 200.
    pub max_percent: u32,
    /// Seconds after a task starts during which failed load balancer health checks are
    /// ignored (only with load balancers). Default: 60.
    pub health_check_grace_period_seconds: u32,
    /// Target groups the tasks register in. Default: none (a worker).
    pub load_balancers: Vec<LoadBalancerTarget>,
    /// Outbound TCP from the tasks. Default: 443 anywhere (AWS APIs through NAT or VPC
    /// endpoints); add peers with [`FargateService::allow_to`].
    pub egress: Vec<EgressRule>,
}

impl Default for FargateServiceProps {
    fn default() -> Self {
        Self {
            desired_count: None,
            min_healthy_percent: 100,
            max_percent: 200,
            health_check_grace_period_seconds: 60,
            load_balancers: Vec::new(),
            egress: vec![default_egress()],
        }
    }
}

/// The outbound rule tasks need to reach AWS APIs.
pub(crate) fn default_egress() -> EgressRule {
    EgressRule {
        cidr: "0.0.0.0/0".into(),
        port: 443,
        description: "HTTPS to AWS APIs (through NAT or VPC endpoints)".into(),
    }
}

impl FargateServiceProps {
    fn check(&self, path: &str, vpc: &Vpc, task: &FargateTaskDefinition) -> Result<()> {
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
        if self.min_healthy_percent > 100 {
            return invalid(
                "min_healthy_percent",
                format!("{} is more than 100", self.min_healthy_percent),
                "use 0 to 100",
            );
        }
        if self.max_percent <= self.min_healthy_percent || self.max_percent > 200 {
            return invalid(
                "max_percent",
                format!(
                    "{} must be above min_healthy_percent ({}) and at most 200, or deployments cannot replace tasks",
                    self.max_percent, self.min_healthy_percent
                ),
                "use 200 with min_healthy_percent 100",
            );
        }
        for (i, t) in self.load_balancers.iter().enumerate() {
            let field = format!("load_balancers[{i}]");
            if !task.has_port(&t.container_name, t.container_port) {
                return invalid(
                    &field,
                    format!(
                        "the task definition has no container `{}` listening on {}",
                        t.container_name, t.container_port
                    ),
                    "name a container of the task and one of its `ports`",
                );
            }
            if !t.forwarded {
                return invalid(
                    &field,
                    "the listener or rule given does not forward to this target group".into(),
                    "pass the listener or rule whose action forwards to the target group",
                );
            }
        }
        Ok(())
    }
}

/// A Fargate service.
#[derive(Debug, Clone)]
pub struct FargateService {
    handle: ResourceHandle<cfn::Service>,
    cluster: ClusterName,
    security_group: SecurityGroup,
    task_role: RoleName,
    task_role_arn: RoleArn,
    pub(crate) desired_count: Option<u32>,
}

impl Connectable for FargateService {
    /// The tasks' security group (a database allows this one in).
    fn security_group_id(&self) -> SecurityGroupId {
        self.security_group.id()
    }
}

impl FargateService {
    /// Adds the service under `scope/id`: the tasks' security group (`SecurityGroup`), for
    /// each load balancer the rules letting it reach the container port
    /// (`FromLoadBalancer{i}`, `LoadBalancerEgress{i}`), and the service (`Resource`).
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        cluster: &Cluster,
        task_definition: &FargateTaskDefinition,
        vpc: &Vpc,
        props: FargateServiceProps,
    ) -> Result<FargateService> {
        let mut scope = scope.construct(id, "FargateService")?;
        props.check(scope.path(), vpc, task_definition)?;
        let security_group = SecurityGroup::new(
            &mut scope,
            "SecurityGroup",
            &vpc.vpc_id(),
            SecurityGroupProps {
                description: if props.load_balancers.is_empty() {
                    "Tasks of the service: no inbound traffic".into()
                } else {
                    "Tasks of the service: only its load balancers may connect".into()
                },
                egress: props.egress.clone(),
            },
        )?;
        let mut opened: Vec<(SecurityGroupId, u16)> = Vec::new();
        for t in &props.load_balancers {
            let pair = (t.load_balancer_security_group.clone(), t.container_port);
            if opened.contains(&pair) {
                continue;
            }
            let i = opened.len();
            let lb = SecurityGroup::from_id(pair.0.clone());
            let port = pair.1;
            let description = "load balancer to the service's tasks";
            security_group.allow_from(
                &mut scope,
                &format!("FromLoadBalancer{i}"),
                &lb,
                port,
                description,
            )?;
            lb.allow_to(
                &mut scope,
                &format!("LoadBalancerEgress{i}"),
                &security_group,
                port,
                description,
            )?;
            opened.push(pair);
        }
        Self::with_security_group(
            &mut scope,
            "Resource",
            cluster,
            task_definition,
            vpc,
            &security_group,
            props,
        )
    }

    /// Adds only the service, at `scope/id`, with a security group (and its rules) the
    /// caller made.
    pub fn with_security_group(
        scope: &mut Scope<'_>,
        id: &str,
        cluster: &Cluster,
        task_definition: &FargateTaskDefinition,
        vpc: &Vpc,
        security_group: &SecurityGroup,
        props: FargateServiceProps,
    ) -> Result<FargateService> {
        props.check(&format!("{}/{id}", scope.path()), vpc, task_definition)?;
        let with_lb = !props.load_balancers.is_empty();
        let mut depends_on: Vec<Reference> = Vec::new();
        for t in &props.load_balancers {
            if !depends_on.contains(&t.forwarding) {
                depends_on.push(t.forwarding.clone());
            }
        }
        let handle = scope.add_with(
            id,
            cfn::Service {
                cluster: Some(cluster.name().into()),
                launch_type: Some(service::LaunchType::Fargate),
                platform_version: Some("LATEST".into()),
                task_definition: Some(task_definition.arn().into()),
                desired_count: props.desired_count.map(Into::into),
                deployment_configuration: Some(service::DeploymentConfiguration {
                    deployment_circuit_breaker: Some(service::DeploymentCircuitBreaker::new(
                        true, true,
                    )),
                    minimum_healthy_percent: Some(props.min_healthy_percent.into()),
                    maximum_percent: Some(props.max_percent.into()),
                    ..Default::default()
                }),
                enable_execute_command: Some(task_definition.execute_command_enabled().into()),
                health_check_grace_period_seconds: with_lb
                    .then(|| props.health_check_grace_period_seconds.into()),
                load_balancers: with_lb.then(|| {
                    props
                        .load_balancers
                        .iter()
                        .map(|t| service::LoadBalancer {
                            container_name: Some(t.container_name.as_str().into()),
                            container_port: Some(t.container_port.into()),
                            target_group_arn: Some(t.target_group.arn().into()),
                            ..Default::default()
                        })
                        .collect()
                }),
                network_configuration: Some(service::NetworkConfiguration {
                    awsvpc_configuration: Some(service::AwsVpcConfiguration {
                        assign_public_ip: Some(service::AssignPublicIp::Disabled),
                        security_groups: Some(vec![security_group.id().into()]),
                        subnets: Some(
                            vpc.private_subnet_ids()
                                .into_iter()
                                .map(Str::from)
                                .collect(),
                        ),
                    }),
                }),
                enable_ecs_managed_tags: Some(true.into()),
                propagate_tags: Some(service::PropagateTags::Service),
                ..Default::default()
            },
            // A service attached to a target group fails to create until a listener
            // forwards to that group.
            ResourceOptions {
                depends_on,
                ..Default::default()
            },
        )?;
        Ok(FargateService {
            handle,
            cluster: cluster.name(),
            security_group: security_group.clone(),
            task_role: task_definition.task_role(),
            task_role_arn: task_definition.task_role_arn(),
            desired_count: props.desired_count,
        })
    }

    /// Lets the tasks connect to `peer` on TCP `port` (an `AWS::EC2::SecurityGroupEgress` at
    /// `scope/id`); the peer still has to allow the service in (`db.allow_from(&service)`).
    pub fn allow_to(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        peer: &impl Connectable,
        port: u16,
    ) -> Result<()> {
        self.security_group
            .allow_to(scope, id, peer, port, "service to a dependency")
    }

    /// The ECS service name.
    pub fn service_name(&self) -> ServiceName {
        ServiceName::from_expr(self.handle.name())
    }

    /// The ECS cluster name.
    pub fn cluster_name(&self) -> ClusterName {
        self.cluster.clone()
    }

    /// The tasks' security group.
    pub fn security_group(&self) -> SecurityGroupId {
        self.security_group.id()
    }

    /// The role the application runs as; grant it what it needs.
    pub fn task_role(&self) -> RoleName {
        self.task_role.clone()
    }

    /// The task role's ARN.
    pub fn task_role_arn(&self) -> RoleArn {
        self.task_role_arn.clone()
    }

    /// The fixed desired count, if one was set.
    pub fn desired_count(&self) -> Option<u32> {
        self.desired_count
    }

    /// The underlying resource.
    pub fn handle(&self) -> &ResourceHandle<cfn::Service> {
        &self.handle
    }

    fn ecs_metric(&self, name: &str) -> Metric {
        Metric::new("AWS/ECS", name)
            .dimension("ClusterName", self.cluster_name())
            .dimension("ServiceName", self.service_name())
            .unit("Percent")
    }

    /// AWS/ECS `CPUUtilization` of the service (Average, 300 s).
    pub fn metric_cpu(&self) -> Metric {
        self.ecs_metric("CPUUtilization")
    }

    /// AWS/ECS `MemoryUtilization` of the service (Average, 300 s).
    pub fn metric_memory(&self) -> Metric {
        self.ecs_metric("MemoryUtilization")
    }
}
