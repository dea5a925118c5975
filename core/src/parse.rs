//! Reading JSON values (of any origin: a template file, a hand-written JSON literal) into
//! [`Expr`], with CloudFormation's intrinsic functions recognised as the typed variants.

use serde_json::Value;

use crate::expr::{ConditionRef, Expr, ExprMap, MappingRef, Pseudo, Reference};
use crate::property_path::{PathSeg, PropertyPath};

/// How deeply values may nest. Real templates stay far below it; anything deeper is
/// rejected quickly instead of exhausting the stack.
pub const MAX_DEPTH: usize = 128;

/// Why a JSON value is not a CloudFormation value stackforge can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{problem}", if path.is_empty() { String::new() } else { format!("at `{path}`: ") })]
pub struct ParseError {
    /// Where, from the value's root.
    pub path: PropertyPath,
    /// What is wrong, and how to fix it.
    pub problem: String,
    /// Whether the value is valid CloudFormation that stackforge does not support (a
    /// transform, `Fn::ForEach`, ...), rather than malformed.
    pub unsupported: bool,
}

impl ParseError {
    fn malformed(path: &PropertyPath, problem: impl Into<String>) -> Self {
        Self {
            path: path.clone(),
            problem: problem.into(),
            unsupported: false,
        }
    }

    fn unsupported(path: &PropertyPath, problem: impl Into<String>) -> Self {
        Self {
            path: path.clone(),
            problem: problem.into(),
            unsupported: true,
        }
    }
}

/// Whether `key` names an intrinsic function when it is the only key of a map.
pub fn is_intrinsic_key(key: &str) -> bool {
    key == "Ref" || key == "Condition" || key.starts_with("Fn::")
}

impl Expr {
    /// Reads a JSON value: `{"Ref": ..}`, `{"Fn::GetAtt": ..}` and every other intrinsic
    /// become their typed variants (references name logical IDs of the template that uses
    /// them), JSON `null` becomes `AWS::NoValue`. A malformed intrinsic (`{"Fn::GetAtt": 42}`)
    /// or one stackforge does not support (`Fn::Transform`, `Fn::ForEach`, the
    /// `AWS::LanguageExtensions` functions) is an error naming where it is.
    pub fn from_json(value: &Value) -> Result<Expr, ParseError> {
        parse(value, &mut PropertyPath::new(), 0)
    }
}

fn parse(v: &Value, path: &mut PropertyPath, depth: usize) -> Result<Expr, ParseError> {
    if depth > MAX_DEPTH {
        return Err(ParseError::malformed(
            path,
            format!("values nest deeper than {MAX_DEPTH} levels; flatten the value"),
        ));
    }
    Ok(match v {
        Value::Null => Expr::Pseudo(Pseudo::NoValue),
        Value::Bool(b) => Expr::Bool(*b),
        Value::Number(n) => Expr::Number(n.clone()),
        Value::String(s) => Expr::str(s),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.push(PathSeg::Index(i));
                out.push(parse(item, path, depth + 1)?);
                path.pop();
            }
            Expr::List(out)
        }
        Value::Object(map) => {
            if map.len() == 1 {
                if let Some((key, arg)) = map.iter().next() {
                    if key.starts_with("Rain::") {
                        path.push(PathSeg::Key(key.clone()));
                        let e = ParseError::unsupported(
                            path,
                            format!("`{key}` is a directive of the Rain CLI, processed before deploy; read the template Rain produces (`rain pkg`)"),
                        );
                        return Err(e);
                    }
                    if is_intrinsic_key(key) {
                        path.push(PathSeg::Key(key.clone()));
                        let e = intrinsic(key, arg, path, depth + 1);
                        path.pop();
                        if let Some(e) = e? {
                            return Ok(e);
                        }
                    }
                }
            }
            let mut out = ExprMap::with_capacity(map.len());
            for (k, item) in map {
                path.push(PathSeg::Key(k.clone()));
                out.push_new(k, parse(item, path, depth + 1)?);
                path.pop();
            }
            Expr::Map(out)
        }
    })
}

/// The arguments of `name` as a list of exactly `n` values.
fn args<'v>(
    name: &str,
    arg: &'v Value,
    n: &[usize],
    form: &str,
    path: &PropertyPath,
) -> Result<&'v [Value], ParseError> {
    match arg {
        Value::Array(items) if n.contains(&items.len()) => Ok(items),
        _ => Err(ParseError::malformed(
            path,
            format!("`{name}` takes {form}, not {}", describe(arg)),
        )),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {:?}", truncate(s)),
        Value::Array(a) => format!("a list of {}", a.len()),
        Value::Object(_) => "a map".into(),
    }
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

fn string_arg<'v>(
    name: &str,
    what: &str,
    v: &'v Value,
    path: &PropertyPath,
) -> Result<&'v str, ParseError> {
    v.as_str().ok_or_else(|| {
        ParseError::malformed(
            path,
            format!(
                "the {what} of `{name}` must be a string, not {}",
                describe(v)
            ),
        )
    })
}

fn child(v: &Value, i: usize, path: &mut PropertyPath, depth: usize) -> Result<Expr, ParseError> {
    path.push(PathSeg::Index(i));
    let e = parse(v, path, depth + 1);
    path.pop();
    e
}

/// The typed form of the intrinsic `name` applied to `arg`; `None` when `{"Condition": x}`
/// is a plain map (a property named `Condition`).
fn intrinsic(
    name: &str,
    arg: &Value,
    path: &mut PropertyPath,
    depth: usize,
) -> Result<Option<Expr>, ParseError> {
    let boxed = |e: Expr| Box::new(e);
    Ok(Some(match name {
        "Ref" => {
            let target = string_arg(name, "target", arg, path)?;
            if target.starts_with("AWS::") {
                match Pseudo::from_name(target) {
                    Some(p) => Expr::Pseudo(p),
                    None => {
                        return Err(ParseError::malformed(
                            path,
                            format!("`{target}` is not a pseudo parameter"),
                        ))
                    }
                }
            } else {
                Expr::Ref(Reference::local(target))
            }
        }
        "Condition" => match arg {
            Value::String(c) => Expr::Condition(ConditionRef::local(c)),
            _ => return Ok(None),
        },
        "Fn::GetAtt" => {
            let (id, attribute) = match arg {
                Value::String(s) => match s.split_once('.') {
                    Some((id, attr)) if !id.is_empty() && !attr.is_empty() => {
                        (id.to_owned(), attr.to_owned())
                    }
                    _ => {
                        return Err(ParseError::malformed(
                            path,
                            format!("`Fn::GetAtt` of {s:?} names no attribute; write \"Resource.Attribute\" or [\"Resource\", \"Attribute\"]"),
                        ))
                    }
                },
                Value::Array(items) if items.len() == 2 => {
                    let id = string_arg(name, "resource", &items[0], path)?;
                    let attr = match &items[1] {
                        Value::String(a) => a,
                        other if other.is_object() => {
                            return Err(ParseError::unsupported(
                                path,
                                "`Fn::GetAtt` with an attribute computed at deploy time is not supported",
                            ))
                        }
                        other => {
                            return Err(ParseError::malformed(
                                path,
                                format!("the attribute of `Fn::GetAtt` must be a string, not {}", describe(other)),
                            ))
                        }
                    };
                    (id.to_owned(), attr.clone())
                }
                other => {
                    return Err(ParseError::malformed(
                        path,
                        format!("`Fn::GetAtt` takes [\"Resource\", \"Attribute\"] or \"Resource.Attribute\", not {}", describe(other)),
                    ))
                }
            };
            Expr::GetAtt {
                target: Reference::local(&id),
                attribute: attribute.into(),
            }
        }
        "Fn::Sub" => match arg {
            Value::String(t) => Expr::Sub {
                template: t.as_str().into(),
                vars: Box::default(),
            },
            Value::Array(items) if items.len() == 2 => {
                let template = string_arg(name, "template", &items[0], path)?.to_owned();
                let Value::Object(map) = &items[1] else {
                    return Err(ParseError::malformed(
                        path,
                        format!(
                            "the variables of `Fn::Sub` must be a map, not {}",
                            describe(&items[1])
                        ),
                    ));
                };
                let mut vars = ExprMap::with_capacity(map.len());
                path.push(PathSeg::Index(1));
                for (k, v) in map {
                    path.push(PathSeg::Key(k.clone()));
                    let e = parse(v, path, depth + 1);
                    path.pop();
                    vars.push_new(k, e?);
                }
                path.pop();
                Expr::Sub {
                    template: template.into(),
                    vars: Box::new(vars),
                }
            }
            other => {
                return Err(ParseError::malformed(
                    path,
                    format!(
                        "`Fn::Sub` takes a string or [string, {{variables}}], not {}",
                        describe(other)
                    ),
                ))
            }
        },
        "Fn::Join" => {
            let a = args(name, arg, &[2], "[delimiter, [values]]", path)?;
            let delimiter = string_arg(name, "delimiter", &a[0], path)?.to_owned();
            Expr::Join {
                delimiter: delimiter.into(),
                list: boxed(child(&a[1], 1, path, depth)?),
            }
        }
        "Fn::Select" => {
            let a = args(name, arg, &[2], "[index, [values]]", path)?;
            let index_ok = match &a[0] {
                Value::Number(n) => n.as_u64().is_some(),
                Value::String(s) => s.parse::<u64>().is_ok(),
                _ => true,
            };
            if !index_ok {
                return Err(ParseError::malformed(
                    path,
                    format!("the index of `{name}` must be a whole number from 0, not {}", a[0]),
                ));
            }
            Expr::Select {
                index: boxed(child(&a[0], 0, path, depth)?),
                list: boxed(child(&a[1], 1, path, depth)?),
            }
        }
        "Fn::Split" => {
            let a = args(name, arg, &[2], "[delimiter, string]", path)?;
            let delimiter = string_arg(name, "delimiter", &a[0], path)?.to_owned();
            Expr::Split {
                delimiter: delimiter.into(),
                source: boxed(child(&a[1], 1, path, depth)?),
            }
        }
        "Fn::GetAZs" => Expr::GetAzs {
            region: boxed(parse(arg, path, depth)?),
        },
        "Fn::ImportValue" => Expr::ImportValue(boxed(parse(arg, path, depth)?)),
        "Fn::If" => {
            let a = args(name, arg, &[3], "[condition, value if true, value if false]", path)?;
            let condition = string_arg(name, "condition", &a[0], path)?;
            Expr::If {
                condition: ConditionRef::local(condition),
                then: boxed(child(&a[1], 1, path, depth)?),
                otherwise: boxed(child(&a[2], 2, path, depth)?),
            }
        }
        "Fn::Equals" => {
            let a = args(name, arg, &[2], "[value, value]", path)?;
            Expr::Equals(
                boxed(child(&a[0], 0, path, depth)?),
                boxed(child(&a[1], 1, path, depth)?),
            )
        }
        "Fn::And" | "Fn::Or" => {
            let a = args(name, arg, &(2..=10).collect::<Vec<_>>(), "a list of 2 to 10 conditions", path)?;
            let items = a
                .iter()
                .enumerate()
                .map(|(i, v)| child(v, i, path, depth))
                .collect::<Result<Vec<_>, _>>()?;
            if name == "Fn::And" {
                Expr::And(items)
            } else {
                Expr::Or(items)
            }
        }
        "Fn::Not" => {
            let a = args(name, arg, &[1], "[condition]", path)?;
            Expr::Not(boxed(child(&a[0], 0, path, depth)?))
        }
        "Fn::FindInMap" => {
            let a = match arg {
                Value::Array(items) if items.len() == 4 => {
                    return Err(ParseError::unsupported(
                        path,
                        "`Fn::FindInMap` with a default value needs the AWS::LanguageExtensions transform, which stackforge does not support",
                    ))
                }
                _ => args(name, arg, &[3], "[map, top-level key, second-level key]", path)?,
            };
            let map = match &a[0] {
                Value::String(m) => m,
                _ => {
                    return Err(ParseError::unsupported(
                        path,
                        "`Fn::FindInMap` with a map name computed at deploy time is not supported",
                    ))
                }
            };
            Expr::FindInMap {
                map: MappingRef::local(map),
                top: boxed(child(&a[1], 1, path, depth)?),
                second: boxed(child(&a[2], 2, path, depth)?),
            }
        }
        "Fn::Base64" => Expr::Base64(boxed(parse(arg, path, depth)?)),
        "Fn::Cidr" => {
            let a = args(name, arg, &[3], "[ip block, count, cidr bits]", path)?;
            Expr::Cidr {
                block: boxed(child(&a[0], 0, path, depth)?),
                count: boxed(child(&a[1], 1, path, depth)?),
                bits: boxed(child(&a[2], 2, path, depth)?),
            }
        }
        "Fn::Transform" => {
            return Err(ParseError::unsupported(
                path,
                "`Fn::Transform` runs a macro at deploy time; stackforge does not support macros (expand the macro and use the resulting template)",
            ))
        }
        "Fn::Length" | "Fn::ToJsonString" => {
            return Err(ParseError::unsupported(
                path,
                format!("`{name}` needs the AWS::LanguageExtensions transform, which stackforge does not support"),
            ))
        }
        other if other.starts_with("Fn::Rain::") => {
            return Err(ParseError::unsupported(
                path,
                format!("`{other}` is a directive of the Rain CLI, processed before deploy; read the template Rain produces (`rain pkg`)"),
            ))
        }
        other if other.starts_with("Fn::ForEach") => {
            return Err(ParseError::unsupported(
                path,
                "`Fn::ForEach` needs the AWS::LanguageExtensions transform, which stackforge does not support (write the resources out)",
            ))
        }
        other => {
            return Err(ParseError::malformed(
                path,
                format!("`{other}` is not a CloudFormation intrinsic function"),
            ))
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(v: Value) {
        let e = Expr::from_json(&v).unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(serde_json::to_value(&e).unwrap(), v, "{e:?}");
    }

    #[test]
    fn every_intrinsic_reads_and_renders_back_unchanged() {
        for v in [
            json!({"Ref": "Vpc"}),
            json!({"Ref": "AWS::Region"}),
            json!({"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
            json!({"Fn::Sub": "${AWS::Region}-${Bucket}"}),
            json!({"Fn::Sub": ["${A}-x", {"A": {"Ref": "B"}}]}),
            json!({"Fn::Join": ["", ["a", {"Ref": "B"}]]}),
            json!({"Fn::Join": [",", {"Fn::Split": [",", "a,b"]}]}),
            json!({"Fn::Select": ["0", {"Fn::GetAZs": ""}]}),
            json!({"Fn::Select": [{"Ref": "Idx"}, ["a", "b"]]}),
            json!({"Fn::ImportValue": {"Fn::Sub": "${Net}-Vpc"}}),
            json!({"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]}),
            json!({"Fn::And": [{"Condition": "A"}, {"Fn::Not": [{"Fn::Equals": ["a", "b"]}]}]}),
            json!({"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}),
            json!({"Fn::FindInMap": ["Map", {"Ref": "AWS::Region"}, "Ami"]}),
            json!({"Fn::Base64": {"Fn::Sub": "echo ${AWS::StackName}"}}),
            json!({"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, "6", "8"]}),
            json!({"Statement": [{"Condition": {"Bool": {"aws:SecureTransport": false}}}]}),
            json!({"Condition": {"StringEquals": {"a": "b"}}}),
        ] {
            round_trip(v);
        }
    }

    #[test]
    fn short_get_att_form_reads_as_the_list_form() {
        let e = Expr::from_json(&json!({"Fn::GetAtt": "Db.Endpoint.Port"})).unwrap();
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"Fn::GetAtt": ["Db", "Endpoint.Port"]})
        );
    }

    #[test]
    fn malformed_intrinsics_name_where_and_what() {
        let cases = [
            (
                json!({"A": {"Fn::GetAtt": 42}}),
                "A.Fn::GetAtt",
                "the number 42",
            ),
            (
                json!({"A": [{"Ref": ["x"]}]}),
                "A[0].Ref",
                "must be a string",
            ),
            (
                json!({"Fn::Join": ["a"]}),
                "Fn::Join",
                "[delimiter, [values]]",
            ),
            (
                json!({"Fn::Nope": 1}),
                "Fn::Nope",
                "not a CloudFormation intrinsic",
            ),
            (json!({"Ref": "AWS::Nope"}), "Ref", "not a pseudo parameter"),
            (
                json!({"Fn::GetAtt": "NoDot"}),
                "Fn::GetAtt",
                "names no attribute",
            ),
        ];
        for (v, path, problem) in cases {
            let e = Expr::from_json(&v).unwrap_err();
            assert_eq!(e.path.to_string(), path, "{v}");
            assert!(e.problem.contains(problem), "{v}: {e}");
            assert!(!e.unsupported);
        }
    }

    #[test]
    fn unsupported_features_say_so() {
        for v in [
            json!({"Fn::Transform": {"Name": "M"}}),
            json!({"Fn::ForEach::Topics": ["T", ["a"], {}]}),
            json!({"ZipFile": {"Rain::Embed": "reset_function.py"}}),
            json!({"Fn::Length": [1]}),
            json!({"Fn::FindInMap": ["M", "a", "b", {"DefaultValue": "x"}]}),
        ] {
            let e = Expr::from_json(&v).unwrap_err();
            assert!(e.unsupported, "{v}: {e}");
        }
    }

    #[test]
    fn deep_nesting_is_rejected_quickly() {
        let mut v = json!(1);
        for _ in 0..(MAX_DEPTH + 5) {
            v = json!([v]);
        }
        let e = Expr::from_json(&v).unwrap_err();
        assert!(e.problem.contains("nest deeper"), "{e}");
    }
}
