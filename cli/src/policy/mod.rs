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
//! (queries x document size), and its public API parses the rules on every call. So
//! (`plan`): the built-in template files, whose rules read one resource at a time, are
//! evaluated on each resource of the types they name, projected to what they read
//! ([`catalog::reads`]), and equal documents are evaluated once; custom files see templates
//! reduced to the types they name. Each file's documents go to cfn-guard in one call (a few
//! when large, on a few threads), and results are kept in a content-addressed cache
//! ([`cache`]) when the rule set has one, so an unchanged resource is not evaluated again.

pub mod cache;
pub mod catalog;
mod engine;
mod error;
mod evaluation;
pub mod input;
mod plan;
mod refs;
pub mod report;
pub mod schema;

use std::borrow::Cow;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use stackforge_construct_model::EnvironmentAssembly;

pub use catalog::{rule_info, EvalScope, RuleInfo, Severity, RULES};
pub use error::PolicyError;
pub use report::{Finding, InputError, Outcome, Report, SuppressedFinding};

use evaluation::{ScopeRef, TemplateRef};

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
    /// For built-in template files (their rules read one resource at a time): what they
    /// read of a resource. Each resource is then evaluated alone, projected to this.
    projection: Option<catalog::Reads>,
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

/// The rules a gate runs: the built-in ones, plus custom Guard files, and where results are
/// cached (none by default).
#[derive(Debug, Clone)]
pub struct RuleSet {
    files: Vec<RuleFile>,
    cache: Option<PathBuf>,
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
                projection: (f.scope == EvalScope::Template).then(|| catalog::reads(f.source)),
                custom: false,
            })
            .collect();
        Self { files, cache: None }
    }

    /// The same rules, with results cached in `dir` (see [`cache`]); None: no cache.
    pub fn cached_in(mut self, dir: Option<PathBuf>) -> Self {
        self.cache = dir;
        self
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
                projection: None,
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
    pub body: stackforge_construct_model::Template,
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
    let scopes: Vec<ScopeRef<'_>> = envs
        .iter()
        .map(|env| ScopeRef {
            label: Cow::Borrowed(env.environment.name()),
            folder: None,
            templates: env
                .stacks
                .iter()
                .map(|s| TemplateRef {
                    source: Cow::Owned(Source {
                        label: format!("{}/{}", env.environment.name(), s.name),
                        stack_name: Some(s.stack_name.clone()),
                        file: None,
                    }),
                    body: s.template(),
                })
                .collect(),
        })
        .collect();
    Ok(evaluation::evaluate(&scopes, rules))
}

/// Evaluates `rules` on `scopes`.
pub fn evaluate(scopes: &[Scope], rules: &RuleSet) -> Result<Report, PolicyError> {
    let scopes: Vec<ScopeRef<'_>> = scopes
        .iter()
        .map(|s| ScopeRef {
            label: Cow::Borrowed(&s.label),
            folder: s.folder.as_deref(),
            templates: s
                .templates
                .iter()
                .map(|t| TemplateRef {
                    source: Cow::Borrowed(&t.source),
                    body: &t.body,
                })
                .collect(),
        })
        .collect();
    Ok(evaluation::evaluate(&scopes, rules))
}

/// Runs the policy gate on `paths` (see [`input::load`]), then checks their resources against
/// the schema index ([`schema`]); unreadable inputs are listed in the report and the others are
/// still checked.
pub fn check_paths(paths: &[PathBuf], rules: &RuleSet) -> Result<Report, PolicyError> {
    let (scopes, errors) = input::load(paths);
    let mut report = evaluate(&scopes, rules)?;
    report.input_errors.splice(0..0, errors);
    schema::check(&scopes, &mut report);
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

/// The gate on one template alone (for tests).
#[cfg(test)]
fn gate_scope_for_tests(t: &stackforge_construct_model::Template, rules: &RuleSet) -> Report {
    let scope = ScopeRef {
        label: Cow::Borrowed("t"),
        folder: None,
        templates: vec![TemplateRef {
            source: Cow::Owned(Source {
                label: "t".into(),
                stack_name: None,
                file: None,
            }),
            body: t,
        }],
    };
    evaluation::evaluate(&[scope], rules)
}

#[cfg(test)]
mod tests;
