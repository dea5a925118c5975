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
use stackforge_construct_model::{Template, Use};

/// A reference found in a property: to a resource of template `.0`, or to something outside.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Target {
    Resource(usize, String),
    Outside,
}

/// The references the resources of template `t` make: per resource (in order), the dotted
/// property path below `Properties` and the target.
fn references(
    templates: &[&Template],
    t: usize,
    exports: &HashMap<&str, Option<(usize, String)>>,
) -> Vec<Vec<(String, Target)>> {
    let template = templates[t];
    template
        .resources
        .values()
        .map(|r| {
            r.uses()
                .into_iter()
                .filter(|(p, _)| {
                    matches!(p.segments().first(), Some(stackforge_construct_model::PathSeg::Key(k)) if k == "Properties")
                })
                .filter_map(|(p, u)| {
                    let target = match u {
                        // Refs to parameters and pseudo parameters are not resource references.
                        Use::Local { id, .. } if template.resources.contains_key(id) => {
                            Target::Resource(t, id.to_owned())
                        }
                        Use::Import(name) => name
                            .as_str()
                            .and_then(|n| exports.get(n))
                            .and_then(Clone::clone)
                            .map_or(Target::Outside, |(t2, id)| Target::Resource(t2, id)),
                        _ => return None,
                    };
                    Some((p.skip(1).keys_only(), target))
                })
                .collect()
        })
        .collect()
}

/// Export name -> the resource its value names (None: not a resource), over `templates`.
fn find_exports<'a>(templates: &[&'a Template]) -> HashMap<&'a str, Option<(usize, String)>> {
    let mut exports = HashMap::new();
    for (t, template) in templates.iter().enumerate() {
        for e in template.exports() {
            let Some(name) = e.name else { continue };
            let target = e.decl.value.uses().into_iter().find_map(|(_, u)| match u {
                Use::Local { id, .. } if template.resources.contains_key(id) => {
                    Some((t, id.to_owned()))
                }
                _ => None,
            });
            exports.entry(name).or_insert(target);
        }
    }
    exports
}

/// The reference index of the templates of one scope: which resource points at which.
pub(crate) struct Index<'a> {
    templates: &'a [&'a Template],
    /// Per template, per resource (in order): the references it makes.
    found: Vec<Vec<Vec<(String, Target)>>>,
    /// `Type#Property` of the resources pointing at (template, logical ID).
    referenced_by: HashMap<(usize, &'a str), IndexSet<String>>,
}

impl<'a> Index<'a> {
    /// Indexes the references between `templates`.
    pub(crate) fn new(templates: &'a [&'a Template]) -> Self {
        let exports = find_exports(templates);
        let found: Vec<Vec<Vec<(String, Target)>>> = (0..templates.len())
            .map(|t| references(templates, t, &exports))
            .collect();
        let mut referenced_by: HashMap<(usize, &str), IndexSet<String>> = HashMap::new();
        for (t, per_template) in found.iter().enumerate() {
            for ((_, resource), refs) in templates[t].resources.iter().zip(per_template) {
                for (path, target) in refs {
                    if let Target::Resource(t2, id2) = target {
                        if let Some((key, _)) = templates[*t2].resources.get_key_value(id2.as_str())
                        {
                            referenced_by
                                .entry((*t2, key.as_str()))
                                .or_default()
                                .insert(format!("{}#{path}", resource.type_name));
                        }
                    }
                }
            }
        }
        Self {
            templates,
            found,
            referenced_by,
        }
    }

    fn list(&self, t: usize, id: &str) -> Value {
        self.referenced_by
            .get(&(t, id))
            .map(|s| Value::Array(s.iter().cloned().map(Value::String).collect()))
            .unwrap_or_else(|| Value::Array(Vec::new()))
    }

    /// The annotated JSON of template `t`, with `Metadata.guard` removed so that
    /// suppressions are applied by stackforge, which can then list what they waived.
    pub(crate) fn annotate(&self, t: usize) -> Value {
        let templates = self.templates;
        let mut out = templates[t].to_json();
        let Some(res) = out.get_mut("Resources").and_then(Value::as_object_mut) else {
            return out;
        };
        for ((id, resource), refs) in res.iter_mut().zip(&self.found[t]) {
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
                            let type_name = templates[*t2]
                                .resources
                                .get(id2)
                                .map_or(Value::Null, |r| Value::String(r.type_name.clone()));
                            let mut entry = Map::new();
                            entry.insert("Property".into(), Value::String(path.clone()));
                            entry.insert("Type".into(), type_name);
                            entry.insert("LogicalId".into(), Value::String(id2.clone()));
                            entry.insert("ReferencedBy".into(), self.list(*t2, id2));
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
            resource.insert("ReferencedBy".into(), self.list(t, id));
            resource.insert(
                "Unresolved".into(),
                Value::Array(unresolved.into_iter().map(Value::String).collect()),
            );
        }
        out
    }
}

/// The annotated JSON of `templates` (in order); see [`Index::annotate`].
#[cfg(test)]
pub(crate) fn annotate(templates: &[&Template]) -> Vec<Value> {
    let index = Index::new(templates);
    (0..templates.len()).map(|t| index.annotate(t)).collect()
}

/// The resources of an annotated template that `keep` accepts, as (logical ID, resource):
/// what one template adds to a [`Merged`] document.
pub(crate) fn kept_resources(
    template: &Value,
    keep: impl Fn(&Value) -> bool,
) -> Vec<(String, Value)> {
    let resources = template.get("Resources").and_then(Value::as_object);
    resources
        .into_iter()
        .flatten()
        .filter(|(_, r)| keep(r))
        .map(|(id, r)| (id.clone(), r.clone()))
        .collect()
}

/// One document holding the resources of several annotated templates (for rules evaluated
/// per environment), and for each of its resource keys the template and logical ID it came
/// from.
#[derive(Default)]
pub(crate) struct Merged {
    resources: Map<String, Value>,
    origin: HashMap<String, (usize, String)>,
}

impl Merged {
    /// Adds `resources` (logical ID, annotated resource) of template `t`.
    pub(crate) fn add_resources(&mut self, t: usize, resources: Vec<(String, Value)>) {
        for (id, resource) in resources {
            let mut key = id.clone();
            // Logical IDs repeat across stacks; the merged key only has to be unique.
            while self.resources.contains_key(&key) {
                key = format!("{key}_{t}");
            }
            self.resources.insert(key.clone(), resource);
            self.origin.insert(key, (t, id));
        }
    }

    /// The document and the origin of each of its resource keys.
    pub(crate) fn finish(self) -> (Value, HashMap<String, (usize, String)>) {
        let mut doc = Map::new();
        doc.insert("Resources".into(), Value::Object(self.resources));
        (Value::Object(doc), self.origin)
    }
}

/// [`Merged`] of all `annotated` templates.
#[cfg(test)]
pub(crate) fn merge(
    annotated: &[Value],
    keep: impl Fn(&Value) -> bool,
) -> (Value, HashMap<String, (usize, String)>) {
    let mut merged = Merged::default();
    for (t, template) in annotated.iter().enumerate() {
        merged.add_resources(t, kept_resources(template, &keep));
    }
    merged.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use stackforge_construct_model::document;

    fn doc(v: &Value) -> Template {
        document::from_json(v).unwrap()
    }

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
        let out = annotate(&[&doc(&t)]);
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
        let out = annotate(&[&doc(&a), &doc(&b)]);
        assert_eq!(
            out[0]["Resources"]["Db"]["ReferencedBy"],
            json!(["AWS::Backup::BackupSelection#BackupSelection.Resources"])
        );
        assert_eq!(out[1]["Resources"]["Sel"]["Unresolved"], json!([]));
        // Alone, the import cannot be resolved.
        let alone = annotate(&[&doc(&b)]);
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
}
