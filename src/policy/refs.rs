//! The reference index: which resource points at which, across the templates of one scope
//! (an environment, or a folder with a manifest, or one file).
//!
//! Guard cannot follow a `Ref` from one resource to another, so before evaluation every
//! resource gets three extra keys that the rules read (stackforge never writes them):
//!
//! - `References`: the resources it points at, `{Property, Type, LogicalId, ReferencedBy}`,
//!   where `Property` is the dotted property path (`BackupSelection.Resources`) and
//!   `ReferencedBy` is the target's own list, for two-hop checks;
//! - `ReferencedBy`: `"Type#Property"` of every resource pointing at it (`Ref`, `Fn::GetAtt`,
//!   `${Id}` in `Fn::Sub`, or `Fn::ImportValue` of an export of the scope);
//! - `Unresolved`: property paths holding an import of an export outside the scope.
//!
//! The index knows only CloudFormation's intrinsic functions; which references matter is
//! said in the rule files.

use std::collections::HashMap;

use indexmap::{IndexMap, IndexSet};
use serde_json::{Map, Value};

/// A reference found in a property: to a resource of template `.0`, or to something outside.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Target {
    Resource(usize, String),
    Outside,
}

struct Ctx<'a> {
    resources: Vec<&'a Map<String, Value>>,
    /// Export name -> the resource its value names (None: not a resource).
    exports: HashMap<&'a str, Option<(usize, String)>>,
}

/// The annotated copies of `templates` (in order), with `Metadata.guard` removed so that
/// suppressions are applied by stackforge, which can then list what they waived.
pub(crate) fn annotate(templates: &[&Value]) -> Vec<Value> {
    let empty = Map::new();
    let resources: Vec<&Map<String, Value>> = templates
        .iter()
        .map(|t| {
            t.get("Resources")
                .and_then(Value::as_object)
                .unwrap_or(&empty)
        })
        .collect();
    let mut ctx = Ctx {
        resources,
        exports: HashMap::new(),
    };
    let exports = find_exports(templates, &ctx);
    ctx.exports = exports;

    // Per template, per resource (in order): the references it makes.
    let mut found: Vec<Vec<Vec<(String, Target)>>> = Vec::with_capacity(templates.len());
    let mut referenced_by: HashMap<(usize, &str), IndexSet<String>> = HashMap::new();
    for (t, res) in ctx.resources.iter().enumerate() {
        let mut per_template = Vec::with_capacity(res.len());
        for (_, resource) in res.iter() {
            let mut refs = Vec::new();
            if let Some(props) = resource.get("Properties") {
                collect(props, &mut Vec::new(), t, &ctx, &mut refs);
            }
            let type_name = resource.get("Type").and_then(Value::as_str).unwrap_or("");
            for (path, target) in &refs {
                if let Target::Resource(t2, id2) = target {
                    if let Some((key, _)) = ctx.resources[*t2].get_key_value(id2.as_str()) {
                        referenced_by
                            .entry((*t2, key.as_str()))
                            .or_default()
                            .insert(format!("{type_name}#{path}"));
                    }
                }
            }
            per_template.push(refs);
        }
        found.push(per_template);
    }

    let list = |t: usize, id: &str| -> Value {
        referenced_by
            .get(&(t, id))
            .map(|s| Value::Array(s.iter().cloned().map(Value::String).collect()))
            .unwrap_or_else(|| Value::Array(Vec::new()))
    };
    templates
        .iter()
        .enumerate()
        .map(|(t, template)| {
            let mut out = (*template).clone();
            let Some(res) = out.get_mut("Resources").and_then(Value::as_object_mut) else {
                return out;
            };
            for ((id, resource), refs) in res.iter_mut().zip(&found[t]) {
                let Some(resource) = resource.as_object_mut() else {
                    continue;
                };
                if let Some(meta) = resource.get_mut("Metadata").and_then(Value::as_object_mut) {
                    meta.remove("guard");
                }
                let mut references = IndexMap::new();
                let mut unresolved = IndexSet::new();
                for (path, target) in refs {
                    match target {
                        Target::Resource(t2, id2) => {
                            references.entry((path, *t2, id2)).or_insert_with(|| {
                                let type_name = ctx.resources[*t2]
                                    .get(id2)
                                    .and_then(|r| r.get("Type"))
                                    .cloned()
                                    .unwrap_or(Value::Null);
                                let mut entry = Map::new();
                                entry.insert("Property".into(), Value::String(path.clone()));
                                entry.insert("Type".into(), type_name);
                                entry.insert("LogicalId".into(), Value::String(id2.clone()));
                                entry.insert("ReferencedBy".into(), list(*t2, id2));
                                Value::Object(entry)
                            });
                        }
                        Target::Outside => {
                            unresolved.insert(path.clone());
                        }
                    }
                }
                resource.insert(
                    "References".into(),
                    Value::Array(references.into_values().collect()),
                );
                resource.insert("ReferencedBy".into(), list(t, id));
                resource.insert(
                    "Unresolved".into(),
                    Value::Array(unresolved.into_iter().map(Value::String).collect()),
                );
            }
            out
        })
        .collect()
}

/// One document holding the resources of all `annotated` templates that `keep` accepts (for
/// rules evaluated per environment), and for each of its resource keys the template and
/// logical ID it came from.
pub(crate) fn merge(
    annotated: &[Value],
    keep: impl Fn(&Value) -> bool,
) -> (Value, HashMap<String, (usize, String)>) {
    let mut resources = Map::new();
    let mut origin = HashMap::new();
    for (t, template) in annotated.iter().enumerate() {
        let Some(res) = template.get("Resources").and_then(Value::as_object) else {
            continue;
        };
        for (id, resource) in res.iter().filter(|(_, r)| keep(r)) {
            let mut key = id.clone();
            // Logical IDs repeat across stacks; the merged key only has to be unique.
            while resources.contains_key(&key) {
                key = format!("{key}_{t}");
            }
            resources.insert(key.clone(), resource.clone());
            origin.insert(key, (t, id.clone()));
        }
    }
    let mut doc = Map::new();
    doc.insert("Resources".into(), Value::Object(resources));
    (Value::Object(doc), origin)
}

fn find_exports<'a>(
    templates: &[&'a Value],
    ctx: &Ctx<'a>,
) -> HashMap<&'a str, Option<(usize, String)>> {
    let mut exports = HashMap::new();
    for (t, template) in templates.iter().enumerate() {
        let Some(outputs) = template.get("Outputs").and_then(Value::as_object) else {
            continue;
        };
        for output in outputs.values() {
            let Some(name) = output
                .get("Export")
                .and_then(|e| e.get("Name"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            let mut refs = Vec::new();
            if let Some(value) = output.get("Value") {
                collect(value, &mut Vec::new(), t, ctx, &mut refs);
            }
            let target = refs.into_iter().find_map(|(_, target)| match target {
                Target::Resource(t2, id) => Some((t2, id)),
                Target::Outside => None,
            });
            exports.entry(name).or_insert(target);
        }
    }
    exports
}

/// Collects the references in `value` (found under property `path` of a resource of template
/// `t`).
fn collect(
    value: &Value,
    path: &mut Vec<String>,
    t: usize,
    ctx: &Ctx<'_>,
    out: &mut Vec<(String, Target)>,
) {
    match value {
        Value::Object(map) => {
            if map.len() == 1 {
                if let Some((key, arg)) = map.iter().next() {
                    if intrinsic(key, arg, path, t, ctx, out) {
                        return;
                    }
                }
            }
            for (key, v) in map {
                // Functions like Fn::If or Fn::Join do not name a property.
                if key.starts_with("Fn::") {
                    collect(v, path, t, ctx, out);
                } else {
                    path.push(key.clone());
                    collect(v, path, t, ctx, out);
                    path.pop();
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                collect(item, path, t, ctx, out);
            }
        }
        _ => {}
    }
}

/// Handles a reference-making intrinsic function; false if `key` is not one.
fn intrinsic(
    key: &str,
    arg: &Value,
    path: &[String],
    t: usize,
    ctx: &Ctx<'_>,
    out: &mut Vec<(String, Target)>,
) -> bool {
    let resources = ctx.resources[t];
    let push = |out: &mut Vec<(String, Target)>, target: Target| {
        out.push((path.join("."), target));
    };
    match key {
        "Ref" => {
            // Refs to parameters and pseudo parameters are not resource references.
            if let Some(name) = arg.as_str().filter(|n| resources.contains_key(*n)) {
                push(out, Target::Resource(t, name.to_owned()));
            }
            true
        }
        "Fn::GetAtt" => {
            let id = match arg {
                Value::Array(items) => items.first().and_then(Value::as_str),
                Value::String(s) => s.split('.').next(),
                _ => None,
            };
            if let Some(id) = id.filter(|id| resources.contains_key(*id)) {
                push(out, Target::Resource(t, id.to_owned()));
            }
            true
        }
        "Fn::Sub" => {
            let (text, vars) = match arg {
                Value::String(s) => (Some(s.as_str()), None),
                Value::Array(items) => (
                    items.first().and_then(Value::as_str),
                    items.get(1).and_then(Value::as_object),
                ),
                _ => (None, None),
            };
            for name in text.map(sub_names).unwrap_or_default() {
                let local = vars.is_some_and(|v| v.contains_key(name));
                if !local && resources.contains_key(name) {
                    push(out, Target::Resource(t, name.to_owned()));
                }
            }
            if let Some(vars) = vars {
                let mut path = path.to_vec();
                for v in vars.values() {
                    collect(v, &mut path, t, ctx, out);
                }
            }
            true
        }
        "Fn::ImportValue" => {
            let target = arg
                .as_str()
                .and_then(|name| ctx.exports.get(name))
                .and_then(|target| target.clone())
                .map_or(Target::Outside, |(t2, id)| Target::Resource(t2, id));
            push(out, target);
            true
        }
        _ => false,
    }
}

/// The resource names a `Fn::Sub` string uses: `${Name}` and `${Name.Attribute}`, not
/// `${!Literal}`.
fn sub_names(text: &str) -> Vec<&str> {
    stackforge_constructs::expr::sub_placeholders(text)
        .into_iter()
        .map(|name| name.split('.').next().unwrap_or(name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_are_found_through_every_intrinsic_and_listed_both_ways() {
        let t = json!({"Resources": {
            "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {}},
            "Lb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
                "SecurityGroups": [{"Fn::GetAtt": ["Sg", "GroupId"]}, {"Ref": "Param"}],
                "Name": {"Fn::Sub": "${Sg}-${AWS::Region}-${!Literal}"},
                "Other": {"Fn::If": ["C", {"Ref": "Sg"}, {"Ref": "AWS::NoValue"}]}
            }},
            "Ing": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
                "GroupId": {"Fn::GetAtt": "Sg.GroupId"},
                "SourceSecurityGroupId": {"Fn::ImportValue": "elsewhere"}
            }, "Metadata": {"guard": {"SuppressedRules": ["X"]}, "stackforge:path": "s/Ing"}}
        }});
        let out = annotate(&[&t]);
        let r = &out[0]["Resources"];
        assert_eq!(
            r["Sg"]["ReferencedBy"],
            json!([
                "AWS::ElasticLoadBalancingV2::LoadBalancer#SecurityGroups",
                "AWS::ElasticLoadBalancingV2::LoadBalancer#Name",
                "AWS::ElasticLoadBalancingV2::LoadBalancer#Other",
                "AWS::EC2::SecurityGroupIngress#GroupId"
            ])
        );
        assert_eq!(r["Lb"]["References"].as_array().unwrap().len(), 3);
        assert_eq!(r["Ing"]["References"][0]["Property"], "GroupId");
        assert_eq!(r["Ing"]["References"][0]["Type"], "AWS::EC2::SecurityGroup");
        assert_eq!(
            r["Ing"]["References"][0]["ReferencedBy"],
            r["Sg"]["ReferencedBy"]
        );
        assert_eq!(r["Ing"]["Unresolved"], json!(["SourceSecurityGroupId"]));
        assert_eq!(r["Ing"]["Metadata"], json!({"stackforge:path": "s/Ing"}));
        assert_eq!(r["Sg"]["References"], json!([]));
    }

    #[test]
    fn imports_resolve_to_the_exporting_stack_of_the_scope() {
        let a = json!({"Resources": {"Db": {"Type": "AWS::RDS::DBInstance"}},
            "Outputs": {"O": {"Value": {"Fn::GetAtt": ["Db", "Arn"]}, "Export": {"Name": "a:DbArn"}}}});
        let b = json!({"Resources": {"Sel": {"Type": "AWS::Backup::BackupSelection", "Properties": {
            "BackupSelection": {"Resources": [{"Fn::ImportValue": "a:DbArn"}]}}}}});
        let out = annotate(&[&a, &b]);
        assert_eq!(
            out[0]["Resources"]["Db"]["ReferencedBy"],
            json!(["AWS::Backup::BackupSelection#BackupSelection.Resources"])
        );
        assert_eq!(out[1]["Resources"]["Sel"]["Unresolved"], json!([]));
        // Alone, the import cannot be resolved.
        let alone = annotate(&[&b]);
        assert_eq!(
            alone[0]["Resources"]["Sel"]["Unresolved"],
            json!(["BackupSelection.Resources"])
        );
    }

    #[test]
    fn merged_keys_stay_unique_and_map_back() {
        let a = json!({"Resources": {"X": {"Type": "A"}}});
        let b = json!({"Resources": {"X": {"Type": "B"}, "X_1": {"Type": "C"}}});
        let (doc, origin) = merge(&[a, b], |_| true);
        let keys: Vec<&String> = doc["Resources"].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 3);
        for k in keys {
            let (t, id) = &origin[k];
            assert_eq!(
                doc["Resources"][k]["Type"],
                [json!("A"), json!("B"), json!("C")][*t + usize::from(id == "X_1")]
            );
        }
    }

    #[test]
    fn sub_names_skip_literals() {
        assert_eq!(sub_names("${A}-${B.Arn}${!C}${ D }"), vec!["A", "B", "D"]);
    }
}
