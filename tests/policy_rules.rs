//! Every policy rule against its fixtures (`tests/fixtures/policy/<RULE_ID>/{pass,fail}*.json`),
//! suppressions, cross-stack scopes and YAML templates, through the library API.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use stackforge::policy::{self, Outcome, RuleSet, Scope, Source, Template, RULES};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/policy")
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn scope(label: &str, body: Value) -> Scope {
    Scope {
        label: label.into(),
        folder: None,
        templates: vec![Template {
            source: Source {
                label: label.into(),
                stack_name: None,
                file: None,
            },
            body: stackforge_constructs::document::from_json(&body)
                .unwrap_or_else(|e| panic!("{label}: {e}")),
        }],
    }
}

/// Adds a stackforge suppression of `rule` to resource `id`.
fn suppress(template: &mut Value, id: &str, rule: &str, reason: &str) {
    let metadata = template["Resources"][id]
        .as_object_mut()
        .unwrap()
        .entry("Metadata")
        .or_insert_with(|| json!({}));
    metadata["guard"] = json!({ "SuppressedRules": [rule] });
    metadata["stackforge:suppressions"] =
        json!([{ "rule": rule, "reason": reason, "scope": "data/Audit" }]);
}

#[test]
fn every_rule_has_fixtures_that_pass_and_fail_it() {
    let root = fixtures();
    let dirs: Vec<PathBuf> = RULES.iter().map(|r| root.join(r.id)).collect();
    for dir in &dirs {
        for name in ["pass.json", "fail.json"] {
            assert!(
                dir.join(name).is_file(),
                "missing {}",
                dir.join(name).display()
            );
        }
    }
    // One run for all fixtures: each file is its own scope.
    let report = policy::check_paths(&dirs, &RuleSet::builtin()).unwrap();
    assert!(report.input_errors.is_empty(), "{:?}", report.input_errors);
    let mut checked = 0;
    for (rule, dir) in RULES.iter().zip(&dirs) {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let hits: Vec<&policy::Finding> = report
                .violations
                .iter()
                .filter(|f| f.file.as_deref() == Some(file.as_path()))
                .collect();
            let fails = hits.iter().any(|f| &*f.rule == rule.id);
            if name.starts_with("fail") {
                assert!(
                    fails,
                    "{}: expected a {} violation, got {hits:#?}",
                    file.display(),
                    rule.id
                );
                let f = hits.iter().find(|f| &*f.rule == rule.id).unwrap();
                assert!(
                    f.logical_id.is_some(),
                    "{}: the finding names no resource",
                    file.display()
                );
                assert!(
                    f.message.contains("Fix"),
                    "{}: no fix in {:?}",
                    file.display(),
                    f.message
                );
            } else {
                assert!(
                    name.starts_with("pass"),
                    "{}: name it pass*.json or fail*.json",
                    file.display()
                );
                assert!(
                    !fails,
                    "{}: unexpected {} violation: {hits:#?}",
                    file.display(),
                    rule.id
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 2 * RULES.len());
}

#[test]
fn a_realistic_secure_stack_passes_every_rule() {
    let path = fixtures().join("app/secure.template.json");
    let report = policy::check_paths(&[path], &RuleSet::builtin()).unwrap();
    assert!(report.passed(), "{}", report.render_text());
    assert_eq!(report.rules, RULES.len());
    assert!(report.resources >= 35);
}

#[test]
fn a_suppressed_finding_is_not_a_violation_and_is_listed_with_its_reason() {
    let mut t = read(&fixtures().join("S3_TLS_ONLY/fail.json"));
    suppress(
        &mut t,
        "Bucket",
        "S3_TLS_ONLY",
        "the bucket is served through CloudFront only",
    );
    let report = policy::evaluate(&[scope("dev/data", t)], &RuleSet::builtin()).unwrap();
    assert_eq!(
        report.violations_of("S3_TLS_ONLY").count(),
        0,
        "{}",
        report.render_text()
    );
    let s = report
        .suppressed
        .iter()
        .find(|s| &*s.finding.rule == "S3_TLS_ONLY")
        .expect("listed as suppressed");
    assert_eq!(s.finding.logical_id.as_deref(), Some("Bucket"));
    assert_eq!(s.finding.path.as_deref(), Some("audit/Bucket/Resource"));
    assert_eq!(s.reason, "the bucket is served through CloudFront only");
    assert_eq!(s.suppressed_at.as_deref(), Some("data/Audit"));
    assert!(report
        .render_text()
        .contains("reason: the bucket is served through CloudFront only"));
    assert_eq!(report.outcome(), Outcome::Clean);
}

#[test]
fn suppressing_a_rule_that_cannot_be_suppressed_is_a_violation() {
    for (rule, fixture, id) in [
        ("S3_ENCRYPTED", "S3_ENCRYPTED/fail.json", "Bucket"),
        ("RDS_NOT_PUBLIC", "RDS_NOT_PUBLIC/fail.json", "Database"),
        // Suppressed on a compliant resource: still a violation.
        ("LOGS_ENCRYPTED", "LOGS_ENCRYPTED/pass.json", "Logs"),
    ] {
        let mut t = read(&fixtures().join(fixture));
        suppress(&mut t, id, rule, "we accept the risk");
        let report = policy::evaluate(&[scope("dev/data", t)], &RuleSet::builtin()).unwrap();
        assert!(report.suppressed.iter().all(|s| &*s.finding.rule != rule));
        let cannot: Vec<_> = report
            .violations_of(rule)
            .filter(|f| {
                f.message
                    .contains(&format!("rule {rule} cannot be suppressed"))
            })
            .collect();
        assert_eq!(cannot.len(), 1, "{}", report.render_text());
        assert!(cannot[0].message.contains("we accept the risk"));
        assert_eq!(cannot[0].logical_id.as_deref(), Some(id));
        assert_eq!(report.outcome(), Outcome::Violations);
    }
}

#[test]
fn a_suppression_waives_only_its_rule_on_its_resource() {
    let mut t = read(&fixtures().join("RDS_IAM_AUTH/fail.json"));
    suppress(
        &mut t,
        "Database",
        "RDS_DELETION_PROTECTION",
        "dev database",
    );
    let report = policy::evaluate(&[scope("dev/data", t)], &RuleSet::builtin()).unwrap();
    assert_eq!(report.violations_of("RDS_IAM_AUTH").count(), 1);
    // Nothing to waive: the fixture has deletion protection.
    assert!(report.suppressed.is_empty());
}

#[test]
fn an_environment_folder_is_checked_as_a_whole_and_its_files_alone_are_not() {
    let env = fixtures().join("env");
    let together = policy::check_paths(std::slice::from_ref(&env), &RuleSet::builtin()).unwrap();
    assert!(together.passed(), "{}", together.render_text());
    assert_eq!(together.templates, 2);

    let data = env.join("dev/data.template.json");
    let alone = policy::check_paths(&[data], &RuleSet::builtin()).unwrap();
    let rules: Vec<&str> = alone.violations.iter().map(|f| &*f.rule).collect();
    // The backup plan and the load balancer live in the other stack.
    assert_eq!(
        rules,
        vec![
            "BACKUP_DB_COVERED",
            "BACKUP_PLAN_EXISTS",
            "SG_NO_PUBLIC_INGRESS"
        ],
        "{}",
        alone.render_text()
    );
}

#[test]
fn yaml_templates_with_short_form_tags_are_checked() {
    let path = fixtures().join("yaml/short-form.yaml");
    let report = policy::check_paths(&[path], &RuleSet::builtin()).unwrap();
    assert!(report.input_errors.is_empty());
    let found: Vec<(&str, Option<&str>)> = report
        .violations
        .iter()
        .map(|f| (&*f.rule, f.logical_id.as_deref()))
        .collect();
    // !Ref, !GetAtt and !Sub were followed: the TLS rule reached the parameter group through
    // !Ref, the backup selection covers the database through !GetAtt, and the password is a
    // dynamic reference inside !Sub.
    assert_eq!(
        found,
        vec![("RDS_TLS_ENFORCED", Some("DbParams"))],
        "{}",
        report.render_text()
    );
}

#[test]
fn custom_rules_are_reported_like_built_in_ones() {
    let rules = RuleSet::with_custom(Some(&fixtures().join("custom-rules"))).unwrap();
    assert_eq!(rules.rule_count(), RULES.len() + 1);
    assert_eq!(rules.custom_rules(), vec!["BUCKETS_ARE_VERSIONED"]);
    let mut t = read(&fixtures().join("S3_ENCRYPTED/pass.json"));
    t["Resources"]["Bucket"]["Properties"]
        .as_object_mut()
        .unwrap()
        .remove("VersioningConfiguration");
    let report = policy::evaluate(&[scope("dev/data", t.clone())], &rules).unwrap();
    let f: Vec<_> = report.violations_of("BUCKETS_ARE_VERSIONED").collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].logical_id.as_deref(), Some("Bucket"));
    assert_eq!(f[0].severity, policy::Severity::Custom);
    assert!(f[0].message.contains("VersioningConfiguration"));

    suppress(&mut t, "Bucket", "BUCKETS_ARE_VERSIONED", "scratch bucket");
    let report = policy::evaluate(&[scope("dev/data", t)], &rules).unwrap();
    assert_eq!(report.violations_of("BUCKETS_ARE_VERSIONED").count(), 0);
    assert_eq!(report.suppressed.len(), 1);
}

#[test]
fn custom_rule_files_are_validated() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "broken.guard",
            "rule X {\n  Resources.* ==\n",
            "not valid Guard",
        ),
        ("empty.guard", "# nothing\n", "declares no rule"),
        (
            "clash.guard",
            "rule S3_ENCRYPTED { Resources exists }\n",
            "id of a built-in rule",
        ),
    ];
    for (name, text, want) in cases {
        let sub = dir.path().join(name.trim_end_matches(".guard"));
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join(name), text).unwrap();
        let e = RuleSet::with_custom(Some(&sub)).unwrap_err().to_string();
        assert!(e.contains(name) && e.contains(want), "{e}");
    }
    let e = RuleSet::with_custom(Some(&dir.path().join("nope")))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no such rules folder"), "{e}");
    let none = dir.path().join("none");
    std::fs::create_dir(&none).unwrap();
    let e = RuleSet::with_custom(Some(&none)).unwrap_err().to_string();
    assert!(e.contains("holds no *.guard file"), "{e}");
}

#[test]
fn unreadable_inputs_are_listed_and_the_others_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let paths = vec![
        write("malformed.json", "{\"Resources\": {"),
        write("empty.json", ""),
        write(
            "package.json",
            "{\"name\": \"web\", \"version\": \"1.0.0\"}",
        ),
        fixtures().join("S3_ENCRYPTED/fail.json"),
        dir.path().join("missing.yaml"),
    ];
    let report = policy::check_paths(&paths, &RuleSet::builtin()).unwrap();
    let problems: Vec<(String, &str)> = report
        .input_errors
        .iter()
        .map(|e| {
            (
                e.path.file_name().unwrap().to_string_lossy().into_owned(),
                e.problem.as_str(),
            )
        })
        .collect();
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(problems[0].0 == "missing.yaml" && problems[0].1.contains("no such file"));
    assert!(problems[1].0 == "malformed.json" && problems[1].1.contains("not valid JSON"));
    assert!(problems[2].0 == "empty.json" && problems[2].1.contains("empty"));
    assert!(problems[3].0 == "package.json" && problems[3].1.contains("no `Resources` section"));
    assert_eq!(report.violations_of("S3_ENCRYPTED").count(), 1);
    assert_eq!(report.outcome(), Outcome::InputErrors);
}
