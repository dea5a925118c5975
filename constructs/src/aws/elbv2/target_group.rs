//! `TargetGroup`: Fargate tasks (IP targets) behind a load balancer, health-checked over HTTP.

use crate::aws::ec2::Vpc;
use crate::aws::refs::TargetGroupFullName;
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::resource::ResourceHandle;
use crate::resources::elasticloadbalancingv2::{self as cfn, target_group};
use crate::scope::Scope;
use crate::value::Tag;

/// Props of [`TargetGroup`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetGroupProps {
    /// The port the targets listen on (1 to 65535). Default: 8080.
    pub port: u16,
    /// The health check path. Default: `/health`.
    pub health_check_path: String,
    /// HTTP codes of a healthy target (`200`, `200-299`). Default: `200`.
    pub healthy_http_codes: String,
    /// Seconds a deregistering task keeps serving in-flight requests (0 to 3600).
    /// Default: 30.
    pub deregistration_delay_seconds: u32,
}

impl Default for TargetGroupProps {
    fn default() -> Self {
        Self {
            port: 8080,
            health_check_path: "/health".to_owned(),
            healthy_http_codes: "200".to_owned(),
            deregistration_delay_seconds: 30,
        }
    }
}

impl TargetGroupProps {
    pub(crate) fn check(&self, path: &str) -> Result<()> {
        let invalid = |field: &str, problem: String, fix: &str| {
            Err(Error::invalid_props(path, field, problem, fix))
        };
        if self.port == 0 {
            return invalid(
                "port",
                "port 0 is not a TCP port".into(),
                "use a port between 1 and 65535",
            );
        }
        if !self.health_check_path.starts_with('/')
            || self.health_check_path.len() > 1024
            || self.health_check_path.contains(char::is_whitespace)
        {
            return invalid(
                "health_check_path",
                format!("`{}` is not a URL path", self.health_check_path),
                "use a path such as `/health`",
            );
        }
        let codes_ok = !self.healthy_http_codes.is_empty()
            && self
                .healthy_http_codes
                .split([',', '-'])
                .all(|c| matches!(c.parse::<u16>(), Ok(200..=499)));
        if !codes_ok {
            return invalid(
                "healthy_http_codes",
                format!("`{}` is not a list of HTTP codes", self.healthy_http_codes),
                "use codes from 200 to 499 such as `200` or `200-299`",
            );
        }
        if self.deregistration_delay_seconds > 3600 {
            return invalid(
                "deregistration_delay_seconds",
                format!("{} is more than 3600", self.deregistration_delay_seconds),
                "use 0 to 3600 seconds",
            );
        }
        Ok(())
    }
}

/// An HTTP target group of IP targets (what Fargate tasks register as).
#[derive(Debug, Clone)]
pub struct TargetGroup {
    handle: ResourceHandle<cfn::TargetGroup>,
    port: u16,
}

impl TargetGroup {
    /// Adds the target group at `scope/id` in `vpc`.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        vpc: &Vpc,
        props: TargetGroupProps,
    ) -> Result<TargetGroup> {
        props.check(&format!("{}/{id}", scope.path()))?;
        scope.record_construct(id, "TargetGroup");
        let handle = scope.add(
            id,
            cfn::TargetGroup {
                target_type: Some(target_group::TargetType::Ip),
                port: Some(props.port.into()),
                protocol: Some(target_group::Protocol::Http),
                vpc_id: Some(vpc.vpc_id().into()),
                health_check_enabled: Some(true.into()),
                health_check_protocol: Some(target_group::HealthCheckProtocol::Http),
                health_check_path: Some(props.health_check_path.as_str().into()),
                matcher: Some(target_group::Matcher {
                    http_code: Some(props.healthy_http_codes.as_str().into()),
                    ..Default::default()
                }),
                target_group_attributes: Some(vec![Tag::new(
                    "deregistration_delay.timeout_seconds",
                    props.deregistration_delay_seconds.to_string(),
                )]),
                ..Default::default()
            },
        )?;
        Ok(TargetGroup {
            handle,
            port: props.port,
        })
    }

    /// The target group ARN (`Ref`).
    pub fn arn(&self) -> Expr {
        self.handle.ref_()
    }

    /// The full name (`targetgroup/NAME/ID`), the `TargetGroup` metric dimension.
    pub fn full_name(&self) -> TargetGroupFullName {
        TargetGroupFullName::from_expr(self.handle.target_group_full_name())
    }

    /// The port the targets listen on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The underlying resource.
    pub fn handle(&self) -> &ResourceHandle<cfn::TargetGroup> {
        &self.handle
    }
}
