//! Finishing a stack: raw resources validated, the template rendered and read back, and
//! CloudFormation's limits checked.

use indexmap::IndexMap;

use super::Draft;
use crate::app::App;
use crate::assembly::StackArtifact;
use crate::error::{Error, Result, Warning};
use crate::expr::StackKey;
use crate::stack::Stack;
use crate::template::Template;

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

/// A stack's template rendered, before it is read back.
pub(super) struct Rendered<'s> {
    stack: &'s Stack,
    body: String,
    deps: super::Edges,
    kept: Vec<crate::layout::KeptExport>,
}

impl App {
    /// Validates every resource against its type's schema, renders the template and checks
    /// CloudFormation's limits. Runs on any thread: what it allocates for long is the body
    /// only, which [`App::read_back`] drops.
    pub(super) fn finish<'s>(
        &self,
        draft: Draft<'s>,
        warnings: &mut Vec<Warning>,
    ) -> Result<Rendered<'s>> {
        let stack = draft.stack;
        let mut errors = Vec::new();
        for (id, r) in &draft.resources {
            let path = r.path().unwrap_or(id);
            crate::type_checks::validate_properties(path, &r.type_name, &r.properties, &mut errors);
        }

        let template = Template {
            description: stack.props.description.clone(),
            metadata: stack.props.metadata.clone(),
            rules: stack.props.rules.clone(),
            parameters: stack.parameters.clone(),
            mappings: stack.mappings.clone(),
            conditions: draft.conditions,
            resources: draft.resources,
            outputs: draft.outputs,
        };
        let name = stack.stack_name();
        if template.resources.is_empty() {
            // CloudFormation: "Template format error: At least one Resources member must be
            // defined".
            errors.push(Error::Template {
                path: name.to_owned(),
                location: "Resources".into(),
                problem: "the stack has no resources, and CloudFormation refuses a template without one. Fix: add a construct to the stack, or remove the stack from the app".into(),
            });
        }
        for p in crate::integrity::check(&template) {
            let path = p
                .resource
                .as_ref()
                .and_then(|id| template.resources.get(id))
                .and_then(|r| r.path())
                .unwrap_or(name);
            errors.push(Error::Template {
                path: path.to_owned(),
                location: p.location,
                problem: p.problem,
            });
        }
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
        // The draft is not needed any more: only the text is read back.
        drop(template);
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
        Ok(Rendered {
            stack,
            body,
            deps: draft.deps,
            kept: draft.kept,
        })
    }

    /// Reads a rendered template back into the artifact. It runs on the synthesizing
    /// thread: the document it builds lives as long as the assembly, and allocating it on
    /// a worker thread would leave it spread over that thread's heap (glibc keeps a heap
    /// per thread), which raised peak memory by half.
    pub(super) fn read_back(
        &self,
        rendered: Rendered<'_>,
        stacks: &[&Stack],
    ) -> Result<StackArtifact> {
        let Rendered {
            stack,
            body,
            deps,
            kept,
        } = rendered;
        let name = stack.stack_name();
        let order: Vec<&StackKey> = stacks.iter().map(|s| s.key()).collect();
        let mut dependencies: Vec<&StackKey> = deps.keys().collect();
        dependencies.sort_by_key(|k| order.iter().position(|o| o == k));
        let mut tags = IndexMap::new();
        tags.insert("app".to_owned(), self.name().to_owned());
        tags.insert("env".to_owned(), stack.key().env().to_owned());
        tags.insert("stack".to_owned(), stack.name().to_owned());
        tags.extend(self.tags.clone());
        tags.extend(stack.props.tags.clone());
        // Every command reads templates through the one reader, synthesized ones included:
        // what it cannot read back (a malformed intrinsic built from JSON) is an error here.
        let document = crate::document::parse(&body).map_err(|e| Error::Unreadable {
            stack: name.to_owned(),
            problem: e.to_string(),
        })?;
        let mut artifact = StackArtifact::new(
            stack.name().to_owned(),
            name.to_owned(),
            body.len(),
            document,
            kept,
        );
        artifact.dependencies = dependencies
            .into_iter()
            .map(|k| k.name().to_owned())
            .collect();
        artifact.tags = tags;
        artifact.accepted_replacements = stack.accepted_replacements.clone();
        artifact.constructs = stack.constructs.clone();
        Ok(artifact)
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
