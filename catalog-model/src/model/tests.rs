//! The schema-to-types model on small schemas.

use super::*;
use serde_json::json;

fn graph(edges: &[(&str, &[(&str, bool)])]) -> Graph {
    edges
        .iter()
        .map(|(n, ts)| {
            let ts = ts.iter().map(|(t, o)| (t.to_string(), *o)).collect();
            (n.to_string(), ts)
        })
        .collect()
}

#[test]
fn acyclic_graphs_box_nothing() {
    let g = graph(&[
        ("A", &[("B", true), ("C", false)]),
        ("B", &[("C", true)]),
        ("C", &[]),
    ]);
    assert!(edges_to_box(&["A".to_owned()], &g).is_empty());
}

#[test]
fn cycles_box_an_optional_field_each() {
    let g = graph(&[
        ("Acl", &[("Statement", true)]),
        ("Leaf", &[]),
        // NotStatement.Statement is required: the optional way in gets the box.
        ("NotStatement", &[("Statement", false)]),
        ("RateBased", &[("Statement", true)]),
        (
            "Statement",
            &[
                ("NotStatement", true),
                ("Leaf", true),
                ("RateBased", true),
                ("Statement", true),
            ],
        ),
    ]);
    let boxed: Vec<_> = edges_to_box(&["Acl".to_owned()], &g).into_iter().collect();
    assert_eq!(
        boxed,
        [
            ("RateBased".to_owned(), 0),
            ("Statement".to_owned(), 0),
            ("Statement".to_owned(), 3)
        ]
    );
}

#[test]
fn recursive_definitions_are_boxed_and_read_only_fields_skipped() {
    let schema = json!({
        "typeName": "AWS::Test::Thing",
        "definitions": {
            "Statement": {"type": "object", "properties": {
                "Not": {"$ref": "#/definitions/NotStatement"},
                "And": {"type": "array", "items": {"$ref": "#/definitions/Statement"}}
            }},
            "NotStatement": {"type": "object", "required": ["Statement"], "properties": {
                "Statement": {"$ref": "#/definitions/Statement"}
            }},
            "Endpoint": {"type": "object", "properties": {
                "Address": {"type": "string"}, "Port": {"type": "integer"}
            }}
        },
        "properties": {
            "Statement": {"$ref": "#/definitions/Statement"},
            "Endpoint": {"$ref": "#/definitions/Endpoint"},
            "Mode": {"type": "string", "enum": ["on", "off"]},
            "Tags": {"type": "object", "patternProperties": {"^.*$": {"type": "string"}}},
            "Id": {"type": "string"},
            "Path": {"type": "string"}
        },
        "required": ["Statement"],
        "readOnlyProperties": ["/properties/Id", "/properties/Path", "/properties/Endpoint/Address",
                               "/properties/Endpoint/Port"],
        "tagging": {"taggable": true, "tagProperty": "/properties/Tags"}
    });
    let r = build(&schema).unwrap();
    let fields: Vec<_> = r.main.fields.iter().map(|f| (&*f.rust, &f.ty)).collect();
    assert_eq!(
        fields,
        [
            ("statement", &Ty::Named("Statement".into())),
            ("mode", &Ty::Named("Mode".into())),
            ("tags", &Ty::Map(Box::new(Ty::Str))),
        ]
    );
    let boxed: Vec<_> = r
        .structs
        .iter()
        .flat_map(|s| {
            s.fields
                .iter()
                .filter(|f| f.boxed)
                .map(|f| (&*s.name, &*f.rust))
        })
        .collect();
    assert_eq!(boxed, [("Statement", "not")]);
    assert_eq!(r.tags, Some((TagKind::Map, "Tags".into())));
    let attrs: Vec<_> = r
        .attributes
        .iter()
        .map(|a| (&*a.method, &*a.name))
        .collect();
    assert_eq!(
        attrs,
        [
            ("id", "Id"),
            ("path_attr", "Path"),
            ("endpoint_address", "Endpoint.Address"),
            ("endpoint_port", "Endpoint.Port")
        ]
    );
}
