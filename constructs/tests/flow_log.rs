//! `FlowLog` on its own: all traffic of a VPC made elsewhere to an encrypted log group with
//! retention, written by a role that may write only there; and the errors.

mod common;

use common::{assert_invalid, rejected};
use serde_json::json;
use stackforge_constructs::aws::ec2::{FlowLog, FlowLogProps};
use stackforge_constructs::aws::refs::VpcId;
use stackforge_constructs::testing::{resources_of_type as of_type, synth_template as synth};

#[test]
fn all_traffic_goes_to_an_encrypted_log_group_through_a_scoped_role() {
    let t = synth("flow_log", |s| {
        FlowLog::new(
            s,
            "FlowLog",
            &VpcId::from_expr("vpc-0123456789abcdef0"),
            FlowLogProps {
                retention_days: 90,
                ..Default::default()
            },
        )?;
        Ok(())
    });
    let log = &of_type(&t, "AWS::EC2::FlowLog")[0].1["Properties"];
    assert_eq!(log["TrafficType"], "ALL");
    assert_eq!(log["ResourceId"], "vpc-0123456789abcdef0");
    let group = &of_type(&t, "AWS::Logs::LogGroup")[0].1["Properties"];
    assert_eq!(group["RetentionInDays"], 90);
    assert!(group["KmsKeyId"].is_object());
    let role = &of_type(&t, "AWS::IAM::Role")[0].1["Properties"];
    let statement = &role["Policies"][0]["PolicyDocument"]["Statement"][0];
    assert_eq!(
        statement["Resource"],
        json!({"Fn::GetAtt": [of_type(&t, "AWS::Logs::LogGroup")[0].0, "Arn"]})
    );
}

#[test]
fn errors_name_the_field_and_add_nothing() {
    let e = rejected(
        |_| Ok(()),
        |s, ()| {
            FlowLog::new(
                s,
                "FlowLog",
                &VpcId::from_expr("vpc-0123456789abcdef0"),
                FlowLogProps {
                    retention_days: 10,
                    ..Default::default()
                },
            )
            .map(|_| ())
        },
    );
    assert_invalid(
        &e,
        "test/FlowLog",
        "retention_days",
        "10 is not a retention",
    );
}
