//! End to end against a local moto_server (started through `scripts/moto_patched.py` on
//! 127.0.0.1, stopped by its PID; see docs/deploy-testing.md), on a small app whose resources
//! the emulator models: `--concurrency` with the stack order checked from the stack events,
//! `--plan` (change sets, nothing executed), `--apply` refused after a parameter change, then
//! applied, and `destroy` reporting the retained resource (which stays).
//!
//! Ignored by default (it needs the test venv); `scripts/test.sh` runs it with the venv's
//! `bin` on PATH: `cargo test --test deploy_review_e2e -- --ignored`.

#[allow(dead_code)] // Not every helper of the shared test code is used here.
mod common;
mod moto;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use moto::{Env, REGION};
use serde_json::Value;
use stackforge_constructs::{
    App, Environment, Error, Expr, Parameter, RawResource, RemovalPolicy, ResourceOptions, Stack,
    StackProps,
};

/// `network` <- `data` (a retained queue) <- `service` (a `Stage` parameter), and `audit`,
/// which needs only `network`: with `--concurrency 2` it may run beside `data`.
fn app() -> Result<App, Error> {
    let mut app = App::new("review");
    let env = Environment::new("dev");
    let mut network = Stack::new(&app, &env, "network", StackProps::default())?;
    let topic = network.root().add_raw(
        "Alerts",
        RawResource::new("AWS::SNS::Topic")
            .prop("DisplayName", "alerts")
            .prop("KmsMasterKeyId", "alias/aws/sns"),
        ResourceOptions::default(),
    )?;
    let mut data = Stack::new(&app, &env, "data", StackProps::default())?;
    let reason = "a placeholder queue that only carries a cross-stack reference";
    data.root().suppress("SQS_TLS_ONLY", reason)?;
    data.root().suppress("SQS_DEAD_LETTER_QUEUE", reason)?;
    let queue = data.root().add_raw(
        "Queue",
        RawResource::new("AWS::SQS::Queue")
            .prop(
                "QueueName",
                Expr::concat([topic.get_att("TopicName"), Expr::str("-q")]),
            )
            .prop("KmsMasterKeyId", "alias/aws/sqs"),
        ResourceOptions::removal(RemovalPolicy::Retain),
    )?;
    let mut service = Stack::new(&app, &env, "service", StackProps::default())?;
    let stage = service.add_parameter(
        "Stage",
        Parameter::string().allowed_values(["blue", "green"]),
    )?;
    service.root().add_raw(
        "Consumer",
        RawResource::new("AWS::SNS::Topic")
            .prop("KmsMasterKeyId", "alias/aws/sns")
            .prop("DisplayName", Expr::concat([Expr::str("consumer-"), stage]))
            .prop(
                "TopicName",
                Expr::concat([queue.get_att("QueueName"), Expr::str("-c")]),
            ),
        ResourceOptions::default(),
    )?;
    let mut audit = Stack::new(&app, &env, "audit", StackProps::default())?;
    audit.root().add_raw(
        "Audit",
        RawResource::new("AWS::SNS::Topic")
            .prop("KmsMasterKeyId", "alias/aws/sns")
            .prop(
                "TopicName",
                Expr::concat([topic.get_att("TopicName"), Expr::str("-audit")]),
            ),
        ResourceOptions::default(),
    )?;
    app.add_stack(network)?;
    app.add_stack(data)?;
    app.add_stack(service)?;
    app.add_stack(audit)?;
    Ok(app)
}

/// The CLI in-process against the emulator: templates and parameter files in `dir`.
fn cli(env: &Env, dir: &Path, args: &[&str]) -> common::Run {
    let templates = dir.join("templates").display().to_string();
    let params = dir.join("params").display().to_string();
    let mut all = args.to_vec();
    all.extend([
        "--env",
        "dev",
        "--templates",
        &templates,
        "--region",
        REGION,
        "--endpoint-url",
        &env.moto.url,
    ]);
    if args[0] == "deploy" {
        all.extend(["--params", &params]);
    }
    let r = common::run_cli(app, &all);
    eprintln!("--- {args:?}: exit {}\n{}{}", r.code, r.out, r.err);
    r
}

/// Stack -> its events, oldest first.
fn events(env: &Env, stack: &str) -> Vec<Value> {
    let mut list = env.aws(&[
        "cloudformation",
        "describe-stack-events",
        "--stack-name",
        stack,
    ])["StackEvents"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    list.reverse();
    list
}

#[test]
#[ignore = "needs the test venv (moto_server, aws): run by scripts/test.sh"]
fn plan_apply_concurrency_and_destroy_against_moto() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let env = Env::start(root);
    // The CLI runs in this process and its `aws` calls inherit this environment (the only
    // test of this binary): dummy credentials, nothing from ~/.aws.
    let home = env.home.path();
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", REGION),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("STACKFORGE_DEPLOY_POLL_MS", "200"),
    ] {
        std::env::set_var(k, v);
    }
    std::env::set_var("AWS_CONFIG_FILE", home.join("config"));
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"));
    for k in ["AWS_PROFILE", "AWS_SESSION_TOKEN", "STACKFORGE_AWS_CLI"] {
        std::env::remove_var(k);
    }
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("params/dev")).unwrap();
    fs::create_dir_all(dir.path().join("templates")).unwrap();
    fs::write(
        dir.path().join("params/dev/service.json"),
        r#"{"Parameters": {"Stage": "blue"}}"#,
    )
    .unwrap();
    let stack = |s: &str| format!("review-dev-{s}");

    // 1. Everything, two at a time: each stack starts after the stacks it depends on ended.
    let r = cli(&env, dir.path(), &["deploy", "--concurrency", "2"]);
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    let mut first = BTreeMap::new();
    let mut complete = BTreeMap::new();
    for s in ["network", "data", "service", "audit"] {
        let list = events(&env, &stack(s));
        first.insert(s, list[0]["Timestamp"].as_str().unwrap().to_owned());
        let done = list
            .iter()
            .find(|e| {
                e["LogicalResourceId"] == stack(s) && e["ResourceStatus"] == "CREATE_COMPLETE"
            })
            .unwrap_or_else(|| panic!("{s} completed: {list:#?}"));
        complete.insert(s, done["Timestamp"].as_str().unwrap().to_owned());
    }
    for (s, needs) in [
        ("data", "network"),
        ("service", "data"),
        ("audit", "network"),
    ] {
        assert!(
            first[s] > complete[needs],
            "{s} started ({}) after {needs} completed ({})",
            first[s],
            complete[needs]
        );
    }

    // 2. Plan a parameter change: a change set for the service only, nothing executed.
    let plan = dir.path().join("plan.json");
    let plan_arg = plan.display().to_string();
    let green = "service:Stage=green";
    let r = cli(
        &env,
        dir.path(),
        &["deploy", "--plan", &plan_arg, "--parameter", green],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    let planned: Value = serde_json::from_str(&fs::read_to_string(&plan).unwrap()).unwrap();
    let sets: Vec<(&str, bool)> = planned["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["change_set_id"].is_string()))
        .collect();
    assert_eq!(
        sets,
        [
            ("network", false),
            ("data", false),
            ("service", true),
            ("audit", false)
        ]
    );
    // (moto lists no resource change for a parameter-only change set; CloudFormation does.)
    assert!(
        r.out
            .contains("  review-dev-service (update): change set arn:aws:cloudformation:")
            && r.out.contains("  review-dev-data: no changes"),
        "{}",
        r.out
    );
    let stage = |env: &Env| {
        env.aws(&[
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            &stack("service"),
        ])["Stacks"][0]["Parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["ParameterKey"] == "Stage")
            .unwrap()["ParameterValue"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(stage(&env), "blue", "planning executes nothing");

    // 3. Applying it with another parameter value is refused; nothing runs.
    let r = cli(&env, dir.path(), &["deploy", "--apply", &plan_arg]);
    assert_eq!(r.code, 1, "{}\n{}", r.out, r.err);
    assert!(
        r.err
            .contains("review-dev-service: parameter Stage changed since the plan")
            && r.err.contains("Nothing was executed"),
        "{}",
        r.err
    );
    assert_eq!(stage(&env), "blue");

    // 4. As planned: executed.
    let r = cli(
        &env,
        dir.path(),
        &["deploy", "--apply", &plan_arg, "--parameter", green],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    assert_eq!(stage(&env), "green");
    assert!(r.out.contains("1 change set(s) executed"), "{}", r.out);

    // 5. Destroy: the retained queue is listed by name, every stack goes, the queue stays.
    let r = cli(&env, dir.path(), &["destroy", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    let line = r
        .out
        .lines()
        .find(|l| l.starts_with("    = retained: Queue AWS::SQS::Queue `"))
        .unwrap_or_else(|| panic!("the retained queue is listed: {}", r.out));
    assert!(line.contains("-q"), "{line}");
    let left = env.aws(&["cloudformation", "describe-stacks"])["Stacks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["StackName"].as_str().unwrap().starts_with("review-dev-"))
        .filter(|s| s["StackStatus"] != "DELETE_COMPLETE")
        .count();
    assert_eq!(left, 0, "every stack is deleted");
    let queues = env.aws(&["sqs", "list-queues"]).to_string();
    assert!(
        queues.contains("-q\""),
        "the retained queue stays: {queues}"
    );
    drop(env); // stops moto by its PID
}
