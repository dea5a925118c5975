//! Structural comparison of JSON values: the leaf paths where two values differ, with
//! CloudFormation intrinsics (`{"Ref": ..}`, `{"Fn::..": ..}`) treated as opaque leaves;
//! paths printed the way the template model prints property paths.

use serde_json::Value;

/// One step of a path into a value (the template model's property-path step).
pub use stackforge_construct_model::PathSeg as Seg;

/// A difference at one path: the old and new values there (`None` = absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// Where the values differ.
    pub path: Vec<Seg>,
    /// The old value, if present.
    pub old: Option<Value>,
    /// The new value, if present.
    pub new: Option<Value>,
}

pub use stackforge_construct_model::change::impact::{contains_intrinsic, is_intrinsic};

/// The leaves where `old` and `new` differ, below `prefix`. Objects are compared key by key
/// and arrays of equal length element by element; anything else (intrinsics, scalars, arrays
/// whose length changed) is one leaf, which keeps list changes such as `Tags` readable.
pub fn diff(prefix: Vec<Seg>, old: Option<&Value>, new: Option<&Value>) -> Vec<Leaf> {
    let (mut path, mut out) = (prefix, Vec::new());
    walk(&mut path, old, new, &mut out);
    out
}

fn walk(path: &mut Vec<Seg>, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<Leaf>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Some(o @ Value::Object(a)), Some(n @ Value::Object(b)))
            if !is_intrinsic(o) && !is_intrinsic(n) =>
        {
            let keys = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k)));
            for k in keys {
                path.push(Seg::Key(k.clone()));
                walk(path, a.get(k), b.get(k), out);
                path.pop();
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                path.push(Seg::Index(i));
                walk(path, Some(x), Some(y), out);
                path.pop();
            }
        }
        _ => out.push(Leaf {
            path: path.clone(),
            old: old.cloned(),
            new: new.cloned(),
        }),
    }
}

/// `Properties.VpcSecurityGroupIds[0]`; keys that are not plain words are quoted
/// (`Tags["a.b"]`).
pub fn format_path(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
            Seg::Key(k) => {
                let plain = !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':'));
                if plain {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(k);
                } else {
                    s.push_str(&format!("[{}]", Value::String(k.clone())));
                }
            }
        }
    }
    s
}

/// Compact JSON of `v`, cut to at most `max` characters (ending in `...` when cut).
pub fn compact(v: Option<&Value>, max: usize) -> String {
    let Some(v) = v else {
        return "(absent)".to_owned();
    };
    let text = v.to_string();
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max.saturating_sub(3)).collect();
    format!("{cut}...")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(k: &str) -> Seg {
        Seg::Key(k.into())
    }

    #[test]
    fn leaves_follow_objects_and_same_length_arrays_but_stop_at_intrinsics() {
        let old = json!({"A": {"B": 1, "C": 2}, "L": ["x", "y"], "R": {"Ref": "X"}, "T": [1]});
        let new = json!({"A": {"B": 1, "C": 3}, "L": ["x", "z"], "R": {"Ref": "Y"}, "T": [1, 2]});
        let paths: Vec<String> = diff(vec![key("Properties")], Some(&old), Some(&new))
            .iter()
            .map(|l| format_path(&l.path))
            .collect();
        assert_eq!(
            paths,
            [
                "Properties.A.C",
                "Properties.L[1]",
                "Properties.R",
                "Properties.T"
            ]
        );
        let added = diff(vec![], Some(&json!({})), Some(&json!({"N": 1})));
        assert_eq!(added[0].old, None);
        assert_eq!(added[0].new, Some(json!(1)));
    }

    #[test]
    fn odd_keys_are_quoted_and_long_values_cut() {
        assert_eq!(
            format_path(&[key("Tags"), key("a.b"), Seg::Index(2)]),
            "Tags[\"a.b\"][2]"
        );
        assert_eq!(compact(Some(&json!("abcdefghij")), 8), "\"abcd...");
        assert_eq!(compact(None, 8), "(absent)");
    }
}
