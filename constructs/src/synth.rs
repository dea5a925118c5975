//! Synthesis: aspects and tags, cross-stack references (exports/imports and stack
//! dependencies), validation, deploy order and CloudFormation limits. No I/O.

use std::collections::HashSet;

use indexmap::{IndexMap, IndexSet};
use serde_json::json;

use crate::app::App;
use crate::aspect::{Aspect, ResourceView, Tags};
use crate::assembly::{Assembly, EnvironmentAssembly, StackArtifact};
use crate::error::{Error, Result, Warning};
use crate::expr::{Expr, Pseudo, RefKind, Reference, StackKey};
use crate::stack::Stack;
use crate::template::{Output, ResourceDef, Template, PATH_METADATA_KEY};

/// CloudFormation quotas checked at synth.
pub mod limits {
    /// Resources per template.
    pub const RESOURCES: usize = 500;
    /// Parameters per template.
    pub const PARAMETERS: usize = 200;
    /// Outputs per template.
    pub const OUTPUTS: usize = 200;
    /// Mappings per template.
    pub const MAPPINGS: usize = 200;
    /// Template body passed directly to CloudFormation (larger needs an S3 upload).
    pub const BODY_DIRECT: usize = 51_200;
    /// Template body uploaded through S3.
    pub const BODY_S3: usize = 1_000_000;
}

/// Metadata key listing suppressed rules with their reasons.
pub const SUPPRESSIONS_METADATA_KEY: &str = "stackforge:suppressions";

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
}

impl App {
    /// Synthesizes every environment: runs aspects and tagging, turns cross-stack references
    /// into exports and imports, validates, orders stacks for deployment and renders the
    /// templates. Reports every error it finds, not only the first.
    pub fn synth(&self) -> Result<Assembly> {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut environments = Vec::new();
        for env in self.environments() {
            let stacks: Vec<&Stack> = self
                .stacks
                .iter()
                .filter(|s| s.environment().name() == env.name())
                .collect();
            if let Some(other) = stacks.iter().find(|s| s.environment() != env) {
                errors.push(Error::invalid_props(
                    other.stack_name(),
                    "environment",
                    format!("stacks of environment `{}` disagree on its account, region or availability zones", env.name()),
                    "create the Environment once and pass the same value to every stack",
                ));
                continue;
            }
            match self.synth_environment(&stacks, &mut warnings) {
                Ok(stacks) => environments.push(EnvironmentAssembly {
                    environment: env.clone(),
                    stacks,
                }),
                Err(e) => errors.extend(e.errors().into_iter().cloned()),
            }
        }
        match Error::from_many(errors) {
            Some(e) => Err(e),
            None => Ok(Assembly {
                app: self.name().to_owned(),
                environments,
                warnings,
            }),
        }
    }

    fn synth_environment(
        &self,
        stacks: &[&Stack],
        warnings: &mut Vec<Warning>,
    ) -> Result<Vec<StackArtifact>> {
        let mut errors = Vec::new();
        crate::type_checks::check_environment(self, stacks, &mut errors, warnings);
        let mut drafts: Vec<Draft<'_>> =
            stacks.iter().map(|s| self.draft(s, &mut errors)).collect();

        // Resolve references stack by stack; exports are collected per producer first
        // because the producer's draft cannot be borrowed while the consumer's is.
        let mut exports: IndexMap<StackKey, IndexMap<String, ExportRequest>> = IndexMap::new();
        for draft in &mut drafts {
            let mut resolver = Resolver {
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
                        Output::new(r.value).export(Expr::String(r.export_name)),
                    );
                }
            }
        }
        check_duplicate_exports(
            stacks.first().map_or("", |s| s.key().env()),
            &drafts,
            &mut errors,
        );

        let order = match deploy_order(&drafts) {
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
        for i in order {
            let Some(draft) = drafts[i].take() else {
                continue;
            };
            match self.finish(draft, stacks, warnings) {
                Ok(a) => artifacts.push(a),
                Err(e) => errors.push(e),
            }
        }
        match Error::from_many(errors) {
            Some(e) => Err(e),
            None => Ok(artifacts),
        }
    }

    /// Copies a stack's declarations, runs tagging and aspects, and resolves `DependsOn` and
    /// resource conditions.
    fn draft<'s>(&self, stack: &'s Stack, errors: &mut Vec<Error>) -> Draft<'s> {
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
        for (id, r) in &stack.resources {
            let mut properties = r.properties.clone();
            let mut metadata = IndexMap::new();
            metadata.insert(PATH_METADATA_KEY.to_owned(), json!(r.path));
            metadata.extend(r.options.metadata.clone());
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
                        path: r.path.clone(),
                        message,
                    });
                }
            }
            add_suppressions(stack, &r.path, &mut metadata);

            let mut depends_on = Vec::new();
            for target in &r.options.depends_on {
                match target.owner() {
                    Some(owner) if owner == stack.key() => {
                        depends_on.push(target.logical_id().to_owned())
                    }
                    None if stack.resources.contains_key(target.logical_id()) => {
                        depends_on.push(target.logical_id().to_owned())
                    }
                    None => errors.push(Error::MissingTarget {
                        consumer: r.path.clone(),
                        what: "DependsOn",
                        target: target.logical_id().to_owned(),
                        stack: stack.stack_name().to_owned(),
                        fix: "depend on a resource handle, or name a resource of this stack".into(),
                    }),
                    Some(owner) if owner.env() != stack.key().env() => {
                        errors.push(Error::CrossEnvironmentReference {
                            consumer: r.path.clone(),
                            consumer_env: stack.key().env().to_owned(),
                            target: target.path().to_owned(),
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
            let condition = r.options.condition.as_ref().and_then(|c| {
                if c.owner() == stack.key() {
                    Some(c.name().to_owned())
                } else {
                    errors.push(Error::ForeignDeclaration {
                        consumer: r.path.clone(),
                        kind: "condition",
                        name: c.name().to_owned(),
                        owner: c.owner().to_string(),
                    });
                    None
                }
            });
            resources.insert(
                id.clone(),
                ResourceDef {
                    type_name: r.type_name.clone(),
                    properties,
                    depends_on,
                    condition,
                    deletion_policy: r.options.deletion_policy,
                    update_replace_policy: r.options.update_replace_policy,
                    metadata,
                },
            );
        }
        Draft {
            stack,
            resources,
            outputs: stack.outputs.clone(),
            conditions: stack.conditions.clone(),
            deps,
        }
    }

    /// Validates raw resources, renders the template and checks CloudFormation's limits.
    fn finish(
        &self,
        draft: Draft<'_>,
        stacks: &[&Stack],
        warnings: &mut Vec<Warning>,
    ) -> Result<StackArtifact> {
        let stack = draft.stack;
        let mut errors = Vec::new();
        for (id, r) in &draft.resources {
            let raw = stack.resources.get(id).is_some_and(|s| s.raw);
            if raw {
                let path = r.path().unwrap_or(id);
                crate::type_checks::validate_raw(path, &r.type_name, &r.properties, &mut errors);
            }
        }

        let template = Template {
            description: stack.props.description.clone(),
            parameters: stack.parameters.clone(),
            mappings: stack.mappings.clone(),
            conditions: draft.conditions,
            resources: draft.resources,
            outputs: draft.outputs,
        };
        let name = stack.stack_name();
        let counts = [
            (
                "resources",
                template.resources.len(),
                limits::RESOURCES,
                "split the stack into several stacks",
            ),
            (
                "parameters",
                template.parameters.len(),
                limits::PARAMETERS,
                "pass fewer values as parameters, e.g. combine them or use SSM parameters",
            ),
            (
                "outputs",
                template.outputs.len(),
                limits::OUTPUTS,
                "export fewer values, or split the stack",
            ),
            (
                "mappings",
                template.mappings.len(),
                limits::MAPPINGS,
                "combine mappings or move values into Rust settings",
            ),
        ];
        for (what, count, limit, fix) in counts {
            check_limit(name, what, count, limit, fix, &mut errors, warnings);
        }
        let body = crate::assembly::render_body(&template);
        check_limit(
            name,
            "template body bytes (via S3)",
            body.len(),
            limits::BODY_S3,
            "split the stack into several stacks",
            &mut errors,
            warnings,
        );
        if body.len() > limits::BODY_DIRECT {
            warnings.push(Warning {
                location: name.to_owned(),
                message: format!(
                    "the template is {} bytes, over the {} bytes CloudFormation accepts directly: deploy needs an S3 bucket (`deploy --s3-bucket`)",
                    body.len(),
                    limits::BODY_DIRECT
                ),
            });
        } else if body.len() * 10 >= limits::BODY_DIRECT * 9 {
            warnings.push(Warning {
                location: name.to_owned(),
                message: format!(
                    "the template is {} bytes, over 90% of the {} bytes CloudFormation accepts without an S3 upload",
                    body.len(),
                    limits::BODY_DIRECT
                ),
            });
        }
        if let Some(e) = Error::from_many(errors) {
            return Err(e);
        }

        let order: Vec<&StackKey> = stacks.iter().map(|s| s.key()).collect();
        let mut dependencies: Vec<&StackKey> = draft.deps.keys().collect();
        dependencies.sort_by_key(|k| order.iter().position(|o| o == k));
        let mut tags = IndexMap::new();
        tags.insert("app".to_owned(), self.name().to_owned());
        tags.insert("env".to_owned(), stack.key().env().to_owned());
        tags.insert("stack".to_owned(), stack.name().to_owned());
        tags.extend(self.tags.clone());
        tags.extend(stack.props.tags.clone());
        Ok(StackArtifact {
            name: stack.name().to_owned(),
            stack_name: name.to_owned(),
            template,
            body,
            dependencies: dependencies
                .into_iter()
                .map(|k| k.name().to_owned())
                .collect(),
            tags,
            accepted_replacements: stack.accepted_replacements.clone(),
        })
    }
}

fn check_limit(
    stack: &str,
    what: &'static str,
    count: usize,
    limit: usize,
    fix: &'static str,
    errors: &mut Vec<Error>,
    warnings: &mut Vec<Warning>,
) {
    if count > limit {
        errors.push(Error::LimitExceeded {
            stack: stack.to_owned(),
            what,
            count,
            limit,
            fix,
        });
    } else if count * 10 >= limit * 9 {
        warnings.push(Warning {
            location: stack.to_owned(),
            message: format!(
                "{what}: {count} is at least 90% of CloudFormation's limit of {limit}"
            ),
        });
    }
}

/// Records suppressions of this path and its ancestors, in the form Guard rules read
/// (`Metadata.guard.SuppressedRules`) plus the reasons.
fn add_suppressions(stack: &Stack, path: &str, metadata: &mut IndexMap<String, serde_json::Value>) {
    let applicable: Vec<_> = stack
        .suppressions
        .iter()
        .filter(|s| path == s.path || path.starts_with(&format!("{}/", s.path)))
        .collect();
    if applicable.is_empty() {
        return;
    }
    let rules: IndexSet<&str> = applicable.iter().map(|s| s.rule.as_str()).collect();
    metadata.insert("guard".into(), json!({ "SuppressedRules": rules }));
    let reasons: Vec<_> = applicable
        .iter()
        .map(|s| json!({ "rule": s.rule, "reason": s.reason, "scope": s.path }))
        .collect();
    metadata.insert(SUPPRESSIONS_METADATA_KEY.into(), json!(reasons));
}

struct Resolver<'a, 'b> {
    app: &'a App,
    stack: &'a Stack,
    exports: &'b mut IndexMap<StackKey, IndexMap<String, ExportRequest>>,
    deps: &'b mut Edges,
    errors: &'b mut Vec<Error>,
}

impl Resolver<'_, '_> {
    /// Checks every reference in `value`, turning cross-stack ones into `Fn::ImportValue`.
    fn resolve(&mut self, value: &mut Expr, consumer: &str) {
        value.visit_mut(&mut |e| match e {
            Expr::Ref(r) => {
                if let Some(import) = self.reference(r, None, consumer) {
                    *e = import;
                }
            }
            Expr::GetAtt { target, attribute } => {
                let attribute = attribute.clone();
                if let Some(import) = self.reference(target, Some(&attribute), consumer) {
                    *e = import;
                }
            }
            Expr::If { condition, .. } | Expr::Condition(condition)
                if condition.owner() != self.stack.key() =>
            {
                self.errors.push(Error::ForeignDeclaration {
                    consumer: consumer.to_owned(),
                    kind: "condition",
                    name: condition.name().to_owned(),
                    owner: condition.owner().to_string(),
                });
            }
            Expr::FindInMap { map, .. } if map.owner() != self.stack.key() => {
                self.errors.push(Error::ForeignDeclaration {
                    consumer: consumer.to_owned(),
                    kind: "mapping",
                    name: map.name().to_owned(),
                    owner: map.owner().to_string(),
                });
            }
            Expr::Sub { template, vars } => self.check_sub(template, vars, consumer),
            _ => {}
        });
    }

    /// Returns the `Fn::ImportValue` replacing a cross-stack reference, or `None` when the
    /// reference stays (it is local; errors are recorded).
    fn reference(
        &mut self,
        r: &Reference,
        attribute: Option<&str>,
        consumer: &str,
    ) -> Option<Expr> {
        let owner = match r.owner() {
            None => {
                self.check_local(r, attribute, consumer);
                return None;
            }
            Some(owner) if owner == self.stack.key() => {
                self.check_local(r, attribute, consumer);
                return None;
            }
            Some(owner) => owner,
        };
        if owner.env() != self.stack.key().env() {
            self.errors.push(Error::CrossEnvironmentReference {
                consumer: consumer.to_owned(),
                consumer_env: self.stack.key().env().to_owned(),
                target: r.path().to_owned(),
                target_env: owner.env().to_owned(),
            });
            return None;
        }
        let Some(producer) = self.app.stacks.iter().find(|s| s.key() == owner) else {
            self.errors.push(Error::UnknownStack {
                consumer: consumer.to_owned(),
                target: r.path().to_owned(),
                stack: owner.to_string(),
            });
            return None;
        };
        let exists = match r.kind() {
            RefKind::Resource => producer.resources.contains_key(r.logical_id()),
            RefKind::Parameter => producer.parameters.contains_key(r.logical_id()),
        };
        if !exists {
            self.errors.push(Error::MissingTarget {
                consumer: consumer.to_owned(),
                what: if attribute.is_some() { "GetAtt" } else { "Ref" },
                target: r.logical_id().to_owned(),
                stack: producer.stack_name().to_owned(),
                fix: "use the handle returned when the resource was added to that stack".into(),
            });
            return None;
        }
        let attr_alnum: String = attribute
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let mut output_id = format!("Export{}{attr_alnum}", r.logical_id());
        if output_id.len() > crate::logical_id::MAX_ID_LEN {
            let digest = format!("{:x}", md5::compute(&output_id));
            output_id.truncate(crate::logical_id::MAX_ID_LEN - 8);
            output_id.push_str(&digest[..8].to_uppercase());
        }
        let export_name = match attribute {
            None => format!("{}:{}", producer.stack_name(), r.logical_id()),
            Some(a) => format!(
                "{}:{}-{}",
                producer.stack_name(),
                r.logical_id(),
                a.replace('.', "-")
            ),
        };
        let value = match attribute {
            None => Expr::Ref(r.clone()),
            Some(a) => Expr::GetAtt {
                target: r.clone(),
                attribute: a.to_owned(),
            },
        };
        self.exports
            .entry(owner.clone())
            .or_default()
            .entry(output_id.clone())
            .or_insert(ExportRequest {
                output_id,
                export_name: export_name.clone(),
                value,
            });
        self.deps.entry(owner.clone()).or_insert_with(|| {
            let what = attribute.map_or(String::new(), |a| format!(".{a}"));
            format!("`{consumer}` uses `{}{what}`", r.path())
        });
        Some(Expr::import_value(Expr::String(export_name)))
    }

    fn check_local(&mut self, r: &Reference, attribute: Option<&str>, consumer: &str) {
        let id = r.logical_id();
        let exists = self.stack.resources.contains_key(id)
            || (attribute.is_none() && self.stack.parameters.contains_key(id))
            || (attribute.is_none() && r.owner().is_none() && Pseudo::from_name(id).is_some());
        if !exists {
            self.errors.push(Error::MissingTarget {
                consumer: consumer.to_owned(),
                what: if attribute.is_some() { "GetAtt" } else { "Ref" },
                target: id.to_owned(),
                stack: self.stack.stack_name().to_owned(),
                fix: "reference a resource or parameter of this stack (prefer the handle returned when it was added)".into(),
            });
        }
    }

    /// `${Name}` placeholders must be variables, pseudo parameters, or names of this stack.
    fn check_sub(&mut self, template: &str, vars: &IndexMap<String, Expr>, consumer: &str) {
        for name in crate::expr::sub_placeholders(template) {
            let base = name.split('.').next().unwrap_or(name);
            let known = vars.contains_key(name)
                || Pseudo::from_name(name).is_some()
                || self.stack.parameters.contains_key(name)
                || self.stack.resources.contains_key(base);
            if !known {
                self.errors.push(Error::MissingTarget {
                    consumer: consumer.to_owned(),
                    what: "Fn::Sub placeholder",
                    target: name.to_owned(),
                    stack: self.stack.stack_name().to_owned(),
                    fix: format!(
                        "pass `{name}` as a variable: Expr::sub(template, [(\"{name}\", value)])"
                    ),
                });
            }
        }
    }
}

fn check_duplicate_exports(env: &str, drafts: &[Draft<'_>], errors: &mut Vec<Error>) {
    let mut seen: IndexMap<String, String> = IndexMap::new();
    for d in drafts {
        for (name, out) in &d.outputs {
            let Some(Expr::String(export)) = &out.export_name else {
                continue;
            };
            let here = format!("{}/Outputs/{name}", d.stack.name());
            if let Some(first) = seen.get(export) {
                errors.push(Error::DuplicateExport {
                    env: env.to_owned(),
                    name: export.clone(),
                    first: first.clone(),
                    second: here,
                });
            } else {
                seen.insert(export.clone(), here);
            }
        }
    }
}

/// Stacks in deploy order (dependencies first, otherwise in the order they were added), or
/// the cycle that prevents one.
fn deploy_order(drafts: &[Draft<'_>]) -> Result<Vec<usize>> {
    let index: IndexMap<&StackKey, usize> = drafts
        .iter()
        .enumerate()
        .map(|(i, d)| (d.stack.key(), i))
        .collect();
    let deps: Vec<Vec<usize>> = drafts
        .iter()
        .map(|d| {
            d.deps
                .keys()
                .filter_map(|k| index.get(k).copied())
                .collect()
        })
        .collect();
    let mut placed: HashSet<usize> = HashSet::new();
    let mut order = Vec::with_capacity(drafts.len());
    while order.len() < drafts.len() {
        let next = (0..drafts.len())
            .find(|i| !placed.contains(i) && deps[*i].iter().all(|d| placed.contains(d)));
        match next {
            Some(i) => {
                placed.insert(i);
                order.push(i);
            }
            None => return Err(cycle_error(drafts, &deps, &placed)),
        }
    }
    Ok(order)
}

fn cycle_error(drafts: &[Draft<'_>], deps: &[Vec<usize>], placed: &HashSet<usize>) -> Error {
    // Every unplaced stack waits on another unplaced one, so walking those edges must repeat.
    let mut path: Vec<usize> = Vec::new();
    let mut current = (0..drafts.len()).find(|i| !placed.contains(i)).unwrap_or(0);
    while !path.contains(&current) {
        path.push(current);
        current = deps[current]
            .iter()
            .copied()
            .find(|d| !placed.contains(d))
            .unwrap_or(current);
    }
    let start = path.iter().position(|p| *p == current).unwrap_or(0);
    let cycle: Vec<String> = path[start..]
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let next = path[start..].get(n + 1).copied().unwrap_or(current);
            let reason = drafts[i]
                .deps
                .get(drafts[next].stack.key())
                .cloned()
                .unwrap_or_default();
            format!(
                "`{}` -> `{}` ({reason})",
                drafts[i].stack.name(),
                drafts[next].stack.name()
            )
        })
        .collect();
    Error::StackCycle {
        env: drafts[current].stack.key().env().to_owned(),
        cycle: cycle.join("; "),
    }
}
