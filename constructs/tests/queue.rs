//! `Queue`: KMS encryption, the TLS-only policy, the dead-letter queue and its redrive,
//! typed grants to roles and services (with the key-policy part), metrics, and the errors.

mod common;

use common::{assert_invalid, rejected};
use serde_json::{json, Value};
use stackforge_constructs::aws::iam::{ServiceRole, ServiceRoleProps};
use stackforge_constructs::aws::refs::{EventRuleArn, KmsKeyArn, TopicArn};
use stackforge_constructs::aws::sqs::{Queue, QueueProps, QueueSender};
use stackforge_constructs::testing::{resources_of_type as of_type, synth_template as synth};
use stackforge_constructs::Expr;

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:orders-placed";
const RULE: &str = "arn:aws:events:us-east-1:123456789012:rule/orders-nightly";

fn one<'a>(t: &'a Value, type_name: &str) -> &'a Value {
    let all = of_type(t, type_name);
    assert_eq!(all.len(), 1, "expected one {type_name}");
    all[0].1
}

fn queues(t: &Value) -> (Value, Value) {
    let all = of_type(t, "AWS::SQS::Queue");
    assert_eq!(all.len(), 2, "a queue and its dead-letter queue");
    let main = all
        .iter()
        .find(|(_, q)| q["Properties"]["RedrivePolicy"].is_object());
    let dlq = all
        .iter()
        .find(|(_, q)| q["Properties"]["RedrivePolicy"].is_null());
    (main.unwrap().1.clone(), dlq.unwrap().1.clone())
}

fn statements(policy: &Value) -> Vec<Value> {
    policy["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .clone()
}

fn worker_role(
    s: &mut stackforge_constructs::Scope<'_>,
) -> stackforge_constructs::Result<ServiceRole> {
    ServiceRole::new(
        s,
        "Worker",
        ServiceRoleProps {
            service: "ecs-tasks.amazonaws.com".into(),
            ..Default::default()
        },
    )
}

#[test]
fn default_queue_snapshot() {
    let t = synth("queue_default", |s| {
        Queue::new(s, "Orders", QueueProps::default())?;
        Ok(())
    });
    insta::assert_json_snapshot!("queue_default", t);
}

#[test]
fn encryption_both_queues_use_one_customer_managed_key() {
    let t = synth("queue_encryption", |s| {
        Queue::new(s, "Orders", QueueProps::default())?;
        Ok(())
    });
    let (main, dlq) = queues(&t);
    let key_id = one(&t, "AWS::KMS::Key");
    assert_eq!(key_id["Properties"]["EnableKeyRotation"], json!(true));
    let (key_logical, _) = of_type(&t, "AWS::KMS::Key")[0];
    let expected = json!({"Fn::GetAtt": [key_logical, "Arn"]});
    assert_eq!(main["Properties"]["KmsMasterKeyId"], expected);
    assert_eq!(dlq["Properties"]["KmsMasterKeyId"], expected);
    assert!(main["Properties"]["SqsManagedSseEnabled"].is_null());
}

#[test]
fn dead_letter_queue_receives_after_max_receive_count_and_keeps_messages_longer() {
    let t = synth("queue_redrive", |s| {
        Queue::new(
            s,
            "Orders",
            QueueProps {
                name: Some("orders".into()),
                max_receive_count: 3,
                retention_seconds: 86_400,
                ..Default::default()
            },
        )?;
        Ok(())
    });
    let (main, dlq) = queues(&t);
    let dlq_id = of_type(&t, "AWS::SQS::Queue")
        .into_iter()
        .find(|(_, q)| q["Properties"]["RedrivePolicy"].is_null())
        .unwrap()
        .0
        .clone();
    assert_eq!(
        main["Properties"]["RedrivePolicy"],
        json!({"deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]}, "maxReceiveCount": 3})
    );
    assert_eq!(main["Properties"]["MessageRetentionPeriod"], json!(86_400));
    assert_eq!(
        dlq["Properties"]["MessageRetentionPeriod"],
        json!(1_209_600)
    );
    assert_eq!(main["Properties"]["QueueName"], json!("orders"));
    assert_eq!(dlq["Properties"]["QueueName"], json!("orders-dlq"));
    assert_eq!(
        main["Properties"]["ReceiveMessageWaitTimeSeconds"],
        json!(20)
    );
}

#[test]
fn fifo_queues_name_their_dead_letter_queue_fifo_too() {
    let t = synth("queue_fifo", |s| {
        Queue::new(
            s,
            "Ledger",
            QueueProps {
                name: Some("ledger.fifo".into()),
                fifo: true,
                ..Default::default()
            },
        )?;
        Ok(())
    });
    let (main, dlq) = queues(&t);
    assert_eq!(main["Properties"]["FifoQueue"], json!(true));
    assert_eq!(dlq["Properties"]["FifoQueue"], json!(true));
    assert_eq!(dlq["Properties"]["QueueName"], json!("ledger-dlq.fifo"));
}

#[test]
fn tls_only_one_policy_denies_insecure_transport_on_both_queues() {
    let t = synth("queue_tls", |s| {
        Queue::new(s, "Orders", QueueProps::default())?;
        Ok(())
    });
    let policy = one(&t, "AWS::SQS::QueuePolicy");
    assert_eq!(policy["Properties"]["Queues"].as_array().unwrap().len(), 2);
    let deny = &statements(policy)[0];
    assert_eq!(deny["Effect"], "Deny");
    assert_eq!(deny["Principal"], "*");
    assert_eq!(deny["Action"], "sqs:*");
    assert_eq!(deny["Resource"].as_array().unwrap().len(), 2);
    assert_eq!(
        deny["Condition"],
        json!({"Bool": {"aws:SecureTransport": false}})
    );
    assert_eq!(statements(policy).len(), 1, "no sender, no allow statement");
}

#[test]
fn service_senders_get_a_queue_policy_statement_and_a_key_policy_statement() {
    let t = synth("queue_senders", |s| {
        Queue::new(
            s,
            "Orders",
            QueueProps {
                senders: vec![
                    QueueSender::SnsTopic(TopicArn::from_expr(TOPIC)),
                    QueueSender::EventBridgeRule(EventRuleArn::from_expr(RULE)),
                ],
                ..Default::default()
            },
        )?;
        Ok(())
    });
    let policy = statements(one(&t, "AWS::SQS::QueuePolicy"));
    let allow: Vec<(&Value, &Value)> = policy[1..]
        .iter()
        .map(|s| {
            (
                &s["Principal"]["Service"],
                &s["Condition"]["ArnEquals"]["aws:SourceArn"],
            )
        })
        .collect();
    assert_eq!(
        allow,
        [
            (&json!("sns.amazonaws.com"), &json!(TOPIC)),
            (&json!("events.amazonaws.com"), &json!(RULE)),
        ]
    );
    for s in &policy[1..] {
        assert_eq!(s["Action"], "sqs:SendMessage");
        assert_eq!(s["Effect"], "Allow");
    }
    let key = one(&t, "AWS::KMS::Key");
    let sids: Vec<&str> = key["Properties"]["KeyPolicy"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids, ["AccountAdministers", "SnsUse", "EventBridgeUse"]);
}

#[test]
fn a_given_key_is_used_as_is() {
    let key = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1234-5678-9abc-0123456789ab";
    let t = synth("queue_given_key", |s| {
        Queue::new(
            s,
            "Orders",
            QueueProps {
                encryption_key: Some(KmsKeyArn::from_expr(key)),
                ..Default::default()
            },
        )?;
        Ok(())
    });
    assert!(of_type(&t, "AWS::KMS::Key").is_empty());
    let (main, _) = queues(&t);
    assert_eq!(main["Properties"]["KmsMasterKeyId"], json!(key));
}

#[test]
fn grants_to_roles_cover_the_queue_and_the_key_and_nothing_else() {
    let t = synth("queue_grants", |s| {
        let queue = Queue::new(s, "Orders", QueueProps::default())?;
        let role = worker_role(s)?;
        queue.grant_send(s, "ApiSends", &role.name())?;
        queue.grant_consume(s, "WorkerConsumes", &role.name())?;
        queue.grant_consume_dead_letters(s, "RedriveReads", &role.name())?;
        Ok(())
    });
    let policies = of_type(&t, "AWS::IAM::Policy");
    assert_eq!(policies.len(), 3);
    let actions = |i: usize| -> Vec<Value> {
        policies[i].1["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Action"].clone())
            .collect()
    };
    assert_eq!(
        actions(0),
        [
            json!([
                "sqs:SendMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl"
            ]),
            json!(["kms:GenerateDataKey", "kms:Decrypt"]),
        ]
    );
    assert_eq!(
        actions(1),
        [
            json!([
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl"
            ]),
            json!("kms:Decrypt"),
        ]
    );
    let (main_id, dlq_id) = {
        let all = of_type(&t, "AWS::SQS::Queue");
        let main = all
            .iter()
            .find(|(_, q)| q["Properties"]["RedrivePolicy"].is_object())
            .unwrap()
            .0;
        let dlq = all
            .iter()
            .find(|(_, q)| q["Properties"]["RedrivePolicy"].is_null())
            .unwrap()
            .0;
        (main.clone(), dlq.clone())
    };
    let resource = |i: usize| {
        policies[i].1["Properties"]["PolicyDocument"]["Statement"][0]["Resource"].clone()
    };
    assert_eq!(resource(1), json!({"Fn::GetAtt": [main_id, "Arn"]}));
    assert_eq!(resource(2), json!({"Fn::GetAtt": [dlq_id, "Arn"]}));
    for (_, p) in &policies {
        let text = p["Properties"]["PolicyDocument"].to_string();
        assert!(
            !text.contains("\"*\""),
            "a grant names every resource: {text}"
        );
    }
}

#[test]
fn metrics_carry_the_queue_name_dimension() {
    stackforge_constructs::testing::synth_stack(|s| {
        let q = Queue::new(s, "Orders", QueueProps::default())?;
        for (m, name) in [
            (
                q.metric_visible_messages(),
                "ApproximateNumberOfMessagesVisible",
            ),
            (
                q.metric_in_flight_messages(),
                "ApproximateNumberOfMessagesNotVisible",
            ),
            (
                q.metric_oldest_message_age(),
                "ApproximateAgeOfOldestMessage",
            ),
            (
                q.metric_dead_letter_messages(),
                "ApproximateNumberOfMessagesVisible",
            ),
        ] {
            assert!(m.is("AWS/SQS", name), "{name}");
            assert!(m.dimension_value("QueueName").is_some(), "{name}");
            assert_eq!(m.period, 60);
        }
        assert_ne!(
            q.metric_visible_messages().dimension_value("QueueName"),
            q.metric_dead_letter_messages().dimension_value("QueueName"),
        );
        assert_eq!(
            q.name().expr(),
            Expr::select(5, Expr::split(":", q.arn().expr()))
        );
        Ok(())
    })
    .unwrap();
}

#[test]
fn errors_name_the_field_and_add_nothing() {
    let cases: Vec<(QueueProps, &str, &str)> = vec![
        (
            QueueProps {
                name: Some("orders queue".into()),
                ..Default::default()
            },
            "name",
            "is not a queue name",
        ),
        (
            QueueProps {
                name: Some("x".repeat(77)),
                ..Default::default()
            },
            "name",
            "is not a queue name",
        ),
        (
            QueueProps {
                name: Some("orders.fifo".into()),
                ..Default::default()
            },
            "name",
            "disagree",
        ),
        (
            QueueProps {
                name: Some("orders".into()),
                fifo: true,
                ..Default::default()
            },
            "name",
            "disagree",
        ),
        (
            QueueProps {
                visibility_timeout_seconds: 43_201,
                ..Default::default()
            },
            "visibility_timeout_seconds",
            "outside 0..=43200",
        ),
        (
            QueueProps {
                retention_seconds: 30,
                ..Default::default()
            },
            "retention_seconds",
            "outside 60..=1209600",
        ),
        (
            QueueProps {
                receive_wait_seconds: 21,
                ..Default::default()
            },
            "receive_wait_seconds",
            "outside 0..=20",
        ),
        (
            QueueProps {
                max_receive_count: 0,
                ..Default::default()
            },
            "max_receive_count",
            "outside 1..=1000",
        ),
        (
            QueueProps {
                retention_seconds: 1_209_600,
                dead_letter_retention_seconds: 86_400,
                ..Default::default()
            },
            "dead_letter_retention_seconds",
            "dead letters would expire early",
        ),
        (
            QueueProps {
                senders: vec![QueueSender::SnsTopic(TopicArn::from_expr(TOPIC)); 2],
                ..Default::default()
            },
            "senders",
            "listed twice",
        ),
    ];
    for (props, field, problem) in cases {
        let e = rejected(
            |_| Ok(()),
            |s, ()| Queue::new(s, "Orders", props).map(|_| ()),
        );
        assert_invalid(&e, "test/Orders", field, problem);
        assert!(e.contains("Fix: "), "{e}");
    }
}
