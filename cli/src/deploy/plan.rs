//! What a deploy does, decided before anything runs: the stacks in manifest order (with what
//! they depend on), their parameter values, and the exact `aws` arguments for each.

use std::borrow::Cow;
use std::fs;
use std::path::Path;
use std::str::FromStr;

use indexmap::IndexMap;
use stackforge_construct_model::{EnvironmentAssembly, ParameterType, StackArtifact};

use super::template_bucket::TemplateBucket;
use crate::error::{CliError, Result};
use crate::params::{self, ParameterValues};

/// CloudFormation's limit for a template body passed inline; larger ones go through S3.
pub const MAX_INLINE_TEMPLATE_BYTES: usize = 51_200;

/// The capabilities every deploy acknowledges (the stacks create IAM roles with names).
pub const CAPABILITIES: [&str; 2] = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"];

/// Shown instead of the value of a `NoEcho` parameter in printed commands.
pub const MASKED: &str = "****";

/// Options passed through to every `aws` call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsOptions {
    /// `--region`.
    pub region: Option<String>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--endpoint-url`.
    pub endpoint_url: Option<String>,
}

impl AwsOptions {
    /// The global `aws` options, in a fixed order.
    pub fn global_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for (flag, value) in [
            ("--region", &self.region),
            ("--profile", &self.profile),
            ("--endpoint-url", &self.endpoint_url),
        ] {
            if let Some(v) = value {
                args.push(flag.to_owned());
                args.push(v.clone());
            }
        }
        args
    }
}

/// One `--parameter STACK:KEY=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterOverride {
    /// The stack's short name.
    pub stack: String,
    /// The parameter name.
    pub key: String,
    /// The value (may be empty).
    pub value: String,
}

impl FromStr for ParameterOverride {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let bad = || format!("`{s}` is not STACK:KEY=VALUE (for example service:ImageTag=1.4.2)");
        let (stack, rest) = s.split_once(':').ok_or_else(bad)?;
        let (key, value) = rest.split_once('=').ok_or_else(bad)?;
        if stack.is_empty() || key.is_empty() {
            return Err(bad());
        }
        Ok(ParameterOverride {
            stack: stack.to_owned(),
            key: key.to_owned(),
            value: value.to_owned(),
        })
    }
}

/// The stacks to deploy, in manifest (deploy) order: the named ones plus, unless
/// `exclusively`, everything they depend on, transitively. No names means every stack.
pub fn select_stacks<'a>(
    env: &'a EnvironmentAssembly,
    names: &[String],
    exclusively: bool,
) -> Vec<&'a StackArtifact> {
    if names.is_empty() {
        return env.stacks.iter().collect();
    }
    let mut wanted: Vec<&str> = names.iter().map(String::as_str).collect();
    if !exclusively {
        let mut i = 0;
        while i < wanted.len() {
            if let Some(stack) = env.stack(wanted[i]) {
                for dep in &stack.dependencies {
                    if !wanted.contains(&dep.as_str()) {
                        wanted.push(dep);
                    }
                }
            }
            i += 1;
        }
    }
    env.stacks
        .iter()
        .filter(|s| wanted.contains(&s.name.as_str()))
        .collect()
}

/// The stacks a destroy deletes, in manifest (deploy) order: the named ones plus, unless
/// `exclusively`, every stack depending on them, transitively. No names means every stack.
pub fn select_dependents<'a>(
    env: &'a EnvironmentAssembly,
    names: &[String],
    exclusively: bool,
) -> Vec<&'a StackArtifact> {
    let mut wanted: Vec<&str> = if names.is_empty() {
        env.stacks.iter().map(|s| s.name.as_str()).collect()
    } else {
        names.iter().map(String::as_str).collect()
    };
    if !exclusively {
        // Manifest order puts dependents after their dependencies: one pass finds them all.
        for s in &env.stacks {
            if !wanted.contains(&s.name.as_str())
                && s.dependencies.iter().any(|d| wanted.contains(&d.as_str()))
            {
                wanted.push(&s.name);
            }
        }
    }
    env.stacks
        .iter()
        .filter(|s| wanted.contains(&s.name.as_str()))
        .collect()
}

/// The parameter values of `stack`: its parameter file in `dir` (checked by
/// [`params::load`]) with `overrides` applied on top, each checked against the declared
/// parameter. When the file alone is incomplete, the merged values are checked instead, so
/// `--parameter` can supply what the file lacks.
pub fn parameter_values(
    dir: &Path,
    stack: &StackArtifact,
    overrides: &[&ParameterOverride],
    scratch: &Path,
) -> Result<ParameterValues> {
    for o in overrides {
        check_override(stack, o)?;
    }
    let from_file = params::load(dir, stack);
    let mut values = match from_file {
        Ok(values) => values,
        Err(e) if overrides.is_empty() => return Err(e),
        Err(e) => merged_file_values(dir, stack, overrides, scratch).ok_or(e)?,
    };
    for o in overrides {
        values.insert(o.key.clone(), o.value.clone());
    }
    Ok(values)
}

fn check_override(stack: &StackArtifact, o: &ParameterOverride) -> Result<()> {
    let flag = format!("--parameter {}:{}", o.stack, o.key);
    let Some(declared) = stack.template().parameters.get(&o.key) else {
        let known: Vec<&str> = stack
            .template()
            .parameters
            .keys()
            .map(String::as_str)
            .collect();
        return Err(CliError::Usage(format!(
            "{flag}: `{}` is not a parameter of stack `{}` (it has: {}). Fix: correct the name",
            o.key,
            stack.name,
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )));
    };
    if let Err(problem) = declared.check_value(&o.value) {
        return Err(CliError::Usage(format!("{flag}: {problem}")));
    }
    // As for parameter files: an empty list is a value, an empty string without default is not.
    if o.value.is_empty()
        && declared.default.is_none()
        && declared.kind != ParameterType::CommaDelimitedList
    {
        return Err(CliError::Usage(format!(
            "{flag}: the value is empty. Fix: set a value"
        )));
    }
    Ok(())
}

/// Writes the committed file merged with the overrides to `scratch` and checks that; `None`
/// when that fails too (the caller reports the committed file's own problem).
fn merged_file_values(
    dir: &Path,
    stack: &StackArtifact,
    overrides: &[&ParameterOverride],
    scratch: &Path,
) -> Option<ParameterValues> {
    let committed = match fs::read_to_string(dir.join(params::file_name(stack))) {
        Ok(text) => serde_json::from_str::<serde_json::Value>(&text).ok()?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => serde_json::json!({"Parameters": {}}),
        Err(_) => return None,
    };
    let mut parameters = committed.get("Parameters")?.as_object()?.clone();
    for o in overrides {
        parameters.insert(o.key.clone(), serde_json::Value::String(o.value.clone()));
    }
    let text = serde_json::json!({ "Parameters": parameters }).to_string();
    let file = scratch.join(params::file_name(stack));
    super::write_private(&file, text.as_bytes()).ok()?;
    let values = params::load(scratch, stack).ok();
    // The values are read: the file (which may hold NoEcho values) goes now, not at exit.
    let _ = fs::remove_file(&file);
    values
}

/// How `deploy_args` passes the parameter values.
#[derive(Debug, Clone, Copy)]
pub enum ParameterArgs<'a> {
    /// On the command line as `KEY=VALUE`, a `NoEcho` value shown as [`MASKED`]: what
    /// `--dry-run` prints for a reader, never what runs.
    Shown(&'a ParameterValues),
    /// `file://PATH`: the file [`write_parameter_file`] wrote. What runs: values on the
    /// command line are visible to every user of the machine (`ps`).
    File(&'a Path),
}

/// Writes `parameters` to the new file `path` for `aws cloudformation deploy
/// --parameter-overrides file://PATH`, readable by its owner only: a JSON list of
/// `KEY=VALUE` strings (the AWS CLI's original JSON form, read by its versions 1 and 2).
pub fn write_parameter_file(path: &Path, parameters: &ParameterValues) -> Result<()> {
    let list: Vec<String> = parameters.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let text = serde_json::to_string(&list).unwrap_or_default();
    super::write_private(path, text.as_bytes()).map_err(|e| CliError::io(path, e))
}

/// The arguments after `aws` that deploy `stack` from `template_file`: `cloudformation
/// deploy`, parameters (see [`ParameterArgs`]; none when `parameters` has none),
/// capabilities, tags, `--no-fail-on-empty-changeset`, `--s3-bucket` (and `--s3-prefix`) for
/// a template over [`MAX_INLINE_TEMPLATE_BYTES`], then the global options.
pub fn deploy_args(
    stack: &StackArtifact,
    template_file: &Path,
    parameters: ParameterArgs<'_>,
    bucket: Option<&TemplateBucket>,
    aws: &AwsOptions,
) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "cloudformation".into(),
        "deploy".into(),
        "--template-file".into(),
        template_file.display().to_string(),
        "--stack-name".into(),
        stack.stack_name.clone(),
    ];
    match parameters {
        ParameterArgs::Shown(values) if !values.is_empty() => {
            args.push("--parameter-overrides".into());
            for (k, v) in values {
                let hidden = stack
                    .template()
                    .parameters
                    .get(k)
                    .is_some_and(|p| p.no_echo);
                args.push(format!("{k}={}", if hidden { MASKED } else { v }));
            }
        }
        ParameterArgs::Shown(_) => {}
        ParameterArgs::File(path) => {
            args.push("--parameter-overrides".into());
            args.push(format!("file://{}", path.display()));
        }
    }
    args.push("--capabilities".into());
    args.extend(CAPABILITIES.iter().map(|c| (*c).to_owned()));
    if !stack.tags.is_empty() {
        args.push("--tags".into());
        args.extend(stack.tags.iter().map(|(k, v)| format!("{k}={v}")));
    }
    args.push("--no-fail-on-empty-changeset".into());
    if let Some(bucket) = bucket.filter(|_| stack.body_len() > MAX_INLINE_TEMPLATE_BYTES) {
        args.extend(bucket.deploy_args());
    }
    args.extend(aws.global_args());
    args
}

/// `s` quoted for a POSIX shell: unchanged when it only has safe characters, otherwise in
/// single quotes.
pub fn shell_quote(s: &str) -> Cow<'_, str> {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(format!("'{}'", s.replace('\'', r"'\''")))
    }
}

/// A command line a shell runs as given.
pub fn shell_line(program: &str, args: &[String]) -> String {
    std::iter::once(program)
        .chain(args.iter().map(String::as_str))
        .map(shell_quote)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Groups the overrides by stack, rejecting a stack outside `stacks` (unknown in the
/// environment, or not part of this deploy) and a key given twice.
pub fn overrides_by_stack<'o>(
    env: &EnvironmentAssembly,
    stacks: &[&StackArtifact],
    overrides: &'o [ParameterOverride],
) -> Result<IndexMap<String, Vec<&'o ParameterOverride>>> {
    let mut by_stack: IndexMap<String, Vec<&ParameterOverride>> = IndexMap::new();
    for o in overrides {
        if env.stack(&o.stack).is_none() {
            let known: Vec<&str> = env.stacks.iter().map(|s| s.name.as_str()).collect();
            return Err(CliError::Usage(format!(
                "--parameter {}:{}: environment `{}` has no stack `{}` (it has: {}). Fix: use a short stack name",
                o.stack,
                o.key,
                env.environment.name(),
                o.stack,
                known.join(", ")
            )));
        }
        if !stacks.iter().any(|s| s.name == o.stack) {
            return Err(CliError::Usage(format!(
                "--parameter {}:{}: this deploy does not include stack `{}`. Fix: add --stack {} or drop the parameter",
                o.stack, o.key, o.stack, o.stack
            )));
        }
        let list = by_stack.entry(o.stack.clone()).or_default();
        if list.iter().any(|p| p.key == o.key) {
            return Err(CliError::Usage(format!(
                "--parameter {}:{} is given twice. Fix: keep one",
                o.stack, o.key
            )));
        }
        list.push(o);
    }
    Ok(by_stack)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quote_leaves_safe_words_and_quotes_the_rest() {
        assert_eq!(shell_quote("a-b_c/d.json"), "a-b_c/d.json");
        assert_eq!(shell_quote("K=v:1@x,y+z%"), "K=v:1@x,y+z%");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
    }

    #[test]
    fn parameter_override_parses_stack_key_and_value() {
        let o: ParameterOverride = "service:Url=https://x?a=b".parse().unwrap();
        assert_eq!(
            (o.stack.as_str(), o.key.as_str(), o.value.as_str()),
            ("service", "Url", "https://x?a=b")
        );
        let empty: ParameterOverride = "s:K=".parse().unwrap();
        assert_eq!(empty.value, "");
        for bad in ["service", "service:Key", ":K=v", "s:=v", "K=v"] {
            assert!(bad.parse::<ParameterOverride>().is_err(), "{bad}");
        }
    }

    #[test]
    fn global_args_keep_a_fixed_order() {
        let o = AwsOptions {
            region: Some("eu-west-1".into()),
            profile: None,
            endpoint_url: Some("http://127.0.0.1:5000".into()),
        };
        assert_eq!(
            o.global_args(),
            [
                "--region",
                "eu-west-1",
                "--endpoint-url",
                "http://127.0.0.1:5000"
            ]
        );
    }
}
