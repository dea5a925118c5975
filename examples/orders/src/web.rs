//! `web`: the web shop, a second service on the API's HTTPS load balancer under `/shop`
//! (a routing rule of the API's listener), built from the pieces: its image from the registry,
//! task definition, service and scaling on requests per task.

use stackforge_constructs::aws::ec2::Vpc;
use stackforge_constructs::aws::ecs::{
    image_digest_parameter, Cluster, ClusterProps, ContainerDefinitionProps, ContainerHealthCheck,
    ContainerImage, ContainerLogging, FargateService, FargateServiceProps, FargateTaskDefinition,
    FargateTaskDefinitionProps, LoadBalancerTarget, ScalingRule, ServiceScaling,
    ServiceScalingProps,
};
use stackforge_constructs::aws::ecs_patterns::LoadBalancedFargateService;
use stackforge_constructs::aws::elbv2::{
    ListenerRule, ListenerRuleProps, TargetGroup, TargetGroupProps,
};
use stackforge_constructs::aws::logs::{LogGroup, LogGroupProps};
use stackforge_constructs::{App, Environment, Error, Stack, StackProps};

use crate::registry::Registry;
use crate::settings::Settings;

/// The web shop's port.
pub const WEB_PORT: u16 = 8080;

/// What the monitoring stack uses from `web`.
#[derive(Debug, Clone)]
pub struct Web {
    /// The service.
    pub service: FargateService,
    /// Its target group on the API's load balancer.
    pub target_group: TargetGroup,
    /// Its log group.
    pub log_group: LogGroup,
}

/// Builds the `web` stack.
pub fn build(
    app: &App,
    env: &Environment,
    s: &Settings,
    vpc: &Vpc,
    api: &LoadBalancedFargateService,
    registry: &Registry,
) -> Result<(Stack, Web), Error> {
    let mut stack = Stack::new(
        app,
        env,
        "web",
        StackProps {
            description: Some(format!(
                "orders ({}) web: the web shop on Fargate, sharing the API's HTTPS load balancer under /shop",
                s.env
            )),
            ..Default::default()
        },
    )?;
    let mut root = stack.root();
    let digest = image_digest_parameter(&mut root, "ImageDigest")?;
    let cluster = Cluster::new(&mut root, "Cluster", ClusterProps::default())?;
    let log_group = LogGroup::new(&mut root, "Logs", LogGroupProps::default())?;
    let task = FargateTaskDefinition::new(
        &mut root,
        "Task",
        FargateTaskDefinitionProps::default().add_container(ContainerDefinitionProps {
            ports: vec![WEB_PORT],
            health_check: Some(ContainerHealthCheck::new(["CMD", "/shop/healthcheck"])),
            ..ContainerDefinitionProps::new(
                "shop",
                ContainerImage::ecr_digest_parameter(&registry.shop, digest),
                ContainerLogging::new(&log_group, "shop"),
            )
        }),
    )?;
    let target_group = TargetGroup::new(
        &mut root,
        "Targets",
        vpc,
        TargetGroupProps {
            port: WEB_PORT,
            health_check_path: "/shop/health".to_owned(),
            ..Default::default()
        },
    )?;
    let rule = ListenerRule::new(
        &mut root,
        "ShopRule",
        api.listener(),
        ListenerRuleProps {
            path_patterns: vec!["/shop".to_owned(), "/shop/*".to_owned()],
            ..ListenerRuleProps::new(10, &target_group)
        },
    )?;
    let service = FargateService::new(
        &mut root,
        "Shop",
        &cluster,
        &task,
        vpc,
        FargateServiceProps {
            load_balancers: vec![LoadBalancerTarget::new(
                &rule,
                &target_group,
                "shop",
                WEB_PORT,
            )],
            ..Default::default()
        },
    )?;
    ServiceScaling::new(
        &mut root,
        "Scaling",
        &service,
        ServiceScalingProps {
            min_tasks: s.web_tasks.0,
            max_tasks: s.web_tasks.1,
            rules: vec![
                ScalingRule::Cpu(60),
                ScalingRule::requests_per_task(api.load_balancer(), &target_group, 1000),
            ],
        },
    )?;
    Ok((
        stack,
        Web {
            service,
            target_group,
            log_group,
        },
    ))
}
