//! `ServiceScaling`: a scalable target between min and max tasks and its policies (CPU,
//! memory, requests per task, a custom metric, steps with their alarms), and the errors.

mod common;

use common::{assert_invalid, rejected, vpc};
use serde_json::{json, Value};
use stackforge_constructs::aws::cloudwatch::{Metric, Statistic};
use stackforge_constructs::aws::ecr::Repository;
use stackforge_constructs::aws::ecs::{
    Cluster, ClusterProps, ContainerDefinitionProps, ContainerImage, ContainerLogging,
    FargateService, FargateServiceProps, FargateTaskDefinition, FargateTaskDefinitionProps,
    ScalingRule, ServiceScaling, ServiceScalingProps, StepScaling,
};
use stackforge_constructs::aws::elbv2::{
    ApplicationLoadBalancer, ApplicationLoadBalancerProps, TargetGroup, TargetGroupProps,
};
use stackforge_constructs::aws::logs::{LogGroup, LogGroupProps};
use stackforge_constructs::aws::refs::RepositoryName;
use stackforge_constructs::testing::{resources_of_type as of_type, synth_template as synth};
use stackforge_constructs::{Expr, Result, Scope};

fn service(s: &mut Scope<'_>, desired_count: Option<u32>) -> Result<FargateService> {
    let cluster = Cluster::new(s, "Cluster", ClusterProps::default())?;
    let logs = LogGroup::new(s, "Logs", LogGroupProps::default())?;
    let repo = Repository::from_name(RepositoryName::from_expr("orders"));
    let props = FargateTaskDefinitionProps::default().add_container(ContainerDefinitionProps::new(
        "worker",
        ContainerImage::ecr_tag(&repo, "1.0.0"),
        ContainerLogging::new(&logs, "worker"),
    ));
    let task = FargateTaskDefinition::new(s, "Task", props)?;
    FargateService::new(
        s,
        "Worker",
        &cluster,
        &task,
        &vpc(),
        FargateServiceProps {
            desired_count,
            ..Default::default()
        },
    )
}

fn backlog(name: &str) -> Metric {
    Metric::new("AWS/SQS", name)
        .dimension("QueueName", Expr::str("orders"))
        .statistic(Statistic::Maximum)
        .period(60)
}

fn steps() -> StepScaling {
    StepScaling {
        id: "QueueDepth".into(),
        scale_out_metric: backlog("ApproximateNumberOfMessagesVisible"),
        scale_out_steps: vec![(1.0, 1), (100.0, 2), (500.0, 4)],
        scale_in_metrics: vec![
            backlog("ApproximateNumberOfMessagesVisible"),
            backlog("ApproximateNumberOfMessagesNotVisible"),
        ],
        scale_in_at_or_below: 0.0,
        scale_in_periods: 5,
    }
}

fn policy<'a>(t: &'a Value, id_part: &str) -> &'a Value {
    of_type(t, "AWS::ApplicationAutoScaling::ScalingPolicy")
        .into_iter()
        .find(|(_, p)| {
            p["Metadata"]["stackforge:path"]
                .as_str()
                .unwrap()
                .ends_with(id_part)
        })
        .unwrap_or_else(|| panic!("no policy {id_part}"))
        .1
}

#[test]
fn target_tracking_on_cpu_memory_requests_and_a_custom_metric() {
    let t = synth("service_scaling_tracking", |s| {
        let svc = service(s, None)?;
        let lb =
            ApplicationLoadBalancer::new(s, "Lb", &vpc(), ApplicationLoadBalancerProps::default())?;
        let tg = TargetGroup::new(s, "Targets", &vpc(), TargetGroupProps::default())?;
        ServiceScaling::new(
            s,
            "Scaling",
            &svc,
            ServiceScalingProps {
                min_tasks: 2,
                max_tasks: 10,
                rules: vec![
                    ScalingRule::Cpu(60),
                    ScalingRule::Memory(70),
                    ScalingRule::requests_per_task(&lb, &tg, 500),
                    ScalingRule::Metric {
                        id: "Latency".into(),
                        metric: Metric::new("Orders", "QueueLatency").statistic(Statistic::Average),
                        target: 1.5,
                    },
                ],
            },
        )?;
        Ok(())
    });
    let target = &of_type(&t, "AWS::ApplicationAutoScaling::ScalableTarget")[0].1["Properties"];
    assert_eq!(
        (target["MinCapacity"].clone(), target["MaxCapacity"].clone()),
        (json!(2), json!(10))
    );
    assert!(target["RoleARN"].is_null(), "the service-linked role");
    let config =
        |id: &str| policy(&t, id)["Properties"]["TargetTrackingScalingPolicyConfiguration"].clone();
    assert_eq!(config("CpuTracking")["TargetValue"], 60);
    assert_eq!(
        config("MemoryTracking")["PredefinedMetricSpecification"]["PredefinedMetricType"],
        "ECSServiceAverageMemoryUtilization"
    );
    let requests = config("RequestCountTracking");
    assert_eq!(
        requests["PredefinedMetricSpecification"]["PredefinedMetricType"],
        "ALBRequestCountPerTarget"
    );
    assert!(requests["PredefinedMetricSpecification"]["ResourceLabel"].is_object());
    let custom = config("LatencyTracking");
    assert_eq!(custom["TargetValue"], 1.5);
    assert_eq!(
        custom["CustomizedMetricSpecification"]["MetricName"],
        "QueueLatency"
    );
    // Policy names are unique per target (derived from the path).
    let names: Vec<&Value> = of_type(&t, "AWS::ApplicationAutoScaling::ScalingPolicy")
        .iter()
        .map(|(_, p)| &p["Properties"]["PolicyName"])
        .collect();
    assert_eq!(names.len(), 4);
    assert!(names
        .iter()
        .all(|n| names.iter().filter(|m| m == &n).count() == 1));
}

#[test]
fn steps_scale_out_by_step_and_in_to_the_minimum_on_an_empty_backlog() {
    let t = synth("service_scaling_steps", |s| {
        let svc = service(s, None)?;
        ServiceScaling::new(
            s,
            "Scaling",
            &svc,
            ServiceScalingProps {
                min_tasks: 0,
                max_tasks: 8,
                rules: vec![ScalingRule::Steps(steps())],
            },
        )?;
        Ok(())
    });
    insta::assert_json_snapshot!(
        "service_scaling_steps",
        of_type(&t, "AWS::CloudWatch::Alarm")
            .iter()
            .map(|(_, a)| a["Properties"].clone())
            .collect::<Vec<_>>()
    );
    let out = &policy(&t, "QueueDepthScaleOut")["Properties"]["StepScalingPolicyConfiguration"];
    assert_eq!(out["AdjustmentType"], "ChangeInCapacity");
    assert_eq!(
        out["StepAdjustments"],
        json!([
            {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 99, "ScalingAdjustment": 1},
            {"MetricIntervalLowerBound": 99, "MetricIntervalUpperBound": 499, "ScalingAdjustment": 2},
            {"MetricIntervalLowerBound": 499, "ScalingAdjustment": 4}
        ])
    );
    let scale_in = &policy(&t, "QueueDepthScaleIn")["Properties"]["StepScalingPolicyConfiguration"];
    assert_eq!(scale_in["AdjustmentType"], "ExactCapacity");
    assert_eq!(
        scale_in["StepAdjustments"],
        json!([{"MetricIntervalUpperBound": 0, "ScalingAdjustment": 0}])
    );
    let alarms = of_type(&t, "AWS::CloudWatch::Alarm");
    assert_eq!(alarms.len(), 2);
    let out_alarm = &alarms[0].1["Properties"];
    assert_eq!(out_alarm["Threshold"], 1);
    assert_eq!(
        out_alarm["ComparisonOperator"],
        "GreaterThanOrEqualToThreshold"
    );
    let in_alarm = &alarms[1].1["Properties"];
    assert_eq!(in_alarm["Metrics"][2]["Expression"], "m0 + m1");
    assert_eq!(in_alarm["EvaluationPeriods"], 5);
}

#[test]
fn errors_name_the_field_and_add_nothing() {
    let e = rejected(
        |s| service(s, Some(2)),
        |s, svc| {
            ServiceScaling::new(s, "Scaling", &svc, ServiceScalingProps::default()).map(|_| ())
        },
    );
    assert_invalid(&e, "test/Scaling", "service", "fixes its desired count");
    let bad_steps = |change: fn(&mut StepScaling)| {
        let mut st = steps();
        change(&mut st);
        vec![ScalingRule::Steps(st)]
    };
    let cases: Vec<(u32, u32, Vec<ScalingRule>, &str, &str)> = vec![
        (
            3,
            2,
            vec![ScalingRule::Cpu(60)],
            "min_tasks",
            "leave no room to scale",
        ),
        (
            0,
            0,
            vec![ScalingRule::Cpu(60)],
            "min_tasks",
            "leave no room to scale",
        ),
        (1, 2, vec![], "rules", "no scaling rule"),
        (
            1,
            2,
            vec![ScalingRule::Cpu(0)],
            "rules[0]",
            "outside 1..=100",
        ),
        (
            1,
            2,
            vec![ScalingRule::Cpu(50), ScalingRule::Cpu(60)],
            "rules[1]",
            "two rules would both be `CpuTracking`",
        ),
        (
            1,
            2,
            vec![ScalingRule::Metric {
                id: "bad id".into(),
                metric: backlog("X"),
                target: 1.0,
            }],
            "rules[0]",
            "the id must be letters and digits",
        ),
        (
            1,
            2,
            bad_steps(|s| s.scale_out_steps = vec![(10.0, 1), (5.0, 2)]),
            "rules[0]",
            "must increase",
        ),
        (
            1,
            2,
            bad_steps(|s| s.scale_out_steps = vec![(1.0, 0)]),
            "rules[0]",
            "add at least 1 task",
        ),
        (
            1,
            2,
            bad_steps(|s| s.scale_in_at_or_below = 1.0),
            "rules[0]",
            "where scaling out does",
        ),
        (
            1,
            2,
            bad_steps(|s| s.scale_in_metrics.clear()),
            "rules[0]",
            "1 to 10 metrics",
        ),
    ];
    for (min, max, rules, field, problem) in cases {
        let e = rejected(
            |s| service(s, None),
            |s, svc| {
                ServiceScaling::new(
                    s,
                    "Scaling",
                    &svc,
                    ServiceScalingProps {
                        min_tasks: min,
                        max_tasks: max,
                        rules,
                    },
                )
                .map(|_| ())
            },
        );
        assert_invalid(&e, "test/Scaling", field, problem);
    }
}
