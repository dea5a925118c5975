//! `ApplicationLoadBalancer`: internet-facing (public subnets, WAF, clients from anywhere on
//! 443 and 80) or internal (private subnets, the VPC's range only, intent recorded for the
//! policy gate), access logs and invalid-header dropping always on, and the errors.

mod common;

use common::{assert_invalid, rejected, vpc};
use serde_json::{json, Value};
use stackforge_constructs::aws::ec2::{Vpc, VpcAttributes};
use stackforge_constructs::aws::elbv2::{
    ApplicationLoadBalancer, ApplicationLoadBalancerProps, HttpRedirectListener,
    LoadBalancerScheme, INTENT_METADATA_KEY,
};
use stackforge_constructs::aws::refs::SecurityGroupId;
use stackforge_constructs::testing::{resources_of_type as of_type, synth_template as synth};
use stackforge_constructs::Expr;

fn public() -> ApplicationLoadBalancerProps {
    ApplicationLoadBalancerProps {
        scheme: LoadBalancerScheme::InternetFacing,
        ..Default::default()
    }
}

fn one<'a>(t: &'a Value, type_name: &str) -> &'a Value {
    let all = of_type(t, type_name);
    assert_eq!(all.len(), 1, "expected one {type_name}");
    all[0].1
}

/// (cidr or source group, port) of every ingress rule.
fn ingress(t: &Value) -> Vec<(Value, u64)> {
    of_type(t, "AWS::EC2::SecurityGroupIngress")
        .into_iter()
        .map(|(_, r)| {
            let p = &r["Properties"];
            let from = [&p["CidrIp"], &p["CidrIpv6"], &p["SourceSecurityGroupId"]]
                .into_iter()
                .find(|v| !v.is_null())
                .unwrap()
                .clone();
            (from, p["FromPort"].as_u64().unwrap())
        })
        .collect()
}

fn attribute<'a>(lb: &'a Value, key: &str) -> &'a Value {
    lb["Properties"]["LoadBalancerAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["Key"] == key)
        .map(|a| &a["Value"])
        .unwrap_or_else(|| panic!("no attribute {key}"))
}

#[test]
fn internet_facing_snapshot() {
    let t = synth("alb_internet_facing", |s| {
        ApplicationLoadBalancer::new(s, "Public", &vpc(), public())?;
        Ok(())
    });
    insta::assert_json_snapshot!("alb_internet_facing", t);
}

#[test]
fn internet_facing_sits_in_public_subnets_behind_waf_and_redirects_http() {
    let t = synth("alb_public_parts", |s| {
        ApplicationLoadBalancer::new(s, "Public", &vpc(), public())?;
        Ok(())
    });
    let lb = one(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer");
    assert_eq!(lb["Properties"]["Scheme"], "internet-facing");
    assert_eq!(
        lb["Properties"]["Subnets"],
        json!(["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"])
    );
    assert!(lb["Metadata"][INTENT_METADATA_KEY].is_null());
    assert_eq!(
        attribute(lb, "routing.http.drop_invalid_header_fields.enabled"),
        "true"
    );
    assert_eq!(attribute(lb, "access_logs.s3.enabled"), "true");
    one(&t, "AWS::WAFv2::WebACL");
    one(&t, "AWS::WAFv2::WebACLAssociation");
    let http = one(&t, "AWS::ElasticLoadBalancingV2::Listener");
    assert_eq!(http["Properties"]["Port"], 80);
    assert_eq!(
        http["Properties"]["DefaultActions"][0]["RedirectConfig"]["Protocol"],
        "HTTPS"
    );
    let mut rules = ingress(&t);
    rules.sort_by_key(|r| (r.0.to_string(), r.1));
    assert_eq!(
        rules,
        [
            (json!("0.0.0.0/0"), 80),
            (json!("0.0.0.0/0"), 443),
            (json!("::/0"), 80),
            (json!("::/0"), 443)
        ]
    );
}

#[test]
fn internal_sits_in_private_subnets_admits_the_vpc_only_and_records_its_intent() {
    let peer = "sg-0123456789abcdef0";
    let t = synth("alb_internal", |s| {
        ApplicationLoadBalancer::new(
            s,
            "Admin",
            &vpc(),
            ApplicationLoadBalancerProps {
                allowed_security_groups: vec![SecurityGroupId::from_expr(peer)],
                http_redirect: false,
                ..Default::default()
            },
        )?;
        Ok(())
    });
    let lb = one(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer");
    assert_eq!(lb["Properties"]["Scheme"], "internal");
    assert_eq!(
        lb["Properties"]["Subnets"],
        json!(["subnet-0a1b2c3d4e5f60003", "subnet-0a1b2c3d4e5f60004"])
    );
    assert_eq!(
        lb["Metadata"][INTENT_METADATA_KEY],
        json!({"Scheme": "internal"})
    );
    assert!(of_type(&t, "AWS::WAFv2::WebACL").is_empty());
    assert!(of_type(&t, "AWS::ElasticLoadBalancingV2::Listener").is_empty());
    assert_eq!(
        ingress(&t),
        [(json!("10.0.0.0/16"), 443), (json!(peer), 443)],
        "no port 80 without the redirect"
    );
}

#[test]
fn the_redirect_listener_needs_port_80() {
    let e = rejected(
        |s| {
            ApplicationLoadBalancer::new(
                s,
                "Admin",
                &vpc(),
                ApplicationLoadBalancerProps {
                    http_redirect: false,
                    ..Default::default()
                },
            )
        },
        |s, alb| HttpRedirectListener::new(s, "Http", &alb).map(|_| ()),
    );
    assert_invalid(&e, "test/Http", "load_balancer", "does not accept port 80");
}

#[test]
fn metrics_name_the_load_balancer_and_target_group() {
    stackforge_constructs::testing::synth_stack(|s| {
        let alb = ApplicationLoadBalancer::new(s, "Public", &vpc(), public())?;
        let m = alb.metric_request_count();
        assert!(m.is("AWS/ApplicationELB", "RequestCount"));
        assert_eq!(
            m.dimension_value("LoadBalancer"),
            Some(&alb.full_name().expr())
        );
        assert!(m.dimension_value("TargetGroup").is_none());
        assert!(alb
            .metric_elb_5xx()
            .is("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"));
        assert!(alb.web_acl_arn().is_some() && !alb.is_internal());
        Ok(())
    })
    .unwrap();
}

#[test]
fn errors_name_the_field_and_add_nothing() {
    let cases: Vec<(ApplicationLoadBalancerProps, &str, &str)> = vec![
        (
            ApplicationLoadBalancerProps {
                allowed_cidrs: Some(vec!["0.0.0.0/0".into()]),
                ..Default::default()
            },
            "allowed_cidrs",
            "the whole internet, and the load balancer is internal",
        ),
        (
            ApplicationLoadBalancerProps {
                allowed_cidrs: Some(vec![]),
                ..Default::default()
            },
            "allowed_cidrs",
            "no range may reach",
        ),
        (
            ApplicationLoadBalancerProps {
                allowed_cidrs: Some(vec!["10.0.0.300/8".into()]),
                ..public()
            },
            "allowed_cidrs",
            "is not a CIDR range",
        ),
        (
            ApplicationLoadBalancerProps {
                idle_timeout_seconds: 0,
                ..public()
            },
            "idle_timeout_seconds",
            "outside 1..=4000",
        ),
        (
            ApplicationLoadBalancerProps {
                access_logs_prefix: "AWSLogs".into(),
                ..public()
            },
            "access_logs_prefix",
            "not a usable access log prefix",
        ),
        (
            ApplicationLoadBalancerProps {
                access_logs_expiration_days: 0,
                ..public()
            },
            "access_logs_expiration_days",
            "0 days",
        ),
    ];
    for (props, field, problem) in cases {
        let e = rejected(
            |_| Ok(()),
            |s, ()| ApplicationLoadBalancer::new(s, "Lb", &vpc(), props).map(|_| ()),
        );
        assert_invalid(&e, "test/Lb", field, problem);
    }
}

#[test]
fn errors_on_the_vpc_name_the_subnets_missing() {
    let attrs = |public: usize, private: usize, cidr: Expr| {
        let full = vpc();
        Vpc::from_attributes(VpcAttributes {
            vpc_id: full.vpc_id(),
            cidr,
            public_subnets: full.public_subnets()[..public].to_vec(),
            private_subnets: full.private_subnets()[..private].to_vec(),
            isolated_subnets: vec![],
        })
    };
    let literal = Expr::str("10.0.0.0/16");
    for (v, props, problem) in [
        (attrs(1, 2, literal.clone()), public(), "an internet-facing load balancer needs public subnets in two availability zones, the VPC has 1"),
        (attrs(2, 0, literal), ApplicationLoadBalancerProps::default(), "an internal load balancer needs private subnets in two availability zones, the VPC has 0"),
    ] {
        let e = rejected(|_| Ok(()), |s, ()| ApplicationLoadBalancer::new(s, "Lb", &v, props).map(|_| ()));
        assert_invalid(&e, "test/Lb", "vpc", problem);
    }
    let imported = attrs(2, 2, Expr::import_value("network:VpcCidr"));
    let e = rejected(
        |_| Ok(()),
        |s, ()| {
            ApplicationLoadBalancer::new(
                s,
                "Lb",
                &imported,
                ApplicationLoadBalancerProps::default(),
            )
            .map(|_| ())
        },
    );
    assert_invalid(
        &e,
        "test/Lb",
        "allowed_cidrs",
        "the VPC's CIDR is not known here",
    );
}
