//! Reading CloudFormation templates of any origin: JSON, or YAML with the short-form tags
//! (`!Ref`, `!Sub`, `!GetAtt A.B`, ...), turned into the long form so every command sees one
//! shape.

use std::path::Path;

use serde_json::{json, Map, Value};
use serde_norway::value::{Tag, TaggedValue};

/// Why a file is not a usable template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateFileError {
    /// The file cannot be read.
    #[error("{0}")]
    Unreadable(String),
    /// The file is empty.
    #[error("the file is empty. Fix: remove it or write a template into it")]
    Empty,
    /// The file is neither JSON nor YAML.
    #[error("{0}")]
    Malformed(String),
    /// The document is not a CloudFormation template.
    #[error("not a CloudFormation template: {0}")]
    NotATemplate(String),
}

/// Reads and parses a template file (JSON or YAML).
pub fn load(path: &Path) -> Result<Value, TemplateFileError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| TemplateFileError::Unreadable(e.to_string()))?;
    parse(&text)
}

/// Parses template text: JSON when it looks like JSON, YAML otherwise. Checks it has a
/// `Resources` map whose resources all have a `Type`.
pub fn parse(text: &str) -> Result<Value, TemplateFileError> {
    if text.trim().is_empty() {
        return Err(TemplateFileError::Empty);
    }
    let value = if text.trim_start().starts_with('{') {
        serde_json::from_str(text)
            .map_err(|e| TemplateFileError::Malformed(format!("not valid JSON: {e}")))?
    } else {
        let yaml: serde_norway::Value = serde_norway::from_str(text)
            .map_err(|e| TemplateFileError::Malformed(format!("not valid YAML: {e}")))?;
        from_yaml(yaml)?
    };
    match value.get("Resources") {
        Some(Value::Object(resources)) => {
            let untyped = resources
                .iter()
                .find(|(_, r)| r.get("Type").and_then(Value::as_str).is_none());
            match untyped {
                Some((id, _)) if id.starts_with("Fn::ForEach::") => {
                    Err(TemplateFileError::NotATemplate(format!(
                        "`{id}` uses Fn::ForEach (the AWS::LanguageExtensions transform), which stackforge does not support (it runs no transforms or macros). Fix: check the processed template (`aws cloudformation get-template --template-stage Processed`)"
                    )))
                }
                Some((id, _)) => Err(TemplateFileError::NotATemplate(format!(
                    "resource `{id}` has no `Type`"
                ))),
                None => Ok(value),
            }
        }
        Some(_) => Err(TemplateFileError::NotATemplate(
            "`Resources` is not a map of logical IDs to resources".into(),
        )),
        None if value.is_object() => Err(TemplateFileError::NotATemplate(
            "it has no `Resources` section".into(),
        )),
        None => Err(TemplateFileError::NotATemplate(
            "the document is not an object".into(),
        )),
    }
}

fn from_yaml(v: serde_norway::Value) -> Result<Value, TemplateFileError> {
    use serde_norway::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => {
            Value::Array(items.into_iter().map(from_yaml).collect::<Result<_, _>>()?)
        }
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => {
                        return Err(TemplateFileError::Malformed(format!(
                            "unsupported mapping key {other:?}"
                        )));
                    }
                };
                out.insert(key, from_yaml(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => from_tag(*t)?,
    })
}

/// `!Ref X` -> `{"Ref": "X"}`, `!GetAtt A.B` -> `{"Fn::GetAtt": ["A", "B"]}`, `!Sub s` ->
/// `{"Fn::Sub": s}`, `!Condition c` -> `{"Condition": c}`, any other `!Name v` -> `{"Fn::Name": v}`.
fn from_tag(t: TaggedValue) -> Result<Value, TemplateFileError> {
    let TaggedValue { tag, value } = t;
    let name = tag_name(&tag);
    let value = from_yaml(value)?;
    Ok(match name.as_str() {
        "Ref" => json!({ "Ref": value }),
        "Condition" => json!({ "Condition": value }),
        "GetAtt" => match value {
            Value::String(s) => match s.split_once('.') {
                Some((res, attr)) => json!({ "Fn::GetAtt": [res, attr] }),
                None => json!({ "Fn::GetAtt": [s] }),
            },
            other => json!({ "Fn::GetAtt": other }),
        },
        other => {
            let mut m = Map::new();
            m.insert(format!("Fn::{other}"), value);
            Value::Object(m)
        }
    })
}

fn tag_name(tag: &Tag) -> String {
    tag.to_string().trim_start_matches('!').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_short_form_tags_become_long_form() {
        let t = parse(
            "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      A: !Ref X\n      B: !GetAtt Db.Endpoint.Address\n      C: !Sub '${AWS::Region}-x'\n      D: !Join [',', [a, !ImportValue n]]\n      E: !If [C, 1, !Ref AWS::NoValue]\n",
        )
        .unwrap();
        let p = &t["Resources"]["Q"]["Properties"];
        assert_eq!(p["A"], json!({"Ref": "X"}));
        assert_eq!(p["B"], json!({"Fn::GetAtt": ["Db", "Endpoint.Address"]}));
        assert_eq!(p["C"], json!({"Fn::Sub": "${AWS::Region}-x"}));
        assert_eq!(
            p["D"],
            json!({"Fn::Join": [",", ["a", {"Fn::ImportValue": "n"}]]})
        );
        assert_eq!(p["E"], json!({"Fn::If": ["C", 1, {"Ref": "AWS::NoValue"}]}));
    }

    #[test]
    fn non_templates_are_rejected_with_a_reason() {
        assert_eq!(parse("  \n"), Err(TemplateFileError::Empty));
        assert!(matches!(
            parse("{nope"),
            Err(TemplateFileError::Malformed(_))
        ));
        assert!(matches!(
            parse("{\"a\": 1}"),
            Err(TemplateFileError::NotATemplate(_))
        ));
        assert!(matches!(
            parse("[1, 2]"),
            Err(TemplateFileError::NotATemplate(_))
        ));
        assert!(matches!(
            parse("Resources: 3"),
            Err(TemplateFileError::NotATemplate(_))
        ));
    }
}
