//! Synthesis: aspects and tags, cross-stack references (exports/imports and stack
//! dependencies), validation, change safety against the committed state, deploy order and
//! CloudFormation limits. No I/O.
//!
//! - [`draft`](self): a stack's declarations copied, tagged, aspects run;
//! - `resolve`: references checked, cross-stack ones turned into exports and imports;
//! - `safety`: renames and moves by construct lineage (refused, or declared and recorded),
//!   exports kept for committed importers, export values that would change while imported;
//! - `order`: deploy order, or the cycle preventing one;
//! - `finish`: validation, rendering, limits.

mod declared;
mod draft;
mod finish;
mod order;
mod resolve;
mod safety;

use indexmap::IndexMap;
use rayon::prelude::*;

use crate::app::App;
use crate::assembly::{Assembly, EnvironmentAssembly, StackArtifact};
use crate::change::refactor::RecordedRefactor;
use crate::committed::{CommittedState, SafetyReport};
use crate::error::{Error, Result, Warning};
use crate::expr::{Expr, ExprMap, StackKey};
use crate::stack::{Environment, Stack};
use crate::template::{Output, ResourceDef};

pub use crate::template::SUPPRESSIONS_METADATA_KEY;
pub use finish::limits;

/// An export requested by a consumer stack.
struct ExportRequest {
    output_id: String,
    export_name: String,
    value: Expr,
}

/// Why one stack depends on another: the first reference found, for cycle messages.
type Edges = IndexMap<StackKey, String>;

/// A stack on its way to a template.
struct Draft<'s> {
    stack: &'s Stack,
    resources: IndexMap<String, ResourceDef>,
    outputs: IndexMap<String, Output>,
    conditions: IndexMap<String, Expr>,
    deps: Edges,
    kept: Vec<crate::layout::KeptExport>,
}

impl App {
    /// Synthesizes every environment: runs aspects and tagging, turns cross-stack references
    /// into exports and imports, validates, orders stacks for deployment and renders the
    /// templates. Reports every error it finds, not only the first. A first synth: nothing is
    /// compared with committed state (see [`App::synth_with`]).
    pub fn synth(&self) -> Result<Assembly> {
        self.synth_with(&CommittedState::none())
    }

    /// [`App::synth`] against the committed state: exports that committed templates of other
    /// stacks still import are kept, and logical-ID changes of committed construct paths are
    /// reported in [`Assembly::safety`] (the CLI refuses them with [`SafetyReport::refusal`]).
    pub fn synth_with(&self, committed: &CommittedState) -> Result<Assembly> {
        let mut run = Run::new(self, committed);
        for env in self.environments().into_iter().cloned().collect::<Vec<_>>() {
            let Some(stacks) = run.stacks_of(self, &env) else {
                continue;
            };
            let checked = run.check(self, &stacks);
            run.environment(self, &env, &stacks, checked, None);
        }
        run.finish(self)
    }

    /// [`App::synth_with`], consuming the app: each resource's declared properties move into
    /// its template instead of being copied, so an app's declarations and its templates are
    /// never all in memory at once. Same result, same bytes. What the CLI runs: with the
    /// binaries' allocator (jemalloc), peak memory after synth in the synth bench is 17-19%
    /// lower than with `synth_with` at 20,000 and 100,000 resources, and the policy gate run
    /// right after is as fast (with glibc's malloc the heap it left made the gate 1.4x to 2x
    /// slower; README, "Performance").
    pub fn into_assembly(mut self, committed: &CommittedState) -> Result<Assembly> {
        let mut run = Run::new(&self, committed);
        for env in self.environments().into_iter().cloned().collect::<Vec<_>>() {
            let Some(stacks) = run.stacks_of(&self, &env) else {
                continue;
            };
            // The checks read every stack's properties (attributes of `Fn::GetAtt` targets):
            // they run before the properties move.
            let checked = run.check(&self, &stacks);
            drop(stacks);
            let taken: Vec<Vec<ExprMap>> = self
                .stacks
                .iter_mut()
                .filter(|s| s.environment().name() == env.name())
                .map(|s| {
                    s.resources
                        .values_mut()
                        .map(|r| std::mem::take(&mut r.properties))
                        .collect()
                })
                .collect();
            let stacks = run.stacks_of(&self, &env).unwrap_or_default();
            run.environment(&self, &env, &stacks, checked, Some(taken));
        }
        run.finish(&self)
    }

    /// Synthesizes the stacks of one environment; `errors` holds what the checks found, and
    /// `taken` each stack's resource properties when they were moved out of the app.
    fn synth_environment(
        &self,
        stacks: &[&Stack],
        ctx: &mut EnvContext<'_>,
        mut errors: Vec<Error>,
        taken: Option<Vec<Vec<ExprMap>>>,
    ) -> Result<(Vec<StackArtifact>, Vec<RecordedRefactor>)> {
        let mut taken = taken.map(Vec::into_iter);
        let mut drafts: Vec<Draft<'_>> = stacks
            .iter()
            .map(|s| {
                let properties = taken.as_mut().and_then(Iterator::next);
                self.draft(s, &mut errors, properties)
            })
            .collect();

        // Resolve references stack by stack; exports are collected per producer first
        // because the producer's draft cannot be borrowed while the consumer's is.
        let mut exports: IndexMap<StackKey, IndexMap<String, ExportRequest>> = IndexMap::new();
        for draft in &mut drafts {
            let mut resolver = resolve::Resolver {
                app: self,
                stack: draft.stack,
                exports: &mut exports,
                deps: &mut draft.deps,
                errors: &mut errors,
            };
            for (id, res) in draft.resources.iter_mut() {
                let consumer = res.path().unwrap_or(id).to_owned();
                for value in res.properties.values_mut() {
                    resolver.resolve(value, &consumer);
                }
            }
            for (name, out) in draft.outputs.iter_mut() {
                let consumer = format!("{}/Outputs/{name}", draft.stack.name());
                resolver.resolve(&mut out.value, &consumer);
                if let Some(e) = out.export_name.as_mut() {
                    resolver.resolve(e, &consumer);
                }
            }
            for (name, cond) in draft.conditions.iter_mut() {
                let consumer = format!("{}/Conditions/{name}", draft.stack.name());
                resolver.resolve(cond, &consumer);
            }
        }
        for draft in &mut drafts {
            if let Some(requests) = exports.swap_remove(draft.stack.key()) {
                let mut requests: Vec<ExportRequest> = requests.into_values().collect();
                // Sorted so that adding a consumer never reorders existing exports.
                requests.sort_by(|a, b| a.output_id.cmp(&b.output_id));
                for r in requests {
                    if draft.outputs.contains_key(&r.output_id) {
                        errors.push(Error::InvalidTemplateName {
                            stack: draft.stack.stack_name().to_owned(),
                            section: "Outputs",
                            name: r.output_id,
                            problem: "the name is reserved for a cross-stack export".into(),
                            fix: "rename your output".into(),
                        });
                        continue;
                    }
                    draft.outputs.insert(
                        r.output_id,
                        Output::new(r.value).export(Expr::String(r.export_name.into())),
                    );
                }
            }
        }
        check_duplicate_exports(
            stacks.first().map_or("", |s| s.key().env()),
            &drafts,
            &mut errors,
        );

        let mut refactors = Vec::new();
        if let Some(env) = stacks.first().map(|s| s.key().env()) {
            if let Some(committed) = ctx.committed.env(env) {
                refactors = safety::check(
                    env,
                    &mut drafts,
                    committed,
                    ctx.committed.drops_kept_exports(),
                    &self.declared_refactors(),
                    ctx.safety,
                );
            }
        }

        let order = match order::deploy_order(&drafts) {
            Ok(order) => order,
            Err(e) => {
                errors.push(e);
                Vec::new()
            }
        };
        if let Some(e) = Error::from_many(errors) {
            return Err(e);
        }

        let mut artifacts = Vec::with_capacity(drafts.len());
        let mut errors = Vec::new();
        let mut drafts: Vec<Option<Draft<'_>>> = drafts.into_iter().map(Some).collect();
        let ordered: Vec<Draft<'_>> = order.iter().filter_map(|&i| drafts[i].take()).collect();
        // Stacks are validated and rendered in parallel; results and warnings are taken in
        // deploy order, so the outcome does not depend on the scheduling. Each is read back
        // on this thread (see `App::read_back`) while the others render. Inside a thread
        // pool (whose threads must not block) or with one thread: one stack after another.
        let mut take = |result: Result<finish::Rendered<'_>>, warnings: Vec<Warning>| {
            ctx.warnings.extend(warnings);
            match result.and_then(|r| self.read_back(r, stacks)) {
                Ok(a) => artifacts.push(a),
                Err(e) => errors.push(e),
            }
        };
        if rayon::current_thread_index().is_some() || rayon::current_num_threads() < 2 {
            for draft in ordered {
                let mut warnings = Vec::new();
                let result = self.finish(draft, &mut warnings);
                take(result, warnings);
            }
        } else {
            let count = ordered.len();
            let (sender, receiver) = std::sync::mpsc::channel();
            std::thread::scope(|scope| {
                scope.spawn(move || {
                    ordered.into_par_iter().enumerate().for_each_with(
                        sender,
                        |sender, (i, draft)| {
                            let mut warnings = Vec::new();
                            let result = self.finish(draft, &mut warnings);
                            // The receiver lives until every sender is dropped.
                            let _ = sender.send((i, result, warnings));
                        },
                    );
                });
                let mut pending: Vec<Option<(Result<finish::Rendered<'_>>, Vec<Warning>)>> =
                    (0..count).map(|_| None).collect();
                let mut next = 0;
                for (i, result, warnings) in receiver {
                    pending[i] = Some((result, warnings));
                    while let Some((result, warnings)) =
                        pending.get_mut(next).and_then(Option::take)
                    {
                        next += 1;
                        take(result, warnings);
                    }
                }
            });
        }
        match Error::from_many(errors) {
            Some(e) => Err(e),
            None => Ok((artifacts, refactors)),
        }
    }
}

/// One synthesis run: what it found so far, environment by environment.
struct Run<'c> {
    committed: &'c CommittedState,
    errors: Vec<Error>,
    warnings: Vec<Warning>,
    environments: Vec<EnvironmentAssembly>,
    safety: SafetyReport,
}

impl<'c> Run<'c> {
    fn new(app: &App, committed: &'c CommittedState) -> Self {
        Self {
            committed,
            errors: app.unmatched_declarations(),
            warnings: Vec::new(),
            environments: Vec::new(),
            safety: SafetyReport::default(),
        }
    }

    /// The stacks of `env`, or None (and an error) when they disagree on the environment.
    fn stacks_of<'a>(&mut self, app: &'a App, env: &Environment) -> Option<Vec<&'a Stack>> {
        let stacks: Vec<&Stack> = app
            .stacks
            .iter()
            .filter(|s| s.environment().name() == env.name())
            .collect();
        if let Some(other) = stacks.iter().find(|s| s.environment() != env) {
            self.errors.push(Error::invalid_props(
                other.stack_name(),
                "environment",
                format!("stacks of environment `{}` disagree on its account, region or availability zones", env.name()),
                "create the Environment once and pass the same value to every stack",
            ));
            return None;
        }
        Some(stacks)
    }

    /// The checks backed by the schema index, before anything is drafted.
    fn check(&mut self, app: &App, stacks: &[&Stack]) -> Vec<Error> {
        let mut errors = Vec::new();
        crate::type_checks::check_environment(app, stacks, &mut errors, &mut self.warnings);
        errors
    }

    fn environment(
        &mut self,
        app: &App,
        env: &Environment,
        stacks: &[&Stack],
        checked: Vec<Error>,
        taken: Option<Vec<Vec<ExprMap>>>,
    ) {
        let mut ctx = EnvContext {
            committed: self.committed,
            warnings: &mut self.warnings,
            safety: &mut self.safety,
        };
        match app.synth_environment(stacks, &mut ctx, checked, taken) {
            Ok((stacks, refactors)) => self.environments.push(EnvironmentAssembly {
                environment: env.clone(),
                stacks,
                refactors,
            }),
            Err(e) => self.errors.extend(e.errors().into_iter().cloned()),
        }
    }

    fn finish(self, app: &App) -> Result<Assembly> {
        match Error::from_many(self.errors) {
            Some(e) => Err(e),
            None => Ok(Assembly {
                app: app.name().to_owned(),
                environments: self.environments,
                warnings: self.warnings,
                safety: self.safety,
            }),
        }
    }
}

/// What synthesizing one environment reads and reports besides its stacks.
struct EnvContext<'a> {
    committed: &'a CommittedState,
    warnings: &'a mut Vec<Warning>,
    safety: &'a mut SafetyReport,
}

fn check_duplicate_exports(env: &str, drafts: &[Draft<'_>], errors: &mut Vec<Error>) {
    let mut seen: IndexMap<String, String> = IndexMap::new();
    for d in drafts {
        for (name, out) in &d.outputs {
            let Some(Expr::String(export)) = &out.export_name else {
                continue;
            };
            let here = format!("{}/Outputs/{name}", d.stack.name());
            if let Some(first) = seen.get(export.as_str()) {
                errors.push(Error::DuplicateExport {
                    env: env.to_owned(),
                    name: export.to_string(),
                    first: first.clone(),
                    second: here,
                });
            } else {
                seen.insert(export.to_string(), here);
            }
        }
    }
}
