//! `DatabaseUserSetup`: a one-off ECS task that creates the database users services connect
//! as with IAM authentication, run by `deploy` right after the stack holding it.
//!
//! AWS documentation, "Creating a database account using IAM authentication": for
//! PostgreSQL, create the user and grant it the `rds_iam` role (`CREATE USER ...; GRANT
//! rds_iam TO ...`); IAM authentication then replaces its password. Only the master user can
//! do that, so the master credentials go to this task (in the database's own stack, next to
//! the secret) and never to the services.
//!
//! Why a task and not a custom resource: the database sits in isolated subnets, so the
//! statements must run inside the VPC, and a Lambda-backed custom resource would need a
//! PostgreSQL driver packaged and deployed with it. The task runs the official PostgreSQL
//! image's `psql`, pinned by digest, with the statements as its command; they are idempotent,
//! so every deploy runs them again.

use indexmap::IndexMap;
use serde_json::json;

use crate::aws::ec2::{EgressRule, SecurityGroup, SecurityGroupProps, Vpc};
use crate::aws::ecs::{
    Cluster, ClusterProps, ContainerDefinitionProps, ContainerImage, ContainerInsights,
    ContainerLogging, FargateTaskDefinition, FargateTaskDefinitionProps, SecretRef, TaskRoles,
};
use crate::aws::logs::{LogGroup, LogGroupProps};
use crate::error::Result;
use crate::expr::Expr;
use crate::scope::Scope;

use super::RdsEncrypted;

// `deploy` reads this key; it lives in the model, which the CLI depends on.
pub use crate::deploy_metadata::SETUP_METADATA_KEY;

/// The PostgreSQL client image: the official `postgres:17-alpine` (multi-architecture
/// index) on Amazon ECR Public, pinned by digest.
pub const POSTGRES_CLIENT_IMAGE: &str = "public.ecr.aws/docker/library/postgres@sha256:742f40ea20b9ff2ff31db5458d127452988a2164df9e17441e191f3b72252193";

/// Props of [`DatabaseUserSetup`].
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseUserSetupProps {
    /// The users to create, each granted `rds_iam`, `CONNECT` on the database and use of
    /// its `public` schema. Default: none (an error: name at least one).
    pub users: Vec<String>,
    /// The image with `psql`, pinned by digest. Default: [`POSTGRES_CLIENT_IMAGE`].
    pub client_image: String,
    /// Days the task's logs are kept. Default: 30.
    pub log_retention_days: u32,
}

impl Default for DatabaseUserSetupProps {
    fn default() -> Self {
        Self {
            users: Vec::new(),
            client_image: POSTGRES_CLIENT_IMAGE.to_owned(),
            log_retention_days: 30,
        }
    }
}

/// The one-off task creating IAM-authenticated database users. See the module
/// documentation.
#[derive(Debug, Clone)]
pub struct DatabaseUserSetup {
    task_definition: FargateTaskDefinition,
}

impl DatabaseUserSetup {
    /// Adds under `scope/id`: a log group, a cluster, the task definition and its roles (the
    /// execution role may read the master secret), a security group that may reach only
    /// the database and HTTPS, and the database's ingress rule for it. The task definition's
    /// metadata tells `deploy` how to run it ([`SETUP_METADATA_KEY`]).
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        vpc: &Vpc,
        db: &RdsEncrypted,
        props: DatabaseUserSetupProps,
    ) -> Result<DatabaseUserSetup> {
        let mut scope = scope.construct(id, "DatabaseUserSetup")?;
        if db.engine() != "postgres" {
            return Err(scope.invalid(
                "db",
                format!("creating IAM users is implemented for PostgreSQL, not {}", db.engine()),
                "create the users of a MySQL database by hand (`CREATE USER ... IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'`)",
            ));
        }
        if props.users.is_empty() {
            return Err(scope.invalid(
                "users",
                "no user to create".to_owned(),
                "name the users services connect as (`db.grant_connect(.., \"app\")`)",
            ));
        }
        for u in &props.users {
            let ok = u.len() <= 63
                && u.starts_with(|c: char| c.is_ascii_lowercase())
                && u.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                return Err(scope.invalid(
                    "users",
                    format!("`{u}` is not a lower-case PostgreSQL user name"),
                    "use 1 to 63 lower-case letters, digits and `_`, starting with a letter",
                ));
            }
        }
        let database = db.database_name().unwrap_or("postgres").to_owned();
        let security_group = SecurityGroup::new(
            &mut scope,
            "SecurityGroup",
            &vpc.vpc_id(),
            SecurityGroupProps {
                description: crate::names::ec2_description(&format!(
                    "Database user setup of {}",
                    db.path()
                )),
                egress: vec![EgressRule {
                    cidr: "0.0.0.0/0".into(),
                    port: 443,
                    description: "HTTPS to AWS APIs and the image registry".into(),
                }],
            },
        )?;
        security_group.allow_to(
            &mut scope,
            "ToDatabase",
            db,
            db.port(),
            "user setup to the database",
        )?;
        db.allow_from(&mut scope, "DatabaseFromSetup", &security_group)?;
        let logs = LogGroup::new(
            &mut scope,
            "Logs",
            LogGroupProps {
                retention_days: props.log_retention_days,
                ..Default::default()
            },
        )?;
        let cluster = Cluster::new(
            &mut scope,
            "Cluster",
            ClusterProps {
                container_insights: ContainerInsights::Enabled,
            },
        )?;
        let mut environment = IndexMap::new();
        environment.insert("PGHOST".to_owned(), db.endpoint_address());
        environment.insert("PGPORT".to_owned(), Expr::str(db.port().to_string()));
        environment.insert("PGDATABASE".to_owned(), Expr::str(&database));
        // TLS is forced by the parameter group; psql has no RDS CA bundle to verify with.
        environment.insert("PGSSLMODE".to_owned(), Expr::str("require"));
        environment.insert("PGCONNECT_TIMEOUT".to_owned(), Expr::str("30"));
        let mut secrets = IndexMap::new();
        secrets.insert(
            "PGUSER".to_owned(),
            SecretRef::json_key(db.secret(), "username").with_kms_key(db.key()),
        );
        secrets.insert(
            "PGPASSWORD".to_owned(),
            SecretRef::json_key(db.secret(), "password").with_kms_key(db.key()),
        );
        let task_props = FargateTaskDefinitionProps {
            cpu: 256,
            memory_mib: 512,
            ..Default::default()
        }
        .add_container(ContainerDefinitionProps {
            // The image's `postgres` user.
            user: "70:70".to_owned(),
            command: vec![
                "psql".to_owned(),
                "-v".to_owned(),
                "ON_ERROR_STOP=1".to_owned(),
                "-c".to_owned(),
                statements(&props.users, &database),
            ],
            environment,
            secrets,
            ..ContainerDefinitionProps::new(
                "psql",
                ContainerImage::pinned(&props.client_image),
                ContainerLogging::new(&logs, "setup"),
            )
        });
        let mut task_scope = scope.child("TaskDefinition")?;
        let roles = TaskRoles::new(&mut task_scope, &task_props)?;
        let mut metadata = IndexMap::new();
        let subnets: Vec<serde_json::Value> = vpc
            .private_subnet_ids()
            .into_iter()
            .map(|s| locate(&Expr::from(s)))
            .collect();
        metadata.insert(
            SETUP_METADATA_KEY.to_owned(),
            json!({
                "cluster": locate(&Expr::from(cluster.name())),
                "securityGroup": locate(&Expr::from(security_group.id())),
                "subnets": subnets,
            }),
        );
        let task_definition = FargateTaskDefinition::with_roles_and_metadata(
            &mut task_scope,
            "Resource",
            task_props,
            &roles,
            metadata,
        )?;
        Ok(DatabaseUserSetup { task_definition })
    }

    /// The task definition.
    pub fn task_definition(&self) -> &FargateTaskDefinition {
        &self.task_definition
    }
}

/// Where `deploy` finds the physical ID of `value`: a resource of a stack, or a literal.
fn locate(value: &Expr) -> serde_json::Value {
    match value {
        Expr::Ref(r) | Expr::GetAtt { target: r, .. } => json!({
            "stack": r.owner().map(|o| o.name().to_owned()),
            "logicalId": r.logical_id(),
        }),
        Expr::String(id) => json!({ "id": id }),
        other => json!({ "id": serde_json::to_value(other).unwrap_or_default() }),
    }
}

/// The idempotent statements creating `users` with IAM login on `database`.
pub fn statements(users: &[String], database: &str) -> String {
    let mut sql = String::new();
    for u in users {
        sql.push_str(&format!(
            "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{u}') THEN CREATE ROLE {u} LOGIN; END IF; END$$; \
             GRANT rds_iam TO {u}; GRANT CONNECT ON DATABASE {database} TO {u}; GRANT USAGE, CREATE ON SCHEMA public TO {u}; "
        ));
    }
    sql.trim_end().to_owned()
}
