//! The app crate around the migrated modules, in the shape `stackforge new` writes:
//! `Cargo.toml`, `src/main.rs` (stackforge's CLI on the app), `src/lib.rs` (the app: one
//! stack per module), `src/support.rs` (helpers), README and CI script.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::MigratedStack;

/// What the app is called and how it is built.
#[derive(Debug, Clone)]
pub struct AppSpec {
    /// The app name (stack names are `<app>-<env>-<stack>`).
    pub name: String,
    /// The environment the stacks deploy to.
    pub env: String,
    /// Whether synth leaves out stackforge's additions (the `ExactTemplates` aspect).
    pub exact: bool,
    /// The `[dependencies]` lines naming stackforge and its constructs.
    pub dependencies: String,
}

/// Every file of the app, by path relative to its folder.
pub fn app_files(spec: &AppSpec, stacks: &[MigratedStack]) -> Vec<(PathBuf, String)> {
    let crate_name = spec.name.replace('-', "_");
    let fill = |template: &str| {
        template
            .replace("{{name}}", &spec.name)
            .replace("{{crate}}", &crate_name)
    };
    let mut out: Vec<(PathBuf, String)> = vec![
        ("Cargo.toml".into(), cargo_toml(spec)),
        (
            ".gitignore".into(),
            include_str!("../scaffold/files/gitignore.in").to_owned(),
        ),
        ("README.md".into(), readme(spec, stacks)),
        (
            "ci.sh".into(),
            include_str!("../scaffold/files/ci.sh.in").to_owned(),
        ),
        (
            "src/main.rs".into(),
            fill(include_str!("../scaffold/files/main.rs.in")),
        ),
        ("src/lib.rs".into(), lib_rs(spec, stacks)),
        (
            "src/support.rs".into(),
            include_str!("support.rs.in").to_owned(),
        ),
    ];
    for s in stacks {
        out.push((format!("src/{}.rs", s.module).into(), s.code.clone()));
        // The original, where `diff --against original` finds it.
        let ext = if s.text.trim_start().starts_with('{') {
            "json"
        } else {
            "yaml"
        };
        out.push((
            format!("original/{}/{}.template.{ext}", spec.env, s.name).into(),
            s.text.clone(),
        ));
    }
    out
}

fn cargo_toml(spec: &AppSpec) -> String {
    format!(
        "[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n# The CLI library (synth, check, diff, deploy, graph) and the constructs.\n{}\nserde_json = \"1\"\n\n# A repository of its own, even when created inside another workspace.\n[workspace]\n",
        spec.name, spec.dependencies
    )
}

/// `src/lib.rs`: the app with one stack per migrated template.
pub(super) fn lib_rs(spec: &AppSpec, stacks: &[MigratedStack]) -> String {
    let mut out = format!(
        "//! The `{}` infrastructure, migrated from CloudFormation templates by `stackforge migrate`.\n//! `cargo run -- synth` writes the templates to `templates/<env>/`.\n\n#[allow(dead_code)] // Not every app uses every helper.\nmod support;\n\n",
        spec.name
    );
    for s in stacks {
        out.push_str(&format!(
            "/// Migrated from `{}`.\npub mod {};\n",
            s.source, s.module
        ));
    }
    out.push_str(&format!(
        "\nuse stackforge_constructs::{{App, Environment, Error}};\n\n/// The app name: stack names are `{name}-<env>-<stack>`.\npub const APP_NAME: &str = \"{name}\";\n\n/// The environment the migrated stacks deploy to.\npub const ENV: &str = \"{env}\";\n\n",
        name = spec.name,
        env = spec.env
    ));
    out.push_str("/// Builds the app: every migrated stack in `ENV`.\npub fn app() -> Result<App, Error> {\n");
    if spec.exact {
        out.push_str("let mut app = App::new(APP_NAME);\n// `--exact`: synth gives the migrated templates back without stackforge's construct-path\n// metadata and default tags. Remove this to adopt them.\napp.add_aspect(support::ExactTemplates::new(APP_NAME)");
        for s in stacks.iter().filter(|s| !s.already_stackforge.is_empty()) {
            let ids: Vec<String> = s
                .already_stackforge
                .iter()
                .map(|i| format!("{i:?}"))
                .collect();
            out.push_str(&format!("\n.leave({:?}, &[{}])", s.name, ids.join(", ")));
        }
        out.push_str(");\n");
    } else {
        out.push_str("let mut app = App::new(APP_NAME);\n");
    }
    out.push_str("let env = Environment::new(ENV);\n");
    for s in stacks {
        out.push_str(&format!(
            "let stack = {}::stack(&app, &env)?;\napp.add_stack(stack)?;\n",
            s.module
        ));
    }
    out.push_str("Ok(app)\n}\n");
    out
}

fn readme(spec: &AppSpec, stacks: &[MigratedStack]) -> String {
    let mut list = String::new();
    for s in stacks {
        list.push_str(&format!(
            "- `src/{}.rs`: stack `{}`, from `{}`\n",
            s.module, s.name, s.source
        ));
    }
    format!(
        "# {name}\n\nMigrated from CloudFormation by `stackforge migrate`: each template is a Rust module that\nbuilds the same stack, and `cargo run -- synth` writes the templates back to\n`templates/{env}/`. Every resource keeps its deployed logical ID, so deploying the\nsynthesized templates replaces nothing.\n\n{list}\n## Check the round trip\n\n```sh\ncargo run -- synth\ncargo run -- diff --env {env} --against original   # the templates migrated from\n```\n\nSynth adds what stackforge adds to every resource: `Metadata.stackforge:path` (the\nconstruct path, which change safety uses) and the `app`, `env` and `stack` tags. An app\nmigrated with `--exact` leaves both out (see `src/lib.rs`).\n\nThen run `./ci.sh` (formatting, lints, tests, `synth --check`, cfn-lint).\n",
        name = spec.name,
        env = spec.env
    )
}

/// Formats the `.rs` files among `files` under `dir` with `rustfmt` (edition 2021). An
/// error says why rustfmt could not run or what it refused.
pub fn rustfmt(dir: &Path, files: &[(PathBuf, String)]) -> Result<(), String> {
    let paths: Vec<PathBuf> = files
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "rs"))
        .map(|(p, _)| dir.join(p))
        .collect();
    if paths.is_empty() {
        return Ok(());
    }
    let rustfmt = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let output = Command::new(rustfmt)
        .args(["--edition", "2021"])
        .args(&paths)
        .output()
        .map_err(|e| {
            format!("cannot run rustfmt ({e}); install it with `rustup component add rustfmt`")
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}
