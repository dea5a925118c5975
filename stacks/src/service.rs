//! `service`: the migration-api container on Fargate behind an HTTPS load balancer with WAF,
//! and its wiring to the database.

use indexmap::IndexMap;
use stackforge_constructs::aws::ec2::Vpc;
use stackforge_constructs::aws::ecs::{EcsService, EcsServiceProps, ImageRepository, SecretRef};
use stackforge_constructs::aws::wafv2::WebAclProps;
use stackforge_constructs::{App, Environment, Error, Expr, Stack, StackProps};

use crate::data::{Data, DB_USER};
use crate::registry::Registry;
use crate::settings::Settings;

/// Builds the `service` stack.
pub fn build(
    app: &App,
    env: &Environment,
    s: &Settings,
    vpc: &Vpc,
    data: &Data,
    registry: &Registry,
) -> Result<(Stack, EcsService), Error> {
    let c = &s.service;
    let mut stack = Stack::new(
        app,
        env,
        "service",
        StackProps {
            description: Some(format!(
                "migration-api ({}) service: Fargate service behind an HTTPS load balancer with WAF rate limiting",
                s.env
            )),
            ..Default::default()
        },
    )?;
    let mut root = stack.root();
    let db = &data.db;
    let mut environment = IndexMap::new();
    environment.insert("DB_HOST".to_owned(), db.endpoint_address());
    environment.insert("DB_PORT".to_owned(), Expr::from(db.port().to_string()));
    environment.insert("DB_NAME".to_owned(), Expr::str("migration"));
    environment.insert("DB_IAM_USER".to_owned(), Expr::str(DB_USER));
    // No master credentials: the tasks connect as DB_IAM_USER with IAM authentication
    // (a token from `rds generate-db-auth-token`), a user `deploy` creates after `data`.
    let mut secrets = IndexMap::new();
    secrets.insert(
        "API_KEYS".to_owned(),
        SecretRef::new(data.api_keys.arn()).with_kms_key(data.api_keys.key()),
    );
    let service = EcsService::new(
        &mut root,
        "Api",
        vpc,
        EcsServiceProps {
            container_name: "migration-api".to_owned(),
            // The image is pushed between `registry` and this stack; the task pins its digest.
            repository: ImageRepository::Existing(registry.repository.clone()),
            cpu: c.cpu,
            memory_mib: c.memory_mib,
            min_tasks: c.min_tasks,
            max_tasks: c.max_tasks,
            environment,
            secrets,
            cors_allowed_origins: c
                .cors_allowed_origins
                .iter()
                .map(|o| (*o).to_owned())
                .collect(),
            deletion_protection: c.deletion_protection,
            log_retention_days: c.log_retention_days,
            waf: WebAclProps {
                rate_limit: c.rate_limit,
                ..Default::default()
            },
            ..Default::default()
        },
    )?;
    // The database accepts the service, and the service may reach the database: both rules
    // live here, so the data stack never needs to know the service.
    db.allow_from(&mut root, "DatabaseFromApi", &service)?;
    service.allow_to(&mut root, "ApiToDatabase", db, db.port())?;
    db.grant_connect(
        &mut root,
        "ApiConnectsToDatabase",
        &service.task_role(),
        DB_USER,
    )?;
    Ok((stack, service))
}
