//! OpenID Connect authentication at the load balancer, for listeners and routing rules.

use crate::aws::secretsmanager::SecretRef;
use crate::error::{Error, Result};
use crate::resources::elasticloadbalancingv2::{listener, listener_rule};
use crate::value::Str;

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

    /// Checks the props; `prefix` (`oidc.`) is prepended to field names.
    pub(crate) fn check(&self, path: &str, prefix: &str) -> Result<()> {
        let invalid = |field: &str, problem: String, fix: &str| {
            Err(Error::invalid_props(
                path,
                format!("{prefix}{field}"),
                problem,
                fix,
            ))
        };
        for (field, url) in [
            ("issuer", &self.issuer),
            ("authorization_endpoint", &self.authorization_endpoint),
            ("token_endpoint", &self.token_endpoint),
            ("user_info_endpoint", &self.user_info_endpoint),
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
        if self.client_id.trim().is_empty() {
            return invalid(
                "client_id",
                "the client id is empty".into(),
                "use the client id the identity provider issued",
            );
        }
        self.client_secret
            .check(path, &format!("{prefix}client_secret"))?;
        if self.scope.trim().is_empty() {
            return invalid(
                "scope",
                "no scope is requested".into(),
                "request at least `openid`",
            );
        }
        if !(1..=604_800).contains(&self.session_timeout_seconds) {
            return invalid(
                "session_timeout_seconds",
                format!("{} is outside 1..=604800", self.session_timeout_seconds),
                "use at most 7 days",
            );
        }
        Ok(())
    }

    /// The listener actions: authenticate (order 1), then `forward` (order 2).
    pub(crate) fn listener_actions(&self, forward: listener::Action) -> Vec<listener::Action> {
        vec![
            listener::Action {
                authenticate_oidc_config: Some(listener::AuthenticateOidcConfig {
                    client_secret: Some(Str(self.client_secret.dynamic_reference())),
                    scope: Some(self.scope.as_str().into()),
                    session_timeout: Some(self.session_timeout_seconds.to_string().into()),
                    on_unauthenticated_request: Some(
                        listener::OnUnauthenticatedRequest::Authenticate,
                    ),
                    ..listener::AuthenticateOidcConfig::new(
                        self.authorization_endpoint.as_str(),
                        self.client_id.as_str(),
                        self.issuer.as_str(),
                        self.token_endpoint.as_str(),
                        self.user_info_endpoint.as_str(),
                    )
                }),
                order: Some(1.into()),
                ..listener::Action::new(listener::Type::AuthenticateOidc)
            },
            listener::Action {
                order: Some(2.into()),
                ..forward
            },
        ]
    }

    /// The same two actions for a listener rule.
    pub(crate) fn rule_actions(
        &self,
        forward: listener_rule::Action,
    ) -> Vec<listener_rule::Action> {
        vec![
            listener_rule::Action {
                authenticate_oidc_config: Some(listener_rule::AuthenticateOidcConfig {
                    client_secret: Some(Str(self.client_secret.dynamic_reference())),
                    scope: Some(self.scope.as_str().into()),
                    session_timeout: Some(self.session_timeout_seconds.into()),
                    on_unauthenticated_request: Some(
                        listener_rule::OnUnauthenticatedRequest::Authenticate,
                    ),
                    ..listener_rule::AuthenticateOidcConfig::new(
                        self.authorization_endpoint.as_str(),
                        self.client_id.as_str(),
                        self.issuer.as_str(),
                        self.token_endpoint.as_str(),
                        self.user_info_endpoint.as_str(),
                    )
                }),
                order: Some(1.into()),
                ..listener_rule::Action::new(listener_rule::ActionType::AuthenticateOidc)
            },
            listener_rule::Action {
                order: Some(2.into()),
                ..forward
            },
        ]
    }
}
