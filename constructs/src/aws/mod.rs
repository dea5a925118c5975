//! The AWS constructs (L2): secure defaults, typed connections, one construct per file,
//! grouped by service.

pub mod cloudwatch;
pub mod ec2;
pub mod ecr;
pub mod ecs;
pub mod iam;
pub mod kms;
pub mod logs;
pub mod refs;
pub mod s3;
pub mod wafv2;
