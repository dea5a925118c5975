//! A new app repository from a template: the files `new` writes, the first stack, and the
//! dependency on stackforge.
//!
//! `app/settings.rs` and `app/stacks.rs` are written verbatim; the `files/*.in` templates get
//! `{{name}}` (the package and app name), `{{crate}}` (its Rust name) and `{{dependencies}}`.
//! `new` synthesizes the first stack in process, so the new app starts with its templates and
//! reviewed snapshots; the app uses the AWS constructs, which this crate does not depend on
//! (editing a construct does not recompile the CLI), so the crate `stackforge-scaffold-app`
//! compiles it and the binary passes it in ([`NewApp`], [`crate::run_with_new_app`]).

use std::fs;
use std::path::{Path, PathBuf};

use stackforge_construct_model::{App, Assembly, OutputFormat};

use crate::error::{CliError, Result};

/// The longest app name: stack names (`<app>-<env>-<stack>`) stay short, generated lines
/// stay within rustfmt's width.
pub const MAX_NAME_LEN: usize = 32;

/// Example values of the parameters the first stack declares without a default.
const EXAMPLE_VALUES: [(&str, &str); 1] = [(
    "CertificateArn",
    "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
)];

/// Where the new app gets stackforge from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dependency {
    /// A checkout on this machine (the folder holding stackforge's `Cargo.toml`).
    Path(PathBuf),
    /// A git repository URL.
    Git(String),
}

/// The command-line options choosing the [`Dependency`] of a crate `new` or `migrate`
/// writes.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StackforgeSource {
    /// The stackforge checkout to depend on by path. Default: the one this binary was built
    /// from.
    #[arg(long, value_name = "DIR", conflicts_with = "stackforge_git")]
    pub stackforge_path: Option<PathBuf>,
    /// Depend on stackforge from this git repository URL instead of a path.
    #[arg(long, value_name = "URL")]
    pub stackforge_git: Option<String>,
}

impl StackforgeSource {
    /// The dependency the options name: the git URL, the given checkout (which must be one),
    /// or the checkout this binary was built from.
    pub fn dependency(&self) -> Result<Dependency> {
        if let Some(url) = &self.stackforge_git {
            return Ok(Dependency::Git(url.clone()));
        }
        let dir = match &self.stackforge_path {
            Some(p) => p.clone(),
            None => own_checkout().ok_or_else(|| {
                CliError::Usage(
                    "this binary was not built from a stackforge checkout. Fix: pass --stackforge-path DIR or --stackforge-git URL".into(),
                )
            })?,
        };
        if !is_checkout(&dir) {
            return Err(CliError::Usage(format!(
                "--stackforge-path {}: not a stackforge checkout (no Cargo.toml, cli/ and constructs/). Fix: pass the folder of stackforge's workspace Cargo.toml",
                dir.display()
            )));
        }
        Ok(Dependency::Path(dir.canonicalize().unwrap_or(dir)))
    }
}

/// Builds the app `new` writes, named by its argument: `stackforge_scaffold_app::app`.
pub type NewApp = fn(&str) -> std::result::Result<App, stackforge_construct_model::Error>;

/// Checks an app name: lower-case letters, digits and `-`, starting with a letter, at most
/// [`MAX_NAME_LEN`] characters (a Cargo package name and a CloudFormation stack-name prefix).
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && name.len() <= MAX_NAME_LEN;
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not an app name: use lower-case letters, digits and `-`, starting with a letter, at most {MAX_NAME_LEN} characters. Fix: pass --name NAME"
        ))
    }
}

/// The checkout this binary was built from, when it is one (not a copy in Cargo's caches).
pub fn own_checkout() -> Option<PathBuf> {
    // This crate is `cli/` of the workspace.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()?
        .to_path_buf();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let cached = cargo_home.is_some_and(|h| dir.starts_with(h));
    (is_checkout(&dir) && !cached).then_some(dir)
}

/// Whether `dir` holds stackforge's workspace.
pub fn is_checkout(dir: &Path) -> bool {
    dir.join("Cargo.toml").is_file()
        && dir.join("cli/Cargo.toml").is_file()
        && dir.join("constructs/Cargo.toml").is_file()
}

/// Every file of the new app except the synthesized templates, by path relative to its
/// folder: sources, parameter files, snapshots, CI script, README.
pub fn files(
    name: &str,
    dependency: &Dependency,
    app_dir: &Path,
    assembly: &Assembly,
) -> Result<Vec<(PathBuf, String)>> {
    let crate_name = name.replace('-', "_");
    let (dependencies, kind) = dependency_lines(dependency, app_dir);
    let fill = |template: &str| {
        template
            .replace("{{name}}", name)
            .replace("{{crate}}", &crate_name)
            .replace("{{dependencies}}", &dependencies)
            .replace("{{dependency_kind}}", &kind)
    };
    let mut out: Vec<(PathBuf, String)> = [
        ("Cargo.toml", fill(include_str!("files/Cargo.toml.in"))),
        (".gitignore", include_str!("files/gitignore.in").to_owned()),
        ("README.md", fill(include_str!("files/README.md.in"))),
        ("ci.sh", include_str!("files/ci.sh.in").to_owned()),
        ("src/main.rs", fill(include_str!("files/main.rs.in"))),
        ("src/lib.rs", fill(include_str!("files/lib.rs.in"))),
        (
            "src/settings.rs",
            include_str!("app/settings.rs").to_owned(),
        ),
        ("src/stacks.rs", include_str!("app/stacks.rs").to_owned()),
        (
            "tests/snapshots.rs",
            fill(include_str!("files/snapshots.rs.in")),
        ),
    ]
    .into_iter()
    .map(|(p, text)| (PathBuf::from(p), text))
    .collect();
    for env in &assembly.environments {
        for stack in &env.stacks {
            let snap = format!(
                "tests/snapshots/snapshots__{}__{}.snap",
                env.environment.name(),
                stack.name
            );
            let header = "---\nsource: tests/snapshots.rs\nexpression: \"stack.render(OutputFormat::Json)\"\n---\n";
            out.push((
                snap.into(),
                format!("{header}{}", stack.render(OutputFormat::Json)),
            ));
            if let Some(params) = example_parameters(stack)? {
                let path = format!("params/{}/{}.json", env.environment.name(), stack.name);
                out.push((path.into(), params));
            }
        }
    }
    Ok(out)
}

/// The example parameter file of `stack`: a value for each parameter without a default.
fn example_parameters(stack: &stackforge_construct_model::StackArtifact) -> Result<Option<String>> {
    let mut values = serde_json::Map::new();
    // Image digests: `deploy` sets them after pushing the image, never a parameter file.
    let deploy_set: Vec<String> =
        stackforge_construct_model::deploy_metadata::image_parameters(stack.template())
            .into_iter()
            .map(|i| i.parameter)
            .collect();
    for (name, p) in &stack.template().parameters {
        if p.default.is_some() || deploy_set.contains(name) {
            continue;
        }
        let Some((_, value)) = EXAMPLE_VALUES.iter().find(|(n, _)| n == name) else {
            return Err(CliError::Failed(format!(
                "the template app's stack `{}` declares parameter `{name}`, which has no example value (a bug in stackforge's scaffold)",
                stack.name
            )));
        };
        values.insert(name.clone(), serde_json::Value::from(*value));
    }
    Ok((!values.is_empty())
        .then(|| crate::output::pretty_json(&serde_json::json!({ "Parameters": values }))))
}

/// The `[dependencies]` lines, and how the README names the dependency.
pub(crate) fn dependency_lines(dependency: &Dependency, app_dir: &Path) -> (String, String) {
    match dependency {
        Dependency::Path(dir) => {
            let shown = relative_if_sibling(dir, app_dir);
            let path = shown.display().to_string();
            (
                format!(
                    "stackforge = {{ path = {:?} }}\nstackforge-constructs = {{ path = {:?} }}",
                    shown.join("cli").display().to_string(),
                    shown.join("constructs").display().to_string()
                ),
                format!("by path (`{path}`)"),
            )
        }
        Dependency::Git(url) => (
            format!(
                "stackforge = {{ git = {url:?} }}\nstackforge-constructs = {{ git = {url:?} }}"
            ),
            format!("from git (`{url}`)"),
        ),
    }
}

/// `dir` as `../name` when it sits beside `app_dir`, else as given.
fn relative_if_sibling(dir: &Path, app_dir: &Path) -> PathBuf {
    let dir_abs = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let parent = app_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let app_parent = parent.canonicalize().ok();
    match (dir_abs.parent(), dir_abs.file_name(), app_parent) {
        (Some(p), Some(name), Some(ap)) if p == ap => Path::new("..").join(name),
        _ => dir_abs,
    }
}

/// Writes `files` under `dir` (created), marking `ci.sh` executable.
pub fn write(dir: &Path, files: &[(PathBuf, String)]) -> Result<()> {
    for (rel, text) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| CliError::io(parent, e))?;
        }
        fs::write(&path, text).map_err(|e| CliError::io(&path, e))?;
        #[cfg(unix)]
        if rel.extension().is_some_and(|e| e == "sh") {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755))
                .map_err(|e| CliError::io(&path, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_names_are_checked() {
        for good in ["shop", "my-app2", "a"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["Shop", "2app", "my_app", "app-", "", &"a".repeat(33)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_template_app_synthesizes_and_every_parameter_has_an_example() {
        let assembly = stackforge_scaffold_app::app("shop")
            .unwrap()
            .synth()
            .unwrap();
        let files = files(
            "shop",
            &Dependency::Git("https://example.com/stackforge.git".into()),
            Path::new("shop"),
            &assembly,
        )
        .unwrap();
        let names: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
        for want in [
            "params/dev/service.json",
            "params/prod/service.json",
            "tests/snapshots/snapshots__prod__data.snap",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
        }
        let text = |name: &str| &files.iter().find(|(p, _)| p == Path::new(name)).unwrap().1;
        assert!(text("Cargo.toml")
            .contains("stackforge = { git = \"https://example.com/stackforge.git\" }"));
        assert!(text("src/main.rs").contains("shop::app"));
        assert!(
            !files.iter().any(|(_, t)| t.contains("{{")),
            "every placeholder is filled"
        );
    }

    #[test]
    fn a_checkout_beside_the_app_is_named_relatively() {
        let root = tempfile::tempdir().unwrap();
        let sf = root.path().join("stackforge");
        fs::create_dir_all(&sf).unwrap();
        assert_eq!(
            relative_if_sibling(&sf, &root.path().join("shop")),
            Path::new("../stackforge")
        );
        let elsewhere = root.path().join("deep/shop");
        assert_eq!(
            relative_if_sibling(&sf, &elsewhere),
            sf.canonicalize().unwrap()
        );
    }
}
