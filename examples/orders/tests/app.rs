//! What the orders app promises, checked on its synthesized templates: the API sends to the
//! queue and the worker consumes it, both use the one database, the web shop shares the API's
//! load balancer under `/shop`, the admin service stays internal, autoscaling owns every
//! desired count, and every service has alarms and a dashboard.

use std::collections::BTreeMap;

use serde_json::{json, Value};

/// Environment -> stack short name -> template.
fn templates() -> BTreeMap<String, BTreeMap<String, Value>> {
    let asm = orders::app().unwrap().synth().unwrap();
    asm.environments
        .iter()
        .map(|env| {
            let stacks = env.stacks.iter().map(|s| {
                let short = s.name.rsplit('-').next().unwrap().to_owned();
                (short, s.json())
            });
            (env.environment.name().to_owned(), stacks.collect())
        })
        .collect()
}

fn of_type<'a>(t: &'a Value, type_name: &str) -> Vec<(&'a String, &'a Value)> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == type_name)
        .collect()
}

fn at<'a>(t: &'a Value, path: &str) -> &'a Value {
    t["Resources"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["Metadata"]["stackforge:path"] == path)
        .unwrap_or_else(|| panic!("nothing at {path}"))
}

fn actions(policy: &Value) -> Vec<String> {
    policy["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| match &s["Action"] {
            Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
            one => vec![one.as_str().unwrap().to_owned()],
        })
        .collect()
}

#[test]
fn the_api_sends_to_the_queue_and_the_worker_consumes_it() {
    for stacks in templates().values() {
        let sends = actions(at(&stacks["api"], "api/ApiSendsOrders/Resource"));
        assert!(sends.contains(&"sqs:SendMessage".to_owned()), "{sends:?}");
        assert!(!sends.contains(&"sqs:ReceiveMessage".to_owned()));
        let consumes = actions(at(
            &stacks["worker"],
            "worker/Fulfilment/ConsumesQueue/Resource",
        ));
        assert!(
            consumes.contains(&"sqs:ReceiveMessage".to_owned()),
            "{consumes:?}"
        );
        assert!(!consumes.contains(&"sqs:SendMessage".to_owned()));
        let api_env = &of_type(&stacks["api"], "AWS::ECS::TaskDefinition")[0].1["Properties"]
            ["ContainerDefinitions"][0]["Environment"];
        assert!(api_env.to_string().contains("ORDERS_QUEUE_URL"));
    }
}

#[test]
fn api_worker_and_admin_share_the_one_database() {
    for stacks in templates().values() {
        assert_eq!(of_type(&stacks["data"], "AWS::RDS::DBInstance").len(), 1);
        for (stack, id) in [
            ("api", "DatabaseFromApi"),
            ("worker", "DatabaseFromWorker"),
            ("admin", "DatabaseFromAdmin"),
        ] {
            let rule = at(&stacks[stack], &format!("{stack}/{id}"));
            assert_eq!(rule["Properties"]["FromPort"], 5432);
            assert!(
                rule["Properties"]["GroupId"]["Fn::ImportValue"].is_string(),
                "{stack}"
            );
        }
        assert!(
            of_type(&stacks["web"], "AWS::IAM::Policy").is_empty(),
            "the shop has no database access"
        );
    }
}

#[test]
fn the_web_shop_shares_the_apis_https_listener_under_shop() {
    for stacks in templates().values() {
        let rule = at(&stacks["web"], "web/ShopRule");
        assert_eq!(
            rule["Properties"]["Conditions"][0]["PathPatternConfig"]["Values"],
            json!(["/shop", "/shop/*"])
        );
        assert!(rule["Properties"]["ListenerArn"]["Fn::ImportValue"].is_string());
        assert!(of_type(&stacks["web"], "AWS::ElasticLoadBalancingV2::LoadBalancer").is_empty());
        // The API's load balancer may reach the shop's tasks, and nothing else may.
        let egress = at(&stacks["web"], "web/Shop/LoadBalancerEgress0");
        assert!(egress["Properties"]["GroupId"]["Fn::ImportValue"].is_string());
        let service = at(&stacks["web"], "web/Shop/Resource");
        assert_eq!(service["DependsOn"], json!("ShopRule"));
    }
}

#[test]
fn the_admin_service_is_behind_an_internal_load_balancer_only() {
    for stacks in templates().values() {
        let lbs = of_type(
            &stacks["admin"],
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
        );
        assert_eq!(lbs.len(), 1);
        let lb = lbs[0].1;
        assert_eq!(lb["Properties"]["Scheme"], "internal");
        assert_eq!(
            lb["Metadata"]["stackforge:intent"],
            json!({"Scheme": "internal"})
        );
        for (_, rule) in of_type(&stacks["admin"], "AWS::EC2::SecurityGroupIngress") {
            assert_ne!(rule["Properties"]["CidrIp"], "0.0.0.0/0");
            assert!(rule["Properties"]["CidrIpv6"].is_null());
        }
    }
}

#[test]
fn autoscaling_owns_every_desired_count() {
    for (env, stacks) in templates() {
        let mut services = 0;
        for t in stacks.values() {
            for (id, s) in of_type(t, "AWS::ECS::Service") {
                assert!(s["Properties"]["DesiredCount"].is_null(), "{env} {id}");
                services += 1;
            }
        }
        assert_eq!(services, 4, "{env}");
        let targets: usize = stacks
            .values()
            .map(|t| of_type(t, "AWS::ApplicationAutoScaling::ScalableTarget").len())
            .sum();
        assert_eq!(targets, 4, "{env}");
    }
    let worker_min = |env: &str| {
        templates()[env]["worker"]["Resources"]
            .as_object()
            .unwrap()
            .values()
            .find(|r| r["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget")
            .unwrap()["Properties"]["MinCapacity"]
            .clone()
    };
    assert_eq!(
        worker_min("dev"),
        0,
        "the dev worker stops when the queue is empty"
    );
    assert_eq!(worker_min("prod"), 1);
}

#[test]
fn every_service_has_alarms_to_one_topic_and_a_dashboard() {
    for (env, stacks) in templates() {
        let mut names: Vec<String> = Vec::new();
        for t in stacks.values() {
            for (_, a) in of_type(t, "AWS::CloudWatch::Alarm") {
                if let Some(n) = a["Properties"]["AlarmName"].as_str() {
                    names.push(n.to_owned());
                    assert_eq!(a["Properties"]["AlarmActions"].as_array().unwrap().len(), 1);
                }
            }
        }
        for service in ["api", "web", "worker", "admin", "fulfilment"] {
            assert!(
                names
                    .iter()
                    .any(|n| n.starts_with(&format!("orders-{env}-{service}-"))),
                "{env}: no alarm for {service} in {names:?}"
            );
        }
        assert_eq!(of_type(&stacks["worker"], "AWS::SNS::Topic").len(), 1);
        let dashboards = of_type(&stacks["monitoring"], "AWS::CloudWatch::Dashboard");
        assert_eq!(dashboards.len(), 1);
        assert_eq!(
            dashboards[0].1["Properties"]["DashboardName"],
            format!("orders-{env}-dashboard")
        );
    }
}
