//! The built-in rules: the Guard files embedded in the binary and the table of rule ids with
//! their file, severity, whether they can be suppressed, and what they require.

/// Where a rule file is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvalScope {
    /// On each template alone (with cross-stack references of its environment resolved).
    Template,
    /// Once on all templates of an environment together (a folder with a manifest, or a
    /// single file for `check PATH`).
    Environment,
}

/// A built-in Guard rule file.
#[derive(Debug)]
pub struct BuiltinFile {
    /// File name under `rules/`.
    pub name: &'static str,
    /// The Guard source.
    pub source: &'static str,
    /// Where it is evaluated.
    pub scope: EvalScope,
}

/// The built-in rule files, in evaluation order.
pub static BUILTIN_FILES: &[BuiltinFile] = &[
    file("rds.guard", include_str!("../../rules/rds.guard")),
    file("secrets.guard", include_str!("../../rules/secrets.guard")),
    file("ecr.guard", include_str!("../../rules/ecr.guard")),
    file("ecs.guard", include_str!("../../rules/ecs.guard")),
    file("network.guard", include_str!("../../rules/network.guard")),
    file("alb.guard", include_str!("../../rules/alb.guard")),
    file("sqs.guard", include_str!("../../rules/sqs.guard")),
    file("waf.guard", include_str!("../../rules/waf.guard")),
    file("iam.guard", include_str!("../../rules/iam.guard")),
    file(
        "cloudtrail.guard",
        include_str!("../../rules/cloudtrail.guard"),
    ),
    file("s3.guard", include_str!("../../rules/s3.guard")),
    file("logging.guard", include_str!("../../rules/logging.guard")),
    file("kms.guard", include_str!("../../rules/kms.guard")),
    BuiltinFile {
        name: "backup.guard",
        source: include_str!("../../rules/backup.guard"),
        scope: EvalScope::Environment,
    },
];

const fn file(name: &'static str, source: &'static str) -> BuiltinFile {
    BuiltinFile {
        name,
        source,
        scope: EvalScope::Template,
    }
}

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
    }
}

use Severity::{Critical, High, Medium};

/// Every built-in rule, grouped by file.
pub static RULES: &[RuleInfo] = &[
    rule("RDS_STORAGE_ENCRYPTED", "rds.guard", Critical,
        "RDS DB instances encrypt storage with a KMS key (StorageEncrypted, KmsKeyId)",
        "set StorageEncrypted: true and KmsKeyId to a customer-managed KMS key"),
    rule("RDS_NOT_PUBLIC", "rds.guard", Critical,
        "RDS DB instances are not publicly accessible",
        "set PubliclyAccessible: false and place the instance in private subnets"),
    rule("RDS_TLS_ENFORCED", "rds.guard", High,
        "RDS DB instances use a parameter group of the template that forces TLS (rds.force_ssl=1 / require_secure_transport=ON)",
        "set DBParameterGroupName to an AWS::RDS::DBParameterGroup of the template (Ref) whose Parameters set rds.force_ssl: \"1\" (PostgreSQL) or require_secure_transport: \"ON\" (MySQL, MariaDB)"),
    rule("RDS_IAM_AUTH", "rds.guard", High,
        "RDS DB instances enable IAM database authentication",
        "set EnableIAMDatabaseAuthentication: true"),
    rule("RDS_IN_PRIVATE_SUBNETS", "rds.guard", High,
        "RDS DB instances are placed in a DB subnet group",
        "set DBSubnetGroupName to a subnet group of private or isolated subnets"),
    rule("RDS_BACKUP_RETENTION", "rds.guard", High,
        "RDS automated backups are kept at least 7 days",
        "set BackupRetentionPeriod to 7 or more"),
    rule("RDS_DELETION_PROTECTION", "rds.guard", Medium,
        "RDS DB instances have deletion protection",
        "set DeletionProtection: true"),
    rule("RDS_NO_LITERAL_PASSWORD", "rds.guard", High,
        "RDS master passwords are managed by Secrets Manager, never literals",
        "set ManageMasterUserPassword: true, or use a {{resolve:secretsmanager:...}} reference"),
    rule("SECRETS_NO_LITERAL_VALUE", "secrets.guard", High,
        "Secrets Manager secrets have no literal SecretString",
        "use GenerateSecretString, or create the secret empty and put the value after deployment"),
    rule("SECRETS_KMS_ENCRYPTED", "secrets.guard", Medium,
        "Secrets Manager secrets are encrypted with a customer-managed KMS key",
        "set KmsKeyId"),
    rule("ECR_SCAN_ON_PUSH", "ecr.guard", High,
        "ECR repositories scan images on push",
        "set ImageScanningConfiguration: {ScanOnPush: true}"),
    rule("ECR_IMMUTABLE_TAGS", "ecr.guard", Medium,
        "ECR repositories have immutable tags",
        "set ImageTagMutability: IMMUTABLE"),
    rule("ECR_KMS_ENCRYPTED", "ecr.guard", Medium,
        "ECR repositories are encrypted with KMS",
        "set EncryptionConfiguration: {EncryptionType: KMS, KmsKey: <key ARN>}"),
    rule("ECS_NON_ROOT_USER", "ecs.guard", High,
        "ECS containers run as a non-root User",
        "set User on every container to a non-root uid, e.g. \"1000:1000\""),
    rule("ECS_READONLY_ROOT_FS", "ecs.guard", High,
        "ECS containers have a read-only root filesystem",
        "set ReadonlyRootFilesystem: true on every container"),
    rule("ECS_NOT_PRIVILEGED", "ecs.guard", High,
        "ECS containers are not privileged",
        "remove Privileged or set it to false"),
    rule("ECS_RESOURCE_LIMITS", "ecs.guard", High,
        "ECS tasks set Cpu and Memory, and every container Memory or MemoryReservation",
        "set Cpu and Memory on the task definition and Memory or MemoryReservation on every container"),
    rule("SG_NO_PUBLIC_INGRESS", "network.guard", High,
        "no security group ingress from 0.0.0.0/0 or ::/0 except TCP 80/443 on a load balancer's group",
        "open only TCP 80 or 443 to the internet, only on a group listed in a load balancer's SecurityGroups; use source security groups elsewhere"),
    rule("ALB_TLS12_POLICY", "alb.guard", High,
        "HTTPS/TLS listeners use a TLS 1.2+ SslPolicy",
        "set SslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06 (or another policy listed in rules/alb.guard)"),
    rule("ALB_HTTP_REDIRECTS_TO_HTTPS", "alb.guard", High,
        "HTTP listeners only redirect to HTTPS",
        "make the HTTP listener's only default action a redirect with RedirectConfig.Protocol: HTTPS"),
    rule("ALB_WAF_ATTACHED", "alb.guard", High,
        "internet-facing application load balancers have a WAFv2 web ACL association",
        "add an AWS::WAFv2::WebACLAssociation with ResourceArn = the load balancer"),
    rule("ALB_DROP_INVALID_HEADERS", "alb.guard", Medium,
        "application load balancers drop invalid header fields",
        "add LoadBalancerAttributes {Key: routing.http.drop_invalid_header_fields.enabled, Value: \"true\"}"),
    rule("ALB_INTERNAL_SCHEME", "alb.guard", Critical,
        "load balancers declared internal (Metadata.\"stackforge:intent\".Scheme) are not internet-facing",
        "set Scheme: internal and place the load balancer in private subnets"),
    rule("ALB_OIDC_SECRET_REFERENCE", "alb.guard", High,
        "OIDC authentication actions of listeners and listener rules take the client secret from Secrets Manager, never a literal",
        "set ClientSecret to a {{resolve:secretsmanager:ARN:SecretString:KEY}} dynamic reference"),
    rule("SQS_KMS_ENCRYPTED", "sqs.guard", High,
        "SQS queues are encrypted with a customer-managed KMS key",
        "set KmsMasterKeyId"),
    rule("SQS_TLS_ONLY", "sqs.guard", High,
        "SQS queues have a queue policy denying requests without TLS",
        "add an AWS::SQS::QueuePolicy for the queue with a Deny statement on Condition {Bool: {aws:SecureTransport: \"false\"}}"),
    rule("SQS_DEAD_LETTER_QUEUE", "sqs.guard", Medium,
        "SQS queues have a dead-letter queue (RedrivePolicy), unless they are one",
        "set RedrivePolicy {deadLetterTargetArn, maxReceiveCount} as an object"),
    rule("WAF_RATE_LIMIT_RULE", "waf.guard", High,
        "WAFv2 web ACLs have a rate-based rule",
        "add a rule with a RateBasedStatement (e.g. Limit: 2000, AggregateKeyType: IP) and Action: {Block: {}}"),
    rule("IAM_NO_ADMIN_ACTION", "iam.guard", Critical,
        "no Allow statement grants \"*\", \"*:*\" or \"iam:*\" (identity and resource policies)",
        "list the actions the principal needs"),
    rule("IAM_NO_SERVICE_WILDCARD", "iam.guard", Medium,
        "no Allow statement of an identity policy grants a whole service (\"s3:*\")",
        "list the actions the principal needs"),
    rule("IAM_NO_WILDCARD_RESOURCE", "iam.guard", High,
        "no Allow statement of an identity policy has Resource \"*\", except actions that require it",
        "name the resources; only the actions listed in rules/iam.guard may use Resource \"*\""),
    rule("CLOUDTRAIL_MULTI_REGION", "cloudtrail.guard", High,
        "CloudTrail trails are multi-region",
        "set IsMultiRegionTrail: true"),
    rule("CLOUDTRAIL_LOG_VALIDATION", "cloudtrail.guard", High,
        "CloudTrail trails validate log files",
        "set EnableLogFileValidation: true"),
    rule("CLOUDTRAIL_KMS_ENCRYPTED", "cloudtrail.guard", High,
        "CloudTrail trails encrypt logs with KMS",
        "set KMSKeyId"),
    rule("CLOUDTRAIL_LOGGING", "cloudtrail.guard", High,
        "CloudTrail trails are logging",
        "set IsLogging: true"),
    rule("S3_ENCRYPTED", "s3.guard", Critical,
        "S3 buckets have default encryption (BucketEncryption)",
        "set BucketEncryption with SSEAlgorithm aws:kms and a KMSMasterKeyID"),
    rule("S3_PUBLIC_ACCESS_BLOCKED", "s3.guard", High,
        "S3 buckets block public access (all four flags)",
        "set PublicAccessBlockConfiguration with BlockPublicAcls, BlockPublicPolicy, IgnorePublicAcls and RestrictPublicBuckets true"),
    rule("S3_TLS_ONLY", "s3.guard", High,
        "S3 buckets have a bucket policy denying requests without TLS",
        "add an AWS::S3::BucketPolicy for the bucket with a Deny statement on Condition {Bool: {aws:SecureTransport: \"false\"}}"),
    rule("LOGS_ENCRYPTED", "logging.guard", Critical,
        "CloudWatch log groups are encrypted with KMS",
        "set KmsKeyId"),
    rule("LOGS_RETENTION", "logging.guard", Medium,
        "CloudWatch log groups set a retention",
        "set RetentionInDays"),
    rule("SNS_ENCRYPTED", "logging.guard", High,
        "SNS topics are encrypted with KMS",
        "set KmsMasterKeyId"),
    rule("KMS_KEY_ROTATION", "kms.guard", High,
        "symmetric KMS keys rotate",
        "set EnableKeyRotation: true"),
    rule("BACKUP_DB_COVERED", "backup.guard", High,
        "every RDS DB instance is in an AWS Backup selection (checked per environment)",
        "add an AWS::Backup::BackupSelection whose Resources list the instance's ARN"),
    rule("BACKUP_PLAN_EXISTS", "backup.guard", High,
        "an environment with an RDS DB instance has an AWS Backup plan",
        "add an AWS::Backup::BackupPlan with a selection covering the instance"),
    rule("BACKUP_VAULT_ENCRYPTED", "backup.guard", Medium,
        "AWS Backup vaults are encrypted with a customer-managed KMS key",
        "set EncryptionKeyArn"),
];

/// The built-in rule `id`, if any.
pub fn rule_info(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

/// The names of the rules a Guard file declares (`rule NAME`), in order, without duplicates.
/// A light scan, good enough to attribute a reported rule name to its file.
pub fn declared_rules(source: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for line in source.lines() {
        let Some(rest) = line.trim_start().strip_prefix("rule") else {
            continue;
        };
        if !rest.starts_with(char::is_whitespace) {
            continue;
        }
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The resource types a Guard file can see, when every query of `Resources` in it starts
/// with a type filter (`Resources.*[ Type == 'T'` or `Type in ['T', ...]`, not or-ed with
/// anything): resources of other types cannot affect it, so they need not be evaluated.
/// None when the file reads `Resources` any other way.
pub fn resource_types(source: &str) -> Option<std::collections::HashSet<String>> {
    let code: Vec<&str> = source
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    let mut code = code.join("\n");
    // Messages are free text.
    while let Some(start) = code.find("<<") {
        let end = code[start..]
            .find(">>")
            .map_or(code.len(), |e| start + e + 2);
        code.replace_range(start..end, " ");
    }
    let mut types = std::collections::HashSet::new();
    for (i, _) in code.match_indices("Resources") {
        let before = code[..i].chars().next_back();
        // `Properties.X.Resources`, `%Resources`, `"...Resources"`: not the template root.
        if before.is_some_and(|c| c.is_alphanumeric() || "_.%'\"".contains(c)) {
            continue;
        }
        let rest = code[i + "Resources".len()..].strip_prefix(".*[")?;
        let rest = rest.trim_start().strip_prefix("Type")?.trim_start();
        let rest = if let Some(rhs) = rest.strip_prefix("==") {
            let (t, rest) = quoted(rhs.trim_start())?;
            types.insert(t.to_owned());
            rest
        } else {
            let rhs = rest
                .strip_prefix("in")
                .or_else(|| rest.strip_prefix("IN"))?
                .trim_start()
                .strip_prefix('[')?;
            let mut rhs = rhs.trim_start();
            loop {
                let (t, after) = quoted(rhs)?;
                types.insert(t.to_owned());
                let after = after.trim_start();
                if let Some(after) = after.strip_prefix(',') {
                    rhs = after.trim_start();
                } else {
                    break after.strip_prefix(']')?;
                }
            }
        };
        let next = rest.trim_start_matches([' ', '\t']);
        if next.starts_with("or") || next.starts_with("OR") || next.starts_with('|') {
            return None;
        }
    }
    (!types.is_empty()).then_some(types)
}

/// A leading quoted string and what follows it.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let end = s[1..].find(quote)? + 1;
    Some((&s[1..end], &s[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_and_the_guard_files_declare_the_same_rules() {
        let mut declared = Vec::new();
        for f in BUILTIN_FILES {
            for name in declared_rules(f.source) {
                let info = rule_info(&name)
                    .unwrap_or_else(|| panic!("{} declares {name}, missing from RULES", f.name));
                assert_eq!(info.file, f.name, "{name} is declared in {}", f.name);
                declared.push(name);
            }
        }
        for r in RULES {
            assert!(declared.iter().any(|d| d == r.id), "{} is in no file", r.id);
        }
    }

    #[test]
    fn rule_ids_are_upper_snake_case_and_unique() {
        for (i, r) in RULES.iter().enumerate() {
            assert!(r
                .id
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'));
            assert!(RULES[..i].iter().all(|o| o.id != r.id), "{} twice", r.id);
        }
    }

    #[test]
    fn suppressible_rules_carry_the_suppression_filter_and_the_others_do_not() {
        for r in RULES {
            let file = BUILTIN_FILES.iter().find(|f| f.name == r.file).unwrap();
            let filter = format!("Metadata.guard.SuppressedRules.* != \"{}\"", r.id);
            assert_eq!(
                file.source.contains(&filter),
                r.suppressible,
                "{}: suppression filter present = {}",
                r.id,
                !r.suppressible
            );
        }
    }

    #[test]
    fn the_rules_readme_lists_every_rule() {
        let readme = include_str!("../../rules/README.md");
        for r in RULES {
            let row = format!(
                "| `{}` | {} | {} | {} |",
                r.id,
                r.file,
                r.severity.as_str(),
                if r.suppressible { "yes" } else { "no" }
            );
            assert!(readme.contains(&row), "rules/README.md lacks {row}");
        }
    }

    #[test]
    fn every_builtin_file_is_reduced_to_the_types_it_names() {
        for f in BUILTIN_FILES {
            let types = resource_types(f.source).unwrap_or_else(|| panic!("{}", f.name));
            assert!(
                types.iter().all(|t| t.starts_with("AWS::")),
                "{}: {types:?}",
                f.name
            );
        }
        let rds = resource_types(BUILTIN_FILES[0].source).unwrap();
        let mut rds: Vec<&str> = rds.iter().map(String::as_str).collect();
        rds.sort();
        assert_eq!(
            rds,
            vec!["AWS::RDS::DBInstance", "AWS::RDS::DBParameterGroup"]
        );
    }

    #[test]
    fn resource_types_needs_a_type_filter_on_every_query() {
        let scoped = "let a = Resources.*[ Type == 'AWS::S3::Bucket' ] <<see Resources>>\nlet b = Resources.*[\n  Type in [\"AWS::SNS::Topic\", 'AWS::SQS::Queue']\n  Properties exists\n]\n# Resources.%x\nrule R { %a.Properties.BackupSelection.Resources exists }";
        let types = resource_types(scoped).unwrap();
        assert_eq!(types.len(), 3);
        for unscoped in [
            "rule R { Resources.*.Type exists }",
            "let x = Resources.%names",
            "let x = Resources.*[ Type != 'AWS::S3::Bucket' ]",
            "let x = Resources.*[ Type == 'AWS::S3::Bucket' or Properties.Public == true ]",
            "let x = Resources.*[ Type == /Bucket/ ]",
            "let x = Resources[ keys == /A/ ]",
            "rule R { Parameters exists }",
        ] {
            assert_eq!(resource_types(unscoped), None, "{unscoped}");
        }
    }

    #[test]
    fn declared_rules_reads_rule_names() {
        let src =
            "# rule NOPE\nrule A_B when %x !empty {\n}\n  rule C {\n}\nruler D {}\nrule A_B {}";
        assert_eq!(declared_rules(src), vec!["A_B", "C"]);
    }
}
