//! `QueueProcessingFargateService`: a worker consuming a queue — no load balancer, scaling
//! from zero on the queue's depth and back when the backlog is empty, a least-privilege grant
//! to consume, alarms on the dead-letter queue and the oldest message — and the errors.

mod common;

use common::{assert_invalid, rejected, vpc};
use serde_json::{json, Value};
use stackforge_constructs::aws::cloudwatch::AlertingTopic;
use stackforge_constructs::aws::ecr::Repository;
use stackforge_constructs::aws::ecs::{Cluster, ClusterProps, ContainerImage};
use stackforge_constructs::aws::ecs_patterns::{
    QueueProcessingFargateService, QueueProcessingFargateServiceProps,
};
use stackforge_constructs::aws::refs::{RepositoryName, TopicArn};
use stackforge_constructs::aws::sqs::{Queue, QueueProps};
use stackforge_constructs::testing::{resources_of_type as of_type, synth_template as synth};
use stackforge_constructs::{Expr, Result, Scope};

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:alerting-topic";

fn image() -> ContainerImage {
    ContainerImage::ecr_tag(
        &Repository::from_name(RepositoryName::from_expr("orders")),
        "1.0.0",
    )
}

fn setup(s: &mut Scope<'_>) -> Result<(Cluster, Queue)> {
    let cluster = Cluster::new(s, "Cluster", ClusterProps::default())?;
    let queue = Queue::new(s, "Orders", QueueProps::default())?;
    Ok((cluster, queue))
}

fn props() -> QueueProcessingFargateServiceProps {
    QueueProcessingFargateServiceProps {
        alerting_topic: AlertingTopic::Existing(TopicArn::from_expr(TOPIC)),
        command: vec!["/app".into(), "work".into()],
        ..Default::default()
    }
}

fn template() -> Value {
    synth("queue_processing_worker", |s| {
        let (cluster, queue) = setup(s)?;
        QueueProcessingFargateService::new(
            s,
            "Worker",
            &cluster,
            &vpc(),
            &queue,
            image(),
            props(),
        )?;
        Ok(())
    })
}

fn under<'a>(t: &'a Value, type_name: &str, prefix: &str) -> Vec<&'a Value> {
    of_type(t, type_name)
        .into_iter()
        .filter(|(_, r)| {
            r["Metadata"]["stackforge:path"]
                .as_str()
                .unwrap()
                .starts_with(prefix)
        })
        .map(|(_, r)| r)
        .collect()
}

#[test]
fn worker_snapshot() {
    insta::assert_json_snapshot!("queue_processing_worker", template());
}

#[test]
fn the_worker_has_no_load_balancer_no_inbound_rule_and_no_fixed_count() {
    let t = template();
    assert!(of_type(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer").is_empty());
    assert!(of_type(&t, "AWS::EC2::SecurityGroupIngress").is_empty());
    let svc = &of_type(&t, "AWS::ECS::Service")[0].1["Properties"];
    assert!(svc["DesiredCount"].is_null() && svc["LoadBalancers"].is_null());
    let container =
        &of_type(&t, "AWS::ECS::TaskDefinition")[0].1["Properties"]["ContainerDefinitions"][0];
    assert_eq!(container["Name"], "worker");
    assert_eq!(container["Command"], json!(["/app", "work"]));
    assert_eq!(container["Environment"][0]["Name"], "QUEUE_URL");
    assert_eq!(container["User"], "10001");
}

#[test]
fn it_scales_from_zero_on_visible_messages_and_back_on_an_empty_backlog() {
    let t = template();
    let target = &of_type(&t, "AWS::ApplicationAutoScaling::ScalableTarget")[0].1["Properties"];
    assert_eq!(target["MinCapacity"], 0);
    assert_eq!(target["MaxCapacity"], 4);
    let alarms = under(&t, "AWS::CloudWatch::Alarm", "test/Worker/Scaling/");
    assert_eq!(alarms.len(), 2);
    assert_eq!(
        alarms[0]["Properties"]["MetricName"],
        "ApproximateNumberOfMessagesVisible"
    );
    let backlog: Vec<&Value> = alarms[1]["Properties"]["Metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|q| {
            q["MetricStat"]["Metric"]["MetricName"]
                .as_str()
                .map(|_| &q["MetricStat"]["Metric"]["MetricName"])
        })
        .collect();
    assert_eq!(
        backlog,
        [
            &json!("ApproximateNumberOfMessagesVisible"),
            &json!("ApproximateNumberOfMessagesNotVisible")
        ]
    );
}

#[test]
fn the_task_role_may_consume_exactly_this_queue() {
    let t = template();
    let grant = under(&t, "AWS::IAM::Policy", "test/Worker/ConsumesQueue");
    assert_eq!(grant.len(), 1);
    let doc = &grant[0]["Properties"]["PolicyDocument"]["Statement"];
    assert_eq!(doc[0]["Action"][0], "sqs:ReceiveMessage");
    let queue_id = of_type(&t, "AWS::SQS::Queue")
        .into_iter()
        .find(|(_, q)| q["Properties"]["RedrivePolicy"].is_object())
        .unwrap()
        .0;
    assert_eq!(doc[0]["Resource"], json!({"Fn::GetAtt": [queue_id, "Arn"]}));
}

#[test]
fn alarms_watch_the_dead_letter_queue_and_the_oldest_message() {
    let t = template();
    let alarms = under(&t, "AWS::CloudWatch::Alarm", "test/Worker/Alarms/");
    let names: Vec<&Value> = alarms
        .iter()
        .map(|a| &a["Properties"]["AlarmName"])
        .collect();
    assert_eq!(
        names,
        [
            &json!("test-test-test-Worker-dead-letters"),
            &json!("test-test-test-Worker-oldest-message")
        ]
    );
    for a in &alarms {
        assert_eq!(a["Properties"]["AlarmActions"], json!([TOPIC]));
    }
    assert_eq!(alarms[0]["Properties"]["Threshold"], 1);
    assert_eq!(alarms[1]["Properties"]["Threshold"], 900);
}

#[test]
fn errors_name_the_field_and_add_nothing() {
    let mut env = indexmap::IndexMap::new();
    env.insert("QUEUE_URL".to_owned(), Expr::str("x"));
    let cases: Vec<(QueueProcessingFargateServiceProps, &str, &str)> = vec![
        (
            QueueProcessingFargateServiceProps {
                environment: env,
                ..props()
            },
            "environment",
            "set by the worker",
        ),
        (
            QueueProcessingFargateServiceProps {
                min_tasks: 5,
                ..props()
            },
            "min_tasks",
            "no room to scale",
        ),
        (
            QueueProcessingFargateServiceProps {
                scale_out_steps: vec![],
                ..props()
            },
            "scale_out_steps",
            "no scale-out step",
        ),
        (
            QueueProcessingFargateServiceProps {
                scale_in_after_minutes: 0,
                ..props()
            },
            "scale_in_after_minutes",
            "outside 1..=1440",
        ),
        (
            QueueProcessingFargateServiceProps {
                max_message_age_seconds: 0,
                ..props()
            },
            "max_message_age_seconds",
            "every message",
        ),
        (
            QueueProcessingFargateServiceProps {
                user: "root".into(),
                ..props()
            },
            "containers[0].user",
            "root",
        ),
        (
            QueueProcessingFargateServiceProps {
                cpu: 300,
                ..props()
            },
            "cpu",
            "not a Fargate task size",
        ),
    ];
    for (p, field, problem) in cases {
        let e = rejected(setup, |s, (cluster, queue)| {
            QueueProcessingFargateService::new(s, "Worker", &cluster, &vpc(), &queue, image(), p)
                .map(|_| ())
        });
        assert_invalid(&e, "test/Worker", field, problem);
    }
}
