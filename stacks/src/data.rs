//! `data`: the encrypted PostgreSQL database and the application's API-key secret.

use stackforge_constructs::aws::ec2::Vpc;
use stackforge_constructs::aws::rds::{
    DatabaseUserSetup, DatabaseUserSetupProps, Engine, MasterSecret, RdsEncrypted,
    RdsEncryptedProps,
};
use stackforge_constructs::aws::secretsmanager::{
    GeneratedValue, Secret, SecretProps, SecretValue,
};
use stackforge_constructs::{App, Environment, Error, Stack, StackProps};

use crate::settings::Settings;
use crate::variant::Layout;

/// The database user the service connects as, with IAM authentication; created by the
/// setup task `deploy` runs after this stack.
pub const DB_USER: &str = "migration_api";

/// What later stacks use from `data`.
#[derive(Debug, Clone)]
pub struct Data {
    /// The database.
    pub db: RdsEncrypted,
    /// The API keys the service checks (generated; rotated outside the template).
    pub api_keys: Secret,
}

/// Builds the `data` stack.
pub fn build(
    app: &App,
    env: &Environment,
    s: &Settings,
    vpc: &Vpc,
) -> Result<(Stack, Data), Error> {
    build_with(app, env, s, vpc, &Layout::default())
}

/// Builds the `data` stack with the placement of `layout` (the backup plan may live here).
pub fn build_with(
    app: &App,
    env: &Environment,
    s: &Settings,
    vpc: &Vpc,
    layout: &Layout,
) -> Result<(Stack, Data), Error> {
    let d = &s.database;
    let mut stack = Stack::new(
        app,
        env,
        "data",
        StackProps {
            description: Some(format!(
                "migration-api ({}) data: encrypted PostgreSQL with TLS, IAM auth and managed credentials; API-key secret",
                s.env
            )),
            ..Default::default()
        },
    )?;
    let mut root = stack.root();
    let db = RdsEncrypted::new(
        &mut root,
        "Database",
        vpc,
        RdsEncryptedProps {
            engine: Engine::Postgres {
                version: d.engine_version.to_owned(),
            },
            instance_class: d.instance_class.to_owned(),
            allocated_storage_gib: d.allocated_storage_gib,
            max_allocated_storage_gib: d.max_allocated_storage_gib,
            multi_az: d.multi_az,
            database_name: Some("migration".to_owned()),
            backup_retention_days: d.backup_retention_days,
            // The guide's `db-password`: the master credentials, for operators and the user
            // setup task only.
            master_secret: MasterSecret::Named(d.master_secret_name.to_owned()),
            ..Default::default()
        },
    )?;
    DatabaseUserSetup::new(
        &mut root,
        "UserSetup",
        vpc,
        &db,
        DatabaseUserSetupProps {
            users: vec![DB_USER.to_owned()],
            ..Default::default()
        },
    )?;
    let api_keys = Secret::new(
        &mut root,
        "ApiKeys",
        SecretProps {
            description: Some("API keys clients of the migration-api present".to_owned()),
            // The guide's `api-keys`.
            name: Some(d.api_keys_secret_name.to_owned()),
            value: SecretValue::Generated(GeneratedValue {
                secret_string_template: Some(r#"{"client":"migration-api"}"#.to_owned()),
                generate_string_key: Some("apiKey".to_owned()),
                ..Default::default()
            }),
            ..Default::default()
        },
    )?;
    if layout.backup_in_data {
        crate::audit::add_backup(&mut root, s, db.arn(), layout)?;
    }
    Ok((stack, Data { db, api_keys }))
}
