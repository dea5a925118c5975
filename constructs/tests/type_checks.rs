//! Synth checks backed by the schema index, for typed and raw resources alike: tags in each
//! type's shape, property validation, `Fn::GetAtt` attributes, type names and regions.

use serde_json::{json, Value};
use stackforge_constructs::resources::{iam, sqs};
use stackforge_constructs::testing::{synth_error, synth_template};
use stackforge_constructs::{
    App, Environment, Error, Expr, Output, RawResource, ResourceOptions, Stack, StackProps,
};

fn raw(type_name: &str, props: Value) -> RawResource {
    let mut r = RawResource::new(type_name);
    for (k, v) in props.as_object().cloned().unwrap_or_default() {
        r = r.prop(&k, v);
    }
    r
}

const APP_TAGS: [(&str, &str); 3] = [("app", "test"), ("env", "test"), ("stack", "test")];

#[test]
fn raw_resources_are_tagged_in_their_types_shape() {
    let t = synth_template("type_checks_raw_tags", |s| {
        s.add_raw(
            "Queue",
            raw("AWS::SQS::Queue", json!({"DelaySeconds": 5})),
            ResourceOptions::default(),
        )?;
        s.add_raw(
            "Parameter",
            raw(
                "AWS::SSM::Parameter",
                json!({"Type": "String", "Value": "v"}),
            ),
            ResourceOptions::default(),
        )?;
        s.add_raw(
            "Policy",
            raw(
                "AWS::SQS::QueuePolicy",
                json!({"Queues": [{"Ref": "Queue"}], "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:*",
                        "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}),
            ),
            ResourceOptions::default(),
        )?;
        Ok(())
    });
    let list: Vec<Value> = APP_TAGS
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    let r = &t["Resources"];
    assert_eq!(r["Queue"]["Properties"]["Tags"], json!(list));
    assert_eq!(r["Queue"]["Properties"]["DelaySeconds"], json!(5));
    assert_eq!(
        r["Parameter"]["Properties"]["Tags"],
        json!({"app": "test", "env": "test", "stack": "test"})
    );
    assert!(
        r["Policy"]["Properties"].get("Tags").is_none(),
        "a queue policy takes no tags"
    );
}

#[test]
fn raw_resources_of_any_type_are_validated() {
    let err = synth_error(|s| {
        s.add_raw(
            "Queue",
            raw(
                "AWS::SQS::Queue",
                json!({"DelaySeconds": 9999, "VisibilityTimeOut": 30}),
            ),
            ResourceOptions::default(),
        )?;
        Ok(())
    });
    assert!(
        err.contains("`test/Queue` (AWS::SQS::Queue): property `DelaySeconds`: 9999 is above the maximum 900"),
        "{err}"
    );
    assert!(
        err.contains("property `VisibilityTimeOut`: AWS::SQS::Queue has no property VisibilityTimeOut; did you mean VisibilityTimeout?"),
        "{err}"
    );
}

#[test]
fn typed_queue_and_policy_render_as_cloudformation_expects() {
    let t = synth_template("type_checks_typed_sqs", |s| {
        let dlq = s.add(
            "DeadLetters",
            sqs::Queue {
                message_retention_period: Some(1_209_600.into()),
                ..Default::default()
            },
        )?;
        let queue = s.add(
            "Queue",
            sqs::Queue {
                visibility_timeout: Some(60.into()),
                redrive_policy: Some(Expr::map([
                    ("deadLetterTargetArn", dlq.arn()),
                    ("maxReceiveCount", Expr::from(5)),
                ])),
                ..Default::default()
            },
        )?;
        s.add(
            "Policy",
            sqs::QueuePolicy::new(
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
                    "Action": "sqs:*", "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}),
                vec![queue.queue_url().into()],
            ),
        )?;
        Ok(())
    });
    let r = &t["Resources"];
    let queue = r
        .as_object()
        .unwrap()
        .values()
        .find(|v| v["Metadata"]["stackforge:path"] == "test/Queue")
        .unwrap();
    assert_eq!(queue["Type"], "AWS::SQS::Queue");
    assert_eq!(queue["Properties"]["VisibilityTimeout"], json!(60));
    assert_eq!(
        queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][1],
        json!("Arn")
    );
    assert_eq!(queue["Properties"]["Tags"].as_array().unwrap().len(), 3);
}

/// Two stacks: `producer` with a raw queue, `consumer` reading its attributes.
fn get_att_app(attribute: &str, same_stack_sub: &str) -> Result<App, Error> {
    let mut app = App::new("shop");
    let env = Environment::new("dev");
    let mut producer = Stack::new(&app, &env, "producer", StackProps::default())?;
    let queue = producer.root().add_raw(
        "Queue",
        RawResource::new("AWS::SQS::Queue"),
        ResourceOptions::default(),
    )?;
    producer.root().add_raw(
        "Parameter",
        raw("AWS::SSM::Parameter", json!({"Type": "String"})).prop(
            "Value",
            Expr::sub(same_stack_sub, Vec::<(String, Expr)>::new()),
        ),
        ResourceOptions::default(),
    )?;
    let mut consumer = Stack::new(&app, &env, "consumer", StackProps::default())?;
    // CloudFormation refuses a stack without resources.
    consumer.root().add_raw(
        "Topic",
        RawResource::new("AWS::SNS::Topic"),
        ResourceOptions::default(),
    )?;
    consumer.add_output("QueueArn", Output::new(queue.get_att(attribute)))?;
    app.add_stack(producer)?;
    app.add_stack(consumer)?;
    Ok(app)
}

#[test]
fn get_att_of_an_attribute_the_type_lacks_is_an_error_listing_the_known_ones() {
    if let Err(e) = get_att_app("Arn", "${Queue.QueueName}").unwrap().synth() {
        panic!("a GetAtt of an attribute the type has is accepted: {e}");
    }
    // Cross-stack (an output of another stack).
    let err = get_att_app("QueueArnTypo", "${Queue.QueueName}")
        .unwrap()
        .synth()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`consumer/Outputs/QueueArn`: Fn::GetAtt `QueueArnTypo` of `producer/Queue`: AWS::SQS::Queue has no attribute `QueueArnTypo`; its attributes are `Arn`,"),
        "{err}"
    );
    assert!(err.contains("`QueueUrl`"), "{err}");
    // Same stack, in an Fn::Sub placeholder.
    let err = get_att_app("Arn", "${Queue.Url}")
        .unwrap()
        .synth()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`producer/Parameter`: Fn::GetAtt `Url` of `producer/Queue`: AWS::SQS::Queue has no attribute `Url`"),
        "{err}"
    );
}

#[test]
fn get_att_on_a_typed_handle_is_checked_too() {
    let err = synth_error(|s| {
        let queue = s.add("Queue", sqs::Queue::default())?;
        s.add(
            "Policy",
            sqs::QueuePolicy::new(json!({}), vec![queue.get_att("Ur1").into()]),
        )?;
        Ok(())
    });
    assert!(
        err.contains("`test/Policy`: Fn::GetAtt `Ur1` of `test/Queue`"),
        "{err}"
    );
    // Custom resources have any attribute.
    let t = synth_template("type_checks_custom", |s| {
        let seeder = s.add_raw(
            "Seeder",
            raw(
                "Custom::Seeder",
                json!({"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:seed"}),
            ),
            ResourceOptions::default(),
        )?;
        s.add(
            "Queue",
            sqs::Queue {
                queue_name: Some(seeder.get_att("Whatever.You.Like").into()),
                ..Default::default()
            },
        )?;
        Ok(())
    });
    assert_eq!(t["Resources"]["Seeder"]["Type"], "Custom::Seeder");
}

#[test]
fn type_names_that_do_not_exist_are_errors_with_the_nearest_names() {
    let cases = [
        (
            "sns topic",
            "resource type `sns topic`: no such type; did you mean `AWS::SNS::Topic`",
        ),
        (
            "AWS::SNS::Topik",
            "resource type `AWS::SNS::Topik`: no such type; did you mean `AWS::SNS::Topic`",
        ),
        (
            "AWS::Serverless::Function",
            "exists only before the AWS::Serverless-2016-10-31 transform",
        ),
    ];
    for (type_name, want) in cases {
        let err = synth_error(|s| {
            s.add_raw(
                "Thing",
                RawResource::new(type_name),
                ResourceOptions::default(),
            )?;
            Ok(())
        });
        assert!(
            err.contains(&format!("`test/Thing`: {want}")) || err.contains(want),
            "{type_name}: {err}"
        );
        assert!(err.contains("Fix: "), "{err}");
    }
}

#[test]
fn registry_extensions_get_one_note_per_type_and_run() {
    let mut app = App::new("shop");
    for env_name in ["dev", "prod"] {
        let env = Environment::new(env_name);
        let mut s = Stack::new(&app, &env, "a", StackProps::default()).unwrap();
        for id in ["W1", "W2"] {
            s.root()
                .add_raw(
                    id,
                    RawResource::new("MyOrg::Thing::Widget"),
                    ResourceOptions::default(),
                )
                .unwrap();
        }
        s.root()
            .add_raw(
                "Gadget",
                RawResource::new("MyOrg::Thing::Gadget"),
                ResourceOptions::default(),
            )
            .unwrap();
        s.root()
            .add_raw(
                "Module",
                RawResource::new("MyOrg::Thing::Stuff::MODULE"),
                ResourceOptions::default(),
            )
            .unwrap();
        app.add_stack(s).unwrap();
    }
    let asm = app.synth().unwrap();
    let notes: Vec<(&str, &str)> = asm
        .warnings
        .iter()
        .map(|w| {
            (
                w.location.as_str(),
                w.message.split_whitespace().next().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        notes,
        [
            ("a/W1", "`MyOrg::Thing::Widget`"),
            ("a/Gadget", "`MyOrg::Thing::Gadget`"),
            ("a/Module", "`MyOrg::Thing::Stuff::MODULE`"),
        ]
    );
}

#[test]
fn a_type_the_environments_region_lacks_is_an_error() {
    let synth_in = |region: &str| {
        let mut app = App::new("shop");
        let env = Environment::new("dev").with_region(region);
        let mut s = Stack::new(&app, &env, "a", StackProps::default()).unwrap();
        s.root()
            .add_raw(
                "Service",
                raw(
                    "AWS::AppRunner::Service",
                    json!({"SourceConfiguration": {}}),
                ),
                ResourceOptions::default(),
            )
            .unwrap();
        app.add_stack(s).unwrap();
        app.synth()
    };
    assert!(synth_in("us-east-1").is_ok());
    let err = synth_in("af-south-1").unwrap_err().to_string();
    assert!(
        err.contains("`a/Service`: AWS::AppRunner::Service is not available in af-south-1 (cfn-lint 1.58.0 schemas); the regions that have it: "),
        "{err}"
    );
    assert!(err.contains("us-east-1"), "{err}");
    // A region the schemas do not know is not judged, and said once.
    let asm = synth_in("moon-north-1").unwrap();
    assert_eq!(asm.warnings.len(), 1);
    assert!(asm.warnings[0]
        .message
        .contains("the region `moon-north-1` is not in the schemas"));
}

#[test]
fn typed_resources_are_validated_against_their_schema_too() {
    // The struct fixes the property's type; the schema's length and pattern are checked at
    // synth like a raw resource's.
    let err = synth_error(|s| {
        s.add(
            "Policy",
            iam::Policy::new(json!({"Version": "2012-10-17"}), "p".repeat(129)),
        )?;
        Ok(())
    });
    assert!(
        err.contains("`test/Policy`") && err.contains("PolicyName") && err.contains("128"),
        "{err}"
    );
}
