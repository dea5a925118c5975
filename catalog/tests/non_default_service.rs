//! A service outside the default features: with `--features dynamodb` its typed structs
//! compile, and synthesize through `stackforge-constructs`, which re-exports this crate as
//! `resources` (so `stackforge_constructs::resources::dynamodb` exists once a crate of the
//! build turns the feature on). The test command runs
//! `cargo test -p stackforge-catalog --features dynamodb --test non_default_service`.
#![cfg(feature = "dynamodb")]

use serde_json::json;
use stackforge_catalog::dynamodb::table::{
    AttributeDefinition, AttributeType, BillingMode, KeySchemaItem,
    PointInTimeRecoverySpecification,
};
use stackforge_constructs::resources::dynamodb::Table;
use stackforge_constructs::testing::synth_template;
use stackforge_constructs::{Expr, IntoExpr, RawResource, ResourceOptions};

#[test]
fn a_dynamodb_table_from_a_non_default_feature_synthesizes() {
    let t = synth_template("catalog_dynamodb", |s| {
        let key = KeySchemaItem::new("pk", "HASH");
        let table = s.add(
            "Orders",
            Table {
                attribute_definitions: Some(vec![AttributeDefinition::new("pk", AttributeType::S)]),
                billing_mode: Some(BillingMode::PayPerRequest),
                point_in_time_recovery_specification: Some(PointInTimeRecoverySpecification {
                    point_in_time_recovery_enabled: Some(true.into()),
                    ..Default::default()
                }),
                ..Table::new(Expr::list([key.into_expr()]))
            },
        )?;
        let parameter = RawResource::new("AWS::SSM::Parameter")
            .prop("Type", "String")
            .prop("Value", table.arn());
        s.add_raw("OrdersArn", parameter, ResourceOptions::default())?;
        Ok(())
    });
    let table = t["Resources"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["Type"] == "AWS::DynamoDB::Table")
        .expect("the table");
    assert_eq!(
        table["Properties"]["KeySchema"],
        json!([{"AttributeName": "pk", "KeyType": "HASH"}])
    );
    assert_eq!(table["Properties"]["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        table["Properties"]["Tags"],
        json!([{"Key": "app", "Value": "test"}, {"Key": "env", "Value": "test"}, {"Key": "stack", "Value": "test"}])
    );
    assert_eq!(
        t["Resources"]["OrdersArn"]["Properties"]["Value"]["Fn::GetAtt"][1],
        "Arn"
    );
}
