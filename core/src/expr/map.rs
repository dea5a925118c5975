//! `ExprMap`: the keys and values of an [`Expr::Map`] and of a resource's properties.
//!
//! A list of entries in insertion order, without a hash table: CloudFormation maps are small
//! (a tag is two entries, a resource rarely has more than twenty properties), and a template
//! holds hundreds of thousands of them. An `IndexMap` entry also stores a hash, and each map
//! its own table: a tag took about 420 bytes as an `IndexMap`, 150 as a list with inline keys
//! (`cargo bench --bench synth -- --heap`, README "Performance").

use std::fmt;

use compact_str::CompactString;
use indexmap::IndexMap;

use super::Expr;

/// Keys and values in insertion order; inserting an existing key replaces its value in
/// place. Lookups compare keys one by one, which is faster than hashing for maps of a few
/// entries. Two maps are equal when they have the same entries in any order (as `IndexMap`).
///
/// Keys of up to 24 bytes (every property name, `Key` and `Value` of a tag) are stored inline,
/// without an allocation of their own (keys are taken as `&str` and copied: a `String` key's
/// own buffer would stay allocated).
#[derive(Clone, Default)]
pub struct ExprMap {
    entries: Vec<Pair>,
}

/// One key and its value.
type Pair = (CompactString, Expr);

/// Iterator over `(key, &value)` of an [`ExprMap`].
pub type Iter<'a> = std::iter::Map<std::slice::Iter<'a, Pair>, fn(&Pair) -> (&str, &Expr)>;

/// Iterator over `(key, &mut value)` of an [`ExprMap`].
pub type IterMut<'a> =
    std::iter::Map<std::slice::IterMut<'a, Pair>, fn(&mut Pair) -> (&str, &mut Expr)>;

/// Iterator over `(key, value)` of an [`ExprMap`] it consumes.
pub type IntoIter = std::iter::Map<std::vec::IntoIter<Pair>, fn(Pair) -> (String, Expr)>;

fn pair(entry: &Pair) -> (&str, &Expr) {
    (&entry.0, &entry.1)
}

fn pair_mut(entry: &mut Pair) -> (&str, &mut Expr) {
    (&entry.0, &mut entry.1)
}

fn owned((key, value): Pair) -> (String, Expr) {
    (key.into_string(), value)
}

impl ExprMap {
    /// An empty map.
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// An empty map with room for `capacity` entries.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Vec::with_capacity(capacity),
        }
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k == key)
    }

    /// Sets `key` to `value`: an existing key keeps its place and returns its old value, a
    /// new key goes last.
    pub fn insert(&mut self, key: impl AsRef<str>, value: Expr) -> Option<Expr> {
        let key = key.as_ref();
        match self.position(key) {
            Some(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            None => {
                self.entries.push((key.into(), value));
                None
            }
        }
    }

    /// Appends an entry whose key the caller knows is new (read from a JSON object, whose
    /// keys are unique): no lookup.
    pub(crate) fn push_new(&mut self, key: &str, value: Expr) {
        debug_assert!(!self.contains_key(key), "duplicate key {key}");
        self.entries.push((key.into(), value));
    }

    /// Makes room for `additional` more entries.
    pub fn reserve(&mut self, additional: usize) {
        self.entries.reserve(additional);
    }

    /// Makes room for exactly `additional` more entries.
    pub fn reserve_exact(&mut self, additional: usize) {
        self.entries.reserve_exact(additional);
    }

    /// Frees the room reserved for entries not inserted (a map grown one insert at a time
    /// has room for four, then eight).
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
    }

    /// The place of `key`, to read or fill in.
    pub fn entry(&mut self, key: impl AsRef<str>) -> Entry<'_> {
        let key = CompactString::new(key.as_ref());
        let index = self.position(&key);
        Entry {
            map: self,
            key,
            index,
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Expr> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of `key`, to change it.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Expr> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The position, key and value of `key`.
    pub fn get_full(&self, key: &str) -> Option<(usize, &str, &Expr)> {
        let i = self.position(key)?;
        let (k, v) = &self.entries[i];
        Some((i, k, v))
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Removes `key`, keeping the order of the others; returns its value.
    pub fn shift_remove(&mut self, key: &str) -> Option<Expr> {
        let i = self.position(key)?;
        Some(self.entries.remove(i).1)
    }

    /// The entry at position `index`.
    pub fn get_index(&self, index: usize) -> Option<(&str, &Expr)> {
        self.entries.get(index).map(pair)
    }

    /// The first entry.
    pub fn first(&self) -> Option<(&str, &Expr)> {
        self.entries.first().map(pair)
    }

    /// Keeps only the entries for which `keep` returns true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut Expr) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    /// Sorts the entries by key.
    pub fn sort_keys(&mut self) {
        self.entries.sort_by(|a, b| a.0.cmp(&b.0));
    }

    /// The entries in order.
    pub fn iter(&self) -> Iter<'_> {
        self.entries.iter().map(pair)
    }

    /// The entries in order, values changeable.
    pub fn iter_mut(&mut self) -> IterMut<'_> {
        self.entries.iter_mut().map(pair_mut)
    }

    /// The keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// The values in order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Expr> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The values in order, changeable.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut Expr> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// The keys in order, consuming the map.
    pub fn into_keys(self) -> impl DoubleEndedIterator<Item = String> + ExactSizeIterator {
        self.entries.into_iter().map(|(k, _)| k.into_string())
    }

    /// The values in order, consuming the map.
    pub fn into_values(self) -> impl DoubleEndedIterator<Item = Expr> + ExactSizeIterator {
        self.entries.into_iter().map(|(_, v)| v)
    }
}

/// The place of one key in an [`ExprMap`] (from [`ExprMap::entry`]).
pub struct Entry<'a> {
    map: &'a mut ExprMap,
    key: CompactString,
    index: Option<usize>,
}

impl<'a> Entry<'a> {
    /// The value, inserting `value` first when the key has none.
    pub fn or_insert(self, value: Expr) -> &'a mut Expr {
        self.or_insert_with(|| value)
    }

    /// The value, inserting `make()` first when the key has none.
    pub fn or_insert_with(self, make: impl FnOnce() -> Expr) -> &'a mut Expr {
        let i = match self.index {
            Some(i) => i,
            None => {
                self.map.entries.push((self.key, make()));
                self.map.entries.len() - 1
            }
        };
        &mut self.map.entries[i].1
    }
}

impl PartialEq for ExprMap {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && (self.entries == other.entries || self.iter().all(|(k, v)| other.get(k) == Some(v)))
    }
}

impl fmt::Debug for ExprMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: AsRef<str>> FromIterator<(K, Expr)> for ExprMap {
    fn from_iter<I: IntoIterator<Item = (K, Expr)>>(iter: I) -> Self {
        let mut map = Self::new();
        map.extend(iter);
        map
    }
}

impl<K: AsRef<str>> Extend<(K, Expr)> for ExprMap {
    fn extend<I: IntoIterator<Item = (K, Expr)>>(&mut self, iter: I) {
        let iter = iter.into_iter();
        // Exactly, into an empty map: `reserve` rounds up to four entries, and most maps are
        // built whole (a tag's two entries took the room of four).
        if self.entries.is_empty() {
            self.entries.reserve_exact(iter.size_hint().0);
        } else {
            self.entries.reserve(iter.size_hint().0);
        }
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: AsRef<str>, const N: usize> From<[(K, Expr); N]> for ExprMap {
    fn from(entries: [(K, Expr); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl From<IndexMap<String, Expr>> for ExprMap {
    fn from(map: IndexMap<String, Expr>) -> Self {
        // Keys are already unique: no lookups.
        Self {
            entries: map
                .into_iter()
                .map(|(k, v)| (CompactString::new(&k), v))
                .collect(),
        }
    }
}

impl From<ExprMap> for IndexMap<String, Expr> {
    fn from(map: ExprMap) -> Self {
        map.into_iter().collect()
    }
}

impl IntoIterator for ExprMap {
    type Item = (String, Expr);
    type IntoIter = IntoIter;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter().map(owned)
    }
}

impl<'a> IntoIterator for &'a ExprMap {
    type Item = (&'a str, &'a Expr);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut ExprMap {
    type Item = (&'a str, &'a mut Expr);
    type IntoIter = IterMut<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl std::ops::Index<&str> for ExprMap {
    type Output = Expr;

    /// The value of `key`; panics when there is none (as `IndexMap`).
    fn index(&self, key: &str) -> &Expr {
        self.get(key)
            .unwrap_or_else(|| panic!("no key `{key}` in the map"))
    }
}

impl serde::Serialize for ExprMap {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_keeps_the_first_place_and_returns_the_old_value() {
        let mut m = ExprMap::new();
        assert_eq!(m.insert("B", Expr::str("1")), None);
        assert_eq!(m.insert(String::from("A"), Expr::str("2")), None);
        assert_eq!(m.insert("B", Expr::str("3")), Some(Expr::str("1")));
        let keys: Vec<&str> = m.keys().collect();
        assert_eq!(keys, ["B", "A"]);
        assert_eq!(m.get("B"), Some(&Expr::str("3")));
        assert_eq!(m.shift_remove("B"), Some(Expr::str("3")));
        assert_eq!(m.first(), Some(("A", &Expr::str("2"))));
        assert!(!m.contains_key("B"));
    }

    #[test]
    fn maps_are_equal_whatever_their_order_but_not_with_other_values() {
        let ab = ExprMap::from([("A", Expr::from(1)), ("B", Expr::from(2))]);
        let ba = ExprMap::from([("B", Expr::from(2)), ("A", Expr::from(1))]);
        let other = ExprMap::from([("A", Expr::from(1)), ("B", Expr::from(3))]);
        assert_eq!(ab, ba);
        assert_ne!(ab, other);
        assert_ne!(ab, ExprMap::from([("A", Expr::from(1))]));
    }

    #[test]
    fn a_map_built_whole_has_room_for_its_entries_only() {
        let tag = ExprMap::from([("Key", Expr::str("app")), ("Value", Expr::str("bench"))]);
        assert_eq!(tag.entries.capacity(), 2);
        let mut grown = ExprMap::new();
        for k in ["A", "B", "C"] {
            grown.insert(k, Expr::from(1));
        }
        grown.shrink_to_fit();
        assert_eq!(grown.entries.capacity(), 3);
    }

    #[test]
    fn entry_fills_a_missing_key_once() {
        let mut m = ExprMap::new();
        *m.entry("Tags").or_insert_with(|| Expr::List(Vec::new())) = Expr::from(1);
        m.entry("Tags").or_insert(Expr::from(2));
        assert_eq!(m.get("Tags"), Some(&Expr::from(1)));
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn long_keys_and_conversions_keep_every_entry() {
        let long = "AVeryLongPropertyNameOfMoreThan24Bytes";
        let map: IndexMap<String, Expr> = [(long.to_owned(), Expr::from(1))].into();
        let small = ExprMap::from(map.clone());
        assert_eq!(small.get(long), Some(&Expr::from(1)));
        assert_eq!(IndexMap::from(small), map);
    }
}
