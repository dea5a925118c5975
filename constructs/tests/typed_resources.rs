//! The generated types no construct uses yet, rendered and linted, so every vendored type
//! appears in a template that passes cfn-lint (the test command checks that coverage).

use serde_json::json;
use stackforge_constructs::aws::iam::{PolicyDocument, Statement};
use stackforge_constructs::aws::secretsmanager::{Secret, SecretProps};
use stackforge_constructs::resources::elasticloadbalancingv2::listener_rule::{
    Action, ActionType, FixedResponseConfig, PathPatternConfig, RuleCondition,
};
use stackforge_constructs::resources::elasticloadbalancingv2::ListenerRule;
use stackforge_constructs::resources::iam::ManagedPolicy;
use stackforge_constructs::resources::secretsmanager::SecretTargetAttachment;
use stackforge_constructs::testing::{resources_of_type, synth_template};
use stackforge_constructs::Expr;

#[test]
fn listener_rule_managed_policy_and_secret_attachment_render_as_cloudformation_expects() {
    let t = synth_template("typed_resources", |s| {
        let listener = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/api/50dc6c495c0c9188/f2f7dc8efc522ab2";
        s.add(
            "Maintenance",
            ListenerRule {
                listener_arn: Some(listener.into()),
                ..ListenerRule::new(
                    vec![Action {
                        fixed_response_config: Some(FixedResponseConfig {
                            content_type: Some("text/plain".into()),
                            message_body: Some("down for maintenance".into()),
                            ..FixedResponseConfig::new("503")
                        }),
                        ..Action::new(ActionType::FixedResponse)
                    }],
                    vec![RuleCondition {
                        field: Some("path-pattern".into()),
                        path_pattern_config: Some(PathPatternConfig {
                            values: Some(vec!["/admin/*".into()]),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }],
                    10,
                )
            },
        )?;
        let secret = Secret::new(s, "Credentials", SecretProps::default())?;
        let doc = PolicyDocument::new(vec![Statement::allow(
            ["secretsmanager:GetSecretValue"],
            [secret.arn()],
        )]);
        s.add(
            "ReadCredentials",
            ManagedPolicy {
                description: Some("Reads the credentials".into()),
                ..ManagedPolicy::new(doc.to_expr())
            },
        )?;
        s.add(
            "Attachment",
            SecretTargetAttachment::new(
                secret.arn(),
                Expr::str("migration-db"),
                "AWS::RDS::DBInstance",
            ),
        )?;
        Ok(())
    });
    let rule =
        &resources_of_type(&t, "AWS::ElasticLoadBalancingV2::ListenerRule")[0].1["Properties"];
    assert_eq!(rule["Actions"][0]["Type"], json!("fixed-response"));
    assert_eq!(
        rule["Conditions"][0]["PathPatternConfig"]["Values"],
        json!(["/admin/*"])
    );
    assert_eq!(rule["Priority"], json!(10));
    let policy = &resources_of_type(&t, "AWS::IAM::ManagedPolicy")[0].1["Properties"];
    assert_eq!(
        policy["PolicyDocument"]["Statement"][0]["Action"],
        json!("secretsmanager:GetSecretValue")
    );
    let attachment =
        &resources_of_type(&t, "AWS::SecretsManager::SecretTargetAttachment")[0].1["Properties"];
    assert_eq!(attachment["TargetType"], json!("AWS::RDS::DBInstance"));
    let secret_ref = attachment["SecretId"]["Ref"].as_str().unwrap_or_default();
    assert!(
        secret_ref.starts_with("Credentials"),
        "the secret's own Ref: {attachment}"
    );
}
