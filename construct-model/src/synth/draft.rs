//! Drafting a stack: its declarations copied, tags and aspects applied, suppressions
//! recorded, `DependsOn` and resource conditions resolved.

use indexmap::{IndexMap, IndexSet};
use serde_json::json;

use super::{Draft, Edges};
use crate::app::App;
use crate::aspect::{Aspect, ResourceView, Tags};
use crate::error::Error;
use crate::expr::ExprMap;
use crate::path::ConstructPath;
use crate::stack::Stack;
use crate::template::{ResourceDef, PATH_METADATA_KEY, SUPPRESSIONS_METADATA_KEY};

impl App {
    /// Copies a stack's declarations, runs tagging and aspects, and resolves `DependsOn` and
    /// resource conditions. `taken`: the resources' properties, in order, when they were
    /// moved out of the stack (else they are copied).
    pub(super) fn draft<'s>(
        &self,
        stack: &'s Stack,
        errors: &mut Vec<Error>,
        taken: Option<Vec<ExprMap>>,
    ) -> Draft<'s> {
        errors.extend(stack.unused_renames_and_overrides());
        let mut tag_values: IndexMap<String, String> = IndexMap::new();
        tag_values.insert("app".into(), self.name().to_owned());
        tag_values.insert("env".into(), stack.key().env().to_owned());
        tag_values.insert("stack".into(), stack.name().to_owned());
        tag_values.extend(self.tags.clone());
        tag_values.extend(stack.props.tags.clone());
        let tags = Tags::new(tag_values);
        let aspects: Vec<&dyn Aspect> = std::iter::once(&tags as &dyn Aspect)
            .chain(self.aspects.iter().map(|a| a.as_ref()))
            .collect();

        let mut deps: Edges = IndexMap::new();
        for d in &stack.dependencies {
            deps.entry(d.clone()).or_insert_with(|| {
                format!("`{}` is declared to depend on `{}`", stack.name(), d.name())
            });
        }
        let mut resources = IndexMap::with_capacity(stack.resources.len());
        let mut taken = taken.map(Vec::into_iter);
        for (id, r) in &stack.resources {
            let mut properties = match taken.as_mut().and_then(Iterator::next) {
                Some(properties) => properties,
                None => r.properties.clone(),
            };
            // Sized exactly: a map grown by its first insert holds four entries, and every
            // resource of every stack has this one.
            let mut metadata = IndexMap::with_capacity(1 + r.options().metadata.len());
            metadata.insert(PATH_METADATA_KEY.to_owned(), json!(r.path));
            metadata.extend(r.options().metadata.clone());
            for aspect in &aspects {
                let mut view = ResourceView {
                    stack: stack.key(),
                    path: &r.path,
                    logical_id: id,
                    type_name: &r.type_name,
                    properties: &mut properties,
                    metadata: &mut metadata,
                };
                if let Err(message) = aspect.visit(&mut view) {
                    errors.push(Error::Aspect {
                        path: r.path.to_string(),
                        message,
                    });
                }
            }
            add_suppressions(stack, &r.path, &mut metadata);
            // Every stack's drafts are alive at synth's peak: no room for entries never added
            // (generated code grows the map one property at a time).
            properties.shrink_to_fit();

            let mut depends_on = Vec::new();
            for target in &r.options().depends_on {
                match target.owner() {
                    Some(owner) if owner == stack.key() => {
                        depends_on.push(target.logical_id().to_owned())
                    }
                    None if stack.resources.contains_key(target.logical_id()) => {
                        depends_on.push(target.logical_id().to_owned())
                    }
                    None => errors.push(Error::MissingTarget {
                        consumer: r.path.to_string(),
                        what: "DependsOn",
                        target: target.logical_id().to_owned(),
                        stack: stack.stack_name().to_owned(),
                        fix: "depend on a resource handle, or name a resource of this stack".into(),
                    }),
                    Some(owner) if owner.env() != stack.key().env() => {
                        errors.push(Error::CrossEnvironmentReference {
                            consumer: r.path.to_string(),
                            consumer_env: stack.key().env().to_owned(),
                            target: target.path().to_string(),
                            target_env: owner.env().to_owned(),
                        })
                    }
                    Some(owner) => {
                        deps.entry(owner.clone()).or_insert_with(|| {
                            format!("`{}` depends on `{}`", r.path, target.path())
                        });
                    }
                }
            }
            let condition = r.options().condition.as_ref().and_then(|c| {
                if c.owner().is_none_or(|o| o == stack.key()) {
                    Some(c.name().to_owned())
                } else {
                    errors.push(Error::ForeignDeclaration {
                        consumer: r.path.to_string(),
                        kind: "condition",
                        name: c.name().to_owned(),
                        owner: c.owner().map_or_else(String::new, ToString::to_string),
                    });
                    None
                }
            });
            resources.insert(
                id.clone(),
                ResourceDef {
                    properties,
                    depends_on,
                    condition,
                    deletion_policy: r.options().deletion_policy,
                    update_replace_policy: r.options().update_replace_policy,
                    metadata,
                    creation_policy: r.options().creation_policy.clone().map(Box::new),
                    update_policy: r.options().update_policy.clone().map(Box::new),
                    ..ResourceDef::new(&r.type_name)
                },
            );
        }
        Draft {
            stack,
            resources,
            outputs: stack.outputs.clone(),
            conditions: stack.conditions.clone(),
            deps,
            kept: Vec::new(),
        }
    }
}

/// Records suppressions of this path and its ancestors, in the form Guard rules read
/// (`Metadata.guard.SuppressedRules`) plus the reasons.
fn add_suppressions(
    stack: &Stack,
    path: &ConstructPath,
    metadata: &mut IndexMap<String, serde_json::Value>,
) {
    let applicable: Vec<_> = stack
        .suppressions
        .iter()
        .filter(|s| path.is_within(&s.path))
        .collect();
    if applicable.is_empty() {
        return;
    }
    let rules: IndexSet<&str> = applicable.iter().map(|s| s.rule.as_str()).collect();
    metadata.insert("guard".into(), json!({ "SuppressedRules": rules }));
    let reasons: Vec<_> = applicable
        .iter()
        .map(|s| json!({ "rule": s.rule.as_str(), "reason": s.reason, "scope": s.path }))
        .collect();
    metadata.insert(SUPPRESSIONS_METADATA_KEY.into(), json!(reasons));
}
