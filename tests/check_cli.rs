//! `check` and the policy gate of `synth`, in process through `stackforge::run` with small
//! test apps built from raw resources.

mod common;

use common::{run_cli, Run};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use stackforge::AppFactory;
use stackforge_constructs::{
    App, Environment, Error, RawResource, ResourceOptions, Scope, Stack, StackProps,
};

fn run(args: &[&str], factory: AppFactory) -> Run {
    run_cli(factory, args)
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/policy")
}

fn fixture(rel: &str) -> String {
    fixtures().join(rel).display().to_string()
}

/// Adds a raw resource with a fixed logical ID, its properties given as template JSON.
fn add(scope: &mut Scope<'_>, id: &str, type_name: &str, props: Value) -> Result<(), Error> {
    let mut raw = RawResource::new(type_name);
    for (k, v) in props.as_object().cloned().unwrap_or_default() {
        raw = raw.prop(&k, v);
    }
    let options = ResourceOptions {
        logical_id: Some(id.to_owned()),
        ..ResourceOptions::default()
    };
    scope.add_raw(id, raw, options).map(|_| ())
}

/// A KMS key, a private encrypted TLS-only bucket and an encrypted log group.
fn secure_resources(scope: &mut Scope<'_>) -> Result<(), Error> {
    add(
        scope,
        "Key",
        "AWS::KMS::Key",
        json!({"EnableKeyRotation": true, "KeyPolicy": {}}),
    )?;
    add(
        scope,
        "Bucket",
        "AWS::S3::Bucket",
        json!({
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault":
                {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]}}}]},
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "BlockPublicPolicy": true,
                "IgnorePublicAcls": true, "RestrictPublicBuckets": true}
        }),
    )?;
    add(
        scope,
        "BucketPolicy",
        "AWS::S3::BucketPolicy",
        json!({
            "Bucket": {"Ref": "Bucket"},
            "PolicyDocument": {"Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
                "Resource": {"Fn::Sub": "${Bucket.Arn}/*"},
                "Condition": {"Bool": {"aws:SecureTransport": false}}}]}
        }),
    )?;
    add(
        scope,
        "Logs",
        "AWS::Logs::LogGroup",
        json!({
            "RetentionInDays": 30, "KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]}
        }),
    )
}

fn app_with(
    envs: &[&str],
    build: fn(&str, &mut Scope<'_>) -> Result<(), Error>,
) -> Result<App, Error> {
    let mut app = App::new("shop");
    for env in envs {
        let env_value = Environment::new(env);
        let mut stack = Stack::new(&app, &env_value, "data", StackProps::default())?;
        build(env, &mut stack.root())?;
        app.add_stack(stack)?;
    }
    Ok(app)
}

fn secure_app() -> Result<App, Error> {
    app_with(&["dev"], |_, s| secure_resources(s))
}

fn insecure_app() -> Result<App, Error> {
    app_with(&["dev"], |_, s| {
        add(
            s,
            "Bucket",
            "AWS::S3::Bucket",
            json!({"Tags": [{"Key": "team", "Value": "web"}]}),
        )
    })
}

/// dev is secure; prod has a log group without retention.
fn two_env_app() -> Result<App, Error> {
    app_with(&["dev", "prod"], |env, s| {
        secure_resources(s)?;
        if env == "prod" {
            add(
                s,
                "AuditLogs",
                "AWS::Logs::LogGroup",
                json!({"KmsKeyId": {"Ref": "Key"}}),
            )?;
        }
        Ok(())
    })
}

fn suppressed_app() -> Result<App, Error> {
    app_with(&["dev"], |_, s| {
        secure_resources(s)?;
        let mut audit = s.child("Audit")?;
        audit.suppress("LOGS_RETENTION", "audit logs are kept forever by law")?;
        add(
            &mut audit,
            "AuditLogs",
            "AWS::Logs::LogGroup",
            json!({"KmsKeyId": {"Ref": "Key"}}),
        )
    })
}

fn unsuppressible_app() -> Result<App, Error> {
    app_with(&["dev"], |_, s| {
        secure_resources(s)?;
        let mut raw = s.child("Raw")?;
        raw.suppress("LOGS_ENCRYPTED", "the logs hold nothing sensitive")?;
        add(
            &mut raw,
            "PlainLogs",
            "AWS::Logs::LogGroup",
            json!({"RetentionInDays": 7}),
        )
    })
}

// ---- check on the app

#[test]
fn check_passes_a_secure_app() {
    let r = run(&["check"], secure_app);
    assert!(r.exit(0), "{} {}", r.out, r.err);
    assert!(
        r.out
            .contains("policy gate passed: 0 violations; 49 rules on 1 template (4 resources)"),
        "{}",
        r.out
    );
}

#[test]
fn check_fails_an_insecure_app_naming_rule_stack_resource_and_fix() {
    let r = run(&["check"], insecure_app);
    assert!(r.exit(1), "{} {}", r.out, r.err);
    assert!(
        r.out.contains("[critical] S3_ENCRYPTED  dev/data (shop-dev-data)  Bucket AWS::S3::Bucket  at data/Bucket\n"),
        "{}",
        r.out
    );
    assert!(r.out.contains("Fix: set BucketEncryption"), "{}", r.out);
    for rule in ["S3_PUBLIC_ACCESS_BLOCKED", "S3_TLS_ONLY"] {
        assert!(r.out.contains(rule), "{}", r.out);
    }
    assert!(
        r.out.contains("policy gate FAILED: 3 violations"),
        "{}",
        r.out
    );
}

#[test]
fn check_env_selects_environments() {
    assert!(run(&["check", "--env", "dev"], two_env_app).exit(0));
    let r = run(&["check", "--env", "prod"], two_env_app);
    assert!(r.exit(1));
    assert!(
        r.out
            .contains("LOGS_RETENTION  prod/data (shop-prod-data)  AuditLogs"),
        "{}",
        r.out
    );
    assert!(run(&["check"], two_env_app).exit(1));
    let r = run(&["check", "--env", "staging"], two_env_app);
    assert!(r.exit(2));
    assert!(r.err.contains("unknown environment `staging`"), "{}", r.err);
}

#[test]
fn check_lists_suppressed_findings_with_their_reasons() {
    let r = run(&["check"], suppressed_app);
    assert!(r.exit(0), "{} {}", r.out, r.err);
    assert!(r.out.contains("suppressed findings (1):"), "{}", r.out);
    assert!(r.out.contains("LOGS_RETENTION  dev/data (shop-dev-data)  AuditLogs AWS::Logs::LogGroup  at data/Audit/AuditLogs"), "{}", r.out);
    assert!(
        r.out
            .contains("reason: audit logs are kept forever by law (suppressed at data/Audit)"),
        "{}",
        r.out
    );

    let r = run(&["check", "--json"], suppressed_app);
    let v: Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v["summary"]["passed"], true);
    assert_eq!(v["suppressed"][0]["rule"], "LOGS_RETENTION");
    assert_eq!(
        v["suppressed"][0]["reason"],
        "audit logs are kept forever by law"
    );
    assert_eq!(v["suppressed"][0]["stack"], "shop-dev-data");
}

/// The app cannot even declare it (templates from elsewhere that do are refused by the gate:
/// see `policy_rules.rs`).
#[test]
fn check_refuses_a_suppression_of_a_rule_that_cannot_be_suppressed() {
    let r = run(&["check"], unsuppressible_app);
    assert!(r.exit(1));
    assert!(
        r.err.contains("`data/Raw`")
            && r.err.contains("LOGS_ENCRYPTED")
            && r.err.contains("cannot be suppressed"),
        "{}",
        r.err
    );
    assert!(r.out.is_empty(), "{}", r.out);
}

#[test]
fn check_json_is_one_document_listing_violations() {
    let r = run(&["check", "--json"], insecure_app);
    assert!(r.exit(1));
    let v: Value = serde_json::from_str(&r.out).expect("one JSON document");
    assert_eq!(v["summary"]["violations"], 3);
    assert_eq!(v["summary"]["passed"], false);
    let first = &v["violations"][0];
    assert_eq!(first["rule"], "S3_ENCRYPTED");
    assert_eq!(first["severity"], "critical");
    assert_eq!(first["source"], "dev/data");
    assert_eq!(first["stack"], "shop-dev-data");
    assert_eq!(first["logical_id"], "Bucket");
    assert_eq!(first["path"], "data/Bucket");
    assert!(first["message"].as_str().unwrap().contains("Fix:"));
}

// ---- check PATH

#[test]
fn check_paths_reports_bad_files_with_exit_2_and_still_checks_the_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let malformed = write("malformed.json", "{\"Resources\": {\"A\": ");
    let empty = write("empty.yaml", "");
    let other = write("tsconfig.json", "{\"compilerOptions\": {}}");
    let good = fixture("KMS_KEY_ROTATION/fail.json");
    let r = run(&["check", &malformed, &empty, &other, &good], secure_app);
    assert!(r.exit(2), "{} {}", r.out, r.err);
    assert!(
        r.err
            .contains(&format!("error: {malformed}: not valid JSON")),
        "{}",
        r.err
    );
    assert!(
        r.err
            .contains(&format!("error: {empty}: the file is empty")),
        "{}",
        r.err
    );
    assert!(
        r.err.contains(&format!(
            "error: {other}: not a CloudFormation template: it has no `Resources` section"
        )),
        "{}",
        r.err
    );
    assert!(
        r.out.contains(&format!(
            "[high] KMS_KEY_ROTATION  {good}  Key AWS::KMS::Key"
        )),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains("policy gate FAILED: 1 violation, 3 unreadable inputs"),
        "{}",
        r.out
    );

    let r = run(&["check", "--json", &malformed, &good], secure_app);
    assert!(r.exit(2));
    let v: Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v["input_errors"][0]["path"], malformed.as_str());
    assert_eq!(v["violations"][0]["rule"], "KMS_KEY_ROTATION");
}

#[test]
fn check_paths_exit_codes() {
    assert!(run(
        &["check", &fixture("KMS_KEY_ROTATION/pass.json")],
        secure_app
    )
    .exit(0));
    assert!(run(
        &["check", &fixture("KMS_KEY_ROTATION/fail.json")],
        secure_app
    )
    .exit(1));
    let r = run(&["check", &fixture("does-not-exist")], secure_app);
    assert!(r.exit(2));
    assert!(r.err.contains("no such file or folder"), "{}", r.err);
    let r = run(&["check", &fixture("custom-rules")], secure_app);
    assert!(r.exit(2));
    assert!(r.err.contains("the folder holds no template"), "{}", r.err);
    let r = run(&["check", "--env", "dev", &fixture("app")], secure_app);
    assert!(r.exit(2));
    assert!(r.err.contains("pass one or the other"), "{}", r.err);
}

#[test]
fn check_reads_yaml_with_short_form_tags() {
    let r = run(&["check", &fixture("yaml/short-form.yaml")], secure_app);
    assert!(r.exit(1), "{} {}", r.out, r.err);
    assert!(r.err.is_empty(), "{}", r.err);
    assert!(r.out.contains("RDS_TLS_ENFORCED"), "{}", r.out);
    assert!(
        r.out.contains("policy gate FAILED: 1 violation;"),
        "{}",
        r.out
    );
}

#[test]
fn check_walks_folders_and_skips_manifests_and_parameter_files() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::copy(
        fixtures().join("KMS_KEY_ROTATION/fail.json"),
        nested.join("key.template"),
    )
    .unwrap();
    std::fs::copy(
        fixtures().join("yaml/short-form.yaml"),
        dir.path().join("db.yml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("manifest.json"), "{\"stacks\": []}").unwrap();
    std::fs::write(dir.path().join("data.parameters.json"), "[]").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a template").unwrap();
    let r = run(&["check", &dir.path().display().to_string()], secure_app);
    assert!(r.exit(1), "{} {}", r.out, r.err);
    assert!(r.out.contains("on 2 templates"), "{}", r.out);
    assert!(
        r.out.contains("KMS_KEY_ROTATION") && r.out.contains("RDS_TLS_ENFORCED"),
        "{}",
        r.out
    );
}

#[test]
fn check_rules_adds_custom_rules() {
    let rules = fixture("custom-rules");
    let bucket = fixture("S3_TLS_ONLY/fail.json");
    let r = run(&["check", "--rules", &rules, &bucket], secure_app);
    assert!(r.exit(1));
    assert!(
        !r.out.contains("BUCKETS_ARE_VERSIONED"),
        "the fixture is versioned: {}",
        r.out
    );
    assert!(r.out.contains("50 rules"), "{}", r.out);

    let r = run(&["check", "--rules", &rules], insecure_app);
    assert!(r.exit(1));
    assert!(
        r.out
            .contains("[custom] BUCKETS_ARE_VERSIONED  dev/data (shop-dev-data)  Bucket"),
        "{}",
        r.out
    );
    assert!(
        r.out.contains("Fix: set VersioningConfiguration"),
        "{}",
        r.out
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.guard"), "rule {").unwrap();
    let r = run(
        &[
            "check",
            "--rules",
            &dir.path().display().to_string(),
            &bucket,
        ],
        secure_app,
    );
    assert!(r.exit(2));
    assert!(r.err.contains("bad.guard: not valid Guard"), "{}", r.err);
}

// ---- synth

#[test]
fn synth_writes_nothing_when_a_rule_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("templates");
    let out_arg = out.display().to_string();
    let r = run(&["synth", "--out", &out_arg], insecure_app);
    assert!(r.exit(1), "{} {}", r.out, r.err);
    assert!(!out.exists(), "synth wrote {}", out.display());
    assert!(r.out.is_empty(), "{}", r.out);
    assert!(
        r.err
            .contains("[critical] S3_ENCRYPTED  dev/data (shop-dev-data)  Bucket"),
        "{}",
        r.err
    );
    assert!(r.err.contains("Nothing was written."), "{}", r.err);

    // --check compares nothing either.
    let r = run(&["synth", "--check", "--out", &out_arg], insecure_app);
    assert!(r.exit(1));
    assert!(r.err.contains("Nothing was compared."), "{}", r.err);
}

#[test]
fn synth_keeps_the_previous_templates_when_a_rule_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("templates").display().to_string();
    assert!(run(&["synth", "--out", &out], secure_app).exit(0));
    let file = dir.path().join("templates/dev/data.template.json");
    let before = std::fs::read_to_string(&file).unwrap();
    assert!(run(&["synth", "--out", &out], insecure_app).exit(1));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
}

#[test]
fn synth_runs_the_gate_and_writes_when_clean() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("templates");
    let r = run(
        &["synth", "--out", &out.display().to_string()],
        suppressed_app,
    );
    assert!(r.exit(0), "{} {}", r.out, r.err);
    assert!(out.join("dev/data.template.json").is_file());
    assert!(r.err.contains("policy gate passed: 0 violations, 1 suppressed; 49 rules on 1 template (5 resources) (`check` lists the suppressed findings)"), "{}", r.err);
}

#[test]
fn synth_no_check_skips_the_gate_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("templates");
    let r = run(
        &["synth", "--no-check", "--out", &out.display().to_string()],
        insecure_app,
    );
    assert!(r.exit(0), "{} {}", r.out, r.err);
    assert!(out.join("dev/data.template.json").is_file());
    assert!(
        r.err.contains("warning: policy gate SKIPPED (--no-check)"),
        "{}",
        r.err
    );
    assert!(!r.err.contains("S3_ENCRYPTED"), "{}", r.err);
}

#[test]
fn synth_rules_adds_custom_rules_to_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("templates");
    let r = run(
        &[
            "synth",
            "--rules",
            &fixture("custom-rules"),
            "--out",
            &out.display().to_string(),
        ],
        secure_app,
    );
    assert!(r.exit(1), "{} {}", r.out, r.err);
    assert!(r.err.contains("BUCKETS_ARE_VERSIONED"), "{}", r.err);
    assert!(!out.exists());
}
