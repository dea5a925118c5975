//! `deploy` without AWS: `--dry-run` output (in-process, on a small test app), and the real
//! binary driving a fake `aws` (a shell script in a temporary folder, named by
//! `STACKFORGE_AWS_CLI`) for progress, failures, prerequisites and production confirmation.

mod common;

use common::fake_aws::FakeAws;
use common::{run_cli, Run};
use std::fs;
use std::path::Path;

use assert_cmd::Command;
use stackforge_constructs::{
    App, Environment, Error, Expr, Parameter, RawResource, ResourceOptions, Stack, StackProps,
};

/// `network` <- `data` <- `service` (which has parameters) in `dev` and `prod`.
fn test_app() -> Result<App, Error> {
    let mut app = App::new("shop");
    for env in [Environment::new("dev"), Environment::new("prod")] {
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
            ResourceOptions::default(),
        )?;
        let mut service = Stack::new(&app, &env, "service", StackProps::default())?;
        let tag =
            service.add_parameter("ImageTag", Parameter::string().description("Image tag"))?;
        let stage = service.add_parameter(
            "Stage",
            Parameter::string().allowed_values(["blue", "green"]),
        )?;
        let token = service.add_parameter("Token", Parameter::string().no_echo())?;
        service.root().add_raw(
            "Consumer",
            RawResource::new("AWS::SNS::Topic")
                .prop("KmsMasterKeyId", "alias/aws/sns")
                .prop("DisplayName", Expr::concat([tag, stage, token]))
                .prop(
                    "TopicName",
                    Expr::concat([queue.get_att("QueueName"), Expr::str("-c")]),
                ),
            ResourceOptions::default(),
        )?;
        app.add_stack(network)?;
        app.add_stack(data)?;
        app.add_stack(service)?;
    }
    Ok(app)
}

/// The test app plus, in `dev`, an `archive` stack whose template is over 51,200 bytes.
fn big_app() -> Result<App, Error> {
    let mut app = test_app()?;
    let mut archive = Stack::new(
        &app,
        &Environment::new("dev"),
        "archive",
        StackProps::default(),
    )?;
    for i in 0..150 {
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

fn run_with(factory: stackforge::AppFactory, args: &[&str]) -> Run {
    run_cli(factory, args)
}

/// A templates folder, and under its `params/` the service's parameter file for both
/// environments.
fn templates() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for env in ["dev", "prod"] {
        fs::create_dir_all(dir.path().join("params").join(env)).unwrap();
        fs::write(
            dir.path().join("params").join(env).join("service.json"),
            r#"{"Parameters": {"ImageTag": "1.0.0", "Stage": "blue", "Token": "not-a-secret"}}"#,
        )
        .unwrap();
    }
    dir
}

fn dry_run(factory: stackforge::AppFactory, dir: &Path, extra: &[&str]) -> Run {
    let templates = dir.to_str().unwrap();
    let params = dir.join("params").display().to_string();
    let mut args = vec![
        "deploy",
        "--dry-run",
        "--templates",
        templates,
        "--params",
        &params,
    ];
    args.extend_from_slice(extra);
    run_with(factory, &args)
}

/// The executable dry runs print: what the test process would run.
fn aws() -> String {
    std::env::var("STACKFORGE_AWS_CLI")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "aws".into())
}

fn expected(dir: &Path, stack: &str, middle: &str, tail: &str) -> String {
    format!(
        "{} cloudformation deploy --template-file {}/dev/{stack}.template.json --stack-name shop-dev-{stack} {middle}--capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM --tags app=shop env=dev stack={stack} --no-fail-on-empty-changeset{tail}",
        aws(),
        dir.display()
    )
}

const SERVICE_PARAMS: &str = "--parameter-overrides ImageTag=1.0.0 Stage=blue 'Token=****' ";

#[test]
fn dry_run_prints_the_exact_commands_in_manifest_order() {
    let dir = templates();
    let r = dry_run(
        test_app,
        dir.path(),
        &["--env", "dev", "--region", "eu-west-1"],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let tail = " --region eu-west-1";
    let want = [
        expected(dir.path(), "network", "", tail),
        expected(dir.path(), "data", "", tail),
        expected(dir.path(), "service", SERVICE_PARAMS, tail),
    ]
    .join("\n")
        + "\n";
    assert_eq!(r.out, want);
}

#[test]
fn dry_run_passes_profile_and_endpoint_through() {
    let dir = templates();
    let r = dry_run(
        test_app,
        dir.path(),
        &[
            "--env",
            "dev",
            "--stack",
            "network",
            "--profile",
            "ops",
            "--endpoint-url",
            "http://127.0.0.1:4566",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        r.out,
        expected(
            dir.path(),
            "network",
            "",
            " --profile ops --endpoint-url http://127.0.0.1:4566"
        ) + "\n"
    );
}

#[test]
fn stack_pulls_in_what_it_depends_on_transitively() {
    let dir = templates();
    let r = dry_run(
        test_app,
        dir.path(),
        &["--env", "dev", "--stack", "service"],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let stacks: Vec<&str> = r
        .out
        .lines()
        .map(|l| {
            l.split("--stack-name ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        stacks,
        ["shop-dev-network", "shop-dev-data", "shop-dev-service"]
    );
}

#[test]
fn exclusively_deploys_only_the_named_stacks() {
    let dir = templates();
    let r = dry_run(
        test_app,
        dir.path(),
        &[
            "--env",
            "dev",
            "--stack",
            "service",
            "--stack",
            "network",
            "--exclusively",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        r.out,
        format!(
            "{}\n{}\n",
            expected(dir.path(), "network", "", ""),
            expected(dir.path(), "service", SERVICE_PARAMS, "")
        )
    );
    let r = dry_run(test_app, dir.path(), &["--env", "dev", "--exclusively"]);
    assert_eq!(r.code, 2, "--exclusively needs --stack");
}

#[test]
fn deploy_needs_exactly_one_environment() {
    let dir = templates();
    let r = dry_run(test_app, dir.path(), &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.err.contains("one environment at a time") && r.err.contains("dev, prod"),
        "{}",
        r.err
    );
    let r = dry_run(test_app, dir.path(), &["--env", "dev", "--env", "prod"]);
    assert_eq!(r.code, 2);
    let r = dry_run(test_app, dir.path(), &["--env", "qa"]);
    assert_eq!(r.code, 2);
    assert!(r.err.contains("unknown environment `qa`"), "{}", r.err);
}

#[test]
fn parameter_overrides_replace_file_values_and_are_shell_quoted() {
    let dir = templates();
    let r = dry_run(
        test_app,
        dir.path(),
        &[
            "--env",
            "dev",
            "--stack",
            "service",
            "--exclusively",
            "--parameter",
            "service:ImageTag=2.0 rc",
            "--parameter",
            "service:Stage=green",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        r.out,
        expected(
            dir.path(),
            "service",
            "--parameter-overrides 'ImageTag=2.0 rc' Stage=green 'Token=****' ",
            ""
        ) + "\n"
    );
}

#[test]
fn parameter_overrides_can_supply_what_the_file_lacks() {
    let dir = templates();
    fs::write(
        dir.path().join("params/dev/service.json"),
        r#"{"Parameters": {"ImageTag": "1.0.0", "Stage": "blue"}}"#,
    )
    .unwrap();
    let args = ["--env", "dev", "--stack", "service", "--exclusively"];
    let r = dry_run(test_app, dir.path(), &args);
    assert_eq!(r.code, 1, "the file alone lacks Token");
    assert!(
        r.err.contains("`Token` has no default and no value"),
        "{}",
        r.err
    );
    let r = dry_run(
        test_app,
        dir.path(),
        &[&args[..], &["--parameter", "service:Token=x"]].concat(),
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("'Token=****'"), "{}", r.out);
}

#[test]
fn parameter_override_errors_name_the_flag() {
    let dir = templates();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--parameter", "service:Nope=1"],
            "`Nope` is not a parameter of stack `service` (it has: ImageTag, Stage, Token)",
        ),
        (
            &["--parameter", "service:Stage=red"],
            "--parameter service:Stage: `red` is not one of",
        ),
        (
            &["--parameter", "service:ImageTag="],
            "--parameter service:ImageTag: the value is empty",
        ),
        (
            &["--parameter", "cache:ImageTag=1"],
            "environment `dev` has no stack `cache`",
        ),
        (
            &[
                "--parameter",
                "service:Stage=blue",
                "--parameter",
                "service:Stage=green",
            ],
            "--parameter service:Stage is given twice",
        ),
        (
            &["--stack", "network", "--parameter", "service:Stage=blue"],
            "this deploy does not include stack `service`",
        ),
        (
            &["--parameter", "service-ImageTag=1"],
            "is not STACK:KEY=VALUE",
        ),
    ];
    for (extra, want) in cases {
        let r = dry_run(test_app, dir.path(), &[&["--env", "dev"], *extra].concat());
        assert_eq!(r.code, 2, "{extra:?}: {}", r.err);
        assert!(
            r.err.contains(want),
            "{extra:?}: want {want:?} in {}",
            r.err
        );
        assert!(r.out.is_empty(), "{extra:?}: nothing is printed on errors");
    }
}

#[test]
fn a_template_over_51200_bytes_needs_an_s3_bucket() {
    let dir = templates();
    let r = dry_run(big_app, dir.path(), &["--env", "dev"]);
    assert_eq!(r.code, 2);
    assert!(
        r.err
            .contains("over CloudFormation's 51200-byte inline limit: shop-dev-archive (")
            && r.err.contains("Fix: pass --s3-bucket BUCKET"),
        "{}",
        r.err
    );
    assert!(r.out.is_empty(), "no command is printed: {}", r.out);

    let r = dry_run(
        big_app,
        dir.path(),
        &[
            "--env",
            "dev",
            "--s3-bucket",
            "my-templates",
            "--s3-prefix",
            "cfn",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let lines: Vec<&str> = r.out.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(
        lines[3].contains("--stack-name shop-dev-archive")
            && lines[3]
                .ends_with("--no-fail-on-empty-changeset --s3-bucket my-templates --s3-prefix cfn"),
        "{}",
        lines[3]
    );
    assert!(
        lines[..3].iter().all(|l| !l.contains("--s3-bucket")),
        "small templates go inline"
    );
}

// ---- The real binary (the migration-api app) with a fake `aws` ----

/// Deploys the migration-api with `args`, an image already in the repository, no setup
/// tasks (tests/deploy_time.rs covers both) and a real-looking alert address (the committed
/// one is a placeholder `deploy` refuses).
fn deploy(aws: &FakeAws, args: &[&str]) -> assert_cmd::assert::Assert {
    let mut all = args.to_vec();
    all.extend(IMAGE_AND_EMAIL);
    aws.deploy(&all)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const DEV_STACKS: [&str; 6] = [
    "network",
    "data",
    "registry",
    "service",
    "monitoring",
    "audit",
];

const IMAGE_AND_EMAIL: [&str; 5] = [
    "--image-digest",
    "sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
    "--skip-setup-tasks",
    "--parameter",
    "monitoring:AlertEmail=oncall@stackforge.dev",
];

#[test]
fn progress_shows_each_step_event_and_duration_in_order() {
    let aws = FakeAws::new();
    aws.touch("unchanged-migration-api-dev-data", "");
    let out = deploy(&aws, &["--env", "dev", "--region", "us-east-1"])
        .get_output()
        .clone();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("deploying 6 stack(s) of `dev` to account 123456789012 as arn:aws:iam::123456789012:user/tester"), "{stderr}");

    // The stack's own step lines. Its events (which name the stack too) interleave with
    // them wherever the event poll happens to run: under CPU load the first event can come
    // before the CLI's "Waiting for stack create/update" line is read, so events are
    // checked separately (the flake this guards against).
    let network: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("[1/6] migration-api-dev-network: "))
        .collect();
    assert_eq!(network[0], "[1/6] migration-api-dev-network: started");
    assert_eq!(
        network[1],
        "[1/6] migration-api-dev-network: creating change set"
    );
    assert_eq!(
        network[2],
        "[1/6] migration-api-dev-network: change set created; executing"
    );
    let events: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("    ") && l.contains("-network"))
        .collect();
    assert_eq!(
        events.first().copied(),
        Some("    10:00:01  migration-api-dev-network  AWS::CloudFormation::Stack  CREATE_IN_PROGRESS  User Initiated")
    );
    let done = network.last().unwrap();
    assert!(
        done.starts_with("[1/6] migration-api-dev-network: CREATE_COMPLETE in ")
            && done.ends_with('s'),
        "{done}"
    );
    let topic: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("  Topic  AWS::SNS::Topic"))
        .take(2)
        .collect();
    assert_eq!(
        topic,
        [
            "    10:00:02  Topic  AWS::SNS::Topic  CREATE_IN_PROGRESS",
            "    10:00:03  Topic  AWS::SNS::Topic  CREATE_COMPLETE"
        ],
        "each event once, oldest first"
    );
    assert!(
        stdout.contains("[2/6] migration-api-dev-data: no changes ("),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("deployed `dev` in "),
        "{stdout}"
    );
    assert!(
        stdout.contains(": 5 stack(s) changed, 1 without changes"),
        "{stdout}"
    );

    let want: Vec<String> = DEV_STACKS
        .iter()
        .map(|s| format!("migration-api-dev-{s}"))
        .collect();
    assert_eq!(aws.deployed(), want, "manifest order");
    let calls = aws.calls();
    assert_eq!(
        calls[0],
        "sts get-caller-identity --region us-east-1 --output json"
    );
    let deploy = calls
        .iter()
        .find(|c| c.starts_with("cloudformation deploy"))
        .unwrap();
    assert!(deploy.contains(" --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM --tags app=migration-api env=dev stack=network service=migration-api --no-fail-on-empty-changeset --region us-east-1"), "{deploy}");
    let template = deploy
        .split("--template-file ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    assert!(
        !Path::new(template).starts_with(env!("CARGO_MANIFEST_DIR")),
        "a rendered copy, not the committed file: {template}"
    );
    assert!(
        !Path::new(template).exists(),
        "the rendered copies are removed afterwards"
    );
}

#[test]
fn a_failed_stack_stops_the_deploy_and_reports_its_failed_events() {
    let aws = FakeAws::new();
    // A failure from an earlier deploy is not this deploy's.
    aws.touch(
        "events-migration-api-dev-service",
        "{\"EventId\":\"old\",\"LogicalResourceId\":\"Old\",\"ResourceType\":\"AWS::SNS::Topic\",\"Timestamp\":\"2025-01-01T00:00:00Z\",\"ResourceStatus\":\"UPDATE_FAILED\",\"ResourceStatusReason\":\"an old failure\"}\n",
    );
    aws.touch(
        "fail-migration-api-dev-service",
        "Topic name is taken (Service: SNS)",
    );
    let out = deploy(&aws, &["--env", "dev"]).get_output().clone();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("[4/6] migration-api-dev-service: FAILED (ROLLBACK_COMPLETE) after "),
        "{stdout}"
    );
    assert!(
        stderr.contains("error: stack migration-api-dev-service failed (ROLLBACK_COMPLETE). Failed resources:\n  Topic (AWS::SNS::Topic) CREATE_FAILED: Topic name is taken (Service: SNS)\n"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("an old failure") && !stdout.contains("an old failure"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stopped at the first failure; not deployed: migration-api-dev-monitoring, migration-api-dev-audit"),
        "{stderr}"
    );
    assert_eq!(
        aws.deployed(),
        [
            "migration-api-dev-network",
            "migration-api-dev-data",
            "migration-api-dev-registry",
            "migration-api-dev-service"
        ],
        "later stacks are untouched"
    );
    // Only reads name them: before anything runs, deploy asks every stack's status (stacks
    // needing recovery); nothing else touches a later stack.
    assert!(
        !aws.calls()
            .iter()
            .any(|c| (c.contains("migration-api-dev-monitoring")
                || c.contains("migration-api-dev-audit"))
                && !c.starts_with("cloudformation describe-stacks ")),
        "no call changes a later stack"
    );
}

#[test]
fn a_missing_aws_cli_is_an_error_before_anything_starts() {
    let aws = FakeAws::new();
    let missing = aws.path("no-such-aws");
    let out = Command::cargo_bin("stackforge")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("STACKFORGE_AWS_CLI", &missing)
        .args(["deploy", "--env", "dev"])
        .args(IMAGE_AND_EMAIL)
        .assert()
        .get_output()
        .clone();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: the AWS CLI `{}` cannot be run",
            missing.display()
        )) && stderr.contains("Nothing was deployed")
            && stderr.contains("STACKFORGE_AWS_CLI names it"),
        "{stderr}"
    );
    assert!(text(&out.stdout).is_empty());
}

#[test]
fn missing_credentials_are_an_error_before_anything_starts() {
    let aws = FakeAws::new();
    aws.touch("no-credentials", "");
    let out = deploy(&aws, &["--env", "dev"]).get_output().clone();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: no usable AWS credentials")
            && stderr.contains("Unable to locate credentials"),
        "{stderr}"
    );
    assert_eq!(aws.calls(), ["sts get-caller-identity --output json"]);
}

#[test]
fn dry_run_runs_no_aws_at_all() {
    let aws = FakeAws::new();
    let out = deploy(&aws, &["--env", "prod", "--dry-run"])
        .get_output()
        .clone();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Six stacks, the image digest after `registry`, the skipped setup task after `data`.
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 8, "{stdout}");
    assert!(
        stdout.contains("# service:ImageDigest=sha256:eeee"),
        "{stdout}"
    );
    assert!(aws.calls().is_empty(), "{:?}", aws.calls());
}

#[test]
fn prod_without_yes_shows_the_changes_and_refuses() {
    let aws = FakeAws::new();
    aws.touch(
        "template-migration-api-prod-network",
        r#"{"Resources": {"Old": {"Type": "AWS::SNS::Topic"}}}"#,
    );
    let out = deploy(&aws, &["--env", "prod"]).get_output().clone();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`prod` is a production environment. Changes to deploy:"),
        "{stderr}"
    );
    assert!(stderr.contains("  data: stack added"), "{stderr}");
    assert!(
        stderr.contains("  network: changed") && stderr.contains("- Old AWS::SNS::Topic"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Nothing was deployed. Fix: review the changes above and pass --yes."),
        "{stderr}"
    );
    assert!(aws.deployed().is_empty());

    let out = deploy(&aws, &["--env", "prod", "--yes"])
        .get_output()
        .clone();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(aws.deployed().len(), 6);
}
