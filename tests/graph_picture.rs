//! The construct-level picture of the migration-api (`graph --level constructs`, the
//! default): the links it must show, DOT and Mermaid snapshots, the HTML page (self-contained,
//! byte-deterministic), `--diff` against a committed folder where the database is replaced,
//! and the page in headless Chromium (DOM after the scripts ran, search, diff colours, a
//! screenshot under `target/`).
//!
//! The test command sets `STACKFORGE_REQUIRE_CHROMIUM=1` (and installs Debian's `chromium`)
//! so a missing browser fails there instead of being skipped.

mod common;

use std::path::Path;

use common::browser::{chromium, dom_nodes, headless};
use common::run_cli;
use stackforge::graph::architecture::{architecture, sources};
use stackforge::graph::{Architecture, LinkKind};

/// `stackforge graph ARGS...` on the migration-api; its standard output.
fn graph(args: &[&str]) -> String {
    let mut all = vec!["graph"];
    all.extend_from_slice(args);
    let r = run_cli(stackforge_stacks::app, &all);
    assert_eq!(r.code, 0, "graph {}: {}", args.join(" "), r.err);
    r.out
}

/// The construct-level model of the migration-api's prod environment.
fn prod_model() -> Architecture {
    let assembly = stackforge_stacks::app().unwrap().synth().unwrap();
    let env = assembly.environment("prod").unwrap();
    architecture("migration-api / prod".to_owned(), &sources(env))
}

/// The model embedded in an HTML page.
fn page_model(html: &str) -> serde_json::Value {
    let start = html
        .find(r#"<script type="application/json" id="model">"#)
        .unwrap();
    let rest = &html[start..];
    let body = &rest[rest.find('>').unwrap() + 1..rest.find("</script>").unwrap()];
    serde_json::from_str(body).unwrap()
}

/// The node of `model` (JSON) at construct path `path`.
fn page_node<'m>(model: &'m serde_json::Value, path: &str) -> &'m serde_json::Value {
    model["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["path"] == path)
        .unwrap_or_else(|| panic!("no node {path}"))
}

#[test]
fn one_node_per_construct_the_app_wrote_grouped_by_stack() {
    let m = prod_model();
    let constructs: Vec<(String, String)> = m
        .nodes
        .iter()
        .filter(|n| n.stack.is_some())
        .map(|n| (n.path.clone().unwrap(), n.kind.clone()))
        .collect();
    let want = [
        ("network/Vpc", "Vpc"),
        ("data/Database", "RdsEncrypted"),
        ("data/UserSetup", "DatabaseUserSetup"),
        ("data/ApiKeys", "Secret"),
        ("registry/Api/Repository", "Repository"),
        ("service/Api", "LoadBalancedFargateService"),
        ("monitoring/Alarms", "AlarmSet"),
        // A raw resource the stack adds itself is shown with its type.
        ("monitoring/ImageScanFindings", "AWS::Events::Rule"),
        ("monitoring/Dashboard", "Dashboard"),
        ("audit/Trail", "Trail"),
        ("audit/Backup", "BackupPlan"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(p, k)| ((*p).to_owned(), (*k).to_owned()))
        .collect();
    assert_eq!(constructs, want);
    let assembly = stackforge_stacks::app().unwrap().synth().unwrap();
    let env = assembly.environment("prod").unwrap();
    // Every resource is in exactly one node, or is a rule or grant a link was read from:
    // nothing is lost by folding.
    for (si, s) in env.stacks.iter().enumerate() {
        for id in s.template().resources.keys() {
            let holders = m
                .nodes
                .iter()
                .filter(|n| n.stack == Some(si) && n.resources.iter().any(|r| &r.logical_id == id))
                .count();
            let drawn = m.links.iter().any(|l| {
                l.sources
                    .iter()
                    .any(|src| src.stack == si && &src.logical_id == id)
            });
            assert!(
                holders == 1 || (holders == 0 && drawn),
                "{}/{id} is in {holders} nodes (drawn as a link: {drawn})",
                s.name
            );
        }
    }
}

#[test]
fn links_explain_traffic_data_access_and_alerting() {
    let m = prod_model();
    let labels = |from: &str, to: &str, kind: LinkKind| -> Vec<String> {
        m.link_labels(from, to, kind)
            .unwrap_or_else(|| panic!("no {kind:?} link {from} -> {to}"))
            .to_vec()
    };
    let cases: [(&str, &str, LinkKind, &[&str]); 6] = [
        (
            "Internet",
            "service/Api",
            LinkKind::Traffic,
            &["tcp/443", "tcp/80", "through WAF"],
        ),
        (
            "service/Api",
            "data/Database",
            LinkKind::Traffic,
            &["tcp/5432"],
        ),
        (
            "service/Api",
            "data/ApiKeys",
            LinkKind::DataAccess,
            &["reads secret", "decrypts"],
        ),
        (
            "audit/Backup",
            "data/Database",
            LinkKind::DataAccess,
            &["backs up"],
        ),
        (
            "data/Database",
            "monitoring/Alarms",
            LinkKind::Alerting,
            &["3 alarms"],
        ),
        (
            "monitoring/Alarms",
            "AlertEmail",
            LinkKind::Alerting,
            &["email"],
        ),
    ];
    for (from, to, kind, want) in cases {
        assert_eq!(labels(from, to, kind), want, "{from} -> {to}");
    }
    // Stack dependencies are the grouping, not edges: no link is a bare import.
    assert!(m
        .links
        .iter()
        .all(|l| !l.labels.is_empty() || l.kind == LinkKind::Uses));
}

#[test]
fn construct_level_is_the_default() {
    assert_eq!(
        graph(&["--env", "prod"]),
        graph(&["--env", "prod", "--level", "constructs"])
    );
}

#[test]
fn html_page_is_self_contained_and_deterministic() {
    let a = graph(&["--env", "prod", "--format", "html"]);
    let b = graph(&["--env", "prod", "--format", "html"]);
    assert_eq!(a, b);
    assert!(a.starts_with("<!DOCTYPE html>"));
    // No network: nothing loaded from elsewhere (the SVG namespace is a name, not a fetch).
    let without_ns = a.replace("http://www.w3.org/2000/svg", "");
    for needle in ["http://", "https://", " src=", "<link", "@import"] {
        assert!(!without_ns.contains(needle), "the page holds {needle:?}");
    }
    let model = page_model(&a);
    assert_eq!(model["title"], "migration-api / prod");
    let api = page_node(&model, "service/Api");
    assert_eq!(api["kind"], "LoadBalancedFargateService");
    assert!(api["resources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["type"] == "AWS::ECS::Service"
            && r["logical_id"].as_str().unwrap().starts_with("Api")));
    assert!(model["compared"].is_null());
}

#[test]
fn html_refuses_other_levels_and_stack_selection() {
    for args in [
        vec!["graph", "--format", "html", "--level", "resources"],
        vec!["graph", "--diff", "--level", "stacks"],
        vec!["graph", "--format", "html", "--stack", "data"],
    ] {
        let r = run_cli(stackforge_stacks::app, &args);
        assert_eq!(r.code, 2, "{}", args.join(" "));
        assert!(r.err.contains("Fix:"), "{}", r.err);
    }
}

/// A copy of the committed prod templates in which the database has another master user
/// name (a create-only property): against it, the app replaces the database.
fn folder_replacing_the_database() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("prod");
    std::fs::create_dir(&env).unwrap();
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/prod");
    for f in std::fs::read_dir(&committed).unwrap() {
        let f = f.unwrap().path();
        let mut text = std::fs::read_to_string(&f).unwrap();
        if f.file_name().unwrap() == "data.template.json" {
            assert!(text.contains(r#""MasterUsername": "app_admin""#));
            text = text.replace(
                r#""MasterUsername": "app_admin""#,
                r#""MasterUsername": "old_admin""#,
            );
        }
        std::fs::write(env.join(f.file_name().unwrap()), text).unwrap();
    }
    tmp
}

/// A copy of the committed prod templates in which the backup selection also named the
/// API keys secret: against it, the app stops backing it up (a link the change removes).
fn folder_with_a_backup_the_app_removes() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("prod");
    std::fs::create_dir(&env).unwrap();
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/prod");
    for f in std::fs::read_dir(&committed).unwrap() {
        let f = f.unwrap().path();
        let mut text = std::fs::read_to_string(&f).unwrap();
        if f.file_name().unwrap() == "audit.template.json" {
            let mut t: serde_json::Value = serde_json::from_str(&text).unwrap();
            let selection = t["Resources"]
                .as_object_mut()
                .unwrap()
                .values_mut()
                .find(|r| r["Type"] == "AWS::Backup::BackupSelection")
                .unwrap();
            selection["Properties"]["BackupSelection"]["Resources"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::json!({"Fn::ImportValue": "migration-api-prod-data:ApiKeys3BB3983D"}));
            text = serde_json::to_string_pretty(&t).unwrap();
        }
        std::fs::write(env.join(f.file_name().unwrap()), text).unwrap();
    }
    tmp
}

#[test]
fn diff_draws_the_links_a_change_removes() {
    let folder = folder_with_a_backup_the_app_removes();
    let dir = folder.path().to_str().unwrap();
    let args = |format: &'static str| {
        [
            "--env",
            "prod",
            "--format",
            format,
            "--diff",
            "--against",
            dir,
        ]
    };
    let page = graph(&args("html"));
    assert_eq!(
        page,
        graph(&args("html")),
        "the diff page is not deterministic"
    );
    let model = page_model(&page);
    let node = |path: &str| {
        model["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .position(|n| n["path"] == path)
            .unwrap()
    };
    let (backup, keys, db) = (
        node("audit/Backup"),
        node("data/ApiKeys"),
        node("data/Database"),
    );
    let links = model["links"].as_array().unwrap();
    let removed: Vec<&serde_json::Value> =
        links.iter().filter(|l| l["status"] == "removed").collect();
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert_eq!(removed[0]["from"], backup);
    assert_eq!(removed[0]["to"], keys);
    assert_eq!(removed[0]["kind"], "data_access");
    assert_eq!(removed[0]["labels"], serde_json::json!(["backs up"]));
    // The backup of the database stays, unmarked; nothing is added.
    assert!(links
        .iter()
        .any(|l| l["from"] == backup && l["to"] == db && l["status"].is_null()));
    assert!(links.iter().all(|l| l["status"] != "added"));

    let dot = graph(&args("dot"));
    let edge = dot
        .lines()
        .find(|l| {
            l.trim_start()
                .starts_with("n_audit__Backup -> n_data__ApiKeys ")
        })
        .unwrap_or_else(|| panic!("no removed edge in\n{dot}"));
    assert!(edge.ends_with(r##"color="#e53e3e", fontcolor="#e53e3e", style=dashed, penwidth=2, label="backs up"];"##), "{edge}");
    assert!(dot.contains("removed by the change"));
    let mermaid = graph(&args("mermaid"));
    assert!(mermaid.contains("legend_removed_a"), "{mermaid}");
    assert!(mermaid.contains("stroke:#e53e3e,stroke-width:2px,stroke-dasharray:8 4"));
    let svg = graph(&args("svg"));
    let line = svg
        .lines()
        .find(|l| l.contains(&format!(r#"data-from="{backup}" data-to="{keys}""#)))
        .unwrap_or_else(|| panic!("no removed link in\n{svg}"));
    assert!(
        line.contains(r##"stroke="#e53e3e""##) && line.contains(r#"stroke-dasharray="8 4""#),
        "{line}"
    );
    assert!(svg.contains("removed by the change"));
}

#[test]
fn diff_marks_the_replaced_database_and_what_it_affects() {
    let folder = folder_replacing_the_database();
    let dir = folder.path().to_str().unwrap();
    let html = graph(&[
        "--env",
        "prod",
        "--format",
        "html",
        "--diff",
        "--against",
        dir,
    ]);
    let model = page_model(&html);
    assert_eq!(model["compared"], dir);
    let db = page_node(&model, "data/Database");
    assert_eq!(db["status"], "replaced");
    let instance = db["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "AWS::RDS::DBInstance")
        .unwrap();
    assert_eq!(instance["status"], "replaced");
    let facts = instance["changes"].to_string();
    assert!(
        facts.contains("MasterUsername") && facts.contains("old_admin"),
        "{facts}"
    );
    // The blast radius, as `diff` says it: the task definition holds the endpoint in a
    // create-only property (replaced too); the alarms watch the instance (affected).
    let api = page_node(&model, "service/Api");
    assert_eq!(api["status"], "replaced");
    let task = api["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "AWS::ECS::TaskDefinition")
        .unwrap();
    assert!(
        task["notes"]
            .to_string()
            .contains("because it uses data/Database"),
        "{task}"
    );
    assert_eq!(page_node(&model, "monitoring/Alarms")["status"], "affected");
    // Unchanged constructs stay uncoloured.
    assert!(page_node(&model, "network/Vpc")["status"].is_null());
    let data = model["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "data")
        .unwrap();
    assert_eq!(data["change"]["status"], "changed");
    assert!(data["change"]["summary"]
        .as_str()
        .unwrap()
        .contains("2 to replace"));
    // The database and the task that creates its users (its task definition names the endpoint).
    assert_eq!(page_node(&model, "data/UserSetup")["status"], "replaced");

    // DOT carries the same colours and a legend entry.
    let dot = graph(&["--env", "prod", "--diff", "--against", dir]);
    assert!(dot.contains(r##"n_data__Database [label="Database\nRdsEncrypted", style="rounded,filled", fillcolor="#fed7d7""##), "{dot}");
    assert!(dot.contains(">replaced</td>"));
}

#[test]
fn diff_against_the_committed_templates_colours_nothing() {
    let html = graph(&["--env", "prod", "--format", "html", "--diff"]);
    let model = page_model(&html);
    assert_eq!(model["compared"], "templates");
    for n in model["nodes"].as_array().unwrap() {
        assert!(n["status"].is_null(), "{} is {}", n["path"], n["status"]);
    }
}

#[test]
fn snapshots_with_a_replaced_database() {
    let folder = folder_replacing_the_database();
    let dir = folder.path().to_str().unwrap();
    let dot = graph(&["--env", "prod", "--diff", "--against", dir]);
    insta::assert_snapshot!("migration_api_prod_diff_dot", dot);
}

// ---- headless Chromium ----

#[test]
fn the_page_in_a_real_browser() {
    let Some(browser) = chromium() else {
        let required = std::env::var("STACKFORGE_REQUIRE_CHROMIUM").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "Chromium is not installed (apt-get install -y chromium)"
        );
        eprintln!("skipped: Chromium is not installed (apt-get install -y chromium)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("profile");
    let page = tmp.path().join("migration-api.html");
    std::fs::write(&page, graph(&["--env", "prod", "--format", "html"])).unwrap();
    let url = format!("file://{}", page.display());

    // The DOM after the scripts ran: one drawn node per construct and external, and the
    // search given in the URL found the database.
    let dom = headless(
        &browser,
        &profile,
        &format!("{url}#search=rdsencrypted"),
        &["--dump-dom"],
    );
    assert!(
        dom.contains(r#"data-ready="true""#),
        "the page script did not finish"
    );
    let nodes = dom_nodes(&dom);
    assert_eq!(nodes.len(), prod_model().nodes.len());
    // As drawn: every link is routed around the nodes, none through one.
    let (boxes, paths) = common::picture::from_dom(&dom);
    assert_eq!(boxes.len(), nodes.len());
    assert_eq!(paths.len(), prod_model().links.len());
    let found = common::picture::crossings(&boxes, &paths);
    assert!(found.is_empty(), "{}", found.join("\n"));
    for path in [
        "network/Vpc",
        "data/Database",
        "service/Api",
        "audit/Backup",
    ] {
        assert!(
            dom.contains(&format!(r#"data-path="{path}""#)),
            "no node {path}"
        );
    }
    let matched: Vec<&&str> = nodes
        .iter()
        .filter(|n| n.starts_with("construct match"))
        .collect();
    assert_eq!(matched.len(), 1, "{matched:?}");
    assert!(matched[0].contains(r#"data-path="data/Database""#));
    assert!(dom.contains("1 found"));

    // The side panel of a node opened from the URL lists its resources with logical IDs.
    let dom = headless(
        &browser,
        &profile,
        &format!("{url}#node=data/Database"),
        &["--dump-dom"],
    );
    assert!(dom.contains(r#"data-node="data/Database""#));
    assert!(dom.contains("AWS::RDS::DBInstance"));

    // A diff page marks the replaced database as replaced.
    let folder = folder_replacing_the_database();
    let diff_page = tmp.path().join("diff.html");
    let dir = folder.path().to_str().unwrap();
    std::fs::write(
        &diff_page,
        graph(&[
            "--env",
            "prod",
            "--format",
            "html",
            "--diff",
            "--against",
            dir,
        ]),
    )
    .unwrap();
    let dom = headless(
        &browser,
        &profile,
        &format!("file://{}", diff_page.display()),
        &["--dump-dom"],
    );
    let db = dom_nodes(&dom)
        .into_iter()
        .find(|n| n.contains(r#"data-path="data/Database""#))
        .unwrap();
    assert!(db.contains(r#"data-status="replaced""#), "{db}");
    assert!(dom.contains("may be replaced") || dom.contains(">replaced<"));

    // A link the change removes is drawn, marked removed, with a legend line.
    let folder = folder_with_a_backup_the_app_removes();
    let removed_page = tmp.path().join("removed.html");
    let dir = folder.path().to_str().unwrap();
    let args = [
        "--env",
        "prod",
        "--format",
        "html",
        "--diff",
        "--against",
        dir,
    ];
    std::fs::write(&removed_page, graph(&args)).unwrap();
    let dom = headless(
        &browser,
        &profile,
        &format!("file://{}", removed_page.display()),
        &["--dump-dom"],
    );
    let removed: Vec<&str> = dom
        .split("<g class=\"link\"")
        .skip(1)
        .filter(|g| g[..g.find('>').unwrap()].contains(r#"data-status="removed""#))
        .collect();
    assert_eq!(removed.len(), 1);
    assert!(
        removed[0].contains(r##"stroke="#e53e3e""##),
        "{}",
        removed[0]
    );
    assert!(dom.contains("removed by the change"));

    // The README's pictures load as SVG (no XML error).
    for svg in [
        "docs/architecture.svg",
        "examples/orders/docs/architecture.svg",
    ] {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(svg);
        let dom = headless(
            &browser,
            &profile,
            &format!("file://{}", file.display()),
            &["--dump-dom"],
        );
        assert!(
            dom.contains("<svg") && !dom.contains("parsererror"),
            "{svg}: {dom}"
        );
    }

    // Screenshots under target/: a page that drew nothing compresses to a few kilobytes.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("graph-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    for (name, page) in [
        ("migration-api.png", &page),
        ("migration-api-diff.png", &diff_page),
    ] {
        let shot = shots.join(name);
        let _ = std::fs::remove_file(&shot);
        headless(
            &browser,
            &profile,
            &format!("file://{}#node=data/Database", page.display()),
            &[&format!("--screenshot={}", shot.display())],
        );
        let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
        assert!(size > 40_000, "{} is {size} bytes: blank?", shot.display());
    }
}
