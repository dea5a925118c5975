//! What a rendered template value uses: `Ref`, `Fn::GetAtt`, `Fn::Sub` placeholders and
//! `Fn::ImportValue`, read from the JSON CloudFormation reads. Shared by `graph` and the
//! safety checks.

use serde_json::Value;

/// One use of something outside the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Use {
    /// A logical ID (or parameter, or pseudo parameter) of the same template.
    Local(String),
    /// An export, by its literal name.
    Import(String),
}

/// Every use inside `value`, in document order.
pub fn uses(value: &Value) -> Vec<Use> {
    let mut out = Vec::new();
    walk(value, &mut out);
    out
}

fn walk(value: &Value, out: &mut Vec<Use>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
        Value::Object(map) if map.len() == 1 => {
            let Some((key, arg)) = map.iter().next() else {
                return;
            };
            match (key.as_str(), arg) {
                ("Ref", Value::String(id)) => out.push(Use::Local(id.clone())),
                ("Fn::GetAtt", Value::Array(parts)) => match parts.first() {
                    Some(Value::String(id)) => out.push(Use::Local(id.clone())),
                    _ => walk(arg, out),
                },
                ("Fn::GetAtt", Value::String(s)) => {
                    let id = s.split('.').next().unwrap_or(s);
                    out.push(Use::Local(id.to_owned()));
                }
                ("Fn::Sub", Value::String(template)) => placeholders(template, None, out),
                ("Fn::Sub", Value::Array(parts)) => match (parts.first(), parts.get(1)) {
                    (Some(Value::String(template)), vars) => {
                        let vars = vars.and_then(Value::as_object);
                        placeholders(template, vars, out);
                        if let Some(vars) = vars {
                            vars.values().for_each(|v| walk(v, out));
                        }
                    }
                    _ => walk(arg, out),
                },
                ("Fn::ImportValue", Value::String(name)) => out.push(Use::Import(name.clone())),
                _ => walk(arg, out),
            }
        }
        Value::Object(map) => map.values().for_each(|v| walk(v, out)),
        _ => {}
    }
}

/// `${Name}` and `${Name.Attr}` placeholders of a `Fn::Sub` template that are not its own
/// variables.
fn placeholders(template: &str, vars: Option<&serde_json::Map<String, Value>>, out: &mut Vec<Use>) {
    for name in stackforge_constructs::expr::sub_placeholders(template) {
        if !vars.is_some_and(|v| v.contains_key(name)) {
            out.push(Use::Local(
                name.split('.').next().unwrap_or(name).to_owned(),
            ));
        }
    }
}

/// The logical IDs of a resource's `DependsOn` (a string or a list).
pub fn depends_on(resource: &Value) -> Vec<String> {
    match resource.get("DependsOn") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn local(s: &str) -> Use {
        Use::Local(s.into())
    }

    #[test]
    fn finds_refs_get_atts_and_imports_in_document_order() {
        let v = json!({
            "A": {"Ref": "Vpc"},
            "B": [{"Fn::GetAtt": ["Db", "Endpoint.Address"]}, {"Fn::GetAtt": "Key.Arn"}],
            "C": {"Fn::Join": ["", ["x", {"Fn::ImportValue": "net:Subnet1"}]]},
            "D": {"Ref": "AWS::Region"},
        });
        assert_eq!(
            uses(&v),
            [
                local("Vpc"),
                local("Db"),
                local("Key"),
                Use::Import("net:Subnet1".into()),
                local("AWS::Region")
            ]
        );
    }

    #[test]
    fn sub_placeholders_skip_variables_and_escaped_text() {
        let v = json!({"Fn::Sub": [
            "arn:${AWS::Partition}:s3:::${Bucket}/${Role.Arn}/${!Literal}/${Name}",
            {"Name": {"Ref": "Topic"}}
        ]});
        assert_eq!(
            uses(&v),
            [
                local("AWS::Partition"),
                local("Bucket"),
                local("Role"),
                local("Topic")
            ]
        );
        assert_eq!(uses(&json!({"Fn::Sub": "${Queue.Arn"})), []);
    }

    #[test]
    fn depends_on_takes_a_string_or_a_list() {
        assert_eq!(depends_on(&json!({"DependsOn": "A"})), ["A"]);
        assert_eq!(depends_on(&json!({"DependsOn": ["A", "B"]})), ["A", "B"]);
        assert!(depends_on(&json!({})).is_empty());
    }
}
