//! Reading folders: the one folder walker (loop-safe), the template files of an environment
//! folder, and the committed state synth and diff compare against. File names come from
//! [`stackforge_construct_model::layout`]; template text goes through the one reader,
//! [`stackforge_construct_model::document`].

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use stackforge_construct_model::committed::CommittedEnv;
use stackforge_construct_model::document;
use stackforge_construct_model::layout::{self, Manifest};
use stackforge_construct_model::Template;

/// A file or folder that cannot be read, and why (with the fix when there is one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct FileError {
    /// The file or folder.
    pub path: PathBuf,
    /// What is wrong.
    pub problem: String,
}

type Result<T> = std::result::Result<T, FileError>;

/// How deep folders may nest under a walked root.
const MAX_FOLDER_DEPTH: usize = 64;

/// Every file under `root` (recursively, in sorted order, hidden entries skipped) whose name
/// `want` accepts. A folder reached twice (a symlink loop) or nested deeper than 64 levels
/// is an input error naming it.
pub(crate) fn walk(root: &Path, want: &dyn Fn(&str) -> bool) -> Result<Vec<PathBuf>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    walk_into(root, want, 0, &mut seen, &mut out)?;
    Ok(out)
}

fn walk_into(
    dir: &Path,
    want: &dyn Fn(&str) -> bool,
    depth: usize,
    seen: &mut HashSet<PathBuf>,
    out: &mut Vec<PathBuf>,
) -> Result<()> {
    let input = |problem: String| FileError {
        path: dir.to_path_buf(),
        problem,
    };
    if depth > MAX_FOLDER_DEPTH {
        return Err(input(format!(
            "folders nest deeper than {MAX_FOLDER_DEPTH} levels. Fix: pass a shallower folder"
        )));
    }
    let real = dir.canonicalize().map_err(|e| {
        input(format!(
            "cannot read the folder: {}",
            crate::error::describe_io(&e)
        ))
    })?;
    if !seen.insert(real) {
        return Err(input(
            "this folder was reached twice: a symbolic link loops back to a folder above it. Fix: remove the link or pass a folder without loops".into(),
        ));
    }
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| {
            input(format!(
                "cannot read the folder: {}",
                crate::error::describe_io(&e)
            ))
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk_into(&path, want, depth + 1, seen, out)?;
        } else if want(&name) {
            out.push(path);
        }
    }
    Ok(())
}

/// The template file of every stack in `env_dir` (stack name -> file, sorted by name; the
/// preferred suffix wins). A missing folder has none.
pub(crate) fn stack_files(env_dir: &Path) -> Result<IndexMap<String, PathBuf>> {
    let entries = match fs::read_dir(env_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(IndexMap::new()),
        Err(e) => {
            return Err(FileError {
                path: env_dir.to_path_buf(),
                problem: format!("cannot read the folder: {}", crate::error::describe_io(&e)),
            })
        }
    };
    let mut found: IndexMap<String, (usize, PathBuf)> = IndexMap::new();
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((stack, rank)) = layout::template_stack(&name) else {
            continue;
        };
        if !entry.path().is_file() {
            continue;
        }
        if found.get(stack).is_none_or(|(r, _)| rank < *r) {
            found.insert(stack.to_owned(), (rank, entry.path()));
        }
    }
    found.sort_keys();
    Ok(found.into_iter().map(|(k, (_, p))| (k, p)).collect())
}

/// Reads a template file through the one reader; a problem is an input error naming the
/// file.
pub(crate) fn load_template(path: &Path) -> Result<Template> {
    document::load_checked(path).map_err(|e| FileError {
        path: path.to_path_buf(),
        problem: if e.is_unsupported() {
            e.to_string()
        } else {
            format!("{e}. Fix: correct or remove the file")
        },
    })
}

/// The committed output of one environment folder, and the files that could not be read.
#[derive(Debug, Default)]
pub(crate) struct CommittedFolder {
    /// What could be read.
    pub state: CommittedEnv,
    /// Stack name -> template file, for every template file found.
    pub files: IndexMap<String, PathBuf>,
    /// Files that could not be read (as input errors).
    pub problems: Vec<FileError>,
}

/// Reads `env_dir`: its manifest, if any, and every template. A missing folder is empty.
pub(crate) fn read_committed(env_dir: &Path) -> Result<CommittedFolder> {
    let files = stack_files(env_dir)?;
    let mut out = CommittedFolder::default();
    let manifest_path = env_dir.join(layout::MANIFEST_FILE);
    match fs::read_to_string(&manifest_path) {
        Ok(text) => match Manifest::parse(&text) {
            Ok(m) => out.state.manifest = Some(m),
            Err(problem) => out.problems.push(FileError {
                path: manifest_path,
                problem: format!("{problem}. Fix: run synth to rewrite it"),
            }),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => out.problems.push(FileError {
            path: manifest_path,
            problem: format!(
                "cannot read the manifest: {}",
                crate::error::describe_io(&e)
            ),
        }),
    }
    for (stack, path) in &files {
        match load_template(path) {
            Ok(t) => {
                out.state.templates.insert(stack.clone(), t);
            }
            Err(e) => out.problems.push(e),
        }
    }
    out.files = files;
    Ok(out)
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
            fs::write(dir.path().join(f), "Resources: {}").unwrap();
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
        assert!(stack_files(&dir.path().join("nope")).unwrap().is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_ends_the_walk_with_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a");
        fs::create_dir(&sub).unwrap();
        fs::write(sub.join("t.json"), "{}").unwrap();
        std::os::unix::fs::symlink(dir.path(), sub.join("loop")).unwrap();
        let e = walk(dir.path(), &|n| n.ends_with(".json")).unwrap_err();
        assert!(e.problem.contains("reached twice"), "{e}");
    }
}
