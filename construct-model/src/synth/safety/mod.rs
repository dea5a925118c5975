//! Change safety against the committed state, decided while the templates are still drafts:
//!
//! - `identity`: committed resources paired with new ones by construct-path lineage; renames
//!   and moves without a declaration are refused, declared ones checked against what stack
//!   refactoring supports and recorded for `deploy`;
//! - `exports`: exports committed templates of other stacks import are kept (so synth never
//!   writes a template CloudFormation would refuse), and exports whose value would change
//!   while imported are refused.

mod exports;
mod identity;

use super::Draft;
use crate::change::refactor::{DeclaredRefactor, RecordedRefactor};
use crate::change::EnvTemplates;
use crate::committed::{CommittedEnv, SafetyReport};
use crate::template::Template;

/// Runs the checks for the drafts of environment `env`; returns the refactors to record.
pub(super) fn check(
    env: &str,
    drafts: &mut [Draft<'_>],
    committed: &CommittedEnv,
    drop_kept: bool,
    declared: &[DeclaredRefactor],
    report: &mut SafetyReport,
) -> Vec<RecordedRefactor> {
    let before = templates(drafts);
    let identity = identity::check(env, &before, committed, drafts, declared, report);
    for draft in drafts.iter_mut() {
        if committed.templates.contains_key(draft.stack.name()) {
            exports::keep(env, draft, committed, drop_kept, &identity, report);
        }
    }
    let after = templates(drafts);
    exports::values(env, committed, &after, &identity, report);
    identity.recorded
}

/// The drafts as templates (what the change analysis reads).
fn templates(drafts: &[Draft<'_>]) -> EnvTemplates {
    drafts
        .iter()
        .map(|d| {
            (
                d.stack.name().to_owned(),
                Template {
                    description: None,
                    metadata: Default::default(),
                    rules: None,
                    parameters: d.stack.parameters.clone(),
                    mappings: d.stack.mappings.clone(),
                    conditions: d.conditions.clone(),
                    resources: d.resources.clone(),
                    outputs: d.outputs.clone(),
                },
            )
        })
        .collect()
}
