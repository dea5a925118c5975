//! The vendored corpus of real templates nobody here wrote (`tests/corpus/`): every template
//! the pinned cfn-lint accepts (`tests/corpus/cfn-lint-accepted.txt`, re-verified by the test
//! command) must get no false error from the schema index, when read by `check PATH` and when
//! rebuilt as raw resources and synthesized. Templates needing a transform, a macro or
//! `Fn::ForEach` get a clear "not supported" answer instead.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;
use stackforge_constructs::{
    document, App, Environment, Error, RawResource, ResourceOptions, Stack, StackProps,
};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// The templates cfn-lint accepts, as paths.
fn accepted() -> Vec<PathBuf> {
    let list = std::fs::read_to_string(corpus().join("cfn-lint-accepted.txt")).unwrap();
    let paths: Vec<PathBuf> = list
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| corpus().join(l))
        .collect();
    assert!(paths.len() > 50, "only {} accepted templates", paths.len());
    paths
}

/// The template, or `None` when it needs a transform, a macro or `Fn::ForEach` (which the
/// reader or the schema check reports as not supported).
fn read(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    match document::parse(&text) {
        Ok(_) => Some(document::parse_value(&text).unwrap()),
        Err(e) if e.is_unsupported() => None,
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

fn empty_app() -> Result<App, Error> {
    Ok(App::new("corpus"))
}

#[test]
fn check_finds_no_schema_error_in_templates_cfn_lint_accepts() {
    let paths = accepted();
    let args: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let mut argv = vec!["check", "--json"];
    argv.extend(args.iter().map(String::as_str));
    let r = common::run_cli(empty_app, &argv);
    let report: Value = serde_json::from_str(&r.out).unwrap_or_else(|e| panic!("{e}: {}", r.err));
    let schema_findings: Vec<&Value> = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "SCHEMA")
        .collect();
    assert!(
        schema_findings.is_empty(),
        "false schema errors on templates cfn-lint accepts:\n{}",
        serde_json::to_string_pretty(&schema_findings).unwrap()
    );
    // The only inputs not checked are the ones needing a transform, each saying so.
    let unsupported: Vec<&Path> = paths
        .iter()
        .filter(|p| read(p).is_none())
        .map(PathBuf::as_path)
        .collect();
    assert!(
        !unsupported.is_empty(),
        "the corpus has templates with transforms"
    );
    let errors = report["input_errors"].as_array().unwrap();
    let mut reported: Vec<&str> = errors.iter().map(|e| e["path"].as_str().unwrap()).collect();
    reported.sort_unstable();
    let expected: Vec<String> = unsupported
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(reported, expected, "{errors:#?}");
    for e in errors {
        let problem = e["problem"].as_str().unwrap();
        assert!(problem.contains("not supported"), "{problem}");
    }
}

/// One stack per template, each resource raw with its template logical ID.
fn rebuild(templates: &[(PathBuf, Value)]) -> Result<App, Error> {
    let mut app = App::new("corpus");
    let env = Environment::new("test");
    for (i, (_, body)) in templates.iter().enumerate() {
        let mut stack = Stack::new(&app, &env, &format!("t{i}"), StackProps::default())?;
        let mut root = stack.root();
        for (id, resource) in body["Resources"].as_object().unwrap() {
            let mut raw = RawResource::new(resource["Type"].as_str().unwrap());
            for (k, v) in resource["Properties"]
                .as_object()
                .cloned()
                .unwrap_or_default()
            {
                raw = raw.prop(&k, v);
            }
            let options = ResourceOptions {
                logical_id: Some(id.clone()),
                ..ResourceOptions::default()
            };
            root.add_raw(id, raw, options)?;
        }
        app.add_stack(stack)?;
    }
    Ok(app)
}

#[test]
fn templates_cfn_lint_accepts_synthesize_as_raw_resources() {
    let templates: Vec<(PathBuf, Value)> = accepted()
        .into_iter()
        .filter_map(|p| read(&p).map(|body| (p, body)))
        .collect();
    let app = rebuild(&templates).unwrap();
    if let Err(e) = app.synth() {
        // The rebuilt stacks carry resources only, so references to the templates' parameters
        // are missing targets; what this test guards is the schema index's checks.
        let named: Vec<String> = e
            .errors()
            .iter()
            .filter(|err| {
                matches!(
                    err,
                    Error::Schema { .. }
                        | Error::UnknownType { .. }
                        | Error::UnavailableType { .. }
                        | Error::UnknownAttribute { .. }
                )
            })
            .map(|err| {
                let text = err.to_string();
                let stack = text
                    .trim_start_matches('`')
                    .split('/')
                    .next()
                    .and_then(|s| s.strip_prefix('t'))
                    .and_then(|n| n.parse::<usize>().ok());
                let file = stack.map_or("?".into(), |i| templates[i].0.display().to_string());
                format!("{file}: {text}")
            })
            .collect();
        assert!(named.is_empty(), "false errors:\n{}", named.join("\n"));
    }
}
