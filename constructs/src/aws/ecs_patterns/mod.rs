//! Patterns: whole services composed from the pieces of [`ecs`](crate::aws::ecs),
//! [`elbv2`](crate::aws::elbv2) and [`sqs`](crate::aws::sqs), as the AWS CDK's
//! `aws-ecs-patterns` does.

mod load_balanced_fargate_service;
mod load_balanced_props;
mod queue_processing_fargate_service;

pub use load_balanced_fargate_service::LoadBalancedFargateService;
pub use load_balanced_props::{LoadBalancedFargateServiceProps, CORS_ENV_VAR};
pub use queue_processing_fargate_service::{
    QueueProcessingFargateService, QueueProcessingFargateServiceProps,
};
