//! Committed state: the previously synthesized (and committed) templates and manifests, the
//! record of what is deployed or about to be. Synthesis takes it as an explicit input
//! ([`crate::App::synth_with`]) and decides from it, as structured data, what a refactor
//! would replace and which exports must stay for their importers. The CLI only reads the
//! files (see `layout`) and prints what [`SafetyReport`] says.

use std::fmt;

use indexmap::IndexMap;

use crate::error::Error;
use crate::layout::{KeptExport, Manifest};
use crate::path::ConstructPath;
use crate::template::Template;

/// The committed output of one environment.
#[derive(Debug, Clone, Default)]
pub struct CommittedEnv {
    /// Its manifest, when the folder has one.
    pub manifest: Option<Manifest>,
    /// Its templates by stack short name.
    pub templates: IndexMap<String, Template>,
}

impl CommittedEnv {
    /// The identity the committed state records for stack `stack`: logical ID -> construct
    /// path. The committed template (what CloudFormation holds after the next deploy) wins;
    /// the manifest fills in resources whose metadata lost its path.
    pub fn identities(&self, stack: &str) -> IndexMap<String, ConstructPath> {
        let recorded = self
            .manifest
            .as_ref()
            .and_then(|m| m.stack(stack))
            .map(|s| &s.resources);
        let Some(template) = self.templates.get(stack) else {
            return recorded
                .map(|r| {
                    r.iter()
                        .map(|(id, r)| (id.clone(), r.path.clone()))
                        .collect()
                })
                .unwrap_or_default();
        };
        template
            .resources
            .iter()
            .filter_map(|(id, r)| {
                let path = r
                    .construct_path()
                    .or_else(|| Some(recorded?.get(id)?.path.clone()))?;
                Some((id.clone(), path))
            })
            .collect()
    }

    /// The exports the manifest records as kept for stack `stack`.
    pub fn kept_exports(&self, stack: &str) -> &[KeptExport] {
        self.manifest
            .as_ref()
            .and_then(|m| m.stack(stack))
            .map_or(&[], |s| s.kept_exports.as_slice())
    }
}

/// The committed state of an app: per environment name.
#[derive(Debug, Clone, Default)]
pub struct CommittedState {
    envs: IndexMap<String, CommittedEnv>,
    drop_kept_exports: bool,
}

impl CommittedState {
    /// No committed state (a first synth): nothing to compare with.
    pub fn none() -> Self {
        Self::default()
    }

    /// Adds the committed output of environment `env`.
    pub fn with_env(mut self, env: &str, committed: CommittedEnv) -> Self {
        self.envs.insert(env.to_owned(), committed);
        self
    }

    /// Drops kept exports that no committed template imports any more (run after the
    /// importers were deployed without them). Without this, a kept export stays, so that
    /// synthesizing twice gives the same bytes.
    pub fn dropping_kept_exports(mut self) -> Self {
        self.drop_kept_exports = true;
        self
    }

    /// Whether kept exports that nothing imports any more are dropped.
    pub fn drops_kept_exports(&self) -> bool {
        self.drop_kept_exports
    }

    /// The committed output of environment `env`, if any.
    pub fn env(&self, env: &str) -> Option<&CommittedEnv> {
        self.envs.get(env)
    }
}

/// A resource a synth would replace because its logical ID changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    /// The environment.
    pub env: String,
    /// The stack's short name.
    pub stack: String,
    /// The construct path in the new synth.
    pub path: ConstructPath,
    /// The logical ID in the committed template.
    pub old_id: String,
    /// The logical ID in the new synth.
    pub new_id: String,
    /// For a moved construct: the construct path the committed state records.
    pub moved_from: Option<ConstructPath>,
}

impl fmt::Display for Replacement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Replacement {
            env,
            stack,
            path,
            old_id,
            new_id,
            moved_from,
        } = self;
        match moved_from {
            None => write!(
                f,
                "{env}/{stack}: `{path}` has logical ID `{old_id}` in the committed template and `{new_id}` now"
            )?,
            Some(from) => write!(
                f,
                "{env}/{stack}: `{old_id}` (`{from}`) looks moved to `{path}` (same type and properties) with the new logical ID `{new_id}`"
            )?,
        }
        write!(
            f,
            "; CloudFormation would create a new resource and delete the old one.\n    Fix: keep the ID with `stack.override_logical_id(\"{path}\", \"{old_id}\")`, or declare the replacement intended with `stack.allow_replacement(\"{path}\", \"<reason>\")`."
        )
    }
}

/// An export that must stay for its importers but cannot: its value uses something the new
/// synth removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadlock {
    /// The environment.
    pub env: String,
    /// The producer's short name.
    pub stack: String,
    /// The export name.
    pub export: String,
    /// The output declaring it.
    pub output: String,
    /// Stacks importing it.
    pub importers: Vec<String>,
    /// What its value uses that is gone (`` `Alerts` ``, `` condition `IsProd` ``).
    pub missing: Vec<String>,
}

impl fmt::Display for Deadlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = self.importers.join(", ");
        let what = self.missing.join(", ");
        write!(
            f,
            "{}/{}: export `{}` (output `{}`) must stay because the committed template of {who} still imports it, but its value uses {what}, which this synth removes. CloudFormation cannot delete that while the export uses it, nor drop the export while {who} imports it.\n    Fix: keep {what} for one more deploy (synth and deploy so that {who} stops importing `{}`), then remove it in a later synth.",
            self.env, self.stack, self.export, self.output, self.export
        )
    }
}

/// An export kept for its importers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptNote {
    /// The environment.
    pub env: String,
    /// The producer's short name.
    pub stack: String,
    /// What is kept.
    pub kept: KeptExport,
    /// Whether no committed template imports it any more (it stays until
    /// [`CommittedState::dropping_kept_exports`]).
    pub pending: bool,
}

impl fmt::Display for KeptNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let KeptExport {
            output,
            export,
            importers,
        } = &self.kept;
        let who = importers.join(", ");
        if self.pending {
            write!(
                f,
                "{}/{}: export `{export}` stays (output `{output}`) until {who} is deployed without it; then run `synth --drop-kept-exports` and deploy",
                self.env, self.stack
            )
        } else {
            write!(
                f,
                "{}/{}: export `{export}` is no longer produced, but the committed template of {who} still imports it, so synth keeps output `{output}` for now. Deploy in two steps: 1. deploy now ({who} stops importing it; the export stays); 2. run `synth --drop-kept-exports` and deploy (the export goes away).",
                self.env, self.stack
            )
        }
    }
}

/// What the change-safety checks found against the committed state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SafetyReport {
    /// Logical-ID changes of committed resources (synth refuses them).
    pub replacements: Vec<Replacement>,
    /// Exports that must stay but cannot (synth refuses them).
    pub deadlocks: Vec<Deadlock>,
    /// Exports kept for importers (warnings).
    pub kept: Vec<KeptNote>,
}

impl SafetyReport {
    /// The refusal for the stacks `selected` accepts (`env`, `stack`), if any: one error
    /// listing every replacement and deadlock with its fixes.
    pub fn refusal(&self, selected: impl Fn(&str, &str) -> bool) -> Option<Error> {
        let replacements: Vec<&Replacement> = self
            .replacements
            .iter()
            .filter(|r| selected(&r.env, &r.stack))
            .collect();
        let deadlocks: Vec<&Deadlock> = self
            .deadlocks
            .iter()
            .filter(|d| selected(&d.env, &d.stack))
            .collect();
        if replacements.is_empty() && deadlocks.is_empty() {
            return None;
        }
        let mut msg = String::new();
        if !replacements.is_empty() {
            msg.push_str(&format!(
                "refactor safety: this synth would replace {} resource(s) the committed templates record:",
                replacements.len()
            ));
            for r in &replacements {
                msg.push_str(&format!("\n  - {r}"));
            }
        }
        if !deadlocks.is_empty() {
            if !msg.is_empty() {
                msg.push('\n');
            }
            msg.push_str("export safety: an export still imported cannot be kept:");
            for d in &deadlocks {
                msg.push_str(&format!("\n  - {d}"));
            }
        }
        Some(Error::Unsafe { message: msg })
    }
}
