//! Comparing two templates of a stack section by section: identity (construct paths, types,
//! exports, the renames and moves found across the environment) through the template model,
//! values as rendered.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::{Map, Value};
use stackforge_construct_model::change::impact::{classify, create_only};
use stackforge_construct_model::change::rename::rename_refs;
use stackforge_construct_model::layout::KeptExport;
use stackforge_construct_model::template::{Output, ResourceDef};
use stackforge_construct_model::{ConstructPath, Template};

use super::values::{self, Seg};
use super::{
    Action, Change, EntryAction, EntryChange, Impact, Moved, ResourceChange, StackDiff,
    StackStatus, ValueChange,
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
/// Renames inside the stack are found by construct lineage; for moves across stacks and the
/// blast radius through imports, compare whole environments with [`super::diff_env`].
pub fn diff_stack(
    env: &str,
    stack: &str,
    old: Option<&Template>,
    new: Option<&Template>,
    ctx: Context<'_>,
) -> StackDiff {
    let side = |t: Option<&Template>| -> super::env::Templates {
        t.map(|t| (stack.to_owned(), t.clone()))
            .into_iter()
            .collect()
    };
    let accepted: Vec<(&ConstructPath, &str)> = ctx
        .accepted
        .map(|a| a.iter().map(|(p, r)| (p, r.as_str())).collect())
        .unwrap_or_default();
    let env_ctx = super::EnvContext {
        all: ctx.all,
        accepted,
        kept: [(stack.to_owned(), ctx.kept)].into_iter().collect(),
        refactors: Vec::new(),
    };
    super::diff_env(env, &side(old), &side(new), &env_ctx)
        .into_iter()
        .next()
        .unwrap_or_else(|| empty(env, stack))
}

fn empty(env: &str, stack: &str) -> StackDiff {
    StackDiff {
        env: env.to_owned(),
        stack: stack.to_owned(),
        file: None,
        status: StackStatus::Unchanged,
        description: None,
        resources: Vec::new(),
        outputs: Vec::new(),
        parameters: Vec::new(),
        conditions: Vec::new(),
        mappings: Vec::new(),
        other: Vec::new(),
        kept_exports: Vec::new(),
        affected: Vec::new(),
        security: Vec::new(),
        hidden: 0,
    }
}

/// The renames and moves that touch one stack, found across the environment.
#[derive(Debug, Default)]
pub(super) struct Links<'a> {
    /// New logical ID -> (old logical ID, declared refactor).
    pub renamed: IndexMap<String, (String, bool)>,
    /// Old logical ID -> (where it goes, its new definition, declared refactor).
    pub moved_out: IndexMap<String, (Moved, &'a ResourceDef, bool)>,
    /// New logical IDs that arrive from another stack (shown where they leave).
    pub moved_in: Vec<String>,
    /// Construct paths whose replacement the app declared intended, with the reason.
    pub accepted: Vec<(&'a ConstructPath, &'a str)>,
    /// Old logical ID -> new one, for every resource of this stack renamed or moved: the
    /// references of an old definition read as the new one's before they are compared.
    pub renames: HashMap<String, String>,
}

/// The comparison of one stack's templates, given the links found across the environment.
pub(super) fn stack_diff(
    env: &str,
    stack: &str,
    old: Option<&Template>,
    new: Option<&Template>,
    all: bool,
    kept: &[KeptExport],
    links: &Links<'_>,
) -> StackDiff {
    let blank = Template::default();
    let (o, n) = (old.unwrap_or(&blank), new.unwrap_or(&blank));
    let mut hidden = 0;
    let mut d = empty(env, stack);
    d.resources = resources(o, n, all, links, &mut hidden);
    d.outputs = outputs(&o.outputs, &n.outputs, kept);
    d.parameters = entries(&rendered(&o.parameters), &rendered(&n.parameters));
    d.conditions = entries(&rendered(&o.conditions), &rendered(&n.conditions));
    d.mappings = entries(&rendered(&o.mappings), &rendered(&n.mappings));
    d.kept_exports = kept.to_vec();
    if o.description != n.description {
        d.description = Some(ValueChange {
            old: o.description.clone().map(Value::String),
            new: n.description.clone().map(Value::String),
        });
    }
    d.other = other_sections(o, n, all, &mut hidden);
    d.hidden = hidden;
    d.status = match (old, new) {
        (None, _) => StackStatus::Added,
        (_, None) => StackStatus::Removed,
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
    all: bool,
    links: &Links<'_>,
    hidden: &mut usize,
) -> Vec<ResourceChange> {
    let (o, n) = (&old.resources, &new.resources);
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
            moved_to: None,
            refactor: false,
            cascade: None,
            stateful: None,
        };
        if links.moved_in.contains(id) {
            continue;
        }
        if let Some((old_id, declared)) = links.renamed.get(id) {
            let Some(before) = o.get(old_id) else {
                continue;
            };
            let (changes, mut notes) = resource_changes(before, res, all, &links.renames, hidden);
            let action = if *declared {
                notes.insert(0, format!("renamed from {old_id} by the declared refactor: stack refactoring renames it before the update, nothing is replaced"));
                Action::Rename
            } else {
                notes.insert(0, format!("renamed from {old_id} without a declared refactor: CloudFormation creates a new resource and deletes the old one"));
                accepted_note(links, res, &mut notes);
                Action::Replace
            };
            let mut e = entry(action, changes, notes);
            e.old_logical_id = Some(old_id.clone());
            e.refactor = *declared;
            out.push(e);
        } else if let Some(before) = o.get(id) {
            let (changes, notes) = resource_changes(before, res, all, &links.renames, hidden);
            if let Some(impact) = changes.iter().map(|c| c.impact).max() {
                out.push(entry(Action::from(impact), changes, notes));
            }
        } else {
            out.push(entry(Action::Add, Vec::new(), Vec::new()));
        }
    }
    for (id, res) in o {
        let renamed_away = links.renamed.values().any(|(old_id, _)| old_id == id);
        if n.contains_key(id) || renamed_away {
            continue;
        }
        let mut e = ResourceChange {
            logical_id: id.clone(),
            old_logical_id: None,
            type_name: res.type_name.clone(),
            path: res.path().map(str::to_owned),
            action: Action::Remove,
            changes: Vec::new(),
            notes: Vec::new(),
            moved_to: None,
            refactor: false,
            cascade: None,
            stateful: None,
        };
        if let Some((to, after, declared)) = links.moved_out.get(id) {
            let (changes, mut notes) = resource_changes(res, after, all, &links.renames, hidden);
            if *declared {
                notes.insert(0, format!("moved to stack {} as {} by the declared refactor: stack refactoring moves it before the update, nothing is replaced", to.stack, to.logical_id));
                e.action = Action::Move;
            } else {
                notes.insert(0, format!("moved to stack {} as {} without a declared refactor: CloudFormation creates it there and deletes it here", to.stack, to.logical_id));
                accepted_note(links, after, &mut notes);
                e.action = Action::Replace;
            }
            e.path = after.path().map(str::to_owned);
            e.changes = changes;
            e.notes = notes;
            e.moved_to = Some(to.clone());
            e.refactor = *declared;
        }
        out.push(e);
    }
    out
}

/// Renames the logical IDs of a `DependsOn` value.
fn rename_ids(v: &mut Value, renames: &HashMap<String, String>) {
    match v {
        Value::String(id) => {
            if let Some(n) = renames.get(id.as_str()) {
                *id = n.clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rename_ids(x, renames)),
        _ => {}
    }
}

fn accepted_note(links: &Links<'_>, res: &ResourceDef, notes: &mut Vec<String>) {
    let Some(path) = res.construct_path() else {
        return;
    };
    if let Some((_, reason)) = links.accepted.iter().find(|(p, _)| path.is_within(p)) {
        notes.push(format!("replacement accepted: {reason}"));
    }
}

/// The changes between two versions of a resource, each classified, and notes.
fn resource_changes(
    old: &ResourceDef,
    new: &ResourceDef,
    all: bool,
    renames: &HashMap<String, String>,
    hidden: &mut usize,
) -> (Vec<Change>, Vec<String>) {
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    let as_map = |r: &ResourceDef| match serde_json::to_value(r) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let (mut o, n) = (as_map(old), as_map(new));
    if !renames.is_empty() {
        for (key, v) in o.iter_mut() {
            match key.as_str() {
                "Metadata" => {}
                "DependsOn" => rename_ids(v, renames),
                _ => rename_refs(v, renames),
            }
        }
    }
    let known = create_only(&new.type_name).is_some();
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
                "Properties" => classify(&new.type_name, &leaf.path[1..], o.get(key), n.get(key)),
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
    if !known && touches_properties {
        notes.push(format!(
            "no vendored schema for {}: replacements are not predicted",
            new.type_name
        ));
    }
    (changes, notes)
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
    use stackforge_construct_model::document;

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
