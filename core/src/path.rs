//! `ConstructPath`: where a construct or resource sits in its stack's construct tree
//! (`network/Vpc/PublicSubnet1/Subnet`). It is a resource's identity: logical IDs are computed
//! from the components below the stack, suppressions apply to a path and everything within
//! it, and renames and moves are recognised by comparing paths.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A path in a stack's construct tree: the stack's short name, then construct ids, joined
/// by `/`. Components are never empty and never contain `/` (scopes reject such ids).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConstructPath(Arc<str>);

impl ConstructPath {
    /// The root of stack `stack` (its short name).
    pub fn root(stack: &str) -> Self {
        Self(stack.into())
    }

    /// A path read back from text (template metadata, a manifest): `None` when a component is
    /// empty.
    pub fn parse(text: &str) -> Option<Self> {
        (!text.is_empty() && text.split('/').all(|c| !c.is_empty())).then(|| Self(text.into()))
    }

    /// The path of child `id` (which must be a valid component: non-empty, no `/`).
    pub fn child(&self, id: &str) -> Self {
        Self(format!("{}/{id}", self.0).into())
    }

    /// The parent path, `None` for a stack root.
    pub fn parent(&self) -> Option<Self> {
        self.0.rfind('/').map(|i| Self(self.0[..i].into()))
    }

    /// Whether this path is `ancestor` or lies below it.
    pub fn is_within(&self, ancestor: &ConstructPath) -> bool {
        self.0.len() >= ancestor.0.len()
            && self.0.starts_with(&*ancestor.0)
            && (self.0.len() == ancestor.0.len() || self.0.as_bytes()[ancestor.0.len()] == b'/')
    }

    /// The components below `ancestor`, or `None` when this path is not within it.
    pub fn relative_to(&self, ancestor: &ConstructPath) -> Option<Vec<&str>> {
        if !self.is_within(ancestor) {
            return None;
        }
        let rest = &self.0[ancestor.0.len()..];
        Some(rest.split('/').filter(|c| !c.is_empty()).collect())
    }

    /// This path with the prefix `from` replaced by `to` (how a resource's path reads after
    /// its subtree `from` was renamed or moved to `to`); `None` when it is not within `from`.
    pub fn rebase(&self, from: &ConstructPath, to: &ConstructPath) -> Option<ConstructPath> {
        let rest = self.relative_to(from)?;
        Some(rest.iter().fold(to.clone(), |p, c| p.child(c)))
    }

    /// The stack's short name (the first component).
    pub fn stack(&self) -> &str {
        self.0.split('/').next().unwrap_or_default()
    }

    /// The components below the stack: what the logical ID is computed from.
    pub fn below_stack(&self) -> Vec<&str> {
        self.components().skip(1).collect()
    }

    /// Every component, the stack first.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The last component (the construct's own id).
    pub fn id(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or_default()
    }

    /// How many components the path has (a stack root has 1).
    pub fn depth(&self) -> usize {
        self.components().count()
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for ConstructPath {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

// Hash and Eq are those of the text, so maps keyed by paths can be looked up by `&str`.
impl std::borrow::Borrow<str> for ConstructPath {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ConstructPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConstructPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&ConstructPath> for String {
    fn from(p: &ConstructPath) -> String {
        p.0.to_string()
    }
}

impl From<ConstructPath> for String {
    fn from(p: ConstructPath) -> String {
        p.0.to_string()
    }
}

impl PartialEq<str> for ConstructPath {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for ConstructPath {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl serde::Serialize for ConstructPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for ConstructPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ConstructPath::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a construct path (an empty component)"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ConstructPath {
        ConstructPath::parse(s).unwrap()
    }

    #[test]
    fn children_parents_and_components() {
        let vpc = ConstructPath::root("network").child("Vpc");
        assert_eq!(vpc.as_str(), "network/Vpc");
        let subnet = vpc.child("PublicSubnet1").child("Subnet");
        assert_eq!(subnet.parent(), Some(vpc.child("PublicSubnet1")));
        assert_eq!(ConstructPath::root("network").parent(), None);
        assert_eq!(subnet.stack(), "network");
        assert_eq!(subnet.below_stack(), ["Vpc", "PublicSubnet1", "Subnet"]);
        assert_eq!(subnet.id(), "Subnet");
        assert_eq!(subnet.depth(), 4);
    }

    #[test]
    fn within_means_equal_or_below_at_a_component_boundary() {
        let vpc = p("network/Vpc");
        assert!(p("network/Vpc").is_within(&vpc));
        assert!(p("network/Vpc/Resource").is_within(&vpc));
        assert!(!p("network/Vpc2/Resource").is_within(&vpc));
        assert!(!p("network").is_within(&vpc));
        assert_eq!(p("network/Vpc/A/B").relative_to(&vpc), Some(vec!["A", "B"]));
        assert_eq!(p("network/Vpc2").relative_to(&vpc), None);
    }

    #[test]
    fn rebase_moves_a_subtree() {
        let old = p("audit/Trail/Bucket/Resource");
        assert_eq!(
            old.rebase(&p("audit/Trail"), &p("data/AuditTrail")),
            Some(p("data/AuditTrail/Bucket/Resource"))
        );
        assert_eq!(old.rebase(&p("audit/Backup"), &p("data/Backup")), None);
    }

    #[test]
    fn parse_rejects_empty_components() {
        for bad in ["", "a//b", "/a", "a/"] {
            assert_eq!(ConstructPath::parse(bad), None, "{bad}");
        }
    }
}
