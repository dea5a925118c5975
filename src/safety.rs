//! Refactor and export safety: the committed templates are the record of what is deployed,
//! and a synth must not silently replace a recorded resource or drop an export another
//! committed template still imports.
//!
//! - **Logical IDs.** A synthesized resource whose construct path the committed template of
//!   the same stack records under another logical ID, or a committed resource that vanished
//!   while one of the same `Type` and identical `Properties` appeared under a new path and ID
//!   (a moved or renamed construct), would be replaced on deploy. Synth refuses unless the
//!   stack keeps the ID (`override_logical_id`) or accepts the replacement
//!   (`allow_replacement`).
//! - **Exports.** An export the new synth drops but a committed consumer still imports (a
//!   literal `Fn::ImportValue`) is kept, copied from the committed template, for one more
//!   deploy: CloudFormation updates the producer before its consumers, so removing it now
//!   would fail. If the kept value references a resource the new template no longer has, no
//!   order of deploys works: that is an error.
//!
//! Both `synth` and `diff` use [`check_env`], so `diff` shows the templates synth would write.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::intrinsics::{uses, Use};
use indexmap::IndexMap;
use serde_json::Value;
use stackforge_constructs::template::PATH_METADATA_KEY;
use stackforge_constructs::{Assembly, EnvironmentAssembly, Expr, Output, StackArtifact};

use crate::diff::files::{load_template, stack_files};
use crate::diff::KeptExport;
use crate::error::{CliError, Result};
use crate::pipeline::{Io, Selection};

/// The committed templates of one environment folder, read when first needed.
#[derive(Debug)]
pub struct Committed {
    dir: PathBuf,
    files: IndexMap<String, PathBuf>,
    loaded: IndexMap<String, Result<Value>>,
}

impl Committed {
    /// The templates of `env_dir` (none when the folder does not exist).
    pub fn new(env_dir: &Path) -> Result<Self> {
        Ok(Self {
            dir: env_dir.to_path_buf(),
            files: stack_files(env_dir)?,
            loaded: IndexMap::new(),
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stack name -> template file, sorted by name.
    pub fn files(&self) -> &IndexMap<String, PathBuf> {
        &self.files
    }

    /// Reads every template; the first unreadable one is an error naming the file.
    pub fn load_all(&mut self) -> Result<()> {
        let names: Vec<String> = self.files.keys().cloned().collect();
        for name in names {
            self.load(&name);
            if matches!(self.loaded.get(&name), Some(Err(_))) {
                if let Some(Err(e)) = self.loaded.swap_remove(&name) {
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn load(&mut self, stack: &str) {
        if !self.loaded.contains_key(stack) {
            if let Some(path) = self.files.get(stack) {
                self.loaded.insert(stack.to_owned(), load_template(path));
            }
        }
    }

    /// The committed template of `stack`, if it exists and is readable.
    pub fn get(&mut self, stack: &str) -> Option<&Value> {
        self.load(stack);
        self.loaded.get(stack).and_then(|r| r.as_ref().ok())
    }

    /// Templates that could not be read, as warnings.
    pub fn problems(&self) -> Vec<String> {
        self.loaded
            .values()
            .filter_map(|r| r.as_ref().err())
            .map(|e| format!("{e}; the safety checks skip this committed template"))
            .collect()
    }
}

/// A resource a synth would replace because its logical ID changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    /// `<env>/<stack>`.
    pub stack: String,
    /// The construct path in the new synth.
    pub path: String,
    /// The logical ID in the committed template.
    pub old_id: String,
    /// The logical ID in the new synth.
    pub new_id: String,
    /// For a moved construct: the construct path the committed template records.
    pub moved_from: Option<String>,
}

impl fmt::Display for Replacement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Replacement {
            stack,
            path,
            old_id,
            new_id,
            moved_from,
        } = self;
        match moved_from {
            None => write!(
                f,
                "{stack}: `{path}` has logical ID `{old_id}` in the committed template and `{new_id}` now"
            )?,
            Some(from) => write!(
                f,
                "{stack}: `{old_id}` (`{from}`) looks moved to `{path}` (same type and properties) with the new logical ID `{new_id}`"
            )?,
        }
        write!(
            f,
            "; CloudFormation would create a new resource and delete the old one.\n    Fix: keep the ID with `stack.override_logical_id(\"{path}\", \"{old_id}\")`, or declare the replacement intended with `stack.allow_replacement(\"{path}\", \"<reason>\")`."
        )
    }
}

fn resources(t: &Value) -> impl Iterator<Item = (&String, &Value)> {
    t.get("Resources")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

fn path_of(r: &Value) -> Option<&str> {
    r.get("Metadata")?.get(PATH_METADATA_KEY)?.as_str()
}

/// The logical-ID changes of `artifact` against its committed template, except for paths in
/// its `accepted_replacements`.
pub fn replacements(env: &str, artifact: &StackArtifact, committed: &Value) -> Vec<Replacement> {
    let new = artifact.json();
    let stack = format!("{env}/{}", artifact.name);
    let accepted = |p: &str| artifact.accepted_replacements.contains_key(p);
    let new_ids: IndexMap<&String, &Value> = resources(&new).collect();
    let old_ids: IndexMap<&String, &Value> = resources(committed).collect();
    let new_paths: Vec<&str> = new_ids.values().filter_map(|r| path_of(r)).collect();
    let old_paths: Vec<&str> = old_ids.values().filter_map(|r| path_of(r)).collect();
    let mut found = Vec::new();

    for (id, r) in &new_ids {
        let Some(path) = path_of(r) else { continue };
        let before = old_ids
            .iter()
            .find(|(oid, o)| oid != &id && path_of(o) == Some(path));
        if let Some((old_id, _)) = before {
            if !accepted(path) {
                found.push(Replacement {
                    stack: stack.clone(),
                    path: path.to_owned(),
                    old_id: (*old_id).clone(),
                    new_id: (*id).clone(),
                    moved_from: None,
                });
            }
        }
    }

    // Moved: a vanished resource (ID and path gone) and a new one (ID and path new) of the
    // same type and properties.
    let vanished = old_ids.iter().filter(|(id, r)| {
        !new_ids.contains_key(*id) && path_of(r).is_none_or(|p| !new_paths.contains(&p))
    });
    let mut taken: Vec<&String> = Vec::new();
    for (old_id, old) in vanished {
        let twin = new_ids.iter().find(|(id, r)| {
            !old_ids.contains_key(*id)
                && !taken.contains(id)
                && path_of(r).is_some_and(|p| !old_paths.contains(&p))
                && r.get("Type") == old.get("Type")
                && r.get("Properties") == old.get("Properties")
        });
        if let Some((id, r)) = twin {
            taken.push(id);
            let path = path_of(r).unwrap_or_default();
            if !accepted(path) {
                found.push(Replacement {
                    stack: stack.clone(),
                    path: path.to_owned(),
                    old_id: (*old_id).clone(),
                    new_id: (*id).clone(),
                    moved_from: Some(path_of(old).unwrap_or("?").to_owned()),
                });
            }
        }
    }
    found
}

/// Literal export names of a template's outputs: export name -> output name.
fn exports(t: &Value) -> IndexMap<String, String> {
    t.get("Outputs")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(name, o)| {
            let e = o.get("Export")?.get("Name")?.as_str()?;
            Some((e.to_owned(), name.clone()))
        })
        .collect()
}

/// Literal `Fn::ImportValue` names anywhere in `v`.
fn imports(v: &Value) -> Vec<String> {
    uses(v)
        .into_iter()
        .filter_map(|u| match u {
            Use::Import(name) => Some(name),
            Use::Local(_) => None,
        })
        .collect()
}

/// Logical IDs a value references with `Ref`, `Fn::GetAtt` or `Fn::Sub` placeholders, each
/// once (pseudo parameters left out).
fn references(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for u in uses(v) {
        if let Use::Local(id) = u {
            if !id.starts_with("AWS::") && !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    ids
}

/// How a kept output's description starts; the importers follow, up to `;`.
pub const KEPT_PREFIX: &str = "Kept by stackforge: still imported by ";

/// What the safety checks found in one environment.
#[derive(Debug, Default)]
pub struct EnvSafety {
    /// Logical-ID changes synth refuses.
    pub replacements: Vec<Replacement>,
    /// Kept outputs by producer stack (already added to the artifacts).
    pub kept: IndexMap<String, Vec<KeptExport>>,
    /// Exports that must stay but cannot (their value references a removed resource).
    pub deadlocks: Vec<String>,
    /// Explanations of kept exports and unreadable committed templates.
    pub warnings: Vec<String>,
}

/// Runs both checks on the stacks of `env` that `selected` accepts, against the committed
/// templates, and adds the kept exports to the artifacts.
///
/// With `keep_pending`, an output the committed producer already marks as kept stays even
/// when no committed consumer imports it any more: `synth --check` run right after the synth
/// that kept it must find the folder fresh (the deploy that makes dropping it safe may not
/// have happened yet).
pub fn check_env(
    env: &mut EnvironmentAssembly,
    committed: &mut Committed,
    selected: &dyn Fn(&str) -> bool,
    keep_pending: bool,
) -> EnvSafety {
    let env_name = env.environment.name().to_owned();
    let mut found = EnvSafety::default();
    for artifact in env.stacks.iter_mut().filter(|s| selected(&s.name)) {
        let Some(old) = committed.get(&artifact.name).cloned() else {
            continue;
        };
        found
            .replacements
            .extend(replacements(&env_name, artifact, &old));
        keep_exports(
            &env_name,
            artifact,
            &old,
            committed,
            keep_pending,
            &mut found,
        );
    }
    found.warnings.extend(committed.problems());
    found
}

fn keep_exports(
    env: &str,
    artifact: &mut StackArtifact,
    old: &Value,
    committed: &mut Committed,
    keep_pending: bool,
    found: &mut EnvSafety,
) {
    let new_exports = exports(&artifact.json());
    let removed: Vec<(String, String)> = exports(old)
        .into_iter()
        .filter(|(e, _)| !new_exports.contains_key(e))
        .collect();
    if removed.is_empty() {
        return;
    }
    let others: Vec<String> = committed
        .files()
        .keys()
        .filter(|k| **k != artifact.name)
        .cloned()
        .collect();
    let mut imported: IndexMap<String, Vec<String>> = IndexMap::new();
    for other in others {
        if let Some(t) = committed.get(&other) {
            imported.insert(other, imports(t));
        }
    }
    let mut template = artifact.template.clone();
    for (export, output_name) in removed {
        let importers: Vec<String> = imported
            .iter()
            .filter(|(_, names)| names.contains(&export))
            .map(|(s, _)| s.clone())
            .collect();
        let committed_output = &old["Outputs"][&output_name];
        let pending = committed_output
            .get("Description")
            .and_then(Value::as_str)
            .and_then(|d| d.strip_prefix(KEPT_PREFIX))
            .and_then(|d| d.split(';').next());
        let (importers, pending) = match pending {
            _ if !importers.is_empty() => (importers, false),
            Some(who) if keep_pending => (who.split(", ").map(str::to_owned).collect(), true),
            _ => continue,
        };
        let who = importers.join(", ");
        let refs = references(committed_output);
        let missing: Vec<&String> = refs
            .iter()
            .filter(|id| {
                !template.resources.contains_key(*id) && !template.parameters.contains_key(*id)
            })
            .collect();
        let missing_condition = committed_output
            .get("Condition")
            .and_then(Value::as_str)
            .filter(|c| !template.conditions.contains_key(*c));
        if !missing.is_empty() || missing_condition.is_some() {
            let what: Vec<String> = missing
                .iter()
                .map(|m| format!("`{m}`"))
                .chain(missing_condition.map(|c| format!("condition `{c}`")))
                .collect();
            found.deadlocks.push(format!(
                "{env}/{}: export `{export}` (output `{output_name}`) must stay because the committed template of {who} still imports it, but its value uses {}, which this synth removes. CloudFormation cannot delete that while the export uses it, nor drop the export while {who} imports it.\n    Fix: keep {} for one more deploy (synth and deploy so that {who} stops importing `{export}`), then remove it in a later synth.",
                artifact.name,
                what.join(", "),
                what.join(", ")
            ));
            continue;
        }
        let name = unique_output_name(&template, &output_name);
        let description = format!("{KEPT_PREFIX}{who}; remove after {who} is deployed without it");
        let output = Output {
            description: Some(description),
            value: Expr::from(
                committed_output
                    .get("Value")
                    .cloned()
                    .unwrap_or(Value::Null),
            ),
            export_name: Some(Expr::String(export.clone())),
            condition: committed_output
                .get("Condition")
                .and_then(Value::as_str)
                .map(str::to_owned),
        };
        template.outputs.insert(name.clone(), output);
        let warning = if pending {
            format!(
                "{env}/{}: export `{export}` stays as committed (output `{name}`, kept until {who} is deployed without it); the next synth drops it",
                artifact.name
            )
        } else {
            format!(
            "{env}/{}: export `{export}` is no longer produced, but the committed template of {who} still imports it, so synth keeps output `{name}` for now. Deploy in two steps: 1. deploy now ({who} stops importing it; the export stays); 2. run synth again and deploy (the export goes away).",
                artifact.name
            )
        };
        found.warnings.push(warning);
        found
            .kept
            .entry(artifact.name.clone())
            .or_default()
            .push(KeptExport {
                output: name,
                export,
                importers,
            });
    }
    if found.kept.contains_key(&artifact.name) {
        artifact.set_template(template);
    }
}

fn unique_output_name(t: &stackforge_constructs::Template, base: &str) -> String {
    let taken = |n: &str| {
        t.outputs.contains_key(n)
            || t.resources.contains_key(n)
            || t.parameters.contains_key(n)
            || t.conditions.contains_key(n)
            || t.mappings.contains_key(n)
    };
    if !taken(base) {
        return base.to_owned();
    }
    (1..)
        .map(|i| {
            format!(
                "{base}Kept{}",
                if i == 1 { String::new() } else { i.to_string() }
            )
        })
        .find(|n| !taken(n))
        .unwrap_or_else(|| base.to_owned())
}

/// The `synth` step: checks the selected stacks against `out/<env>` (the committed
/// templates), keeps still-imported exports with a warning, and refuses replacements and
/// export deadlocks with one error listing each problem and its fixes. `check` is
/// `synth --check` (see [`check_env`]).
pub fn guard_synth(
    assembly: &mut Assembly,
    out: &Path,
    select: &Selection,
    check: bool,
    io: &mut Io<'_>,
) -> Result<()> {
    let names: Vec<String> = select
        .environments(assembly)?
        .iter()
        .map(|e| e.environment.name().to_owned())
        .collect();
    let mut replacements = Vec::new();
    let mut deadlocks = Vec::new();
    for env in assembly
        .environments
        .iter_mut()
        .filter(|e| names.iter().any(|n| n == e.environment.name()))
    {
        let mut committed = Committed::new(&out.join(env.environment.name()))?;
        let found = check_env(env, &mut committed, &|s| select.includes_stack(s), check);
        for w in &found.warnings {
            let _ = writeln!(io.err, "warning: {w}");
        }
        replacements.extend(found.replacements);
        deadlocks.extend(found.deadlocks);
    }
    if replacements.is_empty() && deadlocks.is_empty() {
        return Ok(());
    }
    let mut msg = String::new();
    if !replacements.is_empty() {
        msg.push_str(&format!(
            "refactor safety: this synth would replace {} resource(s) the committed templates in {} record:",
            replacements.len(),
            out.display()
        ));
        for r in &replacements {
            msg.push_str(&format!("\n  - {r}"));
        }
    }
    if !deadlocks.is_empty() {
        if !msg.is_empty() {
            msg.push('\n');
        }
        msg.push_str("export safety: an export still imported cannot be kept:");
        for d in &deadlocks {
            msg.push_str(&format!("\n  - {d}"));
        }
    }
    Err(CliError::Failed(msg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_cover_ref_getatt_and_sub_placeholders() {
        let r = references(
            &json!({"Fn::Join": ["", [{"Ref": "A"}, {"Fn::GetAtt": ["B", "Arn"]}, {"Fn::GetAtt": "C.Arn"},
                {"Fn::Sub": "${D.Arn}-${AWS::Region}-${!E}"}, {"Fn::Sub": ["${F}${x}", {"x": {"Ref": "G"}}]},
                {"Ref": "AWS::StackName"}]]}),
        );
        assert_eq!(r, ["A", "B", "C", "D", "F", "G"]);
    }

    #[test]
    fn only_literal_imports_count() {
        let i = imports(
            &json!({"R": {"P": [{"Fn::ImportValue": "x"}, {"Fn::ImportValue": {"Fn::Sub": "y"}}]}}),
        );
        assert_eq!(i, ["x"]);
    }
}
