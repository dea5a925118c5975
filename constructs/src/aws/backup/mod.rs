//! AWS Backup: scheduled backups into encrypted vaults.

mod backup_plan;

pub use backup_plan::{
    BackupPlan, BackupPlanProps, MAX_RETENTION_DAYS, MIN_COLD_STORAGE_DAYS, MIN_RETENTION_DAYS,
};
