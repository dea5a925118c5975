//! `Bucket`: an S3 bucket that is private, encrypted, versioned and TLS-only by construction.

use crate::aws::iam::{PolicyDocument, Principal, Statement};
use crate::aws::refs::{BucketArn, BucketName, KmsKeyArn};
use crate::error::Result;
use crate::expr::Expr;
use crate::resource::{RemovalPolicy, ResourceHandle, ResourceOptions};
use crate::resources::s3::{self as cfn, bucket};
use crate::scope::Scope;

/// How objects are encrypted at rest. There is no unencrypted option.
#[derive(Debug, Clone, PartialEq)]
pub enum BucketEncryption {
    /// SSE-S3 (`AES256`) — the only kind some AWS log deliveries (load balancer access
    /// logs, server access logs) can write to.
    S3Managed,
    /// SSE-KMS with a customer-managed key (and S3 bucket keys, to keep KMS costs down).
    Kms(KmsKeyArn),
}

/// Where the bucket's server access logs go.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessLogging {
    /// The destination bucket (SSE-S3 encrypted, in the same region).
    pub bucket: BucketName,
    /// Key prefix for this bucket's logs.
    pub prefix: String,
}

/// Props of [`Bucket`]. Public access is always blocked, versioning always on, and the
/// policy always denies requests without TLS.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketProps {
    /// Encryption at rest. Default: [`BucketEncryption::S3Managed`].
    pub encryption: BucketEncryption,
    /// Days after which objects expire. Default: never.
    pub expiration_days: Option<u32>,
    /// Days after which noncurrent versions expire. Default: 90.
    pub noncurrent_version_expiration_days: u32,
    /// Days after which objects move to Glacier Flexible Retrieval. Default: never.
    pub glacier_transition_days: Option<u32>,
    /// Server access logging. Default: none (the bucket does not log its own access).
    pub access_logging: Option<AccessLogging>,
    /// Extra bucket-policy statements (log delivery by AWS services). Default: none.
    pub policy_statements: Vec<Statement>,
    /// Whether this bucket is the destination of server access logs of this account's
    /// buckets: adds the policy statement that lets `logging.s3.amazonaws.com` write (with
    /// `BucketOwnerEnforced` ownership, ACL grants no longer work). Needs
    /// [`BucketEncryption::S3Managed`]. Default: false.
    pub receives_access_logs: bool,
    /// What happens to the bucket when it leaves the stack. Default: `Retain`.
    pub removal_policy: RemovalPolicy,
}

impl Default for BucketProps {
    fn default() -> Self {
        Self {
            encryption: BucketEncryption::S3Managed,
            expiration_days: None,
            noncurrent_version_expiration_days: 90,
            glacier_transition_days: None,
            access_logging: None,
            policy_statements: Vec::new(),
            receives_access_logs: false,
            removal_policy: RemovalPolicy::Retain,
        }
    }
}

/// A private, encrypted, versioned, TLS-only S3 bucket.
#[derive(Debug, Clone)]
pub struct Bucket {
    handle: ResourceHandle<cfn::Bucket>,
    policy: ResourceHandle<cfn::BucketPolicy>,
}

impl Bucket {
    /// Adds the bucket and its policy under `scope/id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: BucketProps) -> Result<Bucket> {
        Self::new_with_policy(scope, id, props, |_| Vec::new())
    }

    /// Like [`Bucket::new`], with policy statements that name the bucket itself (log
    /// delivery to `<bucket>/AWSLogs/...`): `statements_for` gets the bucket's ARN and its
    /// result follows `props.policy_statements`.
    pub fn new_with_policy(
        scope: &mut Scope<'_>,
        id: &str,
        props: BucketProps,
        statements_for: impl FnOnce(&BucketArn) -> Vec<Statement>,
    ) -> Result<Bucket> {
        let mut scope = scope.construct(id, "Bucket")?;
        if let (Some(t), Some(e)) = (props.glacier_transition_days, props.expiration_days) {
            if t >= e {
                return Err(scope.invalid(
                    "glacier_transition_days",
                    format!("objects would move to Glacier after {t} days but expire after {e}"),
                    "transition before expiry, or drop the transition",
                ));
            }
        }
        if props.receives_access_logs && props.encryption != BucketEncryption::S3Managed {
            return Err(scope.invalid(
                "receives_access_logs",
                "S3 server access logs can only be delivered to an SSE-S3 bucket",
                "use `BucketEncryption::S3Managed` for the access-log bucket",
            ));
        }
        if props.expiration_days == Some(0) || props.noncurrent_version_expiration_days == 0 {
            return Err(scope.invalid(
                "expiration_days",
                "0 days would delete objects at once",
                "use at least 1 day",
            ));
        }
        let by_default = match &props.encryption {
            BucketEncryption::S3Managed => bucket::ServerSideEncryptionByDefault::new(
                bucket::ServerSideEncryptionByDefaultSseAlgorithm::Aes256,
            ),
            BucketEncryption::Kms(key) => bucket::ServerSideEncryptionByDefault {
                kms_master_key_id: Some(key.into()),
                ..bucket::ServerSideEncryptionByDefault::new(
                    bucket::ServerSideEncryptionByDefaultSseAlgorithm::AwsKms,
                )
            },
        };
        let rule = bucket::Rule {
            id: Some("Retention".into()),
            abort_incomplete_multipart_upload: Some(bucket::AbortIncompleteMultipartUpload::new(7)),
            expiration_in_days: props.expiration_days.map(Into::into),
            noncurrent_version_expiration: Some(bucket::NoncurrentVersionExpiration::new(
                props.noncurrent_version_expiration_days,
            )),
            transitions: props.glacier_transition_days.map(|d| {
                vec![bucket::Transition {
                    transition_in_days: Some(d.into()),
                    ..bucket::Transition::new(bucket::TransitionStorageClass::Glacier)
                }]
            }),
            ..bucket::Rule::new(bucket::RuleStatus::Enabled)
        };
        let handle = scope.add_with(
            "Resource",
            cfn::Bucket {
                bucket_encryption: Some(bucket::BucketEncryption::new(vec![
                    bucket::ServerSideEncryptionRule {
                        bucket_key_enabled: matches!(props.encryption, BucketEncryption::Kms(_))
                            .then(|| true.into()),
                        server_side_encryption_by_default: Some(by_default),
                        ..Default::default()
                    },
                ])),
                public_access_block_configuration: Some(bucket::PublicAccessBlockConfiguration {
                    block_public_acls: Some(true.into()),
                    block_public_policy: Some(true.into()),
                    ignore_public_acls: Some(true.into()),
                    restrict_public_buckets: Some(true.into()),
                }),
                ownership_controls: Some(bucket::OwnershipControls::new(vec![
                    bucket::OwnershipControlsRule {
                        object_ownership: Some(bucket::ObjectOwnership::BucketOwnerEnforced),
                    },
                ])),
                versioning_configuration: Some(bucket::VersioningConfiguration::new(
                    bucket::Status::Enabled,
                )),
                lifecycle_configuration: Some(bucket::LifecycleConfiguration::new(vec![rule])),
                logging_configuration: props.access_logging.map(|l| bucket::LoggingConfiguration {
                    destination_bucket_name: Some(l.bucket.into()),
                    log_file_prefix: Some(l.prefix.into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ResourceOptions::removal(props.removal_policy),
        )?;
        let arn = BucketArn::from_expr(handle.arn());
        let objects = Expr::concat([Expr::from(&arn), Expr::str("/*")]);
        let mut statements = vec![
            Statement::deny(["s3:*"], [Expr::from(&arn), objects.clone()])
                .sid("DenyInsecureTransport")
                .principal(Principal::Any)
                // A JSON boolean: the `Bool` operator compares booleans (IAM JSON policy
                // elements: Condition operators, Boolean condition operators).
                .condition("Bool", "aws:SecureTransport", false),
        ];
        if props.receives_access_logs {
            statements.push(
                Statement::allow(["s3:PutObject"], [objects])
                    .sid("S3ServerAccessLogsDelivery")
                    .principal(Principal::service("logging.s3.amazonaws.com"))
                    .condition("StringEquals", "aws:SourceAccount", Expr::account_id()),
            );
        }
        statements.extend(props.policy_statements);
        let own = statements_for(&arn);
        statements.extend(own);
        let policy = PolicyDocument::new(statements);
        policy.check_resource_policy(scope.path())?;
        let policy = scope.add(
            "Policy",
            cfn::BucketPolicy::new(BucketName::from_expr(handle.ref_()), policy.to_expr()),
        )?;
        Ok(Bucket { handle, policy })
    }

    /// The bucket name.
    pub fn name(&self) -> BucketName {
        BucketName::from_expr(self.handle.ref_())
    }

    /// The bucket ARN.
    pub fn arn(&self) -> BucketArn {
        BucketArn::from_expr(self.handle.arn())
    }

    /// The underlying resource.
    pub fn handle(&self) -> &ResourceHandle<cfn::Bucket> {
        &self.handle
    }

    /// The bucket policy, for resources that must wait for it (`DependsOn`): a service
    /// that checks its permissions when it is configured, such as CloudTrail or a load
    /// balancer delivering access logs.
    pub fn policy(&self) -> &ResourceHandle<cfn::BucketPolicy> {
        &self.policy
    }
}
