//! Refactor and export safety in `synth` (and how `diff` shows it): logical-ID changes
//! against the committed templates are refused unless overridden or accepted; exports still
//! imported by committed templates are kept for one more deploy.

mod common;

use common::{run_cli, Run};
use std::fs;
use std::path::Path;

use serde_json::{json, Value};
use stackforge::AppFactory;
use stackforge_constructs::{
    App, Environment, Error, Expr, RawResource, ResourceOptions, Stack, StackProps,
};

/// What differs between the versions of the test app.
#[derive(Clone, Copy, Default)]
struct V {
    /// `network/Logs` has the ID `LegacyLogs` (an override kept from a migration).
    legacy_id: bool,
    /// Accept replacing `network/Logs`.
    allow_logs: bool,
    /// `Logs` moved into a `Monitoring` scope.
    moved: bool,
    /// Keep the moved `Logs` at its old logical ID.
    moved_override: bool,
    /// Accept replacing the moved `Logs`.
    moved_allow: bool,
    /// `service` no longer imports the topic name.
    no_import: bool,
    /// `network` no longer has the topic.
    no_topic: bool,
}

/// `dev`: `network` (log group, topic) and `service` (a queue named after the topic).
fn build(v: V) -> Result<App, Error> {
    let mut app = App::new("shop");
    let env = Environment::new("dev");
    let mut network = Stack::new(&app, &env, "network", StackProps::default())?;
    if v.legacy_id {
        network.override_logical_id("network/Logs", "LegacyLogs")?;
    }
    if v.allow_logs {
        network.allow_replacement("network/Logs", "a fresh log group is fine")?;
    }
    if v.moved_override {
        network.override_logical_id("network/Monitoring/Logs", "Logs")?;
    }
    if v.moved_allow {
        network.allow_replacement("network/Monitoring/Logs", "logs may start over")?;
    }
    // Encrypted, so the policy gate that runs after the safety checks passes.
    let logs = RawResource::new("AWS::Logs::LogGroup")
        .prop("RetentionInDays", 30)
        .prop(
            "KmsKeyId",
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        );
    if v.moved {
        let mut root = network.root();
        let mut monitoring = root.child("Monitoring")?;
        monitoring.add_raw("Logs", logs, ResourceOptions::default())?;
    } else {
        network
            .root()
            .add_raw("Logs", logs, ResourceOptions::default())?;
    }
    let topic = if v.no_topic {
        None
    } else {
        Some(
            network.root().add_raw(
                "Alerts",
                RawResource::new("AWS::SNS::Topic")
                    .prop("DisplayName", "alerts")
                    .prop("KmsMasterKeyId", "alias/aws/sns"),
                ResourceOptions::default(),
            )?,
        )
    };
    let mut service = Stack::new(&app, &env, "service", StackProps::default())?;
    let name = match (&topic, v.no_import) {
        (Some(t), false) => Expr::concat([t.get_att("TopicName"), Expr::str("-q")]),
        _ => Expr::str("q"),
    };
    let reason = "a placeholder queue that only carries a cross-stack reference";
    service.root().suppress("SQS_TLS_ONLY", reason)?;
    service.root().suppress("SQS_DEAD_LETTER_QUEUE", reason)?;
    service.root().add_raw(
        "Queue",
        RawResource::new("AWS::SQS::Queue")
            .prop("QueueName", name)
            .prop("KmsMasterKeyId", "alias/aws/sqs"),
        ResourceOptions::default(),
    )?;
    app.add_stack(network)?;
    app.add_stack(service)?;
    Ok(app)
}

macro_rules! version {
    ($name:ident, $($field:ident),*) => {
        fn $name() -> Result<App, Error> {
            build(V { $($field: true,)* ..V::default() })
        }
    };
}
version!(v1,);
version!(legacy_id, legacy_id);
version!(allow_logs, allow_logs);
version!(moved, moved);
version!(moved_override, moved, moved_override);
version!(moved_allow, moved, moved_allow);
version!(no_import, no_import);
version!(no_import_no_topic, no_import, no_topic);

fn run(factory: AppFactory, args: &[&str]) -> Run {
    run_cli(factory, args)
}

fn synth(factory: AppFactory, out: &Path) -> Run {
    run(factory, &["synth", "--out", out.to_str().unwrap()])
}

fn template(out: &Path, stack: &str) -> Value {
    let path = out.join("dev").join(format!("{stack}.template.json"));
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn ids(t: &Value) -> Vec<String> {
    t["Resources"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn a_new_logical_id_for_a_committed_path_is_refused_with_both_fixes() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(synth(legacy_id, dir.path()).code, 0);
    let before = fs::read(dir.path().join("dev/network.template.json")).unwrap();

    let r = synth(v1, dir.path());
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(
        r.err.contains("refactor safety: this synth would replace 1 resource(s)")
            && r.err.contains("dev: `network/Logs` has logical ID `LegacyLogs` in the committed template of `network` and `Logs` now")
            && r.err.contains("      network/LegacyLogs -> network/Logs  AWS::Logs::LogGroup  network/Logs\n")
            && r.err.contains("        stack.override_logical_id(\"network/Logs\", \"LegacyLogs\")?;\n")
            && r.err.contains("        stack.allow_replacement(\"network/Logs\", \"<reason>\")?;"),
        "{}",
        r.err
    );
    assert!(
        !r.err.contains("declare_move"),
        "a logical-ID change without a path change has no refactor to declare: {}",
        r.err
    );
    assert_eq!(
        fs::read(dir.path().join("dev/network.template.json")).unwrap(),
        before,
        "a refused synth writes nothing"
    );
    let r = run(
        v1,
        &["synth", "--check", "--out", dir.path().to_str().unwrap()],
    );
    assert_eq!(r.code, 1, "--check refuses too: {}", r.err);

    // Stacks not selected are not checked; a folder without templates has nothing to compare.
    let r = run(
        v1,
        &[
            "synth",
            "--stack",
            "service",
            "--out",
            dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let fresh = tempfile::tempdir().unwrap();
    assert_eq!(synth(v1, fresh.path()).code, 0);

    // Fix 1: keep the ID.
    let r = synth(legacy_id, dir.path());
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(ids(&template(dir.path(), "network")).contains(&"LegacyLogs".to_owned()));

    // Fix 2: accept the replacement.
    let r = synth(allow_logs, dir.path());
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(ids(&template(dir.path(), "network")).contains(&"Logs".to_owned()));
    let assembly = allow_logs().unwrap().synth().unwrap();
    let network = assembly.environments[0].stack("network").unwrap();
    assert_eq!(
        network
            .accepted_replacements
            .get("network/Logs")
            .map(String::as_str),
        Some("a fresh log group is fine")
    );
}

#[test]
fn a_moved_construct_is_refused_until_its_id_is_kept_or_its_replacement_accepted() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(synth(v1, dir.path()).code, 0);

    let r = synth(moved, dir.path());
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(
        r.err.contains("  - dev: `network/Logs` -> `network/Monitoring/Logs` (renamed, 1 resource(s))\n      network/Logs -> network/MonitoringLogs18CB6A9B  AWS::Logs::LogGroup  network/Monitoring/Logs\n")
            && r.err.contains("        stack.keep_logical_ids_of(\"network/Logs\", \"network/Monitoring/Logs\")?;\n")
            && r.err.contains("        app.declare_move(\"network/Logs\", \"network/Monitoring/Logs\")?;\n")
            && r.err.contains("stack.allow_replacement(\"network/Monitoring/Logs\", \"<reason>\")"),
        "{}",
        r.err
    );

    // diff shows the same finding without refusing.
    let r = run(moved, &["diff", "--against", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains(
            "note: synth would refuse this: dev: `network/Logs` -> `network/Monitoring/Logs` (renamed, 1 resource(s))"
        ),
        "{}",
        r.err
    );
    assert!(
        r.out.contains("    ~ MonitoringLogs18CB6A9B AWS::Logs::LogGroup (network/Monitoring/Logs): replaced (renamed from Logs without a declared refactor); STATEFUL: loses the log events\n"),
        "{}",
        r.out
    );

    let r = synth(moved_override, dir.path());
    assert_eq!(r.code, 0, "{}", r.err);
    let t = template(dir.path(), "network");
    assert_eq!(
        t["Resources"]["Logs"]["Metadata"]["stackforge:path"],
        json!("network/Monitoring/Logs")
    );

    let other = tempfile::tempdir().unwrap();
    assert_eq!(synth(v1, other.path()).code, 0);
    let r = synth(moved_allow, other.path());
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(!ids(&template(other.path(), "network")).contains(&"Logs".to_owned()));
}

#[test]
fn an_export_still_imported_by_the_committed_consumer_is_kept_for_one_deploy() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    // Synth 1: network exports the topic name, service imports it.
    assert_eq!(synth(v1, dir.path()).code, 0);
    let export = "shop-dev-network:Alerts-TopicName";
    assert_eq!(
        template(dir.path(), "network")["Outputs"]["ExportAlertsTopicName"]["Export"]["Name"],
        json!(export)
    );

    // diff before synth 2 shows the export kept, not removed.
    let r = run(no_import, &["diff", "--against", out]);
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(
        r.out.contains(&format!(
            "      = export kept: {export} (output ExportAlertsTopicName, still imported by service)\n"
        )),
        "{}",
        r.out
    );
    assert!(!r.out.contains("DANGER"), "{}", r.out);
    let r = run(no_import, &["diff", "--json", "--against", out]);
    let doc: Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(
        doc["environments"][0]["stacks"][0]["kept_exports"],
        json!([{"output": "ExportAlertsTopicName", "export": export, "importers": ["service"]}])
    );

    // Synth 2: service stops importing; the committed service still imports, so it stays.
    let r = synth(no_import, dir.path());
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.err.contains(&format!("warning: dev/network: export `{export}` is no longer produced, but the committed template of service still imports it"))
            && r.err.contains("1. deploy now")
            && r.err.contains("2. run `synth --drop-kept-exports` and deploy"),
        "{}",
        r.err
    );
    let network = template(dir.path(), "network");
    assert_eq!(
        network["Outputs"]["ExportAlertsTopicName"],
        json!({
            "Description": "Kept by stackforge: still imported by service; remove after service is deployed without it",
            "Value": {"Fn::GetAtt": ["Alerts", "TopicName"]},
            "Export": {"Name": export}
        })
    );
    assert_eq!(
        template(dir.path(), "service")["Resources"]["Queue"]["Properties"]["QueueName"],
        json!("q")
    );
    // The manifest records the kept export as data; the next synth reads it from there.
    let manifest: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("dev/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(
        manifest["stacks"][0]["keptExports"],
        json!([{"output": "ExportAlertsTopicName", "export": export, "importers": ["service"]}])
    );
    let r = run(no_import, &["synth", "--check", "--out", out]);
    assert_eq!(
        r.code, 0,
        "--check accepts the pending kept export: {}",
        r.err
    );
    assert!(
        r.err.contains(
            "stays (output `ExportAlertsTopicName`) until service is deployed without it"
        ),
        "{}",
        r.err
    );

    // Synth 3, same app and committed state: the same bytes (the deploy may not have happened).
    let before = fs::read(dir.path().join("dev/network.template.json")).unwrap();
    let r = synth(no_import, dir.path());
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        fs::read(dir.path().join("dev/network.template.json")).unwrap(),
        before,
        "synthesizing twice gives the same bytes"
    );

    // After deploying service: `--drop-kept-exports` drops it.
    let r = run(no_import, &["synth", "--drop-kept-exports", "--out", out]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(!r.err.contains("export"), "{}", r.err);
    assert!(template(dir.path(), "network").get("Outputs").is_none());
}

#[test]
fn a_kept_export_whose_resource_is_removed_is_a_deadlock() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(synth(v1, dir.path()).code, 0);
    let before = fs::read(dir.path().join("dev/network.template.json")).unwrap();
    let r = synth(no_import_no_topic, dir.path());
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(
        r.err.contains("export safety: an export still imported cannot be kept")
            && r.err.contains("dev/network: export `shop-dev-network:Alerts-TopicName` (output `ExportAlertsTopicName`) must stay because the committed template of service still imports it, but its value uses `Alerts`, which this synth removes")
            && r.err.contains("Fix: keep `Alerts` for one more deploy"),
        "{}",
        r.err
    );
    assert_eq!(
        fs::read(dir.path().join("dev/network.template.json")).unwrap(),
        before
    );
}

#[test]
fn refactor_declarations_are_checked_where_declared() {
    let mut app = App::new("shop");
    let env = Environment::new("dev");
    let mut network = Stack::new(&app, &env, "network", StackProps::default()).unwrap();
    let cases: Vec<(Error, &str)> = vec![
        (
            network
                .declare_rename("network/Logs", "service/Logs")
                .unwrap_err(),
            "declare a move between stacks with `app.declare_move(from, to)`",
        ),
        (
            network
                .keep_logical_ids_of("network/A", "service/A")
                .unwrap_err(),
            "a logical ID is kept only inside its stack",
        ),
        (
            app.keep_logical_ids_of("network/A", "service/A")
                .unwrap_err(),
            "a logical ID is kept only inside its stack",
        ),
        (
            app.declare_move("network", "service/X").unwrap_err(),
            "not a construct path below a stack",
        ),
        (
            app.declare_move("network/A", "network/A").unwrap_err(),
            "both paths are the same",
        ),
    ];
    for (e, want) in cases {
        assert!(e.to_string().contains(want), "{want}: {e}");
    }
    network
        .root()
        .add_raw(
            "Logs",
            RawResource::new("AWS::Logs::LogGroup"),
            ResourceOptions::default(),
        )
        .unwrap();
    let e = network
        .keep_logical_ids_of("network/Old", "network/Logs")
        .unwrap_err();
    assert!(
        e.to_string().contains("were added before the declaration"),
        "{e}"
    );
}

fn declares_nothing_real() -> Result<App, Error> {
    let mut app = build(V::default())?;
    app.declare_move("network/Nope", "network/Alerts")?;
    Ok(app)
}

fn declares_a_missing_path() -> Result<App, Error> {
    let mut app = build(V::default())?;
    app.declare_move("network/Logs", "network/Monitorng/Logs")?;
    Ok(app)
}

fn keeps_nothing_real() -> Result<App, Error> {
    let mut app = App::new("shop");
    let env = Environment::new("dev");
    let mut network = Stack::new(&app, &env, "network", StackProps::default())?;
    network.keep_logical_ids_of("network/Gone", "network/Nothing")?;
    network.root().add_raw(
        "Alerts",
        RawResource::new("AWS::SNS::Topic").prop("KmsMasterKeyId", "alias/aws/sns"),
        ResourceOptions::default(),
    )?;
    app.add_stack(network)?;
    Ok(app)
}

#[test]
fn declarations_that_match_nothing_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(synth(v1, dir.path()).code, 0);
    let r = synth(declares_nothing_real, dir.path());
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(
        r.err.contains("dev: `network/Nope` -> `network/Alerts` renames or moves nothing: no committed resource below `network/Nope` reappears below `network/Alerts`"),
        "{}",
        r.err
    );
    // A new path holding nothing is refused with or without committed templates.
    for out in [dir.path().to_owned(), dir.path().join("fresh")] {
        let r = synth(declares_a_missing_path, &out);
        assert_eq!(r.code, 1, "{}", r.err);
        assert!(
            r.err.contains("`network/Monitorng/Logs`: invalid `app.declare_move`: `app.declare_move(\"network/Logs\", \"network/Monitorng/Logs\")` matches no resource")
                && r.err.contains("nearest existing: `network/Logs`"),
            "{}",
            r.err
        );
    }
    let r = synth(keeps_nothing_real, dir.path());
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(
        r.err.contains(
            "no resource is below the path, so keeping the IDs of `network/Gone` is unused"
        ),
        "{}",
        r.err
    );
}
