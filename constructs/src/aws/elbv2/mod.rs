//! Elastic Load Balancing v2: Application Load Balancers (internet-facing with WAF, or
//! internal), HTTPS listeners with TLS 1.2+, the HTTP-to-HTTPS redirect, target groups and
//! routing rules by host and path, so that several services share one load balancer.
//!
//! Pieces with one resource add it at `scope/id`; [`ApplicationLoadBalancer::new`] opens
//! `scope/id` for its parts. Its two halves ([`ApplicationLoadBalancer::security_group_in`],
//! [`ApplicationLoadBalancer::with_security_group_in`]) add into a scope the caller opened,
//! which is how patterns keep the construct paths of older constructs.

pub mod access_log_delivery;
mod https_listener;
mod listener_rule;
mod load_balancer;
mod oidc;
mod redirect_listener;
mod target_group;

pub(crate) use https_listener::check_certificate_default;
pub use https_listener::{
    certificate_parameter, DefaultAction, ForwardsTraffic, HttpsListener, HttpsListenerProps,
    TlsPolicy, CERTIFICATE_ARN_PATTERN,
};
pub use listener_rule::{ListenerRule, ListenerRuleProps, MAX_CONDITION_VALUES};
pub use load_balancer::{
    ApplicationLoadBalancer, ApplicationLoadBalancerProps, LoadBalancerScheme, INTENT_METADATA_KEY,
};
pub use oidc::OidcProps;
pub use redirect_listener::HttpRedirectListener;
pub use target_group::{TargetGroup, TargetGroupProps};
