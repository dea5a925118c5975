//! Fuzz-style property tests: random template documents (JSON and YAML) through `check` and
//! `diff --against`, and random construct trees through `synth`, never panic, end with a
//! known exit code, and never write on failure.

use std::collections::BTreeMap;
use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use stackforge::Io;
use stackforge_constructs::{
    App, ConditionRef, Environment, Error, Expr, RawResource, Reference, ResourceOptions, Scope,
    Stack, StackProps,
};

const IDS: [&str; 4] = ["A", "B", "C", "Nope"];
const TYPES: [&str; 5] = [
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::S3::Bucket",
    "Custom::Thing",
    "Queue",
];

/// Strings that mean something to the reader: ids, attributes, placeholders, types.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(IDS.to_vec()).prop_map(str::to_owned),
        prop::sample::select(vec![
            "A.Arn",
            "B.Nope",
            "${A}",
            "q-${Nope}",
            "${A.Arn}",
            "AWS::Region",
            "AWS::Nope",
            "",
            "aws:tag"
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z0-9 :/${}.-]{0,12}",
    ]
}

const KEYS: [&str; 16] = [
    "Ref",
    "Fn::GetAtt",
    "Fn::Sub",
    "Fn::If",
    "Fn::Join",
    "Fn::Select",
    "Fn::FindInMap",
    "Fn::Equals",
    "Condition",
    "Fn::Bogus",
    "Key",
    "Value",
    "QueueName",
    "Tags",
    "DelaySeconds",
    "Name",
];

/// Random JSON values with intrinsic-looking maps, a few levels deep.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS.to_vec()), inner), 0..3).prop_map(
                |kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            ),
        ]
    })
}

/// A template-shaped document: resources with random types, properties, `DependsOn` and
/// conditions, random outputs and conditions, sometimes a broken section.
fn document() -> impl Strategy<Value = Value> {
    let resource = (
        prop::sample::select(TYPES.to_vec()),
        prop::option::of(prop::collection::vec(
            (prop::sample::select(KEYS.to_vec()), value()),
            0..3,
        )),
        prop::option::of(prop::sample::select(IDS.to_vec())),
        prop::option::of(prop::sample::select(vec!["IsProd", "Nope"])),
    )
        .prop_map(|(ty, props, dep, cond)| {
            let mut r = Map::new();
            r.insert("Type".into(), json!(ty));
            if let Some(p) = props {
                r.insert(
                    "Properties".into(),
                    Value::Object(p.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
                );
            }
            if let Some(d) = dep {
                r.insert("DependsOn".into(), json!(d));
            }
            if let Some(c) = cond {
                r.insert("Condition".into(), json!(c));
            }
            Value::Object(r)
        });
    (
        prop::collection::btree_map(prop::sample::select(IDS.to_vec()), resource, 0..4),
        prop::option::of(value()),
        prop::option::of(value()),
        prop::option::of(value()),
    )
        .prop_map(|(resources, output, condition, extra)| {
            let mut doc = Map::new();
            doc.insert(
                "Resources".into(),
                Value::Object(
                    resources
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                ),
            );
            if let Some(o) = output {
                doc.insert("Outputs".into(), json!({"Out": {"Value": o}}));
            }
            if let Some(c) = condition {
                doc.insert("Conditions".into(), json!({ "IsProd": c }));
            }
            if let Some(e) = extra {
                doc.insert("Parameters".into(), json!({ "P": e }));
            }
            Value::Object(doc)
        })
}

fn snapshot(root: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for e in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                out.insert(p.clone(), None);
                todo.push(p);
            } else {
                out.insert(p.clone(), fs::read(&p).ok());
            }
        }
    }
    out
}

/// Runs the CLI in process; returns the exit code, or fails the property on a panic.
fn run<F>(args: &[String], app: F) -> Result<(u8, String), TestCaseError>
where
    F: Fn() -> Result<App, Error>,
{
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = catch_unwind(AssertUnwindSafe(|| {
        let mut io = Io {
            out: &mut out,
            err: &mut err,
        };
        // As the `stackforge` binary runs it: `new` writes the scaffold app.
        stackforge::run_with_new_app(
            std::iter::once("stackforge".to_owned()).chain(args.iter().cloned()),
            &app,
            Some(stackforge_scaffold_app::app),
            &mut io,
        )
    }))
    .map_err(|_| TestCaseError::fail(format!("panicked on {args:?}")))?;
    Ok((code, String::from_utf8_lossy(&err).into_owned()))
}

fn one_topic() -> Result<App, Error> {
    let mut app = App::new("fuzz");
    let mut stack = Stack::new(
        &app,
        &Environment::new("dev"),
        "main",
        StackProps::default(),
    )?;
    stack.root().add_raw(
        "A",
        RawResource::new("AWS::SQS::Queue"),
        ResourceOptions::default(),
    )?;
    app.add_stack(stack)?;
    Ok(app)
}

fn add_at(
    scope: &mut Scope<'_>,
    parts: &[&str],
    id: &str,
    raw: RawResource,
    options: ResourceOptions,
) -> Result<(), Error> {
    match parts.split_first() {
        None => scope.add_raw(id, raw, options).map(|_| ()),
        Some((first, rest)) => add_at(&mut scope.child(first)?, rest, id, raw, options),
    }
}

fn render(doc: &Value, yaml: bool) -> String {
    if yaml {
        serde_norway::to_string(doc).unwrap_or_default()
    } else {
        serde_json::to_string_pretty(doc).unwrap_or_default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_documents_through_check_and_diff_never_panic_or_write(doc in document(), yaml in any::<bool>()) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let name = if yaml { "main.template.yaml" } else { "main.template.json" };
        let file = root.join("tpl/dev").join(name);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, render(&doc, yaml)).unwrap();
        let before = snapshot(root);
        let (code, err) = run(&["check".into(), file.display().to_string()], one_topic)?;
        prop_assert!(code <= 2, "check exit {code}");
        prop_assert!(!err.contains("panicked"), "{err}");
        let against = root.join("tpl").display().to_string();
        let (code, err) = run(&["diff".into(), "--against".into(), against], one_topic)?;
        prop_assert!(code <= 2, "diff exit {code}: {err}");
        prop_assert_eq!(snapshot(root), before, "check or diff wrote into the folders");
    }

    #[test]
    fn random_construct_trees_synthesize_or_fail_without_writing(
        resources in prop::collection::vec((
            prop::sample::select(vec!["", "Child", "Child/Grand", "Other"]),
            prop::sample::select(IDS.to_vec()),
            prop::sample::select(TYPES.to_vec()),
            prop::collection::vec((prop::sample::select(KEYS.to_vec()), value()), 0..2),
            prop::option::of(prop::sample::select(IDS.to_vec())),
            any::<bool>(),
        ), 0..4),
        tags in prop::collection::vec((text(), text()), 0..3),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir_all(out.join("dev")).unwrap();
        fs::write(out.join("dev/notes.txt"), "kept").unwrap();
        let build = || -> Result<App, Error> {
            let mut app = App::new("fuzz");
            for (k, v) in &tags {
                app.add_tag(k, v);
            }
            let mut stack = Stack::new(&app, &Environment::new("dev"), "main", StackProps::default())?;
            stack.add_condition("IsProd", Expr::equals(Expr::stack_name(), "prod"))?;
            for (scope, id, ty, props, dep, conditional) in &resources {
                let mut raw = RawResource::new(ty);
                for (k, v) in props {
                    raw = raw.prop(k, v.clone());
                }
                let options = ResourceOptions {
                    depends_on: dep.iter().map(|d| Reference::local(d)).collect(),
                    condition: conditional.then(|| ConditionRef::local("IsProd")),
                    ..ResourceOptions::default()
                };
                let parts: Vec<&str> = scope.split('/').filter(|p| !p.is_empty()).collect();
                add_at(&mut stack.root(), &parts, id, raw, options)?;
            }
            app.add_stack(stack)?;
            Ok(app)
        };
        let before = snapshot(tmp.path());
        let args: Vec<String> = vec![
            "synth".into(), "--out".into(), out.display().to_string(),
            "--params".into(), tmp.path().join("params").display().to_string(),
        ];
        let (code, err) = run(&args, build)?;
        prop_assert!(code <= 2, "synth exit {code}");
        if code != 0 {
            prop_assert_eq!(snapshot(tmp.path()), before, "a failed synth wrote: {}", err);
        }
    }
}
