//! Where a value sits inside a resource or template section (`Properties.Tags[0].Value`):
//! how errors, diffs and the policy gate name a property.

use std::fmt;

/// One step into a value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathSeg {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A path into a value, from its root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PropertyPath(Vec<PathSeg>);

impl PropertyPath {
    /// The empty path (the value itself).
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// A path of one key.
    pub fn key(key: &str) -> Self {
        Self(vec![PathSeg::Key(key.to_owned())])
    }

    /// This path followed by `key`.
    pub fn with_key(&self, key: &str) -> Self {
        let mut p = self.clone();
        p.0.push(PathSeg::Key(key.to_owned()));
        p
    }

    /// This path followed by `index`.
    pub fn with_index(&self, index: usize) -> Self {
        let mut p = self.clone();
        p.0.push(PathSeg::Index(index));
        p
    }

    /// Appends `seg`.
    pub fn push(&mut self, seg: PathSeg) {
        self.0.push(seg);
    }

    /// Removes the last step.
    pub fn pop(&mut self) -> Option<PathSeg> {
        self.0.pop()
    }

    /// The steps.
    pub fn segments(&self) -> &[PathSeg] {
        &self.0
    }

    /// Whether the path is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The path without its first `n` steps.
    pub fn skip(&self, n: usize) -> Self {
        Self(self.0.iter().skip(n).cloned().collect())
    }

    /// The keys only, joined by `.` (`BackupSelection.Resources`): list indices left out, as
    /// the policy gate's reference index names properties.
    pub fn keys_only(&self) -> String {
        self.0
            .iter()
            .filter_map(|s| match s {
                PathSeg::Key(k) => Some(k.as_str()),
                PathSeg::Index(_) => None,
            })
            .collect::<Vec<_>>()
            .join(".")
    }
}

impl From<Vec<PathSeg>> for PropertyPath {
    fn from(segs: Vec<PathSeg>) -> Self {
        Self(segs)
    }
}

impl fmt::Display for PropertyPath {
    /// `Properties.VpcSecurityGroupIds[0]`; keys that are not plain words are quoted
    /// (`Tags["a.b"]`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in &self.0 {
            match seg {
                PathSeg::Index(i) => write!(f, "[{i}]")?,
                PathSeg::Key(k) => {
                    let plain = !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':'));
                    if plain {
                        if !first {
                            f.write_str(".")?;
                        }
                        f.write_str(k)?;
                    } else {
                        write!(f, "[{}]", serde_json::Value::String(k.clone()))?;
                    }
                }
            }
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_keys_that_are_not_words() {
        let p = PropertyPath::key("Properties")
            .with_key("Tags")
            .with_index(0)
            .with_key("a.b");
        assert_eq!(p.to_string(), r#"Properties.Tags[0]["a.b"]"#);
        assert_eq!(p.keys_only(), "Properties.Tags.a.b");
        assert_eq!(PropertyPath::new().to_string(), "");
    }
}
