//! The result of synthesis: per environment, the stacks in deploy order with their templates
//! and manifest entries, and what the change-safety checks found against the committed
//! state. Immutable data; the CLI decides where to write it.

use indexmap::IndexMap;

use crate::change::refactor::RecordedRefactor;
use crate::committed::SafetyReport;
use crate::error::Warning;
use crate::export::ExportName;
use crate::layout::{self, KeptExport, Manifest, ManifestParameter, ManifestResource};
use crate::path::ConstructPath;
use crate::stack::Environment;
use crate::template::Template;

pub use crate::layout::OutputFormat;

/// A synthesized app.
#[derive(Debug, Clone)]
pub struct Assembly {
    /// The app name.
    pub app: String,
    /// Environments in the order the app declared them.
    pub environments: Vec<EnvironmentAssembly>,
    /// Non-fatal findings (limits approached, registry types without a schema).
    pub warnings: Vec<Warning>,
    /// What the change-safety checks found against the committed state given to
    /// [`crate::App::synth_with`] (empty without one).
    pub safety: SafetyReport,
}

/// The stacks of one environment, in deploy order.
#[derive(Debug, Clone)]
pub struct EnvironmentAssembly {
    /// The environment.
    pub environment: Environment,
    /// Its stacks, dependencies first.
    pub stacks: Vec<StackArtifact>,
    /// The declared renames and moves with their resource mappings, as the manifest records
    /// them (what `deploy` carries out with stack refactoring).
    pub refactors: Vec<RecordedRefactor>,
}

/// One synthesized stack: its template (rendered once, and read back once through the one
/// template reader, so every command sees exactly what a file holds) and manifest facts.
///
/// Memory: the artifact keeps the template read back, not the rendered text; the reader and
/// the writer round-trip byte for byte (`constructs/tests/document_roundtrip.rs`), so
/// [`StackArtifact::body`] renders exactly the bytes synthesis checked.
#[derive(Debug, Clone)]
pub struct StackArtifact {
    /// The short name (`network`).
    pub name: String,
    /// The CloudFormation stack name (`migration-api-dev-network`).
    pub stack_name: String,
    /// Short names of the stacks this one depends on, in deploy order.
    pub dependencies: Vec<String>,
    /// Stack-level tags (`app`, `env`, `stack`, then app and stack tags).
    pub tags: IndexMap<String, String>,
    /// Construct paths whose logical ID may change, with the reason given.
    pub accepted_replacements: IndexMap<ConstructPath, String>,
    /// The constructs the app declared in this stack, by path, with their kind (`Vpc`,
    /// `RdsEncrypted`), in declaration order: a construct comes before those nested in it.
    /// Kept in memory for `graph` only: neither the template nor the manifest carries it.
    pub constructs: IndexMap<ConstructPath, String>,
    body_len: usize,
    template: Template,
    kept_exports: Vec<KeptExport>,
}

impl StackArtifact {
    /// An artifact of `template`, read back from its rendering of `body_len` bytes
    /// (synthesis builds these).
    pub(crate) fn new(
        name: String,
        stack_name: String,
        body_len: usize,
        template: Template,
        kept_exports: Vec<KeptExport>,
    ) -> Self {
        Self {
            name,
            stack_name,
            dependencies: Vec::new(),
            tags: IndexMap::new(),
            accepted_replacements: IndexMap::new(),
            constructs: IndexMap::new(),
            body_len,
            template,
            kept_exports,
        }
    }

    /// The template, as read back from [`StackArtifact::body`]: the same model any template
    /// file is read into.
    pub fn template(&self) -> &Template {
        &self.template
    }

    /// The template as pretty-printed JSON (what `--format json` writes, byte for byte),
    /// rendered on each call.
    pub fn body(&self) -> String {
        render_body(&self.template)
    }

    /// The length in bytes of [`StackArtifact::body`] (CloudFormation's body limits).
    pub fn body_len(&self) -> usize {
        self.body_len
    }

    /// The template as a JSON value (for tests and tools that want JSON; reasoning about the
    /// template goes through [`StackArtifact::template`]).
    pub fn json(&self) -> serde_json::Value {
        self.template.to_json()
    }

    /// Exports kept because committed templates of other stacks import them.
    pub fn kept_exports(&self) -> &[KeptExport] {
        &self.kept_exports
    }

    /// The template file name for `format` (`network.template.json`).
    pub fn template_file(&self, format: OutputFormat) -> String {
        layout::template_file(&self.name, format)
    }

    /// The parameter file name (`network.parameters.json`).
    pub fn parameter_file(&self) -> String {
        layout::parameter_file(&self.name)
    }

    /// The template text in `format`.
    pub fn render(&self, format: OutputFormat) -> String {
        match format {
            OutputFormat::Json => self.body(),
            OutputFormat::Yaml => crate::yaml::to_yaml(&self.template.to_json()),
        }
    }
}

/// The pretty-printed JSON of a template, as written to `.template.json`.
pub fn render_body(template: &Template) -> String {
    // Serializing a map of strings, numbers and lists cannot fail.
    serde_json::to_string_pretty(template).unwrap_or_default() + "\n"
}

impl EnvironmentAssembly {
    /// The manifest (`manifest.json`): stacks in deploy order with template file,
    /// dependencies, parameters, tags, every resource's construct path, exports and kept
    /// exports.
    pub fn manifest(&self, app: &str, format: OutputFormat) -> Manifest {
        let stacks = self
            .stacks
            .iter()
            .map(|s| {
                let t = s.template();
                layout::ManifestStack {
                    name: s.name.clone(),
                    stack_name: s.stack_name.clone(),
                    template_file: s.template_file(format),
                    dependencies: s.dependencies.clone(),
                    parameters: t
                        .parameters
                        .iter()
                        .map(|(name, p)| {
                            (
                                name.clone(),
                                ManifestParameter {
                                    kind: p.kind.as_str().to_owned(),
                                    default: p.default.clone(),
                                },
                            )
                        })
                        .collect(),
                    tags: s.tags.clone(),
                    parameter_file: (!t.parameters.is_empty()).then(|| s.parameter_file()),
                    resources: t
                        .resources
                        .iter()
                        .filter_map(|(id, r)| {
                            Some((
                                id.clone(),
                                ManifestResource {
                                    path: r.construct_path()?,
                                    type_name: r.type_name.clone(),
                                },
                            ))
                        })
                        .collect(),
                    exports: t
                        .exports()
                        .into_iter()
                        .filter_map(|e| Some((e.name?.to_owned(), e.output.to_owned())))
                        .collect(),
                    kept_exports: s.kept_exports.clone(),
                }
            })
            .collect();
        Manifest {
            app: app.to_owned(),
            environment: self.environment.name().to_owned(),
            account: self.environment.account().map(str::to_owned),
            region: self.environment.region().map(str::to_owned),
            stacks,
            refactors: self.refactors.clone(),
        }
    }

    /// The stack called `name`, if any.
    pub fn stack(&self, name: &str) -> Option<&StackArtifact> {
        self.stacks.iter().find(|s| s.name == name)
    }

    /// Every export of the environment's stacks (literal names), with its producer.
    pub fn exports(&self) -> Vec<ExportName> {
        self.stacks
            .iter()
            .flat_map(|s| {
                s.template()
                    .exports()
                    .into_iter()
                    .filter_map(|e| Some(ExportName::new(e.name?, &s.name, e.output)))
            })
            .collect()
    }
}

impl Assembly {
    /// The environment called `name`, if any.
    pub fn environment(&self, name: &str) -> Option<&EnvironmentAssembly> {
        self.environments
            .iter()
            .find(|e| e.environment.name() == name)
    }
}
