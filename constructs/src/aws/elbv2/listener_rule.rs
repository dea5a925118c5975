//! `ListenerRule`: routes requests matching hosts and/or paths on an HTTPS listener to a
//! target group (optionally after OIDC authentication), so several services share one load
//! balancer.

use crate::aws::refs::SecurityGroupId;
use crate::error::{Error, Result};
use crate::expr::{Expr, Reference};
use crate::resource::ResourceHandle;
use crate::resources::elasticloadbalancingv2::{self as cfn, listener_rule as rule};
use crate::scope::Scope;
use crate::value::{Int, IntoExpr, Str};

use super::https_listener::{ForwardsTraffic, HttpsListener};
use super::oidc::OidcProps;
use super::target_group::TargetGroup;

/// Condition values a rule may have in total (an Application Load Balancer limit).
pub const MAX_CONDITION_VALUES: usize = 5;

/// Props of [`ListenerRule`].
#[derive(Debug, Clone)]
pub struct ListenerRuleProps {
    /// Evaluation order on the listener, 1 to 50000 (lowest first), unique per listener.
    pub priority: u32,
    /// Host headers to match (`api.example.com`, `*.example.com`). Default: any host.
    pub host_headers: Vec<String>,
    /// Paths to match (`/admin`, `/admin/*`). Default: any path.
    pub path_patterns: Vec<String>,
    /// Where matching requests go.
    pub target_group: TargetGroup,
    /// OIDC authentication before forwarding (the listener's load balancer needs
    /// `identity_provider_egress`). Default: none.
    pub oidc: Option<OidcProps>,
}

impl ListenerRuleProps {
    /// Forwards to `target_group` at `priority`; set hosts and/or paths.
    pub fn new(priority: u32, target_group: &TargetGroup) -> Self {
        Self {
            priority,
            host_headers: Vec::new(),
            path_patterns: Vec::new(),
            target_group: target_group.clone(),
            oidc: None,
        }
    }
}

/// A routing rule of an HTTPS listener.
#[derive(Debug, Clone)]
pub struct ListenerRule {
    handle: ResourceHandle<cfn::ListenerRule>,
    load_balancer_security_group: SecurityGroupId,
    target_group: Expr,
}

impl ForwardsTraffic for ListenerRule {
    fn forwarding_resource(&self) -> Reference {
        self.handle.reference().clone()
    }

    fn load_balancer_security_group(&self) -> SecurityGroupId {
        self.load_balancer_security_group.clone()
    }

    fn forwards_to(&self, target_group: &TargetGroup) -> bool {
        self.target_group == target_group.arn()
    }
}

impl ListenerRule {
    /// Adds the rule at `scope/id` on `listener`.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        listener: &HttpsListener,
        props: ListenerRuleProps,
    ) -> Result<ListenerRule> {
        let path = format!("{}/{id}", scope.path());
        check(scope, &path, listener, &props)?;
        let forward = rule::Action {
            target_group_arn: Some(props.target_group.arn().into()),
            ..rule::Action::new(rule::ActionType::Forward)
        };
        let actions = match &props.oidc {
            None => vec![forward],
            Some(oidc) => oidc.rule_actions(forward),
        };
        let values = |v: &[String]| Some(v.iter().map(|s| Str::from(s.as_str())).collect());
        let mut conditions = Vec::new();
        if !props.host_headers.is_empty() {
            conditions.push(rule::RuleCondition {
                field: Some("host-header".into()),
                host_header_config: Some(rule::HostHeaderConfig {
                    values: values(&props.host_headers),
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
        if !props.path_patterns.is_empty() {
            conditions.push(rule::RuleCondition {
                field: Some("path-pattern".into()),
                path_pattern_config: Some(rule::PathPatternConfig {
                    values: values(&props.path_patterns),
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
        scope.record_construct(id, "ListenerRule");
        let handle = scope.add(
            id,
            cfn::ListenerRule {
                listener_arn: Some(listener.arn().into()),
                ..cfn::ListenerRule::new(actions, conditions, props.priority)
            },
        )?;
        Ok(ListenerRule {
            handle,
            load_balancer_security_group: listener.load_balancer_security_group(),
            target_group: props.target_group.arn(),
        })
    }

    /// The rule ARN.
    pub fn arn(&self) -> Expr {
        self.handle.ref_()
    }

    /// The underlying resource.
    pub fn handle(&self) -> &ResourceHandle<cfn::ListenerRule> {
        &self.handle
    }
}

fn check(
    scope: &Scope<'_>,
    path: &str,
    listener: &HttpsListener,
    p: &ListenerRuleProps,
) -> Result<()> {
    let invalid = |field: &str, problem: String, fix: &str| {
        Err(Error::invalid_props(path, field, problem, fix))
    };
    if !(1..=50_000).contains(&p.priority) {
        return invalid(
            "priority",
            format!("{} is outside 1..=50000", p.priority),
            "use a priority between 1 and 50000, unique on the listener",
        );
    }
    // Two rules of one listener with one priority fail at deploy time; catch it here.
    let priority = Int::from(p.priority).into_expr();
    let taken = scope.stack().declared_resources().find(|r| {
        r.type_name == "AWS::ElasticLoadBalancingV2::ListenerRule"
            && r.properties.get("ListenerArn") == Some(&listener.arn())
            && r.properties.get("Priority") == Some(&priority)
    });
    if let Some(other) = taken {
        return invalid(
            "priority",
            format!(
                "`{}` already has priority {} on this listener",
                other.path, p.priority
            ),
            "give every rule of a listener its own priority",
        );
    }
    let count = p.host_headers.len() + p.path_patterns.len();
    if count == 0 {
        return invalid(
            "path_patterns",
            "the rule matches nothing: no host header and no path".into(),
            "set `host_headers` and/or `path_patterns` (use the listener's default action for everything else)",
        );
    }
    if count > MAX_CONDITION_VALUES {
        return invalid(
            "path_patterns",
            format!("{count} hosts and paths, over the {MAX_CONDITION_VALUES} a rule may have"),
            "split them over several rules",
        );
    }
    for host in &p.host_headers {
        let ok = !host.is_empty()
            && host.len() <= 128
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.*?".contains(c));
        if !ok {
            return invalid(
                "host_headers",
                format!("`{host}` is not a host name pattern"),
                "use a host such as `api.example.com` or `*.example.com` (no scheme, no port)",
            );
        }
    }
    for pattern in &p.path_patterns {
        let ok = pattern.starts_with('/')
            && pattern.len() <= 128
            && pattern
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.$/~\"'@:+&*?".contains(c));
        if !ok {
            return invalid(
                "path_patterns",
                format!("`{pattern}` is not a path pattern"),
                "use a path starting with `/`, such as `/admin` or `/admin/*`",
            );
        }
    }
    if let Some(oidc) = &p.oidc {
        oidc.check(path, "oidc.")?;
        if !listener.has_identity_provider_egress() {
            return invalid(
                "oidc",
                "the load balancer cannot reach the identity provider's endpoints".into(),
                "set `identity_provider_egress: true` on the load balancer",
            );
        }
    }
    Ok(())
}
