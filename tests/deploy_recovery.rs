//! Stacks a deploy cannot update as they are (`ROLLBACK_COMPLETE`, `UPDATE_ROLLBACK_FAILED`,
//! busy), recognised before anything runs, and `--recover`; with a fake `aws`
//! (tests/common/fake_aws.rs; moto has no `continue-update-rollback`).

#[allow(dead_code)] // Not every helper of the shared test code is used here.
mod common;

use common::fake_aws::FakeAws;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn position(calls: &[String], prefix: &str) -> usize {
    calls
        .iter()
        .position(|c| c.starts_with(prefix))
        .unwrap_or_else(|| panic!("no call {prefix:?} in {calls:#?}"))
}

const DATA: &str = "migration-api-dev-data";

#[test]
fn stuck_stacks_are_named_with_their_fix_before_anything_runs() {
    let cases = [
        (
            "ROLLBACK_COMPLETE",
            "its first creation failed, and CloudFormation can only delete such a stack. Fix: deploy with --recover",
        ),
        (
            "UPDATE_ROLLBACK_FAILED",
            "an update failed and so did its rollback; it cannot be updated until the rollback completes. Fix: deploy with --recover to run `aws cloudformation continue-update-rollback --stack-name migration-api-dev-data` first",
        ),
        ("UPDATE_IN_PROGRESS", "CloudFormation is working on it. Fix: wait"),
        ("DELETE_FAILED", "deploy does not repair this state"),
    ];
    for (status, want) in cases {
        let aws = FakeAws::new();
        aws.touch(&format!("status-{DATA}"), status);
        let out = aws.deploy_app(&["--env", "dev"]).get_output().clone();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{status}: {stderr}");
        assert!(
            stderr.contains(&format!("stack {DATA} is {status}")) && stderr.contains(want),
            "{status}: {stderr}"
        );
        assert!(stderr.contains("Nothing was deployed"), "{stderr}");
        assert!(aws.deployed().is_empty(), "{status}: nothing deployed");
        assert!(
            !aws.calls()
                .iter()
                .any(|c| c.contains("delete-stack") || c.contains("continue-update-rollback")),
            "{status}: no recovery without --recover"
        );
    }
}

#[test]
fn recover_deletes_a_never_created_stack_and_creates_it_again() {
    let aws = FakeAws::new();
    aws.touch(&format!("status-{DATA}"), "ROLLBACK_COMPLETE");
    aws.touch(
        &format!("reason-{DATA}"),
        "The following resource(s) failed to create: [Database].",
    );
    let out = aws
        .deploy_app(&["--env", "dev", "--recover"])
        .get_output()
        .clone();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let calls = aws.calls();
    let delete = position(
        &calls,
        &format!("cloudformation delete-stack --stack-name {DATA}"),
    );
    let first_deploy = position(&calls, "cloudformation deploy");
    assert!(
        delete < first_deploy,
        "recovered before any stack deploys: {calls:#?}"
    );
    assert!(
        stdout.contains(&format!(
            "recover {DATA}: aws cloudformation delete-stack --stack-name {DATA}"
        )) && stdout.contains(&format!(
            "recover {DATA}: deleted; it is created again below"
        )),
        "{stdout}"
    );
    assert!(aws.deployed().contains(&DATA.to_owned()), "then created");
}

#[test]
fn recover_continues_a_failed_rollback_then_updates() {
    let aws = FakeAws::new();
    aws.touch(&format!("status-{DATA}"), "UPDATE_ROLLBACK_FAILED");
    let out = aws
        .deploy_app(&["--env", "dev", "--recover"])
        .get_output()
        .clone();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let calls = aws.calls();
    let rollback = position(
        &calls,
        &format!("cloudformation continue-update-rollback --stack-name {DATA}"),
    );
    assert!(
        rollback < position(&calls, "cloudformation deploy"),
        "{calls:#?}"
    );
    assert!(
        stdout.contains(&format!("recover {DATA}: UPDATE_ROLLBACK_COMPLETE")),
        "{stdout}"
    );
}

#[test]
fn a_rollback_that_fails_again_names_the_resources_to_skip() {
    let aws = FakeAws::new();
    aws.touch(&format!("status-{DATA}"), "UPDATE_ROLLBACK_FAILED");
    aws.touch(
        &format!("rollback-fails-{DATA}"),
        "Table was deleted outside CloudFormation (Service: DynamoDb, Status Code: 400)",
    );
    let out = aws
        .deploy_app(&["--env", "dev", "--recover"])
        .get_output()
        .clone();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("recover {DATA}: it ended UPDATE_ROLLBACK_FAILED instead"))
            && stderr.contains("Table (AWS::DynamoDB::Table) UPDATE_FAILED")
            && stderr.contains(&format!(
                "aws cloudformation continue-update-rollback --stack-name {DATA} --resources-to-skip Table"
            )),
        "{stderr}"
    );
    assert!(aws.deployed().is_empty());
}
