//! `HttpsListener`: TLS 1.2+ on 443 with an ACM certificate, forwarding to a target group
//! (optionally after OIDC authentication) or answering 404 until routing rules match.

use crate::aws::refs::SecurityGroupId;
use crate::aws::validate::{check_parameter_name, is_arn_of};
use crate::error::{Error, Result};
use crate::expr::{Expr, Reference};
use crate::resource::ResourceHandle;
use crate::resources::elasticloadbalancingv2::{self as cfn, listener};
use crate::scope::Scope;
use crate::template::Parameter;
use crate::value::Str;

use super::load_balancer::ApplicationLoadBalancer;
use super::oidc::OidcProps;
use super::target_group::TargetGroup;

/// The ACM certificate ARN pattern of the certificate parameter (`AllowedPattern`).
pub const CERTIFICATE_ARN_PATTERN: &str =
    "arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+";

/// TLS policies of an HTTPS listener. Every one of them refuses TLS 1.0 and 1.1.
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

/// Declares the stack parameter `name` holding the ACM certificate ARN an HTTPS listener
/// serves (checked against [`CERTIFICATE_ARN_PATTERN`]; without `default`, operators must
/// supply one at deploy time) and returns its value.
pub fn certificate_parameter(
    scope: &mut Scope<'_>,
    name: &str,
    default: Option<&str>,
) -> Result<Expr> {
    check_parameter_name(scope, "certificate_parameter_name", name)?;
    if let Some(default) = default {
        check_certificate_default(scope.path(), default)?;
    }
    let mut certificate = Parameter::string()
        .description("ARN of the ACM certificate the load balancer's HTTPS listener serves")
        .allowed_pattern(
            CERTIFICATE_ARN_PATTERN,
            "an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)",
        );
    if let Some(default) = default {
        certificate = certificate.default_value(default);
    }
    scope.stack_mut().add_parameter(name, certificate)
}

/// Checks a default certificate ARN.
pub(crate) fn check_certificate_default(path: &str, default: &str) -> Result<()> {
    if default.trim().is_empty() {
        return Err(Error::invalid_props(
            path,
            "certificate_default",
            "the default certificate ARN is empty, which no HTTPS listener can serve",
            "give an ACM certificate ARN, or leave it unset so operators must supply one at deploy time",
        ));
    }
    if !is_arn_of(default, "acm", "certificate/") {
        return Err(Error::invalid_props(
            path,
            "certificate_default",
            format!("`{default}` is not an ACM certificate ARN"),
            "use `arn:aws:acm:REGION:ACCOUNT:certificate/ID`",
        ));
    }
    Ok(())
}

/// What an HTTPS listener does with requests no routing rule takes.
#[derive(Debug, Clone, Default)]
pub enum DefaultAction {
    /// Answer `404 Not Found` (the default; routing rules send traffic to services).
    #[default]
    NotFound,
    /// Forward to a target group.
    Forward(TargetGroup),
}

/// Props of [`HttpsListener`].
#[derive(Debug, Clone, Default)]
pub struct HttpsListenerProps {
    /// The TLS policy. Default: [`TlsPolicy::Tls13Tls12`].
    pub tls_policy: TlsPolicy,
    /// What requests no rule takes get. Default: [`DefaultAction::NotFound`].
    pub default_action: DefaultAction,
    /// OIDC authentication before the default action forwards (the load balancer needs
    /// `identity_provider_egress`). Default: none.
    pub oidc: Option<OidcProps>,
}

/// A listener or routing rule that forwards to target groups: services attached to one of
/// its groups wait for it (a service fails to create until a listener forwards to its
/// group), and its load balancer's group is allowed to reach their tasks.
pub trait ForwardsTraffic {
    /// The listener or rule resource.
    fn forwarding_resource(&self) -> Reference;
    /// The security group of its load balancer.
    fn load_balancer_security_group(&self) -> SecurityGroupId;
    /// Whether it forwards to `target_group`.
    fn forwards_to(&self, target_group: &TargetGroup) -> bool;
}

/// An HTTPS listener on port 443.
#[derive(Debug, Clone)]
pub struct HttpsListener {
    handle: ResourceHandle<cfn::Listener>,
    load_balancer_security_group: SecurityGroupId,
    forwards_to: Option<Expr>,
    identity_provider_egress: bool,
}

impl ForwardsTraffic for HttpsListener {
    fn forwarding_resource(&self) -> Reference {
        self.handle.reference().clone()
    }

    fn load_balancer_security_group(&self) -> SecurityGroupId {
        self.load_balancer_security_group.clone()
    }

    fn forwards_to(&self, target_group: &TargetGroup) -> bool {
        self.forwards_to.as_ref() == Some(&target_group.arn())
    }
}

impl HttpsListener {
    /// Adds the listener at `scope/id` on `load_balancer`, serving `certificate_arn` (an ACM
    /// certificate ARN, typically [`certificate_parameter`]).
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        load_balancer: &ApplicationLoadBalancer,
        certificate_arn: impl Into<Expr>,
        props: HttpsListenerProps,
    ) -> Result<HttpsListener> {
        let path = format!("{}/{id}", scope.path());
        let certificate_arn = certificate_arn.into();
        if let Some(literal) = certificate_arn.as_str() {
            if !is_arn_of(literal, "acm", "certificate/") {
                return Err(Error::invalid_props(
                    &path,
                    "certificate_arn",
                    format!("`{literal}` is not an ACM certificate ARN"),
                    "pass `arn:aws:acm:REGION:ACCOUNT:certificate/ID` or a parameter (`certificate_parameter`)",
                ));
            }
        }
        if let Some(oidc) = &props.oidc {
            oidc.check(&path, "oidc.")?;
            if !load_balancer.has_identity_provider_egress() {
                return Err(Error::invalid_props(
                    &path,
                    "oidc",
                    "the load balancer cannot reach the identity provider's endpoints",
                    "set `identity_provider_egress: true` on the load balancer",
                ));
            }
        }
        let (default, forwards_to) = match &props.default_action {
            DefaultAction::NotFound => (
                listener::Action {
                    fixed_response_config: Some(listener::FixedResponseConfig {
                        content_type: Some("text/plain".into()),
                        message_body: Some("Not Found".into()),
                        ..listener::FixedResponseConfig::new("404")
                    }),
                    ..listener::Action::new(listener::Type::FixedResponse)
                },
                None,
            ),
            DefaultAction::Forward(tg) => (
                listener::Action {
                    target_group_arn: Some(tg.arn().into()),
                    ..listener::Action::new(listener::Type::Forward)
                },
                Some(tg.arn()),
            ),
        };
        let actions = match &props.oidc {
            None => vec![default],
            Some(oidc) => oidc.listener_actions(default),
        };
        scope.record_construct(id, "HttpsListener");
        let handle = scope.add(
            id,
            cfn::Listener {
                port: Some(443.into()),
                protocol: Some(listener::Protocol::Https),
                ssl_policy: Some(props.tls_policy.name().into()),
                certificates: Some(vec![listener::Certificate {
                    certificate_arn: Some(Str(certificate_arn)),
                }]),
                ..cfn::Listener::new(actions, load_balancer.arn())
            },
        )?;
        Ok(HttpsListener {
            handle,
            load_balancer_security_group: load_balancer.security_group(),
            forwards_to,
            identity_provider_egress: load_balancer.has_identity_provider_egress(),
        })
    }

    /// The listener ARN.
    pub fn arn(&self) -> Expr {
        self.handle.ref_()
    }

    /// Whether its load balancer may call an OIDC identity provider (for rules with OIDC).
    pub fn has_identity_provider_egress(&self) -> bool {
        self.identity_provider_egress
    }

    /// The underlying resource.
    pub fn handle(&self) -> &ResourceHandle<cfn::Listener> {
        &self.handle
    }
}
