//! cfn-guard, in process: evaluates rule files on prepared documents and reads back which
//! rule failed on which resource, with the rule's message.
//!
//! cfn-guard's public API parses the rules on every call (its parsed form and evaluator are
//! private), so documents are evaluated in batches through its `validate --payload
//! --structured` command, whose JSON report names each failed rule and the paths of the
//! values that failed it. Each rule file is parsed once per batch, and a file's documents
//! are split into several batches only when they are large enough to be worth a thread.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use cfn_guard::commands::validate::{OutputFormatType, ShowSummaryType};
use cfn_guard::commands::Executable;
use cfn_guard::utils::reader::{ReadBuffer, Reader};
use cfn_guard::utils::writer::{WriteBuffer, Writer};
use cfn_guard::{CommandBuilder, ValidateBuilder};
use serde_json::Value;

/// A rule that failed on one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawFinding {
    /// The Guard rule name.
    pub rule: String,
    /// The key under `Resources` of the failing resource, if the failure points at one.
    pub key: Option<String>,
    /// The first custom message (`<< >>`) of the failed clauses, whitespace collapsed.
    pub message: Option<String>,
}

/// The findings of one document, or why it could not be evaluated.
type DocResult = Result<Vec<RawFinding>, String>;

/// Stack size of the evaluation threads.
const STACK_SIZE: usize = 64 << 20;

/// cfn-guard's exit status for rule files it cannot parse.
const GUARD_ERROR_STATUS: i32 = 5;

/// Checks that `text` is valid Guard; the error says where it is not.
pub(crate) fn check_syntax(text: &str, name: &str) -> Result<(), String> {
    match cfn_guard::commands::validate::parse_rules(text, name) {
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// One evaluation: the rule file `rules[file]` on `doc`.
pub(crate) struct Item<'a> {
    /// Index of the rule file.
    pub file: usize,
    /// The document (JSON text).
    pub doc: &'a str,
}

/// Documents of one rule file are split into batches of at least this many bytes: below,
/// parsing the rules again costs more than a thread saves.
pub(crate) const MIN_BATCH_BYTES: usize = 256 << 10;

/// Evaluates every item on up to `threads` threads. One result per item: its findings, or
/// why cfn-guard could not evaluate it.
///
/// The items of one rule file are evaluated in a few large calls (cfn-guard parses the rules
/// once per call); the calls are shared out to the threads as they become free.
pub(crate) fn run(rules: &[&str], items: &[Item<'_>], threads: usize) -> Vec<DocResult> {
    let threads = threads.max(1);
    // Jobs: per rule file, its items split into at most `threads` groups of similar size.
    let mut jobs: Vec<(usize, Vec<usize>, usize)> = Vec::new();
    let mut per_file: Vec<Vec<usize>> = vec![Vec::new(); rules.len()];
    for (i, item) in items.iter().enumerate() {
        per_file[item.file].push(i);
    }
    for (file, mine) in per_file.iter().enumerate() {
        let bytes: usize = mine.iter().map(|&i| items[i].doc.len()).sum();
        let groups = threads.min(bytes / MIN_BATCH_BYTES).max(1);
        for group in balance(mine, |i| items[i].doc.len(), groups) {
            let size = group.iter().map(|&i| items[i].doc.len()).sum();
            jobs.push((file, group, size));
        }
    }
    jobs.sort_by_key(|j| std::cmp::Reverse(j.2));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done: Vec<(usize, DocResult)> = Vec::new();
        loop {
            let j = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some((file, group, _)) = jobs.get(j) else {
                return done;
            };
            let docs: Vec<&str> = group.iter().map(|&i| items[i].doc).collect();
            let results = run_chunk(rules[*file], &docs);
            done.extend(group.iter().copied().zip(results));
        }
    };
    let mut results: Vec<Option<DocResult>> = items.iter().map(|_| None).collect();
    // cfn-guard recurses deeply; give it more stack than a test thread has.
    let outcomes: Vec<Result<Vec<(usize, DocResult)>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.min(jobs.len()))
            .map(|_| {
                std::thread::Builder::new()
                    .name("policy-gate".into())
                    .stack_size(STACK_SIZE)
                    .spawn_scoped(s, work)
            })
            .collect();
        handles
            .into_iter()
            .map(|h| match h {
                Ok(h) => h
                    .join()
                    .map_err(|_| "the policy engine panicked".to_owned()),
                Err(e) => Err(format!("cannot start a thread: {e}")),
            })
            .collect()
    });
    let mut failure = None;
    for outcome in outcomes {
        match outcome {
            Ok(done) => {
                for (i, r) in done {
                    results[i] = Some(r);
                }
            }
            Err(e) => failure = Some(e),
        }
    }
    let failure = failure.unwrap_or_else(|| "not evaluated".to_owned());
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(failure.clone())))
        .collect()
}

/// Splits `indices` into at most `n` groups of similar total `size`.
pub(crate) fn balance(
    indices: &[usize],
    size: impl Fn(usize) -> usize,
    n: usize,
) -> Vec<Vec<usize>> {
    let n = n.min(indices.len()).max(1);
    let mut order: Vec<usize> = indices.to_vec();
    order.sort_by_key(|&i| std::cmp::Reverse(size(i)));
    let mut groups: Vec<(usize, Vec<usize>)> = vec![(0, Vec::new()); n];
    for i in order {
        if let Some(g) = groups.iter_mut().min_by_key(|g| g.0) {
            g.0 += size(i);
            g.1.push(i);
        }
    }
    groups
        .into_iter()
        .filter(|g| !g.1.is_empty())
        .map(|mut g| {
            g.1.sort_unstable();
            g.1
        })
        .collect()
}

/// Evaluates `docs` in one call; if that fails, one by one, so that a document cfn-guard
/// rejects does not hide the findings of the others.
fn run_chunk(rules: &str, docs: &[&str]) -> Vec<DocResult> {
    match run_batch(rules, docs) {
        Ok(per_doc) => per_doc.into_iter().map(Ok).collect(),
        Err(_) if docs.len() > 1 => docs
            .iter()
            .map(|doc| run_batch(rules, &[doc]).map(|mut r| r.pop().unwrap_or_default()))
            .collect(),
        Err(e) => vec![Err(e)],
    }
}

fn run_batch(rules: &str, docs: &[&str]) -> Result<Vec<Vec<RawFinding>>, String> {
    let payload = serde_json::json!({ "rules": [rules], "data": docs }).to_string();
    let command = ValidateBuilder::default()
        .payload(true)
        .structured(true)
        .output_format(OutputFormatType::JSON)
        .show_summary(vec![ShowSummaryType::None])
        .try_build()
        .map_err(|e| e.to_string())?;
    let mut reader = Reader::new(ReadBuffer::Cursor(Cursor::new(payload.into_bytes())));
    let mut writer =
        Writer::new_with_err(WriteBuffer::Vec(Vec::new()), WriteBuffer::Vec(Vec::new()))
            .map_err(|e| e.to_string())?;
    let status = catch_unwind(AssertUnwindSafe(|| {
        command.execute(&mut writer, &mut reader)
    }))
    .map_err(|panic| {
        let text = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        format!("cfn-guard panicked: {text}")
    })?
    .map_err(|e| e.to_string())?;
    if status == GUARD_ERROR_STATUS {
        let err = writer.err_to_stripped().unwrap_or_default();
        return Err(err.trim().to_owned());
    }
    let out = writer.into_string().map_err(|e| e.to_string())?;
    parse_report(&out, docs.len())
}

/// Reads cfn-guard's structured JSON report: one entry per document, in order.
fn parse_report(text: &str, expected: usize) -> Result<Vec<Vec<RawFinding>>, String> {
    let report: Value =
        serde_json::from_str(text).map_err(|e| format!("unreadable cfn-guard report: {e}"))?;
    let files = report
        .as_array()
        .ok_or("the cfn-guard report is not a list")?;
    if files.len() != expected {
        return Err(format!(
            "cfn-guard reported {} documents instead of {expected}",
            files.len()
        ));
    }
    Ok(files.iter().map(file_findings).collect())
}

fn file_findings(file: &Value) -> Vec<RawFinding> {
    let mut findings: Vec<RawFinding> = Vec::new();
    let failed = file.get("not_compliant").and_then(Value::as_array);
    for entry in failed.into_iter().flatten() {
        let Some(rule) = entry.get("Rule") else {
            continue;
        };
        let name = rule.get("name").and_then(Value::as_str).unwrap_or_default();
        let mut leaves = Vec::new();
        leaf_clauses(rule, &mut leaves);
        for (key, message) in leaves {
            match findings.iter_mut().find(|f| f.rule == name && f.key == key) {
                Some(f) => {
                    if f.message.is_none() {
                        f.message = message;
                    }
                }
                None => findings.push(RawFinding {
                    rule: name.to_owned(),
                    key,
                    message,
                }),
            }
        }
    }
    findings
}

/// The failed clauses under a rule report: for each, the resource key it points at and its
/// custom message.
fn leaf_clauses(report: &Value, out: &mut Vec<(Option<String>, Option<String>)>) {
    if let Some(checks) = report.get("checks").and_then(Value::as_array) {
        for check in checks {
            for (kind, inner) in check.as_object().into_iter().flatten() {
                match kind.as_str() {
                    "Rule" | "Disjunctions" => leaf_clauses(inner, out),
                    "Block" => out.push((
                        inner
                            .get("unresolved")
                            .and_then(value_path)
                            .and_then(resource_key),
                        custom_message(inner),
                    )),
                    "Clause" => {
                        for clause in inner.as_object().into_iter().flatten().map(|(_, c)| c) {
                            out.push((
                                clause
                                    .get("check")
                                    .and_then(value_path)
                                    .and_then(resource_key),
                                custom_message(clause),
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

fn custom_message(clause: &Value) -> Option<String> {
    let text = clause.get("messages")?.get("custom_message")?.as_str()?;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

/// The left-hand value a failed check is about: the first `{path, value}` object, not
/// descending into the right-hand side (`to`) or into the values themselves.
fn value_path(v: &Value) -> Option<(&str, &Value)> {
    let map = v.as_object()?;
    if let (Some(path), Some(value)) = (map.get("path").and_then(Value::as_str), map.get("value")) {
        return Some((path, value));
    }
    map.iter()
        .filter(|(k, _)| k.as_str() != "to" && k.as_str() != "comparison")
        .find_map(|(_, v)| value_path(v))
}

/// `/Resources/<key>/...` -> key. A captured map key reports its parent's path with the key
/// as value.
fn resource_key((path, value): (&str, &Value)) -> Option<String> {
    let rest = path.strip_prefix("/Resources")?;
    match rest.strip_prefix('/') {
        Some(rest) => rest.split('/').next().map(str::to_owned),
        None if rest.is_empty() => value.as_str().map(str::to_owned),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"
let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]
rule ENCRYPTED when %buckets !empty {
    %buckets.Properties.BucketEncryption exists
    <<Fix:
      set BucketEncryption>>
}
"#;

    fn items<'a>(docs: &[&'a str]) -> Vec<Item<'a>> {
        docs.iter().map(|d| Item { file: 0, doc: d }).collect()
    }

    #[test]
    fn findings_name_the_rule_resource_and_message() {
        let docs = items(&[
            r#"{"Resources": {"A": {"Type": "AWS::S3::Bucket"}, "B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketEncryption": {}}}}}"#,
            r#"{"Resources": {"C": {"Type": "AWS::S3::Bucket", "Properties": {}}}}"#,
            r#"{"Resources": {"D": {"Type": "AWS::SNS::Topic"}}}"#,
        ]);
        for threads in [1, 2] {
            let out = run(&[RULES], &docs, threads);
            let finding = |rule: &str, key: &str| {
                Ok(vec![RawFinding {
                    rule: rule.into(),
                    key: Some(key.into()),
                    message: Some("Fix: set BucketEncryption".into()),
                }])
            };
            assert_eq!(out[0], finding("ENCRYPTED", "A"));
            assert_eq!(out[1], finding("ENCRYPTED", "C"));
            assert_eq!(out[2], Ok(vec![]));
        }
    }

    #[test]
    fn items_go_to_their_own_rule_file() {
        let other = "rule TOPIC { Resources.*[ Type == 'AWS::SNS::Topic' ].Properties exists <<Fix: props>> }";
        let mut docs = items(&[
            r#"{"Resources": {"A": {"Type": "AWS::S3::Bucket"}}}"#,
            r#"{"Resources": {"D": {"Type": "AWS::SNS::Topic"}}}"#,
        ]);
        docs[1].file = 1;
        let out = run(&[RULES, other], &docs, 2);
        assert_eq!(out[0].as_ref().unwrap()[0].rule, "ENCRYPTED");
        assert_eq!(out[1].as_ref().unwrap()[0].rule, "TOPIC");
        assert!(run(&[RULES], &[], 2).is_empty());
    }

    #[test]
    fn a_document_guard_rejects_is_isolated() {
        let docs = items(&[
            r#"{"Resources": {"A": {"Type": "AWS::S3::Bucket"}}}"#,
            "   ",
        ]);
        let out = run(&[RULES], &docs, 1);
        assert_eq!(out[0].as_ref().map(Vec::len), Ok(1));
        assert!(out[1].is_err());
    }

    #[test]
    fn syntax_errors_say_where() {
        let e = check_syntax("rule X {\n  Resources.* ==\n", "bad.guard").unwrap_err();
        assert!(e.contains("bad.guard"), "{e}");
    }

    #[test]
    fn balance_spreads_indices() {
        let sizes = [4, 1, 2, 3];
        let groups = balance(&[0, 1, 2, 3], |i| sizes[i], 2);
        assert_eq!(groups, vec![vec![0, 1], vec![2, 3]]);
        assert_eq!(balance(&[2], |i| sizes[i], 4), vec![vec![2]]);
    }
}
