//! Renames and moves against the committed state: pairs by construct-path lineage, each
//! either declared (a refactor, checked and recorded), accepted as a replacement
//! (`allow_replacement`), or refused with the code that keeps the logical IDs.

use super::super::Draft;
use crate::change::lineage::{pair_by_lineage, Pair, SubtreeMove};
use crate::change::refactor::{plan_refactor, DeclaredRefactor, RecordedRefactor, ResourceMapping};
use crate::change::{identities, EnvTemplates};
use crate::committed::{
    CommittedEnv, IdentityChange, RefactorRefusal, SafetyReport, UnusedRefactor,
};
use crate::logical_id::make_unique_id;
use crate::path::ConstructPath;

/// The pairs found, and what synth records.
pub(super) struct Identity {
    /// Every pair, with whether a declaration covers it.
    pub(super) pairs: Vec<(Pair, bool)>,
    /// The refactors to record in the manifest.
    pub(super) recorded: Vec<RecordedRefactor>,
}

impl Identity {
    /// The declared pair whose committed side is `stack`/`id`, if any.
    pub(super) fn declared_from(&self, stack: &str, id: &str) -> Option<&Pair> {
        self.pairs
            .iter()
            .find(|(p, d)| *d && p.old.stack == stack && p.old.logical_id == id)
            .map(|(p, _)| p)
    }
}

pub(super) fn check(
    env: &str,
    new: &EnvTemplates,
    committed: &CommittedEnv,
    drafts: &[Draft<'_>],
    declared: &[DeclaredRefactor],
    report: &mut SafetyReport,
) -> Identity {
    let accepted: Vec<&ConstructPath> = drafts
        .iter()
        .flat_map(|d| d.stack.accepted_replacements.keys())
        .collect();
    let moves = pair_by_lineage(&committed.all_identities(), &identities(new));
    let mut pairs = Vec::new();
    let mut fresh: Vec<(DeclaredRefactor, Vec<ResourceMapping>, Vec<Pair>)> = Vec::new();
    for m in moves {
        let mut refused = Vec::new();
        for p in m.pairs.iter() {
            let by = declared.iter().find(|d| d.covers(p));
            if let Some(d) = by {
                let entry = match fresh.iter_mut().find(|(x, _, _)| x == d) {
                    Some(e) => e,
                    None => {
                        fresh.push((d.clone(), Vec::new(), Vec::new()));
                        fresh.last_mut().expect("just pushed")
                    }
                };
                entry.1.push(ResourceMapping {
                    source: p.old.clone(),
                    destination: p.new.clone(),
                    type_name: p.type_name.clone(),
                });
                entry.2.push(p.clone());
            } else if !accepted.iter().any(|a| p.new_path.is_within(a)) {
                refused.push(p.clone());
            }
            pairs.push((p.clone(), by.is_some()));
        }
        if !refused.is_empty() {
            let subtree = SubtreeMove {
                from: m.from.clone(),
                to: m.to.clone(),
                pairs: refused,
            };
            let keep_ids = keep_ids_code(&subtree);
            report.identity_changes.push(IdentityChange {
                env: env.to_owned(),
                subtree,
                keep_ids,
            });
        }
    }

    // Up front: what stack refactoring cannot carry out.
    let mappings: Vec<ResourceMapping> = fresh.iter().flat_map(|f| f.1.iter().cloned()).collect();
    if !mappings.is_empty() {
        if let Err(problems) = plan_refactor(&committed.templates, new, &mappings) {
            for mut problem in problems {
                let pair = problem.mapping.as_ref().and_then(|m| {
                    fresh.iter().find_map(|(_, ms, pairs)| {
                        ms.iter().position(|x| x == m).map(|i| &pairs[i])
                    })
                });
                if let Some(p) = pair.filter(|p| !p.is_move()) {
                    problem.fix = format!(
                        "keep its logical ID and let the refactor rename the others: {}",
                        keep_one(p)
                    );
                }
                report.refactor_refusals.push(RefactorRefusal {
                    env: env.to_owned(),
                    path: pair.map(|p| p.new_path.clone()),
                    problem,
                });
            }
        }
    }

    // Recorded: fresh mappings, and those the committed manifest recorded for declarations
    // still made (the committed templates already have the new IDs then).
    let mut recorded: Vec<RecordedRefactor> = Vec::new();
    for d in declared {
        let mut resources: Vec<ResourceMapping> = fresh
            .iter()
            .filter(|(x, _, _)| x == d)
            .flat_map(|(_, ms, _)| ms.iter().cloned())
            .collect();
        for r in committed
            .recorded_refactors()
            .iter()
            .filter(|r| r.from == d.from && r.to == d.to)
        {
            for m in &r.resources {
                let exists = new
                    .get(&m.destination.stack)
                    .is_some_and(|t| t.resources.contains_key(&m.destination.logical_id));
                if exists && !resources.iter().any(|x| x.source == m.source) {
                    resources.push(m.clone());
                }
            }
        }
        if resources.is_empty() {
            if !committed.templates.is_empty()
                && !recorded.iter().any(|r| r.from == d.from && r.to == d.to)
            {
                report.unused_refactors.push(UnusedRefactor {
                    env: env.to_owned(),
                    declared: d.clone(),
                });
            }
            continue;
        }
        if !recorded.iter().any(|r| r.from == d.from && r.to == d.to) {
            recorded.push(RecordedRefactor {
                from: d.from.clone(),
                to: d.to.clone(),
                resources,
            });
        }
    }
    Identity { pairs, recorded }
}

/// The code that keeps one resource's logical ID.
fn keep_one(p: &Pair) -> String {
    if make_unique_id(&p.old_path.below_stack()).as_deref() == Some(p.old.logical_id.as_str()) {
        format!(
            "`stack.keep_logical_ids_of(\"{}\", \"{}\")?;`",
            p.old_path, p.new_path
        )
    } else {
        format!(
            "`stack.override_logical_id(\"{}\", \"{}\")?;`",
            p.new_path, p.old.logical_id
        )
    }
}

/// The code that keeps the logical IDs of a subtree's resources: the subtree helper when
/// every committed ID is the one computed from the committed path, else one override per
/// resource. Empty for a move to another stack.
fn keep_ids_code(m: &SubtreeMove) -> Vec<String> {
    if m.is_move() {
        return Vec::new();
    }
    let computed = m.from != m.to
        && m.pairs.iter().all(|p| {
            make_unique_id(&p.old_path.below_stack()).as_deref() == Some(p.old.logical_id.as_str())
        });
    if computed {
        return vec![format!(
            "stack.keep_logical_ids_of(\"{}\", \"{}\")?;",
            m.from, m.to
        )];
    }
    m.pairs
        .iter()
        .map(|p| {
            format!(
                "stack.override_logical_id(\"{}\", \"{}\")?;",
                p.new_path, p.old.logical_id
            )
        })
        .collect()
}
