//! CloudTrail: the audit trail of API calls.

mod trail;

pub use trail::{ManagementEvents, Trail, TrailProps};
