//! The rule files on their own, as the `cfn-guard` CLI would run them.

use std::path::Path;

use serde_json::json;
use stackforge_construct_model::{document, Template};

use super::{catalog, engine, refs};

/// The failing fixtures of `rule`.
fn failing(rule: &str) -> Vec<Template> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .join("tests/fixtures/policy")
        .join(rule);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("fail"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| document::load(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

/// Annotates `t` for evaluation, then puts `Metadata.guard.SuppressedRules: [rule]` on every
/// resource (annotation removes it, since stackforge applies suppressions itself).
fn suppressed_everywhere(t: &Template, rule: &str) -> String {
    let mut doc = refs::annotate(&[t]).remove(0);
    for r in doc["Resources"].as_object_mut().unwrap().values_mut() {
        let r = r.as_object_mut().unwrap();
        let meta = r.entry("Metadata").or_insert_with(|| json!({}));
        meta["guard"] = json!({ "SuppressedRules": [rule] });
    }
    doc.to_string()
}

#[test]
fn rule_files_skip_suppressed_resources_unless_the_rule_cannot_be_suppressed() {
    let texts: Vec<&str> = catalog::BUILTIN_FILES.iter().map(|f| f.source).collect();
    let mut docs = Vec::new();
    let mut expect = Vec::new();
    for rule in catalog::RULES {
        for t in failing(rule.id) {
            let plain = refs::annotate(&[&t]).remove(0).to_string();
            docs.push(plain);
            expect.push((rule, true));
            docs.push(suppressed_everywhere(&t, rule.id));
            expect.push((rule, !rule.suppressible));
        }
    }
    // Every rule file on every document.
    let items: Vec<engine::Item<'_>> = docs
        .iter()
        .flat_map(|d| (0..texts.len()).map(move |file| engine::Item { file, doc: d }))
        .collect();
    let per_item = engine::run(&texts, &items, 2);
    let results: Vec<Result<Vec<engine::RawFinding>, String>> = per_item
        .chunks(texts.len())
        .map(|chunk| {
            let mut all = Vec::new();
            for r in chunk {
                all.extend(r.clone()?);
            }
            Ok(all)
        })
        .collect();
    for (i, ((rule, fails), result)) in expect.iter().zip(results).enumerate() {
        let findings = result.unwrap();
        let found = findings.iter().any(|f| f.rule == rule.id);
        assert_eq!(
            found,
            *fails,
            "{} (document {i}, suppressed: {}): {findings:?}",
            rule.id,
            i % 2 == 1
        );
    }
}

/// The gate's findings on `paths` with the built-in rules, evaluated as the gate does
/// (template files per resource, projected, equal projections once) or on whole documents.
fn report_on(paths: &[std::path::PathBuf], per_resource: bool) -> super::Report {
    let mut rules = super::RuleSet::builtin();
    if !per_resource {
        for f in &mut rules.files {
            f.projection = None;
        }
    }
    super::check_paths(paths, &rules).unwrap()
}

#[test]
fn per_resource_projected_evaluation_finds_exactly_what_whole_documents_find() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let inputs = [
        vec![root.join("tests/fixtures/policy")],
        vec![root.join("templates/dev"), root.join("templates/prod")],
        vec![root.join("tests/corpus")],
    ];
    for paths in inputs {
        let whole = report_on(&paths, false);
        let projected = report_on(&paths, true);
        assert!(
            !whole.violations.is_empty() || paths[0].ends_with("dev"),
            "{paths:?}: the comparison needs findings"
        );
        assert_eq!(projected, whole, "{paths:?}");
    }
}

#[test]
fn equal_resources_are_evaluated_once() {
    let t = document::from_json(&json!({"Resources": {
        "A": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7, "LogGroupName": "a"}},
        "B": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7, "LogGroupName": "b"}},
        "C": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}}
    }}))
    .unwrap();
    let rules = super::RuleSet::builtin();
    let plan = super::plan::Plan::build(&[vec![&t]], &rules.files);
    let logs = rules
        .files
        .iter()
        .position(|f| f.label == "rules/logging.guard")
        .unwrap();
    let units: Vec<_> = plan.units.iter().filter(|u| u.file == logs).collect();
    // LogGroupName is not read by logging.guard: A and B are one document.
    assert_eq!(units.len(), 2, "{units:#?}");
    assert_eq!(units[0].origins.len(), 2);
    let report = super::gate_scope_for_tests(&t, &rules);
    let ids: Vec<&str> = report
        .violations_of("LOGS_ENCRYPTED")
        .filter_map(|f| f.logical_id.as_deref())
        .collect();
    assert_eq!(ids, ["A", "B", "C"]);
}
