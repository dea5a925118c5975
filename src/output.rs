//! Turning an assembly into files, writing them atomically, and comparing them with a folder.

use std::fs;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use stackforge_constructs::layout::{MANIFEST_FILE, PARAMETER_FILE_SUFFIX};
use stackforge_constructs::{Assembly, EnvironmentAssembly, OutputFormat};

use crate::error::{CliError, Result};

/// The files of one environment folder: file name -> content.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvFiles {
    /// The environment name (the folder name).
    pub env: String,
    /// File name -> content, templates in deploy order then the manifest.
    pub files: IndexMap<String, String>,
}

/// Renders the templates and manifest of `env`.
pub fn render_env(
    assembly: &Assembly,
    env: &EnvironmentAssembly,
    format: OutputFormat,
) -> EnvFiles {
    let mut files = IndexMap::new();
    for stack in &env.stacks {
        files.insert(stack.template_file(format), stack.render(format));
    }
    let manifest = env.manifest(&assembly.app, format);
    files.insert(MANIFEST_FILE.to_owned(), manifest.render());
    EnvFiles {
        env: env.environment.name().to_owned(),
        files,
    }
}

/// Pretty JSON with a final newline, the form of every JSON file we write.
pub fn pretty_json(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

/// Replaces `out/<env>` with `files` atomically: everything is written to a staging folder
/// first and swapped in with renames, so a failure leaves the previous folder untouched.
/// Parameter files of the previous folder are kept. With `only`, the other files of the
/// previous folder are kept too and only the named files are replaced.
pub fn write_env(out: &Path, files: &EnvFiles, only: Option<&[String]>) -> Result<()> {
    fs::create_dir_all(out).map_err(|e| CliError::io(out, e))?;
    let target = out.join(&files.env);
    let pid = std::process::id();
    let staging = out.join(format!(".{}.staging-{pid}", files.env));
    let old = out.join(format!(".{}.old-{pid}", files.env));
    let _ = fs::remove_dir_all(&staging);
    let result = (|| {
        fs::create_dir_all(&staging).map_err(|e| CliError::io(&staging, e))?;
        if target.is_dir() {
            for entry in fs::read_dir(&target).map_err(|e| CliError::io(&target, e))? {
                let entry = entry.map_err(|e| CliError::io(&target, e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let unselected = only.is_some_and(|o| !o.contains(&name)) && name != MANIFEST_FILE;
                let keep = name.ends_with(PARAMETER_FILE_SUFFIX) || unselected;
                if keep && entry.path().is_file() {
                    fs::copy(entry.path(), staging.join(&name))
                        .map_err(|e| CliError::io(entry.path(), e))?;
                }
            }
        }
        for (name, content) in &files.files {
            let selected =
                only.is_none_or(|o| o.iter().any(|s| s == name)) || name == MANIFEST_FILE;
            if selected {
                let path = staging.join(name);
                fs::write(&path, content).map_err(|e| CliError::io(&path, e))?;
            }
        }
        swap_in(&staging, &target, &old)
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

fn swap_in(staging: &Path, target: &Path, old: &Path) -> Result<()> {
    let had_old = target.exists();
    if had_old {
        fs::rename(target, old).map_err(|e| CliError::io(target, e))?;
    }
    if let Err(e) = fs::rename(staging, target) {
        if had_old {
            let _ = fs::rename(old, target);
        }
        return Err(CliError::io(target, e));
    }
    if had_old {
        let _ = fs::remove_dir_all(old);
    }
    Ok(())
}

/// How a file on disk differs from what synth produces.
#[derive(Debug, Clone, PartialEq)]
pub enum Staleness {
    /// Synth produces it; the folder lacks it.
    Missing(PathBuf),
    /// Synth would write it differently; holds a unified diff (old = on disk).
    Differs(PathBuf, String),
    /// The folder has it; synth would delete it.
    Extra(PathBuf),
}

impl std::fmt::Display for Staleness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Staleness::Missing(p) => write!(f, "missing: {}", p.display()),
            Staleness::Differs(p, _) => write!(f, "differs: {}", p.display()),
            Staleness::Extra(p) => write!(f, "extra:   {} (synth would remove it)", p.display()),
        }
    }
}

/// Compares `out/<env>` with `files` (parameter files are inputs and not compared). With
/// `only`, only the named files are compared.
pub fn compare_env(out: &Path, files: &EnvFiles, only: Option<&[String]>) -> Vec<Staleness> {
    let dir = out.join(&files.env);
    let mut found = Vec::new();
    for (name, want) in &files.files {
        if only.is_some_and(|o| !o.iter().any(|s| s == name)) && name != MANIFEST_FILE {
            continue;
        }
        let path = dir.join(name);
        match fs::read_to_string(&path) {
            Ok(have) if &have == want => {}
            Ok(have) => {
                let diff = similar::TextDiff::from_lines(&have, want)
                    .unified_diff()
                    .context_radius(3)
                    .header(
                        &format!("{} (committed)", path.display()),
                        &format!("{} (synthesized)", path.display()),
                    )
                    .to_string();
                found.push(Staleness::Differs(path, diff));
            }
            Err(_) => found.push(Staleness::Missing(path)),
        }
    }
    if only.is_none() {
        if let Ok(entries) = fs::read_dir(&dir) {
            let mut extra: Vec<PathBuf> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !files.files.contains_key(n) && !n.ends_with(PARAMETER_FILE_SUFFIX))
                .map(|n| dir.join(n))
                .collect();
            extra.sort();
            found.extend(extra.into_iter().map(Staleness::Extra));
        }
    }
    found
}
