//! Tests of `Expr`: construction, rendering and uses.

use super::*;
use crate::path::ConstructPath;
use serde_json::json;

fn render(e: &Expr) -> serde_json::Value {
    serde_json::to_value(e).unwrap()
}

fn vpc_ref() -> Reference {
    Reference::new(
        StackKey::new("dev", "network"),
        "Vpc8378EB38",
        ConstructPath::root("network")
            .child("Vpc")
            .child("Resource"),
        RefKind::Resource,
    )
}

#[test]
fn literals_render_as_json_literals() {
    assert_eq!(render(&Expr::from("a")), json!("a"));
    assert_eq!(render(&Expr::from(7)), json!(7));
    assert_eq!(render(&Expr::from(1.5)), json!(1.5));
    assert_eq!(render(&Expr::from(true)), json!(true));
    assert_eq!(render(&Expr::list(["a", "b"])), json!(["a", "b"]));
    assert_eq!(render(&Expr::map([("K", 1)])), json!({"K": 1}));
}

#[test]
fn every_intrinsic_renders_in_cloudformation_form() {
    let owner = StackKey::new("dev", "network");
    let cond = ConditionRef::new(owner.clone(), "IsProd");
    let map = MappingRef::new(owner, "Sizes");
    let r = vpc_ref();
    let cases: Vec<(Expr, serde_json::Value)> = vec![
        (Expr::Ref(r.clone()), json!({"Ref": "Vpc8378EB38"})),
        (
            Expr::GetAtt {
                target: r.clone(),
                attribute: "CidrBlock".into(),
            },
            json!({"Fn::GetAtt": ["Vpc8378EB38", "CidrBlock"]}),
        ),
        (
            Expr::sub("${AWS::Region}-x", Vec::<(String, Expr)>::new()),
            json!({"Fn::Sub": "${AWS::Region}-x"}),
        ),
        (
            Expr::sub("${A}-x", [("A", Expr::Ref(r.clone()))]),
            json!({"Fn::Sub": ["${A}-x", {"A": {"Ref": "Vpc8378EB38"}}]}),
        ),
        (
            Expr::join(",", [Expr::Ref(r.clone()), Expr::str("b")]),
            json!({"Fn::Join": [",", [{"Ref": "Vpc8378EB38"}, "b"]]}),
        ),
        (
            Expr::Join {
                delimiter: "".into(),
                list: Box::new(Expr::split(",", "a,b")),
            },
            json!({"Fn::Join": ["", {"Fn::Split": [",", "a,b"]}]}),
        ),
        (
            Expr::select(1, Expr::get_azs()),
            json!({"Fn::Select": [1, {"Fn::GetAZs": ""}]}),
        ),
        (Expr::split(",", "a,b"), json!({"Fn::Split": [",", "a,b"]})),
        (
            Expr::import_value("net:Vpc"),
            json!({"Fn::ImportValue": "net:Vpc"}),
        ),
        (
            Expr::if_(&cond, "a", Expr::no_value()),
            json!({"Fn::If": ["IsProd", "a", {"Ref": "AWS::NoValue"}]}),
        ),
        (
            Expr::equals(Expr::region(), "us-east-1"),
            json!({"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}),
        ),
        (
            Expr::And(vec![Expr::Condition(cond.clone()), Expr::Bool(true)]),
            json!({"Fn::And": [{"Condition": "IsProd"}, true]}),
        ),
        (
            Expr::Or(vec![Expr::Condition(cond.clone())]),
            json!({"Fn::Or": [{"Condition": "IsProd"}]}),
        ),
        (
            Expr::not(Expr::Condition(cond)),
            json!({"Fn::Not": [{"Condition": "IsProd"}]}),
        ),
        (
            Expr::find_in_map(&map, Expr::region(), "Size"),
            json!({"Fn::FindInMap": ["Sizes", {"Ref": "AWS::Region"}, "Size"]}),
        ),
        (Expr::base64("echo"), json!({"Fn::Base64": "echo"})),
        (
            Expr::cidr("10.0.0.0/16", 4, 8),
            json!({"Fn::Cidr": ["10.0.0.0/16", 4, 8]}),
        ),
        (Expr::account_id(), json!({"Ref": "AWS::AccountId"})),
        (Expr::partition(), json!({"Ref": "AWS::Partition"})),
        (Expr::stack_name(), json!({"Ref": "AWS::StackName"})),
        (Expr::url_suffix(), json!({"Ref": "AWS::URLSuffix"})),
        (
            Expr::Pseudo(Pseudo::StackId),
            json!({"Ref": "AWS::StackId"}),
        ),
        (
            Expr::Pseudo(Pseudo::NotificationArns),
            json!({"Ref": "AWS::NotificationARNs"}),
        ),
    ];
    for (expr, want) in cases {
        assert_eq!(render(&expr), want, "{expr:?}");
    }
}

#[test]
fn concat_of_literals_is_a_plain_string() {
    assert_eq!(Expr::concat(["a", "b", "c"]), Expr::str("abc"));
    assert_eq!(Expr::join("-", ["a", "b"]), Expr::str("a-b"));
}

#[test]
fn concat_with_references_merges_adjacent_literals_and_renders_as_sub() {
    let e = Expr::concat([
        Expr::str("arn:"),
        Expr::str("aws:"),
        Expr::Ref(vpc_ref()),
        Expr::str("/x"),
    ]);
    assert_eq!(
        e,
        Expr::Concat(vec![
            Expr::str("arn:aws:"),
            Expr::Ref(vpc_ref()),
            Expr::str("/x")
        ])
    );
    assert_eq!(render(&e), json!({"Fn::Sub": "arn:aws:${Vpc8378EB38}/x"}));
    // A single reference stays a reference.
    assert_eq!(
        Expr::concat([Expr::str(""), Expr::Ref(vpc_ref())]),
        Expr::Ref(vpc_ref())
    );
    // Nested concatenations flatten.
    let nested = Expr::concat([Expr::str("a"), e, Expr::str("b")]);
    assert_eq!(
        render(&nested),
        json!({"Fn::Sub": "aarn:aws:${Vpc8378EB38}/xb"})
    );
    // Parts Fn::Sub cannot inline keep the Fn::Join form; literal `${` is escaped in Sub.
    let import = Expr::concat([Expr::import_value("x"), Expr::str("-y")]);
    assert_eq!(
        render(&import),
        json!({"Fn::Join": ["", [{"Fn::ImportValue": "x"}, "-y"]]})
    );
    let dollar = Expr::concat([Expr::str("${literal}-"), Expr::region()]);
    assert_eq!(
        render(&dollar),
        json!({"Fn::Sub": "${!literal}-${AWS::Region}"})
    );
    let attr = Expr::concat([
        Expr::GetAtt {
            target: vpc_ref(),
            attribute: "Endpoint.Address".into(),
        },
        Expr::str(":5432"),
    ]);
    assert_eq!(
        render(&attr),
        json!({"Fn::Sub": "${Vpc8378EB38.Endpoint.Address}:5432"})
    );
}

#[test]
fn arn_builder_uses_pseudo_parameters() {
    assert_eq!(
        render(&Expr::arn("logs", true, "log-group:x")),
        json!({"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:x"})
    );
}

#[test]
fn json_null_means_no_value() {
    assert_eq!(Expr::from(serde_json::Value::Null), Expr::no_value());
}

#[test]
fn sub_placeholders_skip_escapes_and_keep_attributes() {
    assert_eq!(
        sub_placeholders("${A}-${B.Arn}${!C}${ D }${}-${E"),
        ["A", "B.Arn", "D"]
    );
}

#[test]
fn pseudo_names_round_trip() {
    for p in [
        Pseudo::Region,
        Pseudo::AccountId,
        Pseudo::Partition,
        Pseudo::StackName,
        Pseudo::StackId,
        Pseudo::UrlSuffix,
        Pseudo::NotificationArns,
        Pseudo::NoValue,
    ] {
        assert_eq!(Pseudo::from_name(p.name()), Some(p));
    }
    assert_eq!(Pseudo::from_name("AWS::Nope"), None);
}

#[test]
fn a_literal_dollar_brace_before_a_reference_renders_as_join() {
    // As Fn::Sub the escape `${!` would run up to the reference's `}` and swallow it
    // (found by constructs/tests/document_roundtrip.rs).
    let e = Expr::concat([Expr::str("${"), Expr::Ref(vpc_ref())]);
    assert_eq!(
        render(&e),
        json!({"Fn::Join": ["", ["${", {"Ref": "Vpc8378EB38"}]]})
    );
}
