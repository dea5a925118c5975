//! Policy rule ids: the table of built-in rules (id, severity, whether it can be suppressed,
//! what it requires and how to fix it), and [`RuleId`], the checked id a suppression names.
//! The rules themselves are cfn-guard files the CLI embeds; their ids live here so that a
//! suppression naming an unknown rule is an error where it is declared.

use std::fmt;
use std::sync::Arc;

/// How serious a violation is. Every violation fails the gate; severity orders the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Data exposure or privilege escalation: cannot be suppressed.
    Critical,
    /// A guide item is missing.
    High,
    /// Defence in depth.
    Medium,
    /// A rule from `--rules DIR`.
    Custom,
}

impl Severity {
    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Custom => "custom",
        }
    }
}

/// One built-in rule.
#[derive(Debug)]
pub struct RuleInfo {
    /// The stable id (`RDS_STORAGE_ENCRYPTED`), also the Guard rule name.
    pub id: &'static str,
    /// The file under `rules/` that defines it.
    pub file: &'static str,
    /// How serious a violation is.
    pub severity: Severity,
    /// Whether `scope.suppress(id, reason)` may waive it.
    pub suppressible: bool,
    /// What the rule requires, in one line.
    pub description: &'static str,
    /// How to fix a violation; reported when a failed clause has no message of its own.
    pub fix: &'static str,
    /// The construct or method of `stackforge_constructs::aws` that satisfies the rule, when
    /// there is one (`BackupPlan::new(...)`); findings name it after the fix. Default: none.
    pub fixed_by: Option<&'static str>,
}

impl RuleInfo {
    /// Names the construct or method that satisfies the rule.
    const fn fixed_by(self, fixed_by: &'static str) -> RuleInfo {
        RuleInfo {
            fixed_by: Some(fixed_by),
            ..self
        }
    }
}

const fn rule(
    id: &'static str,
    file: &'static str,
    severity: Severity,
    description: &'static str,
    fix: &'static str,
) -> RuleInfo {
    RuleInfo {
        id,
        file,
        severity,
        suppressible: !matches!(severity, Severity::Critical),
        description,
        fix,
        fixed_by: None,
    }
}

const RDS: &str = "`RdsEncrypted` (aws::rds), which always sets this";
const RDS_BACKUPS: &str =
    "`RdsEncrypted` (aws::rds) with `RdsEncryptedProps::backup_retention_days` of 7 or more";
const SECRET: &str = "`Secret` (aws::secretsmanager): a generated value under its own KMS key";
const ECR: &str = "`Repository` (aws::ecr), or `LoadBalancedFargateService` (aws::ecs_patterns), which creates one";
const ECS: &str = "`FargateTaskDefinition` (aws::ecs), which always sets this, or a pattern built on it (`LoadBalancedFargateService`, `QueueProcessingFargateService`)";
const ALB: &str = "`ApplicationLoadBalancer` and `HttpsListener` (aws::elbv2), which always do this, or `LoadBalancedFargateService` (aws::ecs_patterns)";
const INTERNAL_ALB: &str =
    "`ApplicationLoadBalancer` (aws::elbv2) with its default internal scheme, which records the intent and sets it";
const OIDC: &str = "`OidcProps` (aws::elbv2) with the client secret as a `SecretRef`";
const QUEUE: &str = "`Queue` (aws::sqs): KMS key, TLS-only policy and a dead-letter queue always";
const IAM: &str = "`Statement` (aws::iam) naming actions and resources, or a construct's grant (`secret.grant_read(..)`, `db.grant_connect(..)`)";
const TRAIL: &str = "`Trail` (aws::cloudtrail)";
const BUCKET: &str = "`Bucket` (aws::s3)";
const LOGS: &str = "`LogGroup` (aws::logs)";
const BACKUP: &str =
    "`BackupPlan::new(scope, \"Backup\", [db.arn()], BackupPlanProps::default())` (aws::backup)";

use Severity::{Critical, High, Medium};

/// Every built-in rule, grouped by file.
pub static RULES: &[RuleInfo] = &[
    rule("RDS_STORAGE_ENCRYPTED", "rds.guard", Critical,
        "RDS DB instances encrypt storage with a KMS key (StorageEncrypted, KmsKeyId)",
        "set StorageEncrypted: true and KmsKeyId to a customer-managed KMS key")
        .fixed_by(RDS),
    rule("RDS_NOT_PUBLIC", "rds.guard", Critical,
        "RDS DB instances are not publicly accessible",
        "set PubliclyAccessible: false and place the instance in private subnets")
        .fixed_by(RDS),
    rule("RDS_TLS_ENFORCED", "rds.guard", High,
        "RDS DB instances use a parameter group of the template that forces TLS (rds.force_ssl=1 / require_secure_transport=ON)",
        "set DBParameterGroupName to an AWS::RDS::DBParameterGroup of the template (Ref) whose Parameters set rds.force_ssl: \"1\" (PostgreSQL) or require_secure_transport: \"ON\" (MySQL, MariaDB)")
        .fixed_by(RDS),
    rule("RDS_IAM_AUTH", "rds.guard", High,
        "RDS DB instances enable IAM database authentication",
        "set EnableIAMDatabaseAuthentication: true")
        .fixed_by(RDS),
    rule("RDS_IN_PRIVATE_SUBNETS", "rds.guard", High,
        "RDS DB instances are placed in a DB subnet group",
        "set DBSubnetGroupName to a subnet group of private or isolated subnets")
        .fixed_by(RDS),
    rule("RDS_BACKUP_RETENTION", "rds.guard", High,
        "RDS automated backups are kept at least 7 days",
        "set BackupRetentionPeriod to 7 or more")
        .fixed_by(RDS_BACKUPS),
    rule("RDS_DELETION_PROTECTION", "rds.guard", Medium,
        "RDS DB instances have deletion protection",
        "set DeletionProtection: true")
        .fixed_by(RDS),
    rule("RDS_NO_LITERAL_PASSWORD", "rds.guard", High,
        "RDS master passwords are managed by Secrets Manager, never literals",
        "set ManageMasterUserPassword: true, or use a {{resolve:secretsmanager:...}} reference")
        .fixed_by(RDS),
    rule("SECRETS_NO_LITERAL_VALUE", "secrets.guard", High,
        "Secrets Manager secrets have no literal SecretString",
        "use GenerateSecretString, or create the secret empty and put the value after deployment")
        .fixed_by(SECRET),
    rule("SECRETS_KMS_ENCRYPTED", "secrets.guard", Medium,
        "Secrets Manager secrets are encrypted with a customer-managed KMS key",
        "set KmsKeyId")
        .fixed_by(SECRET),
    rule("ECR_SCAN_ON_PUSH", "ecr.guard", High,
        "ECR repositories scan images on push",
        "set ImageScanningConfiguration: {ScanOnPush: true}")
        .fixed_by(ECR),
    rule("ECR_IMMUTABLE_TAGS", "ecr.guard", Medium,
        "ECR repositories have immutable tags",
        "set ImageTagMutability: IMMUTABLE")
        .fixed_by(ECR),
    rule("ECR_KMS_ENCRYPTED", "ecr.guard", Medium,
        "ECR repositories are encrypted with KMS",
        "set EncryptionConfiguration: {EncryptionType: KMS, KmsKey: <key ARN>}")
        .fixed_by(ECR),
    rule("ECS_NON_ROOT_USER", "ecs.guard", High,
        "ECS containers run as a non-root User",
        "set User on every container to a non-root uid, e.g. \"1000:1000\"")
        .fixed_by(ECS),
    rule("ECS_READONLY_ROOT_FS", "ecs.guard", High,
        "ECS containers have a read-only root filesystem",
        "set ReadonlyRootFilesystem: true on every container")
        .fixed_by(ECS),
    rule("ECS_NOT_PRIVILEGED", "ecs.guard", High,
        "ECS containers are not privileged",
        "remove Privileged or set it to false")
        .fixed_by(ECS),
    rule("ECS_RESOURCE_LIMITS", "ecs.guard", High,
        "ECS tasks set Cpu and Memory, and every container Memory or MemoryReservation",
        "set Cpu and Memory on the task definition and Memory or MemoryReservation on every container")
        .fixed_by(ECS),
    rule("SG_NO_PUBLIC_INGRESS", "network.guard", High,
        "no security group ingress from 0.0.0.0/0 or ::/0 except TCP 80/443 on a load balancer's group",
        "open only TCP 80 or 443 to the internet, only on a group listed in a load balancer's SecurityGroups; use source security groups elsewhere")
        .fixed_by("`SecurityGroup::allow_from` (aws::ec2) with a source group, or `db.allow_from(scope, id, &service)`"),
    rule("ALB_TLS12_POLICY", "alb.guard", High,
        "HTTPS/TLS listeners use a TLS 1.2+ SslPolicy",
        "set SslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06 (or another policy listed in rules/alb.guard)")
        .fixed_by(ALB),
    rule("ALB_HTTP_REDIRECTS_TO_HTTPS", "alb.guard", High,
        "HTTP listeners only redirect to HTTPS",
        "make the HTTP listener's only default action a redirect with RedirectConfig.Protocol: HTTPS")
        .fixed_by(ALB),
    rule("ALB_WAF_ATTACHED", "alb.guard", High,
        "internet-facing application load balancers have a WAFv2 web ACL association",
        "add an AWS::WAFv2::WebACLAssociation with ResourceArn = the load balancer")
        .fixed_by(ALB),
    rule("ALB_DROP_INVALID_HEADERS", "alb.guard", Medium,
        "application load balancers drop invalid header fields",
        "add LoadBalancerAttributes {Key: routing.http.drop_invalid_header_fields.enabled, Value: \"true\"}")
        .fixed_by(ALB),
    rule("ALB_INTERNAL_SCHEME", "alb.guard", Critical,
        "load balancers declared internal (Metadata.\"stackforge:intent\".Scheme) are not internet-facing",
        "set Scheme: internal and place the load balancer in private subnets")
        .fixed_by(INTERNAL_ALB),
    rule("ALB_OIDC_SECRET_REFERENCE", "alb.guard", High,
        "OIDC authentication actions of listeners and listener rules take the client secret from Secrets Manager, never a literal",
        "set ClientSecret to a {{resolve:secretsmanager:ARN:SecretString:KEY}} dynamic reference")
        .fixed_by(OIDC),
    rule("SQS_KMS_ENCRYPTED", "sqs.guard", High,
        "SQS queues are encrypted with a customer-managed KMS key",
        "set KmsMasterKeyId")
        .fixed_by(QUEUE),
    rule("SQS_TLS_ONLY", "sqs.guard", High,
        "SQS queues have a queue policy denying requests without TLS",
        "add an AWS::SQS::QueuePolicy for the queue with a Deny statement on Condition {Bool: {aws:SecureTransport: false}}")
        .fixed_by(QUEUE),
    rule("SQS_DEAD_LETTER_QUEUE", "sqs.guard", Medium,
        "SQS queues have a dead-letter queue (RedrivePolicy), unless they are one",
        "set RedrivePolicy {deadLetterTargetArn, maxReceiveCount} as an object")
        .fixed_by(QUEUE),
    rule("WAF_RATE_LIMIT_RULE", "waf.guard", High,
        "WAFv2 web ACLs have a rate-based rule",
        "add a rule with a RateBasedStatement (e.g. Limit: 2000, AggregateKeyType: IP) and Action: {Block: {}}")
        .fixed_by("`WebAcl` (aws::wafv2), which `ApplicationLoadBalancer` attaches when internet-facing"),
    rule("WAF_LOGGING_ENABLED", "waf.guard", Medium,
        "WAFv2 web ACLs have a logging configuration",
        "add an AWS::WAFv2::LoggingConfiguration with ResourceArn = the web ACL, to a KMS-encrypted aws-waf-logs-* log group")
        .fixed_by("`WebAcl` (aws::wafv2), which logs blocked and counted requests to an aws-waf-logs-* log group"),
    rule("ECS_NO_DESIRED_COUNT_WITH_SCALING", "ecs.guard", Medium,
        "ECS services managed by a scalable target set no DesiredCount",
        "remove DesiredCount; autoscaling owns the count")
        .fixed_by(ECS),
    rule("ALB_ACCESS_LOG_PRINCIPAL", "s3.guard", High,
        "bucket policies do not grant access logs only to the log delivery service (regions before August 2022 need the regional ELB account)",
        "choose the principal per region: a mapping of the regional ELB accounts and Fn::If")
        .fixed_by(ALB),
    rule("SECURE_TRANSPORT_BOOLEAN", "s3.guard", Medium,
        "aws:SecureTransport conditions of bucket, topic and queue policies compare a JSON boolean",
        "write Condition: {Bool: {aws:SecureTransport: false}}")
        .fixed_by("`Bucket` (aws::s3), `Topic` (aws::sns) or `Queue` (aws::sqs), whose TLS-only statements do"),
    rule("IAM_NO_ADMIN_ACTION", "iam.guard", Critical,
        "no Allow statement grants \"*\", \"*:*\" or \"iam:*\" (identity and resource policies)",
        "list the actions the principal needs")
        .fixed_by(IAM),
    rule("IAM_NO_SERVICE_WILDCARD", "iam.guard", Medium,
        "no Allow statement of an identity policy grants a whole service (\"s3:*\")",
        "list the actions the principal needs")
        .fixed_by(IAM),
    rule("IAM_NO_WILDCARD_RESOURCE", "iam.guard", High,
        "no Allow statement of an identity policy has Resource \"*\", except actions that require it",
        "name the resources; only the actions listed in rules/iam.guard may use Resource \"*\"")
        .fixed_by(IAM),
    rule("CLOUDTRAIL_MULTI_REGION", "cloudtrail.guard", High,
        "CloudTrail trails are multi-region",
        "set IsMultiRegionTrail: true")
        .fixed_by(TRAIL),
    rule("CLOUDTRAIL_LOG_VALIDATION", "cloudtrail.guard", High,
        "CloudTrail trails validate log files",
        "set EnableLogFileValidation: true")
        .fixed_by(TRAIL),
    rule("CLOUDTRAIL_KMS_ENCRYPTED", "cloudtrail.guard", High,
        "CloudTrail trails encrypt logs with KMS",
        "set KMSKeyId")
        .fixed_by(TRAIL),
    rule("CLOUDTRAIL_LOGGING", "cloudtrail.guard", High,
        "CloudTrail trails are logging",
        "set IsLogging: true")
        .fixed_by(TRAIL),
    rule("S3_ENCRYPTED", "s3.guard", Critical,
        "S3 buckets have default encryption (BucketEncryption)",
        "set BucketEncryption with SSEAlgorithm aws:kms and a KMSMasterKeyID")
        .fixed_by(BUCKET),
    rule("S3_PUBLIC_ACCESS_BLOCKED", "s3.guard", High,
        "S3 buckets block public access (all four flags)",
        "set PublicAccessBlockConfiguration with BlockPublicAcls, BlockPublicPolicy, IgnorePublicAcls and RestrictPublicBuckets true")
        .fixed_by(BUCKET),
    rule("S3_TLS_ONLY", "s3.guard", High,
        "S3 buckets have a bucket policy denying requests without TLS",
        "add an AWS::S3::BucketPolicy for the bucket with a Deny statement on Condition {Bool: {aws:SecureTransport: false}}")
        .fixed_by(BUCKET),
    rule("LOGS_ENCRYPTED", "logging.guard", Critical,
        "CloudWatch log groups are encrypted with KMS",
        "set KmsKeyId")
        .fixed_by(LOGS),
    rule("LOGS_RETENTION", "logging.guard", Medium,
        "CloudWatch log groups set a retention",
        "set RetentionInDays")
        .fixed_by(LOGS),
    rule("SNS_ENCRYPTED", "logging.guard", High,
        "SNS topics are encrypted with KMS",
        "set KmsMasterKeyId")
        .fixed_by("`Topic` (aws::sns)"),
    rule("KMS_KEY_ROTATION", "kms.guard", High,
        "symmetric KMS keys rotate",
        "set EnableKeyRotation: true")
        .fixed_by("`KmsKey` (aws::kms)"),
    rule("BACKUP_DB_COVERED", "backup.guard", High,
        "every RDS DB instance is in an AWS Backup selection (checked per environment)",
        "add an AWS::Backup::BackupSelection whose Resources list the instance's ARN")
        .fixed_by(BACKUP),
    rule("BACKUP_PLAN_EXISTS", "backup.guard", High,
        "an environment with an RDS DB instance has an AWS Backup plan",
        "add an AWS::Backup::BackupPlan with a selection covering the instance")
        .fixed_by(BACKUP),
    rule("BACKUP_VAULT_ENCRYPTED", "backup.guard", Medium,
        "AWS Backup vaults are encrypted with a customer-managed KMS key",
        "set EncryptionKeyArn")
        .fixed_by("`BackupPlan` (aws::backup), whose vault always has its own KMS key"),
];

/// The built-in rule `id`, if any.
pub fn rule_info(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

/// The id of a policy rule, checked: a built-in rule, or a custom rule the app registered
/// ([`crate::App::register_rule`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(Arc<str>);

impl RuleId {
    /// The id of built-in rule `id`, if there is one.
    pub fn builtin(id: &str) -> Option<RuleId> {
        rule_info(id).map(|r| RuleId(r.id.into()))
    }

    /// A custom rule id (one a `--rules` file declares): letters, digits and `_`, starting
    /// with a letter, and not a built-in id.
    pub fn custom(id: &str) -> Result<RuleId, String> {
        let valid = id.starts_with(|c: char| c.is_ascii_alphabetic())
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!(
                "`{id}` is not a rule name: use letters, digits and `_`, starting with a letter"
            ));
        }
        if rule_info(id).is_some() {
            return Err(format!("`{id}` is the id of a built-in rule"));
        }
        Ok(RuleId(id.into()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a suppression may waive this rule (custom rules always can).
    pub fn suppressible(&self) -> bool {
        rule_info(&self.0).is_none_or(|r| r.suppressible)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The built-in ids nearest to `id` (by edit distance), for "did you mean" messages.
pub fn nearest(id: &str, custom: &[RuleId]) -> Vec<String> {
    let mut known: Vec<(usize, String)> = RULES
        .iter()
        .map(|r| r.id.to_owned())
        .chain(custom.iter().map(|r| r.0.to_string()))
        .map(|k| {
            (
                distance(&id.to_ascii_uppercase(), &k.to_ascii_uppercase()),
                k,
            )
        })
        .collect();
    known.sort();
    let best = known.first().map_or(0, |k| k.0);
    known
        .into_iter()
        .take_while(|(d, _)| *d == best && *d <= id.len() / 2 + 1)
        .map(|(_, k)| k)
        .collect()
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_and_custom_ids_are_checked() {
        assert_eq!(
            RuleId::builtin("S3_TLS_ONLY").map(|r| r.to_string()),
            Some("S3_TLS_ONLY".to_owned())
        );
        assert_eq!(RuleId::builtin("S3_TLS_ONYL"), None);
        assert!(RuleId::custom("MY_RULE").is_ok());
        assert!(RuleId::custom("S3_TLS_ONLY")
            .unwrap_err()
            .contains("built-in"));
        assert!(RuleId::custom("my rule").is_err());
        assert!(!RuleId::builtin("RDS_NOT_PUBLIC").unwrap().suppressible());
    }

    /// Every type (`BackupPlan`) and method (`.grant_read(`, `::allow_from`) a rule names as
    /// its fix is declared in `constructs/src/aws/`, so renaming a construct cannot leave a
    /// stale hint.
    #[test]
    fn the_constructs_rules_name_as_fixes_exist() {
        fn sources(dir: &std::path::Path, out: &mut String) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push_str(&std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        let mut aws = String::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../constructs/src/aws"),
            &mut aws,
        );
        let types = regex::Regex::new(r"\b([A-Z][a-z]+[A-Za-z]*)\b").unwrap();
        let methods = regex::Regex::new(r"(?:\.|::)([a-z_]+)\(").unwrap();
        let mut named = 0;
        for rule in RULES {
            let hint = rule
                .fixed_by
                .unwrap_or_else(|| panic!("{} names no fix", rule.id));
            for code in hint.split('`').skip(1).step_by(2) {
                for t in types.captures_iter(code) {
                    let declared = format!("pub struct {}", &t[1]);
                    assert!(aws.contains(&declared), "{}: no `{declared}`", rule.id);
                    named += 1;
                }
                for m in methods.captures_iter(code).filter(|m| &m[1] != "default") {
                    let declared = format!("pub fn {}(", &m[1]);
                    let generic = format!("pub fn {}<", &m[1]);
                    assert!(
                        aws.contains(&declared) || aws.contains(&generic),
                        "{}: no `{declared}`",
                        rule.id
                    );
                    named += 1;
                }
            }
        }
        assert!(named > RULES.len(), "the hints name constructs");
    }

    #[test]
    fn nearest_ids_suggest_the_typo_fix() {
        assert_eq!(nearest("S3_TLS_ONYL", &[]), ["S3_TLS_ONLY"]);
        assert!(nearest("COMPLETELY_DIFFERENT_THING", &[]).is_empty());
    }
}
