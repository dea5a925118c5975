//! The core engine end to end: paths and logical IDs, cross-stack wiring, deploy order,
//! validation errors, limits and determinism.

use indexmap::IndexMap;
use serde_json::{json, Value};
use stackforge_constructs::expr::ExprMap;
use stackforge_constructs::{
    App, Aspect, CfnResource, Environment, Error, Expr, Output, Parameter, RawResource, Reference,
    ResourceOptions, ResourceView, Stack, StackProps, Str,
};

/// A minimal typed resource for engine tests (an SNS topic with a free-form property).
#[derive(Debug, Default)]
struct Topic {
    display_name: Option<Str>,
    extra: Option<Expr>,
}

impl CfnResource for Topic {
    const TYPE_NAME: &'static str = "AWS::SNS::Topic";
    fn into_properties(self) -> ExprMap {
        let mut p = ExprMap::new();
        stackforge_constructs::value::put(&mut p, "DisplayName", self.display_name);
        stackforge_constructs::value::put(&mut p, "TopicName", self.extra);
        p
    }
}

fn stack(app: &App, env: &Environment, name: &str) -> Stack {
    Stack::new(app, env, name, StackProps::default()).unwrap()
}

fn template(app: &App, env: &str, stack: &str) -> Value {
    let asm = app.synth().unwrap();
    asm.environment(env).unwrap().stack(stack).unwrap().json()
}

fn message(e: Error) -> String {
    e.to_string()
}

#[test]
fn resources_get_cdk_logical_ids_and_record_their_path() {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    let mut s = stack(&app, &dev, "network");
    let mut root = s.root();
    let mut vpc = root.child("Vpc").unwrap();
    let h = vpc.add("Resource", Topic::default()).unwrap();
    assert_eq!(h.logical_id(), "Vpc8378EB38");
    assert_eq!(h.path(), "network/Vpc/Resource");
    app.add_stack(s).unwrap();
    let t = template(&app, "dev", "network");
    assert_eq!(
        t["Resources"]["Vpc8378EB38"]["Metadata"]["stackforge:path"],
        json!("network/Vpc/Resource")
    );
}

#[test]
fn adding_a_sibling_does_not_change_existing_ids() {
    let ids = |with_sibling: bool| {
        let mut app = App::new("shop");
        let dev = Environment::new("dev");
        let mut s = stack(&app, &dev, "a");
        let mut root = s.root();
        if with_sibling {
            root.child("Before")
                .unwrap()
                .add("Resource", Topic::default())
                .unwrap();
        }
        let h = root
            .child("Svc")
            .unwrap()
            .add("Resource", Topic::default())
            .unwrap();
        app.add_stack(s).unwrap();
        (
            h.logical_id().to_owned(),
            app.synth().unwrap().environments[0].stacks[0]
                .template()
                .resources
                .len(),
        )
    };
    let (without, n1) = ids(false);
    let (with, n2) = ids(true);
    assert_eq!((n1, n2), (1, 2));
    assert_eq!(without, with);
}

#[test]
fn duplicate_ids_in_one_scope_are_an_error_naming_the_path() {
    let app = App::new("shop");
    let mut s = stack(&app, &Environment::new("dev"), "a");
    let mut root = s.root();
    root.child("Db").unwrap();
    let err = message(root.child("Db").unwrap_err());
    assert!(
        err.contains("`a/Db`") && err.contains("already used"),
        "{err}"
    );
    let err = message(root.add("Db", Topic::default()).unwrap_err());
    assert!(err.contains("`a/Db`"), "{err}");
}

#[test]
fn invalid_ids_are_rejected() {
    let app = App::new("shop");
    let mut s = stack(&app, &Environment::new("dev"), "a");
    let err = message(s.root().child("x/y").unwrap_err());
    assert!(err.contains("contains `/`"), "{err}");
    let err = message(s.root().child("").unwrap_err());
    assert!(err.contains("empty"), "{err}");
}

#[test]
fn two_paths_with_one_logical_id_are_an_error_naming_both() {
    let app = App::new("shop");
    let mut s = stack(&app, &Environment::new("dev"), "a");
    let mut root = s.root();
    root.add("MyTopic", Topic::default()).unwrap();
    // `My-Topic` loses its `-` and becomes the same single-component ID.
    let err = message(root.add("My-Topic", Topic::default()).unwrap_err());
    assert!(
        err.contains("`a/MyTopic`") && err.contains("`a/My-Topic`") && err.contains("MyTopic"),
        "{err}"
    );
}

#[test]
fn overrides_and_renames_keep_migrated_ids_and_unused_ones_fail() {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    let mut s = stack(&app, &dev, "a");
    s.override_logical_id("a/Svc/Resource", "LegacyTopic")
        .unwrap();
    s.rename_logical_id("Other8F4A1B2C", "Unused").unwrap();
    let mut root = s.root();
    let mut svc = root.child("Svc").unwrap();
    assert_eq!(
        svc.add("Resource", Topic::default()).unwrap().logical_id(),
        "LegacyTopic"
    );
    let explicit = svc
        .add_with(
            "Explicit",
            Topic::default(),
            ResourceOptions {
                logical_id: Some("Chosen".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(explicit.logical_id(), "Chosen");
    app.add_stack(s).unwrap();
    let err = message(app.synth().unwrap_err());
    assert!(
        err.contains("rename `Other8F4A1B2C` -> `Unused` matches no resource"),
        "{err}"
    );
}

#[test]
fn a_rename_applies_to_the_computed_id() {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    let mut s = stack(&app, &dev, "a");
    s.rename_logical_id("Vpc8378EB38", "OldVpc").unwrap();
    let h = s
        .root()
        .child("Vpc")
        .unwrap()
        .add("Resource", Topic::default())
        .unwrap();
    assert_eq!(h.logical_id(), "OldVpc");
    app.add_stack(s).unwrap();
    assert!(app.synth().is_ok());
}

#[test]
fn cross_stack_references_become_exports_and_imports_with_a_dependency() {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    let mut net = stack(&app, &dev, "network");
    let topic = net.root().add("Alerts", Topic::default()).unwrap();
    let mut svc = stack(&app, &dev, "service");
    svc.root()
        .add(
            "Consumer",
            Topic {
                display_name: Some(topic.get_att("TopicName").into()),
                extra: Some(topic.ref_()),
            },
        )
        .unwrap();
    // Added consumer first: deploy order must still put the producer first.
    app.add_stack(svc).unwrap();
    app.add_stack(net).unwrap();
    let asm = app.synth().unwrap();
    let env = asm.environment("dev").unwrap();
    let order: Vec<&str> = env.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(order, ["network", "service"]);
    assert_eq!(env.stack("service").unwrap().dependencies, ["network"]);
    let producer = env.stack("network").unwrap().json();
    assert_eq!(
        producer["Outputs"],
        json!({
            "ExportAlerts": {"Value": {"Ref": "Alerts"}, "Export": {"Name": "shop-dev-network:Alerts"}},
            "ExportAlertsTopicName": {
                "Value": {"Fn::GetAtt": ["Alerts", "TopicName"]},
                "Export": {"Name": "shop-dev-network:Alerts-TopicName"}
            }
        })
    );
    let consumer = env.stack("service").unwrap().json();
    let props = &consumer["Resources"]["Consumer"]["Properties"];
    assert_eq!(
        props["DisplayName"],
        json!({"Fn::ImportValue": "shop-dev-network:Alerts-TopicName"})
    );
    assert_eq!(
        props["TopicName"],
        json!({"Fn::ImportValue": "shop-dev-network:Alerts"})
    );
}

#[test]
fn a_cross_stack_reference_imports_an_explicitly_named_export_of_the_same_value() {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    let mut net = stack(&app, &dev, "network");
    let topic = net.root().add("Alerts", Topic::default()).unwrap();
    net.add_output(
        "AlertsArn",
        Output::new(topic.ref_()).export("net-AlertsArn"),
    )
    .unwrap();
    let mut svc = stack(&app, &dev, "service");
    svc.root()
        .add(
            "Consumer",
            Topic {
                display_name: Some(topic.get_att("TopicName").into()),
                extra: Some(topic.ref_()),
            },
        )
        .unwrap();
    app.add_stack(svc).unwrap();
    app.add_stack(net).unwrap();
    let asm = app.synth().unwrap();
    let env = asm.environment("dev").unwrap();
    assert_eq!(env.stack("service").unwrap().dependencies, ["network"]);
    let producer = env.stack("network").unwrap().json();
    // The named export serves the `Ref`; the attribute, exported by no name, gets its own.
    assert_eq!(
        producer["Outputs"],
        json!({
            "AlertsArn": {"Value": {"Ref": "Alerts"}, "Export": {"Name": "net-AlertsArn"}},
            "ExportAlertsTopicName": {
                "Value": {"Fn::GetAtt": ["Alerts", "TopicName"]},
                "Export": {"Name": "shop-dev-network:Alerts-TopicName"}
            }
        })
    );
    let consumer = env.stack("service").unwrap().json();
    let props = &consumer["Resources"]["Consumer"]["Properties"];
    assert_eq!(
        props["TopicName"],
        json!({"Fn::ImportValue": "net-AlertsArn"})
    );
    assert_eq!(
        props["DisplayName"],
        json!({"Fn::ImportValue": "shop-dev-network:Alerts-TopicName"})
    );
}

#[test]
fn same_stack_references_stay_refs() {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    let mut s = stack(&app, &dev, "a");
    let mut root = s.root();
    let t = root.add("T", Topic::default()).unwrap();
    root.add(
        "U",
        Topic {
            display_name: Some(t.ref_().into()),
            ..Default::default()
        },
    )
    .unwrap();
    app.add_stack(s).unwrap();
    let tpl = template(&app, "dev", "a");
    assert_eq!(
        tpl["Resources"]["U"]["Properties"]["DisplayName"],
        json!({"Ref": "T"})
    );
    assert!(tpl.get("Outputs").is_none());
}

#[test]
fn a_cycle_between_stacks_is_an_error_listing_the_references() {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    let mut a = stack(&app, &dev, "a");
    let mut b = stack(&app, &dev, "b");
    let ta = a.root().add("TA", Topic::default()).unwrap();
    let tb = b
        .root()
        .add(
            "TB",
            Topic {
                extra: Some(ta.ref_()),
                ..Default::default()
            },
        )
        .unwrap();
    a.root()
        .add(
            "TA2",
            Topic {
                extra: Some(tb.ref_()),
                ..Default::default()
            },
        )
        .unwrap();
    app.add_stack(a).unwrap();
    app.add_stack(b).unwrap();
    let err = message(app.synth().unwrap_err());
    assert!(err.contains("cycle"), "{err}");
    assert!(err.contains("`a/TA2` uses `b/TB`"), "{err}");
    assert!(err.contains("`b/TB` uses `a/TA`"), "{err}");
}

#[test]
fn a_reference_into_another_environment_is_an_error() {
    let mut app = App::new("shop");
    let mut d = stack(&app, &Environment::new("dev"), "a");
    let t = d.root().add("T", Topic::default()).unwrap();
    let mut p = stack(&app, &Environment::new("prod"), "a");
    p.root()
        .add(
            "U",
            Topic {
                extra: Some(t.ref_()),
                ..Default::default()
            },
        )
        .unwrap();
    app.add_stack(d).unwrap();
    app.add_stack(p).unwrap();
    let err = message(app.synth().unwrap_err());
    assert!(
        err.contains("`a/U` (environment `prod`) uses `a/T` of environment `dev`"),
        "{err}"
    );
}

#[test]
fn a_reference_to_a_stack_outside_the_app_is_an_error() {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    let mut lost = stack(&app, &dev, "lost");
    let t = lost.root().add("T", Topic::default()).unwrap();
    let mut s = stack(&app, &dev, "a");
    s.root()
        .add(
            "U",
            Topic {
                extra: Some(t.ref_()),
                ..Default::default()
            },
        )
        .unwrap();
    app.add_stack(s).unwrap();
    let err = message(app.synth().unwrap_err());
    assert!(err.contains("not part of the app"), "{err}");
}

#[test]
fn missing_ref_getatt_dependson_and_sub_targets_are_errors() {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    let mut s = stack(&app, &dev, "a");
    let mut root = s.root();
    root.add(
        "T",
        Topic {
            extra: Some(Expr::local_ref("Nope")),
            display_name: Some(Expr::local_get_att("Gone", "Arn").into()),
        },
    )
    .unwrap();
    root.add_with(
        "U",
        Topic {
            extra: Some(Expr::sub(
                "${Missing}-${AWS::Region}-${!Literal}-${T}",
                Vec::<(String, Expr)>::new(),
            )),
            ..Default::default()
        },
        ResourceOptions {
            depends_on: vec![Reference::local("Ghost")],
            ..Default::default()
        },
    )
    .unwrap();
    app.add_stack(s).unwrap();
    let err = app.synth().unwrap_err();
    let all: Vec<String> = err.errors().iter().map(|e| e.to_string()).collect();
    let text = all.join("\n");
    assert!(text.contains("Ref `Nope` does not exist"), "{text}");
    assert!(text.contains("GetAtt `Gone` does not exist"), "{text}");
    assert!(text.contains("DependsOn `Ghost` does not exist"), "{text}");
    assert!(text.contains("Fn::Sub placeholder `Missing`"), "{text}");
    assert_eq!(
        all.len(),
        4,
        "pseudo parameters, `${{!Literal}}` and local names are fine: {text}"
    );
}

#[test]
fn depends_on_renders_local_ids_and_turns_cross_stack_into_a_stack_dependency() {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    let mut a = stack(&app, &dev, "a");
    let ta = a.root().add("TA", Topic::default()).unwrap();
    let mut b = stack(&app, &dev, "b");
    let tb = b.root().add("TB", Topic::default()).unwrap();
    b.root()
        .add_with(
            "TC",
            Topic::default(),
            ResourceOptions {
                depends_on: vec![tb.reference().clone(), ta.reference().clone()],
                ..Default::default()
            },
        )
        .unwrap();
    app.add_stack(b).unwrap();
    app.add_stack(a).unwrap();
    let asm = app.synth().unwrap();
    let env = &asm.environments[0];
    assert_eq!(
        env.stacks
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(
        env.stack("b").unwrap().json()["Resources"]["TC"]["DependsOn"],
        json!("TB")
    );
}

#[test]
fn parameters_outputs_conditions_and_mappings_render() {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    let mut s = Stack::new(
        &app,
        &dev,
        "a",
        StackProps {
            description: Some("A stack".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let p = s
        .add_parameter(
            "Size",
            Parameter::number()
                .default_value("1")
                .description("How many"),
        )
        .unwrap();
    let is_big = s
        .add_condition("IsBig", Expr::not(Expr::equals(p.clone(), "1")))
        .unwrap();
    let sizes = s
        .add_mapping(
            "Sizes",
            [(
                "dev".to_owned(),
                [("n".to_owned(), Expr::from(1))].into_iter().collect(),
            )]
            .into_iter()
            .collect(),
        )
        .unwrap();
    let t = s
        .root()
        .add_with(
            "T",
            Topic {
                extra: Some(Expr::if_(
                    &is_big,
                    Expr::find_in_map(&sizes, "dev", "n"),
                    Expr::no_value(),
                )),
                ..Default::default()
            },
            ResourceOptions {
                condition: Some(is_big.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    s.add_output(
        "TopicArn",
        Output::new(t.ref_())
            .description("the topic")
            .export("shop-topic"),
    )
    .unwrap();
    // Outputs are a namespace of their own in CloudFormation: an output may share a
    // parameter's or resource's name, not another output's.
    s.add_output("Size", Output::new("x")).unwrap();
    let err = message(s.add_output("TopicArn", Output::new("x")).unwrap_err());
    assert!(err.contains("already used by another output"), "{err}");
    app.add_stack(s).unwrap();
    let tpl = template(&app, "dev", "a");
    assert_eq!(tpl["Description"], json!("A stack"));
    assert_eq!(
        tpl["Parameters"]["Size"],
        json!({"Type": "Number", "Description": "How many", "Default": "1"})
    );
    assert_eq!(
        tpl["Conditions"]["IsBig"],
        json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "Size"}, "1"]}]})
    );
    assert_eq!(tpl["Mappings"]["Sizes"], json!({"dev": {"n": 1}}));
    assert_eq!(tpl["Resources"]["T"]["Condition"], json!("IsBig"));
    assert_eq!(
        tpl["Outputs"]["TopicArn"]["Export"]["Name"],
        json!("shop-topic")
    );
}

#[test]
fn duplicate_export_names_are_an_error() {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    for name in ["a", "b"] {
        let mut s = stack(&app, &dev, name);
        s.add_output("X", Output::new("v").export("same")).unwrap();
        app.add_stack(s).unwrap();
    }
    let err = message(app.synth().unwrap_err());
    assert!(
        err.contains("`same` is used by `a/Outputs/X` and `b/Outputs/X`"),
        "{err}"
    );
}

#[test]
fn duplicate_stacks_are_an_error() {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    let a = stack(&app, &dev, "a");
    let a2 = stack(&app, &dev, "a");
    app.add_stack(a).unwrap();
    assert!(message(app.add_stack(a2).unwrap_err()).contains("added twice"));
}

#[test]
fn resource_limit_is_an_error_and_ninety_percent_a_warning() {
    let build = |n: usize| {
        let mut app = App::new("shop");
        let dev = Environment::new("dev");
        let mut s = stack(&app, &dev, "big");
        for i in 0..n {
            s.root().add(&format!("T{i}"), Topic::default()).unwrap();
        }
        app.add_stack(s).unwrap();
        app.synth()
    };
    let asm = build(450).unwrap();
    assert!(
        asm.warnings
            .iter()
            .any(|w| w.message.contains("resources: 450 is at least 90%")),
        "{:?}",
        asm.warnings
    );
    assert!(
        asm.warnings
            .iter()
            .any(|w| w.message.contains("deploy needs an S3 bucket")),
        "{:?}",
        asm.warnings
    );
    let err = message(build(501).unwrap_err());
    assert!(
        err.contains("resources: 501 exceeds CloudFormation's limit of 500"),
        "{err}"
    );
}

#[test]
fn suppressions_are_recorded_for_guard_with_reasons_and_need_a_reason() {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    let mut s = stack(&app, &dev, "a");
    let mut root = s.root();
    let mut svc = root.child("Svc").unwrap();
    svc.suppress("SNS_ENCRYPTED", "test topic").unwrap();
    let err = message(svc.suppress("SNS_ENCRYPTED", "  ").unwrap_err());
    assert!(err.contains("reason is empty"), "{err}");
    let suppressed = svc.add("Resource", Topic::default()).unwrap();
    root.add("Other", Topic::default()).unwrap();
    app.add_stack(s).unwrap();
    let tpl = template(&app, "dev", "a");
    let meta = &tpl["Resources"][suppressed.logical_id()]["Metadata"];
    assert_eq!(meta["guard"], json!({"SuppressedRules": ["SNS_ENCRYPTED"]}));
    assert_eq!(
        meta["stackforge:suppressions"][0]["reason"],
        json!("test topic")
    );
    assert!(tpl["Resources"]["Other"]["Metadata"].get("guard").is_none());
}

#[test]
fn a_suppression_names_a_known_rule_that_may_be_suppressed() {
    let mut app = App::new("shop");
    app.register_rule("TEAM_NAMING").unwrap();
    let dev = Environment::new("dev");
    let mut s = stack(&app, &dev, "a");
    let mut root = s.root();
    let typo = message(root.suppress("SNS_ENCRYPTD", "typo").unwrap_err());
    assert!(
        typo.contains("`a`")
            && typo.contains("no policy rule has this id")
            && typo.contains("did you mean SNS_ENCRYPTED"),
        "{typo}"
    );
    let unknown = message(root.suppress("NOT_A_RULE_AT_ALL_REALLY", "x").unwrap_err());
    assert!(
        unknown.contains("S3_TLS_ONLY") && unknown.contains("TEAM_NAMING"),
        "lists the known ids: {unknown}"
    );
    let critical = message(root.suppress("RDS_NOT_PUBLIC", "demo").unwrap_err());
    assert!(critical.contains("cannot be suppressed"), "{critical}");
    root.suppress("TEAM_NAMING", "legacy names").unwrap();
    let bad = message(app.register_rule("S3_TLS_ONLY").unwrap_err());
    assert!(bad.contains("built-in"), "{bad}");
}

struct RequireDisplayName;

impl Aspect for RequireDisplayName {
    fn visit(&self, r: &mut ResourceView<'_>) -> Result<(), String> {
        if r.type_name == "AWS::SNS::Topic" && !r.properties.contains_key("DisplayName") {
            r.properties.insert("DisplayName", Expr::str("default"));
        }
        if r.logical_id == "Bad" {
            return Err("topics called Bad are not allowed".into());
        }
        Ok(())
    }
}

#[test]
fn aspects_visit_and_mutate_every_resource_and_can_fail_synth() {
    let mut app = App::new("shop");
    app.add_aspect(RequireDisplayName);
    let dev = Environment::new("dev");
    let mut s = stack(&app, &dev, "a");
    s.root().add("T", Topic::default()).unwrap();
    app.add_stack(s).unwrap();
    assert_eq!(
        template(&app, "dev", "a")["Resources"]["T"]["Properties"]["DisplayName"],
        json!("default")
    );

    let mut s = stack(&app, &dev, "b");
    s.root().add("Bad", Topic::default()).unwrap();
    app.add_stack(s).unwrap();
    let err = message(app.synth().unwrap_err());
    assert!(
        err.contains("`b/Bad`: topics called Bad are not allowed"),
        "{err}"
    );
}

#[test]
fn raw_resources_of_unknown_types_synthesize_with_a_warning() {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    let mut s = stack(&app, &dev, "a");
    // A registry extension: the schema index cannot know it, so synth says so once.
    s.root()
        .add_raw(
            "X",
            RawResource::new("MyOrg::Thing::Widget").prop("Size", 3),
            ResourceOptions::default(),
        )
        .unwrap();
    // A custom resource takes any properties: nothing to say.
    s.root()
        .add_raw(
            "Seeder",
            RawResource::new("Custom::Thing").prop("ServiceToken", "arn:aws:lambda:x"),
            ResourceOptions::default(),
        )
        .unwrap();
    app.add_stack(s).unwrap();
    let asm = app.synth().unwrap();
    assert!(asm.warnings.iter().any(|w| w.location == "a/X"
        && w.message
            .contains("`MyOrg::Thing::Widget` is not in the schemas of cfn-lint 1.58.0")));
    assert_eq!(asm.warnings.len(), 1, "{:?}", asm.warnings);
}

#[test]
fn synthesis_is_deterministic_to_the_byte() {
    let build = || {
        let mut app = App::new("shop");
        let dev = Environment::new("dev");
        let mut a = stack(&app, &dev, "a");
        let mut b = stack(&app, &dev, "b");
        for i in 0..50 {
            let t = a.root().add(&format!("T{i}"), Topic::default()).unwrap();
            b.root()
                .add(
                    &format!("U{i}"),
                    Topic {
                        extra: Some(t.ref_()),
                        ..Default::default()
                    },
                )
                .unwrap();
        }
        app.add_stack(a).unwrap();
        app.add_stack(b).unwrap();
        let asm = app.synth().unwrap();
        asm.environments[0]
            .stacks
            .iter()
            .map(|s| s.body().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(build(), build());
}

#[test]
fn tags_go_to_taggable_types_in_their_shape_and_not_elsewhere() {
    use stackforge_constructs::resources::{backup, ec2};
    let mut app = App::new("shop");
    app.add_tag("team", "platform");
    let dev = Environment::new("dev");
    let mut tags = IndexMap::new();
    tags.insert("cost-center".to_owned(), "42".to_owned());
    let mut s = Stack::new(
        &app,
        &dev,
        "a",
        StackProps {
            tags,
            ..Default::default()
        },
    )
    .unwrap();
    let mut root = s.root();
    root.add("Topic", Topic::default()).unwrap();
    root.add("Vault", backup::BackupVault::new("vault"))
        .unwrap();
    root.add(
        "Sg",
        ec2::SecurityGroup {
            tags: Some(vec![stackforge_constructs::Tag::new("env", "mine")]),
            ..ec2::SecurityGroup::new("sg")
        },
    )
    .unwrap();
    root.add("Ingress", ec2::SecurityGroupIngress::new("tcp"))
        .unwrap();
    app.add_stack(s).unwrap();
    let t = template(&app, "dev", "a");
    let r = &t["Resources"];
    assert_eq!(
        r["Topic"]["Properties"]["Tags"],
        json!([
            {"Key": "app", "Value": "shop"}, {"Key": "env", "Value": "dev"}, {"Key": "stack", "Value": "a"},
            {"Key": "team", "Value": "platform"}, {"Key": "cost-center", "Value": "42"}
        ])
    );
    assert_eq!(
        r["Vault"]["Properties"]["BackupVaultTags"],
        json!({"app": "shop", "env": "dev", "stack": "a", "team": "platform", "cost-center": "42"})
    );
    let sg_tags = r["Sg"]["Properties"]["Tags"].as_array().unwrap();
    assert_eq!(
        sg_tags[0],
        json!({"Key": "env", "Value": "mine"}),
        "a tag the resource sets wins"
    );
    assert_eq!(sg_tags.iter().filter(|t| t["Key"] == "env").count(), 1);
    assert!(
        r["Ingress"]["Properties"].get("Tags").is_none(),
        "SecurityGroupIngress takes no tags"
    );
}

#[test]
fn raw_resources_are_validated_against_their_schema_naming_stack_path_and_property() {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    let mut s = stack(&app, &dev, "a");
    let mut root = s.root();
    root.add_raw(
        "Vpc",
        RawResource::new("AWS::EC2::VPC")
            .prop("CidrBlok", "10.0.0.0/16")
            .prop("InstanceTenancy", "shared"),
        ResourceOptions::default(),
    )
    .unwrap();
    // CloudFormation turns numbers into strings, but not lists.
    root.add_raw(
        "Subnet",
        RawResource::new("AWS::EC2::Subnet").prop("CidrBlock", Expr::list(["10.0.0.0/24"])),
        ResourceOptions::default(),
    )
    .unwrap();
    // An intrinsic function is accepted wherever a value is.
    root.add_raw(
        "Ok",
        RawResource::new("AWS::EC2::Subnet")
            .prop("VpcId", Expr::local_ref("Vpc"))
            .prop(
                "CidrBlock",
                Expr::select(0, Expr::cidr("10.0.0.0/16", 2, 8)),
            ),
        ResourceOptions::default(),
    )
    .unwrap();
    app.add_stack(s).unwrap();
    let err = app.synth().unwrap_err();
    let all: Vec<String> = err.errors().iter().map(|e| e.to_string()).collect();
    let text = all.join("\n");
    assert!(
        text.contains("`a/Vpc` (AWS::EC2::VPC): property `CidrBlok`") && text.contains("CidrBlock"),
        "unknown property, with a suggestion: {text}"
    );
    assert!(
        text.contains("`a/Vpc` (AWS::EC2::VPC): property `InstanceTenancy`"),
        "value outside the enum: {text}"
    );
    assert!(
        text.contains("`a/Subnet` (AWS::EC2::Subnet): property `VpcId`"),
        "missing required property: {text}"
    );
    assert!(
        text.contains("`a/Subnet` (AWS::EC2::Subnet): property `CidrBlock`"),
        "wrong JSON type: {text}"
    );
    assert!(!text.contains("a/Ok"), "{text}");
    assert_eq!(all.len(), 4, "{text}");
}
