//! `data`: the one database (backed up daily) and the orders queue every service shares.

use stackforge_constructs::aws::backup::{BackupPlan, BackupPlanProps};
use stackforge_constructs::aws::ec2::Vpc;
use stackforge_constructs::aws::rds::{
    DatabaseUserSetup, DatabaseUserSetupProps, RdsEncrypted, RdsEncryptedProps,
};
use stackforge_constructs::aws::sqs::{Queue, QueueProps};
use stackforge_constructs::{App, Environment, Error, Stack, StackProps};

use crate::settings::Settings;

/// What later stacks use from `data`.
#[derive(Debug, Clone)]
pub struct Data {
    /// The PostgreSQL database.
    pub db: RdsEncrypted,
    /// Orders the API accepted, for the worker to fulfil.
    pub orders: Queue,
}

/// Builds the `data` stack.
pub fn build(
    app: &App,
    env: &Environment,
    s: &Settings,
    vpc: &Vpc,
) -> Result<(Stack, Data), Error> {
    let mut stack = Stack::new(
        app,
        env,
        "data",
        StackProps {
            description: Some(format!(
                "orders ({}) data: encrypted PostgreSQL with TLS, IAM auth and daily AWS Backup; the KMS-encrypted orders queue and its dead-letter queue",
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
            instance_class: s.db_instance_class.to_owned(),
            multi_az: s.db_multi_az,
            database_name: Some("orders".to_owned()),
            backup_retention_days: s.db_backup_retention_days,
            ..Default::default()
        },
    )?;
    // The user every service connects as (IAM authentication), created by `deploy` right
    // after this stack.
    DatabaseUserSetup::new(
        &mut root,
        "UserSetup",
        vpc,
        &db,
        DatabaseUserSetupProps {
            users: vec![crate::DB_USER.to_owned()],
            ..Default::default()
        },
    )?;
    BackupPlan::new(
        &mut root,
        "Backup",
        [db.arn()],
        BackupPlanProps {
            retention_days: s.db_backup_retention_days.max(7),
            ..Default::default()
        },
    )?;
    let orders = Queue::new(
        &mut root,
        "Orders",
        QueueProps {
            // Fulfilling an order takes at most a minute; five minutes leaves room.
            visibility_timeout_seconds: 300,
            ..Default::default()
        },
    )?;
    Ok((stack, Data { db, orders }))
}
