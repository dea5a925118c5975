//! Patterns: whole services composed from the pieces of [`ecs`](crate::aws::ecs) and
//! [`elbv2`](crate::aws::elbv2), as the AWS CDK's `aws-ecs-patterns` does.

mod load_balanced_fargate_service;
mod load_balanced_props;

pub use load_balanced_fargate_service::LoadBalancedFargateService;
pub use load_balanced_props::{LoadBalancedFargateServiceProps, CORS_ENV_VAR};
