//! `check PATH`: every resource of the given templates against the schema index (any type,
//! whatever catalog features the binary has): its type name, its properties, and the
//! `Fn::GetAtt` attributes it reads. Problems are findings of rule [`RULE`] naming the file,
//! logical ID and property path. (Templates that need a transform, a macro or `Fn::ForEach`
//! never get here: the template reader answers "not supported" for them.)

use stackforge_construct_model::schema::{self, TypeName};
use stackforge_construct_model::{ResourceDef, Use};

use super::catalog::Severity;
use super::report::{Finding, Report};
use super::{Scope, Template};

/// The rule id of schema findings.
pub const RULE: &str = "SCHEMA";

/// Adds the schema findings of the templates of `scopes` to `report`.
pub fn check(scopes: &[Scope], report: &mut Report) {
    for template in scopes.iter().flat_map(|s| &s.templates) {
        report.violations.extend(findings(template));
    }
}

/// The schema findings of one template's resources.
fn findings(template: &Template) -> Vec<Finding> {
    let resources = &template.body.resources;
    let mut out = Vec::new();
    for (id, resource) in resources {
        let type_name = resource.type_name.as_str();
        let finding = |message: String| Finding {
            rule: RULE.into(),
            severity: Severity::High,
            source: template.source.label.as_str().into(),
            stack: template.source.stack_name.as_deref().map(Into::into),
            file: template.source.file.clone(),
            logical_id: Some(id.clone()),
            resource_type: Some(type_name.into()),
            path: resource.path().map(str::to_owned),
            message: message.into(),
        };
        for (at, used) in resource.uses() {
            let Use::Local {
                id: target,
                attribute: Some(attribute),
            } = used
            else {
                continue;
            };
            if let Some(problem) = attribute_problem(resources.get(target), target, attribute) {
                out.push(finding(format!("{at}: {problem}")));
            }
        }
        match schema::classify(type_name) {
            TypeName::Known(info) => {
                for v in schema::validate(info, &resource.properties) {
                    let at = match v.property.as_str() {
                        "" => String::new(),
                        p => format!("property `{p}`: "),
                    };
                    out.push(finding(format!("{at}{}.", v.problem)));
                }
            }
            TypeName::Custom | TypeName::Extension => {}
            TypeName::Transform => out.push(finding(format!(
                "`{type_name}` exists only before the AWS::Serverless-2016-10-31 transform, which the template does not declare. Fix: add `Transform: AWS::Serverless-2016-10-31`, or use the CloudFormation types it would create."
            ))),
            TypeName::Unknown { suggestions } => {
                let near: Vec<String> =
                    suggestions.iter().flatten().map(|s| format!("`{s}`")).collect();
                let hint = match near.as_slice() {
                    [] => String::new(),
                    _ => format!("; did you mean {}?", near.join(" or ")),
                };
                out.push(finding(format!(
                    "`{type_name}` is not a resource type of cfn-lint {}'s schemas{hint}. Fix: use the type name of the CloudFormation reference.",
                    schema::cfn_lint_version()
                )));
            }
        }
    }
    out
}

/// Why `Fn::GetAtt` of `attribute` on `target` is wrong, if it is (targets that are not
/// resources of the template are left to other checks).
fn attribute_problem(
    resource: Option<&ResourceDef>,
    target: &str,
    attribute: &str,
) -> Option<String> {
    let type_name = resource?.type_name.as_str();
    let TypeName::Known(info) = schema::classify(type_name) else {
        return None;
    };
    if info.has_attribute(attribute) {
        return None;
    }
    let known: Vec<String> = info.attributes.iter().map(|a| format!("`{a}`")).collect();
    let known = match known.as_slice() {
        [] => "none (it supports only Ref)".to_owned(),
        _ => known.join(", "),
    };
    Some(format!(
        "Fn::GetAtt `{target}.{attribute}`: {type_name} has no attribute `{attribute}`; its attributes are {known}."
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::policy::Source;

    fn template(body: Value) -> Template {
        Template {
            source: Source {
                label: "t.yaml".into(),
                stack_name: None,
                file: Some("t.yaml".into()),
            },
            body: stackforge_construct_model::document::parse(&body.to_string())
                .expect("a readable template"),
        }
    }

    #[test]
    fn findings_name_the_resource_and_property() {
        let t = template(json!({"Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 9999, "Colour": "x"}},
            "Topic": {"Type": "AWS::SNS::Topik"},
            "Seeder": {"Type": "Custom::Seeder", "Properties": {"Anything": 1}},
            "Widget": {"Type": "MyOrg::Thing::Widget"},
            "Ok": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "Name"}}}
        }}));
        let found: Vec<(String, String)> = findings(&t)
            .into_iter()
            .map(|f| (f.logical_id.unwrap_or_default(), f.message.to_string()))
            .collect();
        assert_eq!(found.len(), 3, "{found:#?}");
        assert_eq!(found[0].0, "Queue");
        assert!(
            found[0]
                .1
                .starts_with("property `DelaySeconds`: 9999 is above the maximum 900"),
            "{}",
            found[0].1
        );
        assert!(
            found[1].1.starts_with("property `Colour`:"),
            "{}",
            found[1].1
        );
        assert_eq!(found[2].0, "Topic");
        assert!(
            found[2].1.contains("did you mean `AWS::SNS::Topic`"),
            "{}",
            found[2].1
        );
    }

    #[test]
    fn get_att_of_a_missing_attribute_is_a_finding_in_every_form() {
        let t = template(json!({"Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Seeder": {"Type": "Custom::Seeder", "Properties": {"ServiceToken": "arn"}},
            "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String",
                "Value": {"Fn::Join": [",", [
                    {"Fn::GetAtt": ["Queue", "Arn"]},
                    {"Fn::GetAtt": ["Queue", "Ur1"]},
                    {"Fn::GetAtt": "Queue.Nope"},
                    {"Fn::GetAtt": ["Seeder", "Anything.At.All"]},
                    {"Fn::Sub": "${Queue.QueueUrl} ${Queue.Url2} ${AWS::Region}"},
                    {"Fn::Sub": ["${Queue.Own}", {"Queue.Own": "x"}]}
                ]]}}}
        }}));
        let found: Vec<String> = findings(&t)
            .into_iter()
            .map(|f| f.message.to_string())
            .collect();
        assert_eq!(found.len(), 3, "{found:#?}");
        // In document order, each with the property path of the use.
        for (found, attribute) in found.iter().zip(["Ur1", "Nope", "Url2"]) {
            let want = format!(
                "Properties.Value: Fn::GetAtt `Queue.{attribute}`: AWS::SQS::Queue has no attribute `{attribute}`; its attributes are `Arn`,"
            );
            assert!(found.starts_with(&want), "{found}");
        }
    }
}
