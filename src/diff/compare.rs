//! Comparing two templates section by section: identity (construct paths, types, exports)
//! through the template model, values as rendered.

use indexmap::IndexMap;
use serde_json::{Map, Value};
use stackforge_constructs::layout::KeptExport;
use stackforge_constructs::template::{Output, ResourceDef};
use stackforge_constructs::{type_info, ConstructPath, Template};

use super::values::{self, Seg};
use super::{
    Action, Change, EntryAction, EntryChange, Impact, ResourceChange, StackDiff, StackStatus,
    ValueChange,
};

/// What the comparison needs besides the two templates.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// Show metadata-only changes (`--all`).
    pub all: bool,
    /// Construct paths whose replacement the app declared intended, with the reason.
    pub accepted: Option<&'a IndexMap<ConstructPath, String>>,
    /// Outputs kept for importers; shown as kept rather than as changed.
    pub kept: &'a [KeptExport],
}

/// Compares the `old` and `new` templates of stack `stack` in `env`. `None` on one side means
/// the stack is added or removed; everything on the other side is then added or removed.
pub fn diff_stack(
    env: &str,
    stack: &str,
    old: Option<&Template>,
    new: Option<&Template>,
    ctx: Context<'_>,
) -> StackDiff {
    let empty = Template::default();
    let (o, n) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
    let mut hidden = 0;
    let mut d = StackDiff {
        env: env.to_owned(),
        stack: stack.to_owned(),
        file: None,
        status: StackStatus::Unchanged,
        description: None,
        resources: resources(o, n, ctx, &mut hidden),
        outputs: outputs(&o.outputs, &n.outputs, ctx.kept),
        parameters: entries(&rendered(&o.parameters), &rendered(&n.parameters)),
        conditions: entries(&rendered(&o.conditions), &rendered(&n.conditions)),
        mappings: entries(&rendered(&o.mappings), &rendered(&n.mappings)),
        other: Vec::new(),
        kept_exports: ctx.kept.to_vec(),
        hidden: 0,
    };
    if o.description != n.description {
        d.description = Some(ValueChange {
            old: o.description.clone().map(Value::String),
            new: n.description.clone().map(Value::String),
        });
    }
    d.other = other_sections(o, n, ctx.all, &mut hidden);
    d.hidden = hidden;
    d.status = match (old, new) {
        (None, _) => StackStatus::Added,
        (_, None) => StackStatus::Removed,
        _ if d.summary().has_changes() => StackStatus::Changed,
        _ => StackStatus::Unchanged,
    };
    d
}

/// A section's entries as rendered JSON.
fn rendered<T: serde::Serialize>(section: &IndexMap<String, T>) -> Map<String, Value> {
    section
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or(Value::Null)))
        .collect()
}

fn resources(
    old: &Template,
    new: &Template,
    ctx: Context<'_>,
    hidden: &mut usize,
) -> Vec<ResourceChange> {
    let (o, n) = (&old.resources, &new.resources);

    // A construct path recorded under another ID on the old side: the same construct got a
    // new logical ID, which CloudFormation treats as a replacement.
    let mut paired: IndexMap<&str, &str> = IndexMap::new();
    for (id, res) in n.iter().filter(|(id, _)| !o.contains_key(*id)) {
        let Some(path) = res.path() else { continue };
        let old_id = o.iter().find(|(oid, ores)| {
            !n.contains_key(*oid) && ores.path() == Some(path) && !paired.values().any(|p| p == oid)
        });
        if let Some((oid, _)) = old_id {
            paired.insert(id, oid);
        }
    }

    let mut out = Vec::new();
    for (id, res) in n {
        let entry = |action, changes, notes| ResourceChange {
            logical_id: id.clone(),
            old_logical_id: None,
            type_name: res.type_name.clone(),
            path: res.path().map(str::to_owned),
            action,
            changes,
            notes,
        };
        if let Some(before) = o.get(id) {
            let (changes, notes) = resource_changes(before, res, ctx.all, hidden);
            if let Some(impact) = changes.iter().map(|c| c.impact).max() {
                out.push(entry(Action::from(impact), changes, notes));
            }
        } else if let Some(old_id) = paired.get(id.as_str()) {
            let (changes, mut notes) = resource_changes(&o[*old_id], res, ctx.all, hidden);
            notes.insert(
                0,
                format!("logical ID {old_id} -> {id}: CloudFormation creates a new resource and deletes the old one"),
            );
            let reason = res.construct_path().and_then(|p| ctx.accepted?.get(&p));
            if let Some(reason) = reason {
                notes.push(format!("replacement accepted: {reason}"));
            }
            let mut e = entry(Action::Replace, changes, notes);
            e.old_logical_id = Some((*old_id).to_owned());
            out.push(e);
        } else {
            out.push(entry(Action::Add, Vec::new(), Vec::new()));
        }
    }
    for (id, res) in o {
        if !n.contains_key(id) && !paired.values().any(|p| p == id) {
            out.push(ResourceChange {
                logical_id: id.clone(),
                old_logical_id: None,
                type_name: res.type_name.clone(),
                path: res.path().map(str::to_owned),
                action: Action::Remove,
                changes: Vec::new(),
                notes: Vec::new(),
            });
        }
    }
    out
}

/// The changes between two versions of a resource, each classified, and notes.
fn resource_changes(
    old: &ResourceDef,
    new: &ResourceDef,
    all: bool,
    hidden: &mut usize,
) -> (Vec<Change>, Vec<String>) {
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    let as_map = |r: &ResourceDef| match serde_json::to_value(r) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let (o, n) = (as_map(old), as_map(new));
    let info = type_info(&new.type_name);
    let type_changed = old.type_name != new.type_name;
    let keys = o.keys().chain(n.keys().filter(|k| !o.contains_key(*k)));
    for key in keys {
        let leaves = values::diff(vec![Seg::Key(key.clone())], o.get(key), n.get(key));
        if leaves.is_empty() {
            continue;
        }
        if key == "Metadata" && !all {
            *hidden += leaves.len();
            continue;
        }
        for leaf in leaves {
            let (impact, reason) = match key.as_str() {
                "Type" => (
                    Impact::Replace,
                    Some("the resource type changed".to_owned()),
                ),
                "Properties" if type_changed => (Impact::Replace, None),
                "Properties" => match info {
                    Some(info) => classify(info, &leaf.path[1..], o.get(key), n.get(key)),
                    None => (Impact::Update, None),
                },
                _ => (Impact::Update, None),
            };
            changes.push(Change {
                path: values::format_path(&leaf.path),
                old: leaf.old,
                new: leaf.new,
                impact,
                reason,
            });
        }
    }
    let touches_properties = changes.iter().any(|c| c.path.starts_with("Properties"));
    if info.is_none() && touches_properties {
        notes.push(format!(
            "no vendored schema for {}: replacements are not predicted",
            new.type_name
        ));
    }
    (changes, notes)
}

/// The impact of a change at `rel` (a path below `Properties`) given the type's create-only
/// properties, comparing the values at each overlapping pointer on both sides.
fn classify(
    info: &stackforge_constructs::TypeInfo,
    rel: &[Seg],
    old: Option<&Value>,
    new: Option<&Value>,
) -> (Impact, Option<String>) {
    let mut best = (Impact::Update, None);
    let mut consider = |impact: Impact, reason: String| {
        if impact > best.0 {
            best = (impact, Some(reason));
        }
    };
    let pointers = info
        .create_only
        .iter()
        .map(|p| (p, false))
        .chain(info.conditional_create_only.iter().map(|p| (p, true)));
    for (pointer, conditional) in pointers {
        let Some(segs) = values::pointer_segments(pointer) else {
            continue;
        };
        if !values::overlaps(&segs, rel) {
            continue;
        }
        let (a, b) = (values::resolve(old, &segs), values::resolve(new, &segs));
        if a == b {
            continue;
        }
        if conditional {
            consider(
                Impact::MayReplace,
                format!("conditionalCreateOnlyProperties: {pointer}"),
            );
        } else if a
            .iter()
            .chain(&b)
            .flatten()
            .any(|v| values::contains_intrinsic(v))
        {
            consider(
                Impact::MayReplace,
                format!("createOnlyProperties: {pointer} (an intrinsic: the deployed value may be the same)"),
            );
        } else {
            consider(Impact::Replace, format!("createOnlyProperties: {pointer}"));
        }
    }
    best
}

/// Entries of a named section (parameters, conditions, mappings) added, removed or changed.
fn entries(o: &Map<String, Value>, n: &Map<String, Value>) -> Vec<EntryChange> {
    let mut out = Vec::new();
    for (name, value) in n {
        match o.get(name) {
            None => out.push(entry(name, EntryAction::Add, None, Some(value))),
            Some(before) if before != value => {
                let mut e = entry(name, EntryAction::Change, Some(before), Some(value));
                e.changes = changes_below(before, value);
                out.push(e);
            }
            Some(_) => {}
        }
    }
    for (name, value) in o {
        if !n.contains_key(name) {
            out.push(entry(name, EntryAction::Remove, Some(value), None));
        }
    }
    out
}

fn entry(name: &str, action: EntryAction, old: Option<&Value>, new: Option<&Value>) -> EntryChange {
    EntryChange {
        name: name.to_owned(),
        action,
        old: old.cloned(),
        new: new.cloned(),
        changes: Vec::new(),
        danger: None,
    }
}

fn changes_below(old: &Value, new: &Value) -> Vec<Change> {
    values::diff(Vec::new(), Some(old), Some(new))
        .into_iter()
        .map(|l| Change {
            path: values::format_path(&l.path),
            old: l.old,
            new: l.new,
            impact: Impact::Update,
            reason: None,
        })
        .collect()
}

fn export_name(output: &Output) -> Option<Value> {
    output
        .export_name
        .as_ref()
        .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
}

/// Output changes, flagging removed or renamed exports; outputs kept for importers are left
/// to [`StackDiff::kept_exports`] unless more than their description changed.
fn outputs(
    old: &IndexMap<String, Output>,
    new: &IndexMap<String, Output>,
    kept: &[KeptExport],
) -> Vec<EntryChange> {
    let mut out = entries(&rendered(old), &rendered(new));
    out.retain_mut(|e| {
        if kept.iter().any(|k| k.output == e.name) {
            e.changes.retain(|c| c.path != "Description");
            if e.action == EntryAction::Change && e.changes.is_empty() {
                return false;
            }
        }
        let old_export = old.get(&e.name).and_then(export_name);
        let new_export = new.get(&e.name).and_then(export_name);
        e.danger = match (old_export, new_export) {
            (Some(x), None) => Some(format!(
                "export {} removed: stacks importing it can no longer deploy; remove their imports first",
                values::compact(Some(&x), 120)
            )),
            (Some(x), Some(y)) if x != y => Some(format!(
                "export {} renamed to {}: stacks importing the old name can no longer deploy",
                values::compact(Some(&x), 120),
                values::compact(Some(&y), 120)
            )),
            _ => None,
        };
        true
    });
    out
}

/// Top-level sections besides the modelled ones: the template `Metadata` (hidden unless
/// `--all`) and `Rules`.
fn other_sections(
    old: &Template,
    new: &Template,
    all: bool,
    hidden: &mut usize,
) -> Vec<EntryChange> {
    let mut out = Vec::new();
    let section = |t: &Template, key: &str| -> Option<Value> {
        match key {
            "Metadata" => (!t.metadata.is_empty())
                .then(|| Value::Object(t.metadata.clone().into_iter().collect())),
            _ => t.rules.clone(),
        }
    };
    for key in ["Metadata", "Rules"] {
        let (a, b) = (section(old, key), section(new, key));
        if a == b {
            continue;
        }
        if key == "Metadata" && !all {
            *hidden += 1;
            continue;
        }
        let action = match (&a, &b) {
            (None, _) => EntryAction::Add,
            (_, None) => EntryAction::Remove,
            _ => EntryAction::Change,
        };
        let mut e = entry(key, action, a.as_ref(), b.as_ref());
        if let (Some(a), Some(b)) = (&a, &b) {
            e.changes = changes_below(a, b);
        }
        out.push(e);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use stackforge_constructs::document;

    fn doc(v: Value) -> Template {
        document::from_json(&v).unwrap()
    }

    fn res(type_name: &str, path: &str, props: Value) -> Value {
        json!({"Type": type_name, "Properties": props, "Metadata": {"stackforge:path": path}})
    }

    fn one(old: Value, new: Value) -> ResourceChange {
        let d = diff_stack(
            "dev",
            "s",
            Some(&doc(json!({"Resources": {"R": old}}))),
            Some(&doc(json!({"Resources": {"R": new}}))),
            Context::default(),
        );
        assert_eq!(d.resources.len(), 1, "{:?}", d.resources);
        d.resources[0].clone()
    }

    #[test]
    fn create_only_change_replaces_and_tags_update_in_place() {
        let r = one(
            res(
                "AWS::EC2::Subnet",
                "s/Sn",
                json!({"CidrBlock": "10.0.0.0/24", "VpcId": "v"}),
            ),
            res(
                "AWS::EC2::Subnet",
                "s/Sn",
                json!({"CidrBlock": "10.0.1.0/24", "VpcId": "v"}),
            ),
        );
        assert_eq!(r.action, Action::Replace);
        assert_eq!(r.changes[0].path, "Properties.CidrBlock");
        assert_eq!(
            r.changes[0].reason.as_deref(),
            Some("createOnlyProperties: /properties/CidrBlock")
        );
        let r = one(
            res("AWS::Logs::LogGroup", "s/L", json!({"RetentionInDays": 7})),
            res("AWS::Logs::LogGroup", "s/L", json!({"RetentionInDays": 30})),
        );
        assert_eq!(r.action, Action::Update);
    }

    #[test]
    fn nested_create_only_pointer_and_intrinsics_and_conditional_ones() {
        let ecr = |k: Value| {
            res(
                "AWS::ECR::Repository",
                "s/Repo",
                json!({"EncryptionConfiguration": {"EncryptionType": "KMS", "KmsKey": k}}),
            )
        };
        assert_eq!(
            one(ecr(json!("a")), ecr(json!("b"))).action,
            Action::Replace
        );
        let r = one(ecr(json!("a")), ecr(json!({"Fn::GetAtt": ["Key", "Arn"]})));
        assert_eq!(r.action, Action::MayReplace);
        let vpc = |t: &str| res("AWS::EC2::VPC", "s/Vpc", json!({"InstanceTenancy": t}));
        let r = one(vpc("default"), vpc("dedicated"));
        assert_eq!(r.action, Action::MayReplace);
        assert_eq!(
            r.changes[0].reason.as_deref(),
            Some("conditionalCreateOnlyProperties: /properties/InstanceTenancy")
        );
    }

    #[test]
    fn type_change_replaces_and_unknown_types_are_noted() {
        let r = one(
            res("AWS::SNS::Topic", "s/T", json!({})),
            res("AWS::SQS::Queue", "s/T", json!({})),
        );
        assert_eq!(r.action, Action::Replace);
        assert_eq!(r.changes[0].path, "Type");
        let r = one(
            res("Custom::Thing", "s/C", json!({"A": 1})),
            res("Custom::Thing", "s/C", json!({"A": 2})),
        );
        assert_eq!(r.action, Action::Update);
        assert!(r.notes[0].contains("no vendored schema"), "{:?}", r.notes);
    }

    #[test]
    fn same_path_new_id_is_one_replacement_and_metadata_is_hidden_unless_all() {
        let old = doc(json!({"Resources": {"A": res("AWS::SNS::Topic", "s/T", json!({}))}}));
        let new = doc(json!({"Resources": {"B": res("AWS::SNS::Topic", "s/T", json!({}))}}));
        let d = diff_stack("dev", "s", Some(&old), Some(&new), Context::default());
        assert_eq!(d.resources.len(), 1);
        assert_eq!(d.resources[0].action, Action::Replace);
        assert_eq!(d.resources[0].old_logical_id.as_deref(), Some("A"));

        let new = doc(json!({"Resources": {"A": res("AWS::SNS::Topic", "s/T2", json!({}))}}));
        let d = diff_stack("dev", "s", Some(&old), Some(&new), Context::default());
        assert!(d.resources.is_empty());
        assert_eq!((d.hidden, d.status), (1, StackStatus::Unchanged));
        let all = Context {
            all: true,
            ..Context::default()
        };
        let d = diff_stack("dev", "s", Some(&old), Some(&new), all);
        assert_eq!(d.resources[0].changes[0].path, "Metadata.stackforge:path");
        assert_eq!(d.status, StackStatus::Changed);
    }

    #[test]
    fn removed_and_renamed_exports_are_dangerous() {
        let old = doc(json!({"Resources": {}, "Outputs": {
            "A": {"Value": "1", "Export": {"Name": "x"}},
            "B": {"Value": "2", "Export": {"Name": "y"}},
            "C": {"Value": "3"}}}));
        let new = doc(json!({"Resources": {}, "Outputs": {
            "B": {"Value": "2", "Export": {"Name": "y2"}},
            "C": {"Value": "4"}}}));
        let d = diff_stack("dev", "s", Some(&old), Some(&new), Context::default());
        let by = |n: &str| d.outputs.iter().find(|e| e.name == n).unwrap();
        assert!(by("A")
            .danger
            .as_ref()
            .unwrap()
            .contains("export \"x\" removed"));
        assert!(by("B")
            .danger
            .as_ref()
            .unwrap()
            .contains("renamed to \"y2\""));
        assert_eq!(by("C").danger, None);
        assert_eq!(by("C").changes[0].path, "Value");
        assert_eq!(d.summary().dangerous, 2);
    }
}
