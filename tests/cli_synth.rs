//! `synth` and `list` in-process on a small test app: output layout, determinism, `--check`,
//! YAML, selection errors, parameter files and atomic replacement.

mod common;

use common::{run_cli, Run};
use std::fs;
use std::path::Path;

use serde_json::{json, Value};
use stackforge_constructs::{
    App, Environment, Error, Expr, Parameter, RawResource, ResourceOptions, Stack, StackProps,
};

/// Two environments, each with `network` (a topic) and `service` (a topic importing the
/// first one's ARN and a parameter).
fn test_app() -> Result<App, Error> {
    let mut app = App::new("shop");
    for env in [
        Environment::new("dev"),
        Environment::new("prod").with_region("eu-west-1"),
    ] {
        let mut network = Stack::new(&app, &env, "network", StackProps::default())?;
        let topic = network.root().add_raw(
            "Alerts",
            RawResource::new("AWS::SNS::Topic")
                .prop("DisplayName", "alerts")
                .prop("KmsMasterKeyId", "alias/aws/sns"),
            ResourceOptions::default(),
        )?;
        let mut service = Stack::new(&app, &env, "service", StackProps::default())?;
        let tag = service.add_parameter(
            "ImageTag",
            Parameter::string().description("Image tag to run"),
        )?;
        service.root().add_raw(
            "Consumer",
            RawResource::new("AWS::SNS::Topic")
                .prop("KmsMasterKeyId", "alias/aws/sns")
                .prop("DisplayName", Expr::concat([Expr::str("v-"), tag]))
                .prop(
                    "TopicName",
                    Expr::concat([topic.get_att("TopicName"), Expr::str("-consumer")]),
                ),
            ResourceOptions::default(),
        )?;
        app.add_stack(service)?;
        app.add_stack(network)?;
    }
    Ok(app)
}

fn broken_app() -> Result<App, Error> {
    let mut app = test_app()?;
    let env = Environment::new("dev");
    let mut s = Stack::new(&app, &env, "broken", StackProps::default())?;
    s.root().add_raw(
        "X",
        RawResource::new("AWS::SNS::Topic").prop("Nope", Expr::local_ref("Missing")),
        ResourceOptions::default(),
    )?;
    app.add_stack(s)?;
    Ok(app)
}

fn run_with(factory: stackforge::AppFactory, args: &[&str]) -> Run {
    run_cli(factory, args)
}

/// The test app's parameter files: `ImageTag` of `service` in both environments.
const PARAMS: &str = "tests/fixtures/params/shop";

/// Runs the test app; `synth` reads [`PARAMS`] unless the test passes `--params`.
fn run(args: &[&str]) -> Run {
    let args = common::with_params(args, PARAMS);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_with(test_app, &args)
}

/// Writes `<params>/<env>/service.json`.
fn write_params(params: &Path, env: &str, body: &str) {
    fs::create_dir_all(params.join(env)).unwrap();
    fs::write(params.join(env).join("service.json"), body).unwrap();
}

fn synth_into(out: &Path) -> Run {
    run(&["synth", "--out", out.to_str().unwrap()])
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn synth_writes_templates_and_a_manifest_in_deploy_order() {
    let dir = tempfile::tempdir().unwrap();
    let r = synth_into(dir.path());
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("wrote"), "{}", r.out);
    let mut files: Vec<String> = fs::read_dir(dir.path().join("dev"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "manifest.json",
            "network.template.json",
            "service.parameters.json",
            "service.template.json"
        ]
    );
    let manifest = read_json(&dir.path().join("prod/manifest.json"));
    assert_eq!(
        manifest,
        json!({
            "app": "shop",
            "environment": "prod",
            "region": "eu-west-1",
            "stacks": [
                {
                    "name": "network", "stackName": "shop-prod-network", "templateFile": "network.template.json",
                    "dependencies": [], "parameters": {},
                    "tags": {"app": "shop", "env": "prod", "stack": "network"},
                    "resources": {"Alerts": {"path": "network/Alerts", "type": "AWS::SNS::Topic"}},
                    "exports": {"shop-prod-network:Alerts-TopicName": "ExportAlertsTopicName"}
                },
                {
                    "name": "service", "stackName": "shop-prod-service", "templateFile": "service.template.json",
                    "dependencies": ["network"], "parameters": {"ImageTag": {"type": "String"}},
                    "tags": {"app": "shop", "env": "prod", "stack": "service"},
                    "parameterFile": "service.parameters.json",
                    "resources": {"Consumer": {"path": "service/Consumer", "type": "AWS::SNS::Topic"}}
                }
            ]
        })
    );
    let service = read_json(&dir.path().join("dev/service.template.json"));
    assert_eq!(
        service["Resources"]["Consumer"]["Properties"]["TopicName"],
        json!({"Fn::Join": ["", [{"Fn::ImportValue": "shop-dev-network:Alerts-TopicName"}, "-consumer"]]})
    );
}

#[test]
fn synth_is_byte_identical_across_runs() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    assert_eq!(synth_into(a.path()).code, 0);
    assert_eq!(synth_into(b.path()).code, 0);
    for f in [
        "dev/network.template.json",
        "dev/service.template.json",
        "dev/manifest.json",
        "prod/manifest.json",
    ] {
        assert_eq!(
            fs::read(a.path().join(f)).unwrap(),
            fs::read(b.path().join(f)).unwrap(),
            "{f}"
        );
    }
}

/// Committed state is a synth input: synthesizing the unchanged migration-api again over its
/// own output (templates and manifest read back) gives the same bytes.
#[test]
fn synth_over_its_own_committed_output_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for env in ["dev", "prod"] {
        fs::create_dir_all(dir.path().join(env)).unwrap();
        for entry in fs::read_dir(committed.join(env)).unwrap() {
            let p = entry.unwrap().path();
            if p.to_string_lossy().ends_with(".parameters.json") {
                fs::copy(&p, dir.path().join(env).join(p.file_name().unwrap())).unwrap();
            }
        }
    }
    let out = dir.path().to_str().unwrap();
    let params = Path::new(env!("CARGO_MANIFEST_DIR")).join("params");
    let params = params.to_str().unwrap();
    let first = run_with(
        stackforge_stacks::app,
        &["synth", "--out", out, "--params", params],
    );
    assert_eq!(first.code, 0, "{}", first.err);
    let snapshot = |env: &str| -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir.path().join(env))
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    fs::read(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    let before = (snapshot("dev"), snapshot("prod"));
    let second = run_with(
        stackforge_stacks::app,
        &["synth", "--out", out, "--params", params],
    );
    assert_eq!(second.code, 0, "{}", second.err);
    assert_eq!((snapshot("dev"), snapshot("prod")), before);
    // And the result is what is committed.
    for (env, files) in [("dev", &before.0), ("prod", &before.1)] {
        for (name, bytes) in files {
            let committed_bytes = fs::read(committed.join(env).join(name)).unwrap();
            assert!(&committed_bytes == bytes, "{env}/{name} differs");
        }
    }
}

#[test]
fn check_passes_on_fresh_output_and_fails_with_a_diff_when_stale() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    assert_eq!(synth_into(dir.path()).code, 0);
    let fresh = run(&["synth", "--check", "--out", out]);
    assert_eq!(fresh.code, 0, "{}", fresh.err);
    assert!(fresh.out.contains("up to date"));

    let path = dir.path().join("dev/network.template.json");
    let edited = fs::read_to_string(&path)
        .unwrap()
        .replace("alerts", "renamed");
    fs::write(&path, edited).unwrap();
    fs::write(dir.path().join("prod/old.template.json"), "{}").unwrap();
    fs::remove_file(dir.path().join("prod/network.template.json")).unwrap();
    let stale = run(&["synth", "--check", "--out", out]);
    assert_eq!(stale.code, 1);
    assert!(
        stale.err.contains("differs:") && stale.err.contains("dev/network.template.json"),
        "{}",
        stale.err
    );
    assert!(
        stale.err.contains("-        \"DisplayName\": \"renamed\""),
        "unified diff expected: {}",
        stale.err
    );
    assert!(
        stale.err.contains("+        \"DisplayName\": \"alerts\""),
        "{}",
        stale.err
    );
    assert!(
        stale.err.contains("missing: ") && stale.err.contains("prod/network.template.json"),
        "{}",
        stale.err
    );
    assert!(
        stale.err.contains("extra:") && stale.err.contains("prod/old.template.json"),
        "{}",
        stale.err
    );
    // --check never writes.
    assert!(!dir.path().join("prod/network.template.json").exists());
}

#[test]
fn yaml_format_writes_yaml_with_the_same_content() {
    let (dir, params) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_params(params.path(), "dev", r#"{"Parameters": {"ImageTag": "1"}}"#);
    let r = run(&[
        "synth",
        "--env",
        "dev",
        "--format",
        "yaml",
        "--out",
        dir.path().to_str().unwrap(),
        "--params",
        params.path().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
    let yaml = fs::read_to_string(dir.path().join("dev/service.template.yaml")).unwrap();
    assert!(
        yaml.starts_with("AWSTemplateFormatVersion: \"2010-09-09\"\n"),
        "{yaml}"
    );
    let from_yaml: Value = serde_norway::from_str(&yaml).unwrap();
    let json_dir = tempfile::tempdir().unwrap();
    synth_into(json_dir.path());
    assert_eq!(
        from_yaml,
        read_json(&json_dir.path().join("dev/service.template.json"))
    );
    let manifest = read_json(&dir.path().join("dev/manifest.json"));
    assert_eq!(
        manifest["stacks"][0]["templateFile"],
        json!("network.template.yaml")
    );
    assert!(
        !dir.path().join("prod").exists(),
        "--env dev writes only dev"
    );
}

#[test]
fn unknown_environment_or_stack_is_a_usage_error_listing_the_known_ones() {
    let r = run(&["synth", "--env", "stage"]);
    assert_eq!(r.code, 2);
    assert!(
        r.err.contains("unknown environment `stage`") && r.err.contains("dev, prod"),
        "{}",
        r.err
    );
    let r = run(&["list", "--stack", "nope"]);
    assert_eq!(r.code, 2);
    assert!(
        r.err.contains("unknown stack `nope`") && r.err.contains("network, service"),
        "{}",
        r.err
    );
    let r = run(&["synth", "--format", "toml"]);
    assert_eq!(r.code, 2);
    assert!(r.err.contains("toml"), "{}", r.err);
}

#[test]
fn a_failed_synth_leaves_the_previous_templates_untouched() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(synth_into(dir.path()).code, 0);
    let before = fs::read(dir.path().join("dev/service.template.json")).unwrap();
    let r = run_with(
        broken_app,
        &["synth", "--out", dir.path().to_str().unwrap()],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("`broken/X`") && r.err.contains("Ref `Missing` does not exist"),
        "{}",
        r.err
    );
    assert_eq!(
        fs::read(dir.path().join("dev/service.template.json")).unwrap(),
        before
    );
    assert!(!dir.path().join("dev/broken.template.json").exists());
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no staging folders left: {leftovers:?}"
    );
}

#[test]
fn parameter_files_are_checked_and_kept() {
    let (dir, params) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = dir.path().to_str().unwrap();
    let p = params.path().to_str().unwrap();
    let run = |args: &[&str]| run(&[args, &["--params", p]].concat());
    write_params(
        params.path(),
        "dev",
        r#"{"Parameters": {"ImageTag": "1", "Typo": "x"}}"#,
    );
    let r = run(&["synth", "--env", "dev", "--out", out]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("dev/service.json") && r.err.contains("`Typo` is not a parameter"),
        "{}",
        r.err
    );

    write_params(params.path(), "dev", r#"{"Parameters": {}}"#);
    let r = run(&["synth", "--env", "dev", "--out", out]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("`ImageTag` has no default and no value")
            && r.err.contains("Image tag to run"),
        "{}",
        r.err
    );

    write_params(
        params.path(),
        "dev",
        r#"{"Parameters": {"ImageTag": true}}"#,
    );
    let r = run(&["synth", "--env", "dev", "--out", out]);
    assert_eq!(r.code, 2);
    assert!(r.err.contains("parameter `ImageTag` is true"), "{}", r.err);

    write_params(params.path(), "dev", "{not json");
    assert_eq!(run(&["synth", "--env", "dev", "--out", out]).code, 2);

    write_params(
        params.path(),
        "dev",
        r#"{"Parameters": {"ImageTag": "2.0"}}"#,
    );
    assert_eq!(run(&["synth", "--env", "dev", "--out", out]).code, 0);
    assert_eq!(
        read_json(&dir.path().join("dev/service.parameters.json"))["Parameters"]["ImageTag"],
        json!("2.0")
    );
}

#[test]
fn selecting_a_stack_rewrites_only_that_template() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(synth_into(dir.path()).code, 0);
    let network = dir.path().join("dev/network.template.json");
    fs::write(&network, "edited").unwrap();
    let r = run(&[
        "synth",
        "--env",
        "dev",
        "--stack",
        "service",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(fs::read_to_string(&network).unwrap(), "edited");
    let r = run(&[
        "synth",
        "--env",
        "dev",
        "--stack",
        "service",
        "--check",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "only the selected stack is compared: {}", r.err);
}

#[test]
fn list_shows_stacks_in_deploy_order_with_dependencies_and_counts() {
    let r = run(&["list"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        r.out,
        "dev\n  1. shop-dev-network    1 resources\n  2. shop-dev-service    1 resources  depends on: network\n\
         prod (eu-west-1)\n  1. shop-prod-network    1 resources\n  2. shop-prod-service    1 resources  depends on: network\n"
    );
}
