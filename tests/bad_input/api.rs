//! Misuse of the construct API, found when `synth` runs.

use serde_json::{json, Value};
use stackforge_constructs::aws::cloudwatch::{
    AlarmProps, AlarmSet, AlarmSetProps, ComparisonOperator, Metric,
};
use stackforge_constructs::aws::ec2::{SubnetGroup, Vpc, VpcProps};
use stackforge_constructs::aws::logs::{LogGroup, LogGroupProps};
use stackforge_constructs::aws::sns::{Topic, TopicProps};
use stackforge_constructs::aws::sqs::{Queue, QueueProps};
use stackforge_constructs::{
    App, ConditionRef, Environment, Error, Expr, Output, Parameter, ParameterType, RawResource,
    Reference, ResourceOptions, Scope, Stack, StackProps,
};

use crate::harness::{Case, Factory};

type Build = dyn Fn(&mut App, &mut Stack) -> Result<(), Error> + Send + Sync;

/// An app `hard` with the environment `dev` and the stack `main`, built by `build`.
pub fn app_with(props: StackProps, build: Box<Build>) -> Factory {
    Box::new(move || {
        let mut app = App::new("hard");
        let dev = Environment::new("dev");
        let mut stack = Stack::new(&app, &dev, "main", props.clone())?;
        build(&mut app, &mut stack)?;
        app.add_stack(stack)?;
        Ok(app)
    })
}

/// [`app_with`] with default stack props.
pub fn app(
    build: impl Fn(&mut App, &mut Stack) -> Result<(), Error> + Send + Sync + 'static,
) -> Factory {
    app_with(StackProps::default(), Box::new(build))
}

/// A valid app: one KMS-encrypted topic.
pub fn good_app() -> Factory {
    app(|_, stack| {
        Topic::new(&mut stack.root(), "Alerts", TopicProps::default())?;
        Ok(())
    })
}

/// Adds a raw resource with a fixed logical ID, its properties given as template JSON.
pub fn raw(scope: &mut Scope<'_>, id: &str, type_name: &str, props: Value) -> Result<(), Error> {
    raw_with(scope, id, type_name, props, ResourceOptions::default())
}

fn raw_with(
    scope: &mut Scope<'_>,
    id: &str,
    type_name: &str,
    props: Value,
    mut options: ResourceOptions,
) -> Result<(), Error> {
    let mut r = RawResource::new(type_name);
    for (k, v) in props.as_object().cloned().unwrap_or_default() {
        r = r.prop(&k, v);
    }
    options.logical_id = Some(id.to_owned());
    scope.add_raw(id, r, options).map(|_| ())
}

/// A raw log group whose `LogGroupName` is `value`.
fn log_group_named(value: Value) -> Factory {
    app(move |_, stack| {
        raw(
            &mut stack.root(),
            "L",
            "AWS::Logs::LogGroup",
            json!({ "LogGroupName": value.clone() }),
        )
    })
}

/// `synth` of an app built wrongly: the app fails validation, exit 1 (the README's "failure
/// found"; 2 is for command-line and file input).
fn synth(name: &str, app: Factory, needles: &[&str]) -> Case {
    Case::new(name, app, &["synth", "--out", "{out}"], 1, needles)
}

fn param(f: impl Fn(&mut Parameter) + Send + Sync + 'static) -> Factory {
    app(move |_, stack| {
        let mut p = Parameter::new(ParameterType::String);
        f(&mut p);
        stack.add_parameter("Size", p)?;
        Topic::new(&mut stack.root(), "Alerts", TopicProps::default()).map(|_| ())
    })
}

fn queue(f: impl Fn(&mut QueueProps) + Send + Sync + 'static) -> Factory {
    app(move |_, stack| {
        let mut props = QueueProps::default();
        f(&mut props);
        Queue::new(&mut stack.root(), "Jobs", props)?;
        Ok(())
    })
}

fn alarm(f: impl Fn(&mut AlarmProps) + Send + Sync + 'static) -> Factory {
    app(move |_, stack| {
        let metric = Metric::new("AWS/SQS", "ApproximateNumberOfMessagesVisible")
            .dimension("QueueName", "jobs");
        let mut a = AlarmProps::new(
            "jobs-backlog",
            "Jobs pile up",
            metric,
            ComparisonOperator::GreaterThanThreshold,
            100.0,
        );
        f(&mut a);
        AlarmSet::new(
            &mut stack.root(),
            "Alarms",
            AlarmSetProps {
                alarms: vec![a],
                ..Default::default()
            },
        )?;
        Ok(())
    })
}

fn vpc(f: impl Fn(&mut VpcProps) + Send + Sync + 'static) -> Factory {
    app(move |_, stack| {
        let mut props = VpcProps::default();
        f(&mut props);
        Vpc::new(&mut stack.root(), "Vpc", props)?;
        Ok(())
    })
}

fn log_group(days: u32) -> Factory {
    app(move |_, stack| {
        LogGroup::new(
            &mut stack.root(),
            "Logs",
            LogGroupProps {
                retention_days: days,
                ..Default::default()
            },
        )?;
        Ok(())
    })
}

/// Nested lists `depth` deep, built without recursion.
fn deep_expr(depth: usize) -> Expr {
    let mut e = Expr::str("x");
    for _ in 0..depth {
        e = Expr::list([e]);
    }
    e
}

fn stack_props(f: impl Fn(&mut StackProps)) -> StackProps {
    let mut p = StackProps::default();
    f(&mut p);
    p
}

pub fn cases() -> Vec<Case> {
    let long = "x".repeat(300);
    let _ = &long;
    let mut v = vec![
        // Ids and names.
        synth(
            "duplicate construct id",
            app(|_, s| {
                let mut root = s.root();
                Topic::new(&mut root, "T", TopicProps::default())?;
                Topic::new(&mut root, "T", TopicProps::default())?;
                Ok(())
            }),
            &["T", "already used"],
        ),
        synth(
            "empty construct id",
            app(|_, s| Topic::new(&mut s.root(), "", TopicProps::default()).map(|_| ())),
            &["id", "empty"],
        ),
        synth(
            "construct id with a slash",
            app(|_, s| Topic::new(&mut s.root(), "a/b", TopicProps::default()).map(|_| ())),
            &["a/b", "/"],
        ),
        synth(
            "resource id without letters or digits at the stack root",
            app(|_, s| {
                s.root()
                    .add_raw(
                        "---",
                        RawResource::new("AWS::SQS::Queue"),
                        ResourceOptions::default(),
                    )
                    .map(|_| ())
            }),
            &["main/---", "no logical ID", "letters or digits"],
        ),
        synth(
            "construct id with a control character",
            app(|_, s| Topic::new(&mut s.root(), "Al\u{7}erts", TopicProps::default()).map(|_| ())),
            &["control"],
        ),
        synth(
            "hidden id at the stack root",
            app(|_, s| {
                s.root()
                    .add_raw(
                        "Default",
                        RawResource::new("AWS::SQS::Queue"),
                        ResourceOptions::default(),
                    )
                    .map(|_| ())
            }),
            &["main/Default", "no logical ID", "Default"],
        ),
        synth(
            "duplicate stack",
            Box::new(|| {
                let mut app = App::new("hard");
                let dev = Environment::new("dev");
                let a = Stack::new(&app, &dev, "main", StackProps::default())?;
                let b = Stack::new(&app, &dev, "main", StackProps::default())?;
                app.add_stack(a)?;
                app.add_stack(b)?;
                Ok(app)
            }),
            &["main", "added twice"],
        ),
        synth(
            "stack name with a space",
            Box::new(|| {
                let app = App::new("hard");
                Stack::new(
                    &app,
                    &Environment::new("dev"),
                    "my stack",
                    StackProps::default(),
                )?;
                Ok(app)
            }),
            &["my stack", "stack"],
        ),
        synth(
            "stack name too long",
            Box::new(|| {
                let app = App::new("hard");
                Stack::new(
                    &app,
                    &Environment::new("dev"),
                    &"s".repeat(130),
                    StackProps::default(),
                )?;
                Ok(app)
            }),
            &["sss", "128"],
        ),
        synth(
            "empty app name",
            Box::new(|| {
                let app = App::new("");
                Stack::new(
                    &app,
                    &Environment::new("dev"),
                    "main",
                    StackProps::default(),
                )?;
                Ok(app)
            }),
            &["app", "empty"],
        ),
        synth(
            "environment name with a slash",
            Box::new(|| {
                let app = App::new("hard");
                Stack::new(
                    &app,
                    &Environment::new("dev/eu"),
                    "main",
                    StackProps::default(),
                )?;
                Ok(app)
            }),
            &["dev/eu", "environment"],
        ),
        synth(
            "explicit logical id with a dash",
            app(|_, s| raw(&mut s.root(), "my-queue", "AWS::SQS::Queue", json!({}))),
            &["my-queue", "logical id"],
        ),
        synth(
            "override of a logical id with a dash",
            app(|_, s| {
                Topic::new(&mut s.root(), "Alerts", TopicProps::default())?;
                s.override_logical_id("main/Alerts/Resource", "bad-id")
            }),
            &["bad-id", "logical id"],
        ),
        synth(
            "rename matching nothing",
            app(|_, s| {
                Topic::new(&mut s.root(), "Alerts", TopicProps::default())?;
                s.rename_logical_id("Nope1234", "Alerts")
            }),
            &["Nope1234", "matches no resource"],
        ),
        synth(
            "declared move to a path holding nothing",
            app(|app, s| {
                Topic::new(&mut s.root(), "Alerts", TopicProps::default())?;
                app.declare_move("main/Alarms", "main/Alrts")
            }),
            &[
                "app.declare_move",
                "main/Alrts",
                "matches no resource",
                "main/Alerts",
            ],
        ),
        synth(
            "declared rename to a path holding nothing",
            app(|_, s| {
                Topic::new(&mut s.root(), "Alerts", TopicProps::default())?;
                s.declare_rename("main/Old", "main/New")
            }),
            &["stack.declare_rename", "main/New", "matches no resource"],
        ),
        // Stacks.
        synth(
            "stack without resources",
            app(|_, _| Ok(())),
            &["dev-main", "no resources", "add a construct"],
        ),
        synth(
            "second stack without resources",
            Box::new(|| {
                let mut app = App::new("hard");
                let dev = Environment::new("dev");
                let mut main = Stack::new(&app, &dev, "main", StackProps::default())?;
                Topic::new(&mut main.root(), "Alerts", TopicProps::default())?;
                app.add_stack(main)?;
                let spare = Stack::new(&app, &dev, "spare", StackProps::default())?;
                app.add_stack(spare)?;
                Ok(app)
            }),
            &["dev-spare", "no resources", "remove the stack"],
        ),
        // References.
        synth(
            "Ref to a missing resource",
            app(|_, s| {
                raw(
                    &mut s.root(),
                    "Q",
                    "AWS::SQS::Queue",
                    json!({"QueueName": {"Ref": "Nope"}}),
                )
            }),
            &["Nope", "does not exist", "Q"],
        ),
        synth(
            "GetAtt of a missing resource",
            app(|_, s| {
                raw(
                    &mut s.root(),
                    "Q",
                    "AWS::SQS::Queue",
                    json!({"QueueName": {"Fn::GetAtt": ["Nope", "Arn"]}}),
                )
            }),
            &["Nope", "does not exist", "Q"],
        ),
        synth(
            "GetAtt of an attribute the type lacks",
            app(|_, s| {
                let mut root = s.root();
                raw(&mut root, "A", "AWS::SQS::Queue", json!({}))?;
                raw(
                    &mut root,
                    "B",
                    "AWS::SQS::Queue",
                    json!({"QueueName": {"Fn::GetAtt": ["A", "NoSuchAttribute"]}}),
                )
            }),
            &["NoSuchAttribute", "attribute", "B"],
        ),
        synth(
            "Sub placeholder naming nothing",
            app(|_, s| {
                raw(
                    &mut s.root(),
                    "Q",
                    "AWS::SQS::Queue",
                    json!({"QueueName": {"Fn::Sub": "q-${Nope}"}}),
                )
            }),
            &["Nope", "Fn::Sub", "Q"],
        ),
        synth(
            "Sub placeholder of a missing attribute",
            app(|_, s| {
                let mut root = s.root();
                raw(&mut root, "A", "AWS::SQS::Queue", json!({}))?;
                raw(
                    &mut root,
                    "B",
                    "AWS::SQS::Queue",
                    json!({"QueueName": {"Fn::Sub": "q-${A.Nope}"}}),
                )
            }),
            &["Nope", "attribute", "B"],
        ),
        synth(
            "Expr::sub placeholder naming nothing",
            app(|_, s| {
                let r = RawResource::new("AWS::SQS::Queue").prop(
                    "QueueName",
                    Expr::sub("q-${Missing}", Vec::<(&str, Expr)>::new()),
                );
                s.root()
                    .add_raw("Q", r, ResourceOptions::default())
                    .map(|_| ())
            }),
            &["Missing", "Fn::Sub"],
        ),
        synth(
            "malformed GetAtt from JSON",
            app(|_, s| {
                raw(
                    &mut s.root(),
                    "Q",
                    "AWS::SQS::Queue",
                    json!({"QueueName": {"Fn::GetAtt": 42}}),
                )
            }),
            &["Fn::GetAtt", "QueueName"],
        ),
        synth(
            "malformed Ref from JSON",
            app(|_, s| {
                raw(
                    &mut s.root(),
                    "Q",
                    "AWS::SQS::Queue",
                    json!({"QueueName": {"Ref": ["a", "b"]}}),
                )
            }),
            &["Ref", "QueueName"],
        ),
        synth(
            "unknown intrinsic from JSON",
            app(|_, s| {
                raw(
                    &mut s.root(),
                    "Q",
                    "AWS::SQS::Queue",
                    json!({"QueueName": {"Fn::Bogus": "x"}}),
                )
            }),
            &["Fn::Bogus", "QueueName"],
        ),
        synth(
            "Fn::If with two arguments from JSON",
            app(|_, s| {
                raw(
                    &mut s.root(),
                    "Q",
                    "AWS::SQS::Queue",
                    json!({"QueueName": {"Fn::If": ["C", "a"]}}),
                )
            }),
            &["Fn::If", "QueueName"],
        ),
        synth(
            "DependsOn a missing resource",
            app(|_, s| {
                let options = ResourceOptions {
                    depends_on: vec![Reference::local("Nope")],
                    ..Default::default()
                };
                raw_with(&mut s.root(), "Q", "AWS::SQS::Queue", json!({}), options)
            }),
            &["Nope", "DependsOn", "Q"],
        ),
        synth(
            "DependsOn cycle",
            app(|_, s| {
                let mut root = s.root();
                let a = ResourceOptions {
                    depends_on: vec![Reference::local("B")],
                    ..Default::default()
                };
                let b = ResourceOptions {
                    depends_on: vec![Reference::local("A")],
                    ..Default::default()
                };
                raw_with(&mut root, "A", "AWS::SQS::Queue", json!({}), a)?;
                raw_with(&mut root, "B", "AWS::SQS::Queue", json!({}), b)
            }),
            &["cycle", "A", "B"],
        ),
        synth(
            "DependsOn itself",
            app(|_, s| {
                let a = ResourceOptions {
                    depends_on: vec![Reference::local("A")],
                    ..Default::default()
                };
                raw_with(&mut s.root(), "A", "AWS::SQS::Queue", json!({}), a)
            }),
            &["itself", "A"],
        ),
        synth(
            "Ref cycle between resources",
            app(|_, s| {
                let mut root = s.root();
                raw(
                    &mut root,
                    "A",
                    "AWS::SQS::Queue",
                    json!({"QueueName": {"Fn::GetAtt": ["B", "QueueName"]}}),
                )?;
                raw(
                    &mut root,
                    "B",
                    "AWS::SQS::Queue",
                    json!({"QueueName": {"Fn::GetAtt": ["A", "QueueName"]}}),
                )
            }),
            &["cycle", "A", "B"],
        ),
        synth(
            "resource condition that does not exist",
            app(|_, s| {
                let options = ResourceOptions {
                    condition: Some(ConditionRef::local("IsProd")),
                    ..Default::default()
                };
                raw_with(&mut s.root(), "Q", "AWS::SQS::Queue", json!({}), options)
            }),
            &["IsProd", "condition", "Q"],
        ),
        synth(
            "output condition that does not exist",
            app(|_, s| {
                Topic::new(&mut s.root(), "Alerts", TopicProps::default())?;
                let mut o = Output::new(Expr::str("x"));
                o.condition = Some("IsProd".into());
                s.add_output("Out", o)
            }),
            &["IsProd", "condition", "Out"],
        ),
        synth(
            "Fn::If on a condition that does not exist",
            app(|_, s| {
                raw(
                    &mut s.root(),
                    "Q",
                    "AWS::SQS::Queue",
                    json!({"QueueName": {"Fn::If": ["IsProd", "a", "b"]}}),
                )
            }),
            &["IsProd", "condition", "Q"],
        ),
        synth(
            "output Ref to a missing resource",
            app(|_, s| s.add_output("Out", Output::new(Expr::local_ref("Nope")))),
            &["Nope", "does not exist", "Out"],
        ),
        // Parameters.
        synth(
            "parameter default outside AllowedValues",
            param(|p| {
                p.default = Some("huge".into());
                p.allowed_values = vec!["small".into(), "large".into()];
            }),
            &["Size", "huge", "AllowedValues"],
        ),
        synth(
            "parameter default not matching its pattern",
            param(|p| {
                p.default = Some("abc".into());
                p.allowed_pattern = Some("[0-9]+".into());
            }),
            &["Size", "abc", "pattern"],
        ),
        synth(
            "parameter default shorter than MinLength",
            param(|p| {
                p.default = Some("ab".into());
                p.min_length = Some(5);
            }),
            &["Size", "MinLength"],
        ),
        synth(
            "parameter default longer than MaxLength",
            param(|p| {
                p.default = Some("abcdef".into());
                p.max_length = Some(3);
            }),
            &["Size", "MaxLength"],
        ),
        synth(
            "parameter MinLength above MaxLength",
            param(|p| {
                p.min_length = Some(10);
                p.max_length = Some(3);
            }),
            &["Size", "MinLength"],
        ),
        synth(
            "parameter default above MaxValue",
            Box::new(|| {
                let mut app = App::new("hard");
                let mut s = Stack::new(
                    &app,
                    &Environment::new("dev"),
                    "main",
                    StackProps::default(),
                )?;
                let mut p = Parameter::new(ParameterType::Number);
                p.default = Some("500".into());
                p.max_value = Some(100.0);
                s.add_parameter("Size", p)?;
                Topic::new(&mut s.root(), "Alerts", TopicProps::default())?;
                app.add_stack(s)?;
                Ok(app)
            }),
            &["Size", "MaxValue"],
        ),
        synth(
            "number parameter with a text default",
            Box::new(|| {
                let mut app = App::new("hard");
                let mut s = Stack::new(
                    &app,
                    &Environment::new("dev"),
                    "main",
                    StackProps::default(),
                )?;
                let mut p = Parameter::new(ParameterType::Number);
                p.default = Some("lots".into());
                s.add_parameter("Size", p)?;
                Topic::new(&mut s.root(), "Alerts", TopicProps::default())?;
                app.add_stack(s)?;
                Ok(app)
            }),
            &["Size", "lots", "number"],
        ),
        // No "pattern that is not a regex" case: CloudFormation reads AllowedPattern as a Java
        // regex, and a pattern no Rust engine reads may still be valid there (see integrity.rs).
        synth(
            "parameter name with a dash",
            app(|_, s| {
                s.add_parameter("my-param", Parameter::new(ParameterType::String))
                    .map(|_| ())
            }),
            &["my-param", "parameter"],
        ),
        synth(
            "output name with a dash",
            app(|_, s| s.add_output("my-out", Output::new(Expr::str("x")))),
            &["my-out", "output"],
        ),
        synth(
            "parameter description too long",
            param(|p| {
                p.description = Some("d".repeat(5000));
            }),
            &["Size", "Description", "4000"],
        ),
        // Raw resources against their schema.
        synth(
            "raw resource with an unknown property",
            app(|_, s| {
                raw(
                    &mut s.root(),
                    "Q",
                    "AWS::SQS::Queue",
                    json!({"QueueNam": "x"}),
                )
            }),
            &["QueueNam", "Q"],
        ),
        synth(
            "raw resource property of the wrong type",
            app(|_, s| {
                raw(
                    &mut s.root(),
                    "Q",
                    "AWS::SQS::Queue",
                    json!({"DelaySeconds": "soon"}),
                )
            }),
            &["DelaySeconds", "Q"],
        ),
        synth(
            "raw resource number out of range",
            app(|_, s| {
                raw(
                    &mut s.root(),
                    "Q",
                    "AWS::SQS::Queue",
                    json!({"DelaySeconds": 100000}),
                )
            }),
            &["DelaySeconds", "Q"],
        ),
        synth(
            "raw resource type not of the AWS::Service::Resource form",
            app(|_, s| raw(&mut s.root(), "Q", "Queue", json!({}))),
            &["Queue", "type"],
        ),
        synth(
            "raw log group name with a control character",
            log_group_named(json!("jobs\u{1}")),
            &["LogGroupName", "L"],
        ),
        synth(
            "raw log group name too long",
            log_group_named(json!("l".repeat(600))),
            &["LogGroupName", "L"],
        ),
        // Construct props: numbers.
        synth(
            "queue retention below the minimum",
            queue(|p| p.retention_seconds = 10),
            &["Jobs", "retention"],
        ),
        synth(
            "queue retention u32::MAX",
            queue(|p| p.retention_seconds = u32::MAX),
            &["Jobs", "retention"],
        ),
        synth(
            "queue visibility timeout u32::MAX",
            queue(|p| p.visibility_timeout_seconds = u32::MAX),
            &["Jobs", "visibility"],
        ),
        synth(
            "queue receive wait over 20",
            queue(|p| p.receive_wait_seconds = 21),
            &["Jobs", "receive"],
        ),
        synth(
            "queue max receive count 0",
            queue(|p| p.max_receive_count = 0),
            &["Jobs", "receive"],
        ),
        synth(
            "queue max receive count u32::MAX",
            queue(|p| p.max_receive_count = u32::MAX),
            &["Jobs", "receive"],
        ),
        synth(
            "dead-letter retention u32::MAX",
            queue(|p| p.dead_letter_retention_seconds = u32::MAX),
            &["Jobs", "retention"],
        ),
        synth(
            "queue name with a space",
            queue(|p| p.name = Some("my jobs".into())),
            &["Jobs", "name"],
        ),
        synth(
            "queue name too long",
            queue(|p| p.name = Some("q".repeat(100))),
            &["Jobs", "name"],
        ),
        synth(
            "log retention not a CloudWatch value",
            log_group(8),
            &["Logs", "retention"],
        ),
        synth(
            "log retention u32::MAX",
            log_group(u32::MAX),
            &["Logs", "retention"],
        ),
        synth(
            "alarm period 7 seconds",
            alarm(|a| a.period = Some(7)),
            &["Alarms", "period"],
        ),
        synth(
            "alarm period u32::MAX",
            alarm(|a| a.period = Some(u32::MAX)),
            &["Alarms", "period"],
        ),
        synth(
            "alarm evaluation periods u32::MAX",
            alarm(|a| a.evaluation_periods = u32::MAX),
            &["Alarms", "evaluation"],
        ),
        synth(
            "alarm evaluation periods 0",
            alarm(|a| a.evaluation_periods = 0),
            &["Alarms", "evaluation"],
        ),
        synth(
            "alarm datapoints above evaluation periods",
            alarm(|a| a.datapoints_to_alarm = Some(5)),
            &["Alarms", "datapoints"],
        ),
        synth(
            "alarm threshold NaN",
            alarm(|a| a.threshold = f64::NAN),
            &["Alarms", "threshold"],
        ),
        synth(
            "alarm threshold infinite",
            alarm(|a| a.threshold = f64::INFINITY),
            &["Alarms", "threshold"],
        ),
        synth(
            "vpc with 0 AZs",
            vpc(|p| p.max_azs = 0),
            &["Vpc", "max_azs"],
        ),
        synth(
            "vpc with usize::MAX AZs",
            vpc(|p| p.max_azs = usize::MAX),
            &["Vpc", "max_azs"],
        ),
        synth(
            "vpc with more NAT gateways than AZs",
            vpc(|p| p.nat_gateways = usize::MAX),
            &["Vpc", "nat"],
        ),
        synth(
            "vpc CIDR not a CIDR",
            vpc(|p| p.cidr = "10.0.0.0/99".into()),
            &["Vpc", "cidr"],
        ),
        synth(
            "vpc subnet mask 255",
            vpc(|p| p.private_subnets = Some(SubnetGroup::new(255))),
            &["Vpc", "mask"],
        ),
        synth(
            "vpc subnet mask 0",
            vpc(|p| p.public_subnets = Some(SubnetGroup::new(0))),
            &["Vpc", "mask"],
        ),
        // Strings CloudFormation constrains.
        synth(
            "alarm name with a newline",
            alarm(|a| a.name = "jobs\nbacklog".into()),
            &["Alarms", "name"],
        ),
        synth(
            "alarm name empty",
            alarm(|a| a.name = String::new()),
            &["Alarms", "name"],
        ),
        synth(
            "alarm name 300 characters",
            alarm(|a| a.name = "a".repeat(300)),
            &["Alarms", "name"],
        ),
        synth(
            "alarm description 2000 characters",
            alarm(|a| a.description = "d".repeat(2000)),
            &["Alarms", "description"],
        ),
        synth(
            "topic name with a space",
            app(|_, s| {
                Topic::new(
                    &mut s.root(),
                    "Alerts",
                    TopicProps {
                        name: Some("my topic".into()),
                        ..Default::default()
                    },
                )
                .map(|_| ())
            }),
            &["Alerts", "name"],
        ),
        synth(
            "topic name 300 characters",
            app(move |_, s| {
                Topic::new(
                    &mut s.root(),
                    "Alerts",
                    TopicProps {
                        name: Some("t".repeat(300).into()),
                        ..Default::default()
                    },
                )
                .map(|_| ())
            }),
            &["Alerts", "name"],
        ),
        synth(
            "app tag with the reserved aws: prefix",
            Box::new(|| {
                let mut app = App::new("hard");
                app.add_tag("aws:owner", "me");
                let mut s = Stack::new(
                    &app,
                    &Environment::new("dev"),
                    "main",
                    StackProps::default(),
                )?;
                Topic::new(&mut s.root(), "Alerts", TopicProps::default())?;
                app.add_stack(s)?;
                Ok(app)
            }),
            &["aws:owner", "tag"],
        ),
        synth(
            "stack tag key of 200 characters",
            app_with(
                stack_props(|p| {
                    p.tags.insert("k".repeat(200), "v".into());
                }),
                Box::new(|_, s| {
                    Topic::new(&mut s.root(), "Alerts", TopicProps::default()).map(|_| ())
                }),
            ),
            &["kkkk", "tag", "128"],
        ),
        synth(
            "stack tag value of 300 characters",
            app_with(
                stack_props(|p| {
                    p.tags.insert("team".into(), "v".repeat(300));
                }),
                Box::new(|_, s| {
                    Topic::new(&mut s.root(), "Alerts", TopicProps::default()).map(|_| ())
                }),
            ),
            &["team", "tag", "256"],
        ),
        synth(
            "stack tag key with a control character",
            app_with(
                stack_props(|p| {
                    p.tags.insert("te\tam".into(), "x".into());
                }),
                Box::new(|_, s| {
                    Topic::new(&mut s.root(), "Alerts", TopicProps::default()).map(|_| ())
                }),
            ),
            &["tag", "character"],
        ),
        synth(
            "stack tag key empty",
            app_with(
                stack_props(|p| {
                    p.tags.insert(String::new(), "x".into());
                }),
                Box::new(|_, s| {
                    Topic::new(&mut s.root(), "Alerts", TopicProps::default()).map(|_| ())
                }),
            ),
            &["tag", "empty"],
        ),
        synth(
            "more than 50 tags",
            app_with(
                stack_props(|p| {
                    for i in 0..60 {
                        p.tags.insert(format!("tag{i}"), "x".into());
                    }
                }),
                Box::new(|_, s| {
                    Topic::new(&mut s.root(), "Alerts", TopicProps::default()).map(|_| ())
                }),
            ),
            &["tag", "50"],
        ),
        synth(
            "stack description of 2000 characters",
            app_with(
                stack_props(|p| {
                    p.description = Some("d".repeat(2000));
                }),
                Box::new(|_, s| {
                    Topic::new(&mut s.root(), "Alerts", TopicProps::default()).map(|_| ())
                }),
            ),
            &["main", "description", "1024"],
        ),
        synth(
            "stack description with a control character",
            app_with(
                stack_props(|p| {
                    p.description = Some("line\u{0}two".into());
                }),
                Box::new(|_, s| {
                    Topic::new(&mut s.root(), "Alerts", TopicProps::default()).map(|_| ())
                }),
            ),
            &["main", "description", "character"],
        ),
        // Limits and structure.
        synth(
            "501 resources in one stack",
            app(|_, s| {
                let mut root = s.root();
                for i in 0..501 {
                    raw(&mut root, &format!("Q{i}"), "AWS::SQS::Queue", json!({}))?;
                }
                Ok(())
            }),
            &["main", "500"],
        ),
        synth(
            "values nested 10000 deep",
            app(|_, s| {
                let r = RawResource::new("AWS::SQS::Queue").prop("QueueName", deep_expr(10_000));
                s.root()
                    .add_raw("Q", r, ResourceOptions::default())
                    .map(|_| ())
            }),
            &["Q", "deeper"],
        ),
        synth(
            "suppression of an unknown rule",
            app(|_, s| {
                let mut root = s.root();
                root.suppress("NO_SUCH_RULE", "because")?;
                Topic::new(&mut root, "Alerts", TopicProps::default()).map(|_| ())
            }),
            &["NO_SUCH_RULE", "rule"],
        ),
        synth(
            "suppression without a reason",
            app(|_, s| {
                let mut root = s.root();
                root.suppress("S3_TLS_ONLY", "")?;
                Topic::new(&mut root, "Alerts", TopicProps::default()).map(|_| ())
            }),
            &["S3_TLS_ONLY", "reason"],
        ),
        synth(
            "custom rule id with spaces",
            Box::new(|| {
                let mut app = App::new("hard");
                app.register_rule("my rule")?;
                Ok(app)
            }),
            &["my rule", "rule"],
        ),
        synth(
            "reference to a stack of another environment",
            Box::new(|| {
                let mut app = App::new("hard");
                let mut prod = Stack::new(
                    &app,
                    &Environment::new("prod"),
                    "data",
                    StackProps::default(),
                )?;
                let t = Topic::new(&mut prod.root(), "Alerts", TopicProps::default())?;
                let mut dev = Stack::new(
                    &app,
                    &Environment::new("dev"),
                    "main",
                    StackProps::default(),
                )?;
                dev.add_output("Arn", Output::new(t.arn()))?;
                app.add_stack(prod)?;
                app.add_stack(dev)?;
                Ok(app)
            }),
            &["prod", "dev", "environment"],
        ),
        synth(
            "reference to a stack not added",
            Box::new(|| {
                let mut app = App::new("hard");
                let mut other = Stack::new(
                    &app,
                    &Environment::new("dev"),
                    "other",
                    StackProps::default(),
                )?;
                let t = Topic::new(&mut other.root(), "Alerts", TopicProps::default())?;
                let mut dev = Stack::new(
                    &app,
                    &Environment::new("dev"),
                    "main",
                    StackProps::default(),
                )?;
                dev.add_output("Arn", Output::new(t.arn()))?;
                app.add_stack(dev)?;
                Ok(app)
            }),
            &["other", "add_stack"],
        ),
        synth(
            "stacks referencing each other",
            Box::new(|| {
                let mut app = App::new("hard");
                let dev = Environment::new("dev");
                let mut a = Stack::new(&app, &dev, "a", StackProps::default())?;
                let mut b = Stack::new(&app, &dev, "b", StackProps::default())?;
                let ta = Topic::new(&mut a.root(), "Alerts", TopicProps::default())?;
                let tb = Topic::new(&mut b.root(), "Alerts", TopicProps::default())?;
                a.add_output("Other", Output::new(tb.arn()))?;
                b.add_output("Other", Output::new(ta.arn()))?;
                app.add_stack(a)?;
                app.add_stack(b)?;
                Ok(app)
            }),
            &["cycle"],
        ),
        synth(
            "the factory itself fails",
            Box::new(|| {
                Err(Error::InvalidProps {
                    path: "main/Settings".into(),
                    field: "region".into(),
                    problem: "unknown region `mars-1`".into(),
                    fix: "use an AWS region".into(),
                })
            }),
            &["main/Settings", "mars-1"],
        ),
    ];
    let long2 = long.clone();
    v.push(synth(
        "alarm name 300 characters from a variable",
        alarm(move |a| a.name = long2.clone()),
        &["Alarms", "name"],
    ));
    v
}
