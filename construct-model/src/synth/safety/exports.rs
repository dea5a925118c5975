//! Exports against the committed state: an export committed templates of other stacks still
//! import is kept (its value follows a declared rename), and an export whose value changes
//! while imported is refused with the deploy plan that works.

use std::collections::HashMap;

use super::super::Draft;
use super::identity::Identity;
use crate::change::blast::{predict, Paired};
use crate::change::EnvTemplates;
use crate::committed::{CommittedEnv, Deadlock, ExportValueChange, KeptNote, SafetyReport};
use crate::expr::{Expr, Reference, Use};
use crate::layout::KeptExport;
use crate::template::Output;

/// Keeps, in `draft`, the committed exports other committed templates still import.
pub(super) fn keep(
    env: &str,
    draft: &mut Draft<'_>,
    committed: &CommittedEnv,
    drop_kept: bool,
    identity: &Identity,
    report: &mut SafetyReport,
) {
    let stack = draft.stack.name().to_owned();
    let Some(old) = committed.templates.get(&stack) else {
        return;
    };
    let produced: Vec<String> = draft
        .outputs
        .values()
        .filter_map(|o| o.export_name.as_ref()?.as_str().map(str::to_owned))
        .collect();
    for decl in old.exports() {
        let Some(export) = decl.name else { continue };
        if produced.iter().any(|p| p == export) {
            continue;
        }
        let importers: Vec<String> = committed
            .templates
            .iter()
            .filter(|(other, t)| **other != stack && t.imports().contains(&export))
            .map(|(other, _)| other.clone())
            .collect();
        let recorded = committed
            .kept_exports(&stack)
            .iter()
            .find(|k| k.export == export);
        let (importers, pending) = match recorded {
            _ if !importers.is_empty() => (importers, false),
            Some(k) if !drop_kept => (k.importers.clone(), true),
            _ => continue,
        };
        // A declared rename keeps the resource under its new ID: so does the export's value.
        let mut value = decl.decl.value.clone();
        let renames: HashMap<String, String> = value
            .uses()
            .iter()
            .filter_map(|(_, u)| match u {
                Use::Local { id, .. } => identity
                    .declared_from(&stack, id)
                    .filter(|p| !p.is_move())
                    .map(|p| ((*id).to_owned(), p.new.logical_id.clone())),
                _ => None,
            })
            .collect();
        rename(&mut value, &renames);
        let missing = missing_uses(draft, &value, decl.decl.condition.as_deref());
        if !missing.is_empty() {
            report.deadlocks.push(Deadlock {
                env: env.to_owned(),
                stack: stack.clone(),
                export: export.to_owned(),
                output: decl.output.to_owned(),
                importers,
                missing,
            });
            continue;
        }
        let output = unique_output_name(draft, decl.output);
        let who = importers.join(", ");
        draft.outputs.insert(
            output.clone(),
            Output {
                description: Some(format!(
                    "Kept by stackforge: still imported by {who}; remove after {who} is deployed without it"
                )),
                value,
                export_name: Some(Expr::str(export)),
                condition: decl.decl.condition.clone(),
            },
        );
        let kept = KeptExport {
            output,
            export: export.to_owned(),
            importers,
        };
        draft.kept.push(kept.clone());
        report.kept.push(KeptNote {
            env: env.to_owned(),
            stack: stack.clone(),
            kept,
            pending,
        });
    }
}

/// Renames the logical IDs a value uses (`Ref`, `Fn::GetAtt`, `Fn::Sub` placeholders).
fn rename(value: &mut Expr, map: &HashMap<String, String>) {
    if map.is_empty() {
        return;
    }
    value.visit_mut(&mut |e| match e {
        Expr::Ref(r) => {
            if let Some(n) = map.get(r.logical_id()) {
                *r = Reference::local(n);
            }
        }
        Expr::GetAtt { target, .. } => {
            if let Some(n) = map.get(target.logical_id()) {
                *target = Reference::local(n);
            }
        }
        Expr::Sub { template, .. } => {
            *template = crate::change::rename::rename_placeholders(template, map).into();
        }
        _ => {}
    });
}

/// What a kept output's value (and condition) uses that the draft no longer has.
fn missing_uses(draft: &Draft<'_>, value: &Expr, condition: Option<&str>) -> Vec<String> {
    let mut missing: Vec<String> = Vec::new();
    for (_, u) in value.uses() {
        let Use::Local { id, .. } = u else { continue };
        let known = draft.resources.contains_key(id) || draft.stack.parameters.contains_key(id);
        let shown = format!("`{id}`");
        if !known && !missing.contains(&shown) {
            missing.push(shown);
        }
    }
    if let Some(c) = condition {
        if !draft.conditions.contains_key(c) {
            missing.push(format!("condition `{c}`"));
        }
    }
    missing
}

fn unique_output_name(draft: &Draft<'_>, base: &str) -> String {
    let stack = draft.stack;
    let taken = |n: &str| {
        draft.outputs.contains_key(n)
            || draft.resources.contains_key(n)
            || stack.parameters.contains_key(n)
            || draft.conditions.contains_key(n)
            || stack.mappings.contains_key(n)
    };
    if !taken(base) {
        return base.to_owned();
    }
    (1..)
        .map(|i| {
            format!(
                "{base}Kept{}",
                if i == 1 { String::new() } else { i.to_string() }
            )
        })
        .find(|n| !taken(n))
        .unwrap_or_else(|| base.to_owned())
}

/// Exports committed importers import whose value this synth changes: a replaced resource
/// behind it (directly, or through a create-only property using a replaced one), or a new
/// value expression.
pub(super) fn values(
    env: &str,
    committed: &CommittedEnv,
    new: &EnvTemplates,
    identity: &Identity,
    report: &mut SafetyReport,
) {
    if committed.templates.is_empty() {
        return;
    }
    let paired: Vec<Paired<'_>> = identity
        .pairs
        .iter()
        .map(|(pair, declared)| Paired {
            pair,
            declared: *declared,
        })
        .collect();
    let prediction = predict(&committed.templates, new, &paired);
    for change in prediction.exports {
        // A removed export is the kept-exports check's (it keeps it or reports a deadlock).
        if change.cause == "the export is removed" {
            continue;
        }
        let construct = change.replaced.as_ref().and_then(|at| {
            let r = new.get(&at.stack)?.resources.get(&at.logical_id)?;
            let path = r.construct_path()?;
            Some(if path.id() == "Resource" {
                path.parent().unwrap_or(path)
            } else {
                path
            })
        });
        report.export_values.push(ExportValueChange {
            env: env.to_owned(),
            change,
            construct,
        });
    }
}
