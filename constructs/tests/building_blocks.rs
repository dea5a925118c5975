//! The shared building blocks other constructs use: KMS keys, log groups, buckets, security
//! groups, service roles and grants.

use serde_json::{json, Value};
use stackforge_constructs::aws::ec2::{Connectable, EgressRule, SecurityGroup, SecurityGroupProps};
use stackforge_constructs::aws::iam::{
    attach_policy, PolicyDocument, ServiceRole, ServiceRoleProps, Statement,
};
use stackforge_constructs::aws::kms::{KeyService, KmsKey, KmsKeyProps};
use stackforge_constructs::aws::logs::{LogGroup, LogGroupProps};
use stackforge_constructs::aws::refs::VpcId;
use stackforge_constructs::aws::s3::{Bucket, BucketEncryption, BucketProps};
use stackforge_constructs::testing::{synth_error as err, synth_template as synth};

fn of_type<'a>(t: &'a Value, type_name: &str) -> Vec<&'a Value> {
    t["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == type_name)
        .collect()
}

#[test]
fn kms_key_always_rotates_and_names_only_the_services_given() {
    let t = synth("kms_key", |s| {
        KmsKey::new(
            s,
            "Key",
            KmsKeyProps {
                alias: Some("app/data".into()),
                services: vec![KeyService::Logs, KeyService::CloudTrail],
                ..Default::default()
            },
        )?;
        Ok(())
    });
    insta::assert_json_snapshot!("kms_key", t);
    let key = &of_type(&t, "AWS::KMS::Key")[0];
    assert_eq!(key["Properties"]["EnableKeyRotation"], json!(true));
    assert_eq!(key["DeletionPolicy"], json!("Retain"));
    let sids: Vec<&str> = key["Properties"]["KeyPolicy"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(
        sids,
        ["AccountAdministers", "CloudWatchLogsUse", "CloudTrailUse"]
    );
    assert_eq!(
        of_type(&t, "AWS::KMS::Alias")[0]["Properties"]["AliasName"],
        json!("alias/app/data")
    );
    assert!(err(|s| KmsKey::new(
        s,
        "K",
        KmsKeyProps {
            pending_window_days: 3,
            ..Default::default()
        }
    )
    .map(|_| ()))
    .contains("`test/K`: invalid `pending_window_days`"));
}

#[test]
fn log_group_is_encrypted_with_retention_and_rejects_odd_retention() {
    let t = synth("log_group", |s| {
        LogGroup::new(s, "Logs", LogGroupProps::default())?;
        Ok(())
    });
    insta::assert_json_snapshot!("log_group", t);
    let lg = &of_type(&t, "AWS::Logs::LogGroup")[0]["Properties"];
    assert_eq!(lg["RetentionInDays"], json!(365));
    assert!(lg["KmsKeyId"]["Fn::GetAtt"][1] == json!("Arn"), "{lg}");
    let e = err(|s| {
        LogGroup::new(
            s,
            "Logs",
            LogGroupProps {
                retention_days: 10,
                ..Default::default()
            },
        )
        .map(|_| ())
    });
    assert!(
        e.contains("`test/Logs`: invalid `retention_days`: 10 is not a retention"),
        "{e}"
    );
}

#[test]
fn bucket_is_private_encrypted_versioned_and_tls_only() {
    let t = synth("bucket", |s| {
        let key = KmsKey::new(s, "Key", KmsKeyProps::default())?;
        let logs = Bucket::new(s, "Logs", BucketProps::default())?;
        Bucket::new(
            s,
            "Data",
            BucketProps {
                encryption: BucketEncryption::Kms(key.arn()),
                expiration_days: Some(365),
                glacier_transition_days: Some(90),
                access_logging: Some(stackforge_constructs::aws::s3::AccessLogging {
                    bucket: logs.name(),
                    prefix: "data/".into(),
                }),
                ..Default::default()
            },
        )?;
        Ok(())
    });
    insta::assert_json_snapshot!("bucket", t);
    for b in of_type(&t, "AWS::S3::Bucket") {
        let p = &b["Properties"];
        assert_eq!(
            p["PublicAccessBlockConfiguration"],
            json!({"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true})
        );
        assert_eq!(p["VersioningConfiguration"], json!({"Status": "Enabled"}));
    }
    for p in of_type(&t, "AWS::S3::BucketPolicy") {
        let st = &p["Properties"]["PolicyDocument"]["Statement"][0];
        assert_eq!(st["Effect"], json!("Deny"));
        assert_eq!(
            st["Condition"],
            json!({"Bool": {"aws:SecureTransport": false}})
        );
    }
    let e = err(|s| {
        Bucket::new(
            s,
            "B",
            BucketProps {
                expiration_days: Some(30),
                glacier_transition_days: Some(60),
                ..Default::default()
            },
        )
        .map(|_| ())
    });
    assert!(
        e.contains("`test/B`: invalid `glacier_transition_days`"),
        "{e}"
    );
}

#[test]
fn security_groups_block_all_egress_by_default_and_open_only_named_peers() {
    let t = synth("security_group", |s| {
        let vpc = VpcId::from_expr("vpc-0123456789abcdef0");
        let db = SecurityGroup::new(s, "Db", &vpc, SecurityGroupProps::default())?;
        let app = SecurityGroup::new(
            s,
            "App",
            &vpc,
            SecurityGroupProps {
                egress: vec![EgressRule {
                    cidr: "0.0.0.0/0".into(),
                    port: 443,
                    description: "AWS APIs".into(),
                }],
                ..Default::default()
            },
        )?;
        db.allow_from(s, "DbFromApp", &app, 5432, "app to database")?;
        app.allow_to(s, "AppToDb", &db, 5432, "app to database")?;
        Ok(())
    });
    insta::assert_json_snapshot!("security_group", t);
    let ingress = of_type(&t, "AWS::EC2::SecurityGroupIngress");
    assert_eq!(ingress.len(), 1);
    assert_eq!(ingress[0]["Properties"]["FromPort"], json!(5432));
    assert!(ingress[0]["Properties"].get("CidrIp").is_none());
    let e = err(|s| {
        let g = SecurityGroup::new(
            s,
            "G",
            &VpcId::from_expr("vpc-0123456789abcdef0"),
            SecurityGroupProps::default(),
        )?;
        g.allow_from_cidr(s, "Bad", "10.0.0.300/8", 443, "x")
    });
    assert!(e.contains("`10.0.0.300/8` is not a CIDR range"), "{e}");
    // A group created elsewhere connects by its id.
    let existing =
        stackforge_constructs::aws::refs::SecurityGroupId::from_expr("sg-0123456789abcdef0");
    assert_eq!(
        SecurityGroup::from_id(existing.clone()).security_group_id(),
        existing
    );
}

#[test]
fn service_roles_trust_one_service_of_this_account_and_grants_are_least_privilege() {
    let t = synth("service_role", |s| {
        let role = ServiceRole::new(
            s,
            "Role",
            ServiceRoleProps {
                service: "ecs-tasks.amazonaws.com".into(),
                ..Default::default()
            },
        )?;
        let key = KmsKey::new(s, "Key", KmsKeyProps::default())?;
        key.grant_decrypt(s, "GrantDecrypt", &role.name())?;
        Ok(())
    });
    insta::assert_json_snapshot!("service_role", t);
    let role =
        &of_type(&t, "AWS::IAM::Role")[0]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(
        role["Condition"]["StringEquals"]["aws:SourceAccount"],
        json!({"Ref": "AWS::AccountId"})
    );
    let e = err(|s| {
        let role = ServiceRole::new(
            s,
            "Role",
            ServiceRoleProps {
                service: "ecs-tasks.amazonaws.com".into(),
                ..Default::default()
            },
        )?;
        attach_policy(
            s,
            "TooMuch",
            &role.name(),
            PolicyDocument::new(vec![Statement::allow(["s3:GetObject"], ["*"])]),
        )
        .map(|_| ())
    });
    assert!(
        e.contains("`test/TooMuch`") && e.contains("`s3:GetObject` is granted on every resource"),
        "{e}"
    );
    let e = err(|s| ServiceRole::new(s, "R", ServiceRoleProps::default()).map(|_| ()));
    assert!(e.contains("invalid `service`"), "{e}");
}
