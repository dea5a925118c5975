//! `check PATH`: every resource of the given templates against the schema index (any type,
//! whatever catalog features the binary has): its type name, its properties, and the
//! `Fn::GetAtt` attributes it reads. Problems are findings of rule [`RULE`] naming the file,
//! logical ID and property path; templates that need a transform or macro first are reported
//! as not supported.

use serde_json::Value;
use stackforge_constructs::expr::sub_placeholders;
use stackforge_constructs::schema::{self, TypeName};
use stackforge_constructs::template::PATH_METADATA_KEY;
use stackforge_constructs::Expr;

use super::catalog::Severity;
use super::report::{Finding, InputError, Report};
use super::{Scope, Template};

/// The rule id of schema findings.
pub const RULE: &str = "SCHEMA";

/// Adds the schema findings of the templates of `scopes` to `report` (and an input error for
/// each template that uses a transform, a macro or `Fn::ForEach`).
pub fn check(scopes: &[Scope], report: &mut Report) {
    for template in scopes.iter().flat_map(|s| &s.templates) {
        match unsupported(&template.body) {
            Some(what) => report.input_errors.push(InputError {
                path: template
                    .source
                    .file
                    .clone()
                    .unwrap_or_else(|| template.source.label.clone().into()),
                problem: format!(
                    "the template uses {what}, which stackforge does not support (it runs no transforms or macros), so its resources were not schema-checked. Fix: check the processed template (`aws cloudformation get-template --template-stage Processed`)"
                ),
            }),
            None => report.violations.extend(findings(template)),
        }
    }
}

/// What in `body` needs processing before it is plain CloudFormation: a `Transform`, a
/// `Fn::Transform` macro or a `Fn::ForEach` loop.
pub fn unsupported(body: &Value) -> Option<String> {
    if let Some(t) = body.get("Transform") {
        let names: Vec<String> = match t {
            Value::Array(items) => items.iter().map(name_of).collect(),
            other => vec![name_of(other)],
        };
        return Some(format!("the transform {}", names.join(", ")));
    }
    let mut found = None;
    find_key(body, &mut |key| {
        if key.starts_with("Fn::ForEach::") {
            found.get_or_insert_with(|| {
                format!("`{key}` (Fn::ForEach, from AWS::LanguageExtensions)")
            });
        } else if key == "Fn::Transform" {
            found.get_or_insert_with(|| "a macro (`Fn::Transform`)".to_owned());
        }
    });
    found
}

fn name_of(v: &Value) -> String {
    match v {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

fn find_key(v: &Value, f: &mut impl FnMut(&str)) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                f(k);
                find_key(child, f);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| find_key(i, f)),
        _ => {}
    }
}

/// The schema findings of one template's resources.
fn findings(template: &Template) -> Vec<Finding> {
    let Some(resources) = template.body.get("Resources").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (id, resource) in resources {
        let Some(type_name) = resource.get("Type").and_then(Value::as_str) else {
            continue;
        };
        let finding = |message: String| Finding {
            rule: RULE.to_owned(),
            severity: Severity::High,
            source: template.source.label.clone(),
            stack: template.source.stack_name.clone(),
            file: template.source.file.clone(),
            logical_id: Some(id.clone()),
            resource_type: Some(type_name.to_owned()),
            path: resource
                .get("Metadata")
                .and_then(|m| m.get(PATH_METADATA_KEY))
                .and_then(Value::as_str)
                .map(str::to_owned),
            message,
        };
        for (target, attribute) in get_atts(resource.get("Properties")) {
            if let Some(problem) = attribute_problem(resources, target, attribute) {
                out.push(finding(problem));
            }
        }
        match schema::classify(type_name) {
            TypeName::Known(info) => {
                let properties = match resource.get("Properties") {
                    Some(Value::Object(p)) => p
                        .iter()
                        .map(|(k, v)| (k.clone(), Expr::from(v.clone())))
                        .collect(),
                    _ => Default::default(),
                };
                for v in schema::validate(info, &properties) {
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

/// The `(logical ID, attribute)` pairs `value` reads: `Fn::GetAtt` in its list and string
/// forms, and `${Id.Attribute}` placeholders of `Fn::Sub` that are not its own variables.
/// Attributes given by an intrinsic are skipped.
fn get_atts(value: Option<&Value>) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut stack: Vec<&Value> = value.into_iter().collect();
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) if m.len() == 1 && m.contains_key("Fn::GetAtt") => {
                match &m["Fn::GetAtt"] {
                    Value::Array(parts) => {
                        if let [Value::String(id), Value::String(attr)] = parts.as_slice() {
                            out.push((id.as_str(), attr.as_str()));
                        }
                    }
                    Value::String(s) => {
                        if let Some((id, attr)) = s.split_once('.') {
                            out.push((id, attr));
                        }
                    }
                    _ => {}
                }
            }
            Value::Object(m) if m.len() == 1 && m.contains_key("Fn::Sub") => {
                let (template, vars) = match &m["Fn::Sub"] {
                    Value::String(t) => (Some(t.as_str()), None),
                    Value::Array(a) => (a.first().and_then(Value::as_str), a.get(1)),
                    _ => (None, None),
                };
                let names = template.map(sub_placeholders).unwrap_or_default();
                for name in names {
                    let own = vars.and_then(|v| v.get(name)).is_some();
                    if let (false, Some((id, attr))) = (own, name.split_once('.')) {
                        out.push((id, attr));
                    }
                }
                stack.extend(vars);
            }
            Value::Object(m) => stack.extend(m.values()),
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    out
}

/// Why `Fn::GetAtt` of `attribute` on the template's resource `target` is wrong, if it is
/// (targets that are not resources are left to other checks).
fn attribute_problem(
    resources: &serde_json::Map<String, Value>,
    target: &str,
    attribute: &str,
) -> Option<String> {
    let type_name = resources.get(target)?.get("Type")?.as_str()?;
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
    use serde_json::json;

    use super::*;
    use crate::policy::Source;

    fn template(body: Value) -> Template {
        Template {
            source: Source {
                label: "t.yaml".into(),
                stack_name: None,
                file: Some("t.yaml".into()),
            },
            body,
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
            .map(|f| (f.logical_id.unwrap_or_default(), f.message))
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
                    {"Fn::GetAtt": ["Queue", {"Ref": "AttributeName"}]},
                    {"Fn::Sub": "${Queue.QueueUrl} ${Queue.Url2} ${AWS::Region}"},
                    {"Fn::Sub": ["${Queue.Own}", {"Queue.Own": "x"}]}
                ]]}}}
        }}));
        let found: Vec<String> = findings(&t).into_iter().map(|f| f.message).collect();
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found[0].starts_with("Fn::GetAtt `Queue.Url2`: AWS::SQS::Queue has no attribute `Url2`; its attributes are `Arn`,"), "{}", found[0]);
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("Fn::GetAtt `Queue.Ur1`")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("Fn::GetAtt `Queue.Nope`")),
            "{found:?}"
        );
    }

    #[test]
    fn transforms_macros_and_loops_are_not_supported() {
        let cases = [
            (
                json!({"Transform": "AWS::Serverless-2016-10-31", "Resources": {}}),
                "the transform `AWS::Serverless-2016-10-31`",
            ),
            (
                json!({"Transform": ["AWS::LanguageExtensions"], "Resources": {}}),
                "the transform `AWS::LanguageExtensions`",
            ),
            (
                json!({"Resources": {"Fn::ForEach::Tables": ["T", ["A"], {}]}}),
                "`Fn::ForEach::Tables` (Fn::ForEach, from AWS::LanguageExtensions)",
            ),
            (
                json!({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"Fn::Transform": {"Name": "M"}}}}}),
                "a macro (`Fn::Transform`)",
            ),
        ];
        for (body, want) in cases {
            assert_eq!(unsupported(&body).as_deref(), Some(want));
        }
        assert_eq!(unsupported(&json!({"Resources": {}})), None);
    }
}
