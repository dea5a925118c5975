//! Blast radius: which resources a change replaces, directly (a create-only property, the
//! type, a logical ID) or because they use a replaced resource in a create-only property, and
//! which resources merely see a new value; and which exports get a new value while other
//! stacks import them (CloudFormation refuses that update).

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::Value;

use super::impact::{classify, leaves, properties_json, value_change_impact, Impact};
use super::lineage::Pair;
use super::rename::rename_refs;
use super::{EnvTemplates, Location};
use crate::expr::{Expr, Use};
use crate::property_path::{PathSeg, PropertyPath};
use crate::template::{ResourceDef, Template};

/// A pair of the lineage and whether the app declared it (then it keeps the resource: a
/// refactor renames or moves it; otherwise CloudFormation replaces it).
#[derive(Debug, Clone, Copy)]
pub struct Paired<'a> {
    /// The pair.
    pub pair: &'a Pair,
    /// Declared as a refactor.
    pub declared: bool,
}

/// A resource the change replaces (or may replace).
#[derive(Debug, Clone, PartialEq)]
pub struct Replaced {
    /// Where it is in the new synth.
    pub location: Location,
    /// Why: the create-only property, the logical-ID change, or the replaced resource it uses.
    pub reason: String,
    /// Whether it is replaced only because it uses another replaced resource.
    pub cascaded: bool,
    /// Whether it surely is (otherwise it may be: a conditionally create-only property, an
    /// intrinsic, or a use of a resource that may be replaced).
    pub certain: bool,
}

/// A resource whose property gets a new value at deploy time because it uses a replaced
/// resource (or may get one: the resource may be replaced).
#[derive(Debug, Clone, PartialEq)]
pub struct Affected {
    /// Where it is in the new synth.
    pub location: Location,
    /// The replaced resource it uses.
    pub uses: Location,
    /// Whether the used resource is surely replaced.
    pub certain: bool,
    /// Where it uses it (`Properties.VpcId`), through an import when across stacks.
    pub at: String,
    /// Update in place, may replace or replace.
    pub impact: Impact,
    /// The create-only property behind a (possible) replacement.
    pub reason: Option<String>,
}

/// An export whose value changes while committed stacks import it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportChange {
    /// The producing stack.
    pub stack: String,
    /// The output declaring it.
    pub output: String,
    /// The export name.
    pub export: String,
    /// The stacks importing it before the change.
    pub importers: Vec<String>,
    /// What changes its value.
    pub cause: String,
    /// Why the resource behind it is replaced, when that is the cause.
    pub why: Option<String>,
    /// The replaced resource behind the change, if that is the cause.
    pub replaced: Option<Location>,
    /// Whether the value surely changes (otherwise it may: a possible replacement).
    pub certain: bool,
}

/// The predicted effect of changing `old` into `new`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prediction {
    /// Every resource replaced, direct replacements first, each once.
    pub replaced: Vec<Replaced>,
    /// Resources that only see a new value (or are replaced through one), each use once.
    pub affected: Vec<Affected>,
    /// Exports whose value changes while imported.
    pub exports: Vec<ExportChange>,
}

impl Prediction {
    /// Whether the resource at `location` (new side) is surely replaced.
    pub fn is_replaced(&self, location: &Location) -> bool {
        self.replacement(location).is_some_and(|r| r.certain)
    }

    /// The (possible) replacement of the resource at `location` (new side).
    pub fn replacement(&self, location: &Location) -> Option<&Replaced> {
        self.replaced.iter().find(|r| &r.location == location)
    }

    fn replace(
        &mut self,
        location: Location,
        reason: String,
        cascaded: bool,
        certain: bool,
    ) -> bool {
        match self.replaced.iter_mut().find(|r| r.location == location) {
            Some(r) if certain && !r.certain => {
                r.certain = true;
                r.reason = reason;
                r.cascaded = cascaded;
                true
            }
            Some(_) => false,
            None => {
                self.replaced.push(Replaced {
                    location,
                    reason,
                    cascaded,
                    certain,
                });
                true
            }
        }
    }
}

/// Predicts what deploying `new` over `old` replaces and affects. `pairs` are the renamed and
/// moved resources ([`super::pair_by_lineage`]).
pub fn predict(old: &EnvTemplates, new: &EnvTemplates, pairs: &[Paired<'_>]) -> Prediction {
    let renames = rename_map(pairs);
    let by_new: HashMap<&Location, &Paired<'_>> = pairs.iter().map(|p| (&p.pair.new, p)).collect();
    let mut out = Prediction::default();

    for (stack, t) in new {
        for (id, r) in &t.resources {
            let here = Location::new(stack, id);
            let direct = match by_new.get(&here) {
                Some(p) if !p.declared => Some((
                    Impact::Replace,
                    Some(if p.pair.is_move() {
                        format!(
                            "moved from stack {} ({}) without a declared refactor",
                            p.pair.old.stack, p.pair.old.logical_id
                        )
                    } else {
                        format!(
                            "logical ID {} -> {}",
                            p.pair.old.logical_id, p.pair.new.logical_id
                        )
                    }),
                )),
                Some(p) => {
                    before(old, &p.pair.old).map(|o| compare(o, r, &renames, &p.pair.old.stack))
                }
                None => before(old, &here).map(|o| compare(o, r, &renames, stack)),
            };
            if let Some((impact @ (Impact::Replace | Impact::MayReplace), reason)) = direct {
                let reason = reason.unwrap_or_else(|| "replaced".to_owned());
                out.replace(here, reason, false, impact == Impact::Replace);
            }
        }
    }

    propagate(new, &mut out);
    out.exports = export_changes(old, new, &renames, &out);
    out
}

/// Committed logical ID -> new one, per committed stack, for declared renames inside a stack.
type Renames = HashMap<String, HashMap<String, String>>;

fn rename_map(pairs: &[Paired<'_>]) -> Renames {
    let mut m: Renames = HashMap::new();
    for p in pairs.iter().filter(|p| p.declared && !p.pair.is_move()) {
        m.entry(p.pair.old.stack.clone())
            .or_default()
            .insert(p.pair.old.logical_id.clone(), p.pair.new.logical_id.clone());
    }
    m
}

fn before<'a>(old: &'a EnvTemplates, at: &Location) -> Option<&'a ResourceDef> {
    old.get(&at.stack)?.resources.get(&at.logical_id)
}

/// The strongest impact of changing `o` (of committed stack `stack`) into `n`, references to
/// renamed resources compared by their new IDs.
fn compare(
    o: &ResourceDef,
    n: &ResourceDef,
    renames: &Renames,
    stack: &str,
) -> (Impact, Option<String>) {
    if o.type_name != n.type_name {
        return (
            Impact::Replace,
            Some("the resource type changed".to_owned()),
        );
    }
    let mut a = properties_json(o);
    if let Some(map) = renames.get(stack) {
        rename_refs(&mut a, map);
    }
    let b = properties_json(n);
    let mut best = (Impact::Update, None);
    for (path, _, _) in leaves(&a, &b) {
        let c = classify(&n.type_name, &path, Some(&a), Some(&b));
        if c.0 > best.0 {
            best = c;
        }
    }
    best
}

/// A resource a value uses: where in the value, through which import (across stacks), and
/// the resource.
struct Used {
    path: PropertyPath,
    import: Option<String>,
    target: Location,
}

impl Used {
    fn at(&self) -> String {
        match &self.import {
            Some(name) => format!("{} (import {name})", self.path),
            None => self.path.to_string(),
        }
    }

    /// The segments below `Properties`, empty outside `Properties`.
    fn property_rel(&self) -> Vec<PathSeg> {
        match self.path.segments().split_first() {
            Some((PathSeg::Key(k), rest)) if k == "Properties" => rest.to_vec(),
            _ => Vec::new(),
        }
    }
}

/// The resources a value of stack `stack` uses, directly or through an import of another
/// stack's export.
fn used_resources(
    new: &EnvTemplates,
    stack: &str,
    t: &Template,
    value_uses: Vec<(PropertyPath, Use<'_>)>,
) -> Vec<Used> {
    let mut out = Vec::new();
    for (path, u) in value_uses {
        match u {
            Use::Local { id, .. } if t.resources.contains_key(id) => out.push(Used {
                path,
                import: None,
                target: Location::new(stack, id),
            }),
            Use::Import(Expr::String(name)) => {
                for (producer, pt) in new {
                    for e in pt.exports() {
                        if e.name != Some(name.as_str()) {
                            continue;
                        }
                        for (_, pu) in e.decl.value.uses() {
                            if let Use::Local { id, .. } = pu {
                                if pt.resources.contains_key(id) {
                                    out.push(Used {
                                        path: path.clone(),
                                        import: Some(name.to_string()),
                                        target: Location::new(producer, id),
                                    });
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn propagate(new: &EnvTemplates, out: &mut Prediction) {
    loop {
        let mut grew = false;
        for (stack, t) in new {
            for (id, r) in &t.resources {
                let here = Location::new(stack, id);
                for used in used_resources(new, stack, t, r.uses()) {
                    let (at, target) = (used.at(), used.target.clone());
                    let Some(certain) = out.replacement(&target).map(|x| x.certain) else {
                        continue;
                    };
                    if target == here {
                        continue;
                    }
                    if let Some(a) = out
                        .affected
                        .iter_mut()
                        .find(|a| a.location == here && a.uses == target && a.at == at)
                    {
                        if a.certain || !certain {
                            continue;
                        }
                        a.certain = true; // the used resource became surely replaced
                    }
                    let rel = used.property_rel();
                    let (mut impact, reason) = if rel.is_empty() {
                        (Impact::Update, None)
                    } else {
                        value_change_impact(&r.type_name, &rel)
                    };
                    if !certain && impact == Impact::Replace {
                        impact = Impact::MayReplace;
                    }
                    if impact > Impact::Update {
                        let why = format!(
                            "uses {target} ({}) in {at}: {}",
                            if certain {
                                "replaced"
                            } else {
                                "may be replaced"
                            },
                            reason.clone().unwrap_or_default()
                        );
                        grew |= out.replace(here.clone(), why, true, impact == Impact::Replace);
                    }
                    match out
                        .affected
                        .iter_mut()
                        .find(|a| a.location == here && a.uses == target && a.at == at)
                    {
                        Some(a) => {
                            a.impact = impact;
                            a.reason = reason;
                        }
                        None => out.affected.push(Affected {
                            location: here.clone(),
                            uses: target,
                            certain,
                            at,
                            impact,
                            reason,
                        }),
                    }
                }
            }
        }
        if !grew {
            break;
        }
    }
    // Directly replaced resources are listed as replacements, not as affected by others.
    let direct: Vec<Location> = out
        .replaced
        .iter()
        .filter(|r| !r.cascaded && r.certain)
        .map(|r| r.location.clone())
        .collect();
    out.affected.retain(|a| !direct.contains(&a.location));
}

fn export_changes(
    old: &EnvTemplates,
    new: &EnvTemplates,
    renames: &Renames,
    prediction: &Prediction,
) -> Vec<ExportChange> {
    let mut out = Vec::new();
    // Each stack's imports once: computing them walks every value of the template.
    let imports: Vec<(&String, Vec<&str>)> = old.iter().map(|(s, t)| (s, t.imports())).collect();
    for (stack, t) in old {
        for e in t.exports() {
            let Some(name) = e.name else { continue };
            let importers: Vec<String> = imports
                .iter()
                .filter(|(s, names)| *s != stack && names.contains(&name))
                .map(|(s, _)| (*s).clone())
                .collect();
            if importers.is_empty() {
                continue;
            }
            let change = |cause: String, replaced: Option<Location>, certain: bool| ExportChange {
                stack: stack.clone(),
                output: e.output.to_owned(),
                export: name.to_owned(),
                importers: importers.clone(),
                cause,
                why: None,
                replaced,
                certain,
            };
            let now = new.get(stack).and_then(|nt| {
                nt.exports()
                    .into_iter()
                    .find(|x| x.name == Some(name))
                    .map(|x| (nt, x))
            });
            let Some((nt, now)) = now else {
                out.push(change("the export is removed".to_owned(), None, true));
                continue;
            };
            let mut before = serde_json::to_value(&e.decl.value).unwrap_or(Value::Null);
            if let Some(map) = renames.get(stack) {
                rename_refs(&mut before, map);
            }
            let after = serde_json::to_value(&now.decl.value).unwrap_or(Value::Null);
            if before != after {
                out.push(change(
                    format!("its value changes from {before} to {after}"),
                    None,
                    true,
                ));
                continue;
            }
            for (_, u) in now.decl.value.uses() {
                let Use::Local { id, .. } = u else { continue };
                if !nt.resources.contains_key(id) {
                    continue;
                }
                let target = Location::new(stack, id);
                if let Some(r) = prediction.replacement(&target) {
                    let verb = if r.certain { "replaces" } else { "may replace" };
                    let mut c = change(
                        format!("its value uses {id}, which this change {verb}"),
                        Some(target),
                        r.certain,
                    );
                    c.why = Some(r.reason.clone());
                    out.push(c);
                    break;
                }
            }
        }
    }
    out
}

/// Old and new templates as the prediction reads them, for tests and tools: `(stack,
/// template)` lists.
pub fn env(templates: impl IntoIterator<Item = (String, Template)>) -> EnvTemplates {
    templates.into_iter().collect::<IndexMap<_, _>>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document;
    use serde_json::json;

    fn t(v: Value) -> Template {
        document::from_json(&v).unwrap()
    }

    fn network(cidr: &str) -> Template {
        t(json!({"Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr}},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24"}},
            "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x", "VpcId": {"Ref": "Vpc"}}},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Fn::Sub": "${Vpc}-alerts"}}}
        }, "Outputs": {"VpcId": {"Value": {"Ref": "Vpc"}, "Export": {"Name": "net:Vpc"}}}}))
    }

    fn service() -> Template {
        t(json!({"Resources": {
            "Tg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {"VpcId": {"Fn::ImportValue": "net:Vpc"}}}
        }}))
    }

    #[test]
    fn a_replaced_resource_propagates_through_refs_subs_and_imports() {
        let old = env([
            ("network".into(), network("10.0.0.0/16")),
            ("service".into(), service()),
        ]);
        let new = env([
            ("network".into(), network("10.1.0.0/16")),
            ("service".into(), service()),
        ]);
        let p = predict(&old, &new, &[]);
        let replaced: Vec<String> = p.replaced.iter().map(|r| r.location.to_string()).collect();
        assert_eq!(
            replaced,
            ["network/Vpc", "network/Subnet", "network/Sg", "service/Tg"]
        );
        assert!(!p.replaced[0].cascaded && p.replaced[1].cascaded);
        let topic = p
            .affected
            .iter()
            .find(|a| a.location.logical_id == "Topic")
            .unwrap();
        assert_eq!(
            (topic.impact, topic.at.as_str()),
            (Impact::Update, "Properties.DisplayName")
        );
        let tg = p
            .affected
            .iter()
            .find(|a| a.location.logical_id == "Tg")
            .unwrap();
        assert_eq!(tg.at, "Properties.VpcId (import net:Vpc)");
        assert_eq!(tg.impact, Impact::Replace);
        assert_eq!(p.exports.len(), 1);
        assert_eq!(p.exports[0].export, "net:Vpc");
        assert_eq!(p.exports[0].importers, ["service"]);
        assert_eq!(
            p.exports[0].cause,
            "its value uses Vpc, which this change replaces"
        );
        assert_eq!(
            p.exports[0].why.as_deref(),
            Some("createOnlyProperties: /properties/CidrBlock")
        );
    }

    #[test]
    fn an_in_place_update_affects_nothing() {
        let old = env([("network".into(), network("10.0.0.0/16"))]);
        let mut changed = network("10.0.0.0/16");
        changed.resources["Sg"]
            .properties
            .insert("GroupDescription", Expr::str("y"));
        let new = env([("network".into(), changed)]);
        let p = predict(&old, &new, &[]);
        // GroupDescription is create-only for security groups: the group is replaced, and
        // nothing uses it.
        assert_eq!(p.replaced.len(), 1);
        assert!(p.affected.is_empty());
    }
}
