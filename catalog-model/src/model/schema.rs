//! Reading a resource provider schema's JSON: keys, property nodes, their shapes (struct,
//! string, tag, map, string enum), `$ref`s, and how a resource carries its tags.

use serde_json::{Map, Value};

use super::{StructDef, TagKind, Ty};

pub(super) fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

pub(super) fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn properties(node: &Value) -> Option<&Map<String, Value>> {
    node.get("properties")
        .and_then(Value::as_object)
        .filter(|p| !p.is_empty())
}

/// An object with declared properties becomes a struct.
pub(super) fn is_struct(node: &Value) -> bool {
    let object_or_untyped = match node.get("type") {
        None => true,
        Some(t) => t == "object",
    };
    object_or_untyped && properties(node).is_some()
}

fn is_string(node: &Value) -> bool {
    node.get("type").is_some_and(|t| t == "string") && node.get("enum").is_none()
}

/// Exactly `Key` and `Value`, both plain strings: the shared `Tag`.
pub(super) fn is_tag(node: &Value) -> bool {
    properties(node).is_some_and(|p| {
        p.len() == 2 && p.get("Key").is_some_and(is_string) && p.get("Value").is_some_and(is_string)
    })
}

/// The schema of every value of a map-like object, if they all share one.
pub(super) fn map_values(node: &Value) -> Option<&Value> {
    if let Some(patterns) = node.get("patternProperties").and_then(Value::as_object) {
        let first = patterns.values().next()?;
        return patterns.values().all(|v| v == first).then_some(first);
    }
    node.get("additionalProperties").filter(|v| v.is_object())
}

/// Enum values when they are all strings.
pub(super) fn string_enum(node: &Value) -> Option<Vec<String>> {
    let values = node.get("enum")?.as_array()?;
    let strings: Vec<String> = values
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect::<Option<_>>()?;
    let typed_string = match node.get("type") {
        None => true,
        Some(t) => t == "string",
    };
    (typed_string && !strings.is_empty()).then_some(strings)
}

/// How the resource takes tags, judged from the type of its tag property.
pub(super) fn tag_shape(schema: &Value, main: &StructDef) -> Option<(TagKind, String)> {
    let tagging = schema.get("tagging");
    let taggable = tagging
        .and_then(|t| t.get("taggable"))
        .or_else(|| schema.get("taggable"))
        .and_then(Value::as_bool)
        .unwrap_or(tagging.is_some());
    if !taggable {
        return None;
    }
    let pointer = tagging
        .and_then(|t| str_at(t, "tagProperty"))
        .unwrap_or("/properties/Tags");
    let prop = pointer.strip_prefix("/properties/")?;
    let field = main.fields.iter().find(|f| f.json == prop)?;
    let kind = match &field.ty {
        Ty::Vec(item) if **item == Ty::Tag => TagKind::List,
        Ty::Map(value) if **value == Ty::Str => TagKind::Map,
        _ => tag_kind_of(schema, schema.get("properties")?.get(prop)?)?,
    };
    Some((kind, prop.to_owned()))
}

/// The tag shape of a property whose Rust type is not the plain one: a list of objects with
/// string `Key` and `Value` (other fields optional), or an object of strings (`"type":
/// "object"` or only `patternProperties`, without declared properties; JSON text allowed).
fn tag_kind_of(schema: &Value, node: &Value) -> Option<TagKind> {
    let node = resolve_ref(schema, node);
    let types: Vec<&str> = match node.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let is_string = |v: &Value| {
        resolve_ref(schema, v)
            .get("type")
            .is_some_and(|t| t == "string")
    };
    if types.contains(&"array") {
        let item = resolve_ref(schema, node.get("items")?);
        let props = item.get("properties")?.as_object()?;
        let required = strings(item, "required");
        let key_value = props.get("Key").is_some_and(is_string)
            && props.get("Value").is_some_and(is_string)
            && required.iter().all(|r| r == "Key" || r == "Value");
        return key_value.then_some(TagKind::List);
    }
    let values_are_strings = node
        .get("patternProperties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.values())
        .chain(node.get("additionalProperties").filter(|a| a.is_object()))
        .all(is_string);
    let object =
        types.contains(&"object") || (types.is_empty() && node.get("patternProperties").is_some());
    (object && node.get("properties").is_none() && values_are_strings).then_some(TagKind::Map)
}

/// Follows `$ref`s into `#/definitions` (bounded, as definitions may refer to each other).
fn resolve_ref<'a>(schema: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..16 {
        let target = str_at(node, "$ref")
            .and_then(|r| r.strip_prefix("#/definitions/"))
            .and_then(|d| schema.get("definitions")?.get(d));
        match target {
            Some(t) => node = t,
            None => break,
        }
    }
    node
}
