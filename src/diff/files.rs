//! Finding and reading the template files of a folder laid out `<dir>/<env>/<stack>.<ext>`.
//!
//! The template of stack `S` is the first existing file of `S.template.json`,
//! `S.template.yaml`, `S.template.yml`, `S.json`, `S.yaml`, `S.yml` (the first three are
//! what `synth` writes; the others let hand-written folders be compared). `manifest.json`,
//! `*.parameters.json` and hidden files are never templates.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;

use crate::error::{CliError, Result};
use crate::output::{MANIFEST_FILE, PARAMETER_FILE_SUFFIX};

/// Template file suffixes in the order they are tried.
pub const TEMPLATE_SUFFIXES: [&str; 6] = [
    ".template.json",
    ".template.yaml",
    ".template.yml",
    ".json",
    ".yaml",
    ".yml",
];

/// The template file of `stack` in `env_dir`, if there is one.
pub fn find_template(env_dir: &Path, stack: &str) -> Option<PathBuf> {
    TEMPLATE_SUFFIXES
        .iter()
        .map(|s| env_dir.join(format!("{stack}{s}")))
        .find(|p| p.is_file())
}

/// The stack name a file name stands for, with the rank of its suffix.
fn stack_of(file: &str) -> Option<(String, usize)> {
    if file.starts_with('.') || file == MANIFEST_FILE || file.ends_with(PARAMETER_FILE_SUFFIX) {
        return None;
    }
    TEMPLATE_SUFFIXES.iter().enumerate().find_map(|(rank, s)| {
        file.strip_suffix(s)
            .filter(|stem| !stem.is_empty())
            .map(|stem| (stem.to_owned(), rank))
    })
}

/// Every stack with a template file in `env_dir` (stack name -> file), sorted by name. A
/// missing folder has none.
pub fn stack_files(env_dir: &Path) -> Result<IndexMap<String, PathBuf>> {
    let entries = match std::fs::read_dir(env_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(IndexMap::new()),
        Err(e) => {
            return Err(CliError::Input {
                path: env_dir.to_path_buf(),
                problem: format!("cannot read the folder: {e}"),
            })
        }
    };
    let mut found: IndexMap<String, (usize, PathBuf)> = IndexMap::new();
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((stack, rank)) = stack_of(&name) else {
            continue;
        };
        if !entry.path().is_file() {
            continue;
        }
        let better = found.get(&stack).is_none_or(|(r, _)| rank < *r);
        if better {
            found.insert(stack, (rank, entry.path()));
        }
    }
    found.sort_keys();
    Ok(found.into_iter().map(|(k, (_, p))| (k, p)).collect())
}

/// Reads a template file (JSON or YAML, short-form tags turned into the long form). A
/// problem is an input error naming the file.
pub fn load_template(path: &Path) -> Result<Value> {
    crate::template_file::load(path).map_err(|e| CliError::Input {
        path: path.to_path_buf(),
        problem: format!("{e}. Fix: correct or remove the file"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_map_to_stacks_by_suffix_priority() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "network.template.json",
            "network.yaml",
            "service.yml",
            "manifest.json",
            "service.parameters.json",
            ".hidden.json",
            "README.md",
        ] {
            std::fs::write(dir.path().join(f), "Resources: {}").unwrap();
        }
        let found = stack_files(dir.path()).unwrap();
        let names: Vec<(&str, String)> = found
            .iter()
            .map(|(k, p)| {
                (
                    k.as_str(),
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("network", "network.template.json".to_owned()),
                ("service", "service.yml".to_owned())
            ]
        );
        assert_eq!(
            find_template(dir.path(), "network"),
            Some(dir.path().join("network.template.json"))
        );
        assert!(stack_files(&dir.path().join("nope")).unwrap().is_empty());
    }
}
