//! Per-environment settings of the migration-api, as typed values. Stack parameters that an
//! operator sets per deployment (certificate ARN, alert e-mail) live in the
//! parameter files instead (`params/<env>/<stack>.json` in the repository root).

/// Everything that differs between environments.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Environment name (`dev`, `prod`).
    pub env: &'static str,
    /// The `network` stack.
    pub network: NetworkSettings,
    /// The `data` stack.
    pub database: DatabaseSettings,
    /// The `service` stack.
    pub service: ServiceSettings,
    /// The `monitoring` stack.
    pub monitoring: MonitoringSettings,
    /// The `audit` stack.
    pub audit: AuditSettings,
}

/// The VPC.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSettings {
    /// The VPC CIDR.
    pub cidr: &'static str,
    /// NAT gateways (1 in dev to save cost, one per AZ in prod for AZ independence).
    pub nat_gateways: usize,
}

/// The PostgreSQL database.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseSettings {
    /// PostgreSQL `MAJOR.MINOR`.
    pub engine_version: &'static str,
    /// RDS instance class.
    pub instance_class: &'static str,
    /// Allocated storage in GiB.
    pub allocated_storage_gib: u32,
    /// Storage autoscaling ceiling in GiB.
    pub max_allocated_storage_gib: u32,
    /// A standby in a second AZ.
    pub multi_az: bool,
    /// Automated backup retention in days (7..=35).
    pub backup_retention_days: u32,
    /// Connections above which the connections alarm fires.
    pub max_connections_alarm: u32,
    /// The master credentials' secret: the guide's `db-password` (suffixed outside prod).
    pub master_secret_name: &'static str,
    /// The API keys' secret: the guide's `api-keys` (suffixed outside prod).
    pub api_keys_secret_name: &'static str,
}

/// The Fargate service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceSettings {
    /// Task CPU units.
    pub cpu: u32,
    /// Task memory in MiB.
    pub memory_mib: u32,
    /// Fewest tasks.
    pub min_tasks: u32,
    /// Most tasks.
    pub max_tasks: u32,
    /// Requests per IP per 5 minutes before WAF blocks.
    pub rate_limit: u32,
    /// Origins browsers may call the API from.
    pub cors_allowed_origins: Vec<&'static str>,
    /// Load balancer deletion protection.
    pub deletion_protection: bool,
    /// Container log retention in days.
    pub log_retention_days: u32,
}

/// Alarms and dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitoringSettings {
    /// Prefix of alarm names (`migration-api` in prod, as the guide names them).
    pub alarm_prefix: &'static str,
    /// The alerting topic's name (the guide's `alerting-topic`).
    pub alerting_topic_name: &'static str,
    /// The dashboard's name (no spaces).
    pub dashboard_name: &'static str,
}

/// CloudTrail and AWS Backup.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditSettings {
    /// Days trail log files are kept in S3.
    pub trail_retention_days: u32,
    /// Days daily backups are kept.
    pub backup_retention_days: u32,
}

/// The development environment: small, single-AZ database, one NAT gateway.
pub fn dev() -> Settings {
    Settings {
        env: "dev",
        network: NetworkSettings {
            cidr: "10.10.0.0/16",
            nat_gateways: 1,
        },
        database: DatabaseSettings {
            engine_version: "17.6",
            instance_class: "db.t4g.micro",
            allocated_storage_gib: 20,
            max_allocated_storage_gib: 50,
            multi_az: false,
            backup_retention_days: 7,
            max_connections_alarm: 60,
            master_secret_name: "db-password-dev",
            api_keys_secret_name: "api-keys-dev",
        },
        service: ServiceSettings {
            cpu: 512,
            memory_mib: 1024,
            min_tasks: 1,
            max_tasks: 2,
            rate_limit: 2000,
            cors_allowed_origins: vec!["https://dev.migration.example.com"],
            deletion_protection: false,
            log_retention_days: 30,
        },
        monitoring: MonitoringSettings {
            alarm_prefix: "migration-api-dev",
            alerting_topic_name: "alerting-topic-dev",
            dashboard_name: "migration-api-dev-dashboard",
        },
        audit: AuditSettings {
            trail_retention_days: 90,
            backup_retention_days: 7,
        },
    }
}

/// Production: multi-AZ database with longer retention, a NAT gateway per AZ, more tasks.
pub fn prod() -> Settings {
    Settings {
        env: "prod",
        network: NetworkSettings {
            cidr: "10.20.0.0/16",
            nat_gateways: 2,
        },
        database: DatabaseSettings {
            engine_version: "17.6",
            instance_class: "db.r6g.large",
            allocated_storage_gib: 100,
            max_allocated_storage_gib: 500,
            multi_az: true,
            backup_retention_days: 30,
            max_connections_alarm: 400,
            master_secret_name: "db-password",
            api_keys_secret_name: "api-keys",
        },
        service: ServiceSettings {
            cpu: 1024,
            memory_mib: 2048,
            min_tasks: 2,
            max_tasks: 6,
            rate_limit: 2000,
            cors_allowed_origins: vec!["https://migration.example.com"],
            deletion_protection: true,
            log_retention_days: 365,
        },
        monitoring: MonitoringSettings {
            alarm_prefix: "migration-api",
            alerting_topic_name: "alerting-topic",
            dashboard_name: "migration-api-dashboard",
        },
        audit: AuditSettings {
            trail_retention_days: 365,
            backup_retention_days: 35,
        },
    }
}
