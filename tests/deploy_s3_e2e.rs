//! End to end against a local moto_server (started through `scripts/moto_patched.py` on
//! 127.0.0.1, stopped by its PID; see docs/deploy-testing.md): `deploy --plan` of a template
//! over CloudFormation's 51,200-byte inline limit uploads it to `--s3-bucket` (under
//! `--s3-prefix`, keyed by its SHA-256) and creates the change set from `--template-url`;
//! `--apply` executes it.
//!
//! Ignored by default (it needs the test venv); `scripts/test.sh` runs it with the venv's
//! `bin` on PATH: `cargo test --test deploy_s3_e2e -- --ignored`.

#[allow(dead_code)] // Not every helper of the shared test code is used here.
mod common;
mod moto;

use std::fs;
use std::path::Path;

use moto::{Env, REGION};
use serde_json::Value;
use stackforge_constructs::{
    App, Environment, Error, RawResource, ResourceOptions, Stack, StackProps,
};

const TOPICS: usize = 150;

/// One `archive` stack of 150 topics: its template is over 51,200 bytes.
fn app() -> Result<App, Error> {
    let mut app = App::new("bulk");
    let mut archive = Stack::new(
        &app,
        &Environment::new("dev"),
        "archive",
        StackProps::default(),
    )?;
    for i in 0..TOPICS {
        archive.root().add_raw(
            &format!("Topic{i}"),
            RawResource::new("AWS::SNS::Topic")
                .prop("DisplayName", "x".repeat(90))
                .prop("KmsMasterKeyId", "alias/aws/sns"),
            ResourceOptions::default(),
        )?;
    }
    app.add_stack(archive)?;
    Ok(app)
}

fn cli(env: &Env, dir: &Path, args: &[&str]) -> common::Run {
    let templates = dir.join("templates").display().to_string();
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
    let r = common::run_cli(app, &all);
    eprintln!("--- {args:?}: exit {}\n{}{}", r.code, r.out, r.err);
    r
}

#[test]
#[ignore = "needs the test venv (moto_server, aws): run by scripts/test.sh"]
fn plan_uploads_a_large_template_to_s3_and_apply_creates_the_stack() {
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
    fs::create_dir_all(dir.path().join("templates")).unwrap();
    let plan = dir.path().join("plan.json");
    let plan_arg = plan.display().to_string();

    // Without a bucket: refused, naming the flag; nothing planned.
    let r = cli(&env, dir.path(), &["deploy", "--plan", &plan_arg]);
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(r.err.contains("Fix: pass --s3-bucket BUCKET"), "{}", r.err);
    assert!(!plan.exists());

    env.aws(&["s3api", "create-bucket", "--bucket", "bulk-templates"]);
    let r = cli(
        &env,
        dir.path(),
        &[
            "deploy",
            "--plan",
            &plan_arg,
            "--s3-bucket",
            "bulk-templates",
            "--s3-prefix",
            "cfn/dev",
        ],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    let planned: Value = serde_json::from_str(&fs::read_to_string(&plan).unwrap()).unwrap();
    let stack = &planned["stacks"][0];
    assert!(stack["change_set_id"].is_string(), "{planned:#}");
    let key = format!(
        "cfn/dev/{}.template.json",
        stack["template_sha256"].as_str().unwrap()
    );
    assert!(
        r.err.contains(&format!(
            "template uploaded to https://bulk-templates.s3.{REGION}.amazonaws.com/{key}"
        )),
        "{}",
        r.err
    );
    let listed = env.aws(&["s3api", "list-objects-v2", "--bucket", "bulk-templates"]);
    let keys: Vec<&str> = listed["Contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["Key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, [key.as_str()]);
    let size = listed["Contents"][0]["Size"].as_u64().unwrap();
    assert!(size > 51_200, "{size} bytes");
    let status = env.aws(&[
        "cloudformation",
        "describe-stacks",
        "--stack-name",
        "bulk-dev-archive",
    ])["Stacks"][0]["StackStatus"]
        .clone();
    assert_eq!(status, "REVIEW_IN_PROGRESS", "nothing executed by --plan");

    let r = cli(&env, dir.path(), &["deploy", "--apply", &plan_arg]);
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    let resources = env.aws(&[
        "cloudformation",
        "list-stack-resources",
        "--stack-name",
        "bulk-dev-archive",
    ])["StackResourceSummaries"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(resources, TOPICS);
}
