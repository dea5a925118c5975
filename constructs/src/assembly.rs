//! The result of synthesis: per environment, the stacks in deploy order with their templates
//! and manifest entries. Pure data; the CLI decides where to write it.

use indexmap::IndexMap;
use serde_json::{json, Value};

use crate::error::Warning;
use crate::stack::Environment;
use crate::template::Template;

/// The file format templates are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// Pretty-printed JSON (`.template.json`). The default.
    #[default]
    Json,
    /// YAML (`.template.yaml`).
    Yaml,
}

impl OutputFormat {
    /// The template file extension (`json`, `yaml`).
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Json => "json",
            OutputFormat::Yaml => "yaml",
        }
    }
}

/// A synthesized app.
#[derive(Debug, Clone)]
pub struct Assembly {
    /// The app name.
    pub app: String,
    /// Environments in the order the app declared them.
    pub environments: Vec<EnvironmentAssembly>,
    /// Non-fatal findings (limits approached, raw resources without a schema).
    pub warnings: Vec<Warning>,
}

/// The stacks of one environment, in deploy order.
#[derive(Debug, Clone)]
pub struct EnvironmentAssembly {
    /// The environment.
    pub environment: Environment,
    /// Its stacks, dependencies first.
    pub stacks: Vec<StackArtifact>,
}

/// One synthesized stack.
#[derive(Debug, Clone)]
pub struct StackArtifact {
    /// The short name (`network`).
    pub name: String,
    /// The CloudFormation stack name (`migration-api-dev-network`).
    pub stack_name: String,
    /// The template model.
    pub template: Template,
    /// The template as pretty-printed JSON (what `--format json` writes, byte for byte).
    pub body: String,
    /// Short names of the stacks this one depends on, in deploy order.
    pub dependencies: Vec<String>,
    /// Stack-level tags (`app`, `env`, `stack`, then app and stack tags).
    pub tags: IndexMap<String, String>,
    /// Construct paths whose logical ID may change, with the reason given.
    pub accepted_replacements: IndexMap<String, String>,
}

impl StackArtifact {
    /// The template file name for `format` (`network.template.json`).
    pub fn template_file(&self, format: OutputFormat) -> String {
        format!("{}.template.{}", self.name, format.extension())
    }

    /// The parameter file name (`network.parameters.json`).
    pub fn parameter_file(&self) -> String {
        format!("{}.parameters.json", self.name)
    }

    /// The template text in `format`.
    pub fn render(&self, format: OutputFormat) -> String {
        match format {
            OutputFormat::Json => self.body.clone(),
            OutputFormat::Yaml => crate::yaml::to_yaml(&self.json()),
        }
    }

    /// Replaces the template and re-renders [`StackArtifact::body`] (for CLI steps that
    /// amend a synthesized template, such as keeping an export still imported elsewhere).
    pub fn set_template(&mut self, template: Template) {
        self.body = render_body(&template);
        self.template = template;
    }

    /// The template as a JSON value.
    pub fn json(&self) -> Value {
        serde_json::to_value(&self.template).unwrap_or(Value::Null)
    }
}

/// The pretty-printed JSON of a template, as written to `.template.json`.
pub fn render_body(template: &Template) -> String {
    // Serializing a map of strings, numbers and lists cannot fail.
    serde_json::to_string_pretty(template).unwrap_or_default() + "\n"
}

impl EnvironmentAssembly {
    /// The manifest (`manifest.json`): stacks in deploy order with template file,
    /// dependencies, parameters and tags.
    pub fn manifest(&self, app: &str, format: OutputFormat) -> Value {
        let stacks: Vec<Value> = self
            .stacks
            .iter()
            .map(|s| {
                let parameters: serde_json::Map<String, Value> = s
                    .template
                    .parameters
                    .iter()
                    .map(|(name, p)| {
                        let mut v = json!({ "type": p.kind.as_str() });
                        if let Some(d) = &p.default {
                            v["default"] = json!(d);
                        }
                        (name.clone(), v)
                    })
                    .collect();
                let mut entry = json!({
                    "name": s.name,
                    "stackName": s.stack_name,
                    "templateFile": s.template_file(format),
                    "dependencies": s.dependencies,
                    "parameters": parameters,
                    "tags": s.tags,
                });
                if !s.template.parameters.is_empty() {
                    entry["parameterFile"] = json!(s.parameter_file());
                }
                entry
            })
            .collect();
        let mut m = json!({ "app": app, "environment": self.environment.name() });
        if let Some(a) = self.environment.account() {
            m["account"] = json!(a);
        }
        if let Some(r) = self.environment.region() {
            m["region"] = json!(r);
        }
        m["stacks"] = Value::Array(stacks);
        m
    }

    /// The stack called `name`, if any.
    pub fn stack(&self, name: &str) -> Option<&StackArtifact> {
        self.stacks.iter().find(|s| s.name == name)
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
