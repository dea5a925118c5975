//! End to end: the real `orders` binary deploys the orders app's `dev` stacks with the real
//! AWS CLI to a local moto_server (as the migration-api's `tests/deploy_e2e.rs` does, sharing
//! its emulator helpers), then checks with the AWS CLI that every stack was created, that
//! imports resolved to the exporting stacks' values, that the API and the worker received the
//! queue's URL, that the web shop's rule sits on the API's HTTPS listener, and that the admin
//! load balancer is internal.
//!
//! Ignored by default (it needs the test venv); `scripts/test.sh` runs it with the venv's
//! `bin` on PATH: `cargo test -p orders --test deploy_e2e -- --ignored`.

#[path = "../../../tests/moto/mod.rs"]
mod moto;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use moto::{imports, physical_id, skipped_types, Env};
use serde_json::Value;

/// Resource types of the orders app that moto 5.2.5 (even patched) does not model: the
/// migration-api's (docs/deploy-testing.md) that the app uses, and `AWS::SQS::QueuePolicy`.
const SKIPPED_BY_EMULATOR: [&str; 13] = [
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
    "AWS::Backup::BackupPlan",
    "AWS::Backup::BackupSelection",
    "AWS::Backup::BackupVault",
    "AWS::CloudWatch::Alarm",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::WAFv2::LoggingConfiguration",
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation",
];

const STACKS: [&str; 8] = [
    "network",
    "data",
    "registry",
    "api",
    "web",
    "worker",
    "admin",
    "monitoring",
];
const PREFIX: &str = "orders-dev-";

/// The value of environment variable `name` of the first container of task definition `arn`.
fn container_env(env: &Env, arn: &str, name: &str) -> String {
    let task = env.aws(&["ecs", "describe-task-definition", "--task-definition", arn]);
    task["taskDefinition"]["containerDefinitions"][0]["environment"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .and_then(|e| e["value"].as_str())
        .unwrap_or_else(|| panic!("no {name} in {arn}"))
        .to_owned()
}

#[test]
#[ignore = "needs the test venv (moto_server, aws): run by scripts/test.sh"]
fn deploy_dev_to_moto_end_to_end() {
    let started = Instant::now();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let env = Env::start(&dir.join("../.."));
    let certificate = env.import_certificate();

    let (out, stdout, stderr) = env.deploy(
        Path::new(env!("CARGO_BIN_EXE_orders")),
        dir,
        &[
            "--parameter",
            &format!("api:CertificateArn={certificate}"),
            "--parameter",
            &format!("admin:CertificateArn={certificate}"),
            // The committed address is an example.com placeholder, which deploy refuses.
            "--parameter",
            "worker:AlertEmail=oncall@stackforge.dev",
            // Every service runs this digest; the emulator does not look for it in ECR (the
            // migration-api's test pushes through it). It runs no setup task's container.
            "--image-digest",
            "sha256:4444444444444444444444444444444444444444444444444444444444444444",
            "--skip-setup-tasks",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let stacks = env.stacks(PREFIX);
    for (i, s) in STACKS.iter().enumerate() {
        let label = format!("[{}/8] {PREFIX}{s}", i + 1);
        assert!(
            stdout.contains(&format!("{label}: CREATE_COMPLETE in ")),
            "{stdout}"
        );
        assert_eq!(stacks[*s]["StackStatus"], "CREATE_COMPLETE", "{s}");
    }

    // Every import of every deployed template names a listed export with a real value.
    let exports: BTreeMap<String, String> = env.aws(&["cloudformation", "list-exports"])["Exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let value = e["Value"].as_str().unwrap_or_default().to_owned();
            (e["Name"].as_str().unwrap().to_owned(), value)
        })
        .collect();
    let mut templates = BTreeMap::new();
    let mut imported = BTreeSet::new();
    for s in STACKS {
        let name = format!("{PREFIX}{s}");
        let template = env.template(&name);
        imports(&template, &mut imported);
        templates.insert(name, template);
    }
    assert!(imported.len() >= 15, "{imported:?}");
    for name in &imported {
        let value = exports
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not exported"));
        assert!(
            !value.is_empty() && !value.contains("Fn::"),
            "{name} = {value:?}"
        );
    }

    // The API sends to, and the worker reads from, the queue the data stack created.
    let resources: BTreeMap<&str, _> = STACKS
        .iter()
        .map(|s| (*s, env.resources(&format!("{PREFIX}{s}"))))
        .collect();
    let queues: Vec<&String> = resources["data"]
        .values()
        .filter(|(t, _)| t == "AWS::SQS::Queue")
        .map(|(_, url)| url)
        .collect();
    assert_eq!(queues.len(), 2, "the queue and its dead-letter queue");
    let api_task = physical_id(&resources["api"], "AWS::ECS::TaskDefinition");
    let worker_task = physical_id(&resources["worker"], "AWS::ECS::TaskDefinition");
    let sent_to = container_env(&env, &api_task, "ORDERS_QUEUE_URL");
    let read_from = container_env(&env, &worker_task, "QUEUE_URL");
    assert_eq!(sent_to, read_from);
    assert!(queues.contains(&&sent_to), "{sent_to} in {queues:?}");
    assert!(!sent_to.contains("-dlq"), "{sent_to}");

    // The shop's routing rule sits on the API's HTTPS listener and forwards to its targets.
    let listener = resources["api"]
        .iter()
        .find(|(id, (t, _))| t == "AWS::ElasticLoadBalancingV2::Listener" && id.contains("Https"))
        .map(|(_, (_, arn))| arn.clone())
        .unwrap();
    let rules = env.aws(&["elbv2", "describe-rules", "--listener-arn", &listener]);
    let shop_targets = physical_id(
        &resources["web"],
        "AWS::ElasticLoadBalancingV2::TargetGroup",
    );
    let shop: Vec<&Value> = rules["Rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["Actions"][0]["TargetGroupArn"] == shop_targets.as_str())
        .collect();
    assert_eq!(shop.len(), 1, "{rules}");
    assert!(
        shop[0]["Conditions"].to_string().contains("/shop/*"),
        "{rules}"
    );

    // The admin load balancer is internal, the API's internet-facing.
    let lbs = env.aws(&["elbv2", "describe-load-balancers"]);
    let scheme = |stack: &str| -> String {
        let arn = physical_id(
            &resources[stack],
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
        );
        lbs["LoadBalancers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["LoadBalancerArn"] == arn.as_str())
            .unwrap()["Scheme"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(scheme("admin"), "internal");
    assert_eq!(scheme("api"), "internet-facing");

    let expected: BTreeSet<String> = SKIPPED_BY_EMULATOR.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        skipped_types(&env, &templates),
        expected,
        "the emulator's support changed: update SKIPPED_BY_EMULATOR and docs/deploy-testing.md"
    );
    eprintln!(
        "orders deploy e2e took {:.1}s",
        started.elapsed().as_secs_f64()
    );
    drop(env); // stops moto by its PID
}
