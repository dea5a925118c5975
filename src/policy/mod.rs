//! The policy gate: cfn-guard rules for the guide's security checklist, run in process on
//! synthesized or given templates.
//!
//! - [`catalog`]: the built-in rule files (`rules/*.guard`, embedded) and the rule table;
//! - [`RuleSet`]: built-in plus `--rules DIR` files, checked for syntax once;
//! - [`evaluate`]: runs the rules on [`Scope`]s of templates and returns a [`Report`];
//! - [`gate`]: the same on environments of a synthesized assembly (`synth`, `check`, and
//!   later `deploy` and `diff`); [`input::load`] reads templates for `check PATH`.
//!
//! Suppressions: stackforge removes `Metadata.guard` before evaluation and applies the
//! suppressions itself, so it can list what each one waived with its reason
//! (`Metadata."stackforge:suppressions"`). Suppressing a rule that cannot be suppressed is a
//! violation of that rule. The rule files also skip suppressed resources themselves, so they
//! behave the same under the `cfn-guard` CLI.
//!
//! Speed: cfn-guard deep-copies every value a query walks through, so its cost grows with
//! (queries x document size). Each rule file is therefore evaluated on a copy of the template
//! reduced to the resource types it names ([`catalog::resource_types`]), templates without
//! such resources are skipped, and the calls run on a few threads.

pub mod catalog;
mod engine;
mod error;
pub mod input;
mod refs;
pub mod report;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use stackforge_constructs::template::ResourceDef;
use stackforge_constructs::EnvironmentAssembly;

pub use catalog::{rule_info, EvalScope, RuleInfo, Severity, RULES};
pub use error::PolicyError;
pub use report::{Finding, InputError, Outcome, Report, SuppressedFinding};

/// A rule file to evaluate.
#[derive(Debug, Clone)]
struct RuleFile {
    /// `rules/rds.guard`, or the path of a custom file.
    label: String,
    text: Cow<'static, str>,
    scope: EvalScope,
    /// The rule names it declares.
    rules: Vec<String>,
    /// The resource types it reads, when every query of `Resources` filters on `Type`:
    /// documents are reduced to these types. None: whole documents.
    types: Option<HashSet<String>>,
    custom: bool,
}

impl RuleFile {
    /// Whether the file reads this resource.
    fn reads(&self, resource: &Value) -> bool {
        match &self.types {
            None => true,
            Some(types) => resource
                .get("Type")
                .and_then(Value::as_str)
                .is_some_and(|t| types.contains(t)),
        }
    }

    /// The document this file is evaluated on: `doc` with only the resources it reads. None
    /// when a built-in file would find nothing to check (all its rules are `when`-guarded).
    fn document(&self, doc: &Value) -> Option<String> {
        if self.types.is_none() {
            return Some(doc.to_string());
        }
        let mut out = serde_json::Map::new();
        for (key, value) in doc.as_object()? {
            if key == "Resources" {
                let kept: serde_json::Map<String, Value> = value
                    .as_object()?
                    .iter()
                    .filter(|(_, r)| self.reads(r))
                    .map(|(k, r)| (k.clone(), r.clone()))
                    .collect();
                if kept.is_empty() && !self.custom {
                    return None;
                }
                out.insert(key.clone(), Value::Object(kept));
            } else {
                out.insert(key.clone(), value.clone());
            }
        }
        Some(Value::Object(out).to_string())
    }
}

/// The rules a gate runs: the built-in ones, plus custom Guard files.
#[derive(Debug, Clone)]
pub struct RuleSet {
    files: Vec<RuleFile>,
}

/// What stackforge knows about a rule named in a finding.
struct RuleMeta {
    severity: Severity,
    suppressible: bool,
    fix: String,
    /// The construct or method that satisfies the rule.
    fixed_by: Option<&'static str>,
}

impl RuleMeta {
    /// A finding's message: the failed clause's own, or the rule's fix; then the construct
    /// that satisfies the rule, when there is one.
    fn message(&self, own: Option<&str>) -> String {
        let text = own.map_or_else(|| self.fix.clone(), str::to_owned);
        match self.fixed_by {
            Some(construct) => format!("{text} With stackforge constructs: {construct}."),
            None => text,
        }
    }
}

impl Default for RuleSet {
    fn default() -> Self {
        Self::builtin()
    }
}

impl RuleSet {
    /// The built-in rules only.
    pub fn builtin() -> Self {
        let files = catalog::BUILTIN_FILES
            .iter()
            .map(|f| RuleFile {
                label: format!("rules/{}", f.name),
                text: Cow::Borrowed(f.source),
                scope: f.scope,
                rules: catalog::declared_rules(f.source),
                types: catalog::resource_types(f.source),
                custom: false,
            })
            .collect();
        Self { files }
    }

    /// The built-in rules plus the `*.guard` files under `dir` (searched recursively; a
    /// single `.guard` file works too), when given.
    pub fn with_custom(dir: Option<&Path>) -> Result<Self, PolicyError> {
        let mut set = Self::builtin();
        if let Some(dir) = dir {
            set.add_custom(dir)?;
        }
        Ok(set)
    }

    /// Adds the `*.guard` files under `dir`. Each is checked for syntax; its rules are
    /// evaluated per template, are suppressible, and must not reuse a built-in rule id.
    pub fn add_custom(&mut self, dir: &Path) -> Result<(), PolicyError> {
        let rules_error = |path: &Path, problem: String| PolicyError::Rules {
            path: path.to_path_buf(),
            problem,
        };
        let mut paths = Vec::new();
        if dir.is_file() {
            paths.push(dir.to_path_buf());
        } else if dir.is_dir() {
            paths = crate::files::walk(dir, &|name| name.ends_with(".guard"))
                .map_err(|e| rules_error(dir, format!("cannot read the rules folder: {e}")))?;
            if paths.is_empty() {
                return Err(rules_error(
                    dir,
                    "the rules folder holds no *.guard file. Fix: pass the folder of your Guard rule files".into(),
                ));
            }
        } else {
            return Err(rules_error(
                dir,
                "no such rules folder. Fix: pass a folder of *.guard files to --rules".into(),
            ));
        }
        for path in paths {
            let text = fs::read_to_string(&path)
                .map_err(|e| rules_error(&path, format!("cannot read the rule file: {e}")))?;
            let label = path.display().to_string();
            engine::check_syntax(&text, &label).map_err(|e| {
                rules_error(&path, format!("not valid Guard: {e}. Fix: correct the rule file (`cfn-guard parse-tree --rules FILE` shows how it parses)"))
            })?;
            let rules = catalog::declared_rules(&text);
            if rules.is_empty() {
                return Err(rules_error(
                    &path,
                    "the file declares no rule (`rule NAME { ... }`)".into(),
                ));
            }
            if let Some(clash) = rules.iter().find(|r| rule_info(r).is_some()) {
                return Err(rules_error(
                    &path,
                    format!(
                        "`{clash}` is the id of a built-in rule. Fix: give your rule another name"
                    ),
                ));
            }
            let types = catalog::resource_types(&text);
            self.files.push(RuleFile {
                label,
                text: Cow::Owned(text),
                scope: EvalScope::Template,
                rules,
                types,
                custom: true,
            });
        }
        Ok(())
    }

    /// How many rules the set evaluates.
    pub fn rule_count(&self) -> usize {
        self.files.iter().map(|f| f.rules.len()).sum()
    }

    /// The names of the custom rules, in file order.
    pub fn custom_rules(&self) -> Vec<&str> {
        self.files
            .iter()
            .filter(|f| f.custom)
            .flat_map(|f| f.rules.iter().map(String::as_str))
            .collect()
    }

    fn meta(&self, rule: &str) -> RuleMeta {
        if let Some(info) = rule_info(rule) {
            return RuleMeta {
                severity: info.severity,
                suppressible: info.suppressible,
                fix: format!("{}: not met. Fix: {}.", info.description, info.fix),
                fixed_by: info.fixed_by,
            };
        }
        let file = self
            .files
            .iter()
            .find(|f| f.rules.iter().any(|r| r == rule))
            .map_or("a custom rule file", |f| f.label.as_str());
        RuleMeta {
            severity: Severity::Custom,
            suppressible: true,
            fix: format!("the resource fails custom rule {rule} ({file})"),
            fixed_by: None,
        }
    }

    /// Where a rule is ordered in reports (built-in table order, then custom rules).
    fn position(&self, rule: &str) -> usize {
        RULES.iter().position(|r| r.id == rule).unwrap_or_else(|| {
            RULES.len()
                + self
                    .files
                    .iter()
                    .flat_map(|f| &f.rules)
                    .position(|r| r == rule)
                    .unwrap_or(usize::MAX - RULES.len())
        })
    }
}

/// Where a template comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// How reports name it: `env/stack` or the file path.
    pub label: String,
    /// The CloudFormation stack name, for synthesized stacks.
    pub stack_name: Option<String>,
    /// The file, for templates read from disk.
    pub file: Option<PathBuf>,
}

/// A template to check.
#[derive(Debug, Clone)]
pub struct Template {
    /// Where it comes from.
    pub source: Source,
    /// The template.
    pub body: stackforge_constructs::Template,
}

/// Templates checked together: cross-stack references between them are followed, and
/// per-environment rules see all of them. An environment of the app, a folder with a
/// `manifest.json`, or one file.
#[derive(Debug, Clone)]
pub struct Scope {
    /// How reports name it (the environment, folder or file).
    pub label: String,
    /// The folder, for a folder scope.
    pub folder: Option<PathBuf>,
    /// Its templates.
    pub templates: Vec<Template>,
}

/// Runs the policy gate on the stacks of `envs` (each environment is one scope).
pub fn gate(envs: &[&EnvironmentAssembly], rules: &RuleSet) -> Result<Report, PolicyError> {
    let scopes: Vec<Scope> = envs
        .iter()
        .map(|env| Scope {
            label: env.environment.name().to_owned(),
            folder: None,
            templates: env
                .stacks
                .iter()
                .map(|s| Template {
                    source: Source {
                        label: format!("{}/{}", env.environment.name(), s.name),
                        stack_name: Some(s.stack_name.clone()),
                        file: None,
                    },
                    body: s.template().clone(),
                })
                .collect(),
        })
        .collect();
    evaluate(&scopes, rules)
}

/// Runs the policy gate on `paths` (see [`input::load`]); unreadable inputs are listed in the
/// report and the others are still checked.
pub fn check_paths(paths: &[PathBuf], rules: &RuleSet) -> Result<Report, PolicyError> {
    let (scopes, errors) = input::load(paths);
    let mut report = evaluate(&scopes, rules)?;
    report.input_errors.splice(0..0, errors);
    Ok(report)
}

/// Environment variable overriding the number of evaluation threads.
pub const THREADS_ENV: &str = "STACKFORGE_POLICY_THREADS";

/// Threads for evaluation: `STACKFORGE_POLICY_THREADS`, else the machine's, at most 4
/// (cfn-guard is single-threaded per call).
fn threads() -> usize {
    std::env::var(THREADS_ENV)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .min(4)
        })
}

/// What an evaluated document stands for: a template of a scope, or a scope's merged
/// document with the template and logical ID of each of its resource keys.
enum Origin {
    Template(usize, usize),
    Scope(usize, HashMap<String, (usize, String)>),
}

/// A finding before it is attributed: which scope, template (None: the scope) and resource.
struct Located<'a> {
    scope: usize,
    template: Option<usize>,
    logical_id: Option<String>,
    resource: Option<&'a ResourceDef>,
    rule: String,
    message: Option<String>,
}

/// Evaluates `rules` on `scopes`.
pub fn evaluate(scopes: &[Scope], rules: &RuleSet) -> Result<Report, PolicyError> {
    // Items: each rule file on each template (annotated, reduced to the resource types the
    // file reads), and each per-environment file on the scope's merged document.
    let mut items: Vec<engine::Item> = Vec::new();
    let mut origins: Vec<Origin> = Vec::new();
    for (s, scope) in scopes.iter().enumerate() {
        let bodies: Vec<&stackforge_constructs::Template> =
            scope.templates.iter().map(|t| &t.body).collect();
        let annotated = refs::annotate(&bodies);
        for (f, file) in rules.files.iter().enumerate() {
            match file.scope {
                EvalScope::Template => {
                    for (t, doc) in annotated.iter().enumerate() {
                        if let Some(doc) = file.document(doc) {
                            items.push(engine::Item { file: f, doc });
                            origins.push(Origin::Template(s, t));
                        }
                    }
                }
                EvalScope::Environment => {
                    let (merged, keys) = refs::merge(&annotated, |r| file.reads(r));
                    if let Some(doc) = file.document(&merged) {
                        items.push(engine::Item { file: f, doc });
                        origins.push(Origin::Scope(s, keys));
                    }
                }
            }
        }
    }
    let texts: Vec<&str> = rules.files.iter().map(|f| f.text.as_ref()).collect();
    let results = engine::run(&texts, &items, threads());

    let mut report = Report {
        templates: scopes.iter().map(|s| s.templates.len()).sum(),
        resources: scopes
            .iter()
            .flat_map(|s| &s.templates)
            .map(|t| t.body.resources.len())
            .sum(),
        rules: rules.rule_count(),
        ..Report::default()
    };
    let mut located: Vec<Located<'_>> = Vec::new();
    for (origin, result) in origins.iter().zip(results) {
        let findings = match result {
            Ok(findings) => findings,
            Err(e) => {
                let error = match origin {
                    Origin::Template(s, t) => engine_error(&scopes[*s].templates[*t].source, &e),
                    Origin::Scope(s, _) => InputError {
                        path: PathBuf::from(&scopes[*s].label),
                        problem: format!("the policy engine cannot evaluate it: {e}"),
                    },
                };
                if !report.input_errors.contains(&error) {
                    report.input_errors.push(error);
                }
                continue;
            }
        };
        for f in findings {
            // Where the finding's resource key leads: template and logical ID.
            let (s, target) = match origin {
                Origin::Template(s, t) => (*s, f.key.clone().map(|k| (*t, k))),
                Origin::Scope(s, keys) => (*s, f.key.as_ref().and_then(|k| keys.get(k).cloned())),
            };
            let resource = target
                .as_ref()
                .and_then(|(t, id)| scopes[s].templates[*t].body.resources.get(id));
            located.push(Located {
                scope: s,
                template: target.as_ref().map(|(t, _)| *t),
                logical_id: target.map(|(_, id)| id),
                resource,
                rule: f.rule,
                message: f.message,
            });
        }
    }

    // Report order: scope, template, resource, rule.
    let mut positions: std::collections::HashMap<
        (usize, usize),
        std::collections::HashMap<&str, usize>,
    > = std::collections::HashMap::new();
    let mut keys = Vec::with_capacity(located.len());
    for l in &located {
        let resource_pos = match (l.template, &l.logical_id) {
            (Some(t), Some(id)) => positions
                .entry((l.scope, t))
                .or_insert_with(|| {
                    scopes[l.scope].templates[t]
                        .body
                        .resources
                        .keys()
                        .enumerate()
                        .map(|(i, k)| (k.as_str(), i))
                        .collect()
                })
                .get(id.as_str())
                .copied()
                .unwrap_or(usize::MAX),
            _ => usize::MAX,
        };
        keys.push((
            l.scope,
            l.template.unwrap_or(usize::MAX),
            resource_pos,
            rules.position(&l.rule),
        ));
    }
    let mut order: Vec<usize> = (0..located.len()).collect();
    order.sort_by_key(|&i| keys[i]);
    let located: Vec<&Located<'_>> = order.iter().map(|&i| &located[i]).collect();

    for l in located {
        let meta = rules.meta(&l.rule);
        let finding = finding(scopes, l, meta.severity, meta.message(l.message.as_deref()));
        let suppression = l.resource.and_then(|r| suppression_of(r, &l.rule));
        match suppression {
            Some((reason, at)) if meta.suppressible => report.suppressed.push(SuppressedFinding {
                finding,
                reason,
                suppressed_at: at,
            }),
            _ => report.violations.push(finding),
        }
    }
    unsuppressible(scopes, &mut report);
    Ok(report)
}

fn engine_error(source: &Source, e: &str) -> InputError {
    InputError {
        path: source
            .file
            .clone()
            .unwrap_or_else(|| PathBuf::from(&source.label)),
        problem: format!("the policy engine cannot evaluate it: {e}"),
    }
}

fn finding(scopes: &[Scope], l: &Located<'_>, severity: Severity, message: String) -> Finding {
    let scope = &scopes[l.scope];
    // A finding about no resource of a one-template scope is about that template.
    let template = l
        .template
        .or_else(|| (scope.templates.len() == 1).then_some(0));
    let source = template.map(|t| &scope.templates[t].source);
    Finding {
        rule: l.rule.clone(),
        severity,
        source: source.map_or_else(|| scope.label.clone(), |s| s.label.clone()),
        stack: source.and_then(|s| s.stack_name.clone()),
        file: source
            .and_then(|s| s.file.clone())
            .or_else(|| scope.folder.clone()),
        logical_id: l.logical_id.clone(),
        resource_type: l.resource.map(|r| r.type_name.clone()),
        path: l.resource.and_then(|r| r.path()).map(str::to_owned),
        message,
    }
}

/// If `resource` suppresses `rule`: the reason and where it was declared.
fn suppression_of(resource: &ResourceDef, rule: &str) -> Option<(String, Option<String>)> {
    let s = resource
        .suppressions()
        .into_iter()
        .find(|s| s.rule == rule)?;
    Some((
        s.reason.unwrap_or_else(|| {
            "(no reason recorded in Metadata.\"stackforge:suppressions\")".to_owned()
        }),
        s.scope,
    ))
}

/// Suppressions of rules that cannot be suppressed are violations of those rules.
fn unsuppressible(scopes: &[Scope], report: &mut Report) {
    for (s, scope) in scopes.iter().enumerate() {
        for (t, template) in scope.templates.iter().enumerate() {
            for (id, resource) in &template.body.resources {
                for recorded in resource.suppressions() {
                    let rule = recorded.rule.as_str();
                    let Some(info) = rule_info(rule).filter(|i| !i.suppressible) else {
                        continue;
                    };
                    let reason = recorded.reason.clone().unwrap_or_default();
                    let at = recorded.scope.clone();
                    let at = at.map(|p| format!(" at {p}")).unwrap_or_default();
                    let located = Located {
                        scope: s,
                        template: Some(t),
                        logical_id: Some(id.clone()),
                        resource: Some(resource),
                        rule: rule.to_owned(),
                        message: None,
                    };
                    let message = format!(
                        "rule {rule} cannot be suppressed (suppression{at}, reason: {reason}). Fix: remove the suppression and {}.",
                        info.fix
                    );
                    report
                        .violations
                        .push(finding(scopes, &located, info.severity, message));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
