//! `ApplicationLoadBalancer`: internet-facing (public subnets, WAF) or internal (private
//! subnets, never reachable from the internet); invalid headers dropped, access logs always
//! on, and a security group that admits exactly the allowed clients on 443 (and 80, which
//! only redirects).

use indexmap::IndexMap;
use serde_json::json;

use crate::aws::cloudwatch::{Metric, Statistic};
use crate::aws::ec2::{Connectable, EgressRule, SecurityGroup, SecurityGroupProps, Vpc};
use crate::aws::iam::Statement;
use crate::aws::refs::{LoadBalancerArn, LoadBalancerFullName, SecurityGroupId, WebAclArn};
use crate::aws::s3::{Bucket, BucketEncryption, BucketProps};
use crate::aws::wafv2::{WebAcl, WebAclProps};
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::resource::{ResourceHandle, ResourceOptions};
use crate::resources::elasticloadbalancingv2::{self as cfn, load_balancer};
use crate::scope::Scope;
use crate::value::{Str, Tag};

use super::access_log_delivery::access_log_principal;
use super::redirect_listener::HttpRedirectListener;
use super::target_group::TargetGroup;

/// The metadata key recording a load balancer's intended exposure (`rules/alb.guard` checks
/// that a load balancer declared internal is not internet-facing).
pub const INTENT_METADATA_KEY: &str = "stackforge:intent";

/// Who can reach the load balancer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoadBalancerScheme {
    /// `internal`: private subnets, reachable only from inside the network (the default).
    #[default]
    Internal,
    /// `internet-facing`: public subnets, protected by a WAF web ACL.
    InternetFacing,
}

/// Props of [`ApplicationLoadBalancer`].
#[derive(Debug, Clone)]
pub struct ApplicationLoadBalancerProps {
    /// Who can reach it. Default: [`LoadBalancerScheme::Internal`].
    pub scheme: LoadBalancerScheme,
    /// CIDR ranges allowed in on 443 (and 80). Default (`None`): `0.0.0.0/0` and `::/0` when
    /// internet-facing, the VPC's CIDR when internal (which refuses the internet ranges).
    pub allowed_cidrs: Option<Vec<String>>,
    /// Security groups allowed in on 443 (and 80), such as a VPN's. Default: none.
    pub allowed_security_groups: Vec<SecurityGroupId>,
    /// Opens port 80, which only redirects to HTTPS ([`ApplicationLoadBalancer::new`] adds
    /// the redirecting listener). Default: true.
    pub http_redirect: bool,
    /// Deletion protection. Default: true.
    pub deletion_protection: bool,
    /// Seconds an idle connection stays open (1 to 4000). Default: 60.
    pub idle_timeout_seconds: u32,
    /// Key prefix of the access logs in their bucket (no leading or trailing `/`).
    /// Default: `alb`.
    pub access_logs_prefix: String,
    /// Days after which access logs expire. Default: 365.
    pub access_logs_expiration_days: u32,
    /// Lets the load balancer call an OIDC identity provider's token and user info
    /// endpoints (HTTPS anywhere; their addresses are not known in advance). Listeners
    /// with OIDC need it. Default: false.
    pub identity_provider_egress: bool,
    /// The WAF web ACL [`ApplicationLoadBalancer::new`] attaches to an internet-facing load
    /// balancer. Default: [`WebAclProps::default`].
    pub waf: WebAclProps,
}

impl Default for ApplicationLoadBalancerProps {
    fn default() -> Self {
        Self {
            scheme: LoadBalancerScheme::default(),
            allowed_cidrs: None,
            allowed_security_groups: Vec::new(),
            http_redirect: true,
            deletion_protection: true,
            idle_timeout_seconds: 60,
            access_logs_prefix: "alb".to_owned(),
            access_logs_expiration_days: 365,
            identity_provider_egress: false,
            waf: WebAclProps::default(),
        }
    }
}

impl ApplicationLoadBalancerProps {
    fn internal(&self) -> bool {
        self.scheme == LoadBalancerScheme::Internal
    }

    /// The client ranges after defaults.
    fn cidrs(&self, path: &str, vpc: &Vpc) -> Result<Vec<String>> {
        match &self.allowed_cidrs {
            Some(c) => Ok(c.clone()),
            None if !self.internal() => Ok(vec!["0.0.0.0/0".to_owned(), "::/0".to_owned()]),
            None => match vpc.cidr().as_str() {
                Some(c) => Ok(vec![c.to_owned()]),
                None => Err(Error::invalid_props(
                    path,
                    "allowed_cidrs",
                    "the VPC's CIDR is not known here, so an internal load balancer cannot default to it",
                    "list the client ranges in `allowed_cidrs`",
                )),
            },
        }
    }

    /// Checks the props against `vpc`.
    pub(crate) fn check(&self, path: &str, vpc: &Vpc) -> Result<()> {
        let invalid = |field: &str, problem: String, fix: &str| {
            Err(Error::invalid_props(path, field, problem, fix))
        };
        let (kind, subnets) = if self.internal() {
            ("an internal", vpc.private_subnets().len())
        } else {
            ("an internet-facing", vpc.public_subnets().len())
        };
        let group = if self.internal() { "private" } else { "public" };
        if subnets < 2 {
            return invalid(
                "vpc",
                format!("{kind} load balancer needs {group} subnets in two availability zones, the VPC has {subnets}"),
                &format!("give the VPC {group} subnets in at least two availability zones"),
            );
        }
        let cidrs = self.cidrs(path, vpc)?;
        if cidrs.is_empty() && self.allowed_security_groups.is_empty() {
            return invalid(
                "allowed_cidrs",
                "no range may reach the load balancer".into(),
                "list the client ranges, or keep the default",
            );
        }
        for cidr in &cidrs {
            match cidr.parse::<ipnet::IpNet>() {
                Err(e) => {
                    return invalid(
                        "allowed_cidrs",
                        format!("`{cidr}` is not a CIDR range ({e})"),
                        "write it as `203.0.113.0/24` or `::/0`",
                    )
                }
                Ok(net) if self.internal() && net.prefix_len() == 0 => {
                    return invalid(
                        "allowed_cidrs",
                        format!("`{cidr}` is the whole internet, and the load balancer is internal"),
                        "list the ranges inside your network that may call it (the VPC's CIDR by default)",
                    )
                }
                Ok(_) => {}
            }
        }
        if !(1..=4000).contains(&self.idle_timeout_seconds) {
            return invalid(
                "idle_timeout_seconds",
                format!("{} is outside 1..=4000", self.idle_timeout_seconds),
                "use a timeout such as 60",
            );
        }
        let prefix = &self.access_logs_prefix;
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
        if self.access_logs_expiration_days == 0 {
            return invalid(
                "access_logs_expiration_days",
                "0 days would delete access logs at once".into(),
                "keep them at least 1 day (365 by default)",
            );
        }
        Ok(())
    }
}

/// An Application Load Balancer with its security group and access log bucket.
#[derive(Debug, Clone)]
pub struct ApplicationLoadBalancer {
    handle: ResourceHandle<cfn::LoadBalancer>,
    security_group: SecurityGroup,
    access_logs: Bucket,
    internal: bool,
    http_redirect: bool,
    identity_provider_egress: bool,
    web_acl: Option<WebAcl>,
}

impl Connectable for ApplicationLoadBalancer {
    fn security_group_id(&self) -> SecurityGroupId {
        self.security_group.id()
    }
}

impl ApplicationLoadBalancer {
    /// Adds the load balancer under `scope/id`: its security group and ingress rules, the
    /// access log bucket, the load balancer (`Resource`), the HTTP listener redirecting to
    /// HTTPS (`HttpListener`, unless `http_redirect` is off) and, when internet-facing, a WAF
    /// web ACL (`WebAcl`, `WebAclAssociation`). Add HTTPS listeners with
    /// [`HttpsListener::new`](super::HttpsListener::new).
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        vpc: &Vpc,
        props: ApplicationLoadBalancerProps,
    ) -> Result<ApplicationLoadBalancer> {
        let mut scope = scope.construct(id, "ApplicationLoadBalancer")?;
        props.check(scope.path(), vpc)?;
        if !props.internal() {
            props.waf.check(&scope, "waf.")?;
        }
        let security_group = Self::security_group_in(&mut scope, vpc, &props)?;
        let mut alb = Self::with_security_group_in(&mut scope, vpc, security_group, &props)?;
        if props.http_redirect {
            HttpRedirectListener::new(&mut scope, "HttpListener", &alb)?;
        }
        if !props.internal() {
            let acl = WebAcl::new(&mut scope, "WebAcl", props.waf.clone())?;
            acl.associate(&mut scope, "WebAclAssociation", alb.handle.ref_())?;
            alb.web_acl = Some(acl);
        }
        Ok(alb)
    }

    /// The first part of [`ApplicationLoadBalancer::new`], for constructs that keep older
    /// paths: adds `scope/SecurityGroup` and its ingress rules (`HttpsFrom{i}`,
    /// `HttpFrom{i}`, `HttpsFromGroup{i}`, `HttpFromGroup{i}`) to the scope the caller opened.
    pub fn security_group_in(
        scope: &mut Scope<'_>,
        vpc: &Vpc,
        props: &ApplicationLoadBalancerProps,
    ) -> Result<SecurityGroup> {
        props.check(scope.path(), vpc)?;
        let cidrs = props.cidrs(scope.path(), vpc)?;
        let sg = SecurityGroup::new(
            scope,
            "SecurityGroup",
            &vpc.vpc_id(),
            SecurityGroupProps {
                description: "Load balancer: HTTP and HTTPS from the allowed ranges".into(),
                // The load balancer itself calls the identity provider's token and user
                // info endpoints, whose addresses are not known in advance.
                egress: props
                    .identity_provider_egress
                    .then(|| EgressRule {
                        cidr: "0.0.0.0/0".into(),
                        port: 443,
                        description: "OIDC identity provider (token and user info endpoints)"
                            .into(),
                    })
                    .into_iter()
                    .collect(),
            },
        )?;
        for (i, cidr) in cidrs.iter().enumerate() {
            sg.allow_from_cidr(
                scope,
                &format!("HttpsFrom{i}"),
                cidr,
                443,
                "HTTPS from clients",
            )?;
            if props.http_redirect {
                sg.allow_from_cidr(
                    scope,
                    &format!("HttpFrom{i}"),
                    cidr,
                    80,
                    "HTTP from clients (redirected to HTTPS)",
                )?;
            }
        }
        for (i, peer) in props.allowed_security_groups.iter().enumerate() {
            let peer = SecurityGroup::from_id(peer.clone());
            sg.allow_from(
                scope,
                &format!("HttpsFromGroup{i}"),
                &peer,
                443,
                "HTTPS from clients",
            )?;
            if props.http_redirect {
                sg.allow_from(
                    scope,
                    &format!("HttpFromGroup{i}"),
                    &peer,
                    80,
                    "HTTP from clients (redirected to HTTPS)",
                )?;
            }
        }
        Ok(sg)
    }

    /// The second part of [`ApplicationLoadBalancer::new`]: adds `scope/AccessLogs` and the
    /// load balancer `scope/Resource` to the scope the caller opened, with `security_group`.
    pub fn with_security_group_in(
        scope: &mut Scope<'_>,
        vpc: &Vpc,
        security_group: SecurityGroup,
        props: &ApplicationLoadBalancerProps,
    ) -> Result<ApplicationLoadBalancer> {
        props.check(scope.path(), vpc)?;
        let prefix = props.access_logs_prefix.clone();
        let delivery = access_log_principal(scope)?;
        let access_logs = Bucket::new_with_policy(
            scope,
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
                // The region's ELB account before August 2022, the log delivery service
                // since (see `access_log_delivery`).
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
                .principal(delivery)]
            },
        )?;
        let bool_str = |b: bool| if b { "true" } else { "false" };
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
        let internal = props.internal();
        let subnets = if internal {
            vpc.private_subnet_ids()
        } else {
            vpc.public_subnet_ids()
        };
        let mut metadata = IndexMap::new();
        if internal {
            metadata.insert(
                INTENT_METADATA_KEY.to_owned(),
                json!({"Scheme": "internal"}),
            );
        }
        let handle = scope.add_with(
            "Resource",
            cfn::LoadBalancer {
                r#type: Some(load_balancer::Type::Application),
                scheme: Some(if internal {
                    load_balancer::Scheme::Internal
                } else {
                    load_balancer::Scheme::InternetFacing
                }),
                subnets: Some(subnets.into_iter().map(Str::from).collect()),
                security_groups: Some(vec![security_group.id().into()]),
                load_balancer_attributes: Some(attributes),
                ..Default::default()
            },
            // The load balancer checks it may write its access logs when it is created.
            ResourceOptions {
                depends_on: vec![access_logs.policy().reference().clone()],
                metadata,
                ..Default::default()
            },
        )?;
        Ok(ApplicationLoadBalancer {
            handle,
            security_group,
            access_logs,
            internal,
            http_redirect: props.http_redirect,
            identity_provider_egress: props.identity_provider_egress,
            web_acl: None,
        })
    }

    /// Lets the load balancer reach `peer` on TCP `port` (an `AWS::EC2::SecurityGroupEgress`
    /// at `scope/id`); services attached with
    /// [`FargateService::new`](crate::aws::ecs::FargateService::new) get this rule added.
    pub fn allow_to(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        peer: &impl Connectable,
        port: u16,
    ) -> Result<()> {
        self.security_group.allow_to(
            scope,
            id,
            peer,
            port,
            "load balancer to the service's tasks",
        )
    }

    /// The load balancer ARN.
    pub fn arn(&self) -> LoadBalancerArn {
        LoadBalancerArn::from_expr(self.handle.ref_())
    }

    /// The DNS name (the target of the service's DNS record).
    pub fn dns_name(&self) -> Expr {
        self.handle.dns_name()
    }

    /// The full name (`app/NAME/ID`), the `LoadBalancer` metric dimension.
    pub fn full_name(&self) -> LoadBalancerFullName {
        LoadBalancerFullName::from_expr(self.handle.load_balancer_full_name())
    }

    /// The load balancer's security group.
    pub fn security_group(&self) -> SecurityGroupId {
        self.security_group.id()
    }

    /// The access log bucket.
    pub fn access_logs(&self) -> &Bucket {
        &self.access_logs
    }

    /// Whether it is internal.
    pub fn is_internal(&self) -> bool {
        self.internal
    }

    /// Whether port 80 is open for the redirect to HTTPS.
    pub fn redirects_http(&self) -> bool {
        self.http_redirect
    }

    /// Whether the load balancer may call an OIDC identity provider.
    pub fn has_identity_provider_egress(&self) -> bool {
        self.identity_provider_egress
    }

    /// The WAF web ACL [`ApplicationLoadBalancer::new`] attached, if any.
    pub fn web_acl_arn(&self) -> Option<WebAclArn> {
        self.web_acl.as_ref().map(WebAcl::arn)
    }

    /// The underlying resource.
    pub fn handle(&self) -> &ResourceHandle<cfn::LoadBalancer> {
        &self.handle
    }

    fn metric(&self, name: &str, target_group: Option<&TargetGroup>) -> Metric {
        let m = Metric::new("AWS/ApplicationELB", name).dimension("LoadBalancer", self.full_name());
        match target_group {
            Some(tg) => m.dimension("TargetGroup", tg.full_name()),
            None => m,
        }
    }

    /// `RequestCount` of the load balancer (Sum, 300 s): every request it received,
    /// redirects and authentication included.
    pub fn metric_request_count(&self) -> Metric {
        self.metric("RequestCount", None)
            .statistic(Statistic::Sum)
            .unit("Count")
    }

    /// `RequestCount` of one target group (Sum, 300 s).
    pub fn metric_target_request_count(&self, target_group: &TargetGroup) -> Metric {
        self.metric("RequestCount", Some(target_group))
            .statistic(Statistic::Sum)
            .unit("Count")
    }

    /// `TargetResponseTime` of one target group (Average, 300 s).
    pub fn metric_target_response_time(&self, target_group: &TargetGroup) -> Metric {
        self.metric("TargetResponseTime", Some(target_group))
            .unit("Seconds")
    }

    /// `HTTPCode_Target_5XX_Count` of one target group (Sum, 300 s).
    pub fn metric_target_5xx(&self, target_group: &TargetGroup) -> Metric {
        self.metric("HTTPCode_Target_5XX_Count", Some(target_group))
            .statistic(Statistic::Sum)
            .unit("Count")
    }

    /// `HTTPCode_ELB_5XX_Count` of the load balancer itself (Sum, 300 s): no healthy
    /// target, timeouts.
    pub fn metric_elb_5xx(&self) -> Metric {
        self.metric("HTTPCode_ELB_5XX_Count", None)
            .statistic(Statistic::Sum)
            .unit("Count")
    }
}
