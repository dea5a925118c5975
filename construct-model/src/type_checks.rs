//! Synth checks backed by the schema index, for every resource (typed or raw) whatever the
//! catalog features: the type name exists, the environment's region has the type, each
//! `Fn::GetAtt` names an attribute of its target's type, and every resource's properties
//! (typed ones too: their structs fix shapes, not patterns or lengths) match the type's
//! schema. `synth` calls [`check_environment`] and [`validate_properties`].

use stackforge_core::schema::{self, TypeInfo, TypeName};

use crate::app::App;
use crate::error::{Error, Warning};
use crate::expr::{Expr, ExprMap, Reference};
use crate::stack::Stack;

/// At most this many attributes are listed in an error (some types have dozens).
const LISTED_ATTRIBUTES: usize = 24;

/// Checks the type names, region availability and `Fn::GetAtt` attributes of the resources
/// and outputs of one environment's stacks, before references are resolved. Notes about types
/// the index cannot know are added once per type to `warnings`.
pub(crate) fn check_environment(
    app: &App,
    stacks: &[&Stack],
    errors: &mut Vec<Error>,
    warnings: &mut Vec<Warning>,
) {
    for stack in stacks {
        let region = stack.environment().region();
        for r in stack.resources.values() {
            check_type(r.path.as_str(), &r.type_name, region, errors, warnings);
            for value in r.properties.values() {
                check_attributes(app, stack, value, r.path.as_str(), errors);
            }
        }
        for (name, output) in &stack.outputs {
            let consumer = format!("{}/Outputs/{name}", stack.name());
            check_attributes(app, stack, &output.value, &consumer, errors);
        }
    }
}

/// Validates a resource's properties (typed or raw) against its type's schema (types the index does not
/// have are reported by [`check_environment`]).
pub(crate) fn validate_properties(
    path: &str,
    type_name: &str,
    properties: &ExprMap,
    errors: &mut Vec<Error>,
) {
    let Some(info) = schema::type_info(type_name) else {
        return;
    };
    for v in schema::validate(info, properties) {
        errors.push(Error::Schema {
            path: path.to_owned(),
            type_name: type_name.to_owned(),
            property: v.property,
            problem: v.problem,
        });
    }
}

fn check_type(
    path: &str,
    type_name: &str,
    region: Option<&str>,
    errors: &mut Vec<Error>,
    warnings: &mut Vec<Warning>,
) {
    let unknown = |problem: String, fix: &str| Error::UnknownType {
        path: path.to_owned(),
        type_name: type_name.to_owned(),
        problem,
        fix: fix.to_owned(),
    };
    match schema::classify(type_name) {
        TypeName::Known(info) => {
            if let Some(region) = region {
                check_region(path, info, region, errors, warnings);
            }
        }
        TypeName::Custom => {}
        TypeName::Transform => errors.push(unknown(
            "it exists only before the AWS::Serverless-2016-10-31 transform, which stackforge does not run".into(),
            "use the CloudFormation types the transform would create (AWS::Lambda::Function, AWS::ApiGateway::RestApi, ...)",
        )),
        TypeName::Extension => note_once(
            warnings,
            path,
            format!(
                "`{type_name}` is not in the schemas of cfn-lint {} (a registry extension?), so its properties, attributes and tags are not checked",
                schema::cfn_lint_version()
            ),
        ),
        TypeName::Unknown { suggestions } => {
            let near: Vec<String> = suggestions.iter().flatten().map(|s| format!("`{s}`")).collect();
            let problem = match near.as_slice() {
                [] => format!(
                    "no such type in the schemas of cfn-lint {}",
                    schema::cfn_lint_version()
                ),
                _ => format!("no such type; did you mean {}?", near.join(" or ")),
            };
            errors.push(unknown(
                problem,
                "use a type name as written in the CloudFormation reference (`AWS::Service::Resource`), `Custom::Name` for a custom resource, or refresh the schemas (scripts/refresh-schemas) if the type is new",
            ));
        }
    }
}

fn check_region(
    path: &str,
    info: &TypeInfo,
    region: &str,
    errors: &mut Vec<Error>,
    warnings: &mut Vec<Warning>,
) {
    match info.available_in(region) {
        Some(true) => {}
        Some(false) => errors.push(Error::UnavailableType {
            path: path.to_owned(),
            type_name: info.type_name,
            region: region.to_owned(),
            available: info.regions().join(", "),
            cfn_lint: schema::cfn_lint_version(),
        }),
        None => note_once(
            warnings,
            path,
            format!(
                "the region `{region}` is not in the schemas of cfn-lint {}, so resource types are not checked for it (known regions: {})",
                schema::cfn_lint_version(),
                schema::known_regions().join(", ")
            ),
        ),
    }
}

/// Adds `message` unless an earlier warning of this synth already says it.
fn note_once(warnings: &mut Vec<Warning>, location: &str, message: String) {
    if !warnings.iter().any(|w| w.message == message) {
        warnings.push(Warning {
            location: location.to_owned(),
            message,
        });
    }
}

/// Checks every `Fn::GetAtt` (and `${Resource.Attribute}` placeholder) in `value`.
fn check_attributes(
    app: &App,
    stack: &Stack,
    value: &Expr,
    consumer: &str,
    errors: &mut Vec<Error>,
) {
    value.visit(&mut |e| match e {
        Expr::GetAtt { target, attribute } => {
            if let Some((path, type_name)) = target_of(app, stack, target) {
                check_attribute(consumer, path, type_name, attribute, errors);
            }
        }
        Expr::Sub { template, vars } => {
            for name in crate::expr::sub_placeholders(template) {
                let Some((id, attribute)) = name.split_once('.') else {
                    continue;
                };
                if vars.contains_key(name) {
                    continue;
                }
                if let Some(r) = stack.resources.get(id) {
                    check_attribute(consumer, r.path.as_str(), &r.type_name, attribute, errors);
                }
            }
        }
        _ => {}
    });
}

/// The construct path and type of the resource `target` points at, when it exists (a missing
/// target is reported by reference resolution).
fn target_of<'a>(app: &'a App, stack: &'a Stack, target: &Reference) -> Option<(&'a str, &'a str)> {
    let owner = match target.owner() {
        Some(key) if key != stack.key() => app.stacks.iter().find(|s| s.key() == key)?,
        _ => stack,
    };
    let r = owner.resources.get(target.logical_id())?;
    Some((r.path.as_str(), &r.type_name))
}

fn check_attribute(
    consumer: &str,
    target: &str,
    type_name: &str,
    attribute: &str,
    errors: &mut Vec<Error>,
) {
    let TypeName::Known(info) = schema::classify(type_name) else {
        return;
    };
    if info.has_attribute(attribute) {
        return;
    }
    let mut known: Vec<String> = info
        .attributes
        .iter()
        .take(LISTED_ATTRIBUTES)
        .map(|a| format!("`{a}`"))
        .collect();
    if info.attributes.len() > LISTED_ATTRIBUTES {
        known.push(format!(
            "and {} more (see the CloudFormation reference)",
            info.attributes.len() - LISTED_ATTRIBUTES
        ));
    }
    let known = match known.as_slice() {
        [] => "none (it supports only Ref)".to_owned(),
        _ => known.join(", "),
    };
    errors.push(Error::UnknownAttribute {
        consumer: consumer.to_owned(),
        target: target.to_owned(),
        type_name: info.type_name,
        attribute: attribute.to_owned(),
        known,
    });
}
