//! Environments and stacks: where resources, parameters, outputs, conditions and mappings
//! are declared before synthesis.

mod environment;
mod logical_ids;

use std::collections::HashSet;

use indexmap::IndexMap;

use crate::app::App;
use crate::change::refactor::DeclaredRefactor;
use crate::error::{Error, Result};
use crate::expr::{ConditionRef, Expr, ExprMap, MappingRef, RefKind, Reference, StackKey};
use crate::logical_id::is_valid_logical_id;
use crate::path::ConstructPath;
use crate::resource::ResourceOptions;
use crate::rules::RuleId;
use crate::scope::Scope;
use crate::template::{Output, Parameter};

pub use environment::Environment;
pub(crate) use logical_ids::refactor_paths;

/// Options of a stack. All default to unset.
#[derive(Debug, Clone, Default)]
pub struct StackProps {
    /// The template `Description`. Default: none.
    pub description: Option<String>,
    /// Tags for every taggable resource of this stack, after `app`, `env` and `stack`.
    /// Default: none.
    pub tags: IndexMap<String, String>,
    /// The template-level `Metadata` section (`AWS::CloudFormation::Interface`, ...).
    /// Default: none.
    pub metadata: IndexMap<String, serde_json::Value>,
    /// The template's `Rules` section (parameter assertions), as written. Default: none.
    pub rules: Option<serde_json::Value>,
}

/// A resource declared in a stack, before synthesis.
#[derive(Debug, Clone)]
pub(crate) struct StackResource {
    pub(crate) path: ConstructPath,
    pub(crate) type_name: String,
    pub(crate) properties: ExprMap,
    /// None when every option is unset (most resources): the options are larger than the
    /// rest of the declaration.
    options: Option<Box<ResourceOptions>>,
}

/// The options of a resource that sets none.
static NO_OPTIONS: std::sync::LazyLock<ResourceOptions> =
    std::sync::LazyLock::new(ResourceOptions::default);

impl StackResource {
    /// A declared resource.
    pub(crate) fn new(
        path: ConstructPath,
        type_name: String,
        properties: ExprMap,
        options: ResourceOptions,
    ) -> Self {
        // Every field named: a new option cannot be dropped here unnoticed.
        let ResourceOptions {
            depends_on,
            condition,
            deletion_policy,
            update_replace_policy,
            metadata,
            logical_id,
            creation_policy,
            update_policy,
        } = &options;
        let unset = depends_on.is_empty()
            && condition.is_none()
            && deletion_policy.is_none()
            && update_replace_policy.is_none()
            && metadata.is_empty()
            && logical_id.is_none()
            && creation_policy.is_none()
            && update_policy.is_none();
        Self {
            path,
            type_name,
            properties,
            options: (!unset).then(|| Box::new(options)),
        }
    }

    /// The resource's options.
    pub(crate) fn options(&self) -> &ResourceOptions {
        self.options.as_deref().unwrap_or(&NO_OPTIONS)
    }
}

/// A policy-rule suppression on a construct path and everything below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// The construct path the suppression applies to (and below).
    pub path: ConstructPath,
    /// The rule id.
    pub rule: RuleId,
    /// Why the rule does not apply here.
    pub reason: String,
}

/// One CloudFormation stack of one environment. Create it with [`Stack::new`], add
/// constructs through [`Stack::root`], then hand it to [`App::add_stack`].
#[derive(Debug)]
pub struct Stack {
    pub(crate) key: StackKey,
    pub(crate) stack_name: String,
    pub(crate) env: Environment,
    pub(crate) props: StackProps,
    pub(crate) parameters: IndexMap<String, Parameter>,
    pub(crate) mappings: IndexMap<String, IndexMap<String, IndexMap<String, Expr>>>,
    pub(crate) conditions: IndexMap<String, Expr>,
    pub(crate) resources: IndexMap<String, StackResource>,
    pub(crate) outputs: IndexMap<String, Output>,
    pub(crate) dependencies: Vec<StackKey>,
    pub(crate) suppressions: Vec<Suppression>,
    pub(crate) accepted_replacements: IndexMap<ConstructPath, String>,
    pub(crate) declared_refactors: Vec<DeclaredRefactor>,
    pub(crate) custom_rules: Vec<RuleId>,
    /// The constructs declared with [`Scope::construct`], by path, with their kind.
    pub(crate) constructs: IndexMap<ConstructPath, String>,
    nodes: HashSet<ConstructPath>,
    kept_subtrees: Vec<KeptSubtree>,
    renames: IndexMap<String, (String, bool)>,
    overrides: IndexMap<String, (String, bool)>,
}

impl Stack {
    /// A stack called `name` in `env`; its CloudFormation name is `<app>-<env>-<name>`.
    pub fn new(app: &App, env: &Environment, name: &str, props: StackProps) -> Result<Stack> {
        let stack_name = format!("{}-{}-{}", app.name(), env.name(), name);
        let valid =
            |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !valid(name) || !valid(env.name()) || !valid(app.name()) {
            return Err(Error::invalid_props(
                &stack_name,
                "name",
                format!(
                    "app `{}`, environment `{}` and stack `{name}` names must be non-empty and use only letters, digits and `-`",
                    app.name(),
                    env.name()
                ),
                "rename them",
            ));
        }
        if !stack_name.starts_with(|c: char| c.is_ascii_alphabetic()) || stack_name.len() > 128 {
            return Err(Error::invalid_props(
                &stack_name,
                "name",
                "a CloudFormation stack name must start with a letter and have at most 128 characters",
                "shorten the app, environment or stack name",
            ));
        }
        Ok(Stack {
            key: StackKey::new(env.name(), name),
            stack_name,
            env: env.clone(),
            props,
            parameters: IndexMap::new(),
            mappings: IndexMap::new(),
            conditions: IndexMap::new(),
            resources: IndexMap::new(),
            outputs: IndexMap::new(),
            dependencies: Vec::new(),
            suppressions: Vec::new(),
            accepted_replacements: IndexMap::new(),
            declared_refactors: Vec::new(),
            custom_rules: app.custom_rules.clone(),
            constructs: IndexMap::new(),
            nodes: HashSet::new(),
            kept_subtrees: app
                .kept_subtrees
                .iter()
                .filter(|(_, new)| new.stack() == name)
                .map(|(old, new)| KeptSubtree {
                    old: old.clone(),
                    new: new.clone(),
                    used: false,
                })
                .collect(),
            renames: IndexMap::new(),
            overrides: IndexMap::new(),
        })
    }

    /// The root scope of this stack's construct tree (path = the stack's short name).
    pub fn root(&mut self) -> Scope<'_> {
        let path = ConstructPath::root(self.key.name());
        Scope::new(self, path)
    }

    /// The stack's key (environment + short name).
    pub fn key(&self) -> &StackKey {
        &self.key
    }

    /// The short name (`network`).
    pub fn name(&self) -> &str {
        self.key.name()
    }

    /// The CloudFormation stack name (`migration-api-dev-network`).
    pub fn stack_name(&self) -> &str {
        &self.stack_name
    }

    /// The environment this stack deploys to.
    pub fn environment(&self) -> &Environment {
        &self.env
    }

    /// The constructs declared so far (with [`Scope::construct`] or
    /// [`Scope::record_construct`]), by path, with their kind, in declaration order.
    pub fn constructs(&self) -> &IndexMap<ConstructPath, String> {
        &self.constructs
    }

    /// Declares a parameter and returns its `Ref`.
    pub fn add_parameter(&mut self, name: &str, parameter: Parameter) -> Result<Expr> {
        self.check_template_name("Parameters", name)?;
        self.parameters.insert(name.to_owned(), parameter);
        Ok(Expr::Ref(Reference::new(
            self.key.clone(),
            name,
            ConstructPath::root(self.key.name()).child(name),
            RefKind::Parameter,
        )))
    }

    /// Declares an output.
    pub fn add_output(&mut self, name: &str, output: Output) -> Result<()> {
        self.check_template_name("Outputs", name)?;
        for value in [Some(&output.value), output.export_name.as_ref()]
            .into_iter()
            .flatten()
        {
            self.check_depth("Outputs", name, value)?;
        }
        self.outputs.insert(name.to_owned(), output);
        Ok(())
    }

    /// Declares a condition (built from `Fn::Equals`/`And`/`Or`/`Not`/`Condition`).
    pub fn add_condition(&mut self, name: &str, condition: Expr) -> Result<ConditionRef> {
        self.check_template_name("Conditions", name)?;
        self.check_depth("Conditions", name, &condition)?;
        self.conditions.insert(name.to_owned(), condition);
        Ok(ConditionRef::new(self.key.clone(), name))
    }

    /// Declares a mapping (top-level key -> second-level key -> value).
    pub fn add_mapping(
        &mut self,
        name: &str,
        mapping: IndexMap<String, IndexMap<String, Expr>>,
    ) -> Result<MappingRef> {
        self.check_template_name("Mappings", name)?;
        self.mappings.insert(name.to_owned(), mapping);
        Ok(MappingRef::new(self.key.clone(), name))
    }

    /// Makes this stack deploy after `other` even without a reference between them.
    pub fn add_dependency(&mut self, other: &StackKey) {
        if !self.dependencies.contains(other) {
            self.dependencies.push(other.clone());
        }
    }

    pub(crate) fn register_node(
        &mut self,
        scope: &ConstructPath,
        id: &str,
    ) -> Result<ConstructPath> {
        let problem = if id.is_empty() {
            Some("it is empty")
        } else if id.contains('/') {
            Some("it contains `/`")
        } else if id.chars().any(char::is_control) {
            Some("it contains a control character")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Error::InvalidId {
                scope: scope.to_string(),
                id: id.escape_default().to_string(),
                problem: problem.into(),
            });
        }
        let path = scope.child(id);
        if !self.nodes.insert(path.clone()) {
            return Err(Error::DuplicateId {
                path: path.to_string(),
                id: id.to_owned(),
            });
        }
        Ok(path)
    }

    /// Adds a resource at `path`, computing its logical ID.
    pub(crate) fn insert_resource(&mut self, resource: StackResource) -> Result<Reference> {
        let computed =
            crate::logical_id::make_unique_id(&resource.path.below_stack()).unwrap_or_default();
        let named = resource.options().logical_id.is_some()
            || self.overrides.contains_key(resource.path.as_str());
        if computed.is_empty() && !named {
            return Err(Error::NoLogicalId {
                path: resource.path.to_string(),
            });
        }
        let id = if let Some(explicit) = &resource.options().logical_id {
            self.check_id_target(explicit)?;
            explicit.clone()
        } else if let Some((id, used)) = self.overrides.get_mut(resource.path.as_str()) {
            *used = true;
            id.clone()
        } else if let Some(kept) = self
            .kept_subtrees
            .iter_mut()
            .find(|k| resource.path.is_within(&k.new))
        {
            kept.used = true;
            let old = resource
                .path
                .rebase(&kept.new, &kept.old)
                .unwrap_or_else(|| resource.path.clone());
            crate::logical_id::make_unique_id(&old.below_stack()).unwrap_or_default()
        } else if let Some((to, used)) = self.renames.get_mut(&computed) {
            *used = true;
            to.clone()
        } else {
            computed
        };
        if !is_valid_logical_id(&id) {
            return Err(Error::InvalidLogicalId {
                path: resource.path.to_string(),
                logical_id: id,
            });
        }
        if let Some(existing) = self.resources.get(&id) {
            return Err(Error::LogicalIdCollision {
                stack: self.stack_name.clone(),
                logical_id: id,
                first: existing.path.to_string(),
                second: resource.path.to_string(),
            });
        }
        if self.parameters.contains_key(&id) {
            return Err(Error::LogicalIdCollision {
                stack: self.stack_name.clone(),
                logical_id: id.clone(),
                first: format!("Parameters/{id}"),
                second: resource.path.to_string(),
            });
        }
        let reference = Reference::new(
            self.key.clone(),
            &id,
            resource.path.clone(),
            RefKind::Resource,
        );
        self.resources.insert(id, resource);
        Ok(reference)
    }

    /// Values deeper than any template holds are refused before a recursive walk meets them.
    fn check_depth(&self, section: &'static str, name: &str, value: &Expr) -> Result<()> {
        if !value.nests_deeper_than(crate::parse::MAX_DEPTH) {
            return Ok(());
        }
        Err(Error::InvalidTemplateName {
            stack: self.stack_name.clone(),
            section,
            name: name.to_owned(),
            problem: format!(
                "the value nests deeper than {} levels, more than any template holds",
                crate::parse::MAX_DEPTH
            ),
            fix: "flatten the value".to_owned(),
        })
    }

    fn check_template_name(&self, section: &'static str, name: &str) -> Result<()> {
        let problem = if !is_valid_logical_id(name) {
            Some((
                "the name must be 1 to 255 ASCII letters and digits",
                "rename it",
            ))
        } else if section == "Outputs" {
            // CloudFormation keeps outputs apart: an output may share its resource's name.
            self.outputs.contains_key(name).then_some((
                "the name is already used by another output",
                "output names must be unique",
            ))
        } else if self.parameters.contains_key(name)
            || self.resources.contains_key(name)
            || self.outputs.contains_key(name)
            || self.conditions.contains_key(name)
            || self.mappings.contains_key(name)
        {
            Some((
                "the name is already used in this template",
                "names must be unique across Parameters, Resources, Outputs, Conditions and Mappings",
            ))
        } else {
            None
        };
        match problem {
            Some((problem, fix)) => Err(Error::InvalidTemplateName {
                stack: self.stack_name.clone(),
                section,
                name: name.to_owned(),
                problem: problem.to_owned(),
                fix: fix.to_owned(),
            }),
            None => Ok(()),
        }
    }
}

/// A `keep_logical_ids_of` declaration and whether a resource used it.
#[derive(Debug)]
struct KeptSubtree {
    old: ConstructPath,
    new: ConstructPath,
    used: bool,
}
