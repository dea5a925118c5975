//! Committed state: the previously synthesized (and committed) templates and manifests, the
//! record of what is deployed or about to be. Synthesis takes it as an explicit input
//! ([`crate::App::synth_with`]) and decides from it, as structured data, what a refactor
//! would replace, which exports must stay for their importers and which would get a new
//! value. The CLI only reads the files (see `layout`) and prints what [`SafetyReport`] says.

use indexmap::IndexMap;

use crate::change::refactor::RecordedRefactor;
use crate::change::{EnvTemplates, Identity, Location};
use crate::layout::{KeptExport, Manifest};
use crate::path::ConstructPath;
use crate::template::Template;

mod report;

pub use report::{
    Deadlock, ExportValueChange, IdentityChange, KeptNote, RefactorRefusal, SafetyReport,
    UnusedRefactor,
};

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
        self.identity_list(stack)
            .into_iter()
            .map(|i| (i.location.logical_id, i.path))
            .collect()
    }

    /// [`CommittedEnv::identities`] with types, for every stack.
    pub fn all_identities(&self) -> Vec<Identity> {
        self.templates
            .keys()
            .flat_map(|s| self.identity_list(s))
            .collect()
    }

    fn identity_list(&self, stack: &str) -> Vec<Identity> {
        let recorded = self
            .manifest
            .as_ref()
            .and_then(|m| m.stack(stack))
            .map(|s| &s.resources);
        let Some(template) = self.templates.get(stack) else {
            return recorded
                .into_iter()
                .flatten()
                .map(|(id, r)| Identity {
                    location: Location::new(stack, id),
                    path: r.path.clone(),
                    type_name: r.type_name.clone(),
                })
                .collect();
        };
        template
            .resources
            .iter()
            .filter_map(|(id, r)| {
                let path = r
                    .construct_path()
                    .or_else(|| Some(recorded?.get(id)?.path.clone()))?;
                Some(Identity {
                    location: Location::new(stack, id),
                    path,
                    type_name: r.type_name.clone(),
                })
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

    /// The refactors the manifest records (declared, not yet known to be deployed).
    pub fn recorded_refactors(&self) -> &[RecordedRefactor] {
        self.manifest
            .as_ref()
            .map_or(&[], |m| m.refactors.as_slice())
    }

    /// The committed templates as an environment for the change analysis.
    pub fn env_templates(&self) -> &EnvTemplates {
        &self.templates
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
