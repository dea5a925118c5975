//! `TargetGroup`: IP targets over HTTP with a health check, and the errors.

mod common;

use common::{assert_invalid, rejected, vpc};
use serde_json::json;
use stackforge_constructs::aws::elbv2::{TargetGroup, TargetGroupProps};
use stackforge_constructs::testing::synth_template as synth;

#[test]
fn ip_targets_with_an_http_health_check() {
    let t = synth("target_group", |s| {
        let tg = TargetGroup::new(
            s,
            "Web",
            &vpc(),
            TargetGroupProps {
                port: 3000,
                health_check_path: "/ready".into(),
                healthy_http_codes: "200-299".into(),
                deregistration_delay_seconds: 10,
            },
        )?;
        assert_eq!(tg.port(), 3000);
        Ok(())
    });
    let p = &t["Resources"]["Web"]["Properties"];
    assert_eq!(p["TargetType"], "ip");
    assert_eq!(p["Protocol"], "HTTP");
    assert_eq!(p["Port"], 3000);
    assert_eq!(p["HealthCheckPath"], "/ready");
    assert_eq!(p["Matcher"], json!({"HttpCode": "200-299"}));
    assert_eq!(
        p["TargetGroupAttributes"],
        json!([{"Key": "deregistration_delay.timeout_seconds", "Value": "10"}])
    );
}

#[test]
fn errors_name_the_field_and_add_nothing() {
    let cases: Vec<(TargetGroupProps, &str, &str)> = vec![
        (
            TargetGroupProps {
                port: 0,
                ..Default::default()
            },
            "port",
            "port 0",
        ),
        (
            TargetGroupProps {
                health_check_path: "health".into(),
                ..Default::default()
            },
            "health_check_path",
            "is not a URL path",
        ),
        (
            TargetGroupProps {
                healthy_http_codes: "200-600".into(),
                ..Default::default()
            },
            "healthy_http_codes",
            "is not a list of HTTP codes",
        ),
        (
            TargetGroupProps {
                deregistration_delay_seconds: 3601,
                ..Default::default()
            },
            "deregistration_delay_seconds",
            "more than 3600",
        ),
    ];
    for (props, field, problem) in cases {
        let e = rejected(
            |_| Ok(()),
            |s, ()| TargetGroup::new(s, "Web", &vpc(), props).map(|_| ()),
        );
        assert_invalid(&e, "test/Web", field, problem);
    }
}
