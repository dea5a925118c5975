//! `audit`: CloudTrail for every API call, and AWS Backup of the database.

use stackforge_constructs::aws::backup::{BackupPlan, BackupPlanProps};
use stackforge_constructs::aws::cloudtrail::{Trail, TrailProps};
use stackforge_constructs::{App, Environment, Error, Expr, Scope, Stack, StackProps};

use crate::data::Data;
use crate::settings::Settings;
use crate::variant::Layout;

/// Builds the `audit` stack.
pub fn build(app: &App, env: &Environment, s: &Settings, data: &Data) -> Result<Stack, Error> {
    build_with(app, env, s, data, &Layout::default())
}

/// Builds the `audit` stack with the construct ids and placement of `layout`.
pub fn build_with(
    app: &App,
    env: &Environment,
    s: &Settings,
    data: &Data,
    layout: &Layout,
) -> Result<Stack, Error> {
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
    if layout.trail_stack.is_none() {
        add_trail(&mut root, s, layout)?;
    }
    if !layout.backup_in_data {
        add_backup(&mut root, s, data.db.arn(), layout)?;
    }
    Ok(stack)
}

/// The CloudTrail construct (id `Trail` unless `layout` renames it).
fn add_trail(root: &mut Scope<'_>, s: &Settings, layout: &Layout) -> Result<(), Error> {
    let a = &s.audit;
    Trail::new(
        root,
        layout.trail_id.unwrap_or("Trail"),
        TrailProps {
            retention_days: a.trail_retention_days,
            glacier_transition_days: Some(30).filter(|d| *d < a.trail_retention_days),
            ..Default::default()
        },
    )?;
    Ok(())
}

/// The AWS Backup plan of the database (id `Backup` unless `layout` renames it).
pub(crate) fn add_backup(
    root: &mut Scope<'_>,
    s: &Settings,
    database_arn: impl Into<Expr>,
    layout: &Layout,
) -> Result<(), Error> {
    BackupPlan::new(
        root,
        layout.backup_id.unwrap_or("Backup"),
        [database_arn],
        BackupPlanProps {
            retention_days: s.audit.backup_retention_days,
            ..Default::default()
        },
    )?;
    Ok(())
}

/// A stack of its own for the trail, called `name` (a [`Layout::trail_stack`] variant).
pub fn trail_stack(
    app: &App,
    env: &Environment,
    s: &Settings,
    name: &str,
    layout: &Layout,
) -> Result<Stack, Error> {
    let mut stack = Stack::new(app, env, name, StackProps::default())?;
    add_trail(&mut stack.root(), s, layout)?;
    Ok(stack)
}
