//! Environments and stacks: where resources, parameters, outputs, conditions and mappings
//! are declared before synthesis.

use std::collections::HashSet;

use indexmap::IndexMap;

use crate::app::App;
use crate::change::refactor::DeclaredRefactor;
use crate::error::{Error, Result};
use crate::expr::{ConditionRef, Expr, MappingRef, RefKind, Reference, StackKey};
use crate::logical_id::is_valid_logical_id;
use crate::path::ConstructPath;
use crate::resource::ResourceOptions;
use crate::rules::RuleId;
use crate::scope::Scope;
use crate::template::{Output, Parameter};

/// A deployment target: a name (`dev`, `prod`) and, optionally, the account, region and
/// availability zones it deploys to. Unset fields resolve at deploy time (`AWS::Region`,
/// `Fn::GetAZs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    name: String,
    account: Option<String>,
    region: Option<String>,
    availability_zones: Vec<String>,
}

impl Environment {
    /// An environment called `name` with account and region resolved at deploy time.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            account: None,
            region: None,
            availability_zones: Vec::new(),
        }
    }

    /// Pins the AWS account id.
    pub fn with_account(mut self, account: &str) -> Self {
        self.account = Some(account.to_owned());
        self
    }

    /// Pins the region.
    pub fn with_region(mut self, region: &str) -> Self {
        self.region = Some(region.to_owned());
        self
    }

    /// Names the availability zones to use (otherwise `Fn::GetAZs` picks them at deploy time).
    pub fn with_availability_zones<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        azs: I,
    ) -> Self {
        self.availability_zones = azs.into_iter().map(Into::into).collect();
        self
    }

    /// The environment name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pinned account id, if any.
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    /// The pinned region, if any.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The named availability zones (empty when chosen at deploy time).
    pub fn availability_zones(&self) -> &[String] {
        &self.availability_zones
    }
}

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
    pub(crate) properties: IndexMap<String, Expr>,
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
        properties: IndexMap<String, Expr>,
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

    /// Renames a computed logical ID (for migrations: keep `to`, the ID the deployed stack
    /// has). Declare renames before adding constructs; a rename that matches nothing is an
    /// error at synth.
    pub fn rename_logical_id(&mut self, from: &str, to: &str) -> Result<()> {
        self.check_id_target(to)?;
        if self.resources.contains_key(from) {
            return Err(Error::invalid_props(
                &self.stack_name,
                "rename_logical_id",
                format!("the resource with ID `{from}` was added before the rename"),
                "declare renames right after creating the stack, before adding constructs",
            ));
        }
        self.renames.insert(from.to_owned(), (to.to_owned(), false));
        Ok(())
    }

    /// Gives the resource at construct `path` (`network/Vpc/Resource`) the logical ID `id`
    /// instead of the computed one — the way to keep a resource when its construct moves.
    /// Declare overrides before adding constructs; an override that matches no resource is
    /// an error at synth.
    pub fn override_logical_id(&mut self, path: &str, id: &str) -> Result<()> {
        self.check_id_target(id)?;
        if self.resources.values().any(|r| r.path.as_str() == path) {
            return Err(Error::invalid_props(
                path,
                "override_logical_id",
                "the resource was added before the override",
                "declare overrides right after creating the stack, before adding constructs",
            ));
        }
        self.overrides
            .insert(path.to_owned(), (id.to_owned(), false));
        Ok(())
    }

    /// Declares that the resource at construct `path` may get a new logical ID (and so be
    /// replaced on deploy). Without this, the CLI refuses a synth that changes the ID of a
    /// path the committed templates record.
    pub fn allow_replacement(&mut self, path: &str, reason: &str) -> Result<()> {
        if reason.trim().is_empty() {
            return Err(Error::invalid_props(
                path,
                "allow_replacement",
                "the reason is empty",
                "say why replacing this resource is intended",
            ));
        }
        let Some(parsed) = ConstructPath::parse(path) else {
            return Err(Error::invalid_props(
                path,
                "allow_replacement",
                "not a construct path (it has an empty component)",
                "pass the path as `stackforge:path` in the template metadata shows it",
            ));
        };
        self.accepted_replacements.insert(parsed, reason.to_owned());
        Ok(())
    }

    /// Declares that construct subtree `from` of this stack is renamed to `to` (also in this
    /// stack): `synth` accepts the new logical IDs of its committed resources and records the
    /// resource mappings in the manifest, and `deploy` renames them with CloudFormation stack
    /// refactoring before updating the stack, so nothing is replaced. Keep the declaration
    /// until every environment was deployed with it. See [`App::declare_move`] for moves
    /// across stacks.
    pub fn declare_rename(&mut self, from: impl AsRef<str>, to: impl AsRef<str>) -> Result<()> {
        let (from, to) = refactor_paths("declare_rename", from.as_ref(), to.as_ref())?;
        for p in [&from, &to] {
            if p.stack() != self.name() {
                return Err(Error::invalid_props(
                    p.as_str(),
                    "declare_rename",
                    format!("the path is not in stack `{}`", self.name()),
                    "declare a move between stacks with `app.declare_move(from, to)`",
                ));
            }
        }
        self.declared_refactors.push(DeclaredRefactor { from, to });
        Ok(())
    }

    /// Gives every resource below construct subtree `new` the logical ID its counterpart
    /// below `old` had (the ID computed from the `old` path), so renaming or re-nesting a
    /// construct replaces nothing. Both paths must be in this stack (a logical ID is kept only
    /// inside its stack; see [`App::declare_move`] for moves). Declare it before adding
    /// constructs; one that matches no resource is an error at synth.
    pub fn keep_logical_ids_of(
        &mut self,
        old: impl AsRef<str>,
        new: impl AsRef<str>,
    ) -> Result<()> {
        let (old, new) = refactor_paths("keep_logical_ids_of", old.as_ref(), new.as_ref())?;
        for p in [&old, &new] {
            if p.stack() != self.name() {
                return Err(Error::invalid_props(
                    p.as_str(),
                    "keep_logical_ids_of",
                    format!("the path is not in stack `{}`: a logical ID is kept only inside its stack", self.name()),
                    "declare a move between stacks with `app.declare_move(from, to)`, which stack refactoring carries out",
                ));
            }
        }
        if self.resources.values().any(|r| r.path.is_within(&new)) {
            return Err(Error::invalid_props(
                new.as_str(),
                "keep_logical_ids_of",
                "resources below the path were added before the declaration",
                "declare it right after creating the stack, before adding constructs",
            ));
        }
        self.kept_subtrees.push(KeptSubtree {
            old,
            new,
            used: false,
        });
        Ok(())
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

    pub(crate) fn unused_renames_and_overrides(&self) -> Vec<Error> {
        let renames = self
            .renames
            .iter()
            .filter(|(_, (_, used))| !used)
            .map(|(from, (to, _))| Error::UnusedRename {
                stack: self.stack_name.clone(),
                from: from.clone(),
                to: to.clone(),
            });
        let overrides = self.overrides.iter().filter(|(_, (_, used))| !used).map(|(path, (id, _))| {
            Error::invalid_props(
                path,
                "override_logical_id",
                format!("no resource has this path, so the override to `{id}` is unused"),
                "correct the path (see `stackforge:path` in the template metadata) or remove the override",
            )
        });
        let kept = self.kept_subtrees.iter().filter(|k| !k.used).map(|k| {
            Error::invalid_props(
                k.new.as_str(),
                "keep_logical_ids_of",
                format!("no resource is below the path, so keeping the IDs of `{}` is unused", k.old),
                "correct the path (see `stackforge:path` in the template metadata) or remove the declaration",
            )
        });
        renames.chain(overrides).chain(kept).collect()
    }

    fn check_id_target(&self, id: &str) -> Result<()> {
        if is_valid_logical_id(id) {
            Ok(())
        } else {
            Err(Error::InvalidLogicalId {
                path: self.stack_name.clone(),
                logical_id: id.to_owned(),
            })
        }
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

/// The two paths of a refactor declaration, parsed and checked.
pub(crate) fn refactor_paths(
    what: &str,
    from: &str,
    to: &str,
) -> Result<(ConstructPath, ConstructPath)> {
    let parse = |p: &str| {
        ConstructPath::parse(p).filter(|p| p.depth() > 1).ok_or_else(|| {
            Error::invalid_props(
                p,
                what,
                "not a construct path below a stack (`stack/Construct`, no empty component)",
                "pass the path as `stackforge:path` in the template metadata shows it, or a construct above it",
            )
        })
    };
    let (from, to) = (parse(from)?, parse(to)?);
    if from == to {
        return Err(Error::invalid_props(
            from.as_str(),
            what,
            "both paths are the same",
            "name the old path first and the new one second",
        ));
    }
    Ok((from, to))
}
