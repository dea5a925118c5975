//! Templates given on the command line: files and folders, JSON or YAML, any CloudFormation.

use std::path::{Path, PathBuf};

use stackforge_construct_model::layout::{self, MANIFEST_FILE};

use super::report::InputError;
use super::{Scope, Source, Template};

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
            match crate::files::walk(path, &layout::is_template_candidate) {
                Ok(found) if found.is_empty() => errors.push(InputError {
                    path: path.clone(),
                    problem: "the folder holds no template (*.json, *.yaml, *.yml, *.template)"
                        .into(),
                }),
                Ok(found) => files.extend(found),
                Err(e) => errors.push(InputError {
                    path: e.path,
                    problem: e.problem,
                }),
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

/// Reads one template; the error says why it is not a CloudFormation template stackforge
/// can read.
pub fn read(path: &Path) -> Result<stackforge_construct_model::Template, String> {
    let t = stackforge_construct_model::document::load_checked(path).map_err(|e| e.to_string())?;
    if t.resources.is_empty() {
        return Err("`Resources`: CloudFormation needs at least one resource in a template. Fix: add a resource, or remove the file".into());
    }
    Ok(t)
}

/// Parses template text (JSON or YAML with short-form tags) into the template model.
pub fn parse(text: &str) -> Result<stackforge_construct_model::Template, String> {
    stackforge_construct_model::document::parse(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reports_why_a_file_is_not_a_template() {
        let cases = [
            ("", "the file is empty"),
            ("  \n", "the file is empty"),
            ("{\"Resources\": ", "not valid JSON"),
            ("a: [b", "not valid YAML"),
            ("{\"name\": \"x\"}", "has no `Resources` section"),
            ("[1, 2]", "the document is not an object"),
            ("Resources: 3", "`Resources` is not a map"),
            (
                "{\"Resources\": {\"A\": {}}}",
                "`Resources.A`: the resource has no `Type`",
            ),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
        assert!(parse("Resources:\n  A:\n    Type: AWS::SQS::Queue\n").is_ok());
        assert!(parse("{\"Resources\": {}}").is_ok());
    }
}
