//! The round trip of `stackforge migrate`: every template of the vendored corpus that
//! stackforge supports, and the migration-api's committed templates, are migrated to Rust
//! modules of ONE generated crate (`target/migrate-roundtrip/`, built once into its own
//! target folder and reused while the generated code does not change), synthesized, and
//! compared with the original as templates: exactly with `--exact`, and up to
//! `migrate::ALLOWED_DIFFERENCES` without. Prints the count that round-trips.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use stackforge::migrate::{self, AppSpec};
use stackforge_constructs::document;

/// One template to migrate, and the app it goes into.
struct Case {
    source: PathBuf,
    text: String,
    app: &'static str,
    env: String,
    stack: String,
    module: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn template_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            template_files(&p, out);
        } else if p
            .extension()
            .is_some_and(|e| e == "json" || e == "yaml" || e == "yml")
        {
            out.push(p);
        }
    }
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut corpus = Vec::new();
    template_files(
        &root().join("tests/corpus/aws-cloudformation-templates"),
        &mut corpus,
    );
    for source in corpus {
        let stem = source.file_stem().unwrap().to_string_lossy().into_owned();
        let stack = migrate::stack_name(&stem);
        let mut module = format!("c_{}", migrate::module_name(&stack));
        let mut n = 2;
        while cases.iter().any(|c: &Case| c.module == module) {
            module = format!("c_{}_{n}", migrate::module_name(&stack));
            n += 1;
        }
        cases.push(Case {
            text: fs::read_to_string(&source).unwrap(),
            source,
            app: "corpus",
            env: "test".into(),
            stack,
            module,
        });
    }
    for env in ["dev", "prod"] {
        let mut files = Vec::new();
        template_files(&root().join("templates").join(env), &mut files);
        for source in files {
            let name = source.file_name().unwrap().to_string_lossy().into_owned();
            let Some(stack) = name.strip_suffix(".template.json") else {
                continue;
            };
            cases.push(Case {
                text: fs::read_to_string(&source).unwrap(),
                module: format!("{env}_{}", migrate::module_name(stack)),
                stack: stack.to_owned(),
                source,
                app: "migration-api",
                env: env.into(),
            });
        }
    }
    // The README's example template (its ```yaml block).
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("## Migrating an existing stack")
        .nth(1)
        .expect("README has the migration section");
    let start = section.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let len = section[start..].find("\n```").unwrap() + 1;
    cases.push(Case {
        source: root().join("README.md"),
        text: section[start..start + len].to_owned(),
        app: "shop",
        env: "dev".into(),
        stack: "queue".into(),
        module: "readme_queue".into(),
    });
    cases
}

/// Writes `text` to `path` unless it already holds it (so cargo sees nothing changed).
fn sync(path: &Path, text: &str) {
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
}

#[test]
fn migrated_templates_synthesize_back_to_the_originals() {
    let cases = cases();
    let mut migrated = Vec::new();
    let mut refused = Vec::new();
    for c in &cases {
        let text = &c.text;
        let label = c.source.strip_prefix(root()).unwrap().display().to_string();
        match migrate::migrate_template(&label, text, &c.stack, c.app, &c.env) {
            Ok(mut m) => {
                m.module = c.module.clone();
                migrated.push((c, m));
            }
            Err(e) => refused.push(e),
        }
    }
    for r in &refused {
        assert!(
            !r.reasons.is_empty(),
            "{}: refused without a reason",
            r.source
        );
    }

    // Two templates migrated together: the service imports two of the network's exports by
    // literal name (typed references) and one export nobody migrated (stays an import).
    let dir = root().join("tests/fixtures/migrate-cross-stack");
    let inputs: Vec<migrate::TemplateInput> = ["service", "network"]
        .iter()
        .map(|name| migrate::TemplateInput {
            source: format!("tests/fixtures/migrate-cross-stack/{name}.yaml"),
            text: fs::read_to_string(dir.join(format!("{name}.yaml"))).unwrap(),
            stack: format!("xstack-{name}"),
        })
        .collect();
    let (linked, linked_refused) = migrate::migrate_templates(&inputs, "xstack", "test");
    assert!(linked_refused.is_empty(), "{linked_refused:?}");
    let order: Vec<&str> = linked.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        order,
        ["xstack-network", "xstack-service"],
        "producer first"
    );
    assert!(linked[0].code.contains("pub struct Exports"));
    assert_eq!(linked[1].takes, ["xstack_network"]);
    assert!(linked[1]
        .code
        .contains("xstack_network_exports.vpc_id.clone()"));
    assert!(linked[1]
        .code
        .contains("xstack_network_exports.vpc_cidr.clone()"));
    assert!(
        linked[1]
            .code
            .contains("Expr::import_value(\"shared-Prefix\")"),
        "an export no migrated template declares stays an import:\n{}",
        linked[1].code
    );

    // The generated crate: support.rs as apps get it, one module per template, and a main
    // printing each synthesized template (with and without `--exact`) as a JSON line.
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("migrate-roundtrip");
    let krate = base.join("crate");
    let staging = base.join("staging");
    let _ = fs::remove_dir_all(&staging);
    let spec = AppSpec {
        name: "roundtrip".into(),
        env: "test".into(),
        exact: true,
        dependencies: format!(
            "stackforge-constructs = {{ path = {:?} }}",
            root().join("constructs").display().to_string()
        ),
    };
    let stacks: Vec<_> = migrated
        .iter()
        .map(|(_, m)| m.clone())
        .chain(linked.iter().cloned())
        .collect();
    let mut files: Vec<(PathBuf, String)> = migrate::app_files(&spec, &stacks)
        .into_iter()
        .filter(|(p, _)| {
            p == Path::new("Cargo.toml")
                || p == Path::new("src/support.rs")
                || p.starts_with("src") && !p.ends_with("lib.rs") && !p.ends_with("main.rs")
        })
        .collect();
    files.push(("src/main.rs".into(), main_rs(&migrated, &linked)));
    for (p, text) in &files {
        let path = staging.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    migrate::rustfmt(&staging, &files)
        .expect("the generated code is valid Rust that rustfmt formats");
    for (p, _) in &files {
        sync(
            &krate.join(p),
            &fs::read_to_string(staging.join(p)).unwrap(),
        );
    }
    let lock = fs::read_to_string(root().join("Cargo.lock")).unwrap();
    if !krate.join("Cargo.lock").exists() {
        sync(&krate.join("Cargo.lock"), &lock);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let build = Command::new(&cargo)
        .args(["build", "--quiet", "--offline", "--manifest-path"])
        .arg(krate.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", base.join("target"))
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "the generated crate builds:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let run = Command::new(base.join("target/debug/roundtrip"))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let results: BTreeMap<(String, bool), serde_json::Value> = String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                (
                    v["module"].as_str().unwrap().to_owned(),
                    v["exact"].as_bool().unwrap(),
                ),
                v,
            )
        })
        .collect();

    let mut failures = Vec::new();
    let mut round_trips = 0;
    let mut linked_round_trips = 0;
    for (c, m) in &migrated {
        let mut ok = true;
        for exact in [false, true] {
            let r = &results[&(m.module.clone(), exact)];
            let mode = if exact { "--exact" } else { "default" };
            let Some(body) = r["ok"].as_str() else {
                failures.push(format!(
                    "{} ({mode}): synth failed: {}",
                    m.source,
                    r["error"].as_str().unwrap_or_default()
                ));
                ok = false;
                continue;
            };
            let synthesized = document::parse(body).unwrap();
            let diff =
                migrate::compare(&m.template, &synthesized, exact, (c.app, &c.env, &c.stack));
            if !diff.is_empty() {
                failures.push(format!("{} ({mode}):\n  {}", m.source, diff.join("\n  ")));
                ok = false;
            }
        }
        if ok {
            round_trips += 1;
        }
    }
    for m in &linked {
        let mut ok = true;
        for exact in [false, true] {
            let r = &results[&(m.name.clone(), exact)];
            let Some(body) = r["ok"].as_str() else {
                failures.push(format!(
                    "{} (linked): synth failed: {}",
                    m.source,
                    r["error"].as_str().unwrap_or_default()
                ));
                ok = false;
                continue;
            };
            let synthesized = document::parse(body).unwrap();
            let diff = migrate::compare(
                &m.template,
                &synthesized,
                exact,
                ("xstack", "test", &m.name),
            );
            if !diff.is_empty() {
                failures.push(format!("{} (linked):\n  {}", m.source, diff.join("\n  ")));
                ok = false;
            }
        }
        if ok {
            linked_round_trips += 1;
        }
    }
    println!(
        "migrate round trip: {round_trips} of {} templates migrated and synthesized back exactly (with --exact) and up to stackforge's additions (without); {} of {} not migrated:",
        migrated.len(),
        refused.len(),
        cases.len()
    );
    for r in &refused {
        println!("  {r}");
    }
    println!(
        "migrate round trip: {linked_round_trips} of {} templates migrated together (typed cross-stack references) synthesized back exactly",
        linked.len()
    );
    let typed: usize = migrated.iter().map(|(_, m)| m.typed).sum();
    let raw: usize = migrated.iter().map(|(_, m)| m.raw).sum();
    let features: std::collections::BTreeSet<&String> =
        migrated.iter().flat_map(|(_, m)| &m.features).collect();
    println!(
        "migrate round trip: {typed} resources typed (catalog structs, {} resource types), {raw} raw",
        features.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} migrated templates do not round-trip:\n{}",
        failures.len(),
        migrated.len(),
        failures.join("\n")
    );
}

fn main_rs(
    migrated: &[(&Case, migrate::MigratedStack)],
    linked: &[migrate::MigratedStack],
) -> String {
    let mut out = String::from(
        "//! Synthesizes every migrated template, with and without `ExactTemplates`.\n\n#[allow(dead_code)]\nmod support;\n",
    );
    for m in migrated.iter().map(|(_, m)| m).chain(linked) {
        out.push_str(&format!("mod {};\n", m.module));
    }
    out.push_str(
        "\nuse stackforge_constructs::{App, Environment, Error, OutputFormat, Stack};\n\ntype Build = fn(&App, &Environment) -> Result<Stack, Error>;\n\n/// Module, app, environment, stack, builder, resources `ExactTemplates` leaves alone.\ntype Case = (&'static str, &'static str, &'static str, &'static str, Build, &'static [&'static str]);\n\nconst CASES: &[Case] = &[\n",
    );
    for (c, m) in migrated {
        let leave: Vec<String> = m
            .already_stackforge
            .iter()
            .map(|i| format!("{i:?}"))
            .collect();
        out.push_str(&format!(
            "({:?}, {:?}, {:?}, {:?}, {}::stack, &[{}]),\n",
            m.module,
            c.app,
            c.env,
            c.stack,
            m.module,
            leave.join(", ")
        ));
    }
    out.push_str(
        r#"];

fn synth(app: &str, env: &str, stack: &str, build: Build, leave: &[&str], exact: bool) -> Result<String, Error> {
    let mut app = App::new(app);
    if exact {
        app.add_aspect(support::ExactTemplates::new(app.name()).leave(stack, leave));
    }
    let env = Environment::new(env);
    let stack = build(&app, &env)?;
    app.add_stack(stack)?;
    let assembly = app.synth()?;
    Ok(assembly.environments[0].stacks[0].render(OutputFormat::Json))
}

fn main() {
    for exact in [false, true] {
        match linked(exact) {
            Ok(stacks) => {
                for (stack, body) in stacks {
                    println!("{}", serde_json::json!({"module": stack, "exact": exact, "ok": body}));
                }
            }
            Err(e) => println!("{}", serde_json::json!({"module": "linked", "exact": exact, "error": e.to_string()})),
        }
    }
    for (module, app, env, stack, build, leave) in CASES {
        for exact in [false, true] {
            let line = match synth(app, env, stack, *build, leave, exact) {
                Ok(body) => serde_json::json!({"module": module, "exact": exact, "ok": body}),
                Err(e) => serde_json::json!({"module": module, "exact": exact, "error": e.to_string()}),
            };
            println!("{line}");
        }
    }
}
"#,
    );
    out.push_str(&format!(
        "\n/// The stacks migrated together, synthesized in one app: (stack, template).\nfn linked(exact: bool) -> Result<Vec<(String, String)>, Error> {{\nlet mut app = App::new(\"xstack\");\nif exact {{\napp.add_aspect(support::ExactTemplates::new(app.name()));\n}}\nlet env = Environment::new(\"test\");\n{}let assembly = app.synth()?;\nOk(assembly.environments[0].stacks.iter().map(|s| (s.name.clone(), s.render(OutputFormat::Json))).collect())\n}}\n",
        migrate::build_stacks(linked)
    ));
    out
}
