//! YAML templates into the JSON shape: short-form tags (`!Ref`, `!GetAtt A.B`, `!Sub`) to
//! the long form, and a depth check that answers before the YAML parser would.

use serde_json::{json, Map, Value};
use serde_norway::value::{Tag, TaggedValue};

use super::DocumentError;
use crate::parse::MAX_DEPTH;

/// Whether YAML flow collections (`[..]`, `{..}`) nest deeper than `max`, by one pass over
/// the text (quoted strings and comments skipped). The YAML parser takes minutes on a
/// document nested a hundred thousand levels deep before its own limit answers; this
/// answers in milliseconds.
pub(super) fn flow_depth_exceeds(text: &str, max: usize) -> bool {
    let mut depth = 0usize;
    let mut prev = '\n';
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        let at_token_start = prev.is_whitespace() || matches!(prev, '[' | '{' | ',' | ':');
        match c {
            '[' | '{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            '#' if prev.is_whitespace() => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            '"' if at_token_start => {
                let mut escaped = false;
                for n in chars.by_ref() {
                    match n {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => break,
                        _ => escaped = false,
                    }
                }
            }
            '\'' if at_token_start => {
                for n in chars.by_ref() {
                    if n == '\'' {
                        break;
                    }
                }
            }
            _ => {}
        }
        prev = c;
    }
    false
}

/// YAML to the JSON shape, short-form tags to the long form.
pub(super) fn from_yaml(v: serde_norway::Value, depth: usize) -> Result<Value, DocumentError> {
    use serde_norway::Value as Y;
    if depth > MAX_DEPTH {
        return Err(DocumentError::Malformed(format!(
            "the YAML nests deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(|i| from_yaml(i, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    _ => {
                        return Err(DocumentError::Malformed(
                            "a mapping key is not a string, number or boolean".into(),
                        ));
                    }
                };
                out.insert(key, from_yaml(v, depth + 1)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => from_tag(*t, depth + 1)?,
    })
}

/// `!Ref X` -> `{"Ref": "X"}`, `!GetAtt A.B` -> `{"Fn::GetAtt": ["A", "B"]}`, `!Condition c`
/// -> `{"Condition": c}`, any other `!Name v` -> `{"Fn::Name": v}`.
pub(super) fn from_tag(t: TaggedValue, depth: usize) -> Result<Value, DocumentError> {
    let TaggedValue { tag, value } = t;
    let name = tag_name(&tag);
    let value = from_yaml(value, depth)?;
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

pub(super) fn tag_name(tag: &Tag) -> String {
    tag.to_string().trim_start_matches('!').to_owned()
}
