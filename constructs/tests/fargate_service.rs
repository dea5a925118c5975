//! `FargateService`: private subnets without public IPs, the circuit breaker, the desired
//! count left to autoscaling, load balancer targets whose load balancer alone may reach the
//! tasks, and the errors.

mod common;

use common::{assert_invalid, rejected, vpc};
use serde_json::{json, Value};
use stackforge_constructs::aws::ec2::{Vpc, VpcAttributes};
use stackforge_constructs::aws::ecr::Repository;
use stackforge_constructs::aws::ecs::{
    Cluster, ClusterProps, ContainerDefinitionProps, ContainerImage, ContainerLogging,
    FargateService, FargateServiceProps, FargateTaskDefinition, FargateTaskDefinitionProps,
    LoadBalancerTarget,
};
use stackforge_constructs::aws::elbv2::{
    ApplicationLoadBalancer, ApplicationLoadBalancerProps, DefaultAction, HttpsListener,
    HttpsListenerProps, ListenerRule, ListenerRuleProps, TargetGroup, TargetGroupProps,
};
use stackforge_constructs::aws::logs::{LogGroup, LogGroupProps};
use stackforge_constructs::aws::refs::RepositoryName;
use stackforge_constructs::testing::{resources_of_type as of_type, synth_template as synth};
use stackforge_constructs::{Result, Scope};

const CERT: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1234-5678-9abc-0123456789ab";

struct Parts {
    cluster: Cluster,
    task: FargateTaskDefinition,
    listener: HttpsListener,
    api: TargetGroup,
    admin: TargetGroup,
    rule: ListenerRule,
}

/// A cluster, a task with a container on 8080, and an internal load balancer whose
/// listener forwards to `api` and whose rule forwards `/admin/*` to `admin`.
fn parts(s: &mut Scope<'_>) -> Result<Parts> {
    let cluster = Cluster::new(s, "Cluster", ClusterProps::default())?;
    let logs = LogGroup::new(s, "Logs", LogGroupProps::default())?;
    let repo = Repository::from_name(RepositoryName::from_expr("orders"));
    let props = FargateTaskDefinitionProps::default().add_container(ContainerDefinitionProps {
        ports: vec![8080],
        ..ContainerDefinitionProps::new(
            "app",
            ContainerImage::ecr_tag(&repo, "1.0.0"),
            ContainerLogging::new(&logs, "app"),
        )
    });
    let task = FargateTaskDefinition::new(s, "Task", props)?;
    let lb =
        ApplicationLoadBalancer::new(s, "Lb", &vpc(), ApplicationLoadBalancerProps::default())?;
    let api = TargetGroup::new(s, "ApiTargets", &vpc(), TargetGroupProps::default())?;
    let admin = TargetGroup::new(s, "AdminTargets", &vpc(), TargetGroupProps::default())?;
    let listener = HttpsListener::new(
        s,
        "Https",
        &lb,
        CERT,
        HttpsListenerProps {
            default_action: DefaultAction::Forward(api.clone()),
            ..Default::default()
        },
    )?;
    let rule = ListenerRule::new(
        s,
        "AdminRule",
        &listener,
        ListenerRuleProps {
            path_patterns: vec!["/admin/*".into()],
            ..ListenerRuleProps::new(10, &admin)
        },
    )?;
    Ok(Parts {
        cluster,
        task,
        listener,
        api,
        admin,
        rule,
    })
}

fn service(t: &Value) -> &Value {
    let all = of_type(t, "AWS::ECS::Service");
    assert_eq!(all.len(), 1);
    all[0].1
}

#[test]
fn a_worker_has_no_inbound_rule_no_load_balancer_and_no_fixed_count() {
    let t = synth("fargate_service_worker", |s| {
        let p = parts(s)?;
        FargateService::new(
            s,
            "Worker",
            &p.cluster,
            &p.task,
            &vpc(),
            FargateServiceProps::default(),
        )?;
        Ok(())
    });
    let svc = service(&t);
    let props = &svc["Properties"];
    assert!(props["DesiredCount"].is_null(), "left to autoscaling");
    assert!(props["LoadBalancers"].is_null() && props["HealthCheckGracePeriodSeconds"].is_null());
    assert!(svc["DependsOn"].is_null());
    let net = &props["NetworkConfiguration"]["AwsvpcConfiguration"];
    assert_eq!(net["AssignPublicIp"], "DISABLED");
    assert_eq!(
        net["Subnets"],
        json!(["subnet-0a1b2c3d4e5f60003", "subnet-0a1b2c3d4e5f60004"])
    );
    assert_eq!(
        props["DeploymentConfiguration"]["DeploymentCircuitBreaker"],
        json!({"Enable": true, "Rollback": true})
    );
    assert!(of_type(&t, "AWS::EC2::SecurityGroupIngress")
        .iter()
        .all(|(_, r)| !r["Metadata"]["stackforge:path"]
            .as_str()
            .unwrap()
            .starts_with("test/Worker")));
}

#[test]
fn load_balanced_services_open_their_port_to_the_load_balancer_only_once_and_wait_for_the_forwarders(
) {
    let t = synth("fargate_service_targets", |s| {
        let p = parts(s)?;
        FargateService::new(
            s,
            "Api",
            &p.cluster,
            &p.task,
            &vpc(),
            FargateServiceProps {
                desired_count: Some(2),
                load_balancers: vec![
                    LoadBalancerTarget::new(&p.listener, &p.api, "app", 8080),
                    LoadBalancerTarget::new(&p.rule, &p.admin, "app", 8080),
                ],
                ..Default::default()
            },
        )?;
        Ok(())
    });
    let svc = service(&t);
    assert_eq!(svc["Properties"]["DesiredCount"], 2);
    assert_eq!(svc["Properties"]["HealthCheckGracePeriodSeconds"], 60);
    assert_eq!(
        svc["Properties"]["LoadBalancers"].as_array().unwrap().len(),
        2
    );
    assert_eq!(
        svc["DependsOn"].as_array().unwrap().len(),
        2,
        "{}",
        svc["DependsOn"]
    );
    let paths = |type_name: &str| -> Vec<String> {
        of_type(&t, type_name)
            .iter()
            .map(|(_, r)| {
                r["Metadata"]["stackforge:path"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .filter(|p| p.starts_with("test/Api/"))
            .collect()
    };
    // Same load balancer group, same port: one rule each way.
    assert_eq!(
        paths("AWS::EC2::SecurityGroupIngress"),
        ["test/Api/FromLoadBalancer0"]
    );
    assert_eq!(
        paths("AWS::EC2::SecurityGroupEgress"),
        ["test/Api/LoadBalancerEgress0"]
    );
}

#[test]
fn errors_name_the_field_and_add_nothing() {
    let e = rejected(parts, |s, p| {
        let props = FargateServiceProps {
            load_balancers: vec![LoadBalancerTarget::new(&p.listener, &p.api, "app", 9090)],
            ..Default::default()
        };
        FargateService::new(s, "Api", &p.cluster, &p.task, &vpc(), props).map(|_| ())
    });
    assert_invalid(
        &e,
        "test/Api",
        "load_balancers[0]",
        "no container `app` listening on 9090",
    );
    let e = rejected(parts, |s, p| {
        let props = FargateServiceProps {
            load_balancers: vec![LoadBalancerTarget::new(&p.listener, &p.admin, "app", 8080)],
            ..Default::default()
        };
        FargateService::new(s, "Api", &p.cluster, &p.task, &vpc(), props).map(|_| ())
    });
    assert_invalid(
        &e,
        "test/Api",
        "load_balancers[0]",
        "does not forward to this target group",
    );
    for (props, field, problem) in [
        (
            FargateServiceProps {
                min_healthy_percent: 101,
                ..Default::default()
            },
            "min_healthy_percent",
            "more than 100",
        ),
        (
            FargateServiceProps {
                max_percent: 100,
                ..Default::default()
            },
            "max_percent",
            "must be above min_healthy_percent",
        ),
    ] {
        let e = rejected(parts, |s, p| {
            FargateService::new(s, "Api", &p.cluster, &p.task, &vpc(), props).map(|_| ())
        });
        assert_invalid(&e, "test/Api", field, problem);
    }
    let no_private = Vpc::from_attributes(VpcAttributes {
        private_subnets: vec![],
        vpc_id: vpc().vpc_id(),
        cidr: vpc().cidr(),
        public_subnets: vpc().public_subnets().to_vec(),
        isolated_subnets: vec![],
    });
    let e = rejected(parts, |s, p| {
        FargateService::new(
            s,
            "Api",
            &p.cluster,
            &p.task,
            &no_private,
            FargateServiceProps::default(),
        )
        .map(|_| ())
    });
    assert_invalid(&e, "test/Api", "vpc", "no private subnets");
}
