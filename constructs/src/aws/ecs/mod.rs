//! ECS: Fargate services behind load balancers.

mod ecs_service;
mod fargate;

pub use ecs_service::{
    ContainerHealthCheck, ContainerInsights, CpuArchitecture, EcsService, EcsServiceProps,
    ImageRef, ImageRepository, OidcProps, SecretRef, TlsPolicy, CERTIFICATE_ARN_PATTERN,
    CORS_ENV_VAR,
};
pub use fargate::{fargate_memory_options, FARGATE_CPU_UNITS};
