//! `admin`: the back-office service behind an internal load balancer — reachable from inside
//! the VPC only, never from the internet — built from the pieces, running the API's image
//! with another command, connected to the database.

use stackforge_constructs::aws::ec2::Vpc;
use stackforge_constructs::aws::ecs::{
    image_digest_parameter, Cluster, ClusterProps, ContainerDefinitionProps, ContainerImage,
    ContainerLogging, FargateService, FargateServiceProps, FargateTaskDefinition,
    FargateTaskDefinitionProps, LoadBalancerTarget, ScalingRule, ServiceScaling,
    ServiceScalingProps,
};
use stackforge_constructs::aws::elbv2::{
    certificate_parameter, ApplicationLoadBalancer, ApplicationLoadBalancerProps, DefaultAction,
    HttpsListener, HttpsListenerProps, LoadBalancerScheme, TargetGroup, TargetGroupProps,
};
use stackforge_constructs::aws::logs::{LogGroup, LogGroupProps};
use stackforge_constructs::{App, Environment, Error, Expr, Stack, StackProps};

use crate::data::Data;
use crate::registry::Registry;
use crate::settings::Settings;
use crate::DB_USER;

/// The admin service's port.
pub const ADMIN_PORT: u16 = 8081;

/// What the monitoring stack uses from `admin`.
#[derive(Debug, Clone)]
pub struct Admin {
    /// The service.
    pub service: FargateService,
    /// The internal load balancer.
    pub load_balancer: ApplicationLoadBalancer,
    /// Its target group.
    pub target_group: TargetGroup,
}

/// Builds the `admin` stack.
pub fn build(
    app: &App,
    env: &Environment,
    s: &Settings,
    vpc: &Vpc,
    data: &Data,
    registry: &Registry,
) -> Result<(Stack, Admin), Error> {
    let mut stack = Stack::new(
        app,
        env,
        "admin",
        StackProps {
            description: Some(format!(
                "orders ({}) admin: the back office on Fargate behind an internal HTTPS load balancer",
                s.env
            )),
            ..Default::default()
        },
    )?;
    let mut root = stack.root();
    let digest = image_digest_parameter(&mut root, "ImageDigest")?;
    let certificate = certificate_parameter(&mut root, "CertificateArn", None)?;
    let cluster = Cluster::new(&mut root, "Cluster", ClusterProps::default())?;
    let log_group = LogGroup::new(&mut root, "Logs", LogGroupProps::default())?;
    let db = &data.db;
    let mut container = ContainerDefinitionProps {
        ports: vec![ADMIN_PORT],
        command: vec!["/app/orders".to_owned(), "admin".to_owned()],
        ..ContainerDefinitionProps::new(
            "admin",
            ContainerImage::ecr_digest_parameter(&registry.orders, digest),
            ContainerLogging::new(&log_group, "admin"),
        )
    };
    container
        .environment
        .insert("DB_HOST".to_owned(), db.endpoint_address());
    container
        .environment
        .insert("DB_IAM_USER".to_owned(), Expr::str(DB_USER));
    let task = FargateTaskDefinition::new(
        &mut root,
        "Task",
        FargateTaskDefinitionProps::default().add_container(container),
    )?;
    let load_balancer = ApplicationLoadBalancer::new(
        &mut root,
        "LoadBalancer",
        vpc,
        ApplicationLoadBalancerProps {
            scheme: LoadBalancerScheme::Internal,
            deletion_protection: s.deletion_protection,
            ..Default::default()
        },
    )?;
    let target_group = TargetGroup::new(
        &mut root,
        "Targets",
        vpc,
        TargetGroupProps {
            port: ADMIN_PORT,
            ..Default::default()
        },
    )?;
    let listener = HttpsListener::new(
        &mut root,
        "HttpsListener",
        &load_balancer,
        certificate,
        HttpsListenerProps {
            default_action: DefaultAction::Forward(target_group.clone()),
            ..Default::default()
        },
    )?;
    let service = FargateService::new(
        &mut root,
        "BackOffice",
        &cluster,
        &task,
        vpc,
        FargateServiceProps {
            load_balancers: vec![LoadBalancerTarget::new(
                &listener,
                &target_group,
                "admin",
                ADMIN_PORT,
            )],
            ..Default::default()
        },
    )?;
    ServiceScaling::new(
        &mut root,
        "Scaling",
        &service,
        ServiceScalingProps {
            min_tasks: 1,
            max_tasks: 2,
            rules: vec![ScalingRule::Cpu(70)],
        },
    )?;
    db.allow_from(&mut root, "DatabaseFromAdmin", &service)?;
    service.allow_to(&mut root, "AdminToDatabase", db, db.port())?;
    db.grant_connect(
        &mut root,
        "AdminConnectsToDatabase",
        &service.task_role(),
        DB_USER,
    )?;
    Ok((
        stack,
        Admin {
            service,
            load_balancer,
            target_group,
        },
    ))
}
