//! Aspects: visitors over every resource of an app, run at synth before references are
//! resolved. Tagging is one of them.

use indexmap::IndexMap;

use crate::expr::{Expr, ExprMap, StackKey};
use crate::resource::type_info;
use crate::resource::TagShape;

/// A resource as an aspect sees it: identity (read-only) and properties/metadata (mutable).
#[derive(Debug)]
pub struct ResourceView<'a> {
    /// The stack holding the resource.
    pub stack: &'a StackKey,
    /// The construct path.
    pub path: &'a str,
    /// The logical ID.
    pub logical_id: &'a str,
    /// The CloudFormation type.
    pub type_name: &'a str,
    /// The properties (mutable).
    pub properties: &'a mut ExprMap,
    /// The metadata (mutable; the construct path is added after aspects run).
    pub metadata: &'a mut IndexMap<String, serde_json::Value>,
}

/// A visitor over every resource of an app. Return `Err(message)` to fail synthesis; the
/// message is reported with the resource's construct path.
pub trait Aspect: Send + Sync {
    /// Visits one resource.
    fn visit(&self, resource: &mut ResourceView<'_>) -> Result<(), String>;
}

/// Adds tags to every taggable resource, typed or raw, in the shape its type takes (a
/// `Key`/`Value` list or a map, from the schema index), and not to types that reject tags.
/// Tags a resource already carries win.
#[derive(Debug, Clone, Default)]
pub struct Tags {
    tags: IndexMap<String, String>,
}

impl Tags {
    /// Tags to apply, in order.
    pub fn new(tags: IndexMap<String, String>) -> Self {
        Self { tags }
    }
}

impl Aspect for Tags {
    fn visit(&self, resource: &mut ResourceView<'_>) -> Result<(), String> {
        let Some(shape) = type_info(resource.type_name).and_then(|t| t.tags) else {
            return Ok(());
        };
        match shape {
            TagShape::List(property) => {
                let entry = resource
                    .properties
                    .entry(property)
                    .or_insert_with(|| Expr::List(Vec::new()));
                // A tag list computed by an intrinsic cannot be merged into; leave it alone.
                let Expr::List(items) = entry else {
                    return Ok(());
                };
                let existing: Vec<String> = items
                    .iter()
                    .filter_map(|t| match t {
                        Expr::Map(m) => m.get("Key").and_then(Expr::as_str).map(str::to_owned),
                        _ => None,
                    })
                    .collect();
                // Sized once: a list grown by pushes has room for four, then eight tags.
                items.reserve_exact(self.tags.len());
                for (k, v) in &self.tags {
                    if !existing.iter().any(|e| e == k) {
                        items.push(Expr::map([("Key", Expr::str(k)), ("Value", Expr::str(v))]));
                    }
                }
                let pairs = items.iter().filter_map(|t| match t {
                    Expr::Map(m) => Some((m.get("Key")?.as_str(), m.get("Value")?.as_str())),
                    _ => None,
                });
                check_tags(property, items.len(), pairs)?;
            }
            TagShape::Map(property) => {
                let entry = resource
                    .properties
                    .entry(property)
                    .or_insert_with(|| Expr::Map(ExprMap::new()));
                let Expr::Map(map) = entry else { return Ok(()) };
                // A one-key `{"Fn::If": ..}` map is an intrinsic of a template ported as
                // JSON, not a tag map: leave it alone too.
                if is_intrinsic_map(map) {
                    return Ok(());
                }
                for (k, v) in &self.tags {
                    map.entry(k.clone()).or_insert_with(|| Expr::str(v));
                }
                let pairs = map.iter().map(|(k, v)| (Some(k), v.as_str()));
                check_tags(property, map.len(), pairs)?;
            }
        }
        Ok(())
    }
}

/// `{"Ref": ..}`, `{"Fn::..": ..}` or `{"Condition": ..}`: what an intrinsic looks like in a
/// template ported through `Expr::from(serde_json::Value)`.
fn is_intrinsic_map(map: &ExprMap) -> bool {
    map.len() == 1
        && map
            .keys()
            .all(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
}

/// Tags CloudFormation accepts on a resource.
pub mod tag_limits {
    /// Tags per resource.
    pub const COUNT: usize = 50;
    /// Characters of a key.
    pub const KEY: usize = 128;
    /// Characters of a value.
    pub const VALUE: usize = 256;
}

/// The tags of a resource (literal keys and values; computed ones are not checked) against
/// what AWS accepts: at most 50, keys of 1 to 128 characters not starting with the reserved
/// `aws:`, values of at most 256 characters, no control characters.
fn check_tags<'a>(
    property: &str,
    count: usize,
    pairs: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> Result<(), String> {
    let fix = "Fix: correct the tag where it is set (App::add_tag, StackProps::tags or the resource's own tags)";
    if count > tag_limits::COUNT {
        return Err(format!(
            "`{property}`: {count} tags, over the {} AWS accepts on a resource. {fix}",
            tag_limits::COUNT
        ));
    }
    for (key, value) in pairs {
        if let Some(k) = key {
            let problem = if k.is_empty() {
                Some("the key is empty".to_owned())
            } else if k.chars().count() > tag_limits::KEY {
                Some(format!("the key is over {} characters", tag_limits::KEY))
            } else if k.to_ascii_lowercase().starts_with("aws:") {
                Some("keys starting with `aws:` are reserved for AWS".to_owned())
            } else if k.chars().any(char::is_control) {
                Some("the key holds a control character".to_owned())
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(format!(
                    "`{property}`: tag `{}`: {problem}. {fix}",
                    k.escape_default()
                ));
            }
        }
        if let Some(v) = value {
            let problem = if v.chars().count() > tag_limits::VALUE {
                Some(format!(
                    "the value is over {} characters",
                    tag_limits::VALUE
                ))
            } else if v.chars().any(char::is_control) {
                Some("the value holds a control character".to_owned())
            } else {
                None
            };
            if let Some(problem) = problem {
                let k = key.unwrap_or("?").escape_default();
                return Err(format!("`{property}`: tag `{k}`: {problem}. {fix}"));
            }
        }
    }
    Ok(())
}
