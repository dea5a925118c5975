//! The entries of a template's sections read from their JSON shape: resources, outputs and
//! parameters, with the location of anything CloudFormation would refuse.

use serde_json::Value;

use super::{expr, invalid, kind, DocumentError};
use crate::resource::RemovalPolicy;
use crate::template::{Output, Parameter, ParameterType, ResourceDef};

pub(super) fn string_field(base: &str, key: &str, v: &Value) -> Result<String, DocumentError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(invalid(
            format!("{base}.{key}"),
            format!("must be a string, not {}", kind(other)),
        )),
    }
}

pub(super) fn resource(base: &str, r: &Value) -> Result<ResourceDef, DocumentError> {
    let Value::Object(r) = r else {
        return Err(invalid(
            base,
            format!("a resource must be a map, not {}", kind(r)),
        ));
    };
    let type_name = match r.get("Type") {
        Some(Value::String(t)) if !t.is_empty() => t.clone(),
        Some(Value::Object(m)) if m.keys().any(|k| k.contains("Rain::")) => {
            return Err(DocumentError::Unsupported {
                location: format!("{base}.Type: "),
                problem: "a Rain module is expanded by the Rain CLI before deploy; read the template Rain produces (`rain pkg`)".into(),
            })
        }
        Some(other) => {
            return Err(invalid(
                format!("{base}.Type"),
                format!("must be a resource type name such as \"AWS::SNS::Topic\", not {other}"),
            ))
        }
        None => {
            return Err(invalid(
                base,
                "the resource has no `Type`. Fix: add one, e.g. `Type: AWS::SQS::Queue`",
            ))
        }
    };
    let mut res = ResourceDef::new(&type_name);
    for (key, v) in r {
        let here = format!("{base}.{key}");
        match key.as_str() {
            "Type" => {}
            "Properties" => {
                let Value::Object(props) = v else {
                    return Err(invalid(here, format!("must be a map, not {}", kind(v))));
                };
                res.properties.reserve_exact(props.len());
                for (name, value) in props {
                    res.properties
                        .insert(name.clone(), expr(&format!("{here}.{name}"), value)?);
                }
            }
            "DependsOn" => {
                res.depends_on = match v {
                    Value::String(s) => vec![s.clone()],
                    Value::Array(items) => items
                        .iter()
                        .map(|i| string_field(base, key, i))
                        .collect::<Result<_, _>>()?,
                    other => {
                        return Err(invalid(
                            here,
                            format!("must be a logical ID or a list of them, not {}", kind(other)),
                        ))
                    }
                }
            }
            "Condition" => res.condition = Some(string_field(base, key, v)?),
            "DeletionPolicy" | "UpdateReplacePolicy" => {
                let text = match v {
                    Value::String(s) => s,
                    Value::Object(_) => {
                        return Err(DocumentError::Unsupported {
                            location: format!("{here}: "),
                            problem: "a policy computed with an intrinsic function is not supported".into(),
                        })
                    }
                    other => {
                        return Err(invalid(here, format!("must be a string, not {}", kind(other))))
                    }
                };
                let policy = RemovalPolicy::from_name(text).ok_or_else(|| {
                    invalid(
                        &here,
                        format!("`{text}` is not one of Delete, Retain, RetainExceptOnCreate, Snapshot"),
                    )
                })?;
                if key == "DeletionPolicy" {
                    res.deletion_policy = Some(policy);
                } else {
                    res.update_replace_policy = Some(policy);
                }
            }
            "Metadata" => {
                let Value::Object(m) = v else {
                    return Err(invalid(here, format!("must be a map, not {}", kind(v))));
                };
                res.metadata = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            }
            "CreationPolicy" => res.creation_policy = Some(Box::new(expr(&here, v)?)),
            "UpdatePolicy" => res.update_policy = Some(Box::new(expr(&here, v)?)),
            // Only old custom resources carry `Version`; CloudFormation ignores it.
            "Version" => {}
            other => {
                return Err(invalid(
                    format!("{base}.{other}"),
                    "unknown resource attribute. Fix: use Type, Properties, DependsOn, Condition, DeletionPolicy, UpdateReplacePolicy, UpdatePolicy, CreationPolicy or Metadata",
                ))
            }
        }
    }
    Ok(res)
}

pub(super) fn output(base: &str, o: &Value) -> Result<Output, DocumentError> {
    let Value::Object(o) = o else {
        return Err(invalid(
            base,
            format!("an output must be a map, not {}", kind(o)),
        ));
    };
    let value = match o.get("Value") {
        Some(v) => expr(&format!("{base}.Value"), v)?,
        None => return Err(invalid(base, "an output needs a `Value`")),
    };
    let mut out = Output::new(value);
    for (key, v) in o {
        let here = format!("{base}.{key}");
        match key.as_str() {
            "Value" => {}
            "Description" => out.description = Some(string_field(base, key, v)?),
            "Condition" => out.condition = Some(string_field(base, key, v)?),
            "Export" => {
                let name = match v {
                    Value::Object(e) if e.len() == 1 && e.contains_key("Name") => &e["Name"],
                    _ => return Err(invalid(here, "must be {\"Name\": <export name>}")),
                };
                out.export_name = Some(expr(&format!("{here}.Name"), name)?);
            }
            other => {
                return Err(invalid(
                    format!("{base}.{other}"),
                    "unknown output key. Fix: use Description, Value, Export or Condition",
                ))
            }
        }
    }
    Ok(out)
}

/// A parameter attribute that CloudFormation reads as a string but templates may write as a
/// number or boolean.
pub(super) fn scalar_text(base: &str, key: &str, v: &Value) -> Result<String, DocumentError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(invalid(
            format!("{base}.{key}"),
            format!("must be a string, not {}", kind(other)),
        )),
    }
}

pub(super) fn number(base: &str, key: &str, v: &Value) -> Result<f64, DocumentError> {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    n.ok_or_else(|| {
        invalid(
            format!("{base}.{key}"),
            format!("must be a number, not {v}"),
        )
    })
}

pub(super) fn parameter(base: &str, p: &Value) -> Result<Parameter, DocumentError> {
    let Value::Object(p) = p else {
        return Err(invalid(
            base,
            format!("a parameter must be a map, not {}", kind(p)),
        ));
    };
    let kind_text = match p.get("Type") {
        Some(Value::String(t)) => t.as_str(),
        _ => {
            return Err(invalid(
                base,
                "a parameter needs a `Type` (String, Number, ...)",
            ))
        }
    };
    let known = matches!(
        kind_text,
        "String" | "Number" | "List<Number>" | "CommaDelimitedList"
    ) || kind_text.starts_with("AWS::")
        || kind_text.starts_with("List<AWS::");
    if !known {
        return Err(invalid(
            format!("{base}.Type"),
            format!("`{kind_text}` is not a parameter type. Fix: use String, Number, List<Number>, CommaDelimitedList, an AWS-specific type (AWS::EC2::VPC::Id, ...) or an SSM type (AWS::SSM::Parameter::Value<String>)"),
        ));
    }
    let mut out = Parameter::new(ParameterType::from_name(kind_text));
    for (key, v) in p {
        match key.as_str() {
            "Type" => {}
            "Description" => out.description = Some(scalar_text(base, key, v)?),
            "Default" => {
                out.default = Some(match v {
                    Value::Array(items) => items
                        .iter()
                        .map(|i| scalar_text(base, key, i))
                        .collect::<Result<Vec<_>, _>>()?
                        .join(","),
                    other => scalar_text(base, key, other)?,
                })
            }
            "NoEcho" => {
                out.no_echo = match v {
                    Value::Bool(b) => *b,
                    Value::String(s) => s.eq_ignore_ascii_case("true"),
                    other => {
                        return Err(invalid(
                            format!("{base}.NoEcho"),
                            format!("must be true or false, not {other}"),
                        ))
                    }
                }
            }
            "AllowedValues" => {
                let Value::Array(items) = v else {
                    return Err(invalid(format!("{base}.AllowedValues"), "must be a list"));
                };
                out.allowed_values = items
                    .iter()
                    .map(|i| scalar_text(base, key, i))
                    .collect::<Result<_, _>>()?;
            }
            "AllowedPattern" => out.allowed_pattern = Some(scalar_text(base, key, v)?),
            "ConstraintDescription" => {
                out.constraint_description = Some(scalar_text(base, key, v)?)
            }
            "MinLength" => out.min_length = Some(number(base, key, v)? as u32),
            "MaxLength" => out.max_length = Some(number(base, key, v)? as u32),
            "MinValue" => out.min_value = Some(number(base, key, v)?),
            "MaxValue" => out.max_value = Some(number(base, key, v)?),
            other => {
                return Err(invalid(
                    format!("{base}.{other}"),
                    "unknown parameter attribute",
                ))
            }
        }
    }
    Ok(out)
}
