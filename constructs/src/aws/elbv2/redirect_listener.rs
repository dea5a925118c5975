//! `HttpRedirectListener`: port 80, answering every request with a permanent redirect to
//! HTTPS on 443 and nothing else.

use crate::error::{Error, Result};
use crate::resource::ResourceHandle;
use crate::resources::elasticloadbalancingv2::{self as cfn, listener};
use crate::scope::Scope;

use super::load_balancer::ApplicationLoadBalancer;

/// An HTTP listener on port 80 that only redirects to HTTPS (301).
#[derive(Debug, Clone)]
pub struct HttpRedirectListener {
    handle: ResourceHandle<cfn::Listener>,
}

impl HttpRedirectListener {
    /// Adds the listener at `scope/id` on `load_balancer`, which must accept port 80
    /// (`http_redirect`, the default).
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        load_balancer: &ApplicationLoadBalancer,
    ) -> Result<HttpRedirectListener> {
        if !load_balancer.redirects_http() {
            return Err(Error::invalid_props(
                format!("{}/{id}", scope.path()),
                "load_balancer",
                "the load balancer does not accept port 80 (`http_redirect` is off), so no client could reach the redirect",
                "set `http_redirect: true` on the load balancer, or leave the redirect out",
            ));
        }
        scope.record_construct(id, "HttpRedirectListener");
        let handle = scope.add(
            id,
            cfn::Listener {
                port: Some(80.into()),
                protocol: Some(listener::Protocol::Http),
                ..cfn::Listener::new(
                    vec![listener::Action {
                        redirect_config: Some(listener::RedirectConfig {
                            protocol: Some("HTTPS".into()),
                            port: Some("443".into()),
                            ..listener::RedirectConfig::new(listener::StatusCode::Http301)
                        }),
                        ..listener::Action::new(listener::Type::Redirect)
                    }],
                    load_balancer.arn(),
                )
            },
        )?;
        Ok(HttpRedirectListener { handle })
    }

    /// The underlying resource.
    pub fn handle(&self) -> &ResourceHandle<cfn::Listener> {
        &self.handle
    }
}
