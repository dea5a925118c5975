//! The stacks of the app. Every environment gets the same stacks, sized by its settings.

use stackforge_constructs::aws::backup::{BackupPlan, BackupPlanProps};
use stackforge_constructs::aws::ec2::{Vpc, VpcProps};
use stackforge_constructs::aws::ecr::{Repository, RepositoryProps};
use stackforge_constructs::aws::ecs::{EcsService, EcsServiceProps};
use stackforge_constructs::aws::rds::{RdsEncrypted, RdsEncryptedProps};
use stackforge_constructs::{App, Environment, Error, Expr, IndexMap, Stack, StackProps};

use super::settings::Settings;

/// The database user the service connects as, with IAM authentication.
pub const DB_USER: &str = "app";

/// Builds the app `name` with one environment per entry of `environments`.
pub fn app(name: &str, environments: &[Settings]) -> Result<App, Error> {
    let mut app = App::new(name);
    for s in environments {
        let env = Environment::new(s.env);
        let (network, vpc) = network(&app, &env, s)?;
        let (data, db) = data(&app, &env, s, &vpc)?;
        let (registry, repository) = registry(&app, &env)?;
        let service = service(&app, &env, s, &vpc, &db, &repository)?;
        // Deploy order follows the references: network, data, registry, service.
        for stack in [network, data, registry, service] {
            app.add_stack(stack)?;
        }
    }
    Ok(app)
}

/// The `network` stack: a VPC with public, private and isolated subnets in two zones.
pub fn network(app: &App, env: &Environment, s: &Settings) -> Result<(Stack, Vpc), Error> {
    let mut stack = Stack::new(app, env, "network", StackProps::default())?;
    let vpc = Vpc::new(
        &mut stack.root(),
        "Vpc",
        VpcProps {
            cidr: s.cidr.to_owned(),
            nat_gateways: s.nat_gateways,
            ..Default::default()
        },
    )?;
    Ok((stack, vpc))
}

/// The `data` stack: an encrypted PostgreSQL database, backed up daily by AWS Backup.
pub fn data(
    app: &App,
    env: &Environment,
    s: &Settings,
    vpc: &Vpc,
) -> Result<(Stack, RdsEncrypted), Error> {
    let mut stack = Stack::new(app, env, "data", StackProps::default())?;
    let mut root = stack.root();
    // Encrypted, TLS-only, IAM authentication, isolated subnets: there is no prop to turn
    // that off.
    let db = RdsEncrypted::new(
        &mut root,
        "Database",
        vpc,
        RdsEncryptedProps {
            instance_class: s.db_instance_class.to_owned(),
            multi_az: s.multi_az,
            backup_retention_days: s.db_backup_days,
            ..Default::default()
        },
    )?;
    BackupPlan::new(
        &mut root,
        "Backup",
        [db.arn()],
        BackupPlanProps {
            retention_days: s.backup_days,
            ..Default::default()
        },
    )?;
    Ok((stack, db))
}

/// The `registry` stack: the service's ECR repository (scan on push, immutable tags, KMS),
/// deployed before the service so `deploy` pushes the image first: a new repository beside
/// the service would be empty when its first tasks start.
pub fn registry(app: &App, env: &Environment) -> Result<(Stack, Repository), Error> {
    let mut stack = Stack::new(app, env, "registry", StackProps::default())?;
    let repository = Repository::new(&mut stack.root(), "Repository", RepositoryProps::default())?;
    Ok((stack, repository))
}

/// The `service` stack: a Fargate service behind an HTTPS load balancer with WAF, allowed to
/// connect to the database. Its certificate ARN is a stack parameter
/// (`params/<env>/service.json`); its image digest is one too, which `deploy` sets after
/// pushing the image to `repository`.
pub fn service(
    app: &App,
    env: &Environment,
    s: &Settings,
    vpc: &Vpc,
    db: &RdsEncrypted,
    repository: &Repository,
) -> Result<Stack, Error> {
    let mut stack = Stack::new(app, env, "service", StackProps::default())?;
    let mut root = stack.root();
    let mut environment = IndexMap::new();
    // Values of another stack: synth turns them into exports and imports.
    environment.insert("DB_HOST".to_owned(), db.endpoint_address());
    environment.insert("DB_PORT".to_owned(), Expr::from(db.port().to_string()));
    environment.insert("DB_USER".to_owned(), Expr::str(DB_USER));
    let service = EcsService::new(
        &mut root,
        "Service",
        vpc,
        EcsServiceProps {
            repository: repository.clone().into(),
            min_tasks: s.min_tasks,
            max_tasks: s.max_tasks,
            environment,
            deletion_protection: s.deletion_protection,
            ..Default::default()
        },
    )?;
    // Both rules live here, so the data stack never needs to know the service.
    db.allow_from(&mut root, "DatabaseFromService", &service)?;
    service.allow_to(&mut root, "ServiceToDatabase", db, db.port())?;
    db.grant_connect(
        &mut root,
        "ServiceConnectsToDatabase",
        &service.task_role(),
        DB_USER,
    )?;
    Ok(stack)
}
