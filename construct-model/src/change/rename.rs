//! Renaming logical IDs inside rendered values: how a renamed resource's references read
//! under its new ID (`Ref`, `Fn::GetAtt`, `Fn::Sub` placeholders).

use std::collections::HashMap;

use serde_json::Value;

/// Rewrites `Ref`, `Fn::GetAtt` and `Fn::Sub` placeholders naming a key of `map` in a
/// rendered value.
pub fn rename_refs(v: &mut Value, map: &HashMap<String, String>) {
    match v {
        Value::Object(o) if o.len() == 1 => {
            let (k, inner) = o.iter_mut().next().expect("one entry");
            match (k.as_str(), inner) {
                ("Ref", Value::String(id)) => {
                    if let Some(n) = map.get(id.as_str()) {
                        *id = n.clone();
                    }
                }
                ("Fn::GetAtt", Value::Array(a)) => {
                    if let Some(Value::String(id)) = a.first_mut() {
                        if let Some(n) = map.get(id.as_str()) {
                            *id = n.clone();
                        }
                    }
                }
                ("Fn::GetAtt", Value::String(s)) => {
                    if let Some((id, attr)) = s.split_once('.') {
                        if let Some(n) = map.get(id) {
                            *s = format!("{n}.{attr}");
                        }
                    }
                }
                ("Fn::Sub", Value::String(s)) => *s = rename_placeholders(s, map),
                ("Fn::Sub", Value::Array(a)) => {
                    if let Some(Value::String(s)) = a.first_mut() {
                        *s = rename_placeholders(s, map);
                    }
                    for x in a.iter_mut().skip(1) {
                        rename_refs(x, map);
                    }
                }
                (_, inner) => rename_refs(inner, map),
            }
        }
        Value::Object(o) => o.values_mut().for_each(|x| rename_refs(x, map)),
        Value::Array(a) => a.iter_mut().for_each(|x| rename_refs(x, map)),
        _ => {}
    }
}

/// `${Old}` and `${Old.Attr}` placeholders of an `Fn::Sub` string renamed through `map`.
pub fn rename_placeholders(s: &str, map: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start + 2]);
        rest = &rest[start + 2..];
        let Some(end) = rest.find('}') else { break };
        let inner = &rest[..end];
        let (id, attr) = match inner.split_once('.') {
            Some((id, attr)) => (id, Some(attr)),
            None => (inner, None),
        };
        match map.get(id.trim()) {
            Some(n) if !inner.starts_with('!') => {
                out.push_str(n);
                if let Some(a) = attr {
                    out.push('.');
                    out.push_str(a);
                }
            }
            _ => out.push_str(inner),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_and_refs_are_renamed() {
        let map: HashMap<String, String> = [("Old".to_owned(), "New".to_owned())].into();
        assert_eq!(
            rename_placeholders("${Old.Arn}/*-${Other}-${!Old}", &map),
            "${New.Arn}/*-${Other}-${!Old}"
        );
        let mut v = json!({"A": [{"Ref": "Old"}, {"Fn::GetAtt": ["Old", "Arn"]}, {"Fn::Sub": ["${Old}", {"X": {"Ref": "Old"}}]}]});
        rename_refs(&mut v, &map);
        assert_eq!(
            v,
            json!({"A": [{"Ref": "New"}, {"Fn::GetAtt": ["New", "Arn"]}, {"Fn::Sub": ["${New}", {"X": {"Ref": "New"}}]}]})
        );
    }
}
