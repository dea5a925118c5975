//! Per-environment settings: what differs between environments, as typed values. Values an
//! operator sets per deployment (the certificate ARN) are stack parameters in
//! `params/<env>/<stack>.json` instead.

/// Everything that differs between environments.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The environment name: stack names are `<app>-<env>-<stack>`.
    pub env: &'static str,
    /// The VPC's CIDR range.
    pub cidr: &'static str,
    /// NAT gateways: one saves cost, one per availability zone survives losing a zone.
    pub nat_gateways: usize,
    /// The database's RDS instance class.
    pub db_instance_class: &'static str,
    /// A standby database in a second availability zone.
    pub multi_az: bool,
    /// Days RDS keeps automated backups (7 to 35).
    pub db_backup_days: u32,
    /// Days AWS Backup keeps each daily recovery point (7 or more).
    pub backup_days: u32,
    /// Fewest running tasks of the service.
    pub min_tasks: u32,
    /// Most running tasks of the service.
    pub max_tasks: u32,
    /// Whether the load balancer refuses to be deleted.
    pub deletion_protection: bool,
}

/// The development environment: small and cheap.
pub fn dev() -> Settings {
    Settings {
        env: "dev",
        cidr: "10.20.0.0/16",
        nat_gateways: 1,
        db_instance_class: "db.t4g.micro",
        multi_az: false,
        db_backup_days: 7,
        backup_days: 7,
        min_tasks: 1,
        max_tasks: 2,
        deletion_protection: false,
    }
}

/// The production environment: highly available, backups kept longer.
pub fn prod() -> Settings {
    Settings {
        env: "prod",
        cidr: "10.21.0.0/16",
        nat_gateways: 2,
        db_instance_class: "db.r6g.large",
        multi_az: true,
        db_backup_days: 30,
        backup_days: 35,
        min_tasks: 2,
        max_tasks: 6,
        deletion_protection: true,
    }
}
