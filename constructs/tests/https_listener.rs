//! `HttpsListener`: TLS 1.2+ policies, the certificate (parameter or ARN), a 404 or forward
//! default, OIDC before forwarding with the client secret resolved at deploy time, and the
//! errors; `certificate_parameter` too.

mod common;

use common::{assert_invalid, rejected, vpc};
use serde_json::{json, Value};
use stackforge_constructs::aws::elbv2::{
    certificate_parameter, ApplicationLoadBalancer, ApplicationLoadBalancerProps, DefaultAction,
    HttpsListener, HttpsListenerProps, LoadBalancerScheme, OidcProps, TargetGroup,
    TargetGroupProps, TlsPolicy,
};
use stackforge_constructs::aws::refs::SecretArn;
use stackforge_constructs::aws::secretsmanager::SecretRef;
use stackforge_constructs::testing::{resources_of_type as of_type, synth_template as synth};
use stackforge_constructs::{Result, Scope};

const CERT: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1234-5678-9abc-0123456789ab";
const OIDC_SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/oidc-MnOpQr";

fn oidc() -> OidcProps {
    OidcProps::new(
        "https://id.example.com",
        "https://id.example.com/oauth2/authorize",
        "https://id.example.com/oauth2/token",
        "https://id.example.com/oauth2/userinfo",
        "orders",
        SecretRef::json_key(SecretArn::from_expr(OIDC_SECRET), "client_secret"),
    )
}

fn alb(s: &mut Scope<'_>, oidc_egress: bool) -> Result<ApplicationLoadBalancer> {
    ApplicationLoadBalancer::new(
        s,
        "Lb",
        &vpc(),
        ApplicationLoadBalancerProps {
            scheme: LoadBalancerScheme::InternetFacing,
            identity_provider_egress: oidc_egress,
            ..Default::default()
        },
    )
}

fn https(t: &Value) -> &Value {
    of_type(t, "AWS::ElasticLoadBalancingV2::Listener")
        .into_iter()
        .map(|(_, r)| &r["Properties"])
        .find(|p| p["Port"] == 443)
        .expect("an HTTPS listener")
}

#[test]
fn default_answers_404_with_the_recommended_tls_policy_and_the_certificate_parameter() {
    let t = synth("https_listener_default", |s| {
        let lb = alb(s, false)?;
        let cert = certificate_parameter(s, "CertificateArn", None)?;
        HttpsListener::new(s, "Https", &lb, cert, HttpsListenerProps::default())?;
        Ok(())
    });
    let p = https(&t);
    assert_eq!(p["Protocol"], "HTTPS");
    assert_eq!(p["SslPolicy"], TlsPolicy::Tls13Tls12.name());
    assert_eq!(
        p["Certificates"],
        json!([{"CertificateArn": {"Ref": "CertificateArn"}}])
    );
    assert_eq!(p["DefaultActions"][0]["Type"], "fixed-response");
    assert_eq!(
        p["DefaultActions"][0]["FixedResponseConfig"]["StatusCode"],
        "404"
    );
    let param = &t["Parameters"]["CertificateArn"];
    assert!(param["AllowedPattern"].is_string() && param["Default"].is_null());
}

#[test]
fn every_tls_policy_refuses_tls_1_0_and_1_1() {
    for policy in [
        TlsPolicy::Tls13Tls12,
        TlsPolicy::Tls13Tls12Restricted,
        TlsPolicy::Tls13Tls12Ext1,
        TlsPolicy::Tls13Tls12Ext2,
        TlsPolicy::Tls13Tls12Fips,
        TlsPolicy::Tls13Only,
        TlsPolicy::Tls12Ext,
        TlsPolicy::Tls12,
        TlsPolicy::ForwardSecrecyTls12Restricted,
    ] {
        let name = policy.name();
        assert!(name.contains("TLS13") || name.contains("1-2"), "{name}");
        assert!(
            !name.contains("2016-08") && !name.contains("TLS-1-1"),
            "{name}"
        );
    }
}

#[test]
fn oidc_authenticates_before_forwarding_with_a_deploy_time_secret() {
    let t = synth("https_listener_oidc", |s| {
        let lb = alb(s, true)?;
        let tg = TargetGroup::new(s, "Api", &vpc(), TargetGroupProps::default())?;
        HttpsListener::new(
            s,
            "Https",
            &lb,
            CERT,
            HttpsListenerProps {
                tls_policy: TlsPolicy::Tls13Only,
                default_action: DefaultAction::Forward(tg),
                oidc: Some(oidc()),
            },
        )?;
        Ok(())
    });
    insta::assert_json_snapshot!("https_listener_oidc", https(&t));
    let actions = https(&t)["DefaultActions"].as_array().unwrap();
    assert_eq!(actions[0]["Type"], "authenticate-oidc");
    assert_eq!(actions[0]["Order"], 1);
    assert_eq!(actions[1]["Type"], "forward");
    assert_eq!(actions[1]["Order"], 2);
    let secret = actions[0]["AuthenticateOidcConfig"]["ClientSecret"].to_string();
    assert!(
        secret.contains("{{resolve:secretsmanager:")
            && secret.contains(":SecretString:client_secret}}"),
        "{secret}"
    );
    assert_eq!(https(&t)["Certificates"][0]["CertificateArn"], CERT);
}

#[test]
fn errors_name_the_field_and_add_nothing() {
    let e = rejected(
        |s| alb(s, false),
        |s, lb| {
            HttpsListener::new(
                s,
                "Https",
                &lb,
                CERT,
                HttpsListenerProps {
                    oidc: Some(oidc()),
                    ..Default::default()
                },
            )
            .map(|_| ())
        },
    );
    assert_invalid(
        &e,
        "test/Https",
        "oidc",
        "cannot reach the identity provider",
    );
    let e = rejected(
        |s| alb(s, false),
        |s, lb| {
            HttpsListener::new(s, "Https", &lb, "my-cert", HttpsListenerProps::default())
                .map(|_| ())
        },
    );
    assert_invalid(
        &e,
        "test/Https",
        "certificate_arn",
        "`my-cert` is not an ACM certificate ARN",
    );
    let bad_issuer = OidcProps {
        issuer: "http://id.example.com".into(),
        ..oidc()
    };
    let e = rejected(
        |s| alb(s, true),
        |s, lb| {
            HttpsListener::new(
                s,
                "Https",
                &lb,
                CERT,
                HttpsListenerProps {
                    oidc: Some(bad_issuer),
                    ..Default::default()
                },
            )
            .map(|_| ())
        },
    );
    assert_invalid(&e, "test/Https", "oidc.issuer", "is not an https URL");
    let literal_secret = OidcProps {
        client_secret: SecretRef::new(SecretArn::from_expr("hunter2")),
        ..oidc()
    };
    let e = rejected(
        |s| alb(s, true),
        |s, lb| {
            HttpsListener::new(
                s,
                "Https",
                &lb,
                CERT,
                HttpsListenerProps {
                    oidc: Some(literal_secret),
                    ..Default::default()
                },
            )
            .map(|_| ())
        },
    );
    assert_invalid(
        &e,
        "test/Https",
        "oidc.client_secret",
        "is not a Secrets Manager secret ARN",
    );
}

#[test]
fn certificate_parameter_errors() {
    for (name, default, field, problem) in [
        (
            "Cert-Arn",
            None,
            "certificate_parameter_name",
            "is not a parameter name",
        ),
        (
            "CertificateArn",
            Some(""),
            "certificate_default",
            "is empty",
        ),
        (
            "CertificateArn",
            Some("my-cert"),
            "certificate_default",
            "is not an ACM certificate ARN",
        ),
    ] {
        let e = rejected(
            |_| Ok(()),
            |s, ()| certificate_parameter(s, name, default).map(|_| ()),
        );
        assert_invalid(&e, "test", field, problem);
    }
    let e = rejected(
        |s| certificate_parameter(s, "CertificateArn", Some(CERT)),
        |s, _| certificate_parameter(s, "CertificateArn", None).map(|_| ()),
    );
    assert_invalid(&e, "test", "certificate_parameter_name", "already declares");
}
