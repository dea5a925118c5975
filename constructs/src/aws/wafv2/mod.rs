//! WAFv2: web ACLs protecting load balancers and APIs.

mod web_acl;

pub use web_acl::{
    WebAcl, WebAclProps, LOG_GROUP_PREFIX, MANAGED_RULE_GROUPS, RATE_WINDOWS_SECONDS,
    REDACTED_HEADERS,
};
