//! `BackupPlan`: AWS Backup of given resources on a schedule, into a KMS-encrypted vault.

use crate::aws::iam::{ServiceRole, ServiceRoleProps};
use crate::aws::kms::{KeyService, KmsKey};
use crate::aws::naming::stack_creation_suffix;
use crate::aws::refs::{BackupPlanId, BackupVaultArn, BackupVaultName, KmsKeyArn, RoleArn};
use crate::error::Result;
use crate::expr::Expr;
use crate::resource::{RemovalPolicy, ResourceHandle, ResourceOptions};
use crate::resources::backup::{self as cfn, backup_plan, backup_selection};
use crate::scope::Scope;
use crate::value::Str;

/// Fewest days a recovery point is kept (the project's backup policy).
pub const MIN_RETENTION_DAYS: u32 = 7;
/// Most days a recovery point can be kept (100 years).
pub const MAX_RETENTION_DAYS: u32 = 36500;
/// AWS Backup keeps a recovery point in cold storage at least this many days.
pub const MIN_COLD_STORAGE_DAYS: u32 = 90;

/// Props of [`BackupPlan`]. The vault is always encrypted with a customer-managed key.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupPlanProps {
    /// The key encrypting the vault; its policy must allow AWS Backup
    /// ([`KeyService::Backup`]). Resources that AWS Backup does not fully manage, such as RDS
    /// instances, keep their snapshots encrypted with their own key. Default: a dedicated
    /// key is created.
    pub encryption_key: Option<KmsKeyArn>,
    /// Prefix of the vault (`<prefix>-vault-<8 hex digits of the stack ID>`, so a retained
    /// vault never blocks re-creating the stack), plan (`<prefix>-plan`) and selection
    /// (`<prefix>-selection`) names, which AWS Backup requires; vault names are unique per
    /// account and region, so two plans in one stack need different prefixes. Default: the
    /// stack name (`${AWS::StackName}`).
    pub name_prefix: Option<Str>,
    /// When backups start: an AWS Backup `cron(...)` expression with 6 fields, in UTC.
    /// Default: `cron(0 3 * * ? *)` (daily at 03:00).
    pub schedule: String,
    /// Days each recovery point is kept (`DeleteAfterDays`), 7 to 36500. Default: 35.
    pub retention_days: u32,
    /// Days after which recovery points move to cold storage (for resource types that
    /// support it; RDS does not). Requires `retention_days` at least 90 days more.
    /// Default: never.
    pub move_to_cold_storage_after_days: Option<u32>,
    /// Minutes a scheduled backup may wait to start, at least 60. Default: 60.
    pub start_window_minutes: u32,
    /// Minutes a started backup may run, at least 60 more than `start_window_minutes`.
    /// Default: 1440 (a day, so a daily backup ends before the next one starts).
    pub completion_window_minutes: u32,
    /// What happens to the vault when it leaves the stack (AWS Backup refuses to delete a
    /// vault that still holds recovery points). Default: `Retain`.
    pub removal_policy: RemovalPolicy,
}

impl Default for BackupPlanProps {
    fn default() -> Self {
        Self {
            encryption_key: None,
            name_prefix: None,
            schedule: "cron(0 3 * * ? *)".to_owned(),
            retention_days: 35,
            move_to_cold_storage_after_days: None,
            start_window_minutes: 60,
            completion_window_minutes: 1440,
            removal_policy: RemovalPolicy::Retain,
        }
    }
}

/// An AWS Backup plan with one scheduled rule, its KMS-encrypted vault, and a selection of
/// resources (by ARN) backed up by a dedicated service role.
///
/// ```
/// use stackforge_constructs::aws::backup::{BackupPlan, BackupPlanProps};
/// use stackforge_constructs::aws::refs::DbInstanceArn;
/// use stackforge_constructs::testing::synth_stack;
///
/// let assembly = synth_stack(|scope| {
///     let db = DbInstanceArn::from_expr("arn:aws:rds:us-east-1:123456789012:db:app");
///     let backup = BackupPlan::new(scope, "Backup", [db], BackupPlanProps::default())?;
///     let _ = (backup.vault_name(), backup.vault_arn(), backup.plan_id());
///     Ok(())
/// })
/// .unwrap();
/// let template = assembly.environments[0].stacks[0].json();
/// let plan = template["Resources"]
///     .as_object()
///     .unwrap()
///     .values()
///     .find(|r| r["Type"] == "AWS::Backup::BackupPlan")
///     .unwrap();
/// let rule = &plan["Properties"]["BackupPlan"]["BackupPlanRule"][0];
/// assert_eq!(rule["Lifecycle"]["DeleteAfterDays"], 35);
/// ```
#[derive(Debug, Clone)]
pub struct BackupPlan {
    handle: ResourceHandle<cfn::BackupPlan>,
    vault: ResourceHandle<cfn::BackupVault>,
    role: ServiceRole,
    key: KmsKeyArn,
}

impl BackupPlan {
    /// Adds the vault (and its key, unless given), the plan, the role and the selection of
    /// `resources` (ARNs, such as a `DbInstanceArn`) under `scope/id`.
    pub fn new<I, R>(
        scope: &mut Scope<'_>,
        id: &str,
        resources: I,
        props: BackupPlanProps,
    ) -> Result<BackupPlan>
    where
        I: IntoIterator<Item = R>,
        R: Into<Expr>,
    {
        let mut scope = scope.construct(id, "BackupPlan")?;
        let resources: Vec<Expr> = resources.into_iter().map(Into::into).collect();
        validate(&scope, &resources, &props)?;

        let stack_name = scope.stack().stack_name().to_owned();
        let prefix = match props.name_prefix {
            Some(p) => Expr::from(p),
            // A stack name too long for a vault name is shortened with a hash.
            None if stack_name.len() > MAX_PREFIX => {
                Expr::str(crate::names::fit(&stack_name, MAX_PREFIX))
            }
            None => Expr::stack_name(),
        };
        let name = |suffix: &str| Expr::concat([prefix.clone(), Expr::str(suffix)]);

        let key = KmsKey::given_or_new(
            &mut scope,
            props.encryption_key,
            "Encrypts an AWS Backup vault",
            &[KeyService::Backup],
        )?;
        // A retained vault keeps its name after its stack is deleted; a fixed name would make
        // re-creating the stack fail ("already exists").
        let vault_name = Expr::concat([
            prefix.clone(),
            Expr::str("-vault-"),
            stack_creation_suffix(),
        ]);
        let vault = scope.add_with(
            "Vault",
            cfn::BackupVault {
                encryption_key_arn: Some(key.clone().into()),
                ..cfn::BackupVault::new(vault_name)
            },
            ResourceOptions::removal(props.removal_policy),
        )?;
        let rule = backup_plan::BackupRuleResourceType {
            schedule_expression: Some(props.schedule.into()),
            start_window_minutes: Some(props.start_window_minutes.into()),
            completion_window_minutes: Some(props.completion_window_minutes.into()),
            lifecycle: Some(backup_plan::LifecycleResourceType {
                delete_after_days: Some(props.retention_days.into()),
                move_to_cold_storage_after_days: props
                    .move_to_cold_storage_after_days
                    .map(Into::into),
                ..Default::default()
            }),
            ..backup_plan::BackupRuleResourceType::new("Scheduled", vault.ref_())
        };
        let handle = scope.add(
            "Resource",
            cfn::BackupPlan::new(backup_plan::BackupPlanResourceType::new(
                name("-plan"),
                vec![rule],
            )),
        )?;
        let partition_policy = |policy: &str| {
            Expr::concat([
                Expr::str("arn:"),
                Expr::partition(),
                Expr::str(format!(":iam::aws:policy/service-role/{policy}")),
            ])
        };
        let role = ServiceRole::new(
            &mut scope,
            "Role",
            ServiceRoleProps {
                service: "backup.amazonaws.com".into(),
                description: Some(
                    "Lets AWS Backup back up and restore the selected resources".into(),
                ),
                managed_policy_arns: vec![
                    partition_policy("AWSBackupServiceRolePolicyForBackup"),
                    partition_policy("AWSBackupServiceRolePolicyForRestores"),
                ],
                ..Default::default()
            },
        )?;
        scope.add(
            "Selection",
            cfn::BackupSelection::new(
                handle.backup_plan_id(),
                backup_selection::BackupSelectionResourceType {
                    resources: Some(resources.into_iter().map(Str::from).collect()),
                    ..backup_selection::BackupSelectionResourceType::new(
                        role.arn(),
                        name("-selection"),
                    )
                },
            ),
        )?;
        Ok(BackupPlan {
            handle,
            vault,
            role,
            key,
        })
    }

    /// The vault name.
    pub fn vault_name(&self) -> BackupVaultName {
        BackupVaultName::from_expr(self.vault.ref_())
    }

    /// The vault ARN.
    pub fn vault_arn(&self) -> BackupVaultArn {
        BackupVaultArn::from_expr(self.vault.backup_vault_arn())
    }

    /// The plan id.
    pub fn plan_id(&self) -> BackupPlanId {
        BackupPlanId::from_expr(self.handle.backup_plan_id())
    }

    /// The role AWS Backup uses for the selection.
    pub fn role_arn(&self) -> RoleArn {
        self.role.arn()
    }

    /// The key encrypting the vault.
    pub fn key_arn(&self) -> KmsKeyArn {
        self.key.clone()
    }

    /// The underlying plan resource.
    pub fn handle(&self) -> &ResourceHandle<cfn::BackupPlan> {
        &self.handle
    }
}

fn validate(scope: &Scope<'_>, resources: &[Expr], props: &BackupPlanProps) -> Result<()> {
    if resources.is_empty() {
        return Err(scope.invalid(
            "resources",
            "no resource is selected for backup",
            "pass the ARNs of the resources to back up, such as the database's `DbInstanceArn`",
        ));
    }
    if let Some(bad) = resources
        .iter()
        .filter_map(Expr::as_str)
        .find(|r| !r.starts_with("arn:"))
    {
        return Err(scope.invalid(
            "resources",
            format!("`{bad}` is not an ARN"),
            "pass resource ARNs (`arn:aws:rds:...:db:name`), not names or wildcards",
        ));
    }
    if let Some(problem) = cron_problem(&props.schedule) {
        return Err(scope.invalid(
            "schedule",
            format!("`{}` {problem}", props.schedule),
            "write a cron expression such as `cron(0 3 * * ? *)` (minutes hours day-of-month month day-of-week year)",
        ));
    }
    if !(MIN_RETENTION_DAYS..=MAX_RETENTION_DAYS).contains(&props.retention_days) {
        return Err(scope.invalid(
            "retention_days",
            format!(
                "{} is outside {MIN_RETENTION_DAYS}..={MAX_RETENTION_DAYS}",
                props.retention_days
            ),
            format!("keep backups at least {MIN_RETENTION_DAYS} days"),
        ));
    }
    if let Some(cold) = props.move_to_cold_storage_after_days {
        if cold == 0 || cold.saturating_add(MIN_COLD_STORAGE_DAYS) > props.retention_days {
            return Err(scope.invalid(
                "move_to_cold_storage_after_days",
                format!(
                    "recovery points would move to cold storage after {cold} days and be deleted after {}; AWS Backup keeps them in cold storage at least {MIN_COLD_STORAGE_DAYS} days",
                    props.retention_days
                ),
                format!(
                    "set `retention_days` to at least {} (cold storage days + {MIN_COLD_STORAGE_DAYS}), or drop cold storage",
                    cold.max(1).saturating_add(MIN_COLD_STORAGE_DAYS)
                ),
            ));
        }
    }
    if props.start_window_minutes < 60 {
        return Err(scope.invalid(
            "start_window_minutes",
            format!(
                "{} minutes is under AWS Backup's minimum of 60",
                props.start_window_minutes
            ),
            "use at least 60 minutes",
        ));
    }
    if props.completion_window_minutes < props.start_window_minutes.saturating_add(60) {
        return Err(scope.invalid(
            "completion_window_minutes",
            format!(
                "{} minutes is not at least 60 more than the start window ({})",
                props.completion_window_minutes, props.start_window_minutes
            ),
            format!(
                "use at least {} minutes",
                props.start_window_minutes.saturating_add(60)
            ),
        ));
    }
    check_prefix(scope, props)
}

/// Characters of a name prefix: vault names are 2 to 50 characters, and the prefix leaves
/// room for `-vault-` and the 8 hex digits of the stack creation.
const MAX_PREFIX: usize = 50 - "-vault-".len() - 8;

/// Vault names are 2 to 50 letters, digits, `-` and `_`; a given prefix must fit.
fn check_prefix(scope: &Scope<'_>, props: &BackupPlanProps) -> Result<()> {
    let prefix = match &props.name_prefix {
        Some(p) => match p.expr().as_str() {
            Some(s) => s.to_owned(),
            None => return Ok(()),
        },
        // The default is made valid by construction (stack names are letters, digits, `-`).
        None => return Ok(()),
    };
    let ok_chars = prefix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if prefix.is_empty() || prefix.len() > MAX_PREFIX || !ok_chars {
        return Err(scope.invalid(
            "name_prefix",
            format!("`{prefix}-vault-XXXXXXXX` is not a valid backup vault name"),
            format!("use a prefix of 1 to {MAX_PREFIX} letters, digits, `-` or `_`"),
        ));
    }
    Ok(())
}

/// What is wrong with an AWS Backup schedule: it takes only `cron(...)` with 6 fields
/// (AWS Backup rejects `rate(...)`).
fn cron_problem(schedule: &str) -> Option<&'static str> {
    if schedule.starts_with("rate(") {
        return Some("is a rate expression, which AWS Backup does not accept");
    }
    let Some(body) = schedule
        .strip_prefix("cron(")
        .and_then(|s| s.strip_suffix(')'))
    else {
        return Some("is not of the form `cron(...)`");
    };
    if body.split_whitespace().count() != 6 {
        return Some("does not have 6 fields");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::cron_problem;

    #[test]
    fn schedules_are_six_field_cron_expressions() {
        assert_eq!(cron_problem("cron(0 3 * * ? *)"), None);
        assert_eq!(cron_problem("cron(0 5 ? * MON-FRI *)"), None);
        assert!(cron_problem("cron(0 3 * * ?)").is_some());
        assert!(cron_problem("rate(1 day)").is_some());
        assert!(cron_problem("0 3 * * ? *").is_some());
        assert!(cron_problem("cron(0 3 * * ? *").is_some());
    }
}
