//! `App`: the root of the construct tree — stacks of every environment, app-wide tags and
//! aspects.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::aspect::Aspect;
use crate::change::refactor::DeclaredRefactor;
use crate::error::{Error, Result};
use crate::path::ConstructPath;
use crate::rules::RuleId;
use crate::stack::{Environment, Stack};

/// An application: named stacks in one or more environments.
///
/// ```
/// use stackforge_constructs::{App, Environment, Stack, StackProps};
/// use stackforge_constructs::resources::sns::Topic;
///
/// let mut app = App::new("shop");
/// let dev = Environment::new("dev");
/// let mut stack = Stack::new(&app, &dev, "alerts", StackProps::default())?;
/// stack.root().add("Topic", Topic::default())?;
/// app.add_stack(stack)?;
/// let assembly = app.synth()?;
/// assert_eq!(assembly.environments[0].stacks[0].stack_name, "shop-dev-alerts");
/// # Ok::<(), stackforge_constructs::Error>(())
/// ```
pub struct App {
    name: String,
    pub(crate) stacks: Vec<Stack>,
    pub(crate) aspects: Vec<Arc<dyn Aspect>>,
    pub(crate) tags: IndexMap<String, String>,
    pub(crate) custom_rules: Vec<RuleId>,
    pub(crate) refactors: Vec<DeclaredRefactor>,
    pub(crate) kept_subtrees: Vec<(ConstructPath, ConstructPath)>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("name", &self.name)
            .field(
                "stacks",
                &self
                    .stacks
                    .iter()
                    .map(|s| s.key().to_string())
                    .collect::<Vec<_>>(),
            )
            .field("aspects", &self.aspects.len())
            .field("tags", &self.tags)
            .finish()
    }
}

impl App {
    /// An empty app called `name` (used in stack names and the `app` tag).
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            stacks: Vec::new(),
            aspects: Vec::new(),
            tags: IndexMap::new(),
            custom_rules: Vec::new(),
            refactors: Vec::new(),
            kept_subtrees: Vec::new(),
        }
    }

    /// The app name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds a stack. Stacks of one environment deploy in dependency order, ties broken by
    /// the order they were added.
    pub fn add_stack(&mut self, stack: Stack) -> Result<()> {
        if self.stacks.iter().any(|s| s.key() == stack.key()) {
            return Err(Error::DuplicateStack {
                env: stack.key().env().to_owned(),
                stack: stack.name().to_owned(),
            });
        }
        self.stacks.push(stack);
        Ok(())
    }

    /// Adds an aspect, run on every resource at synth after the built-in tagging.
    pub fn add_aspect(&mut self, aspect: impl Aspect + 'static) {
        self.aspects.push(Arc::new(aspect));
    }

    /// Registers the id of a custom policy rule (declared in a `--rules` file), so that
    /// stacks created afterwards may suppress it. Register before creating stacks.
    pub fn register_rule(&mut self, id: &str) -> Result<()> {
        let rule = RuleId::custom(id).map_err(|problem| {
            Error::invalid_props(
                self.name.as_str(),
                "register_rule",
                problem,
                "name the rule as its Guard file declares it (`rule NAME { ... }`)",
            )
        })?;
        if !self.custom_rules.contains(&rule) {
            self.custom_rules.push(rule);
        }
        Ok(())
    }

    /// Declares that construct subtree `from` is now `to`, in every environment: renamed
    /// inside its stack (`audit/Trail` -> `audit/AuditTrail`) or moved to another stack
    /// (`audit/Trail` -> `logs/Trail`). `synth` then accepts the new logical IDs of the
    /// committed resources below `from` and records the resource mappings in the manifest;
    /// `deploy` carries them out with CloudFormation stack refactoring before it updates the
    /// stacks, so nothing is replaced. Resources stack refactoring cannot move are named at
    /// synth. Keep the declaration until every environment was deployed with it.
    pub fn declare_move(&mut self, from: impl AsRef<str>, to: impl AsRef<str>) -> Result<()> {
        let (from, to) = crate::stack::refactor_paths("declare_move", from.as_ref(), to.as_ref())?;
        self.refactors.push(DeclaredRefactor { from, to });
        Ok(())
    }

    /// [`Stack::keep_logical_ids_of`] for the stack `new` is in, declared on the app so that
    /// it applies to that stack in every environment. Declare it before creating the stack.
    pub fn keep_logical_ids_of(
        &mut self,
        old: impl AsRef<str>,
        new: impl AsRef<str>,
    ) -> Result<()> {
        let (old, new) =
            crate::stack::refactor_paths("keep_logical_ids_of", old.as_ref(), new.as_ref())?;
        if old.stack() != new.stack() {
            return Err(Error::invalid_props(
                new.as_str(),
                "keep_logical_ids_of",
                format!("`{old}` and `{new}` are in different stacks: a logical ID is kept only inside its stack"),
                "declare the move with `app.declare_move(from, to)`, which stack refactoring carries out",
            ));
        }
        self.kept_subtrees.push((old, new));
        Ok(())
    }

    /// Every declared rename and move: the app's, then each stack's.
    pub(crate) fn declared_refactors(&self) -> Vec<DeclaredRefactor> {
        let mut all = self.refactors.clone();
        for s in &self.stacks {
            all.extend(s.declared_refactors.iter().cloned());
        }
        all
    }

    /// Adds a tag for every taggable resource of the app (after `app`, `env`, `stack`).
    pub fn add_tag(&mut self, key: &str, value: &str) {
        self.tags.insert(key.to_owned(), value.to_owned());
    }

    /// The stacks, in the order they were added.
    pub fn stacks(&self) -> &[Stack] {
        &self.stacks
    }

    /// The environments, in the order their first stack was added.
    pub fn environments(&self) -> Vec<&Environment> {
        let mut envs: Vec<&Environment> = Vec::new();
        for s in &self.stacks {
            if !envs.iter().any(|e| e.name() == s.environment().name()) {
                envs.push(s.environment());
            }
        }
        envs
    }
}
