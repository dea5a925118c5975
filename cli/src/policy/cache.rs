//! A content-addressed cache of cfn-guard results, so that an unchanged resource is not
//! evaluated again by the next run.
//!
//! The key of a result is a 128-bit hash of the engine identity (cfn-guard's version,
//! stackforge's version and the source of the code preparing documents and reading reports),
//! the rule file's text and the evaluated document's bytes. A file written by another engine is
//! ignored as a whole, so results are never trusted across versions. The cache is one file
//! (`policy-results.json`) in a folder under cargo's `target/` (or `STACKFORGE_CACHE_DIR`);
//! deleting it is always safe, and an unreadable one is ignored.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{xxh3_128, Xxh3};

use super::engine::RawFinding;

/// Environment variable naming the cache folder; empty turns the cache off.
pub const CACHE_DIR_ENV: &str = "STACKFORGE_CACHE_DIR";

/// The cache file inside the folder.
const FILE: &str = "policy-results.json";

/// At most this many results are kept (those used by the last run first).
const MAX_ENTRIES: usize = 500_000;

/// The code that turns a rule file and a document into the findings stored: how cfn-guard's
/// report is read, how documents are prepared and findings split per resource.
const READER: [&str; 4] = [
    include_str!("engine.rs"),
    include_str!("plan.rs"),
    include_str!("evaluation.rs"),
    include_str!("cache.rs"),
];

/// The engine identity results are valid for.
fn engine() -> &'static str {
    static ENGINE: OnceLock<String> = OnceLock::new();
    ENGINE.get_or_init(|| {
        use clap::CommandFactory;
        let guard = cfn_guard::commands::CfnGuard::command();
        format!(
            "cfn-guard {}; stackforge {}; reader {:032x}; cache 1",
            guard.get_version().unwrap_or("unknown"),
            env!("CARGO_PKG_VERSION"),
            xxh3_128(READER.concat().as_bytes()),
        )
    })
}

/// The folder the CLI keeps the cache in: `STACKFORGE_CACHE_DIR` when set (empty: none),
/// else `stackforge-cache` in the cargo `target/` folder the running binary was built in
/// (none for an installed binary).
pub fn default_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(CACHE_DIR_ENV) {
        return (!dir.is_empty()).then(|| PathBuf::from(dir));
    }
    let exe = std::env::current_exe().ok()?;
    // target/<profile>/stackforge, or target/<profile>/deps/<test binary>.
    exe.ancestors()
        .skip(1)
        .take(3)
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map(|target| target.join("stackforge-cache"))
}

/// A stored finding: rule, resource key, message.
type StoredFinding = (String, Option<String>, Option<String>);

#[derive(Serialize, Deserialize)]
struct Stored {
    engine: String,
    /// Hex key -> findings as `[rule, resource key, message]`.
    entries: HashMap<String, Vec<StoredFinding>>,
}

/// The results of one run: those loaded from the folder, and those found by this run.
pub(crate) struct Cache {
    path: PathBuf,
    loaded: HashMap<u128, Vec<RawFinding>>,
    used: HashSet<u128>,
    found: HashMap<u128, Vec<RawFinding>>,
}

impl Cache {
    /// Opens the cache in `dir`; a missing, unreadable or foreign file is an empty cache.
    pub(crate) fn open(dir: &Path) -> Cache {
        let path = dir.join(FILE);
        let loaded = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Stored>(&bytes).ok())
            .filter(|s| s.engine == engine())
            .map(|s| {
                s.entries
                    .into_iter()
                    .filter_map(|(k, v)| {
                        let key = u128::from_str_radix(&k, 16).ok()?;
                        let findings = v
                            .into_iter()
                            .map(|(rule, key, message)| RawFinding { rule, key, message })
                            .collect();
                        Some((key, findings))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Cache {
            path,
            loaded,
            used: HashSet::new(),
            found: HashMap::new(),
        }
    }

    /// The key of `doc` evaluated with the rule file whose text hashes to `rules`.
    pub(crate) fn key(rules: u128, doc: &str) -> u128 {
        let mut h = Xxh3::new();
        h.update(engine().as_bytes());
        h.update(&rules.to_le_bytes());
        h.update(doc.as_bytes());
        h.digest128()
    }

    /// The hash of a rule file's text, for [`Cache::key`].
    pub(crate) fn rules_hash(text: &str) -> u128 {
        xxh3_128(text.as_bytes())
    }

    /// The stored result of `key`, if any.
    pub(crate) fn get(&mut self, key: u128) -> Option<Vec<RawFinding>> {
        let hit = self.loaded.get(&key).cloned()?;
        self.used.insert(key);
        Some(hit)
    }

    /// Records the result of `key`.
    pub(crate) fn put(&mut self, key: u128, findings: Vec<RawFinding>) {
        self.found.insert(key, findings);
    }

    /// Writes the cache when this run found something new: its results first, then the
    /// others, at most [`MAX_ENTRIES`]. Failing to write only costs speed next time.
    pub(crate) fn save(self) {
        if self.found.is_empty() {
            return;
        }
        let Cache {
            path,
            mut loaded,
            used,
            found,
        } = self;
        let mut entries: Vec<(u128, Vec<RawFinding>)> = found.into_iter().collect();
        for key in &used {
            if let Some(v) = loaded.remove(key) {
                entries.push((*key, v));
            }
        }
        entries.extend(loaded);
        entries.truncate(MAX_ENTRIES);
        let stored = Stored {
            engine: engine().to_owned(),
            entries: entries
                .into_iter()
                .map(|(k, v)| {
                    let v = v.into_iter().map(|f| (f.rule, f.key, f.message)).collect();
                    (format!("{k:032x}"), v)
                })
                .collect(),
        };
        let Some(dir) = path.parent() else { return };
        let Ok(text) = serde_json::to_vec(&stored) else {
            return;
        };
        // Written aside and renamed, so a reader never sees half a file.
        let tmp = dir.join(format!("{FILE}.{}.tmp", std::process::id()));
        let written = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&tmp, text))
            .and_then(|()| std::fs::rename(&tmp, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> RawFinding {
        RawFinding {
            rule: "S3_ENCRYPTED".into(),
            key: Some("R".into()),
            message: Some("Fix: encrypt".into()),
        }
    }

    #[test]
    fn results_survive_a_run_and_keys_depend_on_rules_and_document() {
        let dir = tempfile::tempdir().unwrap();
        let rules = Cache::rules_hash("rule A {}");
        let key = Cache::key(rules, "{\"Resources\":{}}");
        assert_ne!(key, Cache::key(rules, "{\"Resources\": {}}"));
        assert_ne!(
            key,
            Cache::key(Cache::rules_hash("rule B {}"), "{\"Resources\":{}}")
        );

        let mut cache = Cache::open(dir.path());
        assert_eq!(cache.get(key), None);
        cache.put(key, vec![finding()]);
        cache.save();
        let mut cache = Cache::open(dir.path());
        assert_eq!(cache.get(key), Some(vec![finding()]));
    }

    #[test]
    fn a_file_of_another_engine_or_a_broken_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let key = Cache::key(Cache::rules_hash("rule A {}"), "{}");
        let foreign = Stored {
            engine: "cfn-guard 0.0.1; stackforge 0.0.0".into(),
            entries: [(format!("{key:032x}"), vec![])].into_iter().collect(),
        };
        std::fs::write(dir.path().join(FILE), serde_json::to_vec(&foreign).unwrap()).unwrap();
        assert_eq!(Cache::open(dir.path()).get(key), None);
        std::fs::write(dir.path().join(FILE), "{not json").unwrap();
        assert_eq!(Cache::open(dir.path()).get(key), None);
    }

    #[test]
    fn the_engine_identity_names_the_cfn_guard_version() {
        let lock = include_str!("../../../Cargo.lock");
        let at = lock.find("name = \"cfn-guard\"\nversion = \"").unwrap();
        let version = lock[at..].split('"').nth(3).unwrap();
        assert!(
            engine().starts_with(&format!("cfn-guard {version};")),
            "{}",
            engine()
        );
    }
}
