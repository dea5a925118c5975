//! Broken template files given to `check PATH`, `diff --against` and `deploy --templates`.

use crate::api::good_app;
use crate::harness::Case;

/// A template document with one queue `A` whose `QueueName` is `value` (JSON text).
fn queue_named(value: &str) -> String {
    format!(
        r#"{{"Resources": {{"A": {{"Type": "AWS::SQS::Queue", "Properties": {{"QueueName": {value}}}}}}}}}"#
    )
}

/// Nested JSON lists `depth` deep.
fn deep_json(depth: usize) -> String {
    format!(
        r#"{{"Resources": {{"A": {{"Type": "AWS::SQS::Queue", "Properties": {{"Tags": {}x{}}}}}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

/// (name, content, words the message must hold besides the file name).
fn documents() -> Vec<(&'static str, Vec<u8>, Vec<&'static str>)> {
    let deep_yaml = format!(
        "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n      Tags: {}x{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let laughs = {
        let mut s = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for i in 1..10 {
            let prev = (b'a' + i - 1) as char;
            let cur = (b'a' + i) as char;
            s.push_str(&format!("{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
        }
        s.push_str(
            "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n      Tags: *j\n",
        );
        s
    };
    vec![
        ("empty", b"".to_vec(), vec!["empty"]),
        ("whitespace only", b"  \n\n".to_vec(), vec!["empty"]),
        ("plain text", b"hello there".to_vec(), vec!["not a CloudFormation template"]),
        ("JSON list", b"[1, 2]".to_vec(), vec!["not a CloudFormation template"]),
        ("truncated JSON", b"{\"Resources\": {".to_vec(), vec!["JSON"]),
        ("invalid UTF-8", vec![0xff, 0xfe, b'{', 0x80], vec!["UTF-8"]),
        ("number out of range", queue_named("1e400").into_bytes(), vec!["number"]),
        ("Resources a list", br#"{"Resources": []}"#.to_vec(), vec!["Resources", "map"]),
        ("no resources", br#"{"Resources": {}}"#.to_vec(), vec!["Resources", "at least one"]),
        ("resource a number", br#"{"Resources": {"A": 1}}"#.to_vec(), vec!["Resources.A"]),
        ("resource without Type", br#"{"Resources": {"A": {"Properties": {}}}}"#.to_vec(), vec!["Resources.A", "Type"]),
        ("Type a number", br#"{"Resources": {"A": {"Type": 42}}}"#.to_vec(), vec!["Resources.A", "Type"]),
        ("Type a map", br#"{"Resources": {"A": {"Type": {"Fn::Sub": "AWS::SQS::Queue"}}}}"#.to_vec(), vec!["Resources.A", "Type"]),
        ("Type empty", br#"{"Resources": {"A": {"Type": ""}}}"#.to_vec(), vec!["Resources.A", "Type"]),
        ("Type not AWS::Service::Resource", br#"{"Resources": {"A": {"Type": "Queue"}}}"#.to_vec(), vec!["Resources.A", "Type"]),
        ("logical id with a dash", br#"{"Resources": {"my-queue": {"Type": "AWS::SQS::Queue"}}}"#.to_vec(), vec!["my-queue", "alphanumeric"]),
        ("Properties a list", br#"{"Resources": {"A": {"Type": "AWS::SQS::Queue", "Properties": []}}}"#.to_vec(), vec!["Resources.A", "Properties"]),
        ("GetAtt a number", queue_named(r#"{"Fn::GetAtt": 42}"#).into_bytes(), vec!["Resources.A.Properties.QueueName", "Fn::GetAtt"]),
        ("Ref a list", queue_named(r#"{"Ref": ["a", "b"]}"#).into_bytes(), vec!["Resources.A.Properties.QueueName", "Ref"]),
        ("Ref to nothing", queue_named(r#"{"Ref": "Nope"}"#).into_bytes(), vec!["Resources.A.Properties.QueueName", "Nope"]),
        ("GetAtt of nothing", queue_named(r#"{"Fn::GetAtt": ["Nope", "Arn"]}"#).into_bytes(), vec!["Resources.A.Properties.QueueName", "Nope"]),
        ("GetAtt dotted of nothing", queue_named(r#"{"Fn::GetAtt": "Nope.Arn"}"#).into_bytes(), vec!["Resources.A.Properties.QueueName", "Nope"]),
        ("Sub placeholder of nothing", queue_named(r#"{"Fn::Sub": "q-${Nope}"}"#).into_bytes(), vec!["Resources.A.Properties.QueueName", "Nope"]),
        ("Sub a number", queue_named(r#"{"Fn::Sub": 42}"#).into_bytes(), vec!["Resources.A.Properties.QueueName", "Fn::Sub"]),
        ("unknown intrinsic", queue_named(r#"{"Fn::Bogus": "x"}"#).into_bytes(), vec!["Resources.A.Properties.QueueName", "Fn::Bogus"]),
        ("If with two arguments", queue_named(r#"{"Fn::If": ["C", "a"]}"#).into_bytes(), vec!["Resources.A.Properties.QueueName", "Fn::If"]),
        ("If on a missing condition", queue_named(r#"{"Fn::If": ["C", "a", "b"]}"#).into_bytes(), vec!["Resources.A.Properties.QueueName", "C"]),
        ("Join not a list", queue_named(r#"{"Fn::Join": "x"}"#).into_bytes(), vec!["Resources.A.Properties.QueueName", "Fn::Join"]),
        ("Select index a word", queue_named(r#"{"Fn::Select": ["x", ["a"]]}"#).into_bytes(), vec!["Resources.A.Properties.QueueName", "Fn::Select"]),
        ("FindInMap of a missing mapping", queue_named(r#"{"Fn::FindInMap": ["Nope", "a", "b"]}"#).into_bytes(), vec!["Resources.A.Properties.QueueName", "Nope"]),
        ("DependsOn nothing", br#"{"Resources": {"A": {"Type": "AWS::SQS::Queue", "DependsOn": "Nope"}}}"#.to_vec(), vec!["Resources.A", "Nope"]),
        ("DependsOn a number", br#"{"Resources": {"A": {"Type": "AWS::SQS::Queue", "DependsOn": 42}}}"#.to_vec(), vec!["Resources.A", "DependsOn"]),
        ("DependsOn cycle", br#"{"Resources": {"A": {"Type": "AWS::SQS::Queue", "DependsOn": "B"}, "B": {"Type": "AWS::SQS::Queue", "DependsOn": "A"}}}"#.to_vec(), vec!["cycle", "A"]),
        ("resource Condition missing", br#"{"Resources": {"A": {"Type": "AWS::SQS::Queue", "Condition": "IsProd"}}}"#.to_vec(), vec!["Resources.A", "IsProd"]),
        ("output Ref to nothing", br#"{"Resources": {"A": {"Type": "AWS::SQS::Queue"}}, "Outputs": {"O": {"Value": {"Ref": "Nope"}}}}"#.to_vec(), vec!["Outputs.O", "Nope"]),
        ("output without Value", br#"{"Resources": {"A": {"Type": "AWS::SQS::Queue"}}, "Outputs": {"O": {}}}"#.to_vec(), vec!["Outputs.O", "Value"]),
        ("unknown top-level section", br#"{"Hooks": {}, "Resources": {"A": {"Type": "AWS::SQS::Queue"}}}"#.to_vec(), vec!["Hooks", "section"]),
        ("parameter of an unknown type", br#"{"Parameters": {"P": {"Type": "Strin"}}, "Resources": {"A": {"Type": "AWS::SQS::Queue"}}}"#.to_vec(), vec!["Parameters.P", "Strin"]),
        ("parameter default outside AllowedValues", br#"{"Parameters": {"P": {"Type": "String", "Default": "c", "AllowedValues": ["a", "b"]}}, "Resources": {"A": {"Type": "AWS::SQS::Queue"}}}"#.to_vec(), vec!["Parameters.P", "AllowedValues"]),
        ("JSON nested 100000 deep", deep_json(100_000).into_bytes(), vec!["deep"]),
        ("YAML nested 100000 deep", deep_yaml.into_bytes(), vec!["deep"]),
        ("YAML billion laughs", laughs.into_bytes(), vec!["YAML"]),
        ("YAML unknown tag", b"Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Bogus x\n".to_vec(), vec!["Bogus"]),
        ("YAML GetAtt without a dot", b"Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !GetAtt Nope\n".to_vec(), vec!["Resources.A.Properties.QueueName", "GetAtt"]),
        ("YAML tab indentation", b"Resources:\n\tA:\n\t\tType: AWS::SQS::Queue\n".to_vec(), vec!["YAML"]),
    ]
}

/// Documents whose problem is referential (targets, cycles, conditions, type names): `check
/// PATH`, `diff --against` and `deploy --templates` all refuse them.
const REFERENTIAL: [&str; 13] = [
    "Type not AWS::Service::Resource",
    "logical id with a dash",
    "Ref to nothing",
    "GetAtt of nothing",
    "GetAtt dotted of nothing",
    "Sub placeholder of nothing",
    "If on a missing condition",
    "FindInMap of a missing mapping",
    "DependsOn nothing",
    "DependsOn cycle",
    "resource Condition missing",
    "output Ref to nothing",
    "parameter default outside AllowedValues",
];

/// The documents of [`documents`] whose case also runs through `diff` and `deploy`.
const SHARED: [&str; 16] = [
    "empty",
    "truncated JSON",
    "Type a number",
    "Type not AWS::Service::Resource",
    "GetAtt a number",
    "Ref a list",
    "Ref to nothing",
    "GetAtt of nothing",
    "Sub placeholder of nothing",
    "unknown intrinsic",
    "DependsOn nothing",
    "DependsOn cycle",
    "resource Condition missing",
    "output Ref to nothing",
    "JSON nested 100000 deep",
    "YAML nested 100000 deep",
];

pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    for (name, content, words) in documents() {
        let mut needles = vec!["t.template"];
        needles.extend(words.iter().copied());
        v.push(
            Case::new(
                &format!("check: {name}"),
                good_app(),
                &["check", "{in}/t.template"],
                2,
                &needles,
            )
            .file("t.template", content.clone()),
        );
        if SHARED.contains(&name) || REFERENTIAL.contains(&name) {
            let mut needles = vec!["main.template.json"];
            needles.extend(words.iter().copied());
            v.push(
                Case::new(
                    &format!("diff --against: {name}"),
                    good_app(),
                    &["diff", "--against", "{in}/tpl"],
                    2,
                    &needles,
                )
                .file("tpl/dev/main.template.json", content.clone()),
            );
            v.push(
                Case::new(
                    &format!("deploy --templates: {name}"),
                    good_app(),
                    &["deploy", "--dry-run", "--templates", "{in}/tpl"],
                    2,
                    &needles,
                )
                .file("tpl/dev/main.template.json", content),
            );
        }
    }
    v.push(
        Case::new(
            "check: a folder with a symlink loop",
            good_app(),
            &["check", "{in}/loop"],
            2,
            &["loop", "reached twice"],
        )
        .file(
            "loop/a/t.json",
            r#"{"Resources": {"A": {"Type": "AWS::SQS::Queue"}}}"#,
        )
        .prepare(|root| {
            #[cfg(unix)]
            std::os::unix::fs::symlink(root.join("in/loop"), root.join("in/loop/a/back"))
                .expect("symlink");
        }),
    );
    v.push(
        Case::new(
            "diff --against: a malformed manifest",
            good_app(),
            &["diff", "--against", "{in}/tpl"],
            2,
            &["manifest.json"],
        )
        .file("tpl/dev/manifest.json", "{\"stacks\": "),
    );
    v
}
