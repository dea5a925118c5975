//! `Scope`: a position in a stack's construct tree, through which constructs add resources.

use crate::error::{Error, Result};
use crate::path::ConstructPath;
use crate::resource::{CfnResource, RawResource, ResourceHandle, ResourceOptions};
use crate::rules::RuleId;
use crate::stack::{Stack, StackResource, Suppression};

/// A path in a stack's construct tree (`network/Vpc`). Constructs take `&mut Scope`, open a
/// child scope for themselves with [`Scope::construct`] (or [`Scope::child`] for a plain
/// grouping) and add resources with [`Scope::add`].
#[derive(Debug)]
pub struct Scope<'a> {
    stack: &'a mut Stack,
    path: ConstructPath,
}

impl<'a> Scope<'a> {
    pub(crate) fn new(stack: &'a mut Stack, path: ConstructPath) -> Self {
        Self { stack, path }
    }

    /// Opens the child scope `id`. Each id may be used once per scope.
    pub fn child(&mut self, id: &str) -> Result<Scope<'_>> {
        let path = self.stack.register_node(&self.path, id)?;
        Ok(Scope {
            stack: &mut *self.stack,
            path,
        })
    }

    /// Opens the child scope `id` for a construct of kind `kind` (`Vpc`, `RdsEncrypted`) and
    /// records it in the stack's construct tree, which the manifest lists and `graph` draws.
    /// The path is the one [`Scope::child`] gives, so logical IDs are the same.
    pub fn construct(&mut self, id: &str, kind: &str) -> Result<Scope<'_>> {
        let path = self.stack.register_node(&self.path, id)?;
        self.stack.constructs.insert(path.clone(), kind.to_owned());
        Ok(Scope {
            stack: &mut *self.stack,
            path,
        })
    }

    /// Records that child `id` (a resource added with [`Scope::add`]) is itself a construct
    /// of kind `kind`: a piece made of one resource, such as `Cluster` or `TargetGroup`.
    pub fn record_construct(&mut self, id: &str, kind: &str) {
        self.stack
            .constructs
            .insert(self.path.child(id), kind.to_owned());
    }

    /// Adds a typed resource as child `id` and returns its handle.
    pub fn add<R: CfnResource>(&mut self, id: &str, resource: R) -> Result<ResourceHandle<R>> {
        self.add_with(id, resource, ResourceOptions::default())
    }

    /// Adds a typed resource with `DependsOn`, policies, metadata or a logical ID override.
    pub fn add_with<R: CfnResource>(
        &mut self,
        id: &str,
        resource: R,
        options: ResourceOptions,
    ) -> Result<ResourceHandle<R>> {
        let reference = self.insert(
            id,
            R::TYPE_NAME.to_owned(),
            resource.into_properties(),
            options,
        )?;
        Ok(ResourceHandle::new(reference))
    }

    /// Adds a raw resource (type name + properties), validated against its type's schema at
    /// synth like every resource. Prefer typed resources; this is the escape hatch.
    pub fn add_raw(
        &mut self,
        id: &str,
        resource: RawResource,
        options: ResourceOptions,
    ) -> Result<ResourceHandle<RawResource>> {
        let reference = self.insert(id, resource.type_name, resource.properties, options)?;
        Ok(ResourceHandle::new(reference))
    }

    fn insert(
        &mut self,
        id: &str,
        type_name: String,
        properties: crate::expr::ExprMap,
        options: ResourceOptions,
    ) -> Result<crate::Reference> {
        if let Some((name, _)) = properties
            .iter()
            .find(|(_, v)| v.nests_deeper_than(crate::parse::MAX_DEPTH))
        {
            return Err(Error::invalid_props(
                format!("{}/{id}", self.path),
                name,
                format!(
                    "the value nests deeper than {} levels, more than any CloudFormation property",
                    crate::parse::MAX_DEPTH
                ),
                "flatten the value",
            ));
        }
        let path = self.stack.register_node(&self.path, id)?;
        self.stack
            .insert_resource(StackResource::new(path, type_name, properties, options))
    }

    /// Suppresses policy rule `rule` for every resource at or below this scope. The reason is
    /// required and recorded in the template metadata, where `check` reports it. The rule
    /// must be a built-in rule that may be suppressed, or a custom rule registered with
    /// [`crate::App::register_rule`] before the stack was created.
    pub fn suppress(&mut self, rule: &str, reason: &str) -> Result<()> {
        let invalid = |problem: String, fix: String| Error::InvalidSuppression {
            path: self.path.to_string(),
            rule: rule.to_owned(),
            problem,
            fix,
        };
        let id = RuleId::builtin(rule).or_else(|| {
            self.stack
                .custom_rules
                .iter()
                .find(|r| r.as_str() == rule)
                .cloned()
        });
        let Some(id) = id else {
            let near = crate::rules::nearest(rule, &self.stack.custom_rules);
            let known = crate::rules::RULES
                .iter()
                .map(|r| r.id)
                .chain(self.stack.custom_rules.iter().map(RuleId::as_str))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(invalid(
                if rule.trim().is_empty() {
                    "the rule id is empty".into()
                } else {
                    "no policy rule has this id".into()
                },
                match near.as_slice() {
                    [] => format!("use one of: {known}; a custom rule must be registered with `app.register_rule(id)` before the stack is created"),
                    near => format!("did you mean {}? Known rules: {known}", near.join(" or ")),
                },
            ));
        };
        if !id.suppressible() {
            return Err(invalid(
                "this rule guards data exposure or privilege escalation and cannot be suppressed"
                    .into(),
                "change the resource so that it passes the rule".into(),
            ));
        }
        if reason.trim().is_empty() {
            return Err(invalid(
                "the reason is empty".into(),
                "pass a sentence saying why the rule does not apply here".into(),
            ));
        }
        self.stack.suppressions.push(Suppression {
            path: self.path.clone(),
            rule: id,
            reason: reason.to_owned(),
        });
        Ok(())
    }

    /// This scope's path (`network/Vpc`).
    pub fn path(&self) -> &ConstructPath {
        &self.path
    }

    /// The stack this scope belongs to.
    pub fn stack(&self) -> &Stack {
        self.stack
    }

    /// The stack, for declaring parameters, outputs, conditions and mappings.
    pub fn stack_mut(&mut self) -> &mut Stack {
        self.stack
    }

    /// An [`Error::InvalidProps`] for this scope's path, for constructs validating props.
    pub fn invalid(
        &self,
        field: &str,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Error {
        Error::invalid_props(&self.path, field, problem, fix)
    }
}
