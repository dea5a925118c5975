//! The props of [`LoadBalancedFargateService`]: one hardened container behind an
//! internet-facing HTTPS load balancer, as the first version of the construct (`EcsService`)
//! took them, and their checks (run before anything is added).

use indexmap::IndexMap;

use crate::aws::ec2::Vpc;
use crate::aws::ecs::{
    check_health_check, check_origin, check_scratch_paths, check_user, fargate_memory_options,
    is_digest, is_env_name, is_image_tag, is_name, ContainerHealthCheck, ContainerInsights,
    CpuArchitecture, ImageRef, ImageRepository, SecretRef, FARGATE_CPU_UNITS, USER_FIX,
};
use crate::aws::elbv2::{check_certificate_default, OidcProps, TlsPolicy};
use crate::aws::logs::RETENTION_DAYS;
use crate::aws::validate::check_parameter_name;
use crate::aws::wafv2::WebAclProps;
use crate::error::Result;
use crate::expr::Expr;
use crate::scope::Scope;

#[allow(unused_imports)] // for the doc links
use super::LoadBalancedFargateService;

/// The environment variable carrying [`LoadBalancedFargateServiceProps::cors_allowed_origins`].
pub const CORS_ENV_VAR: &str = "CORS_ALLOWED_ORIGINS";

/// Props of [`LoadBalancedFargateService`] (and of [`EcsService`](crate::aws::ecs::EcsService)). The secure parts (scan on push, immutable tags, non-root user,
/// read-only root filesystem, limits, private subnets, TLS, redirect, WAF) cannot be turned
/// off; the props choose sizes, names and limits.
#[derive(Debug, Clone)]
pub struct LoadBalancedFargateServiceProps {
    /// The image repository. Default: a new one ([`RepositoryProps::default`](crate::aws::ecr::RepositoryProps::default)).
    pub repository: ImageRepository,
    /// The image tag or digest. Default: the digest from a stack parameter `ImageDigest`,
    /// which `deploy` sets after pushing the image ([`ImageRef::DigestParameter`]). A first
    /// deploy from nothing needs the repository in a stack deployed before this one
    /// ([`ImageRepository::Existing`]): a new repository here is empty when the service
    /// starts.
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
    /// Fewest running tasks (at least 1), autoscaling's minimum. The service sets no
    /// `DesiredCount`: autoscaling owns it, so a deploy never resets it. Default: 2.
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

impl Default for LoadBalancedFargateServiceProps {
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

/// Container CPU units and memory after defaults.
pub(crate) struct ContainerSize {
    pub(crate) cpu: u32,
    pub(crate) memory_mib: u32,
}

/// Checks every prop before anything is added; returns the container size after defaults.
pub(crate) fn check(
    scope: &Scope<'_>,
    vpc: &Vpc,
    p: &LoadBalancedFargateServiceProps,
) -> Result<ContainerSize> {
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
        ImageRef::TagParameter(name) | ImageRef::DigestParameter(name) => {
            check_parameter_name(scope, "image", name)?
        }
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
        return invalid("user", problem, USER_FIX);
    }
    check_scratch_paths(scope.path(), "scratch_paths", &p.scratch_paths)?;
    if p.container_port == 0 {
        return invalid(
            "container_port",
            "port 0 is not a TCP port".into(),
            "use a port between 1 and 65535",
        );
    }
    if let Some(h) = &p.health_check {
        check_health_check(scope.path(), "health_check.", h)?;
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
        secret.check(scope.path(), &format!("secrets.{name}"))?;
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
    if matches!(&p.image, ImageRef::TagParameter(n) | ImageRef::DigestParameter(n) if *n == p.certificate_parameter_name)
    {
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
        check_certificate_default(scope.path(), default)?;
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
        oidc.check(scope.path(), "oidc.")?;
    }
    p.waf.check(scope, "waf.")?;
    Ok(size)
}
