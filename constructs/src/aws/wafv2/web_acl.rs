//! `WebAcl`: a regional WAFv2 web ACL that rate-limits each client IP and runs the AWS
//! managed rule groups for common exploits and known bad inputs, and logs the requests it
//! blocks or counts to a KMS-encrypted `aws-waf-logs-*` log group with the credential
//! headers redacted.

use crate::aws::logs::{LogGroup, LogGroupProps, RETENTION_DAYS};
use crate::aws::naming::stack_creation_suffix;
use crate::aws::refs::WebAclArn;
use crate::error::Result;
use crate::expr::{Expr, ExprMap};
use crate::logical_id::make_unique_id;
use crate::resource::ResourceHandle;
use crate::resources::wafv2::{self as cfn, logging_configuration as web_acl_logging, web_acl};
use crate::scope::Scope;
use crate::value::Str;

/// WAF delivers logs to CloudWatch Logs only into groups whose name starts with this.
pub const LOG_GROUP_PREFIX: &str = "aws-waf-logs-";

/// Evaluation windows WAF accepts for rate-based rules, in seconds.
pub const RATE_WINDOWS_SECONDS: &[u32] = &[60, 120, 300, 600];

/// The AWS managed rule groups every web ACL runs, in priority order after the rate rule.
pub const MANAGED_RULE_GROUPS: &[&str] = &[
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
];

/// Props of [`WebAcl`]. The rate-based rule and the managed rule groups are always present;
/// metrics and sampled requests are always on.
#[derive(Debug, Clone, PartialEq)]
pub struct WebAclProps {
    /// Requests one client IP may make per window before WAF blocks it (10 to 2e9).
    /// Default: 2000.
    pub rate_limit: u32,
    /// The rate window in seconds, one of [`RATE_WINDOWS_SECONDS`]. Default: 300 (5 minutes).
    pub rate_window_seconds: u32,
    /// `Description`. Default: none.
    pub description: Option<String>,
    /// Request headers replaced by `REDACTED` in the logs (lower case), such as the API-key
    /// header clients send. Default: [`REDACTED_HEADERS`].
    pub redacted_headers: Vec<String>,
    /// Days the request logs are kept, one of [`RETENTION_DAYS`]. Default: 365.
    pub log_retention_days: u32,
}

/// The headers redacted from WAF logs by default: credentials clients send.
pub const REDACTED_HEADERS: &[&str] = &["x-api-key", "authorization"];

impl Default for WebAclProps {
    fn default() -> Self {
        Self {
            rate_limit: 2000,
            rate_window_seconds: 300,
            description: None,
            redacted_headers: REDACTED_HEADERS.iter().map(|h| (*h).to_owned()).collect(),
            log_retention_days: 365,
        }
    }
}

impl WebAclProps {
    /// Checks the props for the construct at `scope`; `prefix` is prepended to field names.
    pub(crate) fn check(&self, scope: &Scope<'_>, prefix: &str) -> Result<()> {
        if !(10..=2_000_000_000).contains(&self.rate_limit) {
            return Err(scope.invalid(
                &format!("{prefix}rate_limit"),
                format!("{} is outside 10..=2000000000", self.rate_limit),
                "use a per-IP limit WAF accepts, e.g. 2000",
            ));
        }
        if !RATE_WINDOWS_SECONDS.contains(&self.rate_window_seconds) {
            return Err(scope.invalid(
                &format!("{prefix}rate_window_seconds"),
                format!("{} is not a window WAF accepts", self.rate_window_seconds),
                format!("use one of {RATE_WINDOWS_SECONDS:?}"),
            ));
        }
        if !RETENTION_DAYS.contains(&self.log_retention_days) {
            return Err(scope.invalid(
                &format!("{prefix}log_retention_days"),
                format!(
                    "{} is not a retention CloudWatch Logs accepts",
                    self.log_retention_days
                ),
                format!("use one of {RETENTION_DAYS:?}"),
            ));
        }
        for h in &self.redacted_headers {
            let ok = !h.is_empty()
                && h.len() <= 64
                && h.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                return Err(scope.invalid(
                    &format!("{prefix}redacted_headers"),
                    format!("`{h}` is not a lower-case header name"),
                    "write header names in lower case, such as `x-api-key`",
                ));
            }
        }
        Ok(())
    }
}

/// A regional WAFv2 web ACL (for load balancers and API gateways) that allows by default
/// and blocks clients over the rate limit and requests the managed rule groups flag.
///
/// ```
/// use stackforge_constructs::aws::wafv2::{WebAcl, WebAclProps};
/// use stackforge_constructs::testing::synth_stack;
/// use stackforge_constructs::Expr;
///
/// let asm = synth_stack(|s| {
///     let acl = WebAcl::new(s, "Waf", WebAclProps::default())?;
///     acl.associate(s, "WafOnAlb", Expr::str(
///         "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/api/0123456789abcdef",
///     ))?;
///     Ok(())
/// })
/// .unwrap();
/// assert!(asm.environments[0].stacks[0].json().to_string().contains("RateBasedStatement"));
/// ```
#[derive(Debug, Clone)]
pub struct WebAcl {
    handle: ResourceHandle<cfn::WebAcl>,
}

impl WebAcl {
    /// Adds the web ACL under `scope/id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: WebAclProps) -> Result<WebAcl> {
        let mut scope = scope.construct(id, "WebAcl")?;
        props.check(&scope, "")?;
        // Metric names only have to be readable and stable; the path-derived ID is both.
        let components: Vec<&str> = scope.path().split('/').skip(1).collect();
        // An id without ASCII letters or digits at the stack root leaves no readable base.
        let base = make_unique_id(&components)
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| "WebAcl".to_owned());
        // WAF metric names are 1 to 128 characters.
        let visibility = |metric: &str| {
            web_acl::VisibilityConfig::new(
                true,
                crate::names::fit(&format!("{base}{metric}"), 128),
                true,
            )
        };
        let mut rules = vec![web_acl::Rule {
            action: Some(web_acl::RuleAction {
                block: Some(web_acl::BlockAction::default()),
                ..Default::default()
            }),
            ..web_acl::Rule::new(
                "RateLimitPerIp",
                0,
                web_acl::Statement {
                    rate_based_statement: Some(web_acl::RateBasedStatement {
                        evaluation_window_sec: Some(props.rate_window_seconds.into()),
                        ..web_acl::RateBasedStatement::new(
                            web_acl::AggregateKeyType::Ip,
                            props.rate_limit,
                        )
                    }),
                    ..Default::default()
                },
                visibility("RateLimitPerIp"),
            )
        }];
        for (i, group) in MANAGED_RULE_GROUPS.iter().enumerate() {
            rules.push(web_acl::Rule {
                // `None` keeps the group's own actions (block what it flags).
                override_action: Some(web_acl::OverrideAction {
                    none: Some(Expr::Map(ExprMap::new())),
                    ..Default::default()
                }),
                ..web_acl::Rule::new(
                    *group,
                    i as u32 + 1,
                    web_acl::Statement {
                        managed_rule_group_statement: Some(
                            web_acl::ManagedRuleGroupStatement::new(*group, "AWS"),
                        ),
                        ..Default::default()
                    },
                    visibility(group),
                )
            });
        }
        let redacted = props.redacted_headers.clone();
        let retention_days = props.log_retention_days;
        let handle = scope.add(
            "Resource",
            cfn::WebAcl {
                description: props.description.map(Str::from),
                rules: Some(rules),
                ..cfn::WebAcl::new(
                    web_acl::DefaultAction {
                        allow: Some(web_acl::AllowAction::default()),
                        ..Default::default()
                    },
                    web_acl::Scope::Regional,
                    visibility(""),
                )
            },
        )?;
        let acl = WebAcl { handle };
        acl.log(&mut scope, &redacted, retention_days)?;
        Ok(acl)
    }

    /// `scope/Logs`: the `aws-waf-logs-` log group WAF requires (KMS, retention; named after
    /// the stack and its creation, so a retained group never blocks re-creating the stack),
    /// and `scope/Logging`: only blocked and counted requests, credential headers redacted.
    fn log(&self, scope: &mut Scope<'_>, redacted: &[String], retention_days: u32) -> Result<()> {
        let name = Expr::concat([
            Expr::str(LOG_GROUP_PREFIX),
            Expr::stack_name(),
            Expr::str("-"),
            stack_creation_suffix(),
        ]);
        LogGroup::new(
            scope,
            "Logs",
            LogGroupProps {
                retention_days,
                name: Some(Str(name.clone())),
                ..Default::default()
            },
        )?;
        // WAF takes the log group's ARN without the `:*` that `Fn::GetAtt Arn` ends with.
        let destination = Expr::arn("logs", true, Expr::concat([Expr::str("log-group:"), name]));
        let keep = |action: web_acl_logging::Action| web_acl_logging::Condition {
            action_condition: Some(web_acl_logging::ActionCondition::new(action)),
            ..Default::default()
        };
        scope.add(
            "Logging",
            web_acl_logging::LoggingConfiguration {
                logging_filter: Some(web_acl_logging::LoggingFilter::new(
                    web_acl_logging::DefaultBehavior::Drop,
                    vec![web_acl_logging::Filter::new(
                        web_acl_logging::Behavior::Keep,
                        vec![
                            keep(web_acl_logging::Action::Block),
                            keep(web_acl_logging::Action::Count),
                        ],
                        web_acl_logging::Requirement::MeetsAny,
                    )],
                )),
                redacted_fields: (!redacted.is_empty()).then(|| {
                    redacted
                        .iter()
                        .map(|h| web_acl_logging::FieldToMatch {
                            single_header: Some(web_acl_logging::SingleHeader::new(h.as_str())),
                            ..Default::default()
                        })
                        .collect()
                }),
                ..web_acl_logging::LoggingConfiguration::new(vec![Str(destination)], self.arn())
            },
        )?;
        Ok(())
    }

    /// The web ACL ARN.
    pub fn arn(&self) -> WebAclArn {
        WebAclArn::from_expr(self.handle.arn())
    }

    /// The underlying resource.
    pub fn handle(&self) -> &ResourceHandle<cfn::WebAcl> {
        &self.handle
    }

    /// Protects the resource with ARN `resource_arn` (an Application Load Balancer, an API
    /// Gateway stage) with this web ACL, as an `AWS::WAFv2::WebACLAssociation` at `scope/id`.
    pub fn associate(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        resource_arn: impl Into<Expr>,
    ) -> Result<ResourceHandle<cfn::WebAclAssociation>> {
        scope.add(
            id,
            cfn::WebAclAssociation::new(Str(resource_arn.into()), self.arn()),
        )
    }
}
