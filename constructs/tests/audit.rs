//! Audit and backup: the CloudTrail trail and the AWS Backup plan.

use serde_json::{json, Value};
use stackforge_constructs::aws::backup::{BackupPlan, BackupPlanProps};
use stackforge_constructs::aws::cloudtrail::{ManagementEvents, Trail, TrailProps};
use stackforge_constructs::aws::kms::{KeyService, KmsKey, KmsKeyProps};
use stackforge_constructs::aws::refs::{BucketArn, DbInstanceArn};
use stackforge_constructs::aws::s3::{Bucket, BucketEncryption, BucketProps};
use stackforge_constructs::testing::{synth_error as err, synth_template as synth};
use stackforge_constructs::Expr;

const DB_ARN: &str = "arn:aws:rds:us-east-1:123456789012:db:migration-api";

/// The resources of `type_name`, with their logical IDs.
fn of_type<'a>(t: &'a Value, type_name: &str) -> Vec<(&'a str, &'a Value)> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == type_name)
        .map(|(id, r)| (id.as_str(), r))
        .collect()
}

fn one<'a>(t: &'a Value, type_name: &str) -> (&'a str, &'a Value) {
    let all = of_type(t, type_name);
    assert_eq!(all.len(), 1, "one {type_name} expected");
    all[0]
}

/// The resource whose construct path is `path`.
fn at<'a>(t: &'a Value, path: &str) -> (&'a str, &'a Value) {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, r)| r["Metadata"]["stackforge:path"] == path)
        .map(|(id, r)| (id.as_str(), r))
        .unwrap_or_else(|| panic!("no resource at {path}"))
}

fn statement<'a>(policy: &'a Value, sid: &str) -> &'a Value {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no statement {sid} in {policy}"))
}

fn get_att(id: &str, attribute: &str) -> Value {
    json!({"Fn::GetAtt": [id, attribute]})
}

fn default_trail() -> Value {
    synth("trail", |s| {
        Trail::new(s, "Audit", TrailProps::default())?;
        Ok(())
    })
}

#[test]
fn trail_default_snapshot() {
    insta::assert_json_snapshot!("trail", default_trail());
}

#[test]
fn trail_records_every_region_with_validated_log_files() {
    let t = default_trail();
    let (_, trail) = one(&t, "AWS::CloudTrail::Trail");
    let p = &trail["Properties"];
    assert_eq!(p["IsMultiRegionTrail"], json!(true), "multi-region");
    assert_eq!(p["EnableLogFileValidation"], json!(true), "log validation");
    assert_eq!(p["IsLogging"], json!(true));
    assert_eq!(p["IncludeGlobalServiceEvents"], json!(true));
    assert_eq!(
        p["EventSelectors"],
        json!([{"IncludeManagementEvents": true, "ReadWriteType": "All"}]),
        "all management events, read and write"
    );
    assert!(p.get("TrailName").is_none(), "no physical name by default");
}

#[test]
fn trail_log_files_bucket_and_log_group_are_kms_encrypted() {
    let t = default_trail();
    let (key_id, key) = one(&t, "AWS::KMS::Key");
    let sids: Vec<&str> = key["Properties"]["KeyPolicy"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(
        sids,
        ["AccountAdministers", "CloudTrailUse", "CloudWatchLogsUse"]
    );
    let key_arn = get_att(key_id, "Arn");
    let (_, trail) = one(&t, "AWS::CloudTrail::Trail");
    assert_eq!(trail["Properties"]["KMSKeyId"], key_arn, "trail KMS");
    let (_, bucket) = at(&t, "test/Audit/Bucket/Resource");
    assert_eq!(
        bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0],
        json!({"BucketKeyEnabled": true, "ServerSideEncryptionByDefault": {"KMSMasterKeyID": key_arn, "SSEAlgorithm": "aws:kms"}}),
        "bucket KMS"
    );
    let (_, lg) = one(&t, "AWS::Logs::LogGroup");
    assert_eq!(lg["Properties"]["KmsKeyId"], key_arn, "log group KMS");
    assert_eq!(lg["Properties"]["RetentionInDays"], json!(365));
}

#[test]
fn trail_buckets_are_private_versioned_tls_only_with_lifecycle() {
    let t = default_trail();
    let buckets = of_type(&t, "AWS::S3::Bucket");
    assert_eq!(buckets.len(), 2);
    for (_, b) in &buckets {
        let p = &b["Properties"];
        assert_eq!(
            p["PublicAccessBlockConfiguration"],
            json!({"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true}),
            "public access block"
        );
        assert_eq!(
            p["VersioningConfiguration"],
            json!({"Status": "Enabled"}),
            "versioning"
        );
    }
    for (_, p) in of_type(&t, "AWS::S3::BucketPolicy") {
        let deny = statement(&p["Properties"]["PolicyDocument"], "DenyInsecureTransport");
        assert_eq!(deny["Effect"], json!("Deny"), "deny non-TLS");
        assert_eq!(deny["Principal"], json!("*"));
        assert_eq!(
            deny["Condition"],
            json!({"Bool": {"aws:SecureTransport": false}})
        );
    }
    let (_, bucket) = at(&t, "test/Audit/Bucket/Resource");
    let rule = &bucket["Properties"]["LifecycleConfiguration"]["Rules"][0];
    assert_eq!(
        rule["Transitions"],
        json!([{"StorageClass": "GLACIER", "TransitionInDays": 90}]),
        "Glacier after 90 days"
    );
    assert_eq!(
        rule["ExpirationInDays"],
        json!(365),
        "expiry after retention"
    );
}

#[test]
fn trail_bucket_logs_its_access_to_an_sse_s3_bucket_that_does_not_log() {
    let t = default_trail();
    let (logs_id, logs) = at(&t, "test/Audit/AccessLogs/Resource");
    let (_, bucket) = at(&t, "test/Audit/Bucket/Resource");
    assert_eq!(
        bucket["Properties"]["LoggingConfiguration"],
        json!({"DestinationBucketName": {"Ref": logs_id}, "LogFilePrefix": "trail-bucket/"}),
        "server access logging on the trail bucket"
    );
    assert_eq!(
        logs["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
            ["ServerSideEncryptionByDefault"],
        json!({"SSEAlgorithm": "AES256"})
    );
    assert!(logs["Properties"].get("LoggingConfiguration").is_none());
    let (_, policy) = at(&t, "test/Audit/AccessLogs/Policy");
    let delivery = statement(
        &policy["Properties"]["PolicyDocument"],
        "S3ServerAccessLogsDelivery",
    );
    assert_eq!(
        delivery["Principal"],
        json!({"Service": "logging.s3.amazonaws.com"})
    );
    assert_eq!(delivery["Action"], json!("s3:PutObject"));
    assert_eq!(
        delivery["Condition"],
        json!({"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}})
    );
}

#[test]
fn trail_bucket_policy_lets_only_cloudtrail_of_this_account_write() {
    let t = default_trail();
    let (bucket_id, _) = at(&t, "test/Audit/Bucket/Resource");
    let (policy_id, policy) = at(&t, "test/Audit/Bucket/Policy");
    let doc = &policy["Properties"]["PolicyDocument"];
    let source = json!({
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLike": {"aws:SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:cloudtrail:${AWS::Region}:${AWS::AccountId}:trail/*"}}
    });
    let acl = statement(doc, "CloudTrailAclCheck");
    assert_eq!(
        acl["Principal"],
        json!({"Service": "cloudtrail.amazonaws.com"})
    );
    assert_eq!(acl["Action"], json!("s3:GetBucketAcl"));
    assert_eq!(acl["Resource"], get_att(bucket_id, "Arn"));
    assert_eq!(acl["Condition"], source);
    let write = statement(doc, "CloudTrailWrite");
    assert_eq!(write["Action"], json!("s3:PutObject"));
    assert_eq!(
        write["Resource"],
        json!({"Fn::Sub": format!("${{{bucket_id}.Arn}}/AWSLogs/${{AWS::AccountId}}/*")})
    );
    assert_eq!(
        write["Condition"],
        json!({
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}, "s3:x-amz-acl": "bucket-owner-full-control"},
            "ArnLike": {"aws:SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:cloudtrail:${AWS::Region}:${AWS::AccountId}:trail/*"}}
        })
    );
    let (_, trail) = one(&t, "AWS::CloudTrail::Trail");
    assert_eq!(
        trail["DependsOn"],
        json!(policy_id),
        "the trail waits for the bucket policy"
    );
    assert_eq!(
        trail["Properties"]["S3BucketName"],
        json!({"Ref": bucket_id})
    );
}

#[test]
fn trail_delivers_to_cloudwatch_logs_through_a_least_privilege_role() {
    let t = default_trail();
    let (lg_id, _) = one(&t, "AWS::Logs::LogGroup");
    let (role_id, role) = one(&t, "AWS::IAM::Role");
    let (_, trail) = one(&t, "AWS::CloudTrail::Trail");
    assert_eq!(
        trail["Properties"]["CloudWatchLogsLogGroupArn"],
        get_att(lg_id, "Arn")
    );
    assert_eq!(
        trail["Properties"]["CloudWatchLogsRoleArn"],
        get_att(role_id, "Arn")
    );
    let p = &role["Properties"];
    assert_eq!(
        p["AssumeRolePolicyDocument"]["Statement"],
        json!([{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole"}]),
        "CloudTrail sends no aws:SourceAccount when assuming the role"
    );
    assert_eq!(
        p["Policies"][0]["PolicyDocument"]["Statement"],
        json!([{
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::Sub": format!("arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{lg_id}}}:log-stream:*")}
        }]),
        "exactly that log group"
    );
}

#[test]
fn trail_customised() {
    let t = synth("trail_custom", |s| {
        let key = KmsKey::new(
            s,
            "AuditKey",
            KmsKeyProps {
                services: vec![KeyService::CloudTrail, KeyService::Logs],
                ..Default::default()
            },
        )?;
        Trail::new(
            s,
            "Audit",
            TrailProps {
                encryption_key: Some(key.arn()),
                trail_name: Some("migration-api-audit".into()),
                retention_days: 2557,
                glacier_transition_days: Some(30),
                log_group_retention_days: 731,
                management_events: ManagementEvents::WriteOnly,
                s3_data_event_buckets: vec![BucketArn::from_expr("arn:aws:s3:::uploads")],
            },
        )?;
        Ok(())
    });
    insta::assert_json_snapshot!("trail_custom", t);
    assert_eq!(of_type(&t, "AWS::KMS::Key").len(), 1, "the given key only");
    let (_, trail) = one(&t, "AWS::CloudTrail::Trail");
    let p = &trail["Properties"];
    assert_eq!(p["TrailName"], json!("migration-api-audit"));
    assert_eq!(
        p["EventSelectors"],
        json!([{
            "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::uploads/"]}],
            "IncludeManagementEvents": true,
            "ReadWriteType": "WriteOnly"
        }])
    );
    let (_, policy) = at(&t, "test/Audit/Bucket/Policy");
    let write = statement(&policy["Properties"]["PolicyDocument"], "CloudTrailWrite");
    assert_eq!(
        write["Condition"],
        json!({"StringEquals": {
            "aws:SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:cloudtrail:${AWS::Region}:${AWS::AccountId}:trail/migration-api-audit"},
            "s3:x-amz-acl": "bucket-owner-full-control"
        }}),
        "a named trail is named exactly in aws:SourceArn"
    );
    let (_, bucket) = at(&t, "test/Audit/Bucket/Resource");
    let rule = &bucket["Properties"]["LifecycleConfiguration"]["Rules"][0];
    assert_eq!(rule["ExpirationInDays"], json!(2557));
    assert_eq!(rule["Transitions"][0]["TransitionInDays"], json!(30));
    let (_, lg) = one(&t, "AWS::Logs::LogGroup");
    assert_eq!(lg["Properties"]["RetentionInDays"], json!(731));
}

#[test]
fn trail_rejects_invalid_props() {
    let trail = |props: TrailProps| err(|s| Trail::new(s, "Audit", props).map(|_| ()));
    let cases = [
        (
            TrailProps {
                retention_days: 0,
                glacier_transition_days: None,
                ..Default::default()
            },
            "`test/Audit`: invalid `retention_days`: 0 days",
        ),
        (
            TrailProps {
                retention_days: 60,
                ..Default::default()
            },
            "`test/Audit`: invalid `glacier_transition_days`: log files would move to Glacier after 90 days but expire after 60",
        ),
        (
            TrailProps {
                log_group_retention_days: 10,
                ..Default::default()
            },
            "`test/Audit`: invalid `log_group_retention_days`: 10 is not a retention",
        ),
        (
            TrailProps {
                trail_name: Some("audit--trail".into()),
                ..Default::default()
            },
            "`test/Audit`: invalid `trail_name`: `audit--trail` has adjacent",
        ),
        (
            TrailProps {
                trail_name: Some("x".into()),
                ..Default::default()
            },
            "`test/Audit`: invalid `trail_name`: `x` is not 3 to 128 characters long",
        ),
    ];
    for (props, want) in cases {
        let e = trail(props);
        assert!(e.contains(want), "{e}\nwanted: {want}");
    }
}

#[test]
fn access_log_buckets_must_be_sse_s3() {
    let e = err(|s| {
        let key = KmsKey::new(s, "Key", KmsKeyProps::default())?;
        Bucket::new(
            s,
            "Logs",
            BucketProps {
                encryption: BucketEncryption::Kms(key.arn()),
                receives_access_logs: true,
                ..Default::default()
            },
        )
        .map(|_| ())
    });
    assert!(
        e.contains("`test/Logs`: invalid `receives_access_logs`"),
        "{e}"
    );
}

fn default_backup() -> Value {
    synth("backup_plan", |s| {
        BackupPlan::new(
            s,
            "Backup",
            [DbInstanceArn::from_expr(DB_ARN)],
            BackupPlanProps::default(),
        )?;
        Ok(())
    })
}

#[test]
fn backup_plan_default_snapshot() {
    insta::assert_json_snapshot!("backup_plan", default_backup());
}

#[test]
fn backup_vault_is_kms_encrypted_and_retained() {
    let t = default_backup();
    let (key_id, key) = one(&t, "AWS::KMS::Key");
    assert_eq!(key["Properties"]["EnableKeyRotation"], json!(true));
    let sids: Vec<&str> = key["Properties"]["KeyPolicy"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids, ["AccountAdministers", "BackupUse"]);
    let (_, vault) = one(&t, "AWS::Backup::BackupVault");
    assert_eq!(
        vault["Properties"]["EncryptionKeyArn"],
        get_att(key_id, "Arn"),
        "vault KMS"
    );
    assert_eq!(
        vault["Properties"]["BackupVaultName"],
        json!({"Fn::Join": ["", [
            {"Ref": "AWS::StackName"},
            "-vault-",
            {"Fn::Select": [0, {"Fn::Split": ["-", {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}]}]}
        ]]}),
        "named after the stack and its creation: a retained vault never blocks re-creating the stack"
    );
    assert_eq!(vault["DeletionPolicy"], json!("Retain"));
    assert_eq!(vault["UpdateReplacePolicy"], json!("Retain"));
}

#[test]
fn backup_plan_runs_daily_and_keeps_recovery_points_for_the_retention() {
    let t = default_backup();
    let (vault_id, _) = one(&t, "AWS::Backup::BackupVault");
    let (_, plan) = one(&t, "AWS::Backup::BackupPlan");
    let p = &plan["Properties"]["BackupPlan"];
    assert_eq!(
        p["BackupPlanName"],
        json!({"Fn::Sub": "${AWS::StackName}-plan"})
    );
    assert_eq!(
        p["BackupPlanRule"],
        json!([{
            "CompletionWindowMinutes": 1440,
            "Lifecycle": {"DeleteAfterDays": 35},
            "RuleName": "Scheduled",
            "ScheduleExpression": "cron(0 3 * * ? *)",
            "StartWindowMinutes": 60,
            "TargetBackupVault": {"Ref": vault_id}
        }]),
        "daily plan with retention"
    );
}

#[test]
fn backup_selection_covers_the_given_arn_through_the_backup_role() {
    let t = default_backup();
    let (plan_id, _) = one(&t, "AWS::Backup::BackupPlan");
    let (role_id, role) = one(&t, "AWS::IAM::Role");
    let (_, selection) = one(&t, "AWS::Backup::BackupSelection");
    assert_eq!(
        selection["Properties"],
        json!({
            "BackupPlanId": get_att(plan_id, "BackupPlanId"),
            "BackupSelection": {
                "IamRoleArn": get_att(role_id, "Arn"),
                "Resources": [DB_ARN],
                "SelectionName": {"Fn::Sub": "${AWS::StackName}-selection"}
            }
        }),
        "selection covers the given ARN"
    );
    let p = &role["Properties"];
    assert_eq!(
        p["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
        json!({"Service": "backup.amazonaws.com"})
    );
    assert_eq!(
        p["ManagedPolicyArns"],
        json!([
            {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"},
            {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"}
        ])
    );
}

#[test]
fn backup_plan_customised() {
    let t = synth("backup_plan_custom", |s| {
        let key = KmsKey::new(
            s,
            "BackupKey",
            KmsKeyProps {
                services: vec![KeyService::Backup],
                ..Default::default()
            },
        )?;
        let db = DbInstanceArn::from_expr(Expr::arn("rds", true, "db:migration-api"));
        BackupPlan::new(
            s,
            "Backup",
            [Expr::from(db), Expr::str(DB_ARN)],
            BackupPlanProps {
                encryption_key: Some(key.arn()),
                name_prefix: Some("migration-api-prod-db".into()),
                schedule: "cron(30 1 ? * MON-FRI *)".into(),
                retention_days: 365,
                move_to_cold_storage_after_days: Some(30),
                start_window_minutes: 120,
                completion_window_minutes: 480,
                ..Default::default()
            },
        )?;
        Ok(())
    });
    insta::assert_json_snapshot!("backup_plan_custom", t);
    assert_eq!(of_type(&t, "AWS::KMS::Key").len(), 1, "the given key only");
    let (_, vault) = one(&t, "AWS::Backup::BackupVault");
    assert_eq!(
        vault["Properties"]["BackupVaultName"]["Fn::Join"][1][0],
        json!("migration-api-prod-db-vault-"),
        "the prefix, then the stack creation"
    );
    let (_, plan) = one(&t, "AWS::Backup::BackupPlan");
    let rule = &plan["Properties"]["BackupPlan"]["BackupPlanRule"][0];
    assert_eq!(
        rule["Lifecycle"],
        json!({"DeleteAfterDays": 365, "MoveToColdStorageAfterDays": 30})
    );
    assert_eq!(
        rule["ScheduleExpression"],
        json!("cron(30 1 ? * MON-FRI *)")
    );
    assert_eq!(rule["StartWindowMinutes"], json!(120));
    assert_eq!(rule["CompletionWindowMinutes"], json!(480));
    let (_, selection) = one(&t, "AWS::Backup::BackupSelection");
    assert_eq!(
        selection["Properties"]["BackupSelection"]["Resources"],
        json!([
            {"Fn::Sub": "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:db:migration-api"},
            DB_ARN
        ])
    );
}

#[test]
fn backup_plan_rejects_invalid_props() {
    let backup = |resources: Vec<&'static str>, props: BackupPlanProps| {
        err(|s| BackupPlan::new(s, "Backup", resources, props).map(|_| ()))
    };
    let db = || vec![DB_ARN];
    let cases = [
        (
            db(),
            BackupPlanProps {
                retention_days: 6,
                ..Default::default()
            },
            "`test/Backup`: invalid `retention_days`: 6 is outside 7..=36500",
        ),
        (
            db(),
            BackupPlanProps {
                retention_days: 36501,
                ..Default::default()
            },
            "invalid `retention_days`: 36501 is outside",
        ),
        (
            db(),
            BackupPlanProps {
                retention_days: 100,
                move_to_cold_storage_after_days: Some(30),
                ..Default::default()
            },
            "invalid `move_to_cold_storage_after_days`: recovery points would move to cold storage after 30 days and be deleted after 100",
        ),
        (
            vec![],
            BackupPlanProps::default(),
            "`test/Backup`: invalid `resources`: no resource is selected",
        ),
        (
            vec!["migration-api"],
            BackupPlanProps::default(),
            "invalid `resources`: `migration-api` is not an ARN",
        ),
        (
            db(),
            BackupPlanProps {
                schedule: "cron(0 3 * * ?)".into(),
                ..Default::default()
            },
            "invalid `schedule`: `cron(0 3 * * ?)` does not have 6 fields",
        ),
        (
            db(),
            BackupPlanProps {
                schedule: "rate(1 day)".into(),
                ..Default::default()
            },
            "invalid `schedule`: `rate(1 day)` is a rate expression",
        ),
        (
            db(),
            BackupPlanProps {
                schedule: "daily".into(),
                ..Default::default()
            },
            "invalid `schedule`: `daily` is not of the form `cron(...)`",
        ),
        (
            db(),
            BackupPlanProps {
                start_window_minutes: 30,
                ..Default::default()
            },
            "invalid `start_window_minutes`: 30 minutes",
        ),
        (
            db(),
            BackupPlanProps {
                start_window_minutes: 120,
                completion_window_minutes: 150,
                ..Default::default()
            },
            "invalid `completion_window_minutes`: 150 minutes is not at least 60 more",
        ),
        (
            db(),
            BackupPlanProps {
                name_prefix: Some("a-name-prefix-that-is-far-too-long-for-a-vault".into()),
                ..Default::default()
            },
            "invalid `name_prefix`",
        ),
    ];
    for (resources, props, want) in cases {
        let e = backup(resources, props);
        assert!(e.contains(want), "{e}\nwanted: {want}");
    }
}
