//! The real binary (the migration-api app) through `assert_cmd`: synth, list, `--check` on
//! fresh and stale folders, YAML, and usage errors.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn stackforge() -> Command {
    Command::cargo_bin("stackforge").unwrap()
}

/// A copy of the committed parameter files, which synth needs, in a fresh output folder.
fn out_dir_with_parameters() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for env in ["dev", "prod"] {
        fs::create_dir_all(dir.path().join(env)).unwrap();
        for entry in fs::read_dir(Path::new("templates").join(env)).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            if name.ends_with(".parameters.json") {
                fs::copy(entry.path(), dir.path().join(env).join(name)).unwrap();
            }
        }
    }
    dir
}

#[test]
fn synth_writes_the_committed_templates_and_check_agrees() {
    let dir = out_dir_with_parameters();
    let out = dir.path().to_str().unwrap();
    stackforge()
        .args(["synth", "--out", out])
        .assert()
        .success()
        .stdout(predicate::str::contains("wrote"));
    for f in [
        "dev/network.template.json",
        "prod/service.template.json",
        "prod/manifest.json",
    ] {
        assert_eq!(
            fs::read(dir.path().join(f)).unwrap(),
            fs::read(Path::new("templates").join(f)).unwrap(),
            "{f} differs from the committed file"
        );
    }
    stackforge()
        .args(["synth", "--check", "--out", out])
        .assert()
        .success();
    fs::write(dir.path().join("prod/audit.template.json"), "{}\n").unwrap();
    stackforge()
        .args(["synth", "--check", "--out", out])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("differs:")
                .and(predicate::str::contains("prod/audit.template.json")),
        );
}

#[test]
fn yaml_output_is_written_with_yaml_extensions() {
    let dir = out_dir_with_parameters();
    stackforge()
        .args([
            "synth",
            "--env",
            "dev",
            "--format",
            "yaml",
            "--out",
            dir.path().to_str().unwrap(),
        ])
        .assert()
        .success();
    let yaml = fs::read_to_string(dir.path().join("dev/data.template.yaml")).unwrap();
    assert!(yaml.contains("Type: AWS::RDS::DBInstance"));
    assert!(
        yaml.contains("rds.force_ssl: \"1\""),
        "ambiguous scalars stay strings"
    );
}

#[test]
fn list_shows_both_environments_in_deploy_order() {
    stackforge().arg("list").assert().success().stdout(
        predicate::str::contains("migration-api-dev-network")
            .and(predicate::str::is_match(r"(?s)1\. migration-api-prod-network.*2\. migration-api-prod-data.*3\. migration-api-prod-registry.*4\. migration-api-prod-service").unwrap()),
    );
}

#[test]
fn unknown_environment_and_stack_are_usage_errors() {
    stackforge()
        .args(["synth", "--env", "staging"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("unknown environment `staging`")
                .and(predicate::str::contains("dev, prod")),
        );
    stackforge()
        .args(["list", "--stack", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown stack `nope`"));
    stackforge().arg("frobnicate").assert().code(2);
}
