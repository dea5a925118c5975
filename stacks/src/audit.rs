//! `audit`: CloudTrail for every API call, and AWS Backup of the database.

use stackforge_constructs::aws::backup::{BackupPlan, BackupPlanProps};
use stackforge_constructs::aws::cloudtrail::{Trail, TrailProps};
use stackforge_constructs::{App, Environment, Error, Stack, StackProps};

use crate::data::Data;
use crate::settings::Settings;

/// Builds the `audit` stack.
pub fn build(app: &App, env: &Environment, s: &Settings, data: &Data) -> Result<Stack, Error> {
    let a = &s.audit;
    let mut stack = Stack::new(
        app,
        env,
        "audit",
        StackProps {
            description: Some(format!(
                "migration-api ({}) audit: multi-region CloudTrail with validated, encrypted logs; daily encrypted backups of the database",
                s.env
            )),
            ..Default::default()
        },
    )?;
    let mut root = stack.root();
    Trail::new(
        &mut root,
        "Trail",
        TrailProps {
            retention_days: a.trail_retention_days,
            glacier_transition_days: Some(30).filter(|d| *d < a.trail_retention_days),
            ..Default::default()
        },
    )?;
    BackupPlan::new(
        &mut root,
        "Backup",
        [data.db.arn()],
        BackupPlanProps {
            retention_days: a.backup_retention_days,
            ..Default::default()
        },
    )?;
    Ok(stack)
}
