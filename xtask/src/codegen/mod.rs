//! `cargo xtask codegen`: typed resources from the vendored CloudFormation schemas.

mod model;
mod naming;
mod render;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

const SCHEMAS: &str = "constructs/schemas";
const OUTPUT: &str = "constructs/src/resources";

/// Generated files (paths relative to the repository root) and their formatted text.
pub type Files = BTreeMap<PathBuf, String>;

/// Generates every file of `constructs/src/resources/` in memory.
pub fn generate(root: &Path) -> Result<Files> {
    let schemas = root.join(SCHEMAS);
    let list = std::fs::read_to_string(schemas.join("types.txt"))
        .with_context(|| format!("reading {SCHEMAS}/types.txt"))?;
    let mut resources = Vec::new();
    for type_name in list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let file_name = type_name.to_lowercase().replace("::", "-") + ".json";
        let path = schemas.join(&file_name);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!("reading {SCHEMAS}/{file_name} (run scripts/refresh-schemas.py after editing types.txt)")
        })?;
        let schema: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("parsing {file_name}"))?;
        if schema["typeName"] != type_name {
            bail!(
                "{file_name} describes {}, not {type_name}",
                schema["typeName"]
            );
        }
        resources.push(model::build(&schema, &file_name).with_context(|| type_name.to_owned())?);
    }
    resources.sort_by(|a, b| (&a.service, &a.module).cmp(&(&b.service, &b.module)));

    let out = PathBuf::from(OUTPUT);
    let mut files = Files::new();
    files.insert(out.join("mod.rs"), render::root_file(&resources));
    let mut by_service: BTreeMap<&str, Vec<&model::Resource>> = BTreeMap::new();
    for r in &resources {
        by_service.entry(&r.service).or_default().push(r);
        let path = out.join(&r.service).join(format!("{}.rs", r.module));
        files.insert(path, render::resource_file(r));
    }
    for (service, members) in &by_service {
        files.insert(
            out.join(service).join("mod.rs"),
            render::service_file(members),
        );
    }
    for (path, text) in files.iter_mut() {
        *text = rustfmt(root, text).with_context(|| format!("formatting {}", path.display()))?;
    }
    Ok(files)
}

/// Formats `source` as `cargo fmt` would (same rustfmt, config looked up from the root).
fn rustfmt(root: &Path, source: &str) -> Result<String> {
    let rustfmt = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let mut child = Command::new(rustfmt)
        .args(["--edition", "2021", "--emit", "stdout"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running rustfmt (rustup component add rustfmt)")?;
    let mut stdin = child.stdin.take().context("rustfmt stdin")?;
    let input = source.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output()?;
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("writing to rustfmt"))??;
    if !output.status.success() {
        bail!(
            "rustfmt failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// Files whose content on disk differs from `files`, plus generated-looking files on disk
/// that `files` no longer has (all relative to `root`).
pub fn stale(root: &Path, files: &Files) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = files
        .iter()
        .filter(|(path, text)| std::fs::read_to_string(root.join(path)).ok().as_ref() != Some(text))
        .map(|(path, _)| path.clone())
        .collect();
    for path in existing(&root.join(OUTPUT))? {
        let rel = path.strip_prefix(root)?.to_path_buf();
        if !files.contains_key(&rel) {
            out.push(rel);
        }
    }
    out.sort();
    Ok(out)
}

/// Every `.rs` file under `dir`.
fn existing(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(existing(&path)?);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(out)
}

/// Writes the stale files of `files` and removes the ones no longer generated.
pub fn write(root: &Path, files: &Files) -> Result<Vec<PathBuf>> {
    let changed = stale(root, files)?;
    for rel in &changed {
        let path = root.join(rel);
        match files.get(rel) {
            Some(text) => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&path, text)?;
            }
            None => {
                std::fs::remove_file(&path)?;
                if let Some(parent) = path.parent() {
                    // Only succeeds once the folder is empty.
                    let _ = std::fs::remove_dir(parent);
                }
            }
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_code_is_up_to_date() {
        let root = crate::repo_root();
        let files = generate(&root).unwrap();
        let stale = stale(&root, &files).unwrap();
        assert!(
            stale.is_empty(),
            "generated code is out of date, run `cargo xtask codegen`: {stale:?}"
        );
    }
}
