//! IAM: policy documents with least privilege checked at construction, service roles, and
//! grants as separate policies.

mod attach;
mod policy_document;
mod role;

pub use attach::attach_policy;
pub use policy_document::{
    Effect, PolicyDocument, Principal, Statement, ACTIONS_REQUIRING_STAR_RESOURCE, POLICY_VERSION,
};
pub use role::{ServiceRole, ServiceRoleProps, SERVICES_WITHOUT_SOURCE_ACCOUNT};
