//! `stackforge migrate`: the app it writes, what it refuses and why, and the README's example
//! (its input template and the module the README shows are what `migrate` really writes).
//! That generated code builds and synthesizes back is `migrate_roundtrip`'s job.

mod common;

use std::fs;
use std::path::Path;

use common::run_cli;
use stackforge_constructs::App;

fn no_app() -> Result<App, stackforge_constructs::Error> {
    Ok(App::new("unused"))
}

const QUEUE: &str = r#"{
  "Parameters": {"Retention": {"Type": "Number", "Default": 345600}},
  "Resources": {
    "Queue": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain",
              "Properties": {"MessageRetentionPeriod": {"Ref": "Retention"}}},
    "Topic": {"Type": "AWS::SNS::Topic", "DependsOn": "Queue",
              "Properties": {"Subscription": [{"Protocol": "sqs", "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]}}]}}
  },
  "Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}, "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-url"}}}}
}"#;

#[test]
fn templates_become_an_app_crate_with_one_module_per_stack() {
    let dir = tempfile::tempdir().unwrap();
    let (json, yaml) = (
        dir.path().join("orders.json"),
        dir.path().join("Alerts_Topic.yaml"),
    );
    fs::write(&json, QUEUE).unwrap();
    fs::write(
        &yaml,
        "Resources:\n  Alerts:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Sub '${AWS::StackName}-alerts'\n",
    )
    .unwrap();
    let out = dir.path().join("shop");
    let r = run_cli(
        no_app,
        &[
            "migrate",
            json.to_str().unwrap(),
            yaml.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(
        r.out.starts_with("migrated 2 of 2 templates") && r.out.contains("stack `alerts-topic`"),
        "{}",
        r.out
    );
    for file in [
        "Cargo.toml",
        "src/main.rs",
        "src/lib.rs",
        "src/support.rs",
        "src/orders.rs",
        "src/alerts_topic.rs",
        "README.md",
        "ci.sh",
    ] {
        assert!(out.join(file).is_file(), "{file}");
    }
    let lib = fs::read_to_string(out.join("src/lib.rs")).unwrap();
    assert!(
        lib.contains("pub const APP_NAME: &str = \"shop\";"),
        "{lib}"
    );
    assert!(
        lib.contains("pub mod orders;") && lib.contains("alerts_topic::stack(&app, &env)?"),
        "{lib}"
    );
    let orders = fs::read_to_string(out.join("src/orders.rs")).unwrap();
    for want in [
        "let queue = root.add_with(",
        "sqs::Queue {",
        "message_retention_period: Some(retention.clone().into())",
        "deletion_policy: Some(RemovalPolicy::Retain)",
        "depends_on: vec![queue.reference().clone()]",
        "sns::topic::Subscription {",
        "endpoint: queue.arn().into()",
        "..kept(\"Topic\")",
    ] {
        assert!(orders.contains(want), "{want} in:\n{orders}");
    }
    // The typed resources' catalog features, from beside the constructs.
    let manifest = fs::read_to_string(out.join("Cargo.toml")).unwrap();
    let catalog = manifest
        .lines()
        .find(|l| l.starts_with("stackforge-catalog = "))
        .unwrap_or_else(|| panic!("a catalog dependency in:\n{manifest}"));
    assert!(catalog.contains("catalog\", features = ["), "{catalog}");
    for feature in ["\"sns-topic\"", "\"sqs-queue\""] {
        assert!(manifest.contains(feature), "{feature} in:\n{manifest}");
    }
}

#[test]
fn an_import_of_an_export_migrated_alongside_becomes_a_typed_reference() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/migrate-cross-stack");
    let out = dir.path().join("shop");
    // The consumer first: the app builds the producer first anyway.
    let r = run_cli(
        no_app,
        &[
            "migrate",
            fixtures.join("service.yaml").to_str().unwrap(),
            fixtures.join("network.yaml").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    let lib = fs::read_to_string(out.join("src/lib.rs")).unwrap();
    let producer = lib.find("network::stack(&app, &env)").unwrap_or(usize::MAX);
    let consumer = lib.find("service::stack(&app, &env, &network_exports)");
    assert!(consumer.is_some_and(|c| producer < c), "{lib}");
    let network = fs::read_to_string(out.join("src/network.rs")).unwrap();
    assert!(network.contains("pub struct Exports"), "{network}");
    let service = fs::read_to_string(out.join("src/service.rs")).unwrap();
    assert!(
        service.contains("network_exports.vpc_id.clone()"),
        "{service}"
    );
    assert!(!service.contains("\"net-VpcId\""), "{service}");
}

#[test]
fn unsupported_templates_are_named_with_the_reason_and_the_rest_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let ok = dir.path().join("queue.json");
    fs::write(&ok, QUEUE).unwrap();
    let cases = [
        ("sam.yaml", "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: AWS::Serverless::Function\n", "Transform"),
        ("foreach.json", r#"{"Resources": {"Fn::ForEach::Topics": ["N", ["A"], {"T${N}": {"Type": "AWS::SNS::Topic"}}]}}"#, "Fn::ForEach"),
        ("unknown.json", r#"{"Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Upper": "x"}}}}}"#, "`Fn::Upper` is not a CloudFormation intrinsic function"),
        ("names.json", r#"{"Parameters": {"Same": {"Type": "String"}}, "Resources": {"Same": {"Type": "AWS::SNS::Topic"}}}"#, "`Resources.Same`: the name is also used in Parameters"),
    ];
    let mut args = vec!["migrate".to_owned(), ok.display().to_string()];
    for (name, text, _) in &cases {
        let p = dir.path().join(name);
        fs::write(&p, text).unwrap();
        args.push(p.display().to_string());
    }
    let out = dir.path().join("app");
    args.extend([
        "--out".into(),
        out.display().to_string(),
        "--app".into(),
        "shop".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run_cli(no_app, &args);
    assert_eq!(r.code, 1, "{}{}", r.out, r.err);
    assert!(r.out.starts_with("migrated 1 of 5 templates"), "{}", r.out);
    for (name, _, reason) in &cases {
        let line = r
            .err
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} is named in:\n{}", r.err));
        assert!(
            line.contains("not migrated") && line.contains(reason),
            "{line}"
        );
    }
    assert!(out.join("src/queue.rs").is_file());
}

#[test]
fn a_folder_that_is_not_empty_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("queue.json");
    fs::write(&t, QUEUE).unwrap();
    let r = run_cli(
        no_app,
        &[
            "migrate",
            t.to_str().unwrap(),
            "--out",
            dir.path().to_str().unwrap(),
            "--app",
            "shop",
        ],
    );
    assert_eq!(r.code, 2, "{}{}", r.out, r.err);
    assert!(
        r.err.contains("exists and is not an empty folder"),
        "{}",
        r.err
    );
}

/// The README's "Migrating an existing stack" section: its ```yaml block, and the module it
/// shows (a ```rust,ignore block: the crate it belongs to is built by `migrate_roundtrip`).
fn readme_example() -> (String, String) {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split("## Migrating an existing stack")
        .nth(1)
        .expect("README has the section")
        .split("\n## ")
        .next()
        .unwrap();
    let block = |fence: &str| {
        let start = section
            .find(fence)
            .unwrap_or_else(|| panic!("{fence} block"))
            + fence.len()
            + 1;
        let len = section[start..].find("\n```").unwrap() + 1;
        section[start..start + len].to_owned()
    };
    (block("```yaml"), block("```rust,ignore"))
}

#[test]
fn the_readme_migration_example_is_what_migrate_writes() {
    let (template, module) = readme_example();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("queue.yaml");
    fs::write(&input, template).unwrap();
    let out = dir.path().join("shop");
    let r = run_cli(
        no_app,
        &[
            "migrate",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    let written = fs::read_to_string(out.join("src/queue.rs")).unwrap();
    let shown = written
        .lines()
        .skip_while(|l| l.starts_with("//!"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        module.trim(),
        shown.trim(),
        "the README shows what `migrate` writes (without the header naming the input path)"
    );
}
