//! The one reader against the one writer: any template, rendered and read back, keeps every
//! reference (with where it is), and renders to the same bytes again.

use proptest::prelude::*;
use stackforge_constructs::assembly::render_body;
use stackforge_constructs::expr::ExprMap;
use stackforge_constructs::template::{Output, ResourceDef, UseSite};
use stackforge_constructs::{document, ConditionRef, Expr, PropertyPath, Pseudo, Template, Use};

const IDS: [&str; 4] = ["Queue", "Topic", "Bucket", "Key"];

fn id() -> impl Strategy<Value = &'static str> {
    prop::sample::select(IDS.to_vec())
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        "[a-z${}!. -]{0,12}".prop_map(Expr::str),
        any::<i32>().prop_map(Expr::from),
        any::<bool>().prop_map(Expr::Bool),
        id().prop_map(Expr::local_ref),
        (
            id(),
            prop::sample::select(vec!["Arn", "Endpoint.Address", "QueueName"])
        )
            .prop_map(|(i, a)| Expr::local_get_att(i, a)),
        prop::sample::select(vec![Pseudo::Region, Pseudo::AccountId, Pseudo::Partition])
            .prop_map(Expr::Pseudo),
        "[a-z:-]{1,12}".prop_map(Expr::import_value),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Expr::List),
            // Keys never read as intrinsic functions (`Ref`, `Condition`, `Fn::...`).
            prop::collection::vec(("P[a-z]{0,5}", inner.clone()), 0..4)
                .prop_map(|kv| Expr::Map(kv.into_iter().collect())),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Expr::concat),
            (",|-", prop::collection::vec(inner.clone(), 0..3))
                .prop_map(|(d, items)| Expr::join(&d, items)),
            ("[a-z]{0,4}", id(), inner.clone()).prop_map(|(t, i, v)| Expr::sub(
                &format!("{t}${{{i}}}-${{V}}-${{AWS::Region}}"),
                [("V", v)]
            )),
            (0u32..3, inner.clone()).prop_map(|(i, l)| Expr::select(i, l)),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::if_(
                &ConditionRef::local("IsProd"),
                a,
                b
            )),
            inner.clone().prop_map(Expr::base64),
        ]
    })
}

fn template() -> impl Strategy<Value = Template> {
    (
        prop::collection::vec(("[A-Z][a-z]{1,6}", expr()), 1..4),
        expr(),
    )
        .prop_map(|(props, out)| {
            let mut t = Template::default();
            t.conditions
                .insert("IsProd".into(), Expr::equals(Expr::region(), "us-east-1"));
            for id in IDS {
                let mut r = ResourceDef::new("AWS::SNS::Topic");
                r.properties = props.iter().cloned().collect::<ExprMap>();
                t.resources.insert(id.to_owned(), r);
            }
            t.outputs
                .insert("Out".into(), Output::new(out).export("x:y"));
            t
        })
}

type Found = Vec<(String, PropertyPath, String)>;

/// Every use as (site, property path, what), literal import names included.
fn uses(t: &Template) -> Found {
    let mut out: Found = t
        .uses()
        .into_iter()
        .map(|(site, path, u)| {
            let site = match site {
                UseSite::Resource(id) => format!("resource {id}"),
                UseSite::Output(o) => format!("output {o}"),
                UseSite::Condition(c) => format!("condition {c}"),
            };
            let what = match u {
                Use::Local { id, attribute } => format!("{id}.{}", attribute.unwrap_or("")),
                Use::Pseudo(p) => p.name().to_owned(),
                Use::Import(name) => format!("import {}", serde_json::to_string(name).unwrap()),
                Use::Condition(c) => format!("condition {c}"),
                Use::Mapping(m) => format!("mapping {m}"),
            };
            (site, path, what)
        })
        .collect();
    out.sort();
    out
}

proptest! {
    #[test]
    fn reading_a_rendered_template_keeps_every_reference(t in template()) {
        let body = render_body(&t);
        let read = document::parse(&body).map_err(|e| TestCaseError::fail(format!("{e}\n{body}")))?;
        prop_assert_eq!(uses(&read), uses(&t));
        prop_assert_eq!(render_body(&read), body);
    }
}
