//! YAML CloudFormation templates as JSON values, with short-form intrinsic tags (`!Ref`,
//! `!Sub`, `!GetAtt A.B`, ...) turned into their long form (`{"Ref": ..}`, `{"Fn::Sub": ..}`,
//! `{"Fn::GetAtt": ["A", "B"]}`).

use serde_json::{Map, Value};
use serde_norway::Value as Yaml;

/// Parses YAML text into the JSON value CloudFormation would see.
pub fn parse(text: &str) -> Result<Value, serde_norway::Error> {
    let yaml: Yaml = serde_norway::from_str(text)?;
    Ok(to_json(yaml))
}

/// Converts a YAML value, expanding short-form intrinsic function tags.
pub fn to_json(yaml: Yaml) -> Value {
    match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                // NaN and infinities have no JSON form; keep their YAML spelling.
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| Value::String(n.to_string()), Value::Number)
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Yaml::Mapping(map) => {
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map {
                out.insert(key_string(k), to_json(v));
            }
            Value::Object(out)
        }
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let value = to_json(tagged.value);
            long_form(name, value)
        }
    }
}

/// `!Ref x` -> `{"Ref": x}`, `!Condition c` -> `{"Condition": c}`, `!GetAtt A.B` ->
/// `{"Fn::GetAtt": ["A", "B"]}`, any other `!Name v` -> `{"Fn::Name": v}`.
fn long_form(name: &str, value: Value) -> Value {
    let (key, value) = match name {
        "Ref" | "Condition" => (name.to_owned(), value),
        "GetAtt" => {
            let value = match value {
                // The attribute may itself contain dots (`Endpoint.Address`).
                Value::String(s) => match s.split_once('.') {
                    Some((resource, attribute)) => Value::Array(vec![
                        Value::String(resource.to_owned()),
                        Value::String(attribute.to_owned()),
                    ]),
                    None => Value::String(s),
                },
                other => other,
            };
            ("Fn::GetAtt".to_owned(), value)
        }
        other => (format!("Fn::{other}"), value),
    };
    let mut map = Map::with_capacity(1);
    map.insert(key, value);
    Value::Object(map)
}

fn key_string(key: Yaml) -> String {
    match key {
        Yaml::String(s) => s,
        Yaml::Null => "null".to_owned(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Number(n) => n.to_string(),
        // Complex keys do not occur in templates; keep something readable.
        other => match to_json(other) {
            Value::String(s) => s,
            v => v.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_form_tags_become_long_form_intrinsics() {
        let text = r#"
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${AWS::StackName}-logs"
      Arn: !GetAtt Key.Arn
      Address: !GetAtt Db.Endpoint.Address
      List: !GetAtt [Key, Arn]
      Name: !Ref Param
      Joined: !Join [",", [!Ref A, !ImportValue shared-b]]
      Pick: !If [IsProd, !Select [0, !GetAZs ""], !Ref AWS::NoValue]
      Both: !Equals [!Condition C, true]
      Number: 443
      Flag: true
"#;
        let v = parse(text).unwrap();
        let p = &v["Resources"]["Bucket"]["Properties"];
        assert_eq!(
            p["BucketName"],
            json!({"Fn::Sub": "${AWS::StackName}-logs"})
        );
        assert_eq!(p["Arn"], json!({"Fn::GetAtt": ["Key", "Arn"]}));
        assert_eq!(
            p["Address"],
            json!({"Fn::GetAtt": ["Db", "Endpoint.Address"]})
        );
        assert_eq!(p["List"], json!({"Fn::GetAtt": ["Key", "Arn"]}));
        assert_eq!(p["Name"], json!({"Ref": "Param"}));
        assert_eq!(
            p["Joined"],
            json!({"Fn::Join": [",", [{"Ref": "A"}, {"Fn::ImportValue": "shared-b"}]]})
        );
        assert_eq!(
            p["Pick"],
            json!({"Fn::If": ["IsProd", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}, {"Ref": "AWS::NoValue"}]})
        );
        assert_eq!(p["Both"], json!({"Fn::Equals": [{"Condition": "C"}, true]}));
        assert_eq!(p["Number"], json!(443));
        assert_eq!(p["Flag"], json!(true));
    }

    #[test]
    fn non_string_keys_become_strings() {
        let v = parse("1: a\ntrue: b\n").unwrap();
        assert_eq!(v, json!({"1": "a", "true": "b"}));
    }
}
