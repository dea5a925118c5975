//! One gate run: the documents of the plan evaluated (through the result cache when the
//! rule set has one), findings attributed to templates and resources, suppressions applied,
//! and the report in a stable order.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use stackforge_construct_model::template::ResourceDef;

use super::cache::Cache;
use super::catalog::{rule_info, Severity};
use super::engine::{self, RawFinding};
use super::plan::{self, Origin, Plan};
use super::report::{Finding, InputError, Report, SuppressedFinding};
use super::{threads, RuleSet, Source};

/// A template to check, borrowed.
pub(crate) struct TemplateRef<'a> {
    pub source: Cow<'a, Source>,
    pub body: &'a stackforge_construct_model::Template,
}

/// Templates checked together, borrowed.
pub(crate) struct ScopeRef<'a> {
    pub label: Cow<'a, str>,
    pub folder: Option<&'a Path>,
    pub templates: Vec<TemplateRef<'a>>,
}

/// A finding before it is attributed: which scope, template (None: the scope) and resource.
/// It borrows from the plan and the results: an app under review may have a finding for
/// most of its resources, and copying their names cost 29 of the 105 MiB the gate added at
/// 100,000 resources (synth bench, 66,500 findings).
struct Located<'a> {
    scope: usize,
    template: Option<usize>,
    logical_id: Option<&'a str>,
    resource: Option<&'a ResourceDef>,
    rule: &'a str,
    message: Option<&'a str>,
}

type UnitResult = Result<Vec<RawFinding>, String>;

/// A finding already reported: rule file, scope, template, logical ID, rule.
type SeenFinding<'a> = (usize, usize, Option<usize>, Option<&'a str>, &'a str);

/// The findings of every unit of `plan`, from the cache when the rule set has one.
fn results(plan: &Plan, rules: &RuleSet) -> Vec<UnitResult> {
    let texts: Vec<&str> = rules.files.iter().map(|f| f.text.as_ref()).collect();
    let mut cache = rules.cache.as_deref().map(Cache::open);
    let keys: Vec<u128> = match cache {
        Some(_) => {
            let hashes: Vec<u128> = texts.iter().map(|t| Cache::rules_hash(t)).collect();
            plan.units
                .iter()
                .map(|u| Cache::key(hashes[u.file], &u.doc))
                .collect()
        }
        None => Vec::new(),
    };
    let mut out: Vec<Option<UnitResult>> = (0..plan.units.len())
        .map(|u| cache.as_mut().and_then(|c| c.get(keys[u])).map(Ok))
        .collect();
    let missing: Vec<usize> = (0..out.len()).filter(|&u| out[u].is_none()).collect();
    for (u, result) in evaluate_units(plan, rules, &texts, &missing) {
        if let (Some(c), Ok(findings)) = (cache.as_mut(), &result) {
            c.put(keys[u], findings.clone());
        }
        out[u] = Some(result);
    }
    if let Some(c) = cache {
        c.save();
    }
    out.into_iter()
        .map(|r| r.unwrap_or_else(|| Err("not evaluated".to_owned())))
        .collect()
}

/// Evaluates `units` of `plan`. The projected resources of a file go together into a few
/// documents (one key each); a document whose findings cannot all be told apart by key
/// (or that cfn-guard rejects) is evaluated again one resource per document.
fn evaluate_units(
    plan: &Plan,
    rules: &RuleSet,
    texts: &[&str],
    units: &[usize],
) -> Vec<(usize, UnitResult)> {
    let threads = threads();
    let projected = |u: usize| rules.files[plan.units[u].file].projection.is_some();
    // Documents, each with the units it holds (one for a plain document).
    let mut docs: Vec<(usize, Cow<'_, str>, Vec<usize>)> = Vec::new();
    let mut per_file: Vec<Vec<usize>> = vec![Vec::new(); texts.len()];
    for &u in units {
        if projected(u) {
            per_file[plan.units[u].file].push(u);
        } else {
            docs.push((
                plan.units[u].file,
                Cow::Borrowed(&plan.units[u].doc),
                vec![u],
            ));
        }
    }
    for (file, mine) in per_file.iter().enumerate() {
        let bytes: usize = mine.iter().map(|&u| plan.units[u].doc.len()).sum();
        let groups = threads.min(bytes / engine::MIN_BATCH_BYTES).max(1);
        for group in engine::balance(mine, |u| plan.units[u].doc.len(), groups) {
            let doc = plan::document(group.iter().map(|&u| plan.units[u].doc.as_str()));
            docs.push((file, Cow::Owned(doc), group));
        }
    }
    let items: Vec<engine::Item<'_>> = docs
        .iter()
        .map(|(file, doc, _)| engine::Item { file: *file, doc })
        .collect();
    let mut out = Vec::new();
    let mut again: Vec<usize> = Vec::new();
    for ((_, _, held), result) in docs.iter().zip(engine::run(texts, &items, threads)) {
        if !projected(held[0]) {
            out.push((held[0], result));
            continue;
        }
        let split = result
            .ok()
            .and_then(|findings| split(&findings, held.len()));
        match split {
            Some(per_unit) => out.extend(held.iter().copied().zip(per_unit.into_iter().map(Ok))),
            None if held.len() > 1 => again.extend(held),
            None => again.push(held[0]),
        }
    }
    if !again.is_empty() {
        let single: Vec<String> = again
            .iter()
            .map(|&u| plan::document([plan.units[u].doc.as_str()]))
            .collect();
        let items: Vec<engine::Item<'_>> = again
            .iter()
            .zip(&single)
            .map(|(&u, doc)| engine::Item {
                file: plan.units[u].file,
                doc,
            })
            .collect();
        for (&u, result) in again.iter().zip(engine::run(texts, &items, threads)) {
            // Alone, every finding is about the unit's resource or about none.
            let result = result.map(|findings| {
                findings
                    .into_iter()
                    .map(|f| RawFinding {
                        key: f.key.map(|_| plan::RESOURCE_KEY.to_owned()),
                        ..f
                    })
                    .collect()
            });
            out.push((u, result));
        }
    }
    out
}

/// The findings of a document of `n` projected units, per unit (keys `R<i>` become `R`);
/// None when a finding names no unit.
fn split(findings: &[RawFinding], n: usize) -> Option<Vec<Vec<RawFinding>>> {
    let mut per_unit: Vec<Vec<RawFinding>> = vec![Vec::new(); n];
    for f in findings {
        let i: usize = f
            .key
            .as_deref()?
            .strip_prefix(plan::RESOURCE_KEY)?
            .parse()
            .ok()?;
        per_unit.get_mut(i)?.push(RawFinding {
            key: Some(plan::RESOURCE_KEY.to_owned()),
            ..f.clone()
        });
    }
    Some(per_unit)
}

/// Evaluates `rules` on `scopes`.
pub(crate) fn evaluate(scopes: &[ScopeRef<'_>], rules: &RuleSet) -> Report {
    let templates: Vec<Vec<_>> = scopes
        .iter()
        .map(|s| s.templates.iter().map(|t| t.body).collect())
        .collect();
    let plan = Plan::build(&templates, &rules.files);
    let results = results(&plan, rules);

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
    // Sized once for every finding: grown, the list and the set held up to twice their room
    // (20 MiB at 66,500 findings), the set's old table alive while it rehashed.
    let found: usize = (plan.units.iter().zip(&results))
        .map(|(unit, r)| r.as_ref().map_or(0, |f| f.len() * unit.origins.len()))
        .sum();
    let mut located: Vec<Located<'_>> = Vec::with_capacity(found);
    let mut seen: HashSet<SeenFinding<'_>> = HashSet::with_capacity(found);
    for (unit, result) in plan.units.iter().zip(&results) {
        let findings = match result {
            Ok(findings) => findings,
            Err(e) => {
                for origin in &unit.origins {
                    let error = match origin {
                        Origin::Resource {
                            scope, template, ..
                        }
                        | Origin::Template { scope, template } => {
                            engine_error(&scopes[*scope].templates[*template].source, e)
                        }
                        Origin::Scope { scope, .. } => InputError {
                            path: PathBuf::from(scopes[*scope].label.as_ref()),
                            problem: format!("the policy engine cannot evaluate it: {e}"),
                        },
                    };
                    if !report.input_errors.contains(&error) {
                        report.input_errors.push(error);
                    }
                }
                continue;
            }
        };
        for origin in &unit.origins {
            for f in findings {
                // Where the finding's resource key leads: template and logical ID.
                let (s, t, target) = match origin {
                    Origin::Resource {
                        scope,
                        template,
                        resource,
                    } => {
                        let resources = &scopes[*scope].templates[*template].body.resources;
                        let id = resources.get_index(*resource).map(|(id, _)| id.as_str());
                        (*scope, Some(*template), f.key.as_ref().and(id))
                    }
                    Origin::Template { scope, template } => {
                        (*scope, Some(*template), f.key.as_deref())
                    }
                    Origin::Scope { scope, keys } => {
                        let found = f.key.as_ref().and_then(|k| keys.get(k));
                        (
                            *scope,
                            found.map(|(t, _)| *t),
                            found.map(|(_, id)| id.as_str()),
                        )
                    }
                };
                if !seen.insert((unit.file, s, t, target, &f.rule)) {
                    // The same finding from several resources of one template (a failure
                    // about no resource), reported once as a whole-document run would.
                    continue;
                }
                let resource = t
                    .zip(target)
                    .and_then(|(t, id)| scopes[s].templates[t].body.resources.get(id));
                located.push(Located {
                    scope: s,
                    template: t.filter(|_| target.is_some()),
                    logical_id: target,
                    resource,
                    rule: &f.rule,
                    message: f.message.as_deref(),
                });
            }
        }
    }

    // Report order: scope, template, resource, rule.
    let mut keys = Vec::with_capacity(located.len());
    for l in &located {
        let resource_pos = match (l.template, l.logical_id) {
            (Some(t), Some(id)) => scopes[l.scope].templates[t]
                .body
                .resources
                .get_index_of(id)
                .unwrap_or(usize::MAX),
            _ => usize::MAX,
        };
        keys.push((
            l.scope,
            l.template.unwrap_or(usize::MAX),
            resource_pos,
            rules.position(l.rule),
        ));
    }
    let mut order: Vec<usize> = (0..located.len()).collect();
    order.sort_by_key(|&i| keys[i]);

    // Sized once: doubling a list of this many findings held up to twice its size.
    report.violations.reserve_exact(order.len());
    let mut texts = Texts::default();
    let mut messages: HashMap<(&str, Option<&str>), Arc<str>> = HashMap::new();
    for l in order.iter().map(|&i| &located[i]) {
        let meta = rules.meta(l.rule);
        let message = messages
            .entry((l.rule, l.message))
            .or_insert_with(|| meta.message(l.message).into())
            .clone();
        let finding = finding(scopes, l, meta.severity, message, &mut texts);
        let suppression = l.resource.and_then(|r| suppression_of(r, l.rule));
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
    report
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

/// One shared copy of each text the findings repeat (rule, source, stack, type).
#[derive(Default)]
struct Texts<'a>(HashMap<&'a str, Arc<str>>);

impl<'a> Texts<'a> {
    fn get(&mut self, text: &'a str) -> Arc<str> {
        self.0.entry(text).or_insert_with(|| text.into()).clone()
    }
}

fn finding<'a>(
    scopes: &'a [ScopeRef<'a>],
    l: &Located<'a>,
    severity: Severity,
    message: Arc<str>,
    texts: &mut Texts<'a>,
) -> Finding {
    let scope = &scopes[l.scope];
    // A finding about no resource of a one-template scope is about that template.
    let template = l
        .template
        .or_else(|| (scope.templates.len() == 1).then_some(0));
    let source = template.map(|t| scope.templates[t].source.as_ref());
    Finding {
        rule: texts.get(l.rule),
        severity,
        source: match source {
            Some(s) => texts.get(&s.label),
            None => scope.label.to_string().into(),
        },
        stack: source.and_then(|s| Some(texts.get(s.stack_name.as_deref()?))),
        file: source
            .and_then(|s| s.file.clone())
            .or_else(|| scope.folder.map(Path::to_path_buf)),
        logical_id: l.logical_id.map(str::to_owned),
        resource_type: l.resource.map(|r| texts.get(&r.type_name)),
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
fn unsuppressible(scopes: &[ScopeRef<'_>], report: &mut Report) {
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
                        logical_id: Some(id),
                        resource: Some(resource),
                        rule,
                        message: None,
                    };
                    let message = format!(
                        "rule {rule} cannot be suppressed (suppression{at}, reason: {reason}). Fix: remove the suppression and {}.",
                        info.fix
                    );
                    report.violations.push(finding(
                        scopes,
                        &located,
                        info.severity,
                        message.into(),
                        &mut Texts::default(),
                    ));
                }
            }
        }
    }
}
