//! `LoadBalancedFargateService`: a hardened Fargate service behind an internet-facing HTTPS
//! load balancer — image from a scanned, immutable, encrypted ECR repository; a non-root
//! container with a read-only root filesystem and CPU/memory limits; secrets injected from
//! Secrets Manager; least-privilege roles; security groups that only let the load balancer
//! reach the tasks; TLS 1.2+ with HTTP redirected; WAF rate limiting; optional OIDC
//! authentication; CPU autoscaling; and the metrics alarms and dashboards need. It composes
//! the pieces of [`ecs`](crate::aws::ecs) and [`elbv2`](crate::aws::elbv2) at the paths the
//! first version (`EcsService`) used, so its templates are unchanged.

use crate::aws::cloudwatch::Metric;
use crate::aws::ec2::{Connectable, SecurityGroup, SecurityGroupProps, Vpc};
use crate::aws::ecr::Repository;
use crate::aws::ecs::{
    default_egress, image_digest_parameter, image_tag_parameter, Cluster, ClusterProps,
    ContainerDefinitionProps, ContainerImage, ContainerLogging, FargateService,
    FargateServiceProps, FargateTaskDefinition, FargateTaskDefinitionProps, ImageRef,
    ImageRepository, LoadBalancerTarget, ScalingRule, ServiceScaling, ServiceScalingProps,
    TaskRoles,
};
use crate::aws::elbv2::{
    certificate_parameter, ApplicationLoadBalancer, ApplicationLoadBalancerProps, DefaultAction,
    HttpRedirectListener, HttpsListener, HttpsListenerProps, LoadBalancerScheme, TargetGroup,
    TargetGroupProps,
};
use crate::aws::logs::{LogGroup, LogGroupProps};
use crate::aws::refs::{
    ClusterName, LoadBalancerArn, LoadBalancerFullName, LogGroupArn, LogGroupName, RoleArn,
    RoleName, SecurityGroupId, ServiceName, TargetGroupFullName, WebAclArn,
};
use crate::aws::s3::Bucket;
use crate::aws::wafv2::WebAcl;
use crate::error::Result;
use crate::expr::Expr;
use crate::resource::ResourceHandle;
use crate::resources::ecs as cfn;
use crate::resources::elasticloadbalancingv2 as elb;
use crate::scope::Scope;

use super::load_balanced_props::{
    check, ContainerSize, LoadBalancedFargateServiceProps, CORS_ENV_VAR,
};

/// A Fargate service behind an internet-facing Application Load Balancer, hardened as the
/// security guide asks. See the module documentation for what it creates.
///
/// ```
/// use stackforge_constructs::aws::ec2::{Subnet, Vpc, VpcAttributes};
/// use stackforge_constructs::aws::ecs_patterns::{LoadBalancedFargateService, LoadBalancedFargateServiceProps};
/// use stackforge_constructs::aws::refs::{RouteTableId, SubnetId, VpcId};
/// use stackforge_constructs::testing::synth_stack;
/// use stackforge_constructs::Expr;
///
/// let subnet = |id: &str, az: &str| Subnet {
///     id: SubnetId::from_expr(id),
///     availability_zone: Expr::str(az),
///     route_table: RouteTableId::from_expr("rtb-0123456789abcdef0"),
/// };
/// let vpc = Vpc::from_attributes(VpcAttributes {
///     vpc_id: VpcId::from_expr("vpc-0123456789abcdef0"),
///     cidr: Expr::str("10.0.0.0/16"),
///     public_subnets: vec![
///         subnet("subnet-0aaaaaaaaaaaaaaa1", "us-east-1a"),
///         subnet("subnet-0aaaaaaaaaaaaaaa2", "us-east-1b"),
///     ],
///     private_subnets: vec![
///         subnet("subnet-0bbbbbbbbbbbbbbb1", "us-east-1a"),
///         subnet("subnet-0bbbbbbbbbbbbbbb2", "us-east-1b"),
///     ],
///     isolated_subnets: vec![],
/// });
/// let asm = synth_stack(|s| {
///     let api = LoadBalancedFargateService::new(s, "Api", &vpc, LoadBalancedFargateServiceProps::default())?;
///     let _cpu_alarm_metric = api.metric_cpu();
///     Ok(())
/// })
/// .unwrap();
/// let t = asm.environments[0].stacks[0].json();
/// assert!(t["Parameters"]["CertificateArn"].is_object());
/// ```
#[derive(Debug, Clone)]
pub struct LoadBalancedFargateService {
    service: FargateService,
    task_definition: FargateTaskDefinition,
    load_balancer: ApplicationLoadBalancer,
    target_group: TargetGroup,
    listener: HttpsListener,
    log_group: LogGroup,
    repository: Repository,
    web_acl: WebAcl,
    certificate_arn: Expr,
    container_port: u16,
}

impl Connectable for LoadBalancedFargateService {
    /// The tasks' security group (a database allows this one in).
    fn security_group_id(&self) -> SecurityGroupId {
        self.service.security_group()
    }
}

impl LoadBalancedFargateService {
    /// Adds the service and everything it needs under `scope/id`, with the load balancer in
    /// `vpc`'s public subnets and the tasks in its private subnets.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        vpc: &Vpc,
        props: LoadBalancedFargateServiceProps,
    ) -> Result<LoadBalancedFargateService> {
        let mut scope = scope.construct(id, "LoadBalancedFargateService")?;
        let size = check(&scope, vpc, &props)?;
        let port = props.container_port;
        let certificate_arn = certificate_parameter(
            &mut scope,
            &props.certificate_parameter_name,
            props.certificate_default.as_deref(),
        )?;
        let (repository, image) = image(&mut scope, &props)?;
        let (log_group, cluster, task_definition) = task(&mut scope, &props, &size, image)?;
        let security_group = SecurityGroup::new(
            &mut scope,
            "SecurityGroup",
            &vpc.vpc_id(),
            SecurityGroupProps {
                description: "Tasks of the service: only the load balancer may connect".into(),
                egress: vec![default_egress()],
            },
        )?;
        let (load_balancer, target_group, listener) =
            load_balancer(&mut scope, vpc, &props, &security_group, &certificate_arn)?;
        security_group.allow_from(
            &mut scope,
            "IngressFromLoadBalancer",
            &load_balancer,
            port,
            TO_TASKS,
        )?;
        let service = FargateService::with_security_group(
            &mut scope,
            "Resource",
            &cluster,
            &task_definition,
            vpc,
            &security_group,
            service_props(&props, &listener, &target_group),
        )?;
        let web_acl = WebAcl::new(&mut scope, "WebAcl", props.waf.clone())?;
        web_acl.associate(&mut scope, "WebAclAssociation", load_balancer.arn())?;
        ServiceScaling::new(
            &mut scope,
            "Scaling",
            &service,
            ServiceScalingProps {
                min_tasks: props.min_tasks,
                max_tasks: props.max_tasks,
                rules: vec![ScalingRule::Cpu(props.cpu_target_percent)],
            },
        )?;
        Ok(LoadBalancedFargateService {
            service,
            task_definition,
            load_balancer,
            target_group,
            listener,
            log_group,
            repository,
            web_acl,
            certificate_arn,
            container_port: port,
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
        self.service.allow_to(scope, id, peer, port)
    }

    /// The ECS service.
    pub fn service(&self) -> &FargateService {
        &self.service
    }

    /// The load balancer (add routing rules to [`Self::listener`] to share it).
    pub fn load_balancer(&self) -> &ApplicationLoadBalancer {
        &self.load_balancer
    }

    /// The HTTPS listener.
    pub fn listener(&self) -> &HttpsListener {
        &self.listener
    }

    /// The service's target group.
    pub fn target_group(&self) -> &TargetGroup {
        &self.target_group
    }

    /// The ECS service name.
    pub fn service_name(&self) -> ServiceName {
        self.service.service_name()
    }

    /// The ECS cluster name.
    pub fn cluster_name(&self) -> ClusterName {
        self.service.cluster_name()
    }

    /// The load balancer's DNS name (the target of the API's DNS record).
    pub fn load_balancer_dns_name(&self) -> Expr {
        self.load_balancer.dns_name()
    }

    /// The load balancer's full name (`app/NAME/ID`), its metric dimension.
    pub fn load_balancer_full_name(&self) -> LoadBalancerFullName {
        self.load_balancer.full_name()
    }

    /// The load balancer ARN.
    pub fn load_balancer_arn(&self) -> LoadBalancerArn {
        self.load_balancer.arn()
    }

    /// The target group's full name (`targetgroup/NAME/ID`), its metric dimension.
    pub fn target_group_full_name(&self) -> TargetGroupFullName {
        self.target_group.full_name()
    }

    /// The tasks' security group.
    pub fn security_group(&self) -> SecurityGroupId {
        self.service.security_group()
    }

    /// The load balancer's security group.
    pub fn load_balancer_security_group(&self) -> SecurityGroupId {
        self.load_balancer.security_group()
    }

    /// The container log group's name (for log queries).
    pub fn log_group_name(&self) -> LogGroupName {
        self.log_group.name()
    }

    /// The container log group's ARN.
    pub fn log_group_arn(&self) -> LogGroupArn {
        self.log_group.arn()
    }

    /// The role the application runs as; grant it what the application needs
    /// (`db.grant_connect(scope, id, &service.task_role(), "app")`).
    pub fn task_role(&self) -> RoleName {
        self.task_definition.task_role()
    }

    /// The task role's ARN.
    pub fn task_role_arn(&self) -> RoleArn {
        self.task_definition.task_role_arn()
    }

    /// The role ECS starts tasks with (image pull, logs, secrets).
    pub fn execution_role(&self) -> RoleName {
        self.task_definition.roles().execution_role()
    }

    /// The execution role's ARN.
    pub fn execution_role_arn(&self) -> RoleArn {
        self.task_definition.roles().execution_role_arn()
    }

    /// The image repository.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// The load balancer's access log bucket.
    pub fn access_logs(&self) -> &Bucket {
        self.load_balancer.access_logs()
    }

    /// The WAF web ACL protecting the load balancer.
    pub fn web_acl_arn(&self) -> WebAclArn {
        self.web_acl.arn()
    }

    /// The certificate parameter's value (`Ref`).
    pub fn certificate_arn(&self) -> Expr {
        self.certificate_arn.clone()
    }

    /// The container port.
    pub fn container_port(&self) -> u16 {
        self.container_port
    }

    /// The underlying ECS service.
    pub fn handle(&self) -> &ResourceHandle<cfn::Service> {
        self.service.handle()
    }

    /// The underlying task definition.
    pub fn task_definition(&self) -> &ResourceHandle<cfn::TaskDefinition> {
        self.task_definition.handle()
    }

    /// The HTTPS listener resource.
    pub fn https_listener(&self) -> &ResourceHandle<elb::Listener> {
        self.listener.handle()
    }

    /// AWS/ECS `CPUUtilization` of the service (Average, 300 s).
    pub fn metric_cpu(&self) -> Metric {
        self.service.metric_cpu()
    }

    /// AWS/ECS `MemoryUtilization` of the service (Average, 300 s).
    pub fn metric_memory(&self) -> Metric {
        self.service.metric_memory()
    }

    /// AWS/ApplicationELB `RequestCount` of the load balancer (Sum, 300 s): every request
    /// it received, redirects and authentication included.
    pub fn metric_request_count(&self) -> Metric {
        self.load_balancer.metric_request_count()
    }

    /// AWS/ApplicationELB `TargetResponseTime` of the service's targets (Average, 300 s).
    pub fn metric_target_response_time(&self) -> Metric {
        self.load_balancer
            .metric_target_response_time(&self.target_group)
    }

    /// AWS/ApplicationELB `HTTPCode_Target_5XX_Count` of the service's targets (Sum, 300 s).
    pub fn metric_http_5xx(&self) -> Metric {
        self.load_balancer.metric_target_5xx(&self.target_group)
    }
}

const TO_TASKS: &str = "load balancer to the service's tasks";

/// The image tag parameter (declared before the repository, as the first version did), the
/// repository and the image.
fn image(
    scope: &mut Scope<'_>,
    props: &LoadBalancedFargateServiceProps,
) -> Result<(Repository, ContainerImage)> {
    enum Pick<'a> {
        Tag(Expr),
        Digest(&'a str),
        DigestParameter(Expr),
    }
    let pick = match &props.image {
        ImageRef::TagParameter(name) => Pick::Tag(image_tag_parameter(scope, name)?),
        ImageRef::Tag(t) => Pick::Tag(t.clone()),
        ImageRef::Digest(d) => Pick::Digest(d.as_str()),
        ImageRef::DigestParameter(name) => {
            Pick::DigestParameter(image_digest_parameter(scope, name)?)
        }
    };
    let repository = match &props.repository {
        ImageRepository::New(p) => Repository::new(scope, "Repository", p.clone())?,
        ImageRepository::Existing(r) => r.clone(),
    };
    let image = match pick {
        Pick::Tag(tag) => ContainerImage::ecr_tag(&repository, tag),
        Pick::Digest(digest) => ContainerImage::ecr_digest(&repository, digest),
        Pick::DigestParameter(p) => ContainerImage::ecr_digest_parameter(&repository, p),
    };
    Ok((repository, image))
}

/// `scope/LoadBalancer`: its security group (which may reach the tasks), the load
/// balancer, the target group, the HTTPS listener and the HTTP redirect.
fn load_balancer(
    scope: &mut Scope<'_>,
    vpc: &Vpc,
    props: &LoadBalancedFargateServiceProps,
    tasks: &SecurityGroup,
    certificate_arn: &Expr,
) -> Result<(ApplicationLoadBalancer, TargetGroup, HttpsListener)> {
    let port = props.container_port;
    let mut lb = scope.construct("LoadBalancer", "ApplicationLoadBalancer")?;
    let lb_props = load_balancer_props(props);
    let lb_group = ApplicationLoadBalancer::security_group_in(&mut lb, vpc, &lb_props)?;
    lb_group.allow_to(&mut lb, "ToService", tasks, port, TO_TASKS)?;
    let alb = ApplicationLoadBalancer::with_security_group_in(&mut lb, vpc, lb_group, &lb_props)?;
    let target_group = TargetGroup::new(
        &mut lb,
        "TargetGroup",
        vpc,
        TargetGroupProps {
            port,
            health_check_path: props.health_check_path.clone(),
            healthy_http_codes: "200".into(),
            deregistration_delay_seconds: props.deregistration_delay_seconds,
        },
    )?;
    let listener = HttpsListener::new(
        &mut lb,
        "HttpsListener",
        &alb,
        certificate_arn.clone(),
        HttpsListenerProps {
            tls_policy: props.tls_policy,
            default_action: DefaultAction::Forward(target_group.clone()),
            oidc: props.oidc.clone(),
        },
    )?;
    HttpRedirectListener::new(&mut lb, "HttpListener", &alb)?;
    Ok((alb, target_group, listener))
}

fn service_props(
    props: &LoadBalancedFargateServiceProps,
    listener: &HttpsListener,
    target_group: &TargetGroup,
) -> FargateServiceProps {
    let port = props.container_port;
    FargateServiceProps {
        // Autoscaling owns the count: a `DesiredCount` here would reset it on every deploy.
        desired_count: None,
        min_healthy_percent: props.min_healthy_percent,
        max_percent: props.max_percent,
        health_check_grace_period_seconds: props.health_check_grace_period_seconds,
        load_balancers: vec![LoadBalancerTarget::new(
            listener,
            target_group,
            &props.container_name,
            port,
        )],
        egress: vec![default_egress()],
    }
}

/// The log group, the task's roles, the cluster and the task definition, in the order the
/// first version added them.
fn task(
    scope: &mut Scope<'_>,
    props: &LoadBalancedFargateServiceProps,
    size: &ContainerSize,
    image: ContainerImage,
) -> Result<(LogGroup, Cluster, FargateTaskDefinition)> {
    let log_group = LogGroup::new(
        scope,
        "Logs",
        LogGroupProps {
            retention_days: props.log_retention_days,
            ..Default::default()
        },
    )?;
    let task_props = task_definition_props(props, size, image, &log_group);
    let roles = TaskRoles::new(scope, &task_props)?;
    let insights = props.container_insights;
    let cluster = Cluster::new(
        scope,
        "Cluster",
        ClusterProps {
            container_insights: insights,
        },
    )?;
    let task = FargateTaskDefinition::with_roles(scope, "TaskDefinition", task_props, &roles)?;
    Ok((log_group, cluster, task))
}

/// The one container and its task.
fn task_definition_props(
    props: &LoadBalancedFargateServiceProps,
    size: &ContainerSize,
    image: ContainerImage,
    log_group: &LogGroup,
) -> FargateTaskDefinitionProps {
    let mut environment = props.environment.clone();
    if !props.cors_allowed_origins.is_empty() {
        environment.insert(
            CORS_ENV_VAR.to_owned(),
            Expr::str(props.cors_allowed_origins.join(",")),
        );
    }
    FargateTaskDefinitionProps {
        cpu: props.cpu,
        memory_mib: props.memory_mib,
        cpu_architecture: props.cpu_architecture,
        enable_execute_command: props.enable_execute_command,
        containers: Vec::new(),
    }
    .add_container(ContainerDefinitionProps {
        cpu: Some(size.cpu),
        memory_mib: Some(size.memory_mib),
        user: props.user.clone(),
        scratch_paths: props.scratch_paths.clone(),
        ports: vec![props.container_port],
        environment,
        secrets: props.secrets.clone(),
        health_check: props.health_check.clone(),
        ..ContainerDefinitionProps::new(
            &props.container_name,
            image,
            ContainerLogging::new(log_group, &props.log_stream_prefix),
        )
    })
}

fn load_balancer_props(props: &LoadBalancedFargateServiceProps) -> ApplicationLoadBalancerProps {
    ApplicationLoadBalancerProps {
        scheme: LoadBalancerScheme::InternetFacing,
        allowed_cidrs: Some(props.allowed_cidrs.clone()),
        allowed_security_groups: Vec::new(),
        http_redirect: true,
        deletion_protection: props.deletion_protection,
        idle_timeout_seconds: props.idle_timeout_seconds,
        access_logs_prefix: props.access_logs_prefix.clone(),
        access_logs_expiration_days: props.access_logs_expiration_days,
        identity_provider_egress: props.oidc.is_some(),
        waf: props.waf.clone(),
    }
}
