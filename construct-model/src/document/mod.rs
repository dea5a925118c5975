//! The one reader of CloudFormation templates: JSON, or YAML with the short-form tags
//! (`!Ref`, `!Sub`, `!GetAtt A.B`, ...), of any origin (stackforge's own output, committed
//! files, `check PATH`, `diff --against`, a deployed stack), into the typed [`Template`] with
//! intrinsics parsed into [`Expr`]. Everything that reasons about templates reads them here.

mod sections;
mod yaml;

use std::path::Path;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::expr::Expr;
use crate::parse::{ParseError, MAX_DEPTH};
use crate::property_path::PropertyPath;
use crate::template::{Template, FORMAT_VERSION};

use sections::{output, parameter, resource};
use yaml::{flow_depth_exceeds, from_yaml};

/// Why text is not a template stackforge can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// The file cannot be read.
    #[error("cannot read the file: {0}")]
    Unreadable(String),
    /// The text is empty.
    #[error("the file is empty. Fix: remove it or write a template into it")]
    Empty,
    /// Neither JSON nor YAML.
    #[error("{0}")]
    Malformed(String),
    /// Valid JSON/YAML, but not a CloudFormation template.
    #[error("not a CloudFormation template: {0}")]
    NotATemplate(String),
    /// A part of the template is invalid CloudFormation.
    #[error("`{location}`: {problem}")]
    Invalid {
        /// Where (`Resources.Queue.Properties.Tags[0]`, `Outputs.Url.Value`).
        location: String,
        /// What is wrong.
        problem: String,
    },
    /// Valid CloudFormation that stackforge does not support (transforms, macros,
    /// `Fn::ForEach`).
    #[error("not supported: {location}{problem}")]
    Unsupported {
        /// Where, with a trailing `: ` (empty for the whole template).
        location: String,
        /// What and why.
        problem: String,
    },
}

impl DocumentError {
    /// Whether the template is valid CloudFormation that stackforge does not support.
    pub fn is_unsupported(&self) -> bool {
        matches!(self, DocumentError::Unsupported { .. })
    }
}

/// Reads and parses a template file.
pub fn load(path: &Path) -> Result<Template, DocumentError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| DocumentError::Unreadable(e.to_string()))?;
    parse(&text)
}

/// Parses template text: JSON when it starts with `{`, YAML otherwise.
pub fn parse(text: &str) -> Result<Template, DocumentError> {
    from_json(&parse_value(text)?)
}

/// Parses JSON or YAML text into the JSON shape (short-form YAML tags turned into the long
/// form), without reading it as a template.
pub fn parse_value(text: &str) -> Result<Value, DocumentError> {
    if text.trim().is_empty() {
        return Err(DocumentError::Empty);
    }
    if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| {
            DocumentError::Malformed(format!("not valid JSON: {}", too_deep(e.to_string())))
        })
    } else {
        if flow_depth_exceeds(text, MAX_DEPTH) {
            return Err(DocumentError::Malformed(format!(
                "not valid YAML: the document nests too deep (over {MAX_DEPTH} levels of `[` and `{{`). Fix: flatten it"
            )));
        }
        let yaml: serde_norway::Value = serde_norway::from_str(text).map_err(|e| {
            DocumentError::Malformed(format!("not valid YAML: {}", too_deep(e.to_string())))
        })?;
        from_yaml(yaml, 0)
    }
}

/// The parsers' "recursion limit exceeded", said for people.
fn too_deep(message: String) -> String {
    if message.contains("recursion limit exceeded") {
        format!("{message}: the document nests too deep (over {MAX_DEPTH} levels). Fix: flatten it")
    } else {
        message
    }
}

const SECTIONS: [&str; 10] = [
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
];

fn invalid(location: impl Into<String>, problem: impl Into<String>) -> DocumentError {
    DocumentError::Invalid {
        location: location.into(),
        problem: problem.into(),
    }
}

fn expr_error(base: &str, e: ParseError) -> DocumentError {
    let location = if e.path.is_empty() {
        base.to_owned()
    } else {
        format!("{base}.{}", e.path)
    };
    if e.unsupported {
        DocumentError::Unsupported {
            location: format!("{location}: "),
            problem: e.problem,
        }
    } else {
        invalid(location, e.problem)
    }
}

fn expr(base: &str, v: &Value) -> Result<Expr, DocumentError> {
    Expr::from_json(v).map_err(|e| expr_error(base, e))
}

fn section<'a>(
    doc: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a Map<String, Value>>, DocumentError> {
    match doc.get(name) {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(other) => Err(invalid(name, format!("must be a map, not {}", kind(other)))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Reads a template from its JSON shape.
pub fn from_json(value: &Value) -> Result<Template, DocumentError> {
    let Value::Object(doc) = value else {
        return Err(DocumentError::NotATemplate(
            "the document is not an object".into(),
        ));
    };
    if let Some(t) = doc.get("Transform") {
        return Err(DocumentError::Unsupported {
            location: String::new(),
            problem: format!(
                "the template declares `Transform: {}`: transforms and macros (SAM, AWS::LanguageExtensions, ...) are expanded by CloudFormation at deploy time. Fix: read the processed template instead (`aws cloudformation get-template --template-stage Processed`)",
                t
            ),
        });
    }
    match doc.get("AWSTemplateFormatVersion") {
        None => {}
        Some(Value::String(v)) if v == FORMAT_VERSION => {}
        Some(other) => {
            return Err(invalid(
                "AWSTemplateFormatVersion",
                format!("must be \"{FORMAT_VERSION}\", not {other}"),
            ))
        }
    }
    let resources = match doc.get("Resources") {
        Some(Value::Object(r)) => r,
        Some(_) => {
            return Err(DocumentError::NotATemplate(
                "`Resources` is not a map of logical IDs to resources".into(),
            ))
        }
        None => {
            return Err(DocumentError::NotATemplate(
                "it has no `Resources` section".into(),
            ))
        }
    };

    if let Some(extra) = doc.keys().find(|k| !SECTIONS.contains(&k.as_str())) {
        return Err(invalid(
            extra.as_str(),
            format!(
                "unknown top-level section. Fix: use only {}",
                SECTIONS.join(", ")
            ),
        ));
    }
    let mut t = Template {
        description: match doc.get("Description") {
            None => None,
            Some(Value::String(d)) => Some(d.clone()),
            Some(other) => {
                return Err(invalid(
                    "Description",
                    format!("must be a string, not {}", kind(other)),
                ))
            }
        },
        metadata: section(doc, "Metadata")?
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        rules: doc.get("Rules").cloned(),
        ..Template::default()
    };
    for (name, p) in section(doc, "Parameters")?.into_iter().flatten() {
        t.parameters
            .insert(name.clone(), parameter(&format!("Parameters.{name}"), p)?);
    }
    for (name, m) in section(doc, "Mappings")?.into_iter().flatten() {
        let base = format!("Mappings.{name}");
        let Value::Object(top) = m else {
            return Err(invalid(base, "a mapping must be a map of maps"));
        };
        let mut out = IndexMap::new();
        for (k1, second) in top {
            let Value::Object(second) = second else {
                return Err(invalid(
                    format!("{base}.{k1}"),
                    "a mapping's top-level key must hold a map",
                ));
            };
            let mut inner = IndexMap::new();
            for (k2, v) in second {
                inner.insert(k2.clone(), expr(&format!("{base}.{k1}.{k2}"), v)?);
            }
            out.insert(k1.clone(), inner);
        }
        t.mappings.insert(name.clone(), out);
    }
    for (name, c) in section(doc, "Conditions")?.into_iter().flatten() {
        t.conditions
            .insert(name.clone(), expr(&format!("Conditions.{name}"), c)?);
    }
    // Exact capacities: every synthesized template is read back and kept in memory.
    t.resources.reserve_exact(resources.len());
    for (id, r) in resources {
        if id.starts_with("Fn::ForEach") {
            return Err(DocumentError::Unsupported {
                location: format!("Resources.{id}: "),
                problem: "`Fn::ForEach` needs the AWS::LanguageExtensions transform, which stackforge does not support (write the resources out)".into(),
            });
        }
        t.resources
            .insert(id.clone(), resource(&format!("Resources.{id}"), r)?);
    }
    for (name, o) in section(doc, "Outputs")?.into_iter().flatten() {
        t.outputs
            .insert(name.clone(), output(&format!("Outputs.{name}"), o)?);
    }
    Ok(t)
}

/// [`load`], then what CloudFormation would refuse at create time ([`crate::integrity`]):
/// for templates that must be complete (committed and compared folders, deploy inputs).
pub fn load_checked(path: &Path) -> Result<Template, DocumentError> {
    let t = load(path)?;
    match crate::integrity::check(&t).into_iter().next() {
        Some(p) => Err(invalid(p.location, p.problem)),
        None => Ok(t),
    }
}

/// Where a value of a template lives, for messages: `Resources.Q.Properties` + `Tags[0]`.
pub fn location(base: &str, path: &PropertyPath) -> String {
    if path.is_empty() {
        base.to_owned()
    } else {
        format!("{base}.{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::RemovalPolicy;
    use serde_json::json;

    #[test]
    fn yaml_short_form_tags_become_long_form() {
        let t = parse(
            "Parameters:\n  X:\n    Type: String\nConditions:\n  C: !Equals [a, b]\nResources:\n  Db:\n    Type: AWS::RDS::DBInstance\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      A: !Ref X\n      B: !GetAtt Db.Endpoint.Address\n      C: !Sub '${AWS::Region}-x'\n      D: !Join [',', [a, !ImportValue n]]\n      E: !If [C, 1, !Ref AWS::NoValue]\n",
        )
        .unwrap();
        let p = serde_json::to_value(&t.resources["Q"].properties).unwrap();
        assert_eq!(p["A"], json!({"Ref": "X"}));
        assert_eq!(p["B"], json!({"Fn::GetAtt": ["Db", "Endpoint.Address"]}));
        assert_eq!(p["C"], json!({"Fn::Sub": "${AWS::Region}-x"}));
        assert_eq!(
            p["D"],
            json!({"Fn::Join": [",", ["a", {"Fn::ImportValue": "n"}]]})
        );
        assert_eq!(p["E"], json!({"Fn::If": ["C", 1, {"Ref": "AWS::NoValue"}]}));
    }

    #[test]
    fn non_templates_are_rejected_with_a_reason() {
        let cases = [
            ("", "the file is empty"),
            ("  \n", "the file is empty"),
            ("{\"Resources\": ", "not valid JSON"),
            ("a: [b", "not valid YAML"),
            ("{\"name\": \"x\"}", "has no `Resources` section"),
            (
                "{\"Resources\": {}, \"Hooks\": {}}",
                "`Hooks`: unknown top-level section",
            ),
            ("[1, 2]", "the document is not an object"),
            ("Resources: 3", "`Resources` is not a map"),
            ("{\"Resources\": {\"A\": {}}}", "`Resources.A`: the resource has no `Type`"),
            (
                "{\"Resources\": {\"A\": {\"Type\": 7}}}",
                "`Resources.A.Type`: must be a resource type name",
            ),
            (
                "{\"Resources\": {\"A\": {\"Type\": \"X\", \"Properties\": {\"P\": {\"Fn::GetAtt\": 42}}}}}",
                "`Resources.A.Properties.P.Fn::GetAtt`",
            ),
            (
                "{\"Resources\": {\"A\": {\"Type\": \"X\", \"Propertes\": {}}}}",
                "unknown resource attribute",
            ),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
        }
        assert!(parse("Resources:\n  A:\n    Type: AWS::SQS::Queue\n").is_ok());
        assert!(parse("{\"Resources\": {}}").is_ok());
    }

    #[test]
    fn deeply_nested_yaml_is_refused_before_parsing() {
        let deep = format!(
            "Resources: {}x{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let e = parse(&deep).unwrap_err().to_string();
        assert!(e.contains("nests too deep"), "{e}");
        // Brackets inside quoted strings and comments do not count.
        let quoted = format!(
            "# {}\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: '{}'\n",
            "[".repeat(200),
            "{".repeat(200)
        );
        assert!(parse(&quoted).is_ok());
    }

    #[test]
    fn transforms_and_for_each_are_unsupported() {
        let sam = parse("Transform: AWS::Serverless-2016-10-31\nResources: {}\n").unwrap_err();
        assert!(sam.is_unsupported(), "{sam}");
        let each = parse(
            "{\"Resources\": {\"Fn::ForEach::Q\": [\"X\", [\"a\"], {\"Q${X}\": {\"Type\": \"AWS::SQS::Queue\"}}]}}",
        )
        .unwrap_err();
        assert!(each.is_unsupported(), "{each}");
    }

    #[test]
    fn every_section_and_attribute_is_read() {
        let text = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Description": "d",
  "Metadata": {"AWS::CloudFormation::Interface": {}},
  "Parameters": {"Size": {"Type": "Number", "Default": 3, "AllowedValues": [1, 3], "NoEcho": "true"}},
  "Mappings": {"M": {"us-east-1": {"Ami": "ami-1"}}},
  "Conditions": {"Big": {"Fn::Equals": [{"Ref": "Size"}, 3]}},
  "Resources": {
    "G": {"Type": "AWS::AutoScaling::AutoScalingGroup", "Condition": "Big", "DependsOn": "Q",
          "Properties": {"MinSize": {"Ref": "Size"}},
          "CreationPolicy": {"ResourceSignal": {"Count": {"Ref": "Size"}}},
          "UpdatePolicy": {"AutoScalingRollingUpdate": {"MinInstancesInService": 1}},
          "DeletionPolicy": "Snapshot", "UpdateReplacePolicy": "Retain",
          "Metadata": {"stackforge:path": "s/G/Resource"}},
    "Q": {"Type": "AWS::SQS::Queue"}
  },
  "Outputs": {"O": {"Value": {"Fn::GetAtt": ["Q", "Arn"]}, "Export": {"Name": "q-arn"}, "Condition": "Big"}}
}"#;
        let t = parse(text).unwrap();
        assert_eq!(t.parameters["Size"].default.as_deref(), Some("3"));
        assert_eq!(t.parameters["Size"].allowed_values, ["1", "3"]);
        assert!(t.parameters["Size"].no_echo);
        let g = &t.resources["G"];
        assert_eq!(g.depends_on, ["Q"]);
        assert_eq!(g.deletion_policy, Some(RemovalPolicy::Snapshot));
        assert_eq!(g.construct_path().unwrap().as_str(), "s/G/Resource");
        let used: Vec<String> = g.uses().iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(
            used,
            ["Properties.MinSize", "CreationPolicy.ResourceSignal.Count"]
        );
        assert_eq!(t.exports()[0].name, Some("q-arn"));
        // Rendering gives back the same document.
        let again = from_json(&t.to_json()).unwrap();
        assert_eq!(again, t);
    }
}
