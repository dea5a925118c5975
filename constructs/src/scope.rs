//! `Scope`: a position in a stack's construct tree, through which constructs add resources.

use crate::error::{Error, Result};
use crate::path::ConstructPath;
use crate::resource::{CfnResource, RawResource, ResourceHandle, ResourceOptions};
use crate::stack::{Stack, StackResource, Suppression};

/// A path in a stack's construct tree (`network/Vpc`). Constructs take `&mut Scope`, open a
/// child scope for themselves with [`Scope::child`] and add resources with [`Scope::add`].
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
            false,
        )?;
        Ok(ResourceHandle::new(reference))
    }

    /// Adds a raw resource (type name + properties), validated against its type's schema at
    /// synth. Prefer typed resources; this is the escape hatch.
    pub fn add_raw(
        &mut self,
        id: &str,
        resource: RawResource,
        options: ResourceOptions,
    ) -> Result<ResourceHandle<RawResource>> {
        let reference = self.insert(id, resource.type_name, resource.properties, options, true)?;
        Ok(ResourceHandle::new(reference))
    }

    fn insert(
        &mut self,
        id: &str,
        type_name: String,
        properties: indexmap::IndexMap<String, crate::Expr>,
        options: ResourceOptions,
        raw: bool,
    ) -> Result<crate::Reference> {
        let path = self.stack.register_node(&self.path, id)?;
        self.stack.insert_resource(StackResource {
            path,
            type_name,
            properties,
            options,
            raw,
        })
    }

    /// Suppresses policy rule `rule` for every resource at or below this scope. The reason is
    /// required and recorded in the template metadata, where `check` reports it.
    pub fn suppress(&mut self, rule: &str, reason: &str) -> Result<()> {
        let problem = if rule.trim().is_empty() {
            Some("the rule id is empty")
        } else if reason.trim().is_empty() {
            Some("the reason is empty")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Error::InvalidSuppression {
                path: self.path.to_string(),
                rule: rule.to_owned(),
                problem: problem.to_owned(),
                fix: "pass the rule id and a sentence saying why the rule does not apply here"
                    .to_owned(),
            });
        }
        self.stack.suppressions.push(Suppression {
            path: self.path.clone(),
            rule: rule.to_owned(),
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
