//! ECS on Fargate, in pieces: a [`Cluster`], a [`FargateTaskDefinition`] of one or more
//! hardened containers with its [`TaskRoles`], a [`FargateService`] in private subnets,
//! and [`ServiceScaling`]. The patterns in [`ecs_patterns`](crate::aws::ecs_patterns)
//! compose them (with [`elbv2`](crate::aws::elbv2) and [`sqs`](crate::aws::sqs)) into
//! whole services; [`EcsService`] is the load-balanced one under its first name.
//!
//! Pieces with one resource add it at `scope/id`; `new` of a piece with several opens
//! `scope/id` for them. The `with_*` constructors take parts the caller made, which is how
//! patterns keep the construct paths of older constructs.

mod checks;
mod cluster;
mod container;
mod fargate;
mod image;
mod scaling;
mod service;
mod task_definition;
mod task_roles;

pub use crate::aws::ecs_patterns::{
    LoadBalancedFargateService as EcsService, LoadBalancedFargateServiceProps as EcsServiceProps,
    CORS_ENV_VAR,
};
pub use crate::aws::elbv2::{OidcProps, TlsPolicy, CERTIFICATE_ARN_PATTERN};
pub use crate::aws::secretsmanager::SecretRef;
pub(crate) use checks::{check_health_check, check_scratch_paths, is_digest, is_image_tag};
pub(crate) use checks::{check_origin, check_user, is_env_name, is_name, USER_FIX};
pub use cluster::{Cluster, ClusterProps, ContainerInsights};
pub use container::{
    ContainerDefinitionProps, ContainerDependency, ContainerHealthCheck, ContainerLogging,
    DependencyCondition,
};
pub use fargate::{fargate_memory_options, FARGATE_CPU_UNITS};
pub use image::{
    image_digest_parameter, image_parameters, image_tag_parameter, ContainerImage, ImageParameter,
    ImageRef, ImageRepository, ImageRepositoryLocation, IMAGE_DIGEST_PATTERN, IMAGE_METADATA_KEY,
    IMAGE_TAG_PATTERN,
};
pub(crate) use scaling::check_steps;
pub use scaling::{ScalingRule, ServiceScaling, ServiceScalingProps, StepScaling};
pub(crate) use service::default_egress;
pub use service::{FargateService, FargateServiceProps, LoadBalancerTarget};
pub use task_definition::{CpuArchitecture, FargateTaskDefinition, FargateTaskDefinitionProps};
pub use task_roles::TaskRoles;
