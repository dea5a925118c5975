//! Change safety against the committed state, decided while the templates are still drafts:
//! exports committed templates of other stacks import are kept (so synth never writes a
//! template CloudFormation would refuse), and logical-ID changes of committed construct
//! paths are reported.

use indexmap::IndexMap;

use super::Draft;
use crate::committed::{CommittedEnv, Deadlock, KeptNote, Replacement, SafetyReport};
use crate::expr::{Expr, Use};
use crate::layout::KeptExport;
use crate::path::ConstructPath;
use crate::template::{Output, ResourceDef};

/// Runs both checks for the drafts of environment `env`.
pub(super) fn check(
    env: &str,
    drafts: &mut [Draft<'_>],
    committed: &CommittedEnv,
    drop_kept: bool,
    report: &mut SafetyReport,
) {
    for draft in drafts.iter_mut() {
        if !committed.templates.contains_key(draft.stack.name()) {
            continue;
        }
        keep_exports(env, draft, committed, drop_kept, report);
        replacements(env, draft, committed, report);
    }
}

fn keep_exports(
    env: &str,
    draft: &mut Draft<'_>,
    committed: &CommittedEnv,
    drop_kept: bool,
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
        let missing = missing_uses(draft, decl.decl);
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
                value: decl.decl.value.clone(),
                export_name: Some(Expr::String(export.to_owned())),
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

/// What a committed output's value (and condition) uses that the draft no longer has.
fn missing_uses(draft: &Draft<'_>, output: &Output) -> Vec<String> {
    let mut missing: Vec<String> = Vec::new();
    for (_, u) in output.value.uses() {
        let Use::Local { id, .. } = u else { continue };
        let known = draft.resources.contains_key(id) || draft.stack.parameters.contains_key(id);
        let shown = format!("`{id}`");
        if !known && !missing.contains(&shown) {
            missing.push(shown);
        }
    }
    if let Some(c) = &output.condition {
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

fn path_of(r: &ResourceDef) -> Option<ConstructPath> {
    r.construct_path()
}

/// Logical-ID changes of committed resources: a committed path under a new ID, or a
/// vanished resource whose twin (same type and properties) appears under a new path and ID.
fn replacements(env: &str, draft: &Draft<'_>, committed: &CommittedEnv, report: &mut SafetyReport) {
    let stack = draft.stack.name();
    let old_ids = committed.identities(stack);
    let accepted = |p: &ConstructPath| draft.stack.accepted_replacements.contains_key(p);
    let new_paths: IndexMap<&String, ConstructPath> = draft
        .resources
        .iter()
        .filter_map(|(id, r)| Some((id, path_of(r)?)))
        .collect();
    let replacement = |path: &ConstructPath, old_id: &str, new_id: &str, from| Replacement {
        env: env.to_owned(),
        stack: stack.to_owned(),
        path: path.clone(),
        old_id: old_id.to_owned(),
        new_id: new_id.to_owned(),
        moved_from: from,
    };

    for (id, path) in &new_paths {
        let before = old_ids.iter().find(|(oid, op)| oid != id && *op == path);
        if let Some((old_id, _)) = before {
            if !accepted(path) {
                report
                    .replacements
                    .push(replacement(path, old_id, id, None));
            }
        }
    }

    // Moved: a vanished resource (ID and path gone) and a new one (ID and path new) of the
    // same type and properties, compared as rendered.
    let Some(old_template) = committed.templates.get(stack) else {
        return;
    };
    let vanished = old_ids.iter().filter(|(id, p)| {
        !draft.resources.contains_key(*id) && !new_paths.values().any(|np| np == *p)
    });
    let mut taken: Vec<&String> = Vec::new();
    for (old_id, old_path) in vanished {
        let Some(old) = old_template.resources.get(old_id) else {
            continue;
        };
        let old_props = serde_json::to_value(&old.properties).ok();
        let twin = new_paths.iter().find(|(id, p)| {
            !old_ids.contains_key(**id)
                && !taken.contains(id)
                && !old_ids.values().any(|op| op == *p)
                && draft.resources.get(**id).is_some_and(|r| {
                    r.type_name == old.type_name
                        && serde_json::to_value(&r.properties).ok() == old_props
                })
        });
        if let Some((id, path)) = twin {
            taken.push(id);
            if !accepted(path) {
                report
                    .replacements
                    .push(replacement(path, old_id, id, Some(old_path.clone())));
            }
        }
    }
}
