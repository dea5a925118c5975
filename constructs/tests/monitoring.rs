//! The guide's "Monitoring & Logging": the alerting topic, alarm sets with the guide's
//! alarms (and the presets a working service needs), the cross-stack alarm-name check, and
//! dashboards whose body is valid JSON once CloudFormation substitutes its values.

use serde_json::{json, Value};
use stackforge_constructs::aws::cloudwatch::{
    AlarmProps, AlarmSet, AlarmSetProps, AlarmStatusWidget, AlertingTopic, ApiMetrics,
    ComparisonOperator, Dashboard, DashboardProps, LogWidget, Metric, MetricWidget, Position,
    Statistic, TextWidget, UniqueAlarmNames, Widget,
};
use stackforge_constructs::aws::logs::{LogGroup, LogGroupProps};
use stackforge_constructs::aws::refs::{LogGroupName, TopicArn};
use stackforge_constructs::aws::sns::{Topic, TopicProps};
use stackforge_constructs::resources::{ecs, elasticloadbalancingv2 as elb};
use stackforge_constructs::testing::{
    resources_of_type as of_type, synth_error as err, synth_template as synth, write_for_lint,
};
use stackforge_constructs::{App, Environment, Error, Expr, Parameter, Scope, Stack, StackProps};

fn logical_id_of(t: &Value, type_name: &str) -> String {
    let found = of_type(t, type_name);
    assert_eq!(found.len(), 1, "one {type_name} expected");
    found[0].0.clone()
}

/// What the service stack hands to monitoring: real ECS, ALB and log group resources.
struct ServiceFixture {
    cpu: Metric,
    memory: Metric,
    response_time: Metric,
    requests: Metric,
    errors_5xx: Metric,
    db_cpu: Metric,
    db_storage: Metric,
    db_connections: Metric,
    log_group: LogGroupName,
}

fn service(s: &mut Scope<'_>) -> Result<ServiceFixture, Error> {
    let cluster = s.add("Cluster", ecs::Cluster::default())?;
    let svc = s.add(
        "Service",
        ecs::Service {
            cluster: Some(cluster.ref_().into()),
            task_definition: Some(
                "arn:aws:ecs:us-east-1:123456789012:task-definition/migration-api:1".into(),
            ),
            desired_count: Some(2.into()),
            ..Default::default()
        },
    )?;
    let alb = s.add(
        "Alb",
        elb::LoadBalancer {
            subnets: Some(vec![
                "subnet-0123456789abcdef0".into(),
                "subnet-0123456789abcdef1".into(),
            ]),
            ..Default::default()
        },
    )?;
    let logs = LogGroup::new(s, "Logs", LogGroupProps::default())?;
    let ecs_metric = |name: &str| {
        Metric::new("AWS/ECS", name)
            .dimension("ClusterName", cluster.ref_())
            .dimension("ServiceName", svc.name())
            .unit("Percent")
    };
    let alb_metric = |name: &str| {
        Metric::new("AWS/ApplicationELB", name)
            .dimension("LoadBalancer", alb.load_balancer_full_name())
    };
    let db = Expr::str("migration-api-db");
    let rds =
        |name: &str| Metric::new("AWS/RDS", name).dimension("DBInstanceIdentifier", db.clone());
    Ok(ServiceFixture {
        cpu: ecs_metric("CPUUtilization"),
        memory: ecs_metric("MemoryUtilization"),
        response_time: alb_metric("TargetResponseTime"),
        requests: alb_metric("RequestCount").statistic(Statistic::Sum),
        errors_5xx: alb_metric("HTTPCode_Target_5XX_Count").statistic(Statistic::Sum),
        db_cpu: rds("CPUUtilization"),
        db_storage: rds("FreeStorageSpace"),
        db_connections: rds("DatabaseConnections"),
        log_group: logs.name(),
    })
}

fn api_metrics(f: &ServiceFixture) -> ApiMetrics {
    ApiMetrics {
        cpu: f.cpu.clone(),
        memory: f.memory.clone(),
        response_time: f.response_time.clone(),
        requests: f.requests.clone(),
        errors_5xx: f.errors_5xx.clone(),
    }
}

fn guide_topic(s: &mut Scope<'_>) -> Result<AlertingTopic, Error> {
    let email = s.stack_mut().add_parameter(
        "AlertEmail",
        Parameter::string().description("Address receiving alarm notifications"),
    )?;
    Ok(AlertingTopic::Create(TopicProps {
        name: Some("alerting-topic".into()),
        display_name: Some("migration-api alerts".into()),
        email_subscriptions: vec![email],
        ..Default::default()
    }))
}

/// Resolves a rendered `DashboardBody` the way CloudFormation would, with placeholders:
/// `${AWS::Region}` -> `us-east-1`, a `Ref` -> `REF:<id>`, a `GetAtt` -> `GETATT:<id>.<attr>`,
/// an import -> `IMPORT:<name>`.
fn resolve_body(body: &Value) -> String {
    fn pseudo(name: &str) -> Option<&'static str> {
        match name {
            "AWS::Region" => Some("us-east-1"),
            "AWS::AccountId" => Some("123456789012"),
            "AWS::Partition" => Some("aws"),
            _ => None,
        }
    }
    fn part(v: &Value) -> String {
        if let Some(s) = v.as_str() {
            return s.to_owned();
        }
        if let Some(r) = v["Ref"].as_str() {
            return pseudo(r).map_or_else(|| format!("REF:{r}"), str::to_owned);
        }
        if let Some(a) = v["Fn::GetAtt"].as_array() {
            return format!(
                "GETATT:{}.{}",
                a[0].as_str().unwrap(),
                a[1].as_str().unwrap()
            );
        }
        if let Some(name) = v["Fn::ImportValue"].as_str() {
            return format!("IMPORT:{name}");
        }
        panic!("unexpected part in a dashboard body: {v}");
    }
    if let Some(s) = body.as_str() {
        return s.to_owned();
    }
    if let Some(template) = body["Fn::Sub"].as_str() {
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            if let Some(literal) = after.strip_prefix('!') {
                out.push_str("${");
                rest = literal;
                continue;
            }
            let end = after.find('}').expect("closed placeholder");
            let name = &after[..end];
            out.push_str(&match pseudo(name) {
                Some(p) => p.to_owned(),
                None => match name.split_once('.') {
                    Some((id, attr)) => format!("GETATT:{id}.{attr}"),
                    None => format!("REF:{name}"),
                },
            });
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        return out;
    }
    let join = body["Fn::Join"].as_array().expect("Fn::Sub or Fn::Join");
    assert_eq!(join[0], json!(""));
    join[1].as_array().unwrap().iter().map(part).collect()
}

fn dashboard_json(t: &Value) -> Value {
    let (_, d) = of_type(t, "AWS::CloudWatch::Dashboard")[0];
    let text = resolve_body(&d["Properties"]["DashboardBody"]);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON ({e}): {text}"))
}

#[test]
fn topic_is_encrypted_tls_only_and_lets_only_this_accounts_alarms_publish() {
    let t = synth("topic_default", |s| {
        Topic::new(s, "Topic", TopicProps::default())?;
        Ok(())
    });
    insta::assert_json_snapshot!("topic_default", t);
    let key_id = logical_id_of(&t, "AWS::KMS::Key");
    let (_, topic) = of_type(&t, "AWS::SNS::Topic")[0];
    assert_eq!(
        topic["Properties"]["KmsMasterKeyId"],
        json!({"Fn::GetAtt": [key_id, "Arn"]}),
        "topic encrypted with its own key"
    );
    assert!(
        topic["Properties"].get("TopicName").is_none(),
        "no default physical name"
    );
    let (_, key) = of_type(&t, "AWS::KMS::Key")[0];
    let sids: Vec<&str> = key["Properties"]["KeyPolicy"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(
        sids,
        ["AccountAdministers", "CloudWatchAlarmsUse", "SnsUse"]
    );
    let topic_id = logical_id_of(&t, "AWS::SNS::Topic");
    let (_, policy) = of_type(&t, "AWS::SNS::TopicPolicy")[0];
    assert_eq!(policy["Properties"]["Topics"], json!([{"Ref": topic_id}]));
    let statements = policy["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    assert_eq!(
        statements[0],
        json!({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
               "Action": ["sns:Publish", "sns:Subscribe"], "Resource": {"Ref": topic_id},
               "Condition": {"Bool": {"aws:SecureTransport": false}}}),
        "TLS only"
    );
    assert_eq!(
        statements[1]["Principal"],
        json!({"Service": "cloudwatch.amazonaws.com"})
    );
    assert_eq!(statements[1]["Action"], json!("sns:Publish"));
    assert_eq!(
        statements[1]["Condition"]["StringEquals"],
        json!({"aws:SourceAccount": {"Ref": "AWS::AccountId"}}),
        "only alarms of this account"
    );

    let t = synth("topic_custom", |s| {
        let topic = guide_topic(s)?;
        let AlertingTopic::Create(props) = topic else {
            unreachable!()
        };
        let topic = Topic::new(s, "Alerts", props)?;
        assert_eq!(topic.name().expr(), Expr::str("alerting-topic"));
        Ok(())
    });
    insta::assert_json_snapshot!("topic_custom", t);
    let (_, topic) = of_type(&t, "AWS::SNS::Topic")[0];
    assert_eq!(topic["Properties"]["TopicName"], json!("alerting-topic"));
    assert_eq!(
        topic["Properties"]["Subscription"],
        json!([{"Endpoint": {"Ref": "AlertEmail"}, "Protocol": "email"}])
    );

    // A given key is used as is; the generated name comes from the ARN.
    let t = synth("topic_given_key", |s| {
        let topic = Topic::new(
            s,
            "Alerts",
            TopicProps {
                encryption_key: Some(stackforge_constructs::aws::refs::KmsKeyArn::from_expr(
                    "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666",
                )),
                ..Default::default()
            },
        )?;
        assert!(
            matches!(topic.name().expr(), Expr::Select { index, .. } if index.as_ref() == &Expr::from(5u32))
        );
        Ok(())
    });
    assert!(of_type(&t, "AWS::KMS::Key").is_empty());
}

#[test]
fn topic_rejects_bad_names_and_addresses() {
    let e = err(|s| {
        Topic::new(
            s,
            "T",
            TopicProps {
                name: Some("alerting topic".into()),
                ..Default::default()
            },
        )
        .map(|_| ())
    });
    assert!(
        e.contains("`test/T`: invalid `name`: `alerting topic` is not a valid topic name"),
        "{e}"
    );
    let e = err(|s| {
        Topic::new(
            s,
            "T",
            TopicProps {
                email_subscriptions: vec![Expr::str("ops.example.com")],
                ..Default::default()
            },
        )
        .map(|_| ())
    });
    assert!(e.contains("invalid `email_subscriptions[0]`"), "{e}");
}

#[test]
fn alarm_set_implements_the_guides_alarms_field_by_field() {
    let mut ids = (String::new(), String::new(), String::new());
    let t = synth("alarm_set_guide", |s| {
        let f = service(s)?;
        let topic = guide_topic(s)?;
        let set = AlarmSet::new(
            s,
            "Alarms",
            AlarmSetProps {
                alarms: vec![
                    AlarmProps::high_cpu("migration-api", f.cpu.clone()),
                    AlarmProps::high_errors("migration-api", f.errors_5xx.clone()),
                ],
                topic,
                ..Default::default()
            },
        )?;
        assert_eq!(set.alarm_arns().len(), 2);
        assert!(set.alarm_arn("migration-api-high-cpu").is_some());
        assert!(set.alarm("nope").is_none());
        ids.0 = set.topic().unwrap().handle().logical_id().to_owned();
        Ok(())
    });
    insta::assert_json_snapshot!("alarm_set_guide", t);
    let topic = json!({"Ref": ids.0});
    ids.1 = logical_id_of(&t, "AWS::ECS::Cluster");
    ids.2 = logical_id_of(&t, "AWS::ECS::Service");
    let alb = logical_id_of(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer");
    let alarms = of_type(&t, "AWS::CloudWatch::Alarm");
    assert_eq!(alarms.len(), 2);
    let cpu = &alarms[0].1["Properties"];
    assert_eq!(cpu["AlarmName"], json!("migration-api-high-cpu"));
    assert_eq!(cpu["AlarmDescription"], json!("Alert when CPU exceeds 80%"));
    assert_eq!(cpu["Namespace"], json!("AWS/ECS"));
    assert_eq!(cpu["MetricName"], json!("CPUUtilization"));
    assert_eq!(cpu["Statistic"], json!("Average"));
    assert_eq!(cpu["Period"], json!(300));
    assert_eq!(cpu["Threshold"], json!(80));
    assert_eq!(cpu["ComparisonOperator"], json!("GreaterThanThreshold"));
    assert_eq!(cpu["EvaluationPeriods"], json!(1));
    assert_eq!(cpu["DatapointsToAlarm"], json!(1));
    assert_eq!(cpu["TreatMissingData"], json!("missing"));
    assert_eq!(
        cpu["Dimensions"],
        json!([{"Name": "ClusterName", "Value": {"Ref": ids.1}},
               {"Name": "ServiceName", "Value": {"Fn::GetAtt": [ids.2, "Name"]}}]),
        "the CPU alarm watches this service"
    );
    assert_eq!(cpu["AlarmActions"], json!([topic]));
    assert_eq!(cpu["OKActions"], json!([topic]));
    let errors = &alarms[1].1["Properties"];
    assert_eq!(errors["AlarmName"], json!("migration-api-high-errors"));
    assert_eq!(
        errors["AlarmDescription"],
        json!("Alert when 5XX errors exceed 10 per minute")
    );
    assert_eq!(errors["Namespace"], json!("AWS/ApplicationELB"));
    assert_eq!(errors["MetricName"], json!("HTTPCode_Target_5XX_Count"));
    assert_eq!(errors["Statistic"], json!("Sum"));
    assert_eq!(errors["Period"], json!(60));
    assert_eq!(errors["Threshold"], json!(10));
    assert_eq!(errors["ComparisonOperator"], json!("GreaterThanThreshold"));
    assert_eq!(errors["TreatMissingData"], json!("notBreaching"));
    assert_eq!(
        errors["Dimensions"],
        json!([{"Name": "LoadBalancer", "Value": {"Fn::GetAtt": [alb, "LoadBalancerFullName"]}}]),
        "the 5XX alarm watches this load balancer"
    );
    assert_eq!(errors["AlarmActions"], json!([topic]));
    assert_eq!(errors["OKActions"], json!([topic]));
    // The alerting topic: named per the guide, encrypted, its ARN a stack output.
    let (_, sns) = of_type(&t, "AWS::SNS::Topic")[0];
    assert_eq!(sns["Properties"]["TopicName"], json!("alerting-topic"));
    assert!(sns["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"].is_array());
    assert_eq!(t["Outputs"]["AlertingTopicArn"]["Value"], topic);
    assert!(t["Outputs"]["AlertingTopicArn"].get("Export").is_none());
}

#[test]
fn alarm_set_presets_for_memory_latency_and_the_database() {
    let t = synth("alarm_set_presets", |s| {
        let f = service(s)?;
        AlarmSet::new(
            s,
            "Alarms",
            AlarmSetProps {
                alarms: vec![
                    AlarmProps::high_memory("migration-api", f.memory.clone()),
                    AlarmProps::slow_responses("migration-api", f.response_time.clone()),
                    AlarmProps::db_high_cpu("migration-api", f.db_cpu.clone()),
                    AlarmProps::db_low_storage("migration-api", f.db_storage.clone()),
                    AlarmProps::db_high_connections("migration-api", f.db_connections.clone(), 80),
                ],
                topic: AlertingTopic::Create(TopicProps {
                    name: Some("alerting-topic-dev".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )?;
        Ok(())
    });
    insta::assert_json_snapshot!("alarm_set_presets", t);
    let alarms: Vec<&Value> = of_type(&t, "AWS::CloudWatch::Alarm")
        .into_iter()
        .map(|(_, a)| &a["Properties"])
        .collect();
    let summary: Vec<Value> = alarms
        .iter()
        .map(|a| {
            json!([
                a["AlarmName"],
                a["Namespace"],
                a["MetricName"],
                a.get("Statistic").or(a.get("ExtendedStatistic")),
                a["Period"],
                a["EvaluationPeriods"],
                a["DatapointsToAlarm"],
                a["Threshold"],
                a["ComparisonOperator"],
                a["TreatMissingData"]
            ])
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            json!([
                "migration-api-high-memory",
                "AWS/ECS",
                "MemoryUtilization",
                "Average",
                300,
                1,
                1,
                80,
                "GreaterThanThreshold",
                "missing"
            ]),
            json!([
                "migration-api-slow-responses",
                "AWS/ApplicationELB",
                "TargetResponseTime",
                "p95",
                60,
                3,
                3,
                1,
                "GreaterThanThreshold",
                "notBreaching"
            ]),
            json!([
                "migration-api-db-high-cpu",
                "AWS/RDS",
                "CPUUtilization",
                "Average",
                300,
                1,
                1,
                80,
                "GreaterThanThreshold",
                "missing"
            ]),
            json!([
                "migration-api-db-low-storage",
                "AWS/RDS",
                "FreeStorageSpace",
                "Minimum",
                300,
                1,
                1,
                2147483648_u64,
                "LessThanThreshold",
                "missing"
            ]),
            json!([
                "migration-api-db-high-connections",
                "AWS/RDS",
                "DatabaseConnections",
                "Maximum",
                300,
                1,
                1,
                80,
                "GreaterThanThreshold",
                "missing"
            ]),
        ]
    );
    assert!(
        alarms[0].get("Unit").is_none(),
        "no unit filter unless asked: a wrong one would leave the alarm without data"
    );
    for a in &alarms {
        assert!(
            !a["Dimensions"].as_array().unwrap().is_empty(),
            "{} has its dimensions",
            a["AlarmName"]
        );
    }
    assert_eq!(
        alarms[2]["Dimensions"],
        json!([{"Name": "DBInstanceIdentifier", "Value": "migration-api-db"}])
    );
}

#[test]
fn alarm_set_with_a_given_topic_creates_no_topic_and_no_output() {
    let t = synth("alarm_set_existing_topic", |s| {
        let f = service(s)?;
        let arn = TopicArn::from_expr(Expr::import_value("shared-alerting-topic-arn"));
        let set = AlarmSet::new(
            s,
            "Alarms",
            AlarmSetProps {
                alarms: vec![AlarmProps::high_cpu("migration-api", f.cpu)],
                topic: AlertingTopic::Existing(arn.clone()),
                ..Default::default()
            },
        )?;
        assert!(set.topic().is_none());
        assert_eq!(set.topic_arn(), arn);
        Ok(())
    });
    assert!(of_type(&t, "AWS::SNS::Topic").is_empty());
    assert!(t.get("Outputs").is_none());
    let (_, alarm) = of_type(&t, "AWS::CloudWatch::Alarm")[0];
    assert_eq!(
        alarm["Properties"]["AlarmActions"],
        json!([{"Fn::ImportValue": "shared-alerting-topic-arn"}])
    );
}

/// Builds the items of one error case from the service.
type Build<T> = Box<dyn FnOnce(&ServiceFixture) -> Vec<T>>;

fn alarm_err(alarms: impl FnOnce(&ServiceFixture) -> Vec<AlarmProps>) -> String {
    err(|s| {
        let f = service(s)?;
        AlarmSet::new(
            s,
            "Alarms",
            AlarmSetProps {
                alarms: alarms(&f),
                ..Default::default()
            },
        )
        .map(|_| ())
    })
}

#[test]
fn alarm_set_rejects_invalid_alarms() {
    let cases: Vec<(&str, Build<AlarmProps>, &str)> = vec![
        (
            "period",
            Box::new(|f| vec![AlarmProps { period: Some(45), ..AlarmProps::high_cpu("a", f.cpu.clone()) }]),
            "`test/Alarms`: invalid `alarms[0].period`: alarm `a-high-cpu` has period 45 seconds",
        ),
        (
            "datapoints over evaluation periods",
            Box::new(|f| vec![AlarmProps { datapoints_to_alarm: Some(2), ..AlarmProps::high_cpu("a", f.cpu.clone()) }]),
            "invalid `alarms[0].datapoints_to_alarm`: alarm `a-high-cpu` needs 2 breaching datapoints out of 1",
        ),
        (
            "no evaluation periods",
            Box::new(|f| vec![AlarmProps { evaluation_periods: 0, ..AlarmProps::high_cpu("a", f.cpu.clone()) }]),
            "invalid `alarms[0].evaluation_periods`: alarm `a-high-cpu` has 0 evaluation periods",
        ),
        (
            "window over a day",
            Box::new(|f| vec![AlarmProps { evaluation_periods: 289, ..AlarmProps::high_cpu("a", f.cpu.clone()) }]),
            "more than one day",
        ),
        (
            "empty name",
            Box::new(|f| vec![AlarmProps { name: " ".into(), ..AlarmProps::high_cpu("a", f.cpu.clone()) }]),
            "invalid `alarms[0].name`: the alarm name ` ` is empty",
        ),
        (
            "duplicate name",
            Box::new(|f| vec![AlarmProps::high_cpu("a", f.cpu.clone()), AlarmProps::high_cpu("a", f.cpu.clone())]),
            "invalid `alarms[1].name`: the alarm name `a-high-cpu` is used twice in this set",
        ),
        (
            "wrong metric for the preset",
            Box::new(|f| vec![AlarmProps::high_cpu("a", f.memory.clone())]),
            "invalid `alarms[0].metric`: alarm `a-high-cpu` expects AWS/ECS/CPUUtilization but was given AWS/ECS/MemoryUtilization",
        ),
        (
            "metric without its dimensions",
            Box::new(|_| vec![AlarmProps::high_errors("a", Metric::new("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"))]),
            "the metric has no `LoadBalancer` dimension, so it would watch nothing",
        ),
        (
            "percentile out of range",
            Box::new(|f| vec![AlarmProps { statistic: Some(Statistic::Percentile(100.0)), ..AlarmProps::slow_responses("a", f.response_time.clone()) }]),
            "invalid `alarms[0].statistic`: alarm `a-slow-responses` has percentile p100",
        ),
        (
            "unknown unit",
            Box::new(|f| vec![AlarmProps { unit: Some("Percents".into()), ..AlarmProps::high_cpu("a", f.cpu.clone()) }]),
            "invalid `alarms[0].unit`",
        ),
        (
            "threshold not a number",
            Box::new(|f| vec![AlarmProps { threshold: f64::NAN, ..AlarmProps::high_cpu("a", f.cpu.clone()) }]),
            "invalid `alarms[0].threshold`",
        ),
        (
            "repeated dimension",
            Box::new(|f| vec![AlarmProps::new("x", "", f.cpu.clone().dimension("ClusterName", "c"), ComparisonOperator::LessThanThreshold, 1.0)]),
            "repeated dimension name `ClusterName`",
        ),
    ];
    for (what, alarms, want) in cases {
        let e = alarm_err(alarms);
        assert!(e.contains(want), "{what}: {e}");
    }
}

#[test]
fn alarm_names_are_unique_within_a_stack_across_alarm_sets() {
    let e = err(|s| {
        let f = service(s)?;
        AlarmSet::new(
            s,
            "Web",
            AlarmSetProps {
                alarms: vec![AlarmProps::high_cpu("api", f.cpu.clone())],
                ..Default::default()
            },
        )?;
        AlarmSet::new(
            s,
            "Worker",
            AlarmSetProps {
                alarms: vec![AlarmProps::high_cpu("api", f.cpu.clone())],
                topic_output: Some("WorkerTopicArn".into()),
                ..Default::default()
            },
        )
        .map(|_| ())
    });
    assert!(
        e.contains("`test/Worker`: invalid `alarms[0].name`: the alarm name `api-high-cpu` is already used by `test/Web/api-high-cpu` in this stack"),
        "{e}"
    );
    let e = err(|s| {
        AlarmSet::new(s, "A", AlarmSetProps::default())?;
        AlarmSet::new(s, "B", AlarmSetProps::default()).map(|_| ())
    });
    assert!(
        e.contains(
            "`test/B`: invalid `topic_output`: the stack already has an output `AlertingTopicArn`"
        ),
        "{e}"
    );
}

/// An app with the guide's split: a compute stack holding the service, a monitoring stack
/// holding alarms and the dashboard, in `envs` environments.
fn split_app(envs: &[&str], second_alarm_stack: bool) -> App {
    let mut app = App::new("migration-api");
    app.add_aspect(UniqueAlarmNames::default());
    for env_name in envs {
        let env = Environment::new(env_name).with_region("us-east-1");
        let mut compute = Stack::new(&app, &env, "compute", StackProps::default()).unwrap();
        let f = service(&mut compute.root()).unwrap();
        let mut monitoring = Stack::new(&app, &env, "monitoring", StackProps::default()).unwrap();
        {
            let mut root = monitoring.root();
            let topic = guide_topic(&mut root).unwrap();
            AlarmSet::new(
                &mut root,
                "Alarms",
                AlarmSetProps {
                    alarms: vec![
                        AlarmProps::high_cpu("migration-api", f.cpu.clone()),
                        AlarmProps::high_errors("migration-api", f.errors_5xx.clone()),
                    ],
                    topic,
                    ..Default::default()
                },
            )
            .unwrap();
            Dashboard::api_performance(
                &mut root,
                "Dashboard",
                "migration-api-dashboard",
                &api_metrics(&f),
                &f.log_group,
            )
            .unwrap();
        }
        app.add_stack(compute).unwrap();
        app.add_stack(monitoring).unwrap();
        if second_alarm_stack {
            let mut other = Stack::new(&app, &env, "batch", StackProps::default()).unwrap();
            AlarmSet::new(
                &mut other.root(),
                "Alarms",
                AlarmSetProps {
                    alarms: vec![AlarmProps::high_cpu("migration-api", f.cpu.clone())],
                    topic: AlertingTopic::Existing(TopicArn::from_expr(
                        "arn:aws:sns:us-east-1:123456789012:other",
                    )),
                    ..Default::default()
                },
            )
            .unwrap();
            app.add_stack(other).unwrap();
        }
    }
    app
}

#[test]
fn unique_alarm_names_rejects_a_name_reused_by_another_stack_of_the_environment() {
    let app = split_app(&["prod"], true);
    let e = app.synth().unwrap_err().to_string();
    assert!(
        e.contains("`batch/Alarms/migration-api-high-cpu`: the alarm name `migration-api-high-cpu` is already used by `monitoring/Alarms/migration-api-high-cpu` (stack `monitoring`) in environment `prod`"),
        "{e}"
    );
    assert_eq!(e.matches("is already used").count(), 1, "{e}");
}

#[test]
fn unique_alarm_names_accepts_one_name_per_environment_and_repeated_synths() {
    let app = split_app(&["dev", "prod"], false);
    let first = app.synth().unwrap();
    // The aspect remembers names between synths without mistaking an alarm for itself.
    let second = app.synth().unwrap();
    assert_eq!(first.environments.len(), 2);
    assert_eq!(
        first.environments[1].stacks[1].body(),
        second.environments[1].stacks[1].body()
    );
    write_for_lint("monitoring_split", &first);
}

#[test]
fn api_performance_dashboard_reproduces_the_guide_with_dimensions_in_one_stack() {
    let t = synth("dashboard_api_performance", |s| {
        let f = service(s)?;
        let d = Dashboard::api_performance(
            s,
            "Dashboard",
            "migration-api-dashboard",
            &api_metrics(&f),
            &f.log_group,
        )?;
        assert!(matches!(d.name().expr(), Expr::Ref(_)));
        Ok(())
    });
    insta::assert_json_snapshot!("dashboard_api_performance", t);
    let (_, d) = of_type(&t, "AWS::CloudWatch::Dashboard")[0];
    assert_eq!(
        d["Properties"]["DashboardName"],
        json!("migration-api-dashboard")
    );
    assert!(
        d["Properties"]["DashboardBody"]["Fn::Sub"].is_string(),
        "same-stack references render as Fn::Sub"
    );
    let cluster = format!("REF:{}", logical_id_of(&t, "AWS::ECS::Cluster"));
    let service = format!("GETATT:{}.Name", logical_id_of(&t, "AWS::ECS::Service"));
    let alb = format!(
        "GETATT:{}.LoadBalancerFullName",
        logical_id_of(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    );
    let logs = format!("REF:{}", logical_id_of(&t, "AWS::Logs::LogGroup"));
    check_api_performance(&dashboard_json(&t), &cluster, &service, &alb, &logs);
}

#[test]
fn api_performance_dashboard_resolves_imports_from_the_service_stack() {
    let app = split_app(&["prod"], false);
    let asm = app.synth().unwrap();
    write_for_lint("dashboard_cross_stack", &asm);
    let monitoring = asm.environments[0]
        .stacks
        .iter()
        .find(|s| s.name.contains("monitoring"))
        .unwrap()
        .json();
    let (_, d) = of_type(&monitoring, "AWS::CloudWatch::Dashboard")[0];
    assert!(
        d["Properties"]["DashboardBody"]["Fn::Join"].is_array(),
        "imports render as Fn::Join"
    );
    let body = dashboard_json(&monitoring);
    let imports: Vec<String> = {
        let text = resolve_body(&d["Properties"]["DashboardBody"]);
        text.split("IMPORT:")
            .skip(1)
            .map(|s| s.split(['"', '\'']).next().unwrap().to_owned())
            .collect()
    };
    let find = |needle: &str| {
        imports
            .iter()
            .find(|i| i.contains(needle))
            .map(|i| format!("IMPORT:{i}"))
            .unwrap_or_else(|| panic!("no import of {needle} in {imports:?}"))
    };
    let (cluster, service, alb, logs) =
        (find("Cluster"), find("Service"), find("Alb"), find("Logs"));
    check_api_performance(&body, &cluster, &service, &alb, &logs);
}

fn check_api_performance(body: &Value, cluster: &str, service: &str, alb: &str, logs: &str) {
    let widgets = body["widgets"].as_array().unwrap();
    assert_eq!(widgets.len(), 2);
    let m = &widgets[0];
    assert_eq!(m["type"], json!("metric"));
    assert_eq!(
        (&m["x"], &m["y"], &m["width"], &m["height"]),
        (&json!(0), &json!(0), &json!(12), &json!(6))
    );
    let p = &m["properties"];
    assert_eq!(p["title"], json!("API Performance Metrics"));
    assert_eq!(
        p["region"],
        json!("us-east-1"),
        "region resolves at deploy time"
    );
    assert_eq!(p["period"], json!(300));
    let ecs = |name: &str| {
        json!(["AWS/ECS", name, "ClusterName", cluster, "ServiceName", service,
               {"stat": "Average", "period": 300}])
    };
    let elb = |name: &str, stat: &str| json!(["AWS/ApplicationELB", name, "LoadBalancer", alb, {"stat": stat, "period": 300}]);
    assert_eq!(
        p["metrics"],
        json!([
            ecs("CPUUtilization"),
            ecs("MemoryUtilization"),
            elb("TargetResponseTime", "Average"),
            elb("RequestCount", "Sum"),
            elb("HTTPCode_Target_5XX_Count", "Sum"),
        ]),
        "every metric carries its dimensions"
    );
    let l = &widgets[1];
    assert_eq!(l["type"], json!("log"));
    assert_eq!((&l["x"], &l["y"]), (&json!(12), &json!(0)));
    assert_eq!(l["properties"]["title"], json!("Error Rate (5min bins)"));
    assert_eq!(l["properties"]["region"], json!("us-east-1"));
    assert_eq!(
        l["properties"]["query"],
        json!(format!(
            "SOURCE '{logs}' | fields @timestamp, @message | filter @message like /(?i)error/ | stats count() by bin(5m)"
        ))
    );
}

#[test]
fn dashboard_widgets_render_as_valid_json_with_layout() {
    let t = synth("dashboard_widgets", |s| {
        let f = service(s)?;
        let set = AlarmSet::new(
            s,
            "Alarms",
            AlarmSetProps {
                alarms: vec![AlarmProps::high_cpu("api", f.cpu.clone())],
                ..Default::default()
            },
        )?;
        Dashboard::new(
            s,
            "Dashboard",
            DashboardProps {
                name: Some("api_overview-1".into()),
                widgets: vec![
                    TextWidget {
                        position: Some(Position { x: 0, y: 0 }),
                        ..TextWidget::new("# API \"overview\"\nOwned by `platform`")
                    }
                    .into(),
                    MetricWidget {
                        statistic: Some(Statistic::Maximum),
                        period: Some(60),
                        stacked: true,
                        y_min: Some(0.0),
                        y_max: Some(100.0),
                        ..MetricWidget::new(
                            "CPU \\ memory",
                            vec![f.cpu.clone().label("cpu \"now\""), f.memory.clone()],
                        )
                    }
                    .into(),
                    MetricWidget::single_value("Requests", vec![f.requests.clone()]).into(),
                    MetricWidget::single_value("5XX", vec![f.errors_5xx.clone()]).into(),
                    AlarmStatusWidget::new("Alarms", set.alarm_arns()).into(),
                    LogWidget::new(
                        "Errors",
                        vec![
                            f.log_group.clone(),
                            LogGroupName::from_expr("/aws/ecs/other"),
                        ],
                        "filter @message like /ERROR/ | stats count() by bin(1m)",
                    )
                    .into(),
                ],
            },
        )?;
        Ok(())
    });
    insta::assert_json_snapshot!("dashboard_widgets", t);
    let body = dashboard_json(&t);
    let w = body["widgets"].as_array().unwrap();
    let at: Vec<(u64, u64, u64, u64)> = w
        .iter()
        .map(|w| {
            let n = |k: &str| w[k].as_u64().unwrap();
            (n("x"), n("y"), n("width"), n("height"))
        })
        .collect();
    assert_eq!(
        at,
        [
            (0, 0, 24, 2), // explicit
            (0, 2, 12, 6), // auto rows start below the explicit widgets
            (12, 2, 6, 3),
            (18, 2, 6, 3),
            (0, 8, 24, 3), // did not fit: a new row below the tallest of the last
            (0, 11, 12, 6),
        ]
    );
    assert_eq!(
        w[0]["properties"]["markdown"],
        json!("# API \"overview\"\nOwned by `platform`")
    );
    let g = &w[1]["properties"];
    assert_eq!(g["title"], json!("CPU \\ memory"));
    assert_eq!(g["view"], json!("timeSeries"));
    assert_eq!(g["stacked"], json!(true));
    assert_eq!(g["stat"], json!("Maximum"));
    assert_eq!(g["yAxis"], json!({"left": {"min": 0.0, "max": 100.0}}));
    assert_eq!(
        g["metrics"][0].as_array().unwrap().len(),
        7,
        "namespace, name, 2 dimensions, options"
    );
    assert_eq!(
        g["metrics"][0][6],
        json!({"stat": "Maximum", "period": 60, "label": "cpu \"now\""})
    );
    assert_eq!(w[2]["properties"]["view"], json!("singleValue"));
    assert_eq!(
        w[2]["properties"]["metrics"][0][4],
        json!({"stat": "Sum", "period": 300})
    );
    let alarm = logical_id_of(&t, "AWS::CloudWatch::Alarm");
    assert_eq!(w[4]["type"], json!("alarm"));
    assert_eq!(
        w[4]["properties"]["alarms"],
        json!([format!("GETATT:{alarm}.Arn")])
    );
    let logs = logical_id_of(&t, "AWS::Logs::LogGroup");
    assert_eq!(
        w[5]["properties"]["query"],
        json!(format!("SOURCE 'REF:{logs}' | SOURCE '/aws/ecs/other' | filter @message like /ERROR/ | stats count() by bin(1m)"))
    );
    assert_eq!(w[5]["properties"]["view"], json!("table"));
    // No metric anywhere without its dimensions.
    for widget in w.iter().filter(|w| w["type"] == "metric") {
        for m in widget["properties"]["metrics"].as_array().unwrap() {
            assert!(m.as_array().unwrap().len() >= 5, "{m}");
        }
    }
}

#[test]
fn dashboard_with_only_literals_is_a_plain_string() {
    let t = synth("dashboard_literal", |s| {
        Dashboard::new(
            s,
            "Dashboard",
            DashboardProps {
                widgets: vec![TextWidget::new("hello").into()],
                ..Default::default()
            },
        )?;
        Ok(())
    });
    let (_, d) = of_type(&t, "AWS::CloudWatch::Dashboard")[0];
    assert!(d["Properties"].get("DashboardName").is_none());
    assert_eq!(
        serde_json::from_str::<Value>(d["Properties"]["DashboardBody"].as_str().unwrap()).unwrap(),
        json!({"widgets": [{"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {"markdown": "hello"}}]})
    );
}

fn dash_err(widgets: impl FnOnce(&ServiceFixture) -> Vec<Widget>, name: Option<&str>) -> String {
    err(|s| {
        let f = service(s)?;
        Dashboard::new(
            s,
            "Dash",
            DashboardProps {
                name: name.map(str::to_owned),
                widgets: widgets(&f),
            },
        )
        .map(|_| ())
    })
}

#[test]
fn dashboard_rejects_invalid_names_widgets_and_sizes() {
    let text = || -> Widget { TextWidget::new("x").into() };
    let e = dash_err(|_| vec![text()], Some("migration api dashboard"));
    assert!(
        e.contains(
            "`test/Dash`: invalid `name`: `migration api dashboard` is not a valid dashboard name"
        ),
        "{e}"
    );
    let long = "d".repeat(256);
    let e = dash_err(|_| vec![text()], Some(&long));
    assert!(e.contains("invalid `name`"), "{e}");

    let cases: Vec<(&str, Build<Widget>, &str)> = vec![
        (
            "too wide",
            Box::new(|_| {
                vec![TextWidget {
                    position: Some(Position { x: 12, y: 0 }),
                    width: 13,
                    ..TextWidget::new("x")
                }
                .into()]
            }),
            "invalid `widgets[0]`: a widget 13 wide and 2 high at column 12 does not fit",
        ),
        (
            "zero height",
            Box::new(|_| {
                vec![TextWidget {
                    height: 0,
                    ..TextWidget::new("x")
                }
                .into()]
            }),
            "invalid `widgets[0]`",
        ),
        (
            "overlap",
            Box::new(|_| {
                vec![
                    TextWidget {
                        position: Some(Position { x: 0, y: 0 }),
                        width: 12,
                        ..TextWidget::new("x")
                    }
                    .into(),
                    TextWidget {
                        position: Some(Position { x: 6, y: 1 }),
                        width: 12,
                        ..TextWidget::new("y")
                    }
                    .into(),
                ]
            }),
            "invalid `widgets[1]`: the widget overlaps widgets[0]",
        ),
        (
            "no metrics",
            Box::new(|_| vec![MetricWidget::new("empty", vec![]).into()]),
            "invalid `widgets[0].metrics`: the widget `empty` has 0 metrics",
        ),
        (
            "bad widget period",
            Box::new(|f| {
                vec![MetricWidget {
                    period: Some(90),
                    ..MetricWidget::new("cpu", vec![f.cpu.clone()])
                }
                .into()]
            }),
            "invalid `widgets[0].period`: the widget `cpu` has period 90",
        ),
        (
            "bad metric period",
            Box::new(|f| vec![MetricWidget::new("cpu", vec![f.cpu.clone().period(45)]).into()]),
            "invalid `widgets[0].metrics[0]`: metric `AWS/ECS/CPUUtilization` has period 45",
        ),
        (
            "inverted axis",
            Box::new(|f| {
                vec![MetricWidget {
                    y_min: Some(5.0),
                    y_max: Some(1.0),
                    ..MetricWidget::new("cpu", vec![f.cpu.clone()])
                }
                .into()]
            }),
            "invalid `widgets[0].y_max`",
        ),
        (
            "no log groups",
            Box::new(|_| vec![LogWidget::new("logs", vec![], "fields @message").into()]),
            "invalid `widgets[0].log_groups`",
        ),
        (
            "own SOURCE",
            Box::new(|f| {
                vec![LogWidget::new(
                    "logs",
                    vec![f.log_group.clone()],
                    "SOURCE 'x' | fields @message",
                )
                .into()]
            }),
            "invalid `widgets[0].query`: the query of `logs` is empty or names its own SOURCE",
        ),
        (
            "no alarms",
            Box::new(|_| vec![AlarmStatusWidget::new("alarms", vec![]).into()]),
            "invalid `widgets[0].alarms`",
        ),
        (
            "empty text",
            Box::new(|_| vec![TextWidget::new("  ").into()]),
            "invalid `widgets[0].markdown`",
        ),
        (
            "too many widgets",
            Box::new(|_| (0..501).map(|_| TextWidget::new("x").into()).collect()),
            "the dashboard has 501 widgets, over CloudWatch's 500",
        ),
        (
            "too many metrics",
            Box::new(|f| {
                (0..6)
                    .map(|_| MetricWidget::new("m", vec![f.cpu.clone(); 500]).into())
                    .collect()
            }),
            "the dashboard has 3000 metrics, over CloudWatch's 2500",
        ),
        (
            "body too large",
            Box::new(|_| vec![TextWidget::new("x".repeat(1_000_001)).into()]),
            "the dashboard body may reach",
        ),
        (
            "body estimate counts deploy-time values",
            Box::new(|f| {
                (0..2)
                    .map(|_| MetricWidget::new("m", vec![f.cpu.clone(); 500]).into())
                    .collect()
            }),
            "the dashboard body may reach",
        ),
    ];
    for (what, widgets, want) in cases {
        let e = dash_err(widgets, None);
        assert!(e.contains(want), "{what}: {e}");
    }
}

#[test]
fn api_performance_dashboard_rejects_the_wrong_metrics() {
    let e = err(|s| {
        let f = service(s)?;
        let metrics = ApiMetrics {
            cpu: f.memory.clone(),
            ..api_metrics(&f)
        };
        Dashboard::api_performance(s, "Dashboard", "d", &metrics, &f.log_group).map(|_| ())
    });
    assert!(
        e.contains("`test/Dashboard`: invalid `metrics.cpu`: expects AWS/ECS/CPUUtilization but was given AWS/ECS/MemoryUtilization"),
        "{e}"
    );
    let e = err(|s| {
        let f = service(s)?;
        let metrics = ApiMetrics {
            requests: Metric::new("AWS/ApplicationELB", "RequestCount"),
            ..api_metrics(&f)
        };
        Dashboard::api_performance(s, "Dashboard", "d", &metrics, &f.log_group).map(|_| ())
    });
    assert!(
        e.contains(
            "invalid `metrics.requests`: the RequestCount metric has no `LoadBalancer` dimension"
        ),
        "{e}"
    );
}
