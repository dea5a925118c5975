//! Turning an assembly into files, writing them atomically, and comparing them with a folder.

use std::fs;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use stackforge_construct_model::layout::MANIFEST_FILE;
use stackforge_construct_model::{Assembly, EnvironmentAssembly, OutputFormat};

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

/// Whether synth owns the file `name` of an environment folder: it writes the manifest and
/// the templates, and removes templates of stacks the app no longer has. Every other entry
/// (hand-written notes, parameter files of the old layout) is carried over untouched.
pub fn owned(name: &str) -> bool {
    name == MANIFEST_FILE
        || [OutputFormat::Json, OutputFormat::Yaml]
            .iter()
            .any(|f| name.ends_with(&format!(".template.{}", f.extension())))
}

/// Replaces `out/<env>` with `files` atomically: everything is written to a staging folder
/// first and swapped in (with one atomic exchange where the system has it), so a failure
/// leaves the previous folder untouched and readers never see a half-written folder. Entries
/// of the previous folder that synth does not own ([`owned`]) and does not write are carried
/// over. With `only`, the other files of the previous folder are kept too and only the named
/// files (and the manifest) are replaced. Call it holding the folder's lock.
pub fn write_env(out: &Path, files: &EnvFiles, only: Option<&[String]>) -> Result<()> {
    fs::create_dir_all(out).map_err(|e| CliError::io(out, e))?;
    let target = out.join(&files.env);
    let pid = std::process::id();
    let staging = out.join(format!(".{}.staging-{pid}", files.env));
    let old = out.join(format!(".{}.old-{pid}", files.env));
    let _ = fs::remove_dir_all(&staging);
    let selected =
        |name: &str| only.is_none_or(|o| o.iter().any(|s| s == name)) || name == MANIFEST_FILE;
    let result = (|| {
        fs::create_dir_all(&staging).map_err(|e| CliError::io(&staging, e))?;
        if target.is_dir() {
            for entry in fs::read_dir(&target).map_err(|e| CliError::io(&target, e))? {
                let entry = entry.map_err(|e| CliError::io(&target, e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let replaced = files.files.contains_key(&name) && selected(&name);
                let removed = owned(&name) && only.is_none();
                if !replaced && !removed {
                    copy_entry(&entry.path(), &staging.join(&name))?;
                }
            }
        }
        for (name, content) in &files.files {
            if selected(name) {
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

/// Copies a file, a symbolic link (as a link) or a folder (recursively).
fn copy_entry(from: &Path, to: &Path) -> Result<()> {
    let meta = fs::symlink_metadata(from).map_err(|e| CliError::io(from, e))?;
    if meta.file_type().is_symlink() {
        let link = fs::read_link(from).map_err(|e| CliError::io(from, e))?;
        #[cfg(unix)]
        std::os::unix::fs::symlink(&link, to).map_err(|e| CliError::io(to, e))?;
        #[cfg(not(unix))]
        fs::copy(from, to).map_err(|e| CliError::io(from, e))?;
        let _ = link;
    } else if meta.is_dir() {
        fs::create_dir(to).map_err(|e| CliError::io(to, e))?;
        for entry in fs::read_dir(from).map_err(|e| CliError::io(from, e))? {
            let entry = entry.map_err(|e| CliError::io(from, e))?;
            copy_entry(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else {
        fs::copy(from, to).map_err(|e| CliError::io(from, e))?;
    }
    Ok(())
}

fn swap_in(staging: &Path, target: &Path, old: &Path) -> Result<()> {
    if !target.exists() {
        return fs::rename(staging, target).map_err(|e| CliError::io(target, e));
    }
    if exchange(staging, target).map_err(|e| CliError::io(target, e))? {
        // `staging` now holds the previous folder.
        let _ = fs::remove_dir_all(staging);
        return Ok(());
    }
    fs::rename(target, old).map_err(|e| CliError::io(target, e))?;
    if let Err(e) = fs::rename(staging, target) {
        let _ = fs::rename(old, target);
        return Err(CliError::io(target, e));
    }
    let _ = fs::remove_dir_all(old);
    Ok(())
}

/// Swaps two folders in one step; `false` when the system or file system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    use rustix::io::Errno;
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// Cleans up after synths that were interrupted (killed, power loss) in `out`: a folder the
/// swap had moved aside while its replacement was missing is put back, and staging and
/// moved-aside folders are removed. Returns a note per action. Call it holding the lock.
pub fn recover_interrupted(out: &Path) -> Result<Vec<String>> {
    let Ok(entries) = fs::read_dir(out) else {
        return Ok(Vec::new());
    };
    let mut leftovers: Vec<(String, bool, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let (env, old) = leftover_of(&name)?;
            Some((env.to_owned(), old, e.path()))
        })
        .collect();
    // Moved-aside folders first, so a missing folder is put back before anything is removed.
    leftovers.sort_by_key(|(_, old, path)| (!*old, path.clone()));
    let mut notes = Vec::new();
    for (env, old, path) in leftovers {
        let target = out.join(&env);
        if old && !target.exists() {
            fs::rename(&path, &target).map_err(|e| CliError::io(&path, e))?;
            notes.push(format!(
                "restored {} from an interrupted synth ({})",
                target.display(),
                path.display()
            ));
            continue;
        }
        fs::remove_dir_all(&path).map_err(|e| CliError::io(&path, e))?;
        notes.push(format!(
            "removed {}, left by an interrupted synth",
            path.display()
        ));
    }
    Ok(notes)
}

/// For `.<env>.staging-<pid>` and `.<env>.old-<pid>`: the environment and whether it is a
/// moved-aside folder.
fn leftover_of(name: &str) -> Option<(&str, bool)> {
    let rest = name.strip_prefix('.')?;
    for (marker, old) in [(".staging-", false), (".old-", true)] {
        if let Some((env, pid)) = rest.rsplit_once(marker) {
            if !env.is_empty() && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
                return Some((env, old));
            }
        }
    }
    None
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

/// Compares `out/<env>` with `files`; an extra file is one synth owns ([`owned`]) and would
/// remove. With `only`, only the named files are compared.
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
                .filter(|n| !files.files.contains_key(n) && owned(n))
                .map(|n| dir.join(n))
                .collect();
            extra.sort();
            found.extend(extra.into_iter().map(Staleness::Extra));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_files(files: &[(&str, &str)]) -> EnvFiles {
        EnvFiles {
            env: "dev".into(),
            files: files
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn synth_replaces_what_it_owns_and_carries_everything_else_over() {
        let out = tempfile::tempdir().unwrap();
        let dev = out.path().join("dev");
        fs::create_dir_all(dev.join("notes")).unwrap();
        for (name, text) in [
            ("gone.template.json", "{}"),
            ("a.template.json", "old"),
            ("README.md", "hand-written"),
            ("old.parameters.json", "{}"),
            ("notes/today.txt", "kept"),
        ] {
            fs::write(dev.join(name), text).unwrap();
        }
        let files = env_files(&[("a.template.json", "new"), ("manifest.json", "m")]);
        write_env(out.path(), &files, None).unwrap();
        assert_eq!(
            names(&dev),
            [
                "README.md",
                "a.template.json",
                "manifest.json",
                "notes",
                "old.parameters.json"
            ]
        );
        assert_eq!(
            fs::read_to_string(dev.join("a.template.json")).unwrap(),
            "new"
        );
        assert_eq!(
            fs::read_to_string(dev.join("notes/today.txt")).unwrap(),
            "kept"
        );
        assert_eq!(names(out.path()), ["dev"], "no staging folder is left");
        assert!(compare_env(out.path(), &files, None).is_empty());
    }

    #[test]
    fn leftovers_of_interrupted_synths_are_recovered() {
        let out = tempfile::tempdir().unwrap();
        // Interrupted between moving `dev` aside and moving its replacement in.
        fs::create_dir_all(out.path().join(".dev.old-41/")).unwrap();
        fs::write(out.path().join(".dev.old-41/manifest.json"), "dev").unwrap();
        fs::create_dir_all(out.path().join(".dev.staging-41")).unwrap();
        // Interrupted while staging `prod`, which is intact.
        fs::create_dir_all(out.path().join("prod")).unwrap();
        fs::create_dir_all(out.path().join(".prod.staging-7/x")).unwrap();
        fs::create_dir_all(out.path().join(".prod.old-7")).unwrap();
        // Not ours.
        fs::create_dir_all(out.path().join(".git")).unwrap();
        fs::create_dir_all(out.path().join(".dev.staging-x")).unwrap();
        let notes = recover_interrupted(out.path()).unwrap();
        assert_eq!(notes.len(), 4, "{notes:?}");
        assert!(notes[0].starts_with("restored"), "{notes:?}");
        assert_eq!(names(out.path()), [".dev.staging-x", ".git", "dev", "prod"]);
        assert_eq!(
            fs::read_to_string(out.path().join("dev/manifest.json")).unwrap(),
            "dev"
        );
        assert!(recover_interrupted(out.path()).unwrap().is_empty());
    }
}
