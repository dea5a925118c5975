//! The one template model: what synthesis produces and what [`crate::document`] reads back
//! from any CloudFormation file. Everything is an `IndexMap`, so the output order is the
//! insertion order and the bytes are stable. Values are [`Expr`]s, so references, exports and
//! construct paths are read through the accessors here, never by walking JSON.

mod parameter;

use indexmap::IndexMap;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::expr::{Expr, ExprMap, Use};
use crate::path::ConstructPath;
use crate::property_path::PropertyPath;
use crate::resource::RemovalPolicy;

pub use parameter::{Parameter, ParameterType};

/// The metadata key recording a resource's construct path.
pub const PATH_METADATA_KEY: &str = "stackforge:path";

/// The metadata key listing suppressed rules with their reasons (beside
/// `Metadata.guard.SuppressedRules`, which Guard rule registries read).
pub const SUPPRESSIONS_METADATA_KEY: &str = "stackforge:suppressions";

/// A CloudFormation template: synthesized, or read from a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Template {
    /// `Description`.
    pub description: Option<String>,
    /// The template-level `Metadata` section (`StackProps::metadata` when synthesized).
    pub metadata: IndexMap<String, Value>,
    /// The `Rules` section (parameter assertions; `StackProps::rules` when synthesized).
    pub rules: Option<Value>,
    /// `Parameters`.
    pub parameters: IndexMap<String, Parameter>,
    /// `Mappings`: map name -> top-level key -> second-level key -> value.
    pub mappings: IndexMap<String, IndexMap<String, IndexMap<String, Expr>>>,
    /// `Conditions`.
    pub conditions: IndexMap<String, Expr>,
    /// `Resources` by logical ID.
    pub resources: IndexMap<String, ResourceDef>,
    /// `Outputs`.
    pub outputs: IndexMap<String, Output>,
}

/// One resource of a [`Template`].
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceDef {
    /// `Type`.
    pub type_name: String,
    /// `Properties`.
    pub properties: ExprMap,
    /// `DependsOn` (logical IDs in the same template).
    pub depends_on: Vec<String>,
    /// `Condition`.
    pub condition: Option<String>,
    /// `DeletionPolicy`.
    pub deletion_policy: Option<RemovalPolicy>,
    /// `UpdateReplacePolicy`.
    pub update_replace_policy: Option<RemovalPolicy>,
    /// `Metadata` (synthesis always records [`PATH_METADATA_KEY`]).
    pub metadata: IndexMap<String, Value>,
    /// `CreationPolicy` (`ResourceOptions::creation_policy` when synthesized; boxed, as
    /// the update policy: rare, and every resource of every template holds the field).
    pub creation_policy: Option<Box<Expr>>,
    /// `UpdatePolicy` (`ResourceOptions::update_policy` when synthesized).
    pub update_policy: Option<Box<Expr>>,
}

/// A suppression recorded in a resource's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedSuppression {
    /// The rule id.
    pub rule: String,
    /// Why it does not apply, when recorded.
    pub reason: Option<String>,
    /// The construct path it was declared on, when recorded.
    pub scope: Option<String>,
}

impl ResourceDef {
    /// A resource of `type_name` with no properties or attributes.
    pub fn new(type_name: &str) -> Self {
        Self {
            type_name: type_name.to_owned(),
            properties: ExprMap::new(),
            depends_on: Vec::new(),
            condition: None,
            deletion_policy: None,
            update_replace_policy: None,
            metadata: IndexMap::new(),
            creation_policy: None,
            update_policy: None,
        }
    }

    /// The construct path recorded in the metadata, as text.
    pub fn path(&self) -> Option<&str> {
        self.metadata
            .get(PATH_METADATA_KEY)
            .and_then(|v| v.as_str())
    }

    /// The construct path recorded in the metadata.
    pub fn construct_path(&self) -> Option<ConstructPath> {
        self.path().and_then(ConstructPath::parse)
    }

    /// Everything the resource's properties and policies use, with the property path
    /// (`Properties.VpcId`, `UpdatePolicy.AutoScalingRollingUpdate.MinInstancesInService`).
    pub fn uses(&self) -> Vec<(PropertyPath, Use<'_>)> {
        let mut out = Vec::new();
        for (name, value) in &self.properties {
            let base = PropertyPath::key("Properties").with_key(name);
            out.extend(value.uses().into_iter().map(|(p, u)| (join(&base, &p), u)));
        }
        for (section, value) in [
            ("CreationPolicy", self.creation_policy.as_deref()),
            ("UpdatePolicy", self.update_policy.as_deref()),
        ] {
            if let Some(value) = value {
                let base = PropertyPath::key(section);
                out.extend(value.uses().into_iter().map(|(p, u)| (join(&base, &p), u)));
            }
        }
        out
    }

    /// The rules suppressed for this resource (`Metadata.guard.SuppressedRules`), with the
    /// reason and scope stackforge recorded beside them when there is one.
    pub fn suppressions(&self) -> Vec<RecordedSuppression> {
        let rules = self
            .metadata
            .get("guard")
            .and_then(|g| g.get("SuppressedRules"))
            .and_then(Value::as_array);
        let recorded = self
            .metadata
            .get(SUPPRESSIONS_METADATA_KEY)
            .and_then(Value::as_array);
        rules
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|rule| {
                let entry = recorded.and_then(|list| {
                    list.iter()
                        .find(|s| s.get("rule").and_then(Value::as_str) == Some(rule))
                });
                let text = |key: &str| {
                    entry
                        .and_then(|s| s.get(key))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                };
                RecordedSuppression {
                    rule: rule.to_owned(),
                    reason: text("reason"),
                    scope: text("scope"),
                }
            })
            .collect()
    }
}

fn join(base: &PropertyPath, rest: &PropertyPath) -> PropertyPath {
    let mut p = base.clone();
    for seg in rest.segments() {
        p.push(seg.clone());
    }
    p
}

/// One export of a template: the output declaring it and its name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExportDecl<'a> {
    /// The output's name.
    pub output: &'a str,
    /// The output.
    pub decl: &'a Output,
    /// The export name, when it is a literal (synthesis always writes literals).
    pub name: Option<&'a str>,
}

/// Where a use happens in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UseSite {
    /// In resource `.0` (its properties or policies).
    Resource(String),
    /// In output `.0`.
    Output(String),
    /// In condition `.0`.
    Condition(String),
}

impl Template {
    /// The exports of this template's outputs, in output order.
    pub fn exports(&self) -> Vec<ExportDecl<'_>> {
        self.outputs
            .iter()
            .filter_map(|(name, o)| {
                let e = o.export_name.as_ref()?;
                Some(ExportDecl {
                    output: name,
                    decl: o,
                    name: e.as_str(),
                })
            })
            .collect()
    }

    /// The literal names of every `Fn::ImportValue` in the template, each once, in document
    /// order.
    pub fn imports(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for (_, _, u) in self.uses() {
            if let Use::Import(Expr::String(name)) = u {
                if !out.contains(&name.as_str()) {
                    out.push(name);
                }
            }
        }
        out
    }

    /// Every use of something outside a value, in resources, outputs and conditions, with
    /// where it happens.
    pub fn uses(&self) -> Vec<(UseSite, PropertyPath, Use<'_>)> {
        let mut out = Vec::new();
        for (id, r) in &self.resources {
            for (p, u) in r.uses() {
                out.push((UseSite::Resource(id.clone()), p, u));
            }
        }
        for (name, o) in &self.outputs {
            let site = || UseSite::Output(name.clone());
            for (p, u) in o.value.uses() {
                out.push((site(), join(&PropertyPath::key("Value"), &p), u));
            }
            if let Some(e) = &o.export_name {
                let base = PropertyPath::key("Export").with_key("Name");
                for (p, u) in e.uses() {
                    out.push((site(), join(&base, &p), u));
                }
            }
        }
        for (name, c) in &self.conditions {
            for (p, u) in c.uses() {
                out.push((UseSite::Condition(name.clone()), p, u));
            }
        }
        out
    }

    /// The template as a JSON value (what the file holds).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// A template output.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// `Description`. Default: none.
    pub description: Option<String>,
    /// `Value`.
    pub value: Expr,
    /// `Export.Name`. Default: not exported.
    pub export_name: Option<Expr>,
    /// `Condition`. Default: none.
    pub condition: Option<String>,
}

impl Output {
    /// An output of `value` with no description or export.
    pub fn new(value: impl Into<Expr>) -> Self {
        Self {
            description: None,
            value: value.into(),
            export_name: None,
            condition: None,
        }
    }

    /// Sets `Description`.
    pub fn description(mut self, d: &str) -> Self {
        self.description = Some(d.to_owned());
        self
    }

    /// Sets `Export.Name`.
    pub fn export(mut self, name: impl Into<Expr>) -> Self {
        self.export_name = Some(name.into());
        self
    }
}

/// `AWSTemplateFormatVersion` of every template.
pub const FORMAT_VERSION: &str = "2010-09-09";

impl Serialize for Template {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("AWSTemplateFormatVersion", FORMAT_VERSION)?;
        if let Some(d) = &self.description {
            m.serialize_entry("Description", d)?;
        }
        if !self.metadata.is_empty() {
            m.serialize_entry("Metadata", &self.metadata)?;
        }
        if !self.parameters.is_empty() {
            m.serialize_entry("Parameters", &self.parameters)?;
        }
        if let Some(r) = &self.rules {
            m.serialize_entry("Rules", r)?;
        }
        if !self.mappings.is_empty() {
            m.serialize_entry("Mappings", &self.mappings)?;
        }
        if !self.conditions.is_empty() {
            m.serialize_entry("Conditions", &self.conditions)?;
        }
        m.serialize_entry("Resources", &self.resources)?;
        if !self.outputs.is_empty() {
            m.serialize_entry("Outputs", &self.outputs)?;
        }
        m.end()
    }
}

impl Serialize for ResourceDef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("Type", &self.type_name)?;
        if !self.properties.is_empty() {
            m.serialize_entry("Properties", &self.properties)?;
        }
        match self.depends_on.as_slice() {
            [] => {}
            [one] => m.serialize_entry("DependsOn", one)?,
            many => m.serialize_entry("DependsOn", many)?,
        }
        if let Some(c) = &self.condition {
            m.serialize_entry("Condition", c)?;
        }
        if let Some(p) = &self.creation_policy {
            m.serialize_entry("CreationPolicy", p)?;
        }
        if let Some(p) = &self.update_policy {
            m.serialize_entry("UpdatePolicy", p)?;
        }
        if let Some(p) = self.update_replace_policy {
            m.serialize_entry("UpdateReplacePolicy", p.as_str())?;
        }
        if let Some(p) = self.deletion_policy {
            m.serialize_entry("DeletionPolicy", p.as_str())?;
        }
        if !self.metadata.is_empty() {
            m.serialize_entry("Metadata", &self.metadata)?;
        }
        m.end()
    }
}

impl Serialize for Output {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Export<'a>(&'a Expr);
        impl Serialize for Export<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("Name", self.0)?;
                m.end()
            }
        }
        let mut m = s.serialize_map(None)?;
        if let Some(d) = &self.description {
            m.serialize_entry("Description", d)?;
        }
        m.serialize_entry("Value", &self.value)?;
        if let Some(e) = &self.export_name {
            m.serialize_entry("Export", &Export(e))?;
        }
        if let Some(c) = &self.condition {
            m.serialize_entry("Condition", c)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn template_sections_render_in_cloudformation_order_and_empty_ones_are_left_out() {
        let mut t = Template {
            description: Some("d".into()),
            ..Default::default()
        };
        t.outputs.insert("O".into(), Output::new("v").export("e"));
        t.parameters.insert(
            "P".into(),
            Parameter::number().range(1.0, 5.0).default_value("2"),
        );
        t.resources.insert(
            "R".into(),
            ResourceDef {
                depends_on: vec!["Q".into()],
                condition: Some("C".into()),
                deletion_policy: Some(RemovalPolicy::Retain),
                update_replace_policy: Some(RemovalPolicy::Retain),
                metadata: [(PATH_METADATA_KEY.to_owned(), json!("s/R"))]
                    .into_iter()
                    .collect(),
                ..ResourceDef::new("AWS::SNS::Topic")
            },
        );
        let text = serde_json::to_string(&t).unwrap();
        assert_eq!(
            text,
            r#"{"AWSTemplateFormatVersion":"2010-09-09","Description":"d","Parameters":{"P":{"Type":"Number","Default":"2","MinValue":1.0,"MaxValue":5.0}},"Resources":{"R":{"Type":"AWS::SNS::Topic","DependsOn":"Q","Condition":"C","UpdateReplacePolicy":"Retain","DeletionPolicy":"Retain","Metadata":{"stackforge:path":"s/R"}}},"Outputs":{"O":{"Value":"v","Export":{"Name":"e"}}}}"#
        );
    }

    #[test]
    fn parameter_values_are_checked_against_type_and_constraints() {
        let n = Parameter::number().range(1.0, 10.0);
        assert!(n.check_value("5").is_ok());
        assert!(n.check_value("x").unwrap_err().contains("not a number"));
        assert!(n
            .check_value("11")
            .unwrap_err()
            .contains("above MaxValue 10"));
        let s = Parameter::string()
            .allowed_pattern("arn:aws:acm:.*", "an ACM certificate ARN")
            .length(1, 200);
        assert!(s
            .check_value("arn:aws:acm:us-east-1:1:certificate/x")
            .is_ok());
        assert!(s
            .check_value("xarn:aws:acm:")
            .unwrap_err()
            .contains("AllowedPattern"));
        assert!(s.check_value("").unwrap_err().contains("below MinLength 1"));
        let e = Parameter::string().allowed_values(["a", "b"]);
        assert!(e.check_value("c").unwrap_err().contains("not one of"));
    }

    /// CloudFormation reads AllowedPattern as a Java regex: look-ahead is valid there (the AWS
    /// solution templates' S3 bucket-name patterns use it).
    #[test]
    fn allowed_patterns_with_look_ahead_are_checked_not_refused() {
        let bucket = Parameter::string().allowed_pattern(
            r"^(?=^.{3,63}$)(?!.*[.-]{2})[a-z0-9][a-z0-9.-]*[a-z0-9]$",
            "an S3 bucket name",
        );
        assert!(bucket.check_value("my-logs.bucket").is_ok());
        assert!(bucket
            .check_value("my--logs")
            .unwrap_err()
            .contains("does not match AllowedPattern"));
        assert!(bucket
            .check_value("ab")
            .unwrap_err()
            .contains("does not match AllowedPattern"));
    }
}
