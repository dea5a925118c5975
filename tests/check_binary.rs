//! The real binary: `check` exit codes (the migration-api app it embeds may be empty).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::str::contains;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/policy")
        .join(rel)
}

fn stackforge() -> Command {
    Command::cargo_bin("stackforge").unwrap()
}

#[test]
fn check_on_templates_exits_0_1_or_2() {
    stackforge()
        .arg("check")
        .arg(fixture("app/secure.template.json"))
        .assert()
        .code(0)
        .stdout(contains("policy gate passed"));
    stackforge()
        .arg("check")
        .arg(fixture("RDS_STORAGE_ENCRYPTED/fail.json"))
        .assert()
        .code(1)
        .stdout(contains("RDS_STORAGE_ENCRYPTED"));
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "").unwrap();
    stackforge()
        .arg("check")
        .arg(&empty)
        .arg(fixture("RDS_STORAGE_ENCRYPTED/fail.json"))
        .assert()
        .code(2)
        .stderr(contains("empty.json: the file is empty"))
        .stdout(contains("RDS_STORAGE_ENCRYPTED"));
}

#[test]
fn check_json_output_parses() {
    let out = stackforge()
        .args(["check", "--json"])
        .arg(fixture("yaml/short-form.yaml"))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["violations"][0]["rule"], "RDS_TLS_ENFORCED");
}

#[test]
fn check_on_the_app_runs() {
    // The embedded app may still be empty; the gate must pass on what it has.
    stackforge().arg("check").assert().code(0);
}
