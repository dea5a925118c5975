//! The AWS constructs (L2): secure defaults, typed connections, one construct per file,
//! grouped by service.

pub mod iam;
pub mod refs;
