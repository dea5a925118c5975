//! `RdsEncrypted`: a PostgreSQL or MySQL instance that is encrypted at rest and in transit,
//! uses IAM authentication, keeps its master password in Secrets Manager, is reachable only
//! from named security groups, and keeps encrypted backups.

use crate::aws::cloudwatch::{Metric, Statistic};
use crate::aws::ec2::{Connectable, SecurityGroup, SecurityGroupProps, Subnet, Vpc};
use crate::aws::iam::{attach_policy, PolicyDocument, ServiceRole, ServiceRoleProps, Statement};
use crate::aws::kms::KmsKey;
use crate::aws::refs::{
    DbInstanceArn, DbInstanceId, KmsKeyArn, RoleName, SecretArn, SecurityGroupId,
};
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::resource::{RemovalPolicy, ResourceHandle, ResourceOptions};
use crate::resources::rds::{db_instance, DbInstance, DbParameterGroup, DbSubnetGroup};
use crate::scope::Scope;
use crate::value::Str;

use super::instance_support::{supports, Feature};
use super::master_secret::{MasterSecret, NamedSecret};

/// The smallest gp3 volume RDS accepts for PostgreSQL and MySQL, in GiB.
pub const MIN_STORAGE_GIB: u32 = 20;
/// The largest volume RDS accepts, in GiB.
pub const MAX_STORAGE_GIB: u32 = 65_536;

/// Account names a master user may not take: reserved by RDS or the engine, or the first
/// names an attacker tries.
pub const RESERVED_USER_NAMES: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "master",
    "sa",
    "postgres",
    "mysql",
    "rdsadmin",
    "rdsrepladmin",
    "rds_superuser",
];

/// The database engine and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// PostgreSQL; `version` is `MAJOR.MINOR` (`16.9`), major 12 or later.
    Postgres {
        /// The engine version.
        version: String,
    },
    /// MySQL; `version` is `MAJOR.MINOR.PATCH` (`8.0.43`), major 8 or later.
    Mysql {
        /// The engine version.
        version: String,
    },
}

impl Default for Engine {
    /// PostgreSQL 17.6.
    fn default() -> Self {
        Engine::Postgres {
            version: "17.6".to_owned(),
        }
    }
}

/// What the engine and version imply.
struct EngineSpec {
    name: &'static str,
    version: String,
    family: String,
    port: u16,
    max_user_len: usize,
    max_db_user_len: usize,
    /// Parameters of the instance's own group: TLS forced, plus what the exported logs need.
    parameters: Vec<(&'static str, &'static str)>,
    log_exports: &'static [&'static str],
}

impl Engine {
    fn spec(&self) -> std::result::Result<EngineSpec, String> {
        let numbers = |v: &str, parts: usize| -> Option<Vec<u32>> {
            let n: Vec<u32> = v
                .split('.')
                .map(|p| {
                    (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                        .then(|| p.parse().ok())
                        .flatten()
                })
                .collect::<Option<_>>()?;
            (n.len() == parts).then_some(n)
        };
        match self {
            Engine::Postgres { version } => {
                let n = numbers(version, 2).ok_or_else(|| {
                    format!("`{version}` is not a PostgreSQL version of the form `MAJOR.MINOR` (`16.9`)")
                })?;
                if n[0] < 12 {
                    return Err(format!(
                        "PostgreSQL {} is past its end of support on RDS",
                        n[0]
                    ));
                }
                Ok(EngineSpec {
                    name: "postgres",
                    version: version.clone(),
                    family: format!("postgres{}", n[0]),
                    port: 5432,
                    max_user_len: 63,
                    max_db_user_len: 63,
                    parameters: vec![("rds.force_ssl", "1")],
                    log_exports: &["postgresql", "upgrade"],
                })
            }
            Engine::Mysql { version } => {
                let n = numbers(version, 3).ok_or_else(|| {
                    format!("`{version}` is not a MySQL version of the form `MAJOR.MINOR.PATCH` (`8.0.43`)")
                })?;
                if n[0] < 8 {
                    return Err(format!(
                        "MySQL {}.{} is past its end of support on RDS",
                        n[0], n[1]
                    ));
                }
                Ok(EngineSpec {
                    name: "mysql",
                    version: version.clone(),
                    family: format!("mysql{}.{}", n[0], n[1]),
                    port: 3306,
                    max_user_len: 16,
                    max_db_user_len: 32,
                    parameters: vec![
                        ("require_secure_transport", "ON"),
                        // The slow query log is exported, so it has to be written to a file.
                        ("slow_query_log", "1"),
                        ("log_output", "FILE"),
                    ],
                    log_exports: &["error", "slowquery"],
                })
            }
        }
    }
}

/// Props of [`RdsEncrypted`]. Encryption at rest and in transit, IAM authentication,
/// deletion protection and the Secrets Manager master password are always on.
#[derive(Debug, Clone, PartialEq)]
pub struct RdsEncryptedProps {
    /// Engine and version. Default: PostgreSQL 17.6.
    pub engine: Engine,
    /// `DBInstanceClass`. Performance Insights is on wherever RDS supports it for the engine
    /// and class, and left out where it does not (MySQL on micro and small classes, see
    /// [`instance_support`](super::instance_support)); a class without encryption at rest is
    /// an error. Default: `db.t4g.medium`.
    pub instance_class: String,
    /// Initial gp3 storage in GiB, at least [`MIN_STORAGE_GIB`]. Default: 20.
    pub allocated_storage_gib: u32,
    /// Storage autoscaling limit in GiB, at least 10% above `allocated_storage_gib` (RDS's
    /// rule). Default: 100.
    pub max_allocated_storage_gib: u32,
    /// A standby in a second AZ. Default: true (pass false for development only).
    pub multi_az: bool,
    /// The master user's name: letters, digits and `_`, starting with a letter, not one of
    /// [`RESERVED_USER_NAMES`]. Its password is generated and held by Secrets Manager.
    /// Default: `app_admin`.
    pub master_username: String,
    /// A database created with the instance. Default: none.
    pub database_name: Option<String>,
    /// The key encrypting storage, backups, Performance Insights and the master secret.
    /// Default: a dedicated key with rotation on is created.
    pub encryption_key: Option<KmsKeyArn>,
    /// Days of automated backups, 7 to 35. Default: 7.
    pub backup_retention_days: u32,
    /// Daily backup window, UTC `hh:mm-hh:mm`, at least 30 minutes. Default: chosen by RDS.
    pub preferred_backup_window: Option<String>,
    /// Weekly maintenance window, UTC `ddd:hh:mm-ddd:hh:mm`, at least 30 minutes, not
    /// overlapping the backup window. Default: chosen by RDS.
    pub preferred_maintenance_window: Option<String>,
    /// Where the master password lives. Default: [`MasterSecret::Managed`] (RDS manages and
    /// rotates it).
    pub master_secret: MasterSecret,
}

impl Default for RdsEncryptedProps {
    fn default() -> Self {
        Self {
            engine: Engine::default(),
            instance_class: "db.t4g.medium".to_owned(),
            allocated_storage_gib: 20,
            max_allocated_storage_gib: 100,
            multi_az: true,
            master_username: "app_admin".to_owned(),
            database_name: None,
            encryption_key: None,
            backup_retention_days: 7,
            preferred_backup_window: None,
            preferred_maintenance_window: None,
            master_secret: MasterSecret::Managed,
        }
    }
}

/// An encrypted RDS instance in the VPC's isolated (else private) subnets.
#[derive(Debug, Clone)]
pub struct RdsEncrypted {
    handle: ResourceHandle<DbInstance>,
    path: String,
    key: KmsKeyArn,
    security_group: SecurityGroup,
    port: u16,
    max_db_user_len: usize,
    secret: SecretArn,
    database_name: Option<String>,
    engine: &'static str,
}

impl Connectable for RdsEncrypted {
    fn security_group_id(&self) -> SecurityGroupId {
        self.security_group.id()
    }
}

impl RdsEncrypted {
    /// Adds the instance under `scope/id` with its key, subnet group, TLS-only parameter
    /// group, security group (no ingress until [`RdsEncrypted::allow_from`]) and monitoring
    /// role.
    ///
    /// ```
    /// use stackforge_constructs::aws::ec2::{Vpc, VpcProps};
    /// use stackforge_constructs::aws::rds::{RdsEncrypted, RdsEncryptedProps};
    /// use stackforge_constructs::testing::synth_stack;
    ///
    /// let assembly = synth_stack(|scope| {
    ///     let vpc = Vpc::new(scope, "Vpc", VpcProps::default())?;
    ///     let db = RdsEncrypted::new(scope, "Db", &vpc, RdsEncryptedProps::default())?;
    ///     assert_eq!(db.port(), 5432);
    ///     Ok(())
    /// })
    /// .unwrap();
    /// let template = assembly.environments[0].stacks[0].json();
    /// let db = &template["Resources"]["Db5D02A0A9"]["Properties"];
    /// assert!(db["StorageEncrypted"] == true && db["EnableIAMDatabaseAuthentication"] == true);
    /// ```
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        vpc: &Vpc,
        props: RdsEncryptedProps,
    ) -> Result<RdsEncrypted> {
        let mut scope = scope.construct(id, "RdsEncrypted")?;
        let spec = props.engine.spec().map_err(|p| {
            scope.invalid(
                "engine",
                p,
                "use a current version, e.g. `Engine::Postgres { version: \"16.9\".into() }` or `Engine::Mysql { version: \"8.0.43\".into() }`",
            )
        })?;
        check_props(&scope, &props, &spec)?;
        let subnets: &[Subnet] = if !vpc.isolated_subnets().is_empty() {
            vpc.isolated_subnets()
        } else {
            vpc.private_subnets()
        };
        if subnets.is_empty() {
            return Err(scope.invalid(
                "vpc",
                "the VPC has no isolated and no private subnets, and a database must not be public",
                "give the VPC `isolated_subnets` (or `private_subnets`)",
            ));
        }
        if subnets.len() < 2 {
            return Err(scope.invalid(
                "vpc",
                "RDS needs subnets in at least two availability zones, and the VPC has one",
                "span at least 2 AZs (`max_azs`)",
            ));
        }
        let path = scope.path().to_owned();

        let key = KmsKey::given_or_new(
            &mut scope,
            props.encryption_key,
            format!(
                "Encrypts the storage, backups, Performance Insights and master secret of {path}"
            ),
            &[],
        )?;
        let subnet_group = scope.add(
            "SubnetGroup",
            DbSubnetGroup::new(
                format!("Subnets of {path}"),
                subnets.iter().map(|s| Str::from(&s.id)).collect::<Vec<_>>(),
            ),
        )?;
        let parameter_group = scope.add(
            "ParameterGroup",
            DbParameterGroup {
                parameters: Some(Expr::map(spec.parameters.iter().copied())),
                ..DbParameterGroup::new(
                    format!("TLS-only parameters of {path}"),
                    spec.family.as_str(),
                )
            },
        )?;
        let security_group = SecurityGroup::new(
            &mut scope,
            "SecurityGroup",
            &vpc.vpc_id(),
            SecurityGroupProps {
                description: crate::names::ec2_description(&format!("Database {path}")),
                ..Default::default()
            },
        )?;
        let monitoring = ServiceRole::new(
            &mut scope,
            "MonitoringRole",
            ServiceRoleProps {
                service: "monitoring.rds.amazonaws.com".to_owned(),
                description: Some(crate::names::ascii_description(
                    &format!("Enhanced monitoring of {path}"),
                    crate::names::IAM_DESCRIPTION_CHARS,
                )),
                managed_policy_arns: vec![Expr::concat([
                    Expr::str("arn:"),
                    Expr::partition(),
                    Expr::str(":iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"),
                ])],
                ..Default::default()
            },
        )?;
        let named = match &props.master_secret {
            MasterSecret::Managed => None,
            MasterSecret::Named(name) => Some(NamedSecret::new(
                &mut scope,
                name,
                &props.master_username,
                &key,
            )?),
        };
        let key_str = || Some(Str::from(&key));
        let insights = supports(
            spec.name,
            &props.instance_class,
            Feature::PerformanceInsights,
        );
        let handle = scope.add_with(
            "Resource",
            DbInstance {
                engine: Some(spec.name.into()),
                engine_version: Some(spec.version.as_str().into()),
                db_instance_class: Some(props.instance_class.as_str().into()),
                allocated_storage: Some(props.allocated_storage_gib.to_string().into()),
                max_allocated_storage: Some(props.max_allocated_storage_gib.into()),
                storage_type: Some("gp3".into()),
                storage_encrypted: Some(true.into()),
                kms_key_id: key_str(),
                multi_az: Some(props.multi_az.into()),
                db_subnet_group_name: Some(subnet_group.ref_().into()),
                vpc_security_groups: Some(vec![Str::from(security_group.id())]),
                publicly_accessible: Some(false.into()),
                port: Some(spec.port.to_string().into()),
                db_name: props.database_name.clone().map(Str::from),
                db_parameter_group_name: Some(parameter_group.ref_().into()),
                enable_iam_database_authentication: Some(true.into()),
                manage_master_user_password: named.is_none().then(|| true.into()),
                master_user_secret: named.is_none().then(|| db_instance::MasterUserSecret {
                    kms_key_id: key_str(),
                }),
                master_user_password: named.as_ref().map(|n| Str(n.password.clone())),
                master_username: Some(props.master_username.as_str().into()),
                backup_retention_period: Some(props.backup_retention_days.into()),
                copy_tags_to_snapshot: Some(true.into()),
                deletion_protection: Some(true.into()),
                // Automated backups outlive the instance, for restores after a deletion.
                delete_automated_backups: Some(false.into()),
                enable_cloudwatch_logs_exports: Some(
                    spec.log_exports.iter().map(|l| Str::from(*l)).collect(),
                ),
                // Omitted where RDS refuses it (MySQL micro and small classes), not false:
                // there is nothing to turn off.
                enable_performance_insights: insights.then(|| true.into()),
                performance_insights_kms_key_id: insights.then(key_str).flatten(),
                performance_insights_retention_period: insights.then(|| 7.into()),
                monitoring_interval: Some(60.into()),
                monitoring_role_arn: Some(monitoring.arn().into()),
                auto_minor_version_upgrade: Some(true.into()),
                preferred_backup_window: props.preferred_backup_window.map(Str::from),
                preferred_maintenance_window: props.preferred_maintenance_window.map(Str::from),
                ..Default::default()
            },
            ResourceOptions::removal(RemovalPolicy::Snapshot),
        )?;
        let secret = match &named {
            Some(n) => {
                n.attach(&mut scope, handle.ref_())?;
                n.arn()
            }
            None => SecretArn::from_expr(handle.master_user_secret_secret_arn()),
        };
        Ok(RdsEncrypted {
            secret,
            database_name: props.database_name.clone(),
            engine: spec.name,
            handle,
            path: path.to_string(),
            key,
            security_group,
            port: spec.port,
            max_db_user_len: spec.max_db_user_len,
        })
    }

    /// Opens exactly the database port to exactly `peer`'s security group, as an ingress
    /// rule at `scope/id` (the caller's stack, so the database never has to know about
    /// the stacks deployed after it).
    pub fn allow_from(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        peer: &impl Connectable,
    ) -> Result<()> {
        let description = crate::names::ec2_description(&format!("{id} to {}", self.path));
        self.security_group
            .allow_from(scope, id, peer, self.port, &description)
    }

    /// Lets `role` connect as database user `db_user` with IAM authentication:
    /// `rds-db:connect` on exactly that user of this instance (an IAM policy at `scope/id`).
    /// The user must exist in the database with IAM login enabled (`GRANT rds_iam TO ...` on
    /// PostgreSQL, `IDENTIFIED WITH AWSAuthenticationPlugin` on MySQL).
    pub fn grant_connect(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        role: &RoleName,
        db_user: &str,
    ) -> Result<()> {
        if !is_identifier(db_user, self.max_db_user_len) {
            return Err(Error::invalid_props(
                &self.path,
                "db_user",
                format!("`{db_user}` is not a database user name"),
                format!(
                    "use 1 to {} letters, digits and `_`, starting with a letter",
                    self.max_db_user_len
                ),
            ));
        }
        let user = Expr::arn(
            "rds-db",
            true,
            Expr::concat([
                Expr::str("dbuser:"),
                self.handle.dbi_resource_id(),
                Expr::str(format!("/{db_user}")),
            ]),
        );
        attach_policy(
            scope,
            id,
            role,
            PolicyDocument::new(vec![Statement::allow(["rds-db:connect"], [user])]),
        )?;
        Ok(())
    }

    /// The endpoint's DNS name (`Endpoint.Address`).
    pub fn endpoint_address(&self) -> Expr {
        self.handle.endpoint_address()
    }

    /// The endpoint's port, as a string (`Endpoint.Port`).
    pub fn endpoint_port(&self) -> Expr {
        self.handle.endpoint_port()
    }

    /// The database port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The master user's secret (`username`, `password`): the named secret of
    /// [`MasterSecret::Named`], else the one RDS manages (`MasterUserSecret.SecretArn`).
    /// Give it to deploy-time steps, never to running services.
    pub fn secret(&self) -> SecretArn {
        self.secret.clone()
    }

    /// The database created with the instance, if any.
    pub fn database_name(&self) -> Option<&str> {
        self.database_name.as_deref()
    }

    /// The engine (`postgres`, `mysql`).
    pub fn engine(&self) -> &'static str {
        self.engine
    }

    /// The construct path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The key encrypting the instance and its secret.
    pub fn key(&self) -> KmsKeyArn {
        self.key.clone()
    }

    /// The DB instance identifier.
    pub fn instance_id(&self) -> DbInstanceId {
        DbInstanceId::from_expr(self.handle.ref_())
    }

    /// The DB instance ARN.
    pub fn arn(&self) -> DbInstanceArn {
        DbInstanceArn::from_expr(self.handle.db_instance_arn())
    }

    /// The database's security group.
    pub fn security_group(&self) -> &SecurityGroup {
        &self.security_group
    }

    /// The underlying resource.
    pub fn handle(&self) -> &ResourceHandle<DbInstance> {
        &self.handle
    }

    fn metric(&self, name: &str) -> Metric {
        Metric::new("AWS/RDS", name).dimension("DBInstanceIdentifier", self.instance_id())
    }

    /// `CPUUtilization` (Average, percent).
    pub fn metric_cpu(&self) -> Metric {
        self.metric("CPUUtilization").unit("Percent")
    }

    /// `FreeStorageSpace` (Minimum, bytes).
    pub fn metric_free_storage(&self) -> Metric {
        self.metric("FreeStorageSpace")
            .statistic(Statistic::Minimum)
            .unit("Bytes")
    }

    /// `DatabaseConnections` (Maximum, count).
    pub fn metric_connections(&self) -> Metric {
        self.metric("DatabaseConnections")
            .statistic(Statistic::Maximum)
            .unit("Count")
    }
}

/// Letters, digits and `_`, starting with a letter, at most `max` characters.
fn is_identifier(s: &str, max: usize) -> bool {
    s.len() <= max
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn check_props(scope: &Scope<'_>, props: &RdsEncryptedProps, spec: &EngineSpec) -> Result<()> {
    let class_ok = props
        .instance_class
        .strip_prefix("db.")
        .map(|rest| {
            let parts: Vec<&str> = rest.split('.').collect();
            parts.len() == 2
                && parts.iter().all(|p| {
                    !p.is_empty()
                        && p.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                })
        })
        .unwrap_or(false);
    if !class_ok {
        return Err(scope.invalid(
            "instance_class",
            format!("`{}` is not an instance class", props.instance_class),
            "write it as `db.<family>.<size>`, e.g. `db.t4g.medium`",
        ));
    }
    if !supports(spec.name, &props.instance_class, Feature::StorageEncryption) {
        return Err(scope.invalid(
            "instance_class",
            format!(
                "`{}` does not support encryption at rest, which RdsEncrypted always turns on",
                props.instance_class
            ),
            "use a current instance class, e.g. `db.t4g.medium` or `db.m7g.large`",
        ));
    }
    if !(MIN_STORAGE_GIB..=MAX_STORAGE_GIB).contains(&props.allocated_storage_gib) {
        return Err(scope.invalid(
            "allocated_storage_gib",
            format!(
                "{} GiB is outside the {MIN_STORAGE_GIB}..={MAX_STORAGE_GIB} GiB RDS accepts for gp3 storage",
                props.allocated_storage_gib
            ),
            format!("allocate at least {MIN_STORAGE_GIB} GiB"),
        ));
    }
    // RDS requires the autoscaling limit to be at least 10% above the allocated storage.
    let min_max = (u64::from(props.allocated_storage_gib) * 11).div_ceil(10);
    if u64::from(props.max_allocated_storage_gib) < min_max
        || props.max_allocated_storage_gib > MAX_STORAGE_GIB
    {
        return Err(scope.invalid(
            "max_allocated_storage_gib",
            format!(
                "{} GiB is below {min_max} GiB (10% above the {} GiB allocated) or above {MAX_STORAGE_GIB} GiB",
                props.max_allocated_storage_gib, props.allocated_storage_gib
            ),
            format!("use {min_max} to {MAX_STORAGE_GIB} GiB"),
        ));
    }
    if !(7..=35).contains(&props.backup_retention_days) {
        return Err(scope.invalid(
            "backup_retention_days",
            format!(
                "{} days is outside 7..=35 (at least a week of restores; RDS keeps at most 35)",
                props.backup_retention_days
            ),
            "keep backups 7 to 35 days; use AWS Backup for longer retention",
        ));
    }
    let user = &props.master_username;
    if !is_identifier(user, spec.max_user_len) {
        return Err(scope.invalid(
            "master_username",
            format!("`{user}` is not a {} master user name", spec.name),
            format!(
                "use 1 to {} letters, digits and `_`, starting with a letter",
                spec.max_user_len
            ),
        ));
    }
    if RESERVED_USER_NAMES.contains(&user.to_ascii_lowercase().as_str()) {
        return Err(scope.invalid(
            "master_username",
            format!("`{user}` is reserved or a name attackers try first"),
            "choose another name, such as `app_admin`",
        ));
    }
    if let Some(db) = &props.database_name {
        let max = if spec.name == "postgres" { 63 } else { 64 };
        if !is_identifier(db, max) {
            return Err(scope.invalid(
                "database_name",
                format!("`{db}` is not a database name"),
                format!("use 1 to {max} letters, digits and `_`, starting with a letter"),
            ));
        }
    }
    let backup = match &props.preferred_backup_window {
        None => None,
        Some(w) => Some(parse_daily_window(w).ok_or_else(|| {
            scope.invalid(
                "preferred_backup_window",
                format!("`{w}` is not a daily window of at least 30 minutes"),
                "write it as UTC `hh:mm-hh:mm`, e.g. `03:00-04:00`",
            )
        })?),
    };
    if let Some(w) = &props.preferred_maintenance_window {
        let maintenance = parse_weekly_window(w).ok_or_else(|| {
            scope.invalid(
                "preferred_maintenance_window",
                format!("`{w}` is not a weekly window of at least 30 minutes"),
                "write it as UTC `ddd:hh:mm-ddd:hh:mm`, e.g. `sun:04:30-sun:05:30`",
            )
        })?;
        if let Some(backup) = backup {
            if windows_overlap(backup, maintenance) {
                return Err(scope.invalid(
                    "preferred_maintenance_window",
                    format!("`{w}` overlaps the backup window"),
                    "move one of the two windows",
                ));
            }
        }
    }
    Ok(())
}

const DAY: u32 = 24 * 60;
const WEEK: u32 = 7 * DAY;

fn parse_time(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// A daily window as (start minute, length in minutes), at least 30 minutes long.
fn parse_daily_window(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('-')?;
    let (a, b) = (parse_time(a)?, parse_time(b)?);
    let len = (b + DAY - a) % DAY;
    (len >= 30).then_some((a, len))
}

/// A weekly window as (start minute of the week, length in minutes), at least 30 minutes.
fn parse_weekly_window(s: &str) -> Option<(u32, u32)> {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let at = |part: &str| -> Option<u32> {
        let (day, time) = part.split_once(':')?;
        let d = DAYS.iter().position(|x| *x == day.to_ascii_lowercase())?;
        Some(d as u32 * DAY + parse_time(time)?)
    };
    let (a, b) = s.split_once('-')?;
    let (a, b) = (at(a)?, at(b)?);
    let len = (b + WEEK - a) % WEEK;
    (len >= 30).then_some((a, len))
}

/// Whether the daily backup window meets the weekly maintenance window on any day.
fn windows_overlap(daily: (u32, u32), weekly: (u32, u32)) -> bool {
    let in_weekly = |minute: u32| (minute + WEEK - weekly.0) % WEEK < weekly.1;
    (0..7).any(|d| (0..daily.1).any(|m| in_weekly((d * DAY + daily.0 + m) % WEEK)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_versions_give_families() {
        let pg = Engine::Postgres {
            version: "16.9".into(),
        };
        assert_eq!(pg.spec().unwrap().family, "postgres16");
        let my = Engine::Mysql {
            version: "8.0.43".into(),
        };
        assert_eq!(my.spec().unwrap().family, "mysql8.0");
        for bad in ["16", "16.x", "16.4.1", "", "v16.4"] {
            assert!(Engine::Postgres {
                version: bad.into()
            }
            .spec()
            .is_err());
        }
        for bad in ["8.0", "8.0.x", "5.7.44"] {
            assert!(Engine::Mysql {
                version: bad.into()
            }
            .spec()
            .is_err());
        }
    }

    #[test]
    fn windows_parse_and_overlap() {
        assert_eq!(parse_daily_window("03:00-04:00"), Some((180, 60)));
        assert_eq!(parse_daily_window("23:45-00:15"), Some((1425, 30)));
        assert_eq!(parse_daily_window("03:00-03:20"), None);
        assert_eq!(parse_daily_window("3:00-04:00"), None);
        assert_eq!(
            parse_weekly_window("sun:23:30-mon:00:30"),
            Some((6 * DAY + 1410, 60))
        );
        assert_eq!(parse_weekly_window("xyz:01:00-mon:02:00"), None);
        let backup = parse_daily_window("03:00-04:00").unwrap();
        assert!(windows_overlap(
            backup,
            parse_weekly_window("wed:03:30-wed:05:00").unwrap()
        ));
        assert!(!windows_overlap(
            backup,
            parse_weekly_window("wed:04:00-wed:05:00").unwrap()
        ));
    }
}
