//! Is a synthesized template the one it was migrated from? Both are read by the one reader,
//! so the comparison is of templates (key order and `!Ref`-vs-`Ref` spelling do not count),
//! up to the differences stackforge makes on purpose.

use serde_json::Value;
use stackforge_construct_model::resource::{type_info, TagShape};
use stackforge_construct_model::template::PATH_METADATA_KEY;
use stackforge_construct_model::{Expr, ResourceDef, Template};

/// What synth of a migrated app adds to every resource; [`compare`] accepts these unless
/// `exact` (the app was migrated with `--exact`, whose aspect leaves them out).
pub const ALLOWED_DIFFERENCES: &[&str] = &[
    "Metadata.stackforge:path on every resource: its construct path (`stack/LogicalId`), which change safety and `diff` use to recognise renames and moves",
    "Tags app, env and stack on every taggable resource (stackforge's default tags), in the shape its type takes",
];

/// The default tags stackforge adds to resources of stack `stack`.
fn default_tags<'a>(app: &'a str, env: &'a str, stack: &'a str) -> [(&'static str, &'a str); 3] {
    [("app", app), ("env", env), ("stack", stack)]
}

/// Differences between `original` and `synthesized`, one line each (empty when the round
/// trip holds). Unless `exact`, the [`ALLOWED_DIFFERENCES`] for app `app`, environment `env`
/// and stack `stack` are accepted.
pub fn compare(
    original: &Template,
    synthesized: &Template,
    exact: bool,
    (app, env, stack): (&str, &str, &str),
) -> Vec<String> {
    let mut synthesized = synthesized.clone();
    if !exact {
        for (id, r) in synthesized.resources.iter_mut() {
            if let Some(o) = original.resources.get(id) {
                undo_additions(o, r, default_tags(app, env, stack));
            }
        }
    }
    let mut out = Vec::new();
    let mut check = |what: &str, a: Value, b: Value| {
        if a != b {
            out.push(format!(
                "{what}: the original has {}, synth gives {}",
                short(&a),
                short(&b)
            ));
        }
    };
    check(
        "Description",
        serde_json::json!(original.description),
        serde_json::json!(synthesized.description),
    );
    check(
        "Metadata",
        serde_json::json!(original.metadata),
        serde_json::json!(synthesized.metadata),
    );
    check(
        "Rules",
        serde_json::json!(original.rules),
        serde_json::json!(synthesized.rules),
    );
    if original.parameters != synthesized.parameters {
        check(
            "Parameters",
            serde_json::json!(original.parameters),
            serde_json::json!(synthesized.parameters),
        );
    }
    if original.mappings != synthesized.mappings {
        check(
            "Mappings",
            serde_json::json!(original.mappings),
            serde_json::json!(synthesized.mappings),
        );
    }
    if original.conditions != synthesized.conditions {
        check(
            "Conditions",
            serde_json::json!(original.conditions),
            serde_json::json!(synthesized.conditions),
        );
    }
    for (id, r) in &original.resources {
        match synthesized.resources.get(id) {
            Some(s) if s == r => {}
            Some(s) => check(
                &format!("Resources.{id}"),
                serde_json::json!(r),
                serde_json::json!(s),
            ),
            None => check(
                &format!("Resources.{id}"),
                serde_json::json!(r),
                Value::Null,
            ),
        }
    }
    for (id, s) in &synthesized.resources {
        if !original.resources.contains_key(id) {
            check(
                &format!("Resources.{id}"),
                Value::Null,
                serde_json::json!(s),
            );
        }
    }
    if original.outputs != synthesized.outputs {
        check(
            "Outputs",
            serde_json::json!(original.outputs),
            serde_json::json!(synthesized.outputs),
        );
    }
    out
}

/// Removes from `synthesized` what stackforge added and `original` does not have.
fn undo_additions(original: &ResourceDef, synthesized: &mut ResourceDef, tags: [(&str, &str); 3]) {
    if !original.metadata.contains_key(PATH_METADATA_KEY) {
        synthesized.metadata.shift_remove(PATH_METADATA_KEY);
    }
    let Some(shape) = type_info(&synthesized.type_name).and_then(|t| t.tags) else {
        return;
    };
    let (TagShape::List(property) | TagShape::Map(property)) = shape;
    let original_keys: Vec<String> = match original.properties.get(property) {
        Some(Expr::List(items)) => items
            .iter()
            .filter_map(|t| match t {
                Expr::Map(m) => m.get("Key").and_then(Expr::as_str).map(str::to_owned),
                _ => None,
            })
            .collect(),
        Some(Expr::Map(m)) => m.keys().map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let added = |k: &str, v: &Expr| {
        !original_keys.iter().any(|o| o == k)
            && tags
                .iter()
                .any(|(tk, tv)| *tk == k && v.as_str() == Some(*tv))
    };
    match synthesized.properties.get_mut(property) {
        Some(Expr::List(items)) => items.retain(|t| match t {
            Expr::Map(m) => !matches!(
                (m.get("Key").and_then(Expr::as_str), m.get("Value")),
                (Some(k), Some(v)) if added(k, v)
            ),
            _ => true,
        }),
        Some(Expr::Map(m)) => m.retain(|k, v| !added(k, v)),
        _ => {}
    }
    let now_empty = match synthesized.properties.get(property) {
        Some(Expr::List(items)) => items.is_empty(),
        Some(Expr::Map(m)) => m.is_empty(),
        _ => false,
    };
    if now_empty && !original.properties.contains_key(property) {
        synthesized.properties.shift_remove(property);
    }
}

/// Resources of `t` that already carry what stackforge adds (its path metadata, or a tag
/// property that is empty or holds a default tag key): `--exact` must leave them alone.
pub(super) fn already_stackforge(t: &Template, app: &str, env: &str, stack: &str) -> Vec<String> {
    let tags = default_tags(app, env, stack);
    t.resources
        .iter()
        .filter(|(_, r)| {
            if r.metadata.contains_key(PATH_METADATA_KEY) {
                return true;
            }
            let Some(shape) = type_info(&r.type_name).and_then(|t| t.tags) else {
                return false;
            };
            let (TagShape::List(property) | TagShape::Map(property)) = shape;
            match r.properties.get(property) {
                Some(Expr::List(items)) => {
                    items.is_empty()
                        || items.iter().any(|t| match t {
                            Expr::Map(m) => m
                                .get("Key")
                                .and_then(Expr::as_str)
                                .is_some_and(|k| tags.iter().any(|(tk, _)| *tk == k)),
                            _ => false,
                        })
                }
                Some(Expr::Map(m)) => {
                    m.is_empty() || m.keys().any(|k| tags.iter().any(|(tk, _)| *tk == k))
                }
                _ => false,
            }
        })
        .map(|(id, _)| id.clone())
        .collect()
}

/// A value in one line, cut to a readable length.
fn short(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(400) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackforge_construct_model::document::parse;

    #[test]
    fn stackforge_additions_are_allowed_unless_exact() {
        let original = parse(r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}"#).unwrap();
        let synthesized = parse(
            r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue",
                "Properties": {"Tags": [{"Key": "app", "Value": "a"}, {"Key": "env", "Value": "dev"}, {"Key": "stack", "Value": "s"}]},
                "Metadata": {"stackforge:path": "s/Q"}}}}"#,
        )
        .unwrap();
        assert!(compare(&original, &synthesized, false, ("a", "dev", "s")).is_empty());
        let exact = compare(&original, &synthesized, true, ("a", "dev", "s"));
        assert_eq!(exact.len(), 1, "{exact:?}");
        assert!(exact[0].starts_with("Resources.Q: "), "{}", exact[0]);
    }

    #[test]
    fn a_changed_property_or_tag_value_is_a_difference() {
        let original = parse(
            r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 5}}}}"#,
        )
        .unwrap();
        let synthesized = parse(
            r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 6,
                "Tags": [{"Key": "app", "Value": "other"}]}}}}"#,
        )
        .unwrap();
        let d = compare(&original, &synthesized, false, ("a", "dev", "s"));
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].contains("\"DelaySeconds\":6") && d[0].contains("other"),
            "{}",
            d[0]
        );
    }
}
