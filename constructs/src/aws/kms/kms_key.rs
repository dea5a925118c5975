//! `KmsKey`: a customer-managed key with rotation always on, a key policy naming exactly the
//! services that use it, and grants to roles through IAM.

use crate::aws::iam::{attach_policy, PolicyDocument, Principal, Statement};
use crate::aws::refs::{KmsKeyArn, KmsKeyId, RoleName};
use crate::error::Result;
use crate::expr::Expr;
use crate::resource::{RemovalPolicy, ResourceHandle, ResourceOptions};
use crate::resources::kms::{Alias, Key};
use crate::scope::Scope;
use crate::value::Str;

/// AWS services a key policy lets use the key (each adds one scoped statement).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyService {
    /// CloudWatch Logs, for log groups of this account and region.
    Logs,
    /// CloudTrail, for trails of this account.
    CloudTrail,
    /// CloudWatch alarms publishing to a topic encrypted with the key.
    CloudWatchAlarms,
    /// AWS Backup vaults.
    Backup,
    /// SNS, for topics of this account (also SNS delivering to an encrypted SQS queue).
    Sns,
    /// EventBridge delivering to an encrypted SQS queue, for rules of this account.
    EventBridge,
}

/// Props of [`KmsKey`]. Rotation is always on; there is no way to turn it off.
#[derive(Debug, Clone, PartialEq)]
pub struct KmsKeyProps {
    /// `Description`. Default: none.
    pub description: Option<String>,
    /// An alias (`alias/` is prefixed when missing). Default: none.
    pub alias: Option<Str>,
    /// Services allowed to use the key through its key policy. Default: none (only IAM
    /// principals of the account, through their policies).
    pub services: Vec<KeyService>,
    /// Waiting period, 7 to 30 days, before a deleted key is destroyed. Default: 30.
    pub pending_window_days: u32,
    /// What happens to the key when it leaves the stack. Default: `Retain` (data encrypted
    /// with it stays readable).
    pub removal_policy: RemovalPolicy,
}

impl Default for KmsKeyProps {
    fn default() -> Self {
        Self {
            description: None,
            alias: None,
            services: Vec::new(),
            pending_window_days: 30,
            removal_policy: RemovalPolicy::Retain,
        }
    }
}

/// A customer-managed symmetric KMS key.
#[derive(Debug, Clone)]
pub struct KmsKey {
    handle: ResourceHandle<Key>,
}

impl KmsKey {
    /// Adds the key (and its alias) under `scope/id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: KmsKeyProps) -> Result<KmsKey> {
        let mut scope = scope.construct(id, "KmsKey")?;
        if !(7..=30).contains(&props.pending_window_days) {
            return Err(scope.invalid(
                "pending_window_days",
                format!("{} is outside 7..=30", props.pending_window_days),
                "use a waiting period between 7 and 30 days",
            ));
        }
        let policy = key_policy(&props.services);
        policy.check_resource_policy(scope.path())?;
        let key = Key {
            description: props.description.map(Str::from),
            enable_key_rotation: Some(true.into()),
            key_policy: Some(policy.to_expr()),
            pending_window_in_days: Some(props.pending_window_days.into()),
            ..Key::default()
        };
        let handle = scope.add_with(
            "Resource",
            key,
            ResourceOptions::removal(props.removal_policy),
        )?;
        if let Some(alias) = props.alias {
            let name = match alias.expr().as_str() {
                Some(s) if !s.starts_with("alias/") => Str::from(format!("alias/{s}")),
                _ => alias,
            };
            scope.add("Alias", Alias::new(name, handle.ref_()))?;
        }
        Ok(KmsKey { handle })
    }

    /// The ARN of `given`, or of a new key `scope/Key` whose policy names `services` — the
    /// "a key is created unless you pass one" default every encrypting construct has.
    pub fn given_or_new(
        scope: &mut Scope<'_>,
        given: Option<KmsKeyArn>,
        description: impl Into<String>,
        services: &[KeyService],
    ) -> Result<KmsKeyArn> {
        match given {
            Some(key) => Ok(key),
            None => Ok(KmsKey::new(
                scope,
                "Key",
                KmsKeyProps {
                    description: Some(description.into()),
                    services: services.to_vec(),
                    ..Default::default()
                },
            )?
            .arn()),
        }
    }

    /// The key ARN.
    pub fn arn(&self) -> KmsKeyArn {
        KmsKeyArn::from_expr(self.handle.arn())
    }

    /// The key id.
    pub fn key_id(&self) -> KmsKeyId {
        KmsKeyId::from_expr(self.handle.ref_())
    }

    /// The underlying resource.
    pub fn handle(&self) -> &ResourceHandle<Key> {
        &self.handle
    }

    /// Lets `role` encrypt and decrypt with this key (an IAM policy added under `scope/id`).
    pub fn grant_encrypt_decrypt(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        role: &RoleName,
    ) -> Result<()> {
        self.grant(
            scope,
            id,
            role,
            &[
                "kms:Decrypt",
                "kms:Encrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:DescribeKey",
            ],
        )
    }

    /// Lets `role` decrypt with this key (an IAM policy added under `scope/id`).
    pub fn grant_decrypt(&self, scope: &mut Scope<'_>, id: &str, role: &RoleName) -> Result<()> {
        self.grant(scope, id, role, &["kms:Decrypt", "kms:DescribeKey"])
    }

    fn grant(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        role: &RoleName,
        actions: &[&str],
    ) -> Result<()> {
        let doc = PolicyDocument::new(vec![Statement::allow(
            actions.iter().copied(),
            [self.arn()],
        )]);
        attach_policy(scope, id, role, doc)?;
        Ok(())
    }
}

fn key_policy(services: &[KeyService]) -> PolicyDocument {
    let account_root = Expr::concat([
        Expr::str("arn:"),
        Expr::partition(),
        Expr::str(":iam::"),
        Expr::account_id(),
        Expr::str(":root"),
    ]);
    let mut statements = vec![
        // Without this the key could become unmanageable; IAM policies of the account decide the rest.
        Statement::allow(["kms:*"], ["*"])
            .sid("AccountAdministers")
            .principal(Principal::Aws(vec![account_root])),
    ];
    let mut seen = Vec::new();
    for s in services {
        if seen.contains(s) {
            continue;
        }
        seen.push(*s);
        let use_key = [
            "kms:Encrypt*",
            "kms:Decrypt*",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:Describe*",
        ];
        statements.push(match s {
            KeyService::Logs => Statement::allow(use_key, ["*"])
                .sid("CloudWatchLogsUse")
                .principal(Principal::service(Expr::concat([
                    Expr::str("logs."),
                    Expr::region(),
                    Expr::str(".amazonaws.com"),
                ])))
                .condition(
                    "ArnLike",
                    "kms:EncryptionContext:aws:logs:arn",
                    Expr::arn("logs", true, "log-group:*"),
                ),
            KeyService::CloudTrail => Statement::allow(
                ["kms:GenerateDataKey*", "kms:DescribeKey", "kms:Decrypt"],
                ["*"],
            )
            .sid("CloudTrailUse")
            .principal(Principal::service("cloudtrail.amazonaws.com"))
            .condition("StringEquals", "aws:SourceAccount", Expr::account_id()),
            KeyService::CloudWatchAlarms => {
                Statement::allow(["kms:Decrypt", "kms:GenerateDataKey*"], ["*"])
                    .sid("CloudWatchAlarmsUse")
                    .principal(Principal::service("cloudwatch.amazonaws.com"))
                    .condition("StringEquals", "aws:SourceAccount", Expr::account_id())
            }
            KeyService::Backup => Statement::allow(
                [
                    "kms:Decrypt",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                    "kms:CreateGrant",
                ],
                ["*"],
            )
            .sid("BackupUse")
            .principal(Principal::service("backup.amazonaws.com"))
            .condition("StringEquals", "aws:SourceAccount", Expr::account_id()),
            KeyService::Sns => Statement::allow(["kms:Decrypt", "kms:GenerateDataKey*"], ["*"])
                .sid("SnsUse")
                .principal(Principal::service("sns.amazonaws.com"))
                .condition("StringEquals", "aws:SourceAccount", Expr::account_id()),
            KeyService::EventBridge => {
                Statement::allow(["kms:Decrypt", "kms:GenerateDataKey*"], ["*"])
                    .sid("EventBridgeUse")
                    .principal(Principal::service("events.amazonaws.com"))
                    .condition("StringEquals", "aws:SourceAccount", Expr::account_id())
            }
        });
    }
    PolicyDocument::new(statements)
}
