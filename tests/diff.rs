//! `diff` in-process: classification and text of each kind of change, JSON output, YAML and
//! hand-written templates on the `--against` side.

mod common;

use common::{run_cli, Run};
use std::fs;
use std::path::Path;

use serde_json::{json, Value};
use stackforge_constructs::{
    App, Environment, Error, Expr, Output, Parameter, RawResource, ResourceOptions, Stack,
    StackProps,
};

/// One environment `dev`: `network` (VPC, subnet, log group, topic exported) and `service`
/// (a queue importing the topic's name, a parameter).
fn test_app() -> Result<App, Error> {
    let mut app = App::new("shop");
    let env = Environment::new("dev");
    let mut network = Stack::new(&app, &env, "network", StackProps::default())?;
    let mut root = network.root();
    let vpc = root.add_raw(
        "Vpc",
        RawResource::new("AWS::EC2::VPC")
            .prop("CidrBlock", "10.0.0.0/16")
            .prop("InstanceTenancy", "default"),
        ResourceOptions::default(),
    )?;
    root.add_raw(
        "Subnet",
        RawResource::new("AWS::EC2::Subnet")
            .prop("CidrBlock", "10.0.0.0/24")
            .prop("VpcId", vpc.ref_()),
        ResourceOptions::default(),
    )?;
    root.add_raw(
        "Logs",
        RawResource::new("AWS::Logs::LogGroup").prop("RetentionInDays", 30),
        ResourceOptions::default(),
    )?;
    let topic = root.add_raw(
        "Alerts",
        RawResource::new("AWS::SNS::Topic").prop("DisplayName", "alerts"),
        ResourceOptions::default(),
    )?;
    network.add_output("VpcId", Output::new(vpc.ref_()))?;
    let mut service = Stack::new(&app, &env, "service", StackProps::default())?;
    service.add_parameter("ImageTag", Parameter::string().default_value("latest"))?;
    service.root().add_raw(
        "Queue",
        RawResource::new("AWS::SQS::Queue").prop(
            "QueueName",
            Expr::concat([topic.get_att("TopicName"), Expr::str("-q")]),
        ),
        ResourceOptions::default(),
    )?;
    app.add_stack(network)?;
    app.add_stack(service)?;
    Ok(app)
}

fn run(args: &[&str]) -> Run {
    run_cli(test_app, args)
}

/// Synthesizes into a fresh folder: the "committed" side each test then edits.
fn committed(extra: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["synth", "--no-check", "--out", dir.path().to_str().unwrap()];
    args.extend_from_slice(extra);
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.err);
    dir
}

/// Edits the committed template `dev/<stack>.template.json`.
fn edit(dir: &Path, stack: &str, f: impl FnOnce(&mut Value)) {
    let path = dir.join("dev").join(format!("{stack}.template.json"));
    let mut v: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    f(&mut v);
    fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

/// Renames resource `from` of a template to `to`, with every `Ref`, `Fn::GetAtt`,
/// `DependsOn` and `Fn::Sub` placeholder naming it (the committed file stays a valid
/// template).
fn rename_resource(t: &mut Value, from: &str, to: &str) {
    fn rewrite(v: &mut Value, from: &str, to: &str) {
        match v {
            Value::String(s) if s == from => *s = to.to_owned(),
            Value::String(s) => {
                *s = s
                    .replace(&format!("${{{from}}}"), &format!("${{{to}}}"))
                    .replace(&format!("${{{from}."), &format!("${{{to}."))
            }
            Value::Array(items) => items.iter_mut().for_each(|i| rewrite(i, from, to)),
            Value::Object(m) => m.values_mut().for_each(|i| rewrite(i, from, to)),
            _ => {}
        }
    }
    let res = t["Resources"].as_object_mut().unwrap();
    let r = res.shift_remove(from).unwrap();
    res.insert(to.into(), r);
    for (_, r) in res.iter_mut() {
        for key in ["Properties", "DependsOn"] {
            if let Some(v) = r.get_mut(key) {
                rewrite(v, from, to);
            }
        }
    }
    if let Some(outputs) = t.get_mut("Outputs") {
        rewrite(outputs, from, to);
    }
}

fn diff(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["diff", "--against", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args)
}

fn network_line(r: &Run, prefix: &str) -> String {
    r.out
        .lines()
        .find(|l| l.trim_start().starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{}", r.out))
        .trim()
        .to_owned()
}

#[test]
fn fresh_templates_have_no_changes() {
    let dir = committed(&[]);
    let r = diff(dir.path(), &[]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert_eq!(
        r.out,
        "dev\n  network (vs {d}/dev/network.template.json): no changes\n  service (vs {d}/dev/service.template.json): no changes\nNo changes.\nSummary: 0 to add, 0 to change, 0 to replace, 0 to remove\n"
            .replace("{d}", dir.path().to_str().unwrap())
    );
}

#[test]
fn a_new_resource_is_added() {
    let dir = committed(&[]);
    edit(dir.path(), "network", |t| {
        t["Resources"].as_object_mut().unwrap().shift_remove("Logs");
    });
    let r = diff(dir.path(), &[]);
    assert_eq!(r.code, 1, "{}", r.err);
    assert_eq!(
        network_line(&r, "+"),
        "+ Logs AWS::Logs::LogGroup (network/Logs): add"
    );
    assert!(
        r.out
            .ends_with("Summary: 1 to add, 0 to change, 0 to replace, 0 to remove\n"),
        "{}",
        r.out
    );
}

#[test]
fn a_resource_gone_from_the_app_is_removed() {
    let dir = committed(&[]);
    edit(dir.path(), "network", |t| {
        t["Resources"]["Old"] =
            json!({"Type": "AWS::SNS::Topic", "Metadata": {"stackforge:path": "network/Old"}});
    });
    let r = diff(dir.path(), &[]);
    assert_eq!(r.code, 1);
    assert_eq!(
        network_line(&r, "-"),
        "- Old AWS::SNS::Topic (network/Old): remove"
    );
    assert!(r
        .out
        .contains("Summary: 0 to add, 0 to change, 0 to replace, 1 to remove"));
}

#[test]
fn retention_and_tags_update_in_place() {
    let dir = committed(&[]);
    edit(dir.path(), "network", |t| {
        t["Resources"]["Logs"]["Properties"]["RetentionInDays"] = json!(7);
        t["Resources"]["Alerts"]["Properties"]["Tags"]
            .as_array_mut()
            .unwrap()
            .pop();
    });
    let r = diff(dir.path(), &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.out.contains(
            "    ~ Logs AWS::Logs::LogGroup (network/Logs): update in place\n        Properties.RetentionInDays: 7 -> 30\n"
        ),
        "{}",
        r.out
    );
    assert!(
        r.out.contains(
            "    ~ Alerts AWS::SNS::Topic (network/Alerts): update in place\n        Properties.Tags: [{\"Key\":\"app\",\"Value\":\"shop\"},{\"Key\":\"env\",\"Value\":\"dev\"}] -> [{\"Key\":\"app\",\"Value\":\"shop\"},{\"Key\":\"env\",\"Value\":\"dev\"},{\"Key\":\"stack\",\"Value\":\"network\"}]\n"
        ),
        "{}",
        r.out
    );
    assert!(r
        .out
        .contains("Summary: 0 to add, 2 to change, 0 to replace, 0 to remove"));
}

#[test]
fn a_create_only_property_change_replaces() {
    let dir = committed(&[]);
    edit(dir.path(), "network", |t| {
        t["Resources"]["Subnet"]["Properties"]["CidrBlock"] = json!("10.0.9.0/24");
    });
    let r = diff(dir.path(), &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.out.contains(
            "    ~ Subnet AWS::EC2::Subnet (network/Subnet): replace\n        Properties.CidrBlock: \"10.0.9.0/24\" -> \"10.0.0.0/24\"  [replaces: createOnlyProperties: /properties/CidrBlock]\n"
        ),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains("Summary: 0 to add, 0 to change, 1 to replace, 0 to remove"),
        "{}",
        r.out
    );
}

#[test]
fn a_conditional_create_only_property_change_may_replace() {
    let dir = committed(&[]);
    edit(dir.path(), "network", |t| {
        t["Resources"]["Vpc"]["Properties"]["InstanceTenancy"] = json!("dedicated");
    });
    let r = diff(dir.path(), &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.out.contains(
            "    ~ Vpc AWS::EC2::VPC (network/Vpc): may replace\n        Properties.InstanceTenancy: \"dedicated\" -> \"default\"  [may replace: conditionalCreateOnlyProperties: /properties/InstanceTenancy]\n"
        ),
        "{}",
        r.out
    );
    // The subnet's VPC may be replaced, and `VpcId` is create-only for subnets.
    assert!(
        r.out.contains(
            "    ~ Subnet AWS::EC2::Subnet (network/Subnet): may replace because it uses network/Vpc (may be replaced) in Properties.VpcId: createOnlyProperties: /properties/VpcId\n    summary:"
        ),
        "{}",
        r.out
    );
    assert!(r.out.contains(
        "Summary: 0 to add, 2 to change, 0 to replace, 0 to remove; 2 of the changes may replace; 1 affected by replacements"
    ), "{}", r.out);
}

#[test]
fn a_new_logical_id_for_the_same_path_is_one_replacement_and_replaces_its_dependants() {
    let dir = committed(&[]);
    edit(dir.path(), "network", |t| {
        rename_resource(t, "Alerts", "AlertsOld");
    });
    let r = diff(dir.path(), &[]);
    assert_eq!(r.code, 1);
    assert_eq!(
        network_line(&r, "~ Alerts"),
        "~ Alerts AWS::SNS::Topic (network/Alerts): replaced (renamed from AlertsOld without a declared refactor)"
    );
    assert!(
        !r.out.contains("+ Alerts") && !r.out.contains("- AlertsOld"),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains("Summary: 0 to add, 0 to change, 2 to replace, 0 to remove; 1 renamed or moved (0 by a declared refactor); 1 affected by replacements; 1 STATEFUL at risk"),
        "{}",
        r.out
    );
    assert!(
        r.err.contains(
            "synth would refuse this: dev: `network/Alerts` has logical ID `AlertsOld` in the committed template of `network` and `Alerts` now"
        ),
        "{}",
        r.err
    );
}

#[test]
fn output_value_and_export_changes_flag_dropped_exports() {
    let dir = committed(&[]);
    edit(dir.path(), "network", |t| {
        let outputs = &mut t["Outputs"];
        outputs["VpcId"]["Value"] = json!({"Ref": "Subnet"});
        outputs["Legacy"] = json!({"Value": "x", "Export": {"Name": "shop-dev-network:Legacy"}});
        outputs["ExportAlertsTopicName"]["Export"]["Name"] = json!("old-name");
    });
    let r = diff(dir.path(), &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.out.contains(concat!(
            "    Outputs:\n",
            "      ~ VpcId\n",
            "          Value: {\"Ref\":\"Subnet\"} -> {\"Ref\":\"Vpc\"}\n",
            "      ~ ExportAlertsTopicName\n",
            "          Export.Name: \"old-name\" -> \"shop-dev-network:Alerts-TopicName\"\n",
            "        DANGER: export \"old-name\" renamed to \"shop-dev-network:Alerts-TopicName\": stacks importing the old name can no longer deploy\n",
            "      - Legacy: {\"Value\":\"x\",\"Export\":{\"Name\":\"shop-dev-network:Legacy\"}}\n",
            "        DANGER: export \"shop-dev-network:Legacy\" removed: stacks importing it can no longer deploy; remove their imports first\n",
        )),
        "{}",
        r.out
    );
    assert!(
        r.out.contains("; 3 other change(s); 2 DANGEROUS (exports)"),
        "{}",
        r.out
    );
}

#[test]
fn parameter_changes_show_type_and_default() {
    let dir = committed(&[]);
    edit(dir.path(), "service", |t| {
        t["Parameters"]["ImageTag"] = json!({"Type": "Number", "Default": "1"});
        t["Parameters"]["Old"] = json!({"Type": "String"});
    });
    let r = diff(dir.path(), &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.out.contains(concat!(
            "    Parameters:\n",
            "      ~ ImageTag\n",
            "          Type: \"Number\" -> \"String\"\n",
            "          Default: \"1\" -> \"latest\"\n",
            "      - Old: {\"Type\":\"String\"}\n",
        )),
        "{}",
        r.out
    );
    assert!(r
        .out
        .contains("Summary: 0 to add, 0 to change, 0 to replace, 0 to remove; 2 other change(s)"));
}

#[test]
fn yaml_and_json_of_the_same_app_are_no_change() {
    let dir = committed(&["--format", "yaml"]);
    assert!(dir.path().join("dev/network.template.yaml").exists());
    let r = diff(dir.path(), &[]);
    assert_eq!(r.code, 0, "{}", r.out);
    assert!(
        r.out.contains("network.template.yaml): no changes"),
        "{}",
        r.out
    );
}

#[test]
fn hand_written_yaml_with_short_forms_compares_by_meaning() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diff/handwritten");
    let r = diff(&fixtures, &["--stack", "network"]);
    assert_eq!(r.code, 1, "{}", r.err);
    let body: Vec<&str> = r.out.lines().skip(2).collect();
    assert_eq!(
        body,
        [
            "    ~ Logs AWS::Logs::LogGroup (network/Logs): may replace; STATEFUL: loses the log events",
            "        Properties.LogGroupName: {\"Fn::Sub\":\"${AWS::StackName}-logs\"} -> (absent)  [may replace: createOnlyProperties: /properties/LogGroupName (an intrinsic: the deployed value may be the same)]",
            "    summary: 0 to add, 1 to change, 0 to replace, 0 to remove; 1 of the changes may replace; 1 STATEFUL at risk; 4 metadata-only change(s) hidden (--all shows them)",
            "Summary: 0 to add, 1 to change, 0 to replace, 0 to remove; 1 of the changes may replace; 1 STATEFUL at risk; 4 metadata-only change(s) hidden (--all shows them)",
        ],
        "{}",
        r.out
    );
}

#[test]
fn metadata_only_changes_are_hidden_unless_all() {
    let dir = committed(&[]);
    edit(dir.path(), "network", |t| {
        t["Resources"]["Logs"]["Metadata"]["stackforge:path"] = json!("network/OldLogs");
    });
    let r = diff(dir.path(), &[]);
    assert_eq!(r.code, 0, "{}", r.out);
    assert!(r.out.contains("network (vs "), "{}", r.out);
    assert!(
        r.out
            .contains("1 metadata-only change(s) hidden (--all shows them)"),
        "{}",
        r.out
    );
    assert!(!r.out.contains("Logs AWS"), "{}", r.out);

    let r = diff(dir.path(), &["--all"]);
    assert_eq!(r.code, 1);
    assert!(
        r.out.contains(
            "    ~ Logs AWS::Logs::LogGroup (network/Logs): update in place\n        Metadata.stackforge:path: \"network/OldLogs\" -> \"network/Logs\"\n"
        ),
        "{}",
        r.out
    );
}

#[test]
fn json_output_has_the_classification() {
    let dir = committed(&[]);
    edit(dir.path(), "network", |t| {
        t["Resources"]["Subnet"]["Properties"]["CidrBlock"] = json!("10.0.9.0/24");
        t["Resources"]["Vpc"]["Properties"]["InstanceTenancy"] = json!("dedicated");
        t["Resources"]["Logs"]["Properties"]["RetentionInDays"] = json!(7);
        rename_resource(t, "Alerts", "AlertsOld");
    });
    let r = diff(dir.path(), &["--json"]);
    assert_eq!(r.code, 1);
    let doc: Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(doc["changes"], json!(true));
    assert_eq!(
        doc["summary"],
        json!({"add": 0, "change": 2, "replace": 3, "remove": 0, "may_replace": 1, "renamed": 1,
               "refactored": 0, "affected": 1, "stateful_at_risk": 1, "other": 1, "dangerous": 1,
               "security": 0, "hidden": 0})
    );
    let stacks = &doc["environments"][0]["stacks"];
    assert_eq!(stacks[0]["stack"], json!("network"));
    assert_eq!(stacks[0]["status"], json!("changed"));
    // The service's queue is named after the replaced topic (through an import).
    assert_eq!(stacks[1]["status"], json!("changed"));
    assert_eq!(
        stacks[1]["affected"],
        json!([{"logical_id": "Queue", "type": "AWS::SQS::Queue", "path": "service/Queue",
                "uses": "network/Alerts", "certain": true,
                "at": "Properties.QueueName (import shop-dev-network:Alerts-TopicName)",
                "impact": "replace", "reason": "createOnlyProperties: /properties/QueueName"}])
    );
    let actions: Vec<(&str, &str)> = stacks[0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["logical_id"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("Vpc", "may_replace"),
            ("Subnet", "replace"),
            ("Logs", "update"),
            ("Alerts", "replace")
        ]
    );
    let subnet = &stacks[0]["resources"][1];
    assert_eq!(
        subnet["changes"][0],
        json!({"path": "Properties.CidrBlock", "old": "10.0.9.0/24", "new": "10.0.0.0/24",
               "impact": "replace", "reason": "createOnlyProperties: /properties/CidrBlock"})
    );
    assert_eq!(
        stacks[0]["resources"][3]["old_logical_id"],
        json!("AlertsOld")
    );
    assert_eq!(subnet["type"], json!("AWS::EC2::Subnet"));
    assert_eq!(subnet["path"], json!("network/Subnet"));
}

#[test]
fn stacks_are_added_and_removed_by_file() {
    let dir = committed(&[]);
    fs::remove_file(dir.path().join("dev/service.template.json")).unwrap();
    fs::write(
        dir.path().join("dev/legacy.json"),
        r#"{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}"#,
    )
    .unwrap();
    let r = diff(dir.path(), &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.out.contains("  service: stack added\n    + Queue AWS::SQS::Queue (service/Queue): add\n    Parameters:\n      + ImageTag: {\"Type\":\"String\",\"Default\":\"latest\"}\n"),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains("/dev/legacy.json): stack removed\n    - T AWS::SNS::Topic: remove\n"),
        "{}",
        r.out
    );
    // With --stack, other files are not reported.
    let r = diff(dir.path(), &["--stack", "network"]);
    assert_eq!(r.code, 0, "{}", r.out);
}

#[test]
fn usage_and_input_errors_exit_2() {
    let dir = committed(&[]);
    let r = diff(dir.path(), &["--env", "stage"]);
    assert_eq!(r.code, 2);
    assert!(r.err.contains("unknown environment `stage`"), "{}", r.err);
    let r = diff(dir.path(), &["--stack", "nope"]);
    assert_eq!(r.code, 2);
    let r = diff(&dir.path().join("missing"), &[]);
    assert_eq!(r.code, 2);
    assert!(r.err.contains("no such folder"), "{}", r.err);
    let bad = dir.path().join("dev/network.template.json");
    fs::write(&bad, "{ not json").unwrap();
    let r = diff(dir.path(), &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.err.contains(bad.to_str().unwrap()) && r.err.contains("not valid JSON"),
        "{}",
        r.err
    );
}
