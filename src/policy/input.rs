//! Templates given on the command line: files and folders, JSON or YAML, any CloudFormation.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::report::InputError;
use super::{Scope, Source, Template};
use crate::output::{MANIFEST_FILE, PARAMETER_FILE_SUFFIX};

/// Extensions of template files found in folders.
const TEMPLATE_EXTENSIONS: &[&str] = &["json", "yaml", "yml", "template"];

/// Reads the templates at `paths` (files, or folders walked recursively for `*.json`,
/// `*.yaml`, `*.yml` and `*.template`, skipping `manifest.json` and `*.parameters.json`).
///
/// Templates of a folder holding a `manifest.json` (a stackforge environment) form one scope,
/// so cross-stack references and per-environment rules see all of them; every other file is
/// its own scope. Files that cannot be read or are not CloudFormation are returned as errors;
/// the rest are still checked.
pub fn load(paths: &[PathBuf]) -> (Vec<Scope>, Vec<InputError>) {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.is_dir() {
            let before = files.len();
            walk(path, &mut files, &mut errors);
            if files.len() == before {
                errors.push(InputError {
                    path: path.clone(),
                    problem: "the folder holds no template (*.json, *.yaml, *.yml, *.template)"
                        .into(),
                });
            }
        } else if path.exists() {
            files.push(path.clone());
        } else {
            errors.push(InputError {
                path: path.clone(),
                problem: "no such file or folder".into(),
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(f.canonicalize().unwrap_or_else(|_| f.clone())));

    let mut scopes: Vec<Scope> = Vec::new();
    for file in files {
        let template = match read(&file) {
            Ok(body) => Template {
                source: Source {
                    label: file.display().to_string(),
                    stack_name: None,
                    file: Some(file.clone()),
                },
                body,
            },
            Err(problem) => {
                errors.push(InputError {
                    path: file,
                    problem,
                });
                continue;
            }
        };
        let group = file
            .parent()
            .filter(|dir| dir.join(MANIFEST_FILE).is_file())
            .map(Path::to_path_buf);
        match group {
            Some(dir) => {
                let label = dir.display().to_string();
                match scopes
                    .iter_mut()
                    .find(|s| s.folder.as_deref() == Some(dir.as_path()))
                {
                    Some(scope) => scope.templates.push(template),
                    None => scopes.push(Scope {
                        label,
                        folder: Some(dir),
                        templates: vec![template],
                    }),
                }
            }
            None => scopes.push(Scope {
                label: template.source.label.clone(),
                folder: None,
                templates: vec![template],
            }),
        }
    }
    (scopes, errors)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<InputError>) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(InputError {
                path: dir.to_path_buf(),
                problem: format!("cannot read the folder: {e}"),
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, files, errors);
        } else if name != MANIFEST_FILE
            && !name.ends_with(PARAMETER_FILE_SUFFIX)
            && path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| TEMPLATE_EXTENSIONS.contains(&e))
        {
            files.push(path);
        }
    }
}

/// Reads one template; the error says why it is not a CloudFormation template.
pub fn read(path: &Path) -> Result<Value, String> {
    let bytes = fs::read(path).map_err(|e| format!("cannot read the file: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_owned())?;
    parse(&text, path.extension().and_then(|e| e.to_str()))
}

/// Parses template text (JSON for `.json`, else YAML, which includes JSON) and checks that it
/// is a CloudFormation template.
pub fn parse(text: &str, extension: Option<&str>) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Err("the file is empty. Fix: remove it or write a template into it".into());
    }
    let value = if extension == Some("json") {
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?
    } else {
        match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) => super::yaml::parse(text).map_err(|e| format!("not valid YAML: {e}"))?,
        }
    };
    let Some(resources) = value.get("Resources") else {
        return Err("not a CloudFormation template: it has no `Resources` section".into());
    };
    let Some(resources) = resources.as_object() else {
        return Err(
            "not a CloudFormation template: `Resources` is not a map of logical IDs to resources"
                .into(),
        );
    };
    for (id, resource) in resources {
        if resource.get("Type").and_then(Value::as_str).is_none() {
            return Err(format!(
                "not a valid CloudFormation template: resource `{id}` has no `Type`"
            ));
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reports_why_a_file_is_not_a_template() {
        let cases = [
            ("", Some("json"), "the file is empty"),
            ("  \n", Some("yaml"), "the file is empty"),
            ("{\"Resources\": ", Some("json"), "not valid JSON"),
            ("a: [b", Some("yaml"), "not valid YAML"),
            (
                "{\"name\": \"x\"}",
                Some("json"),
                "has no `Resources` section",
            ),
            ("[1, 2]", Some("json"), "has no `Resources` section"),
            ("Resources: 3", Some("yaml"), "`Resources` is not a map"),
            (
                "{\"Resources\": {\"A\": {}}}",
                Some("json"),
                "resource `A` has no `Type`",
            ),
        ];
        for (text, ext, want) in cases {
            let e = parse(text, ext).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
        assert!(parse("Resources:\n  A:\n    Type: X\n", Some("yaml")).is_ok());
        assert!(parse("{\"Resources\": {}}", Some("template")).is_ok());
    }
}
