//! IAM: policy documents with least privilege checked at construction.

mod policy_document;

pub use policy_document::{
    Effect, PolicyDocument, Principal, Statement, ACTIONS_REQUIRING_STAR_RESOURCE, POLICY_VERSION,
};
