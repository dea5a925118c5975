//! `drift` with a fake `aws` (tests/common/fake_aws.rs; moto has no drift detection).

#[allow(dead_code)] // Not every helper of the shared test code is used here.
mod common;

use common::fake_aws::FakeAws;
use serde_json::Value;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const NETWORK: &str = "migration-api-dev-network";

fn deployed(aws: &FakeAws) {
    for s in ["network", "data"] {
        aws.touch(&format!("status-migration-api-dev-{s}"), "UPDATE_COMPLETE");
    }
}

const SG_DRIFT: &str = r#"{"StackId":"arn:aws:cloudformation:us-east-1:123456789012:stack/migration-api-dev-network/1","LogicalResourceId":"WebSg","PhysicalResourceId":"sg-0123","ResourceType":"AWS::EC2::SecurityGroup","StackResourceDriftStatus":"MODIFIED","PropertyDifferences":[{"PropertyPath":"/SecurityGroupIngress/1","ExpectedValue":"","ActualValue":"{\"CidrIp\":\"0.0.0.0/0\",\"FromPort\":22,\"IpProtocol\":\"tcp\",\"ToPort\":22}","DifferenceType":"ADD"},{"PropertyPath":"/Tags/0/Value","ExpectedValue":"dev","ActualValue":"test","DifferenceType":"NOT_EQUAL"}]},{"LogicalResourceId":"FlowLogs","PhysicalResourceId":"/vpc/flow","ResourceType":"AWS::Logs::LogGroup","StackResourceDriftStatus":"DELETED","PropertyDifferences":[]}"#;

#[test]
fn drift_reports_drifted_properties_and_marks_guide_items() {
    let aws = FakeAws::new();
    deployed(&aws);
    aws.touch(&format!("drift-{NETWORK}"), SG_DRIFT);
    let out = aws.run("drift", &["--env", "dev"]).get_output().clone();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "drifted: {stdout}\n{stderr}");
    for want in [
        "migration-api-dev-network: DRIFTED",
        "  MODIFIED WebSg AWS::EC2::SecurityGroup (sg-0123)",
        "    ADD /SecurityGroupIngress/1: expected (none) | actual {\"CidrIp\":\"0.0.0.0/0\",\"FromPort\":22,\"IpProtocol\":\"tcp\",\"ToPort\":22}  [guide: security-group rules]",
        "    NOT_EQUAL /Tags/0/Value: expected dev | actual test\n",
        "  DELETED FlowLogs AWS::Logs::LogGroup (/vpc/flow)  [guide: log retention]",
        "migration-api-dev-data: IN_SYNC",
        "migration-api-dev-service: NOT_DEPLOYED",
        "drift in `dev`: 1 of ",
        "2 change(s) touch a guide item",
    ] {
        assert!(stdout.contains(want), "want {want:?} in\n{stdout}");
    }
    let calls = aws.calls();
    assert!(
        calls.iter().any(|c| c.starts_with(&format!(
            "cloudformation describe-stack-resource-drifts --stack-name {NETWORK} --stack-resource-drift-status-filters MODIFIED DELETED"
        ))),
        "{calls:#?}"
    );
    assert!(
        calls
            .iter()
            .filter(|c| c.starts_with("cloudformation describe-stack-drift-detection-status --stack-drift-detection-id drift-migration-api-dev-network"))
            .count()
            >= 2,
        "waits while DETECTION_IN_PROGRESS: {calls:#?}"
    );
    assert!(
        !calls
            .iter()
            .any(|c| c.contains("detect-stack-drift --stack-name migration-api-dev-service")),
        "a stack that is not deployed is not checked"
    );
}

#[test]
fn drift_json_and_exit_zero_when_in_sync() {
    let aws = FakeAws::new();
    deployed(&aws);
    let out = aws
        .run("drift", &["--env", "dev", "--json"])
        .get_output()
        .clone();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["environment"], "dev");
    assert_eq!(v["stacks"][0]["stack_name"], NETWORK);
    assert_eq!(v["stacks"][0]["status"], "IN_SYNC");
    assert_eq!(v["stacks"][0]["resources"], serde_json::json!([]));

    aws.touch(&format!("drift-{NETWORK}"), SG_DRIFT);
    let out = aws
        .run("drift", &["--env", "dev", "--json", "--stack", "network"])
        .get_output()
        .clone();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sg = &v["stacks"][0]["resources"][0];
    assert_eq!(sg["status"], "MODIFIED");
    assert_eq!(sg["properties"][0]["guide_item"], "security-group rules");
    assert!(sg["properties"][1].get("guide_item").is_none());
    assert_eq!(
        v["stacks"].as_array().unwrap().len(),
        1,
        "only the named stack"
    );
}
