//! `ListenerRule`: two services share one HTTPS listener by host and path, rules may
//! authenticate with OIDC, and the errors (priorities, conditions).

mod common;

use common::{assert_invalid, rejected, vpc};
use serde_json::json;
use stackforge_constructs::aws::elbv2::{
    ApplicationLoadBalancer, ApplicationLoadBalancerProps, HttpsListener, HttpsListenerProps,
    ListenerRule, ListenerRuleProps, LoadBalancerScheme, OidcProps, TargetGroup, TargetGroupProps,
};
use stackforge_constructs::aws::refs::SecretArn;
use stackforge_constructs::aws::secretsmanager::SecretRef;
use stackforge_constructs::testing::{resources_of_type as of_type, synth_template as synth};
use stackforge_constructs::{Result, Scope};

const CERT: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1234-5678-9abc-0123456789ab";

fn listener(s: &mut Scope<'_>) -> Result<(HttpsListener, TargetGroup)> {
    let lb = ApplicationLoadBalancer::new(
        s,
        "Lb",
        &vpc(),
        ApplicationLoadBalancerProps {
            scheme: LoadBalancerScheme::InternetFacing,
            ..Default::default()
        },
    )?;
    let https = HttpsListener::new(s, "Https", &lb, CERT, HttpsListenerProps::default())?;
    let tg = TargetGroup::new(s, "Web", &vpc(), TargetGroupProps::default())?;
    Ok((https, tg))
}

#[test]
fn rules_route_by_host_and_path_to_their_target_groups() {
    let t = synth("listener_rules", |s| {
        let (https, web) = listener(s)?;
        let api = TargetGroup::new(s, "Api", &vpc(), TargetGroupProps::default())?;
        ListenerRule::new(
            s,
            "ApiRule",
            &https,
            ListenerRuleProps {
                host_headers: vec!["api.example.com".into()],
                ..ListenerRuleProps::new(10, &api)
            },
        )?;
        ListenerRule::new(
            s,
            "WebRule",
            &https,
            ListenerRuleProps {
                path_patterns: vec!["/shop".into(), "/shop/*".into()],
                ..ListenerRuleProps::new(20, &web)
            },
        )?;
        Ok(())
    });
    let rules = of_type(&t, "AWS::ElasticLoadBalancingV2::ListenerRule");
    assert_eq!(rules.len(), 2);
    let (_, api) = rules[0];
    assert_eq!(api["Properties"]["Priority"], 10);
    assert_eq!(
        api["Properties"]["Conditions"],
        json!([{"Field": "host-header", "HostHeaderConfig": {"Values": ["api.example.com"]}}])
    );
    assert_eq!(
        api["Properties"]["Actions"][0]["TargetGroupArn"],
        json!({"Ref": "Api"})
    );
    assert_eq!(
        rules[1].1["Properties"]["Conditions"][0]["PathPatternConfig"]["Values"],
        json!(["/shop", "/shop/*"])
    );
    assert_eq!(
        rules[1].1["Properties"]["ListenerArn"],
        api["Properties"]["ListenerArn"]
    );
}

#[test]
fn a_rule_can_authenticate_with_oidc() {
    let t = synth("listener_rule_oidc", |s| {
        let lb = ApplicationLoadBalancer::new(
            s,
            "Lb",
            &vpc(),
            ApplicationLoadBalancerProps {
                scheme: LoadBalancerScheme::InternetFacing,
                identity_provider_egress: true,
                ..Default::default()
            },
        )?;
        let https = HttpsListener::new(s, "Https", &lb, CERT, HttpsListenerProps::default())?;
        let tg = TargetGroup::new(s, "Admin", &vpc(), TargetGroupProps::default())?;
        let secret = SecretRef::new(SecretArn::from_expr(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:oidc-AbCdEf",
        ));
        ListenerRule::new(
            s,
            "AdminRule",
            &https,
            ListenerRuleProps {
                path_patterns: vec!["/admin/*".into()],
                oidc: Some(OidcProps::new(
                    "https://id.example.com",
                    "https://id.example.com/a",
                    "https://id.example.com/t",
                    "https://id.example.com/u",
                    "admin",
                    secret,
                )),
                ..ListenerRuleProps::new(5, &tg)
            },
        )?;
        Ok(())
    });
    let actions =
        &of_type(&t, "AWS::ElasticLoadBalancingV2::ListenerRule")[0].1["Properties"]["Actions"];
    assert_eq!(actions[0]["Type"], "authenticate-oidc");
    assert_eq!(
        actions[0]["AuthenticateOidcConfig"]["SessionTimeout"],
        604_800
    );
    assert_eq!(actions[1]["Type"], "forward");
}

fn with(
    priority: u32,
    hosts: &'static [&'static str],
    paths: &'static [&'static str],
) -> impl Fn(&TargetGroup) -> ListenerRuleProps {
    move |tg: &TargetGroup| ListenerRuleProps {
        host_headers: hosts.iter().map(|h| (*h).into()).collect(),
        path_patterns: paths.iter().map(|p| (*p).into()).collect(),
        ..ListenerRuleProps::new(priority, tg)
    }
}

#[test]
fn errors_name_the_field_and_add_nothing() {
    type Make = Box<dyn Fn(&TargetGroup) -> ListenerRuleProps>;
    let cases: Vec<(Make, &str, &str)> = vec![
        (
            Box::new(with(0, &[], &["/a"])),
            "priority",
            "outside 1..=50000",
        ),
        (
            Box::new(with(1, &[], &[])),
            "path_patterns",
            "matches nothing",
        ),
        (
            Box::new(with(1, &["a", "b", "c"], &["/a", "/b", "/c"])),
            "path_patterns",
            "over the 5",
        ),
        (
            Box::new(with(1, &["https://api.example.com"], &[])),
            "host_headers",
            "is not a host name pattern",
        ),
        (
            Box::new(with(1, &[], &["admin"])),
            "path_patterns",
            "is not a path pattern",
        ),
        (
            Box::new(|tg: &TargetGroup| ListenerRuleProps {
                path_patterns: vec!["/a".into()],
                oidc: Some(OidcProps::new(
                    "https://i",
                    "https://a",
                    "https://t",
                    "https://u",
                    "c",
                    SecretRef::new(SecretArn::from_expr(
                        "arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf",
                    )),
                )),
                ..ListenerRuleProps::new(1, tg)
            }),
            "oidc",
            "cannot reach the identity provider",
        ),
    ];
    for (make, field, problem) in cases {
        let e = rejected(listener, |s, (https, tg)| {
            ListenerRule::new(s, "Rule", &https, make(&tg)).map(|_| ())
        });
        assert_invalid(&e, "test/Rule", field, problem);
    }
    // A second rule with the same priority on the same listener.
    let e = rejected(
        |s| {
            let (https, tg) = listener(s)?;
            ListenerRule::new(
                s,
                "First",
                &https,
                ListenerRuleProps {
                    path_patterns: vec!["/a".into()],
                    ..ListenerRuleProps::new(7, &tg)
                },
            )?;
            Ok((https, tg))
        },
        |s, (https, tg)| {
            ListenerRule::new(
                s,
                "Second",
                &https,
                ListenerRuleProps {
                    path_patterns: vec!["/b".into()],
                    ..ListenerRuleProps::new(7, &tg)
                },
            )
            .map(|_| ())
        },
    );
    assert_invalid(
        &e,
        "test/Second",
        "priority",
        "`test/First` already has priority 7",
    );
}
