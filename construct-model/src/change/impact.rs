//! What a property change does to a deployed resource: updated in place, maybe replaced, or
//! replaced, from the resource schemas' (conditional) create-only properties.
//!
//! [`create_only`] is the one place that reads create-only properties, so the schema source
//! can change without touching the rules built on it.

use serde::Serialize;
use serde_json::Value;

use crate::property_path::PathSeg;
use crate::resource::type_info;
use crate::template::ResourceDef;

/// How a change affects the deployed resource. Ordered: a resource takes the strongest
/// impact of its changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    /// Updated in place.
    Update,
    /// May be replaced (a conditionally create-only property, or a create-only property
    /// whose old or new value is only known at deploy time).
    MayReplace,
    /// Replaced: CloudFormation creates a new resource and deletes the old one.
    Replace,
}

/// The create-only properties of a resource type, as schema pointers
/// (`/properties/CidrBlock`, `/properties/EncryptionConfiguration/KmsKey`).
#[derive(Debug, Clone, Copy)]
pub struct CreateOnly {
    /// Always replace when changed.
    pub always: &'static [&'static str],
    /// Replace depending on the change (`conditionalCreateOnlyProperties`).
    pub conditional: &'static [&'static str],
}

/// The create-only properties of `type_name`, or `None` when no schema is known for it (its
/// replacements are then not predicted).
pub fn create_only(type_name: &str) -> Option<CreateOnly> {
    type_info(type_name).map(|info| CreateOnly {
        always: &info.create_only,
        conditional: &info.conditional_create_only,
    })
}

/// The impact of a change at `rel` (a path below `Properties`) of a `type_name` resource,
/// comparing the values at each overlapping create-only pointer in the old and new
/// `Properties` objects, with the reason (`createOnlyProperties: /properties/CidrBlock`).
/// Types without a schema update in place.
pub fn classify(
    type_name: &str,
    rel: &[PathSeg],
    old: Option<&Value>,
    new: Option<&Value>,
) -> (Impact, Option<String>) {
    let Some(facts) = create_only(type_name) else {
        return (Impact::Update, None);
    };
    let mut best = (Impact::Update, None);
    let mut consider = |impact: Impact, reason: String| {
        if impact > best.0 {
            best = (impact, Some(reason));
        }
    };
    let pointers = facts
        .always
        .iter()
        .map(|p| (p, false))
        .chain(facts.conditional.iter().map(|p| (p, true)));
    for (pointer, conditional) in pointers {
        let Some(segs) = pointer_segments(pointer) else {
            continue;
        };
        if !overlaps(&segs, rel) {
            continue;
        }
        let (a, b) = (resolve(old, &segs), resolve(new, &segs));
        if a == b {
            continue;
        }
        if conditional {
            consider(
                Impact::MayReplace,
                format!("conditionalCreateOnlyProperties: {pointer}"),
            );
        } else if a.iter().chain(&b).flatten().any(|v| contains_intrinsic(v)) {
            consider(
                Impact::MayReplace,
                format!("createOnlyProperties: {pointer} (an intrinsic: the deployed value may be the same)"),
            );
        } else {
            consider(Impact::Replace, format!("createOnlyProperties: {pointer}"));
        }
    }
    best
}

/// The impact on a `type_name` resource when the value at `rel` (below `Properties`) changes
/// at deploy time although the template text does not (it uses a replaced resource): replace
/// when `rel` is within a create-only property, may replace within a conditional one.
pub fn value_change_impact(type_name: &str, rel: &[PathSeg]) -> (Impact, Option<String>) {
    let Some(facts) = create_only(type_name) else {
        return (Impact::Update, None);
    };
    let hit = |pointers: &[&str]| {
        pointers.iter().find_map(|p| {
            let segs = pointer_segments(p)?;
            overlaps(&segs, rel).then(|| (*p).to_owned())
        })
    };
    if let Some(p) = hit(facts.always) {
        return (Impact::Replace, Some(format!("createOnlyProperties: {p}")));
    }
    if let Some(p) = hit(facts.conditional) {
        return (
            Impact::MayReplace,
            Some(format!("conditionalCreateOnlyProperties: {p}")),
        );
    }
    (Impact::Update, None)
}

/// The strongest impact of changing resource `old` into `new` (the same logical ID), with
/// the reason of the strongest change: a type change replaces; property changes are
/// classified by [`classify`].
pub fn resource_impact(old: &ResourceDef, new: &ResourceDef) -> (Impact, Option<String>) {
    if old.type_name != new.type_name {
        return (
            Impact::Replace,
            Some("the resource type changed".to_owned()),
        );
    }
    let (o, n) = (properties_json(old), properties_json(new));
    let mut best = (Impact::Update, None);
    for (path, _, _) in leaves(&o, &n) {
        let c = classify(&new.type_name, &path, Some(&o), Some(&n));
        if c.0 > best.0 {
            best = c;
        }
    }
    best
}

/// A resource's `Properties` as rendered JSON (an empty object when it has none).
pub fn properties_json(r: &ResourceDef) -> Value {
    serde_json::to_value(&r.properties).unwrap_or(Value::Object(Default::default()))
}

/// The leaf paths where `old` and `new` differ, with the values there. Objects are compared
/// key by key and arrays of equal length element by element; intrinsics, scalars and arrays
/// whose length changed are one leaf each.
pub fn leaves(old: &Value, new: &Value) -> Vec<(Vec<PathSeg>, Option<Value>, Option<Value>)> {
    fn walk(
        path: &mut Vec<PathSeg>,
        old: Option<&Value>,
        new: Option<&Value>,
        out: &mut Vec<(Vec<PathSeg>, Option<Value>, Option<Value>)>,
    ) {
        if old == new {
            return;
        }
        match (old, new) {
            (Some(o @ Value::Object(a)), Some(n @ Value::Object(b)))
                if !is_intrinsic(o) && !is_intrinsic(n) =>
            {
                let keys = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k)));
                for k in keys {
                    path.push(PathSeg::Key(k.clone()));
                    walk(path, a.get(k), b.get(k), out);
                    path.pop();
                }
            }
            (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() == b.len() => {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    path.push(PathSeg::Index(i));
                    walk(path, Some(x), Some(y), out);
                    path.pop();
                }
            }
            _ => out.push((path.clone(), old.cloned(), new.cloned())),
        }
    }
    let mut out = Vec::new();
    walk(&mut Vec::new(), Some(old), Some(new), &mut out);
    out
}

/// Whether `v` is one intrinsic function call (`Ref`, `Condition` or `Fn::*`), as rendered.
pub fn is_intrinsic(v: &Value) -> bool {
    match v.as_object() {
        Some(o) if o.len() == 1 => o.keys().all(|k| crate::parse::is_intrinsic_key(k)),
        _ => false,
    }
}

/// Whether `v` holds an intrinsic anywhere (its value is then only known at deploy time).
pub fn contains_intrinsic(v: &Value) -> bool {
    if is_intrinsic(v) {
        return true;
    }
    match v {
        Value::Array(a) => a.iter().any(contains_intrinsic),
        Value::Object(o) => o.values().any(contains_intrinsic),
        _ => false,
    }
}

/// The values at a JSON pointer below `Properties` (`/properties/A/*/B` -> segments
/// `A`, `*`, `B`), one per array element a `*` expands to. `None` where a step is absent.
pub fn resolve<'a>(root: Option<&'a Value>, pointer: &[String]) -> Vec<Option<&'a Value>> {
    let Some((first, rest)) = pointer.split_first() else {
        return vec![root];
    };
    match root {
        None => vec![None],
        Some(v) if first == "*" => match v.as_array() {
            Some(items) => items.iter().flat_map(|i| resolve(Some(i), rest)).collect(),
            None => vec![None],
        },
        Some(Value::Object(o)) => resolve(o.get(first), rest),
        Some(Value::Array(a)) => resolve(first.parse::<usize>().ok().and_then(|i| a.get(i)), rest),
        Some(_) => vec![None],
    }
}

/// The segments of a schema pointer below `/properties/`, unescaped (`~1` is `/`, `~0` is
/// `~`). `None` for pointers outside `/properties`.
pub fn pointer_segments(pointer: &str) -> Option<Vec<String>> {
    let rest = pointer.strip_prefix("/properties/")?;
    Some(
        rest.split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// Whether a change at `path` (relative to `Properties`) touches the property at `pointer`:
/// one is a prefix of the other (`*` matches any index).
pub fn overlaps(pointer: &[String], path: &[PathSeg]) -> bool {
    pointer.iter().zip(path).all(|(p, s)| match s {
        PathSeg::Key(k) => p == k,
        PathSeg::Index(i) => p == "*" || p.parse::<usize>().ok() == Some(*i),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(k: &str) -> PathSeg {
        PathSeg::Key(k.into())
    }

    #[test]
    fn create_only_properties_replace_and_intrinsics_may_replace() {
        let old = json!({"CidrBlock": "10.0.0.0/24", "VpcId": "v"});
        let new = json!({"CidrBlock": "10.0.1.0/24", "VpcId": "v"});
        let (impact, reason) = classify(
            "AWS::EC2::Subnet",
            &[key("CidrBlock")],
            Some(&old),
            Some(&new),
        );
        assert_eq!(impact, Impact::Replace);
        assert_eq!(
            reason.as_deref(),
            Some("createOnlyProperties: /properties/CidrBlock")
        );
        let new = json!({"CidrBlock": {"Fn::Select": [0, "x"]}, "VpcId": "v"});
        let (impact, _) = classify(
            "AWS::EC2::Subnet",
            &[key("CidrBlock")],
            Some(&old),
            Some(&new),
        );
        assert_eq!(impact, Impact::MayReplace);
        let (impact, _) = classify("Custom::X", &[key("A")], Some(&old), Some(&new));
        assert_eq!(impact, Impact::Update, "no schema: update");
    }

    #[test]
    fn a_value_changing_under_a_create_only_property_replaces() {
        assert_eq!(
            value_change_impact("AWS::EC2::Subnet", &[key("VpcId")]).0,
            Impact::Replace
        );
        assert_eq!(
            value_change_impact("AWS::EC2::SecurityGroupIngress", &[key("Description")]).0,
            Impact::Update
        );
        assert_eq!(
            value_change_impact("AWS::EC2::VPC", &[key("InstanceTenancy")]).0,
            Impact::MayReplace
        );
    }

    #[test]
    fn pointers_resolve_through_wildcards_and_overlap_prefixes() {
        let p = pointer_segments("/properties/EncryptionConfiguration/KmsKey").unwrap();
        let v = json!({"EncryptionConfiguration": {"KmsKey": "k", "EncryptionType": "KMS"}});
        assert_eq!(resolve(Some(&v), &p), vec![Some(&json!("k"))]);
        assert!(overlaps(&p, &[key("EncryptionConfiguration")]));
        assert!(!overlaps(
            &p,
            &[key("EncryptionConfiguration"), key("EncryptionType")]
        ));
        let w = pointer_segments("/properties/L/*/N").unwrap();
        let v = json!({"L": [{"N": 1}, {"N": 2}]});
        assert_eq!(
            resolve(Some(&v), &w),
            vec![Some(&json!(1)), Some(&json!(2))]
        );
        assert!(overlaps(&w, &[key("L"), PathSeg::Index(1), key("N")]));
        assert_eq!(pointer_segments("/definitions/X"), None);
        assert!(contains_intrinsic(&json!({"a": [{"Fn::Sub": "x"}]})));
        assert!(!contains_intrinsic(&json!({"Ref": "x", "b": 1})));
    }

    #[test]
    fn leaves_stop_at_intrinsics_and_length_changes() {
        let old = json!({"A": {"B": 1, "C": 2}, "R": {"Ref": "X"}, "T": [1]});
        let new = json!({"A": {"B": 1, "C": 3}, "R": {"Ref": "Y"}, "T": [1, 2]});
        let paths: Vec<Vec<PathSeg>> = leaves(&old, &new).into_iter().map(|l| l.0).collect();
        assert_eq!(
            paths,
            vec![vec![key("A"), key("C")], vec![key("R")], vec![key("T")]]
        );
    }
}
