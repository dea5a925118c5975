//! Per-environment settings of the orders app. Values an operator sets per deployment
//! (certificate ARNs, image tags, the alert e-mail) are stack parameters in
//! `templates/<env>/<stack>.parameters.json`.

/// Everything that differs between environments.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Environment name (`dev`, `prod`).
    pub env: &'static str,
    /// The VPC CIDR.
    pub cidr: &'static str,
    /// NAT gateways (1 in dev, one per AZ in prod).
    pub nat_gateways: usize,
    /// RDS instance class.
    pub db_instance_class: &'static str,
    /// A database standby in a second AZ.
    pub db_multi_az: bool,
    /// Database backup retention in days.
    pub db_backup_retention_days: u32,
    /// Tasks of the API: fewest, most.
    pub api_tasks: (u32, u32),
    /// Tasks of the web shop: fewest, most.
    pub web_tasks: (u32, u32),
    /// Tasks of the worker: fewest (0 stops it while the queue is empty), most.
    pub worker_tasks: (u32, u32),
    /// Load balancer deletion protection.
    pub deletion_protection: bool,
}

/// The `dev` environment: one NAT gateway, the smallest sizes, the worker stops when idle.
pub fn dev() -> Settings {
    Settings {
        env: "dev",
        cidr: "10.20.0.0/16",
        nat_gateways: 1,
        db_instance_class: "db.t4g.micro",
        db_multi_az: false,
        db_backup_retention_days: 7,
        api_tasks: (1, 2),
        web_tasks: (1, 2),
        worker_tasks: (0, 2),
        deletion_protection: false,
    }
}

/// The `prod` environment: a NAT gateway and a database standby per AZ, a worker always up.
pub fn prod() -> Settings {
    Settings {
        env: "prod",
        cidr: "10.30.0.0/16",
        nat_gateways: 2,
        db_instance_class: "db.r6g.large",
        db_multi_az: true,
        db_backup_retention_days: 30,
        api_tasks: (2, 6),
        web_tasks: (2, 4),
        worker_tasks: (1, 8),
        deletion_protection: true,
    }
}
