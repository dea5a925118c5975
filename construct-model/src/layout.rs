//! How an environment's output folder is laid out, and its manifest: the one place that knows
//! file names. `templates/<env>/` holds `<stack>.template.json` (or `.yaml`) per stack and
//! `manifest.json`, and for a stack with parameters `<stack>.parameters.json`, the values synth
//! checked in the hand-edited input files (which live outside this folder).
//!
//! The manifest is also state: it records every resource's construct path and logical ID,
//! every export with the output that declares it, and the exports kept for importers, so the
//! next synth reads them back as structured data (see [`crate::committed`]).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::change::refactor::RecordedRefactor;
use crate::path::ConstructPath;

/// The manifest file of each environment folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Suffix of the parameter files synth writes beside the templates (the checked values of
/// the stack's input file, for deploy tools).
pub const PARAMETER_FILE_SUFFIX: &str = ".parameters.json";

/// Template file suffixes, in the order a folder is searched for a stack's template: what
/// `synth` writes first, then the plain names hand-written folders use.
pub const TEMPLATE_SUFFIXES: [&str; 6] = [
    ".template.json",
    ".template.yaml",
    ".template.yml",
    ".json",
    ".yaml",
    ".yml",
];

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

/// The template file name of stack `stack` (`network.template.json`).
pub fn template_file(stack: &str, format: OutputFormat) -> String {
    format!("{stack}.template.{}", format.extension())
}

/// The parameter file name of stack `stack` (`network.parameters.json`).
pub fn parameter_file(stack: &str) -> String {
    format!("{stack}{PARAMETER_FILE_SUFFIX}")
}

/// The stack a file name holds the template of, with the rank of its suffix in
/// [`TEMPLATE_SUFFIXES`] (lower is preferred); `None` for the manifest, parameter files,
/// hidden files and other names.
pub fn template_stack(file: &str) -> Option<(&str, usize)> {
    if file.starts_with('.') || file == MANIFEST_FILE || file.ends_with(PARAMETER_FILE_SUFFIX) {
        return None;
    }
    TEMPLATE_SUFFIXES.iter().enumerate().find_map(|(rank, s)| {
        file.strip_suffix(s)
            .filter(|stem| !stem.is_empty())
            .map(|stem| (stem, rank))
    })
}

/// Whether a file found while walking folders for templates (`check PATH`) may hold one:
/// JSON or YAML, not the manifest, not a parameter file, not hidden.
pub fn is_template_candidate(file: &str) -> bool {
    !file.starts_with('.')
        && file != MANIFEST_FILE
        && !file.ends_with(PARAMETER_FILE_SUFFIX)
        && [".json", ".yaml", ".yml", ".template"]
            .iter()
            .any(|s| file.ends_with(s))
}

/// `manifest.json` of one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    /// The app name.
    pub app: String,
    /// The environment name.
    pub environment: String,
    /// The pinned account, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The pinned region, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The stacks in deploy order.
    pub stacks: Vec<ManifestStack>,
    /// Declared renames and moves with their resource mappings, for `deploy` to carry out
    /// with stack refactoring (kept while the app declares them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refactors: Vec<RecordedRefactor>,
}

/// One stack of a [`Manifest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManifestStack {
    /// The short name (`network`).
    pub name: String,
    /// The CloudFormation stack name.
    pub stack_name: String,
    /// The template file, relative to the environment folder.
    pub template_file: String,
    /// Short names of the stacks deployed before this one.
    pub dependencies: Vec<String>,
    /// The template's parameters.
    pub parameters: IndexMap<String, ManifestParameter>,
    /// Stack-level tags.
    pub tags: IndexMap<String, String>,
    /// The parameter values file beside the template, when the stack has parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_file: Option<String>,
    /// Every resource by logical ID: its construct path and type (the identity the next
    /// synth compares against).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub resources: IndexMap<String, ManifestResource>,
    /// Every export of the stack by export name, with the output declaring it.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub exports: IndexMap<String, String>,
    /// Exports kept only because other stacks' committed templates imported them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept_exports: Vec<KeptExport>,
}

/// A parameter as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestParameter {
    /// The parameter type (`String`, `Number`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The default, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// A resource as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestResource {
    /// The construct path.
    pub path: ConstructPath,
    /// The CloudFormation type.
    #[serde(rename = "type")]
    pub type_name: String,
}

/// An export synth keeps because committed templates of other stacks import it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeptExport {
    /// The output name in the producer's template.
    pub output: String,
    /// The export name.
    pub export: String,
    /// Short names of the stacks that imported it when it was kept.
    pub importers: Vec<String>,
}

impl Manifest {
    /// The stack called `name`, if any.
    pub fn stack(&self, name: &str) -> Option<&ManifestStack> {
        self.stacks.iter().find(|s| s.name == name)
    }

    /// The manifest as written (pretty JSON with a final newline).
    pub fn render(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Reads a manifest; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        serde_json::from_str(text).map_err(|e| format!("not a stackforge manifest: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_files_map_to_stacks_by_suffix_rank() {
        assert_eq!(
            template_stack("network.template.json"),
            Some(("network", 0))
        );
        assert_eq!(template_stack("network.yaml"), Some(("network", 4)));
        for not in [
            "manifest.json",
            "service.parameters.json",
            ".hidden.json",
            "README.md",
            ".json",
        ] {
            assert_eq!(template_stack(not), None, "{not}");
        }
        assert!(is_template_candidate("x.template"));
        assert!(!is_template_candidate("manifest.json"));
    }

    #[test]
    fn manifests_round_trip_and_reject_unknown_fields() {
        let text = r#"{"app": "a", "environment": "dev", "stacks": [{"name": "s", "stackName": "a-dev-s",
            "templateFile": "s.template.json", "dependencies": [], "parameters": {"P": {"type": "String"}},
            "tags": {"app": "a"}, "resources": {"Q": {"path": "s/Q", "type": "AWS::SQS::Queue"}},
            "exports": {"a-dev-s:Q": "ExportQ"}}]}"#;
        let m = Manifest::parse(text).unwrap();
        assert_eq!(m.stacks[0].resources["Q"].path.as_str(), "s/Q");
        assert_eq!(Manifest::parse(&m.render()).unwrap(), m);
        let e = Manifest::parse(r#"{"app": "a", "environment": "d", "stacks": [], "x": 1}"#)
            .unwrap_err();
        assert!(e.contains("unknown field `x`"), "{e}");
    }
}
