//! The rule files on their own, as the `cfn-guard` CLI would run them.

use std::path::Path;

use serde_json::json;
use stackforge_constructs::{document, Template};

use super::{catalog, engine, refs};

/// The failing fixtures of `rule`.
fn failing(rule: &str) -> Vec<Template> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
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
    let items: Vec<engine::Item> = docs
        .iter()
        .flat_map(|d| {
            (0..texts.len()).map(move |file| engine::Item {
                file,
                doc: d.clone(),
            })
        })
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
