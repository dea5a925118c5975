//! Per-environment parameter files (`templates/<env>/<stack>.parameters.json`): the values an
//! operator sets for a stack's parameters, checked against the template at every synth.
//!
//! Format (the CodePipeline template-configuration shape):
//! `{ "Parameters": { "CertificateArn": "arn:aws:acm:...", "ImageTag": "1.4.2" } }`

use std::fs;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use stackforge_constructs::aws::ecs::image_parameters;
use stackforge_constructs::{ParameterType, StackArtifact};

use crate::error::{CliError, Result};

/// Parameter values of one stack, by parameter name.
pub type ParameterValues = IndexMap<String, String>;

/// Reads and checks the parameter file of `stack` in `dir`. A missing file is fine when every
/// parameter has a default. Returns the values the file sets.
pub fn load(dir: &Path, stack: &StackArtifact) -> Result<ParameterValues> {
    let path = dir.join(stack.parameter_file());
    let values = match fs::read_to_string(&path) {
        Ok(text) => parse(&path, &text)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => IndexMap::new(),
        Err(e) => {
            return Err(CliError::Input {
                path,
                problem: format!("cannot read the parameter file: {e}"),
            })
        }
    };
    check(&path, stack, &values)?;
    Ok(values)
}

fn parse(path: &Path, text: &str) -> Result<ParameterValues> {
    let input = |problem: String| CliError::Input {
        path: path.to_path_buf(),
        problem,
    };
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        input(format!(
            "not valid JSON ({e}). Fix: write {{\"Parameters\": {{\"Name\": \"value\"}}}}"
        ))
    })?;
    let Some(params) = doc.get("Parameters").and_then(|p| p.as_object()) else {
        return Err(input(
            "expected an object with a \"Parameters\" object. Fix: write {\"Parameters\": {\"Name\": \"value\"}}".into(),
        ));
    };
    if let Some(extra) = doc
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "Parameters"))
    {
        return Err(input(format!(
            "unknown top-level key `{extra}`. Fix: keep only \"Parameters\""
        )));
    }
    params
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k.clone(), s.clone())),
            serde_json::Value::Number(n) => Ok((k.clone(), n.to_string())),
            other => Err(input(format!(
                "parameter `{k}` is {other}, but parameter values are strings (or numbers for Number parameters). Fix: quote the value"
            ))),
        })
        .collect()
}

fn check(path: &Path, stack: &StackArtifact, values: &ParameterValues) -> Result<()> {
    let declared = &stack.template().parameters;
    let mut problems = Vec::new();
    for name in values.keys() {
        if !declared.contains_key(name) {
            let known: Vec<&str> = declared.keys().map(String::as_str).collect();
            problems.push(format!(
                "`{name}` is not a parameter of stack `{}` (it has: {}). Fix: remove it or correct the name",
                stack.name,
                if known.is_empty() { "none".to_owned() } else { known.join(", ") }
            ));
        }
    }
    // Image digests are set by `deploy` after it pushes the image, never in a file.
    let from_deploy: Vec<String> = image_parameters(stack.template())
        .into_iter()
        .map(|i| i.parameter)
        .collect();
    for (name, p) in declared {
        match values.get(name) {
            Some(v) => {
                if let Err(problem) = p.check_value(v) {
                    problems.push(format!("`{name}`: {problem}"));
                }
                if v.is_empty() && p.default.is_none() && p.kind != ParameterType::CommaDelimitedList {
                    problems.push(format!("`{name}` is empty. Fix: set a value"));
                }
            }
            None if p.default.is_none() && !from_deploy.contains(name) => problems.push(format!(
                "`{name}` has no default and no value. Fix: add \"{name}\": \"...\" under \"Parameters\"{}",
                p.description.as_ref().map_or(String::new(), |d| format!(" ({d})"))
            )),
            None => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::Failed(format!(
            "{}: parameter file of stack `{}`:\n  - {}",
            display(path),
            stack.stack_name,
            problems.join("\n  - ")
        )))
    }
}

fn display(p: &Path) -> String {
    PathBuf::from(p).display().to_string()
}
