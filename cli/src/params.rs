//! Parameter files. The values an operator sets for a stack's parameters are hand-edited
//! inputs in the app's tree, `params/<env>/<stack>.json` (`--params DIR` moves the folder),
//! never in the folder synth replaces. Synth checks every stack's file against its template
//! and writes the output copy deploy tools need, `<out>/<env>/<stack>.parameters.json`, with
//! the values of `NoEcho` parameters left out.
//!
//! Format of both (the CodePipeline template-configuration shape, which
//! `aws cloudformation deploy --parameter-overrides file://...` also reads):
//! `{ "Parameters": { "CertificateArn": "arn:aws:acm:...", "ImageTag": "1.4.2" } }`.
//! In an input file, `null` is a placeholder (`synth --init-params` writes them): it fails
//! the check until a value is set.

use std::fs;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::{Map, Value};
use stackforge_construct_model::deploy_metadata::image_parameters;
use stackforge_construct_model::{EnvironmentAssembly, ParameterType, StackArtifact};

use crate::error::{CliError, Result};

/// The default folder of the input files, relative to the working directory.
pub const DEFAULT_DIR: &str = "params";

/// Parameter values of one stack, by parameter name.
pub type ParameterValues = IndexMap<String, String>;

/// The input file name of `stack` (`service.json`).
pub fn file_name(stack: &StackArtifact) -> String {
    format!("{}.json", stack.name)
}

/// The values of one stack and whether they came from a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    /// The checked values the file sets.
    pub values: ParameterValues,
    /// Whether the input file exists.
    pub from_file: bool,
}

/// Reads and checks the input file of `stack` in `dir` (`params/<env>`). A missing file is
/// fine when every parameter has a default. Returns the values the file sets.
pub fn load(dir: &Path, stack: &StackArtifact) -> Result<ParameterValues> {
    load_stack(dir, stack, None).map(|l| l.values)
}

/// Loads `dir/<stack>.json`; when it is missing, `legacy` is where the layout before the
/// params folder kept it (`<out>/<env>/<stack>.parameters.json`), named in the error.
fn load_stack(dir: &Path, stack: &StackArtifact, legacy: Option<&Path>) -> Result<Loaded> {
    let path = dir.join(file_name(stack));
    let (values, from_file) = match fs::read_to_string(&path) {
        Ok(text) => (parse(&path, &text)?, true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (IndexMap::new(), false),
        Err(e) => {
            return Err(CliError::Input {
                path,
                problem: format!(
                    "cannot read the parameter file: {}",
                    crate::error::describe_io(&e)
                ),
            })
        }
    };
    let legacy = legacy
        .map(|out| out.join(stack.parameter_file()))
        .filter(|p| !from_file && p.is_file());
    let values = check(&path, stack, &values, from_file, legacy.as_deref())?;
    Ok(Loaded { values, from_file })
}

/// Reads and checks the input files of every stack of `envs` under `dir`, and reports files
/// naming no stack. With `init`, first writes each missing file of a stack that needs values,
/// with `null` placeholders (never overwriting a file); the placeholders then fail the check.
/// A missing file found in the output folder `out` (the layout before `params/`) is named
/// with the move that fixes it. Returns the values by environment and stack, or every
/// problem found, each a paragraph.
pub fn load_all(
    dir: &Path,
    envs: &[&EnvironmentAssembly],
    init: bool,
    out: &Path,
) -> Result<IndexMap<String, IndexMap<String, Loaded>>> {
    let mut problems = Vec::new();
    let mut all = IndexMap::new();
    for env in envs {
        let env_dir = dir.join(env.environment.name());
        if init {
            for stack in &env.stacks {
                if let Err(e) = write_placeholders(&env_dir, stack) {
                    problems.push(e);
                }
            }
        }
        problems.extend(unknown_files(&env_dir, env));
        let mut loaded = IndexMap::new();
        for stack in &env.stacks {
            let legacy = out.join(env.environment.name());
            match load_stack(&env_dir, stack, Some(&legacy)) {
                Ok(l) => {
                    loaded.insert(stack.name.clone(), l);
                }
                Err(e) => problems.push(e),
            }
        }
        all.insert(env.environment.name().to_owned(), loaded);
    }
    match CliError::several(problems) {
        Some(e) => Err(e),
        None => Ok(all),
    }
}

/// Writes `dir/<stack>.json` with a `null` placeholder for every parameter without a default,
/// unless the file exists or the stack needs no value.
fn write_placeholders(dir: &Path, stack: &StackArtifact) -> Result<()> {
    let path = dir.join(file_name(stack));
    let from_deploy = deploy_set(stack);
    let needed: Map<String, Value> = stack
        .template()
        .parameters
        .iter()
        .filter(|(name, p)| p.default.is_none() && !from_deploy.contains(*name))
        .map(|(name, _)| (name.clone(), Value::Null))
        .collect();
    if needed.is_empty() || path.exists() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
    let text = crate::output::pretty_json(&serde_json::json!({ "Parameters": needed }));
    // `create_new`: a file written meanwhile by someone else is never replaced.
    let mut file = match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(CliError::io(&path, e)),
    };
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| CliError::io(&path, e))
}

/// `*.json` files of `dir` that name no stack of `env`.
fn unknown_files(dir: &Path, env: &EnvironmentAssembly) -> Vec<CliError> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
        .into_iter()
        .filter_map(|name| {
            let stack = name.strip_suffix(".json")?;
            if env.stack(stack).is_some() {
                return None;
            }
            let known: Vec<String> = env.stacks.iter().map(file_name).collect();
            Some(CliError::Failed(format!(
                "{}: names no stack of environment `{}` (its parameter files are: {}). Fix: rename or remove it",
                dir.join(&name).display(),
                env.environment.name(),
                known.join(", ")
            )))
        })
        .collect()
}

/// The values of a parameter file; `None` is a placeholder.
type RawValues = IndexMap<String, Option<String>>;

fn parse(path: &Path, text: &str) -> Result<RawValues> {
    let input = |problem: String| CliError::Input {
        path: path.to_path_buf(),
        problem,
    };
    let doc: Value = serde_json::from_str(text).map_err(|e| {
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
            Value::String(s) => Ok((k.clone(), Some(s.clone()))),
            Value::Number(n) => Ok((k.clone(), Some(n.to_string()))),
            Value::Null => Ok((k.clone(), None)),
            other => Err(input(format!(
                "parameter `{k}` is {other}, but parameter values are strings (or numbers for Number parameters). Fix: quote the value"
            ))),
        })
        .collect()
}

fn check(
    path: &Path,
    stack: &StackArtifact,
    values: &RawValues,
    from_file: bool,
    legacy: Option<&Path>,
) -> Result<ParameterValues> {
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
    let from_deploy = deploy_set(stack);
    let described = |p: &stackforge_construct_model::template::Parameter| {
        p.description
            .as_ref()
            .map_or(String::new(), |d| format!(" ({d})"))
    };
    let mut missing = false;
    for (name, p) in declared {
        match values.get(name) {
            Some(Some(v)) => {
                if let Err(problem) = p.check_value(v) {
                    problems.push(format!("`{name}`: {problem}"));
                }
                if v.is_empty()
                    && p.default.is_none()
                    && p.kind != ParameterType::CommaDelimitedList
                {
                    problems.push(format!("`{name}` is empty. Fix: set a value"));
                }
            }
            Some(None) => problems.push(format!(
                "`{name}` is a placeholder (null). Fix: set its value{}",
                described(p)
            )),
            None if p.default.is_none() && !from_deploy.contains(name) => {
                missing = true;
                problems.push(format!(
                    "`{name}` has no default and no value. Fix: add \"{name}\": \"...\" under \"Parameters\"{}",
                    described(p)
                ));
            }
            None => {}
        }
    }
    if problems.is_empty() {
        return Ok(values
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.clone()?)))
            .collect());
    }
    let absent = match legacy {
        _ if from_file || !missing => String::new(),
        Some(old) => format!(
            " (the file does not exist, but {} does: a hand-edited parameter file in the output folder, which synth now writes. Fix: move it: {})",
            old.display(),
            move_command(old, path)
        ),
        None => " (the file does not exist: create it, or run `synth --init-params` to write it with placeholders)".to_owned(),
    };
    Err(CliError::Failed(format!(
        "{}: parameter file of stack `{}`{absent}:\n  - {}",
        display(path),
        stack.stack_name,
        problems.join("\n  - ")
    )))
}

/// The parameters `deploy` sets itself (image digests, after it pushes the image), never a
/// parameter file.
fn deploy_set(stack: &StackArtifact) -> Vec<String> {
    image_parameters(stack.template())
        .into_iter()
        .map(|i| i.parameter)
        .collect()
}

/// Whether any parameter of `stack` takes its value from a parameter file (or a default):
/// a stack whose only parameters `deploy` sets gets no output copy.
pub fn has_file_values(stack: &StackArtifact) -> bool {
    let from_deploy = deploy_set(stack);
    stack
        .template()
        .parameters
        .keys()
        .any(|name| !from_deploy.contains(name))
}

/// The output copy of a stack's values: every value the input sets, in the template's
/// parameter order, except those of `NoEcho` parameters (supply them at deploy time).
pub fn render_output(stack: &StackArtifact, values: &ParameterValues) -> String {
    let parameters: Map<String, Value> = stack
        .template()
        .parameters
        .iter()
        .filter(|(_, p)| !p.no_echo)
        .filter_map(|(name, _)| Some((name.clone(), Value::String(values.get(name)?.clone()))))
        .collect();
    crate::output::pretty_json(&serde_json::json!({ "Parameters": parameters }))
}

/// The shell command moving a parameter file of the previous layout to its input place.
pub fn move_command(old: &Path, input: &Path) -> String {
    let parent = input.parent().unwrap_or(Path::new("."));
    format!(
        "mkdir -p {} && mv {} {}",
        parent.display(),
        old.display(),
        input.display()
    )
}

fn display(p: &Path) -> String {
    PathBuf::from(p).display().to_string()
}
