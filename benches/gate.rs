//! How long the policy gate takes: (a) a realistic stack of ~40 resources, (b) 20,000
//! resources (100 stacks x 200 resources of mixed types, one environment).
//!
//! `cargo bench --bench gate` (release profile). `STACKFORGE_POLICY_THREADS=1` measures one
//! thread.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use stackforge::policy::{self, RuleSet, Scope, Source, Template};

/// The allocator of the `stackforge` binary, so the figures are what it pays.
#[global_allocator]
static ALLOCATOR: stackforge::Allocator = stackforge::Allocator;

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/policy/app/secure.template.json");
    let secure: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let rules = RuleSet::builtin();
    let threads = std::env::var(policy::THREADS_ENV).unwrap_or_else(|_| "default".into());
    println!(
        "policy gate: {} rules, threads: {threads}",
        rules.rule_count()
    );

    // `cargo bench --bench gate -- a` runs only (a), `-- b` only (b).
    let only: Option<String> = std::env::args().skip(1).find(|a| a == "a" || a == "b");
    let wants = |part: &str| only.as_deref().is_none_or(|o| o == part);

    // (a) One realistic stack.
    if wants("a") {
        bench_one(&secure, &rules);
    }
    if wants("b") {
        bench_big(&secure, &rules);
    }
}

fn bench_one(secure: &Value, rules: &RuleSet) {
    let one = vec![scope("dev", vec![("app".into(), secure.clone())])];
    let resources = count(&one);
    let _ = policy::evaluate(&one, rules).unwrap();
    let times: Vec<Duration> = (0..20)
        .map(|_| time(|| policy::evaluate(&one, rules)))
        .collect();
    println!(
        "(a) 1 stack, {resources} resources: median {:.1} ms, min {:.1} ms (20 runs)",
        ms(median(times.clone())),
        ms(*times.iter().min().unwrap())
    );
}

fn bench_big(secure: &Value, rules: &RuleSet) {
    // (b) 100 stacks x 200 resources: the secure stack five times (renamed), plus ten log
    // groups, with one insecure bucket in every tenth stack.
    let stacks: Vec<(String, Value)> = (0..100)
        .map(|i| (format!("stack{i}"), big_stack(secure, i)))
        .collect();
    let big = vec![scope("prod", stacks)];
    let resources = count(&big);
    let mut report = None;
    let times: Vec<Duration> = (0..3)
        .map(|_| {
            let start = Instant::now();
            report = Some(policy::evaluate(&big, rules).unwrap());
            start.elapsed()
        })
        .collect();
    let report = report.unwrap();
    println!(
        "(b) 100 stacks, {resources} resources: median {:.2} s, min {:.2} s (3 runs); {} violations",
        ms(median(times.clone())) / 1000.0,
        ms(*times.iter().min().unwrap()) / 1000.0,
        report.violations.len()
    );
}

fn time<T>(f: impl FnOnce() -> T) -> Duration {
    let start = Instant::now();
    std::hint::black_box(f());
    start.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn count(scopes: &[Scope]) -> usize {
    scopes
        .iter()
        .flat_map(|s| &s.templates)
        .map(|t| t.body.resources.len())
        .sum()
}

fn scope(env: &str, stacks: Vec<(String, Value)>) -> Scope {
    Scope {
        label: env.into(),
        folder: None,
        templates: stacks
            .into_iter()
            .map(|(name, body)| Template {
                source: Source {
                    label: format!("{env}/{name}"),
                    stack_name: Some(format!("bench-{env}-{name}")),
                    file: None,
                },
                body: stackforge_constructs::document::from_json(&body)
                    .expect("the bench builds valid templates"),
            })
            .collect(),
    }
}

fn big_stack(secure: &Value, i: usize) -> Value {
    let mut resources = Map::new();
    for copy in 0..5 {
        let suffix = format!("C{copy}");
        let renamed = rename(secure, &suffix);
        for (id, r) in renamed["Resources"].as_object().unwrap() {
            resources.insert(id.clone(), r.clone());
        }
    }
    let mut n = 0;
    while resources.len() < 200 {
        let id = format!("ExtraLogs{n}");
        let r = serde_json::json!({"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30, "KmsKeyId": {"Fn::GetAtt": ["KeyC0", "Arn"]}}, "Metadata": {"stackforge:path": format!("stack{i}/{id}/Resource")}});
        resources.insert(id, r);
        n += 1;
    }
    if i % 10 == 0 {
        resources.insert(
            "OpenBucketC0".into(),
            serde_json::json!({"Type": "AWS::S3::Bucket", "Properties": {}}),
        );
        resources.shift_remove("ExtraLogs0");
    }
    let mut t = Map::new();
    t.insert("Resources".into(), Value::Object(resources));
    Value::Object(t)
}

/// The template with every logical ID (and every reference to one) suffixed.
fn rename(template: &Value, suffix: &str) -> Value {
    let ids: Vec<String> = template["Resources"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let fix = |s: &str| {
        if ids.iter().any(|i| i == s) {
            format!("{s}{suffix}")
        } else {
            s.to_owned()
        }
    };
    fn walk(v: &Value, fix: &dyn Fn(&str) -> String, ids: &[String], suffix: &str) -> Value {
        match v {
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, x) in m {
                    let x = match (k.as_str(), x) {
                        ("Ref", Value::String(s)) => Value::String(fix(s)),
                        ("Fn::GetAtt", Value::Array(a)) if !a.is_empty() => {
                            let mut a = a.clone();
                            a[0] = Value::String(fix(a[0].as_str().unwrap_or_default()));
                            Value::Array(a)
                        }
                        ("Fn::Sub", Value::String(s)) => {
                            let mut s = s.clone();
                            for id in ids {
                                s = s
                                    .replace(&format!("${{{id}}}"), &format!("${{{id}{suffix}}}"))
                                    .replace(&format!("${{{id}."), &format!("${{{id}{suffix}."));
                            }
                            Value::String(s)
                        }
                        ("DependsOn", Value::Array(a)) => Value::Array(
                            a.iter()
                                .map(|d| Value::String(fix(d.as_str().unwrap_or_default())))
                                .collect(),
                        ),
                        _ => walk(x, fix, ids, suffix),
                    };
                    out.insert(k.clone(), x);
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(|x| walk(x, fix, ids, suffix)).collect()),
            other => other.clone(),
        }
    }
    let mut out = walk(template, &fix, &ids, suffix);
    let resources = out["Resources"].as_object().unwrap().clone();
    out["Resources"] = Value::Object(resources.into_iter().map(|(k, v)| (fix(&k), v)).collect());
    out
}
