//! What the gate evaluates: each rule file on documents prepared from the annotated
//! templates, and what each document stands for.
//!
//! - built-in template files read one resource at a time, so each resource of the types a
//!   file names is its own unit, projected to what the file reads
//!   ([`catalog::Reads`](super::catalog::Reads)); equal projections are evaluated once, and
//!   are put together into a few documents (one resource key each) at evaluation;
//! - custom files see whole templates reduced to the types they name (or whole templates);
//! - per-environment files see one document merging the scope's resources of their types.
//!
//! Templates are annotated one at a time, so the gate never holds the JSON of a whole scope.

use std::collections::HashMap;

use rayon::prelude::*;
use serde_json::{Map, Value};

use super::catalog::Reads;
use super::refs::{kept_resources, Index, Merged};
use super::{EvalScope, RuleFile};
use stackforge_construct_model::Template;

/// The resource key of a per-resource unit's findings (and its prefix in a document holding
/// several: `R0`, `R1`, ...).
pub(crate) const RESOURCE_KEY: &str = "R";

/// What an evaluated document stands for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Origin {
    /// One resource of a template (a unit of a projected file; findings with a key are
    /// about it).
    Resource {
        scope: usize,
        template: usize,
        /// Its position in the template's resources (a plan holds one origin per resource
        /// and rule file: an index instead of a copy of the logical ID).
        resource: usize,
    },
    /// A template (finding keys are its logical IDs).
    Template { scope: usize, template: usize },
    /// A scope's merged document, with the template and logical ID of each resource key.
    Scope {
        scope: usize,
        // Boxed: there is one such origin per scope and file, and one `Resource` origin per
        // resource and file, which an inline map would make three times as large.
        #[allow(clippy::box_collection)]
        keys: Box<HashMap<String, (usize, String)>>,
    },
}

/// What to evaluate with one rule file, and every place it stands for.
#[derive(Debug)]
pub(crate) struct Unit {
    /// Index of the rule file.
    pub file: usize,
    /// JSON text: a document, or for a projected file one projected resource (see
    /// [`document`]).
    pub doc: String,
    /// What it stands for (several when equal documents were merged).
    pub origins: Vec<Origin>,
}

/// The documents of a gate run.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Distinct (rule file, document) pairs.
    pub units: Vec<Unit>,
    /// Units by a hash of (file, document); equal documents are checked byte for byte.
    index: HashMap<u64, Vec<usize>>,
}

impl Plan {
    /// Prepares the documents of `files` on the templates of `scopes`.
    ///
    /// Templates are annotated and projected in parallel, a few at a time (so the gate never
    /// holds the JSON of a whole scope); their documents join the plan in template order, so
    /// the plan is the same whatever the scheduling.
    pub(crate) fn build(scopes: &[Vec<&Template>], files: &[RuleFile]) -> Plan {
        let mut plan = Plan::default();
        for (s, bodies) in scopes.iter().enumerate() {
            let index = Index::new(bodies);
            let mut merged: Vec<Option<Merged>> = files
                .iter()
                .map(|f| (f.scope == EvalScope::Environment).then(Merged::default))
                .collect();
            let indices: Vec<usize> = (0..bodies.len()).collect();
            for chunk in indices.chunks(TEMPLATES_AT_ONCE) {
                let prepared: Vec<Prepared> = chunk
                    .par_iter()
                    .map(|&t| prepare(&index, s, t, files))
                    .collect();
                for (&t, p) in chunk.iter().zip(prepared) {
                    for (f, doc, origin) in p.units {
                        plan.add(f, doc, origin);
                    }
                    for (f, resources) in p.merged {
                        if let Some(m) = merged[f].as_mut() {
                            m.add_resources(t, resources);
                        }
                    }
                }
            }
            for (f, m) in merged.into_iter().enumerate() {
                let Some(m) = m else { continue };
                let (doc, keys) = m.finish();
                if let Some(d) = files[f].document(&doc) {
                    plan.add(
                        f,
                        d,
                        Origin::Scope {
                            scope: s,
                            keys: Box::new(keys),
                        },
                    );
                }
            }
        }
        // Equal documents were merged one origin at a time: the room doubled as they came.
        for unit in &mut plan.units {
            unit.origins.shrink_to_fit();
        }
        plan
    }

    /// Adds `doc` for `file`, or `origin` to the unit already holding it.
    fn add(&mut self, file: usize, doc: String, origin: Origin) {
        let hash = xxhash_rust::xxh3::xxh3_64_with_seed(doc.as_bytes(), file as u64);
        let same = self.index.entry(hash).or_default();
        if let Some(&u) = same
            .iter()
            .find(|&&u| self.units[u].file == file && self.units[u].doc == doc)
        {
            self.units[u].origins.push(origin);
            return;
        }
        same.push(self.units.len());
        self.units.push(Unit {
            file,
            doc,
            origins: vec![origin],
        });
    }
}

/// Templates annotated in parallel before their documents join the plan: enough to keep
/// the threads busy, few enough that their JSON is small next to the plan's.
const TEMPLATES_AT_ONCE: usize = 32;

/// What one template contributes to a plan, in the order a sequential build adds it.
struct Prepared {
    /// (file, document, origin) for the plan.
    units: Vec<(usize, String, Origin)>,
    /// Per per-environment file, the template's resources it reads (logical ID, resource).
    merged: Vec<(usize, Vec<(String, Value)>)>,
}

/// Annotates template `t` of scope `s` and prepares its documents for every file.
fn prepare(index: &Index<'_>, s: usize, t: usize, files: &[RuleFile]) -> Prepared {
    let doc = index.annotate(t);
    let mut out = Prepared {
        units: Vec::new(),
        merged: Vec::new(),
    };
    let resources = doc.get("Resources").and_then(Value::as_object);
    for (f, file) in files.iter().enumerate() {
        if file.scope == EvalScope::Environment {
            out.merged
                .push((f, kept_resources(&doc, |r| file.reads(r))));
            continue;
        }
        match &file.projection {
            Some(reads) => {
                for (position, r) in resources.into_iter().flatten().map(|(_, r)| r).enumerate() {
                    if file.reads(r) {
                        let origin = Origin::Resource {
                            scope: s,
                            template: t,
                            resource: position,
                        };
                        out.units.push((f, project(r, reads).to_string(), origin));
                    }
                }
            }
            None => {
                if let Some(d) = file.document(&doc) {
                    out.units.push((
                        f,
                        d,
                        Origin::Template {
                            scope: s,
                            template: t,
                        },
                    ));
                }
            }
        }
    }
    out
}

/// A document holding the projected resources `units` (JSON texts) under the keys `R<i>`,
/// `i` being each one's index in `units`.
pub(crate) fn document<'a>(units: impl IntoIterator<Item = &'a str>) -> String {
    let mut doc = String::from("{\"Resources\":{");
    for (i, unit) in units.into_iter().enumerate() {
        if i > 0 {
            doc.push(',');
        }
        doc.push_str(&format!("\"{RESOURCE_KEY}{i}\":"));
        doc.push_str(unit);
    }
    doc.push_str("}}");
    doc
}

/// `resource` with only what `reads` names: its attributes, the keys below `Properties`
/// and `Metadata` the code names, and `LogicalId` in `References` only when named; and,
/// when the code reads suppressions and the resource has none, the
/// [`NO_SUPPRESSION`](super::catalog::NO_SUPPRESSION) marker.
pub(crate) fn project(resource: &Value, reads: &Reads) -> Value {
    let Some(attributes) = resource.as_object() else {
        return resource.clone();
    };
    let mut out = Map::new();
    for (name, value) in attributes {
        let Some(keys) = reads.attributes.get(name) else {
            continue;
        };
        let value = match (keys, value) {
            (Some(keys), Value::Object(map)) => Value::Object(
                map.iter()
                    .filter(|(k, _)| keys.contains(k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            (_, Value::Array(entries)) if name == "References" && !reads.logical_ids => {
                Value::Array(
                    entries
                        .iter()
                        .map(|e| match e {
                            Value::Object(m) => Value::Object(
                                m.iter()
                                    .filter(|(k, _)| k.as_str() != "LogicalId")
                                    .map(|(k, v)| (k.clone(), v.clone()))
                                    .collect(),
                            ),
                            other => other.clone(),
                        })
                        .collect(),
                )
            }
            _ => value.clone(),
        };
        out.insert(name.clone(), value);
    }
    if let Some((metadata, guard)) = &reads.suppressions {
        // Only where the lookup of `Metadata.guard` would find nothing under any spelling.
        let other_metadata = out
            .keys()
            .any(|k| k != "Metadata" && metadata.contains(k.as_str()));
        let meta = out
            .entry("Metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if let (false, Value::Object(meta)) = (other_metadata, meta) {
            if !meta.keys().any(|k| guard.contains(k.as_str())) {
                meta.insert(
                    "guard".to_owned(),
                    serde_json::json!({ "SuppressedRules": [super::catalog::NO_SUPPRESSION] }),
                );
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::catalog;
    use serde_json::json;

    #[test]
    fn projection_keeps_what_the_file_names_and_drops_the_rest() {
        let reads = catalog::reads(
            "let x = Resources.*[ Type == 'T' Metadata.guard.SuppressedRules not exists ]\n\
             rule R when %x !empty { %x.Properties.A exists some References[*] { Property == \"A\" } }",
        );
        let r = json!({
            "Type": "T",
            "Properties": {"A": 1, "B": 2},
            "Metadata": {"stackforge:path": "s/x", "other": 1},
            "DependsOn": ["Y"],
            "References": [{"Property": "A", "Type": "U", "LogicalId": "Y", "ReferencedBy": []}],
            "ReferencedBy": ["V#W"],
        });
        assert_eq!(
            project(&r, &reads),
            json!({
                "Type": "T",
                "Properties": {"A": 1},
                "Metadata": {"guard": {"SuppressedRules": [""]}},
                "References": [{"Property": "A", "Type": "U", "ReferencedBy": []}],
            })
        );
    }

    #[test]
    fn a_document_of_units_keys_them_by_index() {
        let doc = document(["{\"Type\":\"A\"}", "{\"Type\":\"B\"}"]);
        let v: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(
            v,
            json!({"Resources": {"R0": {"Type": "A"}, "R1": {"Type": "B"}}})
        );
        assert_eq!(document([]), "{\"Resources\":{}}");
    }

    #[test]
    fn equal_documents_of_a_file_are_one_unit() {
        let mut plan = Plan::default();
        let o = |resource: usize| Origin::Resource {
            scope: 0,
            template: 0,
            resource,
        };
        plan.add(0, "{}".into(), o(0));
        plan.add(0, "{}".into(), o(1));
        plan.add(1, "{}".into(), o(2));
        plan.add(0, "{\"x\":1}".into(), o(3));
        assert_eq!(plan.units.len(), 3);
        assert_eq!(plan.units[0].origins, vec![o(0), o(1)]);
        assert_eq!(plan.units[1].file, 1);
    }
}
