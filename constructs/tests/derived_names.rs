//! Names, descriptions and tag values the constructs build from construct ids and paths stay
//! within what CloudFormation accepts, however long or non-ASCII the ids are (issue 20,
//! class 2): shortened with a stable hash, and limited to the characters each property takes.

use serde_json::Value;
use stackforge_constructs::aws::backup::{BackupPlan, BackupPlanProps};
use stackforge_constructs::aws::cloudwatch::AlertingTopic;
use stackforge_constructs::aws::ec2::{Vpc, VpcEndpointService, VpcEndpoints, VpcProps};
use stackforge_constructs::aws::ecr::Repository;
use stackforge_constructs::aws::ecs::{Cluster, ClusterProps, ContainerImage};
use stackforge_constructs::aws::ecs_patterns::{
    QueueProcessingFargateService, QueueProcessingFargateServiceProps,
};
use stackforge_constructs::aws::rds::{MasterSecret, RdsEncrypted, RdsEncryptedProps};
use stackforge_constructs::aws::refs::{DbInstanceArn, RepositoryName, TopicArn};
use stackforge_constructs::aws::sqs::{Queue, QueueProps};
use stackforge_constructs::aws::wafv2::{WebAcl, WebAclProps};
use stackforge_constructs::testing::{resources_of_type as of_type, synth_template};
use stackforge_constructs::{App, Environment, Result, Scope, Stack, StackProps};

/// Ids a user may write: very long, non-ASCII, with punctuation EC2 descriptions refuse.
fn awkward_ids() -> Vec<String> {
    vec![
        "Données✓".to_owned(),
        "x".repeat(300),
        format!("Über \"quoted\" <{}>", "é".repeat(200)),
    ]
}

/// Every construct that derives a name or description from its path, under `parent` (the
/// worker, whose alarm names start with its id, is named `parent` too).
fn build(s: &mut Scope<'_>, parent: &str) -> Result<()> {
    let mut p = s.construct(parent, "Group")?;
    let vpc = Vpc::new(&mut p, "Vpc", VpcProps::default())?;
    VpcEndpoints::new(&mut p, "Endpoints", &vpc, &[VpcEndpointService::Logs])?;
    let db = RdsEncrypted::new(
        &mut p,
        "Db",
        &vpc,
        RdsEncryptedProps {
            master_secret: MasterSecret::Named("orders-db-master".into()),
            ..Default::default()
        },
    )?;
    db.allow_from(&mut p, "FromWorker", &db)?;
    WebAcl::new(&mut p, "Waf", WebAclProps::default())?;
    let cluster = Cluster::new(&mut p, "Cluster", ClusterProps::default())?;
    let queue = Queue::new(&mut p, "Jobs", QueueProps::default())?;
    QueueProcessingFargateService::new(
        &mut p,
        parent,
        &cluster,
        &vpc,
        &queue,
        ContainerImage::ecr_tag(
            &Repository::from_name(RepositoryName::from_expr("orders")),
            "1.0.0",
        ),
        QueueProcessingFargateServiceProps {
            alerting_topic: AlertingTopic::Existing(TopicArn::from_expr(
                "arn:aws:sns:us-east-1:123456789012:alerting-topic",
            )),
            command: vec!["/app".into()],
            ..Default::default()
        },
    )?;
    Ok(())
}

fn ec2_description_ok(s: &str) -> bool {
    s.chars().count() <= 255
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c))
}

fn tag_value_ok(s: &str) -> bool {
    s.chars().count() <= 256
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c))
}

/// Every literal string at `pointer` below the resources of `type_name`.
fn literals<'a>(t: &'a Value, type_name: &str, pointer: &str) -> Vec<&'a str> {
    of_type(t, type_name)
        .into_iter()
        .filter_map(|(_, r)| r.pointer(pointer).and_then(Value::as_str))
        .collect()
}

/// Every literal `Name` tag value of the template.
fn name_tags(t: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    for r in t["Resources"].as_object().unwrap().values() {
        for tag in r["Properties"]["Tags"].as_array().into_iter().flatten() {
            if tag["Key"] == "Name" {
                out.extend(tag["Value"].as_str());
            }
        }
    }
    out
}

#[test]
fn names_built_from_long_or_non_ascii_ids_are_valid() {
    for id in awkward_ids() {
        let t = synth_template("derived_names", |s| build(s, &id));
        let groups = literals(
            &t,
            "AWS::EC2::SecurityGroup",
            "/Properties/GroupDescription",
        );
        let ingress = literals(
            &t,
            "AWS::EC2::SecurityGroupIngress",
            "/Properties/Description",
        );
        assert!(groups.len() >= 3 && !ingress.is_empty(), "{id}");
        for d in groups.iter().chain(&ingress) {
            assert!(
                ec2_description_ok(d),
                "{id}: security group description {d:?}"
            );
        }
        let roles = literals(&t, "AWS::IAM::Role", "/Properties/Description");
        assert!(roles.len() >= 2, "{id}");
        for d in roles {
            assert!(
                d.is_ascii() && d.len() <= 1000,
                "{id}: role description {d:?}"
            );
        }
        for d in literals(&t, "AWS::SecretsManager::Secret", "/Properties/Description") {
            assert!(
                d.is_ascii() && d.len() <= 2048,
                "{id}: secret description {d:?}"
            );
        }
        let tags = name_tags(&t);
        assert!(tags.len() >= 5, "{id}");
        for v in tags {
            assert!(tag_value_ok(v), "{id}: tag value {v:?}");
        }
        let alarms = literals(&t, "AWS::CloudWatch::Alarm", "/Properties/AlarmName");
        assert!(alarms.len() >= 2, "{id}");
        for n in alarms {
            assert!(n.chars().count() <= 255, "{id}: alarm name {n:?}");
        }
        let acl = &of_type(&t, "AWS::WAFv2::WebACL")[0].1["Properties"];
        let mut metrics = vec![acl["VisibilityConfig"]["MetricName"].as_str().unwrap()];
        for rule in acl["Rules"].as_array().unwrap() {
            metrics.push(rule["VisibilityConfig"]["MetricName"].as_str().unwrap());
        }
        for m in metrics {
            assert!(
                (1..=128).contains(&m.len())
                    && m.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_#:.-/".contains(c)),
                "{id}: WAF metric name {m:?}"
            );
        }
    }
}

#[test]
fn a_web_acl_whose_id_has_no_ascii_letter_still_gets_metric_names() {
    let t = synth_template("derived_names_waf", |s| {
        WebAcl::new(s, "✓✓", WebAclProps::default()).map(|_| ())
    });
    let acl = &of_type(&t, "AWS::WAFv2::WebACL")[0].1["Properties"];
    assert_eq!(acl["VisibilityConfig"]["MetricName"], "WebAcl");
    assert_eq!(
        acl["Rules"][0]["VisibilityConfig"]["MetricName"],
        "WebAclRateLimitPerIp"
    );
}

#[test]
fn shortened_names_are_stable_and_distinct() {
    let long = "x".repeat(300);
    let alarm_names = |parent: &str| {
        let t = synth_template("derived_names_stable", |s| build(s, parent));
        literals(&t, "AWS::CloudWatch::Alarm", "/Properties/AlarmName")
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let a = alarm_names(&format!("{long}A"));
    assert_eq!(a, alarm_names(&format!("{long}A")), "same ids, same names");
    let b = alarm_names(&format!("{long}B"));
    assert!(a.iter().all(|n| !b.contains(n)), "{a:?} / {b:?}");
}

#[test]
fn a_backup_vault_of_a_stack_with_a_long_name_gets_a_valid_name() {
    let mut app = App::new("app");
    let env = Environment::new("prod").with_region("us-east-1");
    let name = format!("data{}", "-archive".repeat(12));
    let mut stack = Stack::new(&app, &env, &name, StackProps::default()).unwrap();
    BackupPlan::new(
        &mut stack.root(),
        "Backup",
        [DbInstanceArn::from_expr(
            "arn:aws:rds:us-east-1:123456789012:db:orders",
        )],
        BackupPlanProps::default(),
    )
    .unwrap();
    app.add_stack(stack).unwrap();
    let assembly = app.synth().unwrap();
    let t = assembly.environments[0].stacks[0].json();
    let (_, vault) = of_type(&t, "AWS::Backup::BackupVault")[0];
    let parts = vault["Properties"]["BackupVaultName"]["Fn::Join"][1]
        .as_array()
        .unwrap();
    let literal = parts[0].as_str().expect("a literal prefix");
    // `<prefix>-vault-<8 hex digits>` within the 50 characters AWS Backup allows.
    let prefix = literal
        .strip_suffix("-vault-")
        .expect("the prefix, then `-vault-`");
    assert_eq!(prefix.len(), 50 - "-vault-".len() - 8);
    assert!(prefix.starts_with("app-prod-data-archive-"), "{prefix}");
}
