//! Comparing whole environments: renames and moves paired across stacks by construct
//! lineage, replacements propagated through every use (the blast radius), export values that
//! change while imported, stateful resources at risk and security changes, on top of the
//! per-stack comparison.

use std::collections::HashMap;

use indexmap::IndexMap;
use stackforge_construct_model::change::blast::{predict, Paired, Prediction};
use stackforge_construct_model::change::refactor::ResourceMapping;
use stackforge_construct_model::change::{identities, pair_by_lineage, stateful, Location, Pair};
use stackforge_construct_model::layout::KeptExport;
use stackforge_construct_model::{ConstructPath, RemovalPolicy, Template};

use super::compare::{stack_diff, Links};
use super::{
    security, Action, AffectedResource, EntryAction, EntryChange, Moved, ResourceChange, StackDiff,
    StackStatus,
};

/// The templates of one environment by stack short name.
pub type Templates = IndexMap<String, Template>;

/// What an environment's comparison needs besides the templates.
#[derive(Debug, Default)]
pub struct EnvContext<'a> {
    /// Show metadata-only changes (`--all`).
    pub all: bool,
    /// Construct paths (and below) whose replacement the app declared intended, with the
    /// reason.
    pub accepted: Vec<(&'a ConstructPath, &'a str)>,
    /// Outputs kept for importers, per stack; shown as kept rather than as changed.
    pub kept: IndexMap<String, &'a [KeptExport]>,
    /// The mappings of the declared refactors: they keep the renamed and moved resources.
    pub refactors: Vec<&'a ResourceMapping>,
}

/// Compares environment `env`: every stack of `new` (in order), then the stacks only `old`
/// has.
pub fn diff_env(
    env: &str,
    old: &Templates,
    new: &Templates,
    ctx: &EnvContext<'_>,
) -> Vec<StackDiff> {
    let moves = pair_by_lineage(&identities(old), &identities(new));
    let pairs: Vec<(&Pair, bool)> = moves
        .iter()
        .flat_map(|m| &m.pairs)
        .map(|p| (p, declared(&ctx.refactors, p)))
        .collect();
    let paired: Vec<Paired<'_>> = pairs
        .iter()
        .map(|(pair, declared)| Paired {
            pair,
            declared: *declared,
        })
        .collect();
    let prediction = predict(old, new, &paired);

    let mut renames_by_stack: HashMap<&str, HashMap<String, String>> = HashMap::new();
    for (p, _) in &pairs {
        renames_by_stack
            .entry(p.old.stack.as_str())
            .or_default()
            .insert(p.old.logical_id.clone(), p.new.logical_id.clone());
    }
    let no_renames = HashMap::new();

    let names = new
        .keys()
        .chain(old.keys().filter(|k| !new.contains_key(*k)));
    let mut out = Vec::new();
    for stack in names {
        let mut links = Links {
            accepted: ctx.accepted.clone(),
            ..Links::default()
        };
        for (p, declared) in &pairs {
            if p.old.stack == *stack {
                links
                    .renames
                    .insert(p.old.logical_id.clone(), p.new.logical_id.clone());
            }
            if p.new.stack == *stack && p.old.stack == *stack {
                links.renamed.insert(
                    p.new.logical_id.clone(),
                    (p.old.logical_id.clone(), *declared),
                );
            } else if p.old.stack == *stack {
                if let Some(after) = new
                    .get(&p.new.stack)
                    .and_then(|t| t.resources.get(&p.new.logical_id))
                {
                    let to = Moved {
                        stack: p.new.stack.clone(),
                        logical_id: p.new.logical_id.clone(),
                    };
                    links
                        .moved_out
                        .insert(p.old.logical_id.clone(), (to, after, *declared));
                }
            } else if p.new.stack == *stack {
                links.moved_in.push(p.new.logical_id.clone());
            }
        }
        let kept = ctx.kept.get(stack).copied().unwrap_or(&[]);
        let mut d = stack_diff(
            env,
            stack,
            old.get(stack),
            new.get(stack),
            ctx.all,
            kept,
            &links,
        );
        cascade(&mut d, new.get(stack), &prediction);
        d.affected = affected(stack, new, &prediction);
        export_dangers(&mut d, old.get(stack), &prediction);
        at_risk(&mut d, old.get(stack), new.get(stack));
        let mut before: security::Before<'_> = HashMap::new();
        for id in new.get(stack).into_iter().flat_map(|t| t.resources.keys()) {
            let here = Location::new(stack, id);
            let from = pairs
                .iter()
                .find(|(p, _)| p.new == here)
                .map_or(&here, |(p, _)| &p.old);
            let def = old
                .get(&from.stack)
                .and_then(|t| t.resources.get(&from.logical_id));
            if let Some(def) = def {
                let renames = renames_by_stack
                    .get(from.stack.as_str())
                    .unwrap_or(&no_renames);
                before.insert(id.clone(), (def, renames));
            }
        }
        d.security = security::changes(new.get(stack), &before);
        if d.status == StackStatus::Unchanged && d.summary().has_changes() {
            d.status = StackStatus::Changed;
        }
        out.push(d);
    }
    out
}

fn declared(refactors: &[&ResourceMapping], p: &Pair) -> bool {
    refactors
        .iter()
        .any(|m| m.source == p.old && m.destination == p.new)
}

/// Resources replaced (or possibly replaced) only because they use a replaced resource: a new
/// entry, or a stronger action for an entry that only updates.
fn cascade(d: &mut StackDiff, new: Option<&Template>, prediction: &Prediction) {
    let Some(new) = new else { return };
    for r in prediction
        .replaced
        .iter()
        .filter(|r| r.cascaded && r.location.stack == d.stack)
    {
        let action = if r.certain {
            Action::Replace
        } else {
            Action::MayReplace
        };
        match d
            .resources
            .iter_mut()
            .find(|e| e.logical_id == r.location.logical_id && e.moved_to.is_none())
        {
            Some(e) => {
                if matches!(e.action, Action::Update | Action::MayReplace)
                    && action_rank(action) > action_rank(e.action)
                {
                    e.action = action;
                }
                e.cascade = Some(r.reason.clone());
            }
            None => {
                let Some(res) = new.resources.get(&r.location.logical_id) else {
                    continue;
                };
                d.resources.push(ResourceChange {
                    logical_id: r.location.logical_id.clone(),
                    old_logical_id: None,
                    type_name: res.type_name.clone(),
                    path: res.path().map(str::to_owned),
                    action,
                    changes: Vec::new(),
                    notes: Vec::new(),
                    moved_to: None,
                    refactor: false,
                    cascade: Some(r.reason.clone()),
                    stateful: None,
                });
            }
        }
    }
}

fn action_rank(a: Action) -> u8 {
    match a {
        Action::Update => 1,
        Action::MayReplace => 2,
        Action::Replace => 3,
        _ => 0,
    }
}

fn affected(stack: &str, new: &Templates, prediction: &Prediction) -> Vec<AffectedResource> {
    let describe = |l: &Location| -> (String, Option<String>) {
        let r = new
            .get(&l.stack)
            .and_then(|t| t.resources.get(&l.logical_id));
        (
            r.map(|r| r.type_name.clone()).unwrap_or_default(),
            r.and_then(|r| r.path().map(str::to_owned)),
        )
    };
    prediction
        .affected
        .iter()
        .filter(|a| a.location.stack == stack)
        .map(|a| {
            let (type_name, path) = describe(&a.location);
            AffectedResource {
                logical_id: a.location.logical_id.clone(),
                type_name,
                path,
                uses: a.uses.to_string(),
                certain: a.certain,
                at: a.at.clone(),
                impact: a.impact,
                reason: a.reason.clone(),
            }
        })
        .collect()
}

/// Exports of this stack whose value changes (or may) while other stacks import them.
fn export_dangers(d: &mut StackDiff, old: Option<&Template>, prediction: &Prediction) {
    for c in prediction.exports.iter().filter(|c| c.stack == d.stack) {
        if c.cause == "the export is removed" {
            continue; // the output entry says so
        }
        let danger = format!(
            "export {} {} while {} import{} it ({}); CloudFormation refuses to update an export in use",
            c.export,
            if c.certain { "gets a new value" } else { "may get a new value" },
            c.importers.join(", "),
            if c.importers.len() == 1 { "s" } else { "" },
            c.cause
        );
        match d.outputs.iter_mut().find(|e| e.name == c.output) {
            Some(e) => e.danger = Some(danger),
            None => {
                let value = old
                    .and_then(|t| t.outputs.get(&c.output))
                    .and_then(|o| serde_json::to_value(o).ok());
                d.outputs.push(EntryChange {
                    name: c.output.clone(),
                    action: EntryAction::Change,
                    old: value.clone(),
                    new: value,
                    changes: Vec::new(),
                    danger: Some(danger),
                });
            }
        }
    }
}

/// Marks replaced, possibly replaced and removed stateful resources with what they lose.
fn at_risk(d: &mut StackDiff, old: Option<&Template>, new: Option<&Template>) {
    for e in &mut d.resources {
        let Some(loses) = stateful::loses(&e.type_name) else {
            continue;
        };
        let def = match e.action {
            Action::Remove => old.and_then(|t| t.resources.get(&e.logical_id)),
            _ => new.and_then(|t| t.resources.get(&e.logical_id)),
        };
        let kept = |p: Option<RemovalPolicy>| {
            matches!(
                p,
                Some(
                    RemovalPolicy::Retain
                        | RemovalPolicy::RetainExceptOnCreate
                        | RemovalPolicy::Snapshot
                )
            )
        };
        let risk = match e.action {
            Action::Replace | Action::MayReplace => {
                Some(match def.and_then(|r| r.update_replace_policy) {
                    Some(RemovalPolicy::Snapshot) => format!(
                        "{loses} (a snapshot of the old one is taken; the new one starts empty)"
                    ),
                    p @ Some(_) if kept(p) => {
                        format!("{loses} (the old one is retained; the new one starts empty)")
                    }
                    _ => loses.to_owned(),
                })
            }
            Action::Remove => match def.map(|r| r.deletion_policy) {
                Some(p) if kept(p) => None,
                _ => Some(loses.to_owned()),
            },
            _ => None,
        };
        e.stateful = risk;
    }
}
