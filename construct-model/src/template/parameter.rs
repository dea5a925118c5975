//! Template parameters: their type, constraints and default, the check of a value against
//! them (as CloudFormation checks it at deploy), and their rendering.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::expr::Expr;

/// The `Type` of a template parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParameterType {
    /// `String`
    String,
    /// `Number`
    Number,
    /// `List<Number>`
    NumberList,
    /// `CommaDelimitedList`
    CommaDelimitedList,
    /// An AWS-specific type such as `AWS::EC2::VPC::Id` or
    /// `AWS::SSM::Parameter::Value<String>`.
    Aws(String),
}

impl ParameterType {
    /// The type spelled `name` in a template (`AWS::...` and `List<...>` types are kept as
    /// written).
    pub fn from_name(name: &str) -> Self {
        match name {
            "String" => ParameterType::String,
            "Number" => ParameterType::Number,
            "List<Number>" => ParameterType::NumberList,
            "CommaDelimitedList" => ParameterType::CommaDelimitedList,
            other => ParameterType::Aws(other.to_owned()),
        }
    }

    /// The template spelling.
    pub fn as_str(&self) -> &str {
        match self {
            ParameterType::String => "String",
            ParameterType::Number => "Number",
            ParameterType::NumberList => "List<Number>",
            ParameterType::CommaDelimitedList => "CommaDelimitedList",
            ParameterType::Aws(s) => s,
        }
    }
}

/// A template parameter. Build with [`Parameter::string`] or [`Parameter::number`] and the
/// builder methods; every constraint defaults to unset.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// `Type`. Default: `String`.
    pub kind: ParameterType,
    /// `Description`. Default: none.
    pub description: Option<String>,
    /// `Default`. Default: none (the value must then be given at deploy).
    pub default: Option<String>,
    /// `NoEcho`. Default: false.
    pub no_echo: bool,
    /// `AllowedValues`. Default: any.
    pub allowed_values: Vec<String>,
    /// `AllowedPattern`. Default: any.
    pub allowed_pattern: Option<String>,
    /// `MinLength`. Default: none.
    pub min_length: Option<u32>,
    /// `MaxLength`. Default: none.
    pub max_length: Option<u32>,
    /// `MinValue`. Default: none.
    pub min_value: Option<f64>,
    /// `MaxValue`. Default: none.
    pub max_value: Option<f64>,
    /// `ConstraintDescription`. Default: none.
    pub constraint_description: Option<String>,
}

impl Parameter {
    /// A parameter of `kind` with no constraints.
    pub fn new(kind: ParameterType) -> Self {
        Self {
            kind,
            description: None,
            default: None,
            no_echo: false,
            allowed_values: Vec::new(),
            allowed_pattern: None,
            min_length: None,
            max_length: None,
            min_value: None,
            max_value: None,
            constraint_description: None,
        }
    }

    /// A `String` parameter.
    pub fn string() -> Self {
        Self::new(ParameterType::String)
    }

    /// A `Number` parameter.
    pub fn number() -> Self {
        Self::new(ParameterType::Number)
    }

    /// Sets `Description`.
    pub fn description(mut self, d: &str) -> Self {
        self.description = Some(d.to_owned());
        self
    }

    /// Sets `Default`.
    pub fn default_value(mut self, d: impl Into<String>) -> Self {
        self.default = Some(d.into());
        self
    }

    /// Sets `NoEcho: true`.
    pub fn no_echo(mut self) -> Self {
        self.no_echo = true;
        self
    }

    /// Sets `AllowedValues`.
    pub fn allowed_values<I: IntoIterator<Item = S>, S: Into<String>>(mut self, v: I) -> Self {
        self.allowed_values = v.into_iter().map(Into::into).collect();
        self
    }

    /// Sets `AllowedPattern` and its `ConstraintDescription`.
    pub fn allowed_pattern(mut self, pattern: &str, constraint_description: &str) -> Self {
        self.allowed_pattern = Some(pattern.to_owned());
        self.constraint_description = Some(constraint_description.to_owned());
        self
    }

    /// Sets `MinLength` and `MaxLength`.
    pub fn length(mut self, min: u32, max: u32) -> Self {
        self.min_length = Some(min);
        self.max_length = Some(max);
        self
    }

    /// Sets `MinValue` and `MaxValue`.
    pub fn range(mut self, min: f64, max: f64) -> Self {
        self.min_value = Some(min);
        self.max_value = Some(max);
        self
    }

    /// Checks a value given for this parameter (from a parameter file or the command line)
    /// against its type and constraints. Returns what is wrong.
    pub fn check_value(&self, value: &str) -> Result<(), String> {
        let numbers: Vec<&str> = match self.kind {
            ParameterType::Number => vec![value],
            ParameterType::NumberList => value.split(',').map(str::trim).collect(),
            _ => Vec::new(),
        };
        for n in &numbers {
            let parsed: f64 = n
                .parse()
                .map_err(|_| format!("`{n}` is not a number (type {})", self.kind.as_str()))?;
            if let Some(min) = self.min_value.filter(|min| parsed < *min) {
                return Err(format!("{parsed} is below MinValue {min}"));
            }
            if let Some(max) = self.max_value.filter(|max| parsed > *max) {
                return Err(format!("{parsed} is above MaxValue {max}"));
            }
        }
        if !self.allowed_values.is_empty() && !self.allowed_values.iter().any(|a| a == value) {
            return Err(format!(
                "`{value}` is not one of the AllowedValues ({})",
                self.allowed_values.join(", ")
            ));
        }
        let len = value.chars().count();
        if let Some(min) = self.min_length.filter(|m| len < *m as usize) {
            return Err(format!("its length {len} is below MinLength {min}"));
        }
        if let Some(max) = self.max_length.filter(|m| len > *m as usize) {
            return Err(format!("its length {len} is above MaxLength {max}"));
        }
        if let Some(pattern) = &self.allowed_pattern {
            let matched = allowed_pattern(pattern).and_then(|re| re.is_match(value).ok());
            if matched == Some(false) {
                return Err(format!(
                    "`{value}` does not match AllowedPattern `{pattern}`{}",
                    self.constraint_description
                        .as_ref()
                        .map_or(String::new(), |c| format!(" ({c})"))
                ));
            }
        }
        Ok(())
    }
}

impl Serialize for Parameter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("Type", self.kind.as_str())?;
        if let Some(d) = &self.description {
            m.serialize_entry("Description", d)?;
        }
        if let Some(d) = &self.default {
            m.serialize_entry("Default", d)?;
        }
        if self.no_echo {
            m.serialize_entry("NoEcho", &true)?;
        }
        if !self.allowed_values.is_empty() {
            m.serialize_entry("AllowedValues", &self.allowed_values)?;
        }
        if let Some(p) = &self.allowed_pattern {
            m.serialize_entry("AllowedPattern", p)?;
        }
        if let Some(v) = self.min_length {
            m.serialize_entry("MinLength", &v)?;
        }
        if let Some(v) = self.max_length {
            m.serialize_entry("MaxLength", &v)?;
        }
        if let Some(v) = self.min_value {
            m.serialize_entry("MinValue", &Expr::from(v))?;
        }
        if let Some(v) = self.max_value {
            m.serialize_entry("MaxValue", &Expr::from(v))?;
        }
        if let Some(c) = &self.constraint_description {
            m.serialize_entry("ConstraintDescription", c)?;
        }
        m.end()
    }
}

/// `pattern` compiled to match a whole value, as CloudFormation matches AllowedPattern, in
/// Java regex syntax (look-around included); `None` when it does not compile here. Compiled
/// once per process: every stack of an app repeats its parameters.
fn allowed_pattern(pattern: &str) -> Option<fancy_regex::Regex> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<fancy_regex::Regex>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    cache
        .entry(pattern.to_owned())
        .or_insert_with(|| fancy_regex::Regex::new(&format!("^(?:{pattern})$")).ok())
        .clone()
}
