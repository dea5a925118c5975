//! `EcsService`: a hardened Fargate service behind an internet-facing HTTPS load balancer —
//! image from a scanned, immutable, encrypted ECR repository; a non-root container with a
//! read-only root filesystem and CPU/memory limits; secrets injected from Secrets Manager;
//! least-privilege roles; security groups that only let the load balancer reach the tasks;
//! TLS 1.2+ with HTTP redirected; WAF rate limiting; optional OIDC authentication; CPU
//! autoscaling; and the metrics alarms and dashboards need.

use indexmap::IndexMap;

use crate::aws::cloudwatch::{Metric, Statistic};
use crate::aws::ec2::{Connectable, EgressRule, SecurityGroup, SecurityGroupProps, Vpc};
use crate::aws::ecr::{Repository, RepositoryProps};
use crate::aws::ecs::fargate::{fargate_memory_options, FARGATE_CPU_UNITS};
use crate::aws::iam::{PolicyDocument, Principal, ServiceRole, ServiceRoleProps, Statement};
use crate::aws::logs::{LogGroup, LogGroupProps, RETENTION_DAYS};
use crate::aws::refs::{
    ClusterName, KmsKeyArn, LoadBalancerArn, LoadBalancerFullName, LogGroupArn, LogGroupName,
    RoleArn, RoleName, SecretArn, SecurityGroupId, ServiceName, TargetGroupFullName, WebAclArn,
};
use crate::aws::s3::{Bucket, BucketEncryption, BucketProps};
use crate::aws::wafv2::{WebAcl, WebAclProps};
use crate::error::Result;
use crate::expr::Expr;
use crate::logical_id::{is_valid_logical_id, make_unique_id};
use crate::resource::{ResourceHandle, ResourceOptions};
use crate::resources::applicationautoscaling::{scalable_target, scaling_policy};
use crate::resources::applicationautoscaling::{ScalableTarget, ScalingPolicy};
use crate::resources::ecs::{self as cfn, cluster, service, task_definition as td};
use crate::resources::elasticloadbalancingv2::{
    self as elb, listener, load_balancer, target_group,
};
use crate::scope::Scope;
use crate::template::Parameter;
use crate::value::{Str, Tag};

/// Which image tag or digest the service runs.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageRef {
    /// A tag taken from a stack parameter of this name, which the construct declares (no
    /// default: every deploy names the tag it ships).
    TagParameter(String),
    /// A tag: a literal (`1.4.2`) or any value, such as a parameter the app declared.
    Tag(Expr),
    /// An image digest (`sha256:` and 64 hex digits).
    Digest(String),
}

impl Default for ImageRef {
    fn default() -> Self {
        ImageRef::TagParameter("ImageTag".to_owned())
    }
}

/// Where the image comes from.
// Props are built once per construct; boxing would only make them clumsier to write.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ImageRepository {
    /// A repository this construct creates (scan on push, immutable tags, KMS).
    New(RepositoryProps),
    /// A repository created elsewhere ([`Repository::from_name`], [`Repository::from_arn`]);
    /// `repository.into()` builds this variant.
    Existing(Repository),
}

impl From<Repository> for ImageRepository {
    fn from(r: Repository) -> Self {
        ImageRepository::Existing(r)
    }
}

impl Default for ImageRepository {
    fn default() -> Self {
        ImageRepository::New(RepositoryProps::default())
    }
}

/// A Secrets Manager secret injected into the container as an environment variable.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretRef {
    /// The secret's full ARN (with the 6-character suffix Secrets Manager appends), or a
    /// reference to one (a `Secret` construct's ARN, an import).
    pub arn: SecretArn,
    /// A key of the secret's JSON value to inject instead of the whole value. Default: none.
    pub json_key: Option<String>,
    /// The customer-managed key encrypting the secret, which the execution role may then
    /// decrypt with. Default: none (the secret uses the AWS managed key).
    pub kms_key: Option<KmsKeyArn>,
}

impl SecretRef {
    /// The whole value of the secret `arn`.
    pub fn new(arn: SecretArn) -> Self {
        Self {
            arn,
            json_key: None,
            kms_key: None,
        }
    }

    /// The value of `json_key` in the JSON secret `arn`.
    pub fn json_key(arn: SecretArn, json_key: &str) -> Self {
        Self {
            json_key: Some(json_key.to_owned()),
            ..Self::new(arn)
        }
    }

    /// Names the key encrypting the secret.
    pub fn with_kms_key(mut self, key: KmsKeyArn) -> Self {
        self.kms_key = Some(key);
        self
    }

    /// The `ValueFrom` ECS reads: the ARN, or `ARN:KEY::` for a JSON key.
    fn value_from(&self) -> Expr {
        match &self.json_key {
            Some(k) => Expr::concat([self.arn.expr(), Expr::str(format!(":{k}::"))]),
            None => self.arn.expr(),
        }
    }

    /// A CloudFormation dynamic reference resolving the secret at deploy time.
    fn dynamic_reference(&self) -> Expr {
        let key = match &self.json_key {
            Some(k) => format!(":SecretString:{k}"),
            None => String::new(),
        };
        Expr::concat([
            Expr::str("{{resolve:secretsmanager:"),
            self.arn.expr(),
            Expr::str(format!("{key}}}}}")),
        ])
    }
}

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
}

/// The CPU architecture of the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CpuArchitecture {
    /// `X86_64` (the default: what most build machines produce).
    #[default]
    X86_64,
    /// `ARM64` (Graviton; cheaper per vCPU).
    Arm64,
}

/// The cluster's CloudWatch Container Insights level (it cannot be turned off here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContainerInsights {
    /// `enhanced`: task- and container-level metrics as well (the default).
    #[default]
    Enhanced,
    /// `enabled`: cluster- and service-level metrics.
    Enabled,
}

/// TLS policies of the HTTPS listener. Every one of them refuses TLS 1.0 and 1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsPolicy {
    /// `ELBSecurityPolicy-TLS13-1-2-2021-06`: TLS 1.3 and 1.2 (AWS's recommended policy).
    #[default]
    Tls13Tls12,
    /// `ELBSecurityPolicy-TLS13-1-2-Res-2021-06`: TLS 1.3 and 1.2, restricted ciphers.
    Tls13Tls12Restricted,
    /// `ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06`: TLS 1.3 and 1.2, extended ciphers.
    Tls13Tls12Ext1,
    /// `ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06`: TLS 1.3 and 1.2, more extended ciphers.
    Tls13Tls12Ext2,
    /// `ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04`: TLS 1.3 and 1.2, FIPS ciphers.
    Tls13Tls12Fips,
    /// `ELBSecurityPolicy-TLS13-1-3-2021-06`: TLS 1.3 only.
    Tls13Only,
    /// `ELBSecurityPolicy-TLS-1-2-Ext-2018-06`: TLS 1.2.
    Tls12Ext,
    /// `ELBSecurityPolicy-TLS-1-2-2017-01`: TLS 1.2.
    Tls12,
    /// `ELBSecurityPolicy-FS-1-2-Res-2020-10`: TLS 1.2, forward secrecy, restricted ciphers.
    ForwardSecrecyTls12Restricted,
}

impl TlsPolicy {
    /// The ELB policy name.
    pub fn name(self) -> &'static str {
        match self {
            TlsPolicy::Tls13Tls12 => "ELBSecurityPolicy-TLS13-1-2-2021-06",
            TlsPolicy::Tls13Tls12Restricted => "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
            TlsPolicy::Tls13Tls12Ext1 => "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
            TlsPolicy::Tls13Tls12Ext2 => "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
            TlsPolicy::Tls13Tls12Fips => "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
            TlsPolicy::Tls13Only => "ELBSecurityPolicy-TLS13-1-3-2021-06",
            TlsPolicy::Tls12Ext => "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
            TlsPolicy::Tls12 => "ELBSecurityPolicy-TLS-1-2-2017-01",
            TlsPolicy::ForwardSecrecyTls12Restricted => "ELBSecurityPolicy-FS-1-2-Res-2020-10",
        }
    }
}

/// OpenID Connect authentication at the load balancer: unauthenticated requests are sent to
/// the identity provider before they reach the service.
#[derive(Debug, Clone, PartialEq)]
pub struct OidcProps {
    /// The issuer (`https://...`). Required.
    pub issuer: String,
    /// The authorization endpoint (`https://...`). Required.
    pub authorization_endpoint: String,
    /// The token endpoint (`https://...`). Required.
    pub token_endpoint: String,
    /// The user info endpoint (`https://...`). Required.
    pub user_info_endpoint: String,
    /// The OAuth 2.0 client id. Required.
    pub client_id: String,
    /// The client secret, held in Secrets Manager and resolved by CloudFormation at deploy
    /// time (never written into the template). Required.
    pub client_secret: SecretRef,
    /// The scopes to request. Default: `openid`.
    pub scope: String,
    /// Seconds an authenticated session lasts (1 to 604800). Default: 604800 (7 days).
    pub session_timeout_seconds: u32,
}

impl OidcProps {
    /// OIDC with the given provider endpoints and client, scope `openid`, 7-day sessions.
    pub fn new(
        issuer: &str,
        authorization_endpoint: &str,
        token_endpoint: &str,
        user_info_endpoint: &str,
        client_id: &str,
        client_secret: SecretRef,
    ) -> Self {
        Self {
            issuer: issuer.to_owned(),
            authorization_endpoint: authorization_endpoint.to_owned(),
            token_endpoint: token_endpoint.to_owned(),
            user_info_endpoint: user_info_endpoint.to_owned(),
            client_id: client_id.to_owned(),
            client_secret,
            scope: "openid".to_owned(),
            session_timeout_seconds: 604_800,
        }
    }
}

/// Props of [`EcsService`]. The secure parts (scan on push, immutable tags, non-root user,
/// read-only root filesystem, limits, private subnets, TLS, redirect, WAF) cannot be turned
/// off; the props choose sizes, names and limits.
#[derive(Debug, Clone)]
pub struct EcsServiceProps {
    /// The image repository. Default: a new one ([`RepositoryProps::default`]).
    pub repository: ImageRepository,
    /// The image tag or digest. Default: the tag from a stack parameter `ImageTag`.
    pub image: ImageRef,
    /// The container's name. Default: `app`.
    pub container_name: String,
    /// Task CPU units (256, 512, 1024, 2048, 4096, 8192 or 16384). Default: 512.
    pub cpu: u32,
    /// Task memory in MiB, a size Fargate allows with `cpu`. Default: 1024.
    pub memory_mib: u32,
    /// The container's CPU units (at most `cpu`). Default: the task's.
    pub container_cpu: Option<u32>,
    /// The container's hard memory limit in MiB (at most `memory_mib`). Default: the task's.
    pub container_memory_mib: Option<u32>,
    /// The image's CPU architecture. Default: [`CpuArchitecture::X86_64`].
    pub cpu_architecture: CpuArchitecture,
    /// The user the container runs as (`uid`, `uid:gid` or a user name; never root).
    /// Default: `10001`.
    pub user: String,
    /// Writable directories on top of the read-only root filesystem (ephemeral task storage;
    /// Fargate has no tmpfs). Default: `["/tmp"]`.
    pub scratch_paths: Vec<String>,
    /// The port the container listens on (1 to 65535). Default: 8080.
    pub container_port: u16,
    /// Plain environment variables. Default: none.
    pub environment: IndexMap<String, Expr>,
    /// Environment variables read from Secrets Manager when a task starts. Default: none.
    pub secrets: IndexMap<String, SecretRef>,
    /// Origins allowed to call the API from browsers (`https://host[:port]`), passed to the
    /// container as `CORS_ALLOWED_ORIGINS` (comma-separated). Default: none (the variable is
    /// not set).
    pub cors_allowed_origins: Vec<String>,
    /// The container health check. Default: none (the load balancer's check decides).
    pub health_check: Option<ContainerHealthCheck>,
    /// Days the container logs are kept, one of [`RETENTION_DAYS`]. Default: 365.
    pub log_retention_days: u32,
    /// Log stream prefix (streams are `PREFIX/CONTAINER/TASK_ID`). Default: `app`.
    pub log_stream_prefix: String,
    /// Container Insights level of the cluster. Default: [`ContainerInsights::Enhanced`].
    pub container_insights: ContainerInsights,
    /// Fewest running tasks (at least 1), also the initial desired count. Default: 2.
    pub min_tasks: u32,
    /// Most running tasks autoscaling may start. Default: 4.
    pub max_tasks: u32,
    /// Average CPU utilization (percent, 1 to 100) autoscaling keeps the service at.
    /// Default: 60.
    pub cpu_target_percent: u32,
    /// Share of `min_tasks` that must stay healthy during a deployment (0 to 100).
    /// Default: 100.
    pub min_healthy_percent: u32,
    /// Most tasks during a deployment, as a share of the desired count (above
    /// `min_healthy_percent`, at most 200). Default: 200.
    pub max_percent: u32,
    /// Allows `aws ecs execute-command` into the tasks (the task role then gets the SSM
    /// channel permissions). Default: false.
    pub enable_execute_command: bool,
    /// Seconds after a task starts during which failed load balancer health checks are
    /// ignored. Default: 60.
    pub health_check_grace_period_seconds: u32,
    /// The stack parameter holding the ACM certificate ARN of the HTTPS listener.
    /// Default: `CertificateArn`.
    pub certificate_parameter_name: String,
    /// The parameter's default certificate ARN (`arn:aws:acm:...`). Default: none, so
    /// operators must supply one at deploy time.
    pub certificate_default: Option<String>,
    /// The HTTPS listener's TLS policy. Default: [`TlsPolicy::Tls13Tls12`].
    pub tls_policy: TlsPolicy,
    /// Load balancer deletion protection. Default: true.
    pub deletion_protection: bool,
    /// Seconds an idle connection stays open (1 to 4000). Default: 60.
    pub idle_timeout_seconds: u32,
    /// The target group's health check path. Default: `/health`.
    pub health_check_path: String,
    /// Seconds a deregistering task keeps serving in-flight requests (0 to 3600).
    /// Default: 30.
    pub deregistration_delay_seconds: u32,
    /// Key prefix of the access logs in their bucket (no leading or trailing `/`).
    /// Default: `alb`.
    pub access_logs_prefix: String,
    /// Days after which access logs expire. Default: 365.
    pub access_logs_expiration_days: u32,
    /// CIDR ranges allowed to reach the load balancer on 80 and 443.
    /// Default: `["0.0.0.0/0", "::/0"]`.
    pub allowed_cidrs: Vec<String>,
    /// OIDC authentication at the load balancer. Default: none.
    pub oidc: Option<OidcProps>,
    /// The WAF web ACL's rate limit. Default: [`WebAclProps::default`] (2000 requests per
    /// IP per 5 minutes).
    pub waf: WebAclProps,
}

impl Default for EcsServiceProps {
    fn default() -> Self {
        Self {
            repository: ImageRepository::default(),
            image: ImageRef::default(),
            container_name: "app".to_owned(),
            cpu: 512,
            memory_mib: 1024,
            container_cpu: None,
            container_memory_mib: None,
            cpu_architecture: CpuArchitecture::default(),
            user: "10001".to_owned(),
            scratch_paths: vec!["/tmp".to_owned()],
            container_port: 8080,
            environment: IndexMap::new(),
            secrets: IndexMap::new(),
            cors_allowed_origins: Vec::new(),
            health_check: None,
            log_retention_days: 365,
            log_stream_prefix: "app".to_owned(),
            container_insights: ContainerInsights::default(),
            min_tasks: 2,
            max_tasks: 4,
            cpu_target_percent: 60,
            min_healthy_percent: 100,
            max_percent: 200,
            enable_execute_command: false,
            health_check_grace_period_seconds: 60,
            certificate_parameter_name: "CertificateArn".to_owned(),
            certificate_default: None,
            tls_policy: TlsPolicy::default(),
            deletion_protection: true,
            idle_timeout_seconds: 60,
            health_check_path: "/health".to_owned(),
            deregistration_delay_seconds: 30,
            access_logs_prefix: "alb".to_owned(),
            access_logs_expiration_days: 365,
            allowed_cidrs: vec!["0.0.0.0/0".to_owned(), "::/0".to_owned()],
            oidc: None,
            waf: WebAclProps::default(),
        }
    }
}

/// The environment variable carrying [`EcsServiceProps::cors_allowed_origins`].
pub const CORS_ENV_VAR: &str = "CORS_ALLOWED_ORIGINS";

/// The ACM certificate ARN pattern of the certificate parameter (`AllowedPattern`).
pub const CERTIFICATE_ARN_PATTERN: &str =
    "arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+";

const IMAGE_TAG_PATTERN: &str = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";

/// A Fargate service behind an internet-facing Application Load Balancer, hardened as the
/// security guide asks. See the module documentation for what it creates.
///
/// ```
/// use stackforge_constructs::aws::ec2::{Subnet, Vpc, VpcAttributes};
/// use stackforge_constructs::aws::ecs::{EcsService, EcsServiceProps};
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
///     let api = EcsService::new(s, "Api", &vpc, EcsServiceProps::default())?;
///     let _cpu_alarm_metric = api.metric_cpu();
///     Ok(())
/// })
/// .unwrap();
/// let t = asm.environments[0].stacks[0].json();
/// assert!(t["Parameters"]["CertificateArn"].is_object());
/// ```
#[derive(Debug, Clone)]
pub struct EcsService {
    service: ResourceHandle<cfn::Service>,
    cluster: ResourceHandle<cfn::Cluster>,
    task_definition: ResourceHandle<cfn::TaskDefinition>,
    load_balancer: ResourceHandle<elb::LoadBalancer>,
    target_group: ResourceHandle<elb::TargetGroup>,
    https_listener: ResourceHandle<elb::Listener>,
    security_group: SecurityGroup,
    load_balancer_security_group: SecurityGroup,
    log_group: LogGroup,
    task_role: ServiceRole,
    execution_role: ServiceRole,
    repository: Repository,
    access_logs: Bucket,
    web_acl: WebAcl,
    certificate_arn: Expr,
    container_port: u16,
}

impl Connectable for EcsService {
    /// The tasks' security group (a database allows this one in).
    fn security_group_id(&self) -> SecurityGroupId {
        self.security_group.id()
    }
}

/// Container CPU units and memory after defaults.
struct ContainerSize {
    cpu: u32,
    memory_mib: u32,
}

impl EcsService {
    /// Adds the service and everything it needs under `scope/id`, with the load balancer in
    /// `vpc`'s public subnets and the tasks in its private subnets.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        vpc: &Vpc,
        props: EcsServiceProps,
    ) -> Result<EcsService> {
        let mut scope = scope.child(id)?;
        let size = check(&scope, vpc, &props)?;
        let port = props.container_port;

        let mut certificate = Parameter::string()
            .description("ARN of the ACM certificate the load balancer's HTTPS listener serves")
            .allowed_pattern(
                CERTIFICATE_ARN_PATTERN,
                "an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)",
            );
        if let Some(default) = &props.certificate_default {
            certificate = certificate.default_value(default.as_str());
        }
        let certificate_arn = scope
            .stack_mut()
            .add_parameter(&props.certificate_parameter_name, certificate)?;
        let tag = match &props.image {
            ImageRef::TagParameter(name) => Some(
                scope.stack_mut().add_parameter(
                    name,
                    Parameter::string()
                        .description("Tag of the container image to deploy")
                        .allowed_pattern(
                            IMAGE_TAG_PATTERN,
                            "an image tag: letters, digits, `_`, `.` and `-`, at most 128 characters",
                        ),
                )?,
            ),
            ImageRef::Tag(t) => Some(t.clone()),
            ImageRef::Digest(_) => None,
        };

        let repository = match &props.repository {
            ImageRepository::New(p) => Repository::new(&mut scope, "Repository", p.clone())?,
            ImageRepository::Existing(r) => r.clone(),
        };
        let image = match (&props.image, tag) {
            (ImageRef::Digest(d), _) => {
                Expr::concat([repository.uri(), Expr::str(format!("@{d}"))])
            }
            (_, Some(tag)) => Expr::concat([repository.uri(), Expr::str(":"), tag]),
            (_, None) => repository.uri(),
        };

        let log_group = LogGroup::new(
            &mut scope,
            "Logs",
            LogGroupProps {
                retention_days: props.log_retention_days,
                ..Default::default()
            },
        )?;

        // ECS needs these before the first task starts, so they are inline on the role.
        let mut statements = vec![
            Statement::allow(
                [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                ],
                [repository.arn()],
            )
            .sid("PullImage"),
            Statement::allow(["ecr:GetAuthorizationToken"], ["*"]).sid("RegistryLogin"),
            Statement::allow(
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                [log_group.arn()],
            )
            .sid("WriteLogs"),
        ];
        let mut secret_arns: Vec<Expr> = Vec::new();
        let mut secret_keys: Vec<Expr> = Vec::new();
        for secret in props.secrets.values() {
            push_unique(&mut secret_arns, secret.arn.expr());
            if let Some(k) = &secret.kms_key {
                push_unique(&mut secret_keys, k.expr());
            }
        }
        if !secret_arns.is_empty() {
            statements.push(
                Statement::allow(["secretsmanager:GetSecretValue"], secret_arns).sid("ReadSecrets"),
            );
        }
        if !secret_keys.is_empty() {
            statements.push(Statement::allow(["kms:Decrypt"], secret_keys).sid("DecryptSecrets"));
        }
        let execution_role = ServiceRole::new(
            &mut scope,
            "ExecutionRole",
            ServiceRoleProps {
                service: "ecs-tasks.amazonaws.com".into(),
                description: Some(
                    "Starts the service's tasks: pulls the image, writes logs, reads secrets"
                        .into(),
                ),
                policy: Some(PolicyDocument::new(statements)),
                ..Default::default()
            },
        )?;
        let task_role = ServiceRole::new(
            &mut scope,
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

        let cluster = scope.add(
            "Cluster",
            cfn::Cluster {
                cluster_settings: Some(vec![cluster::ClusterSettings {
                    name: Some("containerInsights".into()),
                    value: Some(
                        match props.container_insights {
                            ContainerInsights::Enhanced => "enhanced",
                            ContainerInsights::Enabled => "enabled",
                        }
                        .into(),
                    ),
                }]),
                ..Default::default()
            },
        )?;

        let task_definition = scope.add(
            "TaskDefinition",
            task_definition(
                &props,
                &size,
                image,
                &log_group,
                &execution_role,
                &task_role,
            ),
        )?;

        let security_group = SecurityGroup::new(
            &mut scope,
            "SecurityGroup",
            &vpc.vpc_id(),
            SecurityGroupProps {
                description: "Tasks of the service: only the load balancer may connect".into(),
                egress: vec![EgressRule {
                    cidr: "0.0.0.0/0".into(),
                    port: 443,
                    description: "HTTPS to AWS APIs (through NAT or VPC endpoints)".into(),
                }],
            },
        )?;

        let (load_balancer_security_group, access_logs, load_balancer, target_group, https) = {
            let mut lb_scope = scope.child("LoadBalancer")?;
            let lb_sg = SecurityGroup::new(
                &mut lb_scope,
                "SecurityGroup",
                &vpc.vpc_id(),
                SecurityGroupProps {
                    description: "Load balancer: HTTP and HTTPS from the allowed ranges".into(),
                    // The load balancer itself calls the identity provider's token and user
                    // info endpoints, whose addresses are not known in advance.
                    egress: props
                        .oidc
                        .as_ref()
                        .map(|_| EgressRule {
                            cidr: "0.0.0.0/0".into(),
                            port: 443,
                            description: "OIDC identity provider (token and user info endpoints)"
                                .into(),
                        })
                        .into_iter()
                        .collect(),
                },
            )?;
            for (i, cidr) in props.allowed_cidrs.iter().enumerate() {
                lb_sg.allow_from_cidr(
                    &mut lb_scope,
                    &format!("HttpsFrom{i}"),
                    cidr,
                    443,
                    "HTTPS from clients",
                )?;
                lb_sg.allow_from_cidr(
                    &mut lb_scope,
                    &format!("HttpFrom{i}"),
                    cidr,
                    80,
                    "HTTP from clients (redirected to HTTPS)",
                )?;
            }
            lb_sg.allow_to(
                &mut lb_scope,
                "ToService",
                &security_group,
                port,
                "load balancer to the service's tasks",
            )?;

            let prefix = props.access_logs_prefix.clone();
            let access_logs = Bucket::new_with_policy(
                &mut lb_scope,
                "AccessLogs",
                BucketProps {
                    // Load balancer access logs can only be written with SSE-S3.
                    encryption: BucketEncryption::S3Managed,
                    expiration_days: Some(props.access_logs_expiration_days),
                    ..Default::default()
                },
                |bucket| {
                    let folder = if prefix.is_empty() {
                        String::from("/")
                    } else {
                        format!("/{prefix}/")
                    };
                    // The log delivery service principal is how AWS documents access log
                    // permissions for regions launched since August 2022 and recommends it
                    // over the per-region ELB account principals of older regions.
                    vec![Statement::allow(
                        ["s3:PutObject"],
                        [Expr::concat([
                            bucket.expr(),
                            Expr::str(format!("{folder}AWSLogs/")),
                            Expr::account_id(),
                            Expr::str("/*"),
                        ])],
                    )
                    .sid("ElbAccessLogDelivery")
                    .principal(Principal::service(
                        "logdelivery.elasticloadbalancing.amazonaws.com",
                    ))]
                },
            )?;

            let mut attributes = vec![
                Tag::new("routing.http.drop_invalid_header_fields.enabled", "true"),
                Tag::new(
                    "deletion_protection.enabled",
                    bool_str(props.deletion_protection),
                ),
                Tag::new(
                    "idle_timeout.timeout_seconds",
                    props.idle_timeout_seconds.to_string(),
                ),
                Tag::new("access_logs.s3.enabled", "true"),
                Tag::new("access_logs.s3.bucket", access_logs.name()),
            ];
            if !props.access_logs_prefix.is_empty() {
                attributes.push(Tag::new(
                    "access_logs.s3.prefix",
                    props.access_logs_prefix.as_str(),
                ));
            }
            let load_balancer = lb_scope.add_with(
                "Resource",
                elb::LoadBalancer {
                    r#type: Some(load_balancer::Type::Application),
                    scheme: Some(load_balancer::Scheme::InternetFacing),
                    subnets: Some(vpc.public_subnet_ids().into_iter().map(Str::from).collect()),
                    security_groups: Some(vec![lb_sg.id().into()]),
                    load_balancer_attributes: Some(attributes),
                    ..Default::default()
                },
                // The load balancer checks it may write its access logs when it is created.
                ResourceOptions {
                    depends_on: vec![access_logs.policy().reference().clone()],
                    ..Default::default()
                },
            )?;

            let target_group = lb_scope.add(
                "TargetGroup",
                elb::TargetGroup {
                    target_type: Some(target_group::TargetType::Ip),
                    port: Some(port.into()),
                    protocol: Some(target_group::Protocol::Http),
                    vpc_id: Some(vpc.vpc_id().into()),
                    health_check_enabled: Some(true.into()),
                    health_check_protocol: Some(target_group::HealthCheckProtocol::Http),
                    health_check_path: Some(props.health_check_path.as_str().into()),
                    matcher: Some(target_group::Matcher {
                        http_code: Some("200".into()),
                        ..Default::default()
                    }),
                    target_group_attributes: Some(vec![Tag::new(
                        "deregistration_delay.timeout_seconds",
                        props.deregistration_delay_seconds.to_string(),
                    )]),
                    ..Default::default()
                },
            )?;

            let forward = listener::Action {
                target_group_arn: Some(target_group.ref_().into()),
                ..listener::Action::new(listener::Type::Forward)
            };
            let actions = match &props.oidc {
                None => vec![forward],
                Some(oidc) => vec![
                    listener::Action {
                        authenticate_oidc_config: Some(listener::AuthenticateOidcConfig {
                            client_secret: Some(Str(oidc.client_secret.dynamic_reference())),
                            scope: Some(oidc.scope.as_str().into()),
                            session_timeout: Some(oidc.session_timeout_seconds.to_string().into()),
                            on_unauthenticated_request: Some(
                                listener::OnUnauthenticatedRequest::Authenticate,
                            ),
                            ..listener::AuthenticateOidcConfig::new(
                                oidc.authorization_endpoint.as_str(),
                                oidc.client_id.as_str(),
                                oidc.issuer.as_str(),
                                oidc.token_endpoint.as_str(),
                                oidc.user_info_endpoint.as_str(),
                            )
                        }),
                        order: Some(1.into()),
                        ..listener::Action::new(listener::Type::AuthenticateOidc)
                    },
                    listener::Action {
                        order: Some(2.into()),
                        ..forward
                    },
                ],
            };
            let https = lb_scope.add(
                "HttpsListener",
                elb::Listener {
                    port: Some(443.into()),
                    protocol: Some(listener::Protocol::Https),
                    ssl_policy: Some(props.tls_policy.name().into()),
                    certificates: Some(vec![listener::Certificate {
                        certificate_arn: Some(Str(certificate_arn.clone())),
                    }]),
                    ..elb::Listener::new(actions, load_balancer.ref_())
                },
            )?;
            lb_scope.add(
                "HttpListener",
                elb::Listener {
                    port: Some(80.into()),
                    protocol: Some(listener::Protocol::Http),
                    ..elb::Listener::new(
                        vec![listener::Action {
                            redirect_config: Some(listener::RedirectConfig {
                                protocol: Some("HTTPS".into()),
                                port: Some("443".into()),
                                ..listener::RedirectConfig::new(listener::StatusCode::Http301)
                            }),
                            ..listener::Action::new(listener::Type::Redirect)
                        }],
                        load_balancer.ref_(),
                    )
                },
            )?;
            (lb_sg, access_logs, load_balancer, target_group, https)
        };
        security_group.allow_from(
            &mut scope,
            "IngressFromLoadBalancer",
            &load_balancer_security_group,
            port,
            "load balancer to the service's tasks",
        )?;

        let service = scope.add_with(
            "Resource",
            cfn::Service {
                cluster: Some(cluster.ref_().into()),
                launch_type: Some(service::LaunchType::Fargate),
                platform_version: Some("LATEST".into()),
                task_definition: Some(task_definition.ref_().into()),
                desired_count: Some(props.min_tasks.into()),
                deployment_configuration: Some(service::DeploymentConfiguration {
                    deployment_circuit_breaker: Some(service::DeploymentCircuitBreaker::new(
                        true, true,
                    )),
                    minimum_healthy_percent: Some(props.min_healthy_percent.into()),
                    maximum_percent: Some(props.max_percent.into()),
                    ..Default::default()
                }),
                enable_execute_command: Some(props.enable_execute_command.into()),
                health_check_grace_period_seconds: Some(
                    props.health_check_grace_period_seconds.into(),
                ),
                load_balancers: Some(vec![service::LoadBalancer {
                    container_name: Some(props.container_name.as_str().into()),
                    container_port: Some(port.into()),
                    target_group_arn: Some(target_group.ref_().into()),
                    ..Default::default()
                }]),
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
                depends_on: vec![https.reference().clone()],
                ..Default::default()
            },
        )?;

        let web_acl = WebAcl::new(&mut scope, "WebAcl", props.waf.clone())?;
        web_acl.associate(&mut scope, "WebAclAssociation", load_balancer.ref_())?;

        {
            let mut scaling = scope.child("Scaling")?;
            // Omitting RoleARN makes Application Auto Scaling use its service-linked role.
            let target = scaling.add(
                "Target",
                ScalableTarget::new(
                    props.max_tasks,
                    props.min_tasks,
                    Expr::concat([
                        Expr::str("service/"),
                        cluster.ref_(),
                        Expr::str("/"),
                        service.name(),
                    ]),
                    scalable_target::ScalableDimension::EcsServiceDesiredCount,
                    scalable_target::ServiceNamespace::Ecs,
                ),
            )?;
            // The name only has to be unique per scalable target; the path-derived ID is.
            let components: Vec<&str> = scaling
                .path()
                .split('/')
                .skip(1)
                .chain(["CpuTracking"])
                .collect();
            let policy_name = make_unique_id(&components).unwrap_or_else(|| "CpuTracking".into());
            scaling.add(
                "CpuTracking",
                ScalingPolicy {
                    scaling_target_id: Some(target.ref_().into()),
                    target_tracking_scaling_policy_configuration: Some(
                        scaling_policy::TargetTrackingScalingPolicyConfiguration {
                            predefined_metric_specification: Some(
                                scaling_policy::PredefinedMetricSpecification::new(
                                    scaling_policy::PredefinedMetricType::EcsServiceAverageCpuUtilization,
                                ),
                            ),
                            scale_in_cooldown: Some(300.into()),
                            scale_out_cooldown: Some(60.into()),
                            ..scaling_policy::TargetTrackingScalingPolicyConfiguration::new(
                                props.cpu_target_percent,
                            )
                        },
                    ),
                    ..ScalingPolicy::new(
                        policy_name,
                        scaling_policy::PolicyType::TargetTrackingScaling,
                    )
                },
            )?;
        }

        Ok(EcsService {
            service,
            cluster,
            task_definition,
            load_balancer,
            target_group,
            https_listener: https,
            security_group,
            load_balancer_security_group,
            log_group,
            task_role,
            execution_role,
            repository,
            access_logs,
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
        self.security_group
            .allow_to(scope, id, peer, port, "service to a dependency")
    }

    /// The ECS service name.
    pub fn service_name(&self) -> ServiceName {
        ServiceName::from_expr(self.service.name())
    }

    /// The ECS cluster name.
    pub fn cluster_name(&self) -> ClusterName {
        ClusterName::from_expr(self.cluster.ref_())
    }

    /// The load balancer's DNS name (the target of the API's DNS record).
    pub fn load_balancer_dns_name(&self) -> Expr {
        self.load_balancer.dns_name()
    }

    /// The load balancer's full name (`app/NAME/ID`), its metric dimension.
    pub fn load_balancer_full_name(&self) -> LoadBalancerFullName {
        LoadBalancerFullName::from_expr(self.load_balancer.load_balancer_full_name())
    }

    /// The load balancer ARN.
    pub fn load_balancer_arn(&self) -> LoadBalancerArn {
        LoadBalancerArn::from_expr(self.load_balancer.ref_())
    }

    /// The target group's full name (`targetgroup/NAME/ID`), its metric dimension.
    pub fn target_group_full_name(&self) -> TargetGroupFullName {
        TargetGroupFullName::from_expr(self.target_group.target_group_full_name())
    }

    /// The tasks' security group.
    pub fn security_group(&self) -> SecurityGroupId {
        self.security_group.id()
    }

    /// The load balancer's security group.
    pub fn load_balancer_security_group(&self) -> SecurityGroupId {
        self.load_balancer_security_group.id()
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
        self.task_role.name()
    }

    /// The task role's ARN.
    pub fn task_role_arn(&self) -> RoleArn {
        self.task_role.arn()
    }

    /// The role ECS starts tasks with (image pull, logs, secrets).
    pub fn execution_role(&self) -> RoleName {
        self.execution_role.name()
    }

    /// The execution role's ARN.
    pub fn execution_role_arn(&self) -> RoleArn {
        self.execution_role.arn()
    }

    /// The image repository.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// The load balancer's access log bucket.
    pub fn access_logs(&self) -> &Bucket {
        &self.access_logs
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
        &self.service
    }

    /// The underlying task definition.
    pub fn task_definition(&self) -> &ResourceHandle<cfn::TaskDefinition> {
        &self.task_definition
    }

    /// The HTTPS listener.
    pub fn https_listener(&self) -> &ResourceHandle<elb::Listener> {
        &self.https_listener
    }

    fn ecs_metric(&self, name: &str) -> Metric {
        Metric::new("AWS/ECS", name)
            .dimension("ClusterName", self.cluster_name())
            .dimension("ServiceName", self.service_name())
            .unit("Percent")
    }

    fn alb_metric(&self, name: &str, per_target_group: bool) -> Metric {
        let m = Metric::new("AWS/ApplicationELB", name)
            .dimension("LoadBalancer", self.load_balancer_full_name());
        if per_target_group {
            m.dimension("TargetGroup", self.target_group_full_name())
        } else {
            m
        }
    }

    /// AWS/ECS `CPUUtilization` of the service (Average, 300 s).
    pub fn metric_cpu(&self) -> Metric {
        self.ecs_metric("CPUUtilization")
    }

    /// AWS/ECS `MemoryUtilization` of the service (Average, 300 s).
    pub fn metric_memory(&self) -> Metric {
        self.ecs_metric("MemoryUtilization")
    }

    /// AWS/ApplicationELB `RequestCount` of the load balancer (Sum, 300 s): every request
    /// it received, redirects and authentication included.
    pub fn metric_request_count(&self) -> Metric {
        self.alb_metric("RequestCount", false)
            .statistic(Statistic::Sum)
            .unit("Count")
    }

    /// AWS/ApplicationELB `TargetResponseTime` of the service's targets (Average, 300 s).
    pub fn metric_target_response_time(&self) -> Metric {
        self.alb_metric("TargetResponseTime", true).unit("Seconds")
    }

    /// AWS/ApplicationELB `HTTPCode_Target_5XX_Count` of the service's targets (Sum, 300 s).
    pub fn metric_http_5xx(&self) -> Metric {
        self.alb_metric("HTTPCode_Target_5XX_Count", true)
            .statistic(Statistic::Sum)
            .unit("Count")
    }
}

fn task_definition(
    props: &EcsServiceProps,
    size: &ContainerSize,
    image: Expr,
    log_group: &LogGroup,
    execution_role: &ServiceRole,
    task_role: &ServiceRole,
) -> cfn::TaskDefinition {
    let volume_name = |i: usize| format!("scratch{i}");
    let mut environment: Vec<td::KeyValuePair> = props
        .environment
        .iter()
        .map(|(k, v)| td::KeyValuePair {
            name: Some(k.as_str().into()),
            value: Some(Str(v.clone())),
        })
        .collect();
    if !props.cors_allowed_origins.is_empty() {
        environment.push(td::KeyValuePair {
            name: Some(CORS_ENV_VAR.into()),
            value: Some(props.cors_allowed_origins.join(",").into()),
        });
    }
    let secrets: Vec<td::Secret> = props
        .secrets
        .iter()
        .map(|(name, s)| td::Secret::new(name.as_str(), Str(s.value_from())))
        .collect();
    let mut log_options = IndexMap::new();
    log_options.insert("awslogs-group".to_owned(), Str::from(log_group.name()));
    log_options.insert("awslogs-region".to_owned(), Str(Expr::region()));
    log_options.insert(
        "awslogs-stream-prefix".to_owned(),
        Str::from(props.log_stream_prefix.as_str()),
    );
    let container = td::ContainerDefinition {
        essential: Some(true.into()),
        cpu: Some(size.cpu.into()),
        memory: Some(size.memory_mib.into()),
        user: Some(props.user.as_str().into()),
        readonly_root_filesystem: Some(true.into()),
        privileged: Some(false.into()),
        linux_parameters: Some(td::LinuxParameters {
            // A non-root API process needs no kernel capabilities.
            capabilities: Some(td::KernelCapabilities {
                drop: Some(vec!["ALL".into()]),
                ..Default::default()
            }),
            init_process_enabled: Some(true.into()),
            ..Default::default()
        }),
        port_mappings: Some(vec![td::PortMapping {
            container_port: Some(props.container_port.into()),
            protocol: Some(td::Protocol::Tcp),
            ..Default::default()
        }]),
        environment: (!environment.is_empty()).then_some(environment),
        secrets: (!secrets.is_empty()).then_some(secrets),
        health_check: props.health_check.as_ref().map(|h| td::HealthCheck {
            command: Some(h.command.iter().map(|c| c.as_str().into()).collect()),
            interval: Some(h.interval_seconds.into()),
            timeout: Some(h.timeout_seconds.into()),
            retries: Some(h.retries.into()),
            start_period: Some(h.start_period_seconds.into()),
        }),
        log_configuration: Some(td::LogConfiguration {
            options: Some(log_options),
            ..td::LogConfiguration::new("awslogs")
        }),
        mount_points: (!props.scratch_paths.is_empty()).then(|| {
            props
                .scratch_paths
                .iter()
                .enumerate()
                .map(|(i, p)| td::MountPoint {
                    container_path: Some(p.as_str().into()),
                    source_volume: Some(volume_name(i).into()),
                    read_only: Some(false.into()),
                })
                .collect()
        }),
        ..td::ContainerDefinition::new(Str(image), props.container_name.as_str())
    };
    cfn::TaskDefinition {
        container_definitions: Some(vec![container]),
        cpu: Some(props.cpu.to_string().into()),
        memory: Some(props.memory_mib.to_string().into()),
        execution_role_arn: Some(execution_role.arn().into()),
        task_role_arn: Some(task_role.arn().into()),
        network_mode: Some(td::NetworkMode::Awsvpc),
        requires_compatibilities: Some(vec![td::RequiresCompatibility::Fargate]),
        runtime_platform: Some(td::RuntimePlatform {
            cpu_architecture: Some(match props.cpu_architecture {
                CpuArchitecture::X86_64 => td::CpuArchitecture::X86_64,
                CpuArchitecture::Arm64 => td::CpuArchitecture::Arm64,
            }),
            operating_system_family: Some(td::OperatingSystemFamily::Linux),
        }),
        // A volume with no host path is ephemeral task storage, writable by the container.
        volumes: (!props.scratch_paths.is_empty()).then(|| {
            (0..props.scratch_paths.len())
                .map(|i| td::Volume {
                    name: Some(volume_name(i).into()),
                    ..Default::default()
                })
                .collect()
        }),
        ..Default::default()
    }
}

fn push_unique(list: &mut Vec<Expr>, e: Expr) {
    if !list.contains(&e) {
        list.push(e);
    }
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// Checks every prop before anything is added; returns the container size after defaults.
fn check(scope: &Scope<'_>, vpc: &Vpc, p: &EcsServiceProps) -> Result<ContainerSize> {
    let invalid = |field: &str, problem: String, fix: &str| Err(scope.invalid(field, problem, fix));

    // Network.
    if vpc.private_subnets().is_empty() {
        return invalid(
            "vpc",
            "the VPC has no private subnets for the tasks".into(),
            "give the VPC private subnets with egress (NAT or VPC endpoints)",
        );
    }
    if vpc.public_subnets().len() < 2 {
        return invalid(
            "vpc",
            format!(
                "an internet-facing load balancer needs public subnets in two availability zones, the VPC has {}",
                vpc.public_subnets().len()
            ),
            "give the VPC public subnets in at least two availability zones",
        );
    }

    // Image.
    if let ImageRepository::New(r) = &p.repository {
        r.check(scope, "repository.")?;
    }
    match &p.image {
        ImageRef::TagParameter(name) => check_parameter_name(scope, "image", name)?,
        ImageRef::Tag(Expr::String(t)) if !is_image_tag(t) => {
            return invalid(
                "image",
                format!("`{t}` is not an image tag"),
                "use letters, digits, `_`, `.` and `-` (at most 128, not starting with `.` or `-`)",
            )
        }
        ImageRef::Digest(d) if !is_digest(d) => {
            return invalid(
                "image",
                format!("`{d}` is not an image digest"),
                "write it as `sha256:` followed by 64 lower-case hex digits",
            )
        }
        _ => {}
    }
    if !is_name(&p.container_name) {
        return invalid(
            "container_name",
            format!("`{}` is not a container name", p.container_name),
            "use 1 to 255 letters, digits, `-` and `_`",
        );
    }

    // Sizes.
    let Some(memory_options) = fargate_memory_options(p.cpu) else {
        return invalid(
            "cpu",
            format!("{} CPU units is not a Fargate task size", p.cpu),
            &format!("use one of {FARGATE_CPU_UNITS:?}"),
        );
    };
    if !memory_options.contains(&p.memory_mib) {
        return invalid(
            "memory_mib",
            format!(
                "{} MiB with {} CPU units is not a Fargate task size",
                p.memory_mib, p.cpu
            ),
            &format!(
                "with {} CPU units use {} to {} MiB ({:?})",
                p.cpu,
                memory_options[0],
                memory_options[memory_options.len() - 1],
                memory_options
            ),
        );
    }
    let size = ContainerSize {
        cpu: p.container_cpu.unwrap_or(p.cpu),
        memory_mib: p.container_memory_mib.unwrap_or(p.memory_mib),
    };
    if size.cpu == 0 || size.cpu > p.cpu {
        return invalid(
            "container_cpu",
            format!(
                "{} CPU units is outside 1..={} (the task's)",
                size.cpu, p.cpu
            ),
            "give the container at most the task's CPU, or leave it unset",
        );
    }
    // Docker refuses hard limits under 6 MiB.
    if size.memory_mib < 6 || size.memory_mib > p.memory_mib {
        return invalid(
            "container_memory_mib",
            format!(
                "{} MiB is outside 6..={} (the task's)",
                size.memory_mib, p.memory_mib
            ),
            "give the container at most the task's memory, or leave it unset",
        );
    }

    // Container hardening.
    if let Err(problem) = check_user(&p.user) {
        return invalid(
            "user",
            problem,
            "run as a non-root numeric uid such as `10001` (or `10001:10001`)",
        );
    }
    let mut seen_paths: Vec<&str> = Vec::new();
    for path in &p.scratch_paths {
        let ok = path.starts_with('/')
            && path.len() > 1
            && !path.split('/').any(|c| c == "..")
            && !path.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            return invalid(
                "scratch_paths",
                format!("`{path}` is not an absolute directory below `/`"),
                "list absolute paths such as `/tmp`",
            );
        }
        if seen_paths.contains(&path.as_str()) {
            return invalid(
                "scratch_paths",
                format!("`{path}` is listed twice"),
                "list each path once",
            );
        }
        seen_paths.push(path);
    }
    if p.container_port == 0 {
        return invalid(
            "container_port",
            "port 0 is not a TCP port".into(),
            "use a port between 1 and 65535",
        );
    }
    if let Some(h) = &p.health_check {
        check_health_check(scope, h)?;
    }

    // Environment and secrets.
    let mut names: Vec<&str> = Vec::new();
    let env_names = p.environment.keys().map(|k| ("environment", k));
    let secret_names = p.secrets.keys().map(|k| ("secrets", k));
    for (field, name) in env_names.chain(secret_names) {
        if !is_env_name(name) {
            return invalid(
                field,
                format!("`{name}` is not an environment variable name"),
                "use letters, digits and `_`, not starting with a digit",
            );
        }
        if names.contains(&name.as_str())
            || (name == CORS_ENV_VAR && !p.cors_allowed_origins.is_empty())
        {
            return invalid(
                field,
                format!("`{name}` is set more than once"),
                "set each variable once (`CORS_ALLOWED_ORIGINS` comes from `cors_allowed_origins`)",
            );
        }
        names.push(name);
    }
    for (name, secret) in &p.secrets {
        check_secret(scope, &format!("secrets.{name}"), secret)?;
    }
    for origin in &p.cors_allowed_origins {
        if let Err(problem) = check_origin(origin) {
            return invalid(
                "cors_allowed_origins",
                format!("`{origin}` {problem}"),
                "list exact origins such as `https://app.example.com` or `https://app.example.com:8443`",
            );
        }
    }

    // Logs.
    if !RETENTION_DAYS.contains(&p.log_retention_days) {
        return invalid(
            "log_retention_days",
            format!(
                "{} is not a retention CloudWatch Logs accepts",
                p.log_retention_days
            ),
            &format!("use one of {RETENTION_DAYS:?}"),
        );
    }
    if p.log_stream_prefix.is_empty() || p.log_stream_prefix.contains([':', '*']) {
        return invalid(
            "log_stream_prefix",
            format!("`{}` is not a log stream prefix", p.log_stream_prefix),
            "use a short name without `:` or `*`, such as `app`",
        );
    }

    // Service and scaling.
    if p.min_tasks == 0 {
        // A service with no task answers every request with 503; stop the stack instead.
        return invalid(
            "min_tasks",
            "0 tasks would leave the load balancer with no target".into(),
            "run at least 1 task (2 or more for availability)",
        );
    }
    if p.min_tasks > p.max_tasks {
        return invalid(
            "min_tasks",
            format!(
                "min_tasks {} is more than max_tasks {}",
                p.min_tasks, p.max_tasks
            ),
            "make min_tasks at most max_tasks",
        );
    }
    if !(1..=100).contains(&p.cpu_target_percent) {
        return invalid(
            "cpu_target_percent",
            format!("{} is outside 1..=100", p.cpu_target_percent),
            "use a CPU utilization target such as 60",
        );
    }
    if p.min_healthy_percent > 100 {
        return invalid(
            "min_healthy_percent",
            format!("{} is more than 100", p.min_healthy_percent),
            "use 0 to 100",
        );
    }
    if p.max_percent <= p.min_healthy_percent || p.max_percent > 200 {
        return invalid(
            "max_percent",
            format!(
                "{} must be above min_healthy_percent ({}) and at most 200, or deployments cannot replace tasks",
                p.max_percent, p.min_healthy_percent
            ),
            "use 200 with min_healthy_percent 100",
        );
    }

    // Load balancer.
    check_parameter_name(
        scope,
        "certificate_parameter_name",
        &p.certificate_parameter_name,
    )?;
    if matches!(&p.image, ImageRef::TagParameter(n) if *n == p.certificate_parameter_name) {
        return invalid(
            "certificate_parameter_name",
            format!(
                "`{}` is also the image tag parameter",
                p.certificate_parameter_name
            ),
            "give the two parameters different names",
        );
    }
    if let Some(default) = &p.certificate_default {
        if default.trim().is_empty() {
            return invalid(
                "certificate_default",
                "the default certificate ARN is empty, which no HTTPS listener can serve".into(),
                "give an ACM certificate ARN, or leave it unset so operators must supply one at deploy time",
            );
        }
        if !is_arn_of(default, "acm", "certificate/") {
            return invalid(
                "certificate_default",
                format!("`{default}` is not an ACM certificate ARN"),
                "use `arn:aws:acm:REGION:ACCOUNT:certificate/ID`",
            );
        }
    }
    if !(1..=4000).contains(&p.idle_timeout_seconds) {
        return invalid(
            "idle_timeout_seconds",
            format!("{} is outside 1..=4000", p.idle_timeout_seconds),
            "use a timeout such as 60",
        );
    }
    if !p.health_check_path.starts_with('/')
        || p.health_check_path.len() > 1024
        || p.health_check_path.contains(char::is_whitespace)
    {
        return invalid(
            "health_check_path",
            format!("`{}` is not a URL path", p.health_check_path),
            "use a path such as `/health`",
        );
    }
    if p.deregistration_delay_seconds > 3600 {
        return invalid(
            "deregistration_delay_seconds",
            format!("{} is more than 3600", p.deregistration_delay_seconds),
            "use 0 to 3600 seconds",
        );
    }
    let prefix = &p.access_logs_prefix;
    if prefix.starts_with('/')
        || prefix.ends_with('/')
        || prefix.contains("AWSLogs")
        || prefix.contains(char::is_whitespace)
    {
        return invalid(
            "access_logs_prefix",
            format!("`{prefix}` is not a usable access log prefix"),
            "use a key prefix without leading or trailing `/` that does not contain `AWSLogs`",
        );
    }
    if p.access_logs_expiration_days == 0 {
        return invalid(
            "access_logs_expiration_days",
            "0 days would delete access logs at once".into(),
            "keep them at least 1 day (365 by default)",
        );
    }
    if p.allowed_cidrs.is_empty() {
        return invalid(
            "allowed_cidrs",
            "no range may reach the load balancer".into(),
            "list the client ranges, or keep the default `0.0.0.0/0` and `::/0`",
        );
    }
    for cidr in &p.allowed_cidrs {
        if let Err(e) = cidr.parse::<ipnet::IpNet>() {
            return invalid(
                "allowed_cidrs",
                format!("`{cidr}` is not a CIDR range ({e})"),
                "write it as `203.0.113.0/24` or `::/0`",
            );
        }
    }
    if let Some(oidc) = &p.oidc {
        for (field, url) in [
            ("oidc.issuer", &oidc.issuer),
            ("oidc.authorization_endpoint", &oidc.authorization_endpoint),
            ("oidc.token_endpoint", &oidc.token_endpoint),
            ("oidc.user_info_endpoint", &oidc.user_info_endpoint),
        ] {
            let host = url.strip_prefix("https://").unwrap_or("");
            if host.is_empty() || host.starts_with('/') || url.contains(char::is_whitespace) {
                return invalid(
                    field,
                    format!("`{url}` is not an https URL"),
                    "use the identity provider's https endpoint",
                );
            }
        }
        if oidc.client_id.trim().is_empty() {
            return invalid(
                "oidc.client_id",
                "the client id is empty".into(),
                "use the client id the identity provider issued",
            );
        }
        check_secret(scope, "oidc.client_secret", &oidc.client_secret)?;
        if oidc.scope.trim().is_empty() {
            return invalid(
                "oidc.scope",
                "no scope is requested".into(),
                "request at least `openid`",
            );
        }
        if !(1..=604_800).contains(&oidc.session_timeout_seconds) {
            return invalid(
                "oidc.session_timeout_seconds",
                format!("{} is outside 1..=604800", oidc.session_timeout_seconds),
                "use at most 7 days",
            );
        }
    }
    p.waf.check(scope, "waf.")?;
    Ok(size)
}

fn check_parameter_name(scope: &Scope<'_>, field: &str, name: &str) -> Result<()> {
    if !is_valid_logical_id(name) {
        return Err(scope.invalid(
            field,
            format!("`{name}` is not a parameter name"),
            "use 1 to 255 letters and digits",
        ));
    }
    let stack = scope.stack();
    if stack.parameters.contains_key(name)
        || stack.resources.contains_key(name)
        || stack.outputs.contains_key(name)
    {
        return Err(scope.invalid(
            field,
            format!("the stack already declares `{name}`"),
            "give this service's parameter another name (two services in one stack need two)",
        ));
    }
    Ok(())
}

fn check_health_check(scope: &Scope<'_>, h: &ContainerHealthCheck) -> Result<()> {
    let kind = h.command.first().map(String::as_str);
    if !matches!(kind, Some("CMD") | Some("CMD-SHELL")) || h.command.len() < 2 {
        return Err(scope.invalid(
            "health_check.command",
            format!("{:?} is not a health check command", h.command),
            "start with `CMD` (then the program and its arguments) or `CMD-SHELL` (then one shell command)",
        ));
    }
    for (field, value, range) in [
        ("health_check.interval_seconds", h.interval_seconds, 5..=300),
        ("health_check.timeout_seconds", h.timeout_seconds, 2..=120),
        ("health_check.retries", h.retries, 1..=10),
        (
            "health_check.start_period_seconds",
            h.start_period_seconds,
            0..=300,
        ),
    ] {
        if !range.contains(&value) {
            return Err(scope.invalid(
                field,
                format!("{value} is outside {}..={}", range.start(), range.end()),
                "use a value ECS accepts",
            ));
        }
    }
    Ok(())
}

fn check_secret(scope: &Scope<'_>, field: &str, secret: &SecretRef) -> Result<()> {
    if let Some(literal) = secret.arn.expr().as_str() {
        if !is_arn_of(literal, "secretsmanager", "secret:") {
            return Err(scope.invalid(
                field,
                format!("`{literal}` is not a Secrets Manager secret ARN"),
                "pass the secret's ARN (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX`) or a reference to it, never the secret value",
            ));
        }
    }
    if let Some(k) = &secret.json_key {
        if k.is_empty() || k.contains(':') {
            return Err(scope.invalid(
                field,
                format!("`{k}` is not a JSON key ECS can select"),
                "use a non-empty key without `:`",
            ));
        }
    }
    Ok(())
}

/// Why `user` would run the container as root, if it would.
fn check_user(user: &str) -> std::result::Result<(), String> {
    if user.is_empty() {
        return Err("an empty user runs the image's default user, usually root".into());
    }
    if user.contains(char::is_whitespace) {
        return Err(format!("`{user}` contains whitespace"));
    }
    let is_root = |s: &str| s == "root" || s.parse::<u64>() == Ok(0);
    let (name, group) = match user.split_once(':') {
        Some((n, g)) => (n, Some(g)),
        None => (user, None),
    };
    if name.is_empty() || is_root(name) {
        return Err(format!("`{user}` runs the container as root"));
    }
    if let Some(g) = group {
        if g.is_empty() || is_root(g) {
            return Err(format!("`{user}` runs the container in the root group"));
        }
    }
    Ok(())
}

/// Why `origin` is not an exact `https://host[:port]` origin, if it is not.
fn check_origin(origin: &str) -> std::result::Result<(), &'static str> {
    if origin.contains('*') {
        return Err("is a wildcard; browsers would accept any site");
    }
    let Some(rest) = origin.strip_prefix("https://") else {
        return Err("is not an https origin");
    };
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !host_ok {
        return Err("has no valid host name (or has a path, which origins never have)");
    }
    if let Some(p) = port {
        if !matches!(p.parse::<u16>(), Ok(n) if n > 0) || p.starts_with('0') {
            return Err("has an invalid port");
        }
    }
    Ok(())
}

/// Whether `s` is `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` with `RESOURCE` starting
/// with `resource_prefix` and something after it.
fn is_arn_of(s: &str, service: &str, resource_prefix: &str) -> bool {
    let p: Vec<&str> = s.splitn(6, ':').collect();
    p.len() == 6
        && p[0] == "arn"
        && p[1].starts_with("aws")
        && p[2] == service
        && !p[3].is_empty()
        && p[3]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && p[4].len() == 12
        && p[4].chars().all(|c| c.is_ascii_digit())
        && p[5]
            .strip_prefix(resource_prefix)
            .is_some_and(|r| !r.is_empty() && !r.contains(char::is_whitespace))
}

fn is_image_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 128
        && !t.starts_with(['.', '-'])
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn is_digest(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

fn is_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 255
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn is_env_name(n: &str) -> bool {
    !n.is_empty()
        && !n.starts_with(|c: char| c.is_ascii_digit())
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_users_are_refused_in_every_spelling() {
        for user in [
            "",
            "root",
            "0",
            "0:0",
            "00",
            "root:root",
            "0:1000",
            " 10001",
            "10001:0",
            "10001:root",
            ":10001",
        ] {
            assert!(check_user(user).is_err(), "{user:?}");
        }
        for user in ["10001", "10001:10001", "app", "app:app", "1000"] {
            assert!(check_user(user).is_ok(), "{user:?}");
        }
    }

    #[test]
    fn only_exact_https_origins_pass() {
        for ok in [
            "https://app.example.com",
            "https://app.example.com:8443",
            "https://localhost",
        ] {
            assert!(check_origin(ok).is_ok(), "{ok}");
        }
        for bad in [
            "*",
            "https://*.example.com",
            "http://app.example.com",
            "https://app.example.com/",
            "https://app.example.com/path",
            "https://",
            "https://app.example.com:0",
            "https://app.example.com:99999",
            "https://user@app.example.com",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arns_digests_and_tags_are_recognised() {
        assert!(is_arn_of(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
            "secretsmanager",
            "secret:"
        ));
        assert!(!is_arn_of("hunter2", "secretsmanager", "secret:"));
        assert!(!is_arn_of(
            "arn:aws:ssm:us-east-1:123456789012:parameter/x",
            "secretsmanager",
            "secret:"
        ));
        assert!(is_arn_of(
            "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1234-5678-9abc-0123456789ab",
            "acm",
            "certificate/"
        ));
        assert!(is_digest(&format!("sha256:{}", "a".repeat(64))));
        assert!(!is_digest("sha256:xyz"));
        assert!(is_image_tag("1.4.2") && is_image_tag("v1_2-rc.3"));
        assert!(!is_image_tag("-x") && !is_image_tag("a:b") && !is_image_tag(""));
    }
}
