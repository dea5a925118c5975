//! The AWS constructs (L2): secure defaults, typed connections, one construct per file,
//! grouped by service.

pub mod backup;
pub mod cloudtrail;
pub mod cloudwatch;
pub mod ec2;
pub mod ecr;
pub mod ecs;
pub mod ecs_patterns;
pub mod elbv2;
pub mod iam;
pub mod kms;
pub mod logs;
pub(crate) mod naming;
pub mod rds;
pub mod refs;
pub mod s3;
pub mod secretsmanager;
pub mod sns;
pub mod sqs;
pub(crate) mod validate;
pub mod wafv2;
