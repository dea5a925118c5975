//! `migrate`: CloudFormation templates in, a new app out whose synth gives them back (one
//! Rust module per stack, every logical ID kept). What cannot be migrated is named per
//! template with the reason.

use std::fs;
use std::path::PathBuf;

use clap::Args;

use crate::cli::{EXIT_FAILURE, EXIT_OK};
use crate::error::{CliError, Result};
use crate::migrate::{self, AppSpec, MigratedStack, NotMigrated};
use crate::pipeline::Io;
use crate::scaffold::{self, Dependency, StackforgeSource};

/// Turn CloudFormation templates (JSON or YAML) into a new app at --out: one Rust module per
/// stack that builds the same template, every resource keeping its logical ID. Templates
/// stackforge cannot migrate (transforms, macros, `Fn::ForEach`) are named with the reason;
/// the exit code is then 1.
///
/// Then: `cd DIR && cargo run -- synth`.
#[derive(Debug, Clone, Args)]
pub struct MigrateCommand {
    /// The templates; each becomes a stack named after its file (`VPC_Single.yaml` -> `vpc-single`).
    #[arg(value_name = "TEMPLATE", required = true)]
    pub templates: Vec<PathBuf>,
    /// The folder to create (it must not exist, or be empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The app name: stack names are `<app>-<env>-<stack>`. Default: the folder's name.
    #[arg(long = "app", value_name = "NAME")]
    pub app: Option<String>,
    /// The environment the stacks deploy to. Default: `dev`.
    #[arg(long = "env", value_name = "NAME", default_value = "dev")]
    pub env: String,
    /// Make synth give the templates back exactly: without stackforge's construct-path
    /// metadata and default tags (`app`, `env`, `stack`) on every resource.
    #[arg(long)]
    pub exact: bool,
    /// Where the new crate gets stackforge from.
    #[command(flatten)]
    pub stackforge: StackforgeSource,
}

impl MigrateCommand {
    /// Runs the command.
    pub fn execute(&self, io: &mut Io<'_>) -> Result<u8> {
        let name = match &self.app {
            Some(n) => n.clone(),
            None => self
                .out
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        scaffold::check_name(&name)
            .map_err(|e| CliError::Usage(e.replace("--name NAME", "--app NAME")))?;
        scaffold::check_name(&self.env).map_err(|_| {
            CliError::Usage(format!(
                "--env {}: use lower-case letters, digits and `-`, starting with a letter",
                self.env
            ))
        })?;
        let dir = &self.out;
        if dir.exists() && fs::read_dir(dir).map_or(true, |mut d| d.next().is_some()) {
            return Err(CliError::Usage(format!(
                "{}: exists and is not an empty folder; nothing was created. Fix: pass a new folder",
                dir.display()
            )));
        }
        let dependency = self.stackforge.dependency()?;

        let (migrated, refused) = self.migrate_all(&name)?;
        for r in &refused {
            let _ = writeln!(io.err, "{r}");
        }
        if migrated.is_empty() {
            return Err(CliError::Failed(
                "no template could be migrated (see above); nothing was created".into(),
            ));
        }
        let spec = AppSpec {
            name: name.clone(),
            env: self.env.clone(),
            exact: self.exact,
            dependencies: scaffold::dependency_lines(&dependency, dir).0,
        };
        let files = migrate::app_files(&spec, &migrated);
        scaffold::write(dir, &files)?;
        if let Dependency::Path(sf) = &dependency {
            let lock = sf.join("Cargo.lock");
            if lock.is_file() {
                fs::copy(&lock, dir.join("Cargo.lock")).map_err(|e| CliError::io(&lock, e))?;
            }
        }
        if let Err(problem) = migrate::rustfmt(dir, &files) {
            let _ = writeln!(io.err, "warning: the code is not formatted: {problem}");
        }
        let _ = writeln!(
            io.out,
            "migrated {} of {} templates into {} (app `{name}`, environment `{}`{})",
            migrated.len(),
            migrated.len() + refused.len(),
            dir.display(),
            self.env,
            if self.exact { ", exact" } else { "" }
        );
        for s in &migrated {
            let _ = writeln!(
                io.out,
                "  {} -> src/{}.rs: stack `{}`, {} resources",
                s.source,
                s.module,
                s.name,
                s.template.resources.len()
            );
        }
        let _ = writeln!(
            io.out,
            "next:\n  cd {}\n  cargo run -- synth\n  cargo run -- diff --env {} --against original",
            dir.display(),
            self.env
        );
        Ok(if refused.is_empty() {
            EXIT_OK
        } else {
            EXIT_FAILURE
        })
    }

    /// Reads and migrates every template; stack names follow the file names, made unique.
    fn migrate_all(&self, app: &str) -> Result<(Vec<MigratedStack>, Vec<NotMigrated>)> {
        let mut migrated: Vec<MigratedStack> = Vec::new();
        let mut refused = Vec::new();
        for path in &self.templates {
            let text = fs::read_to_string(path).map_err(|e| CliError::Input {
                path: path.clone(),
                problem: format!("cannot read the template: {e}"),
            })?;
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let base = migrate::stack_name(&stem);
            let mut stack = base.clone();
            let mut n = 2;
            while migrated
                .iter()
                .any(|m| m.name == stack || m.module == migrate::module_name(&stack))
            {
                stack = format!("{base}-{n}");
                n += 1;
            }
            let source = path.display().to_string();
            match migrate::migrate_template(&source, &text, &stack, app, &self.env) {
                Ok(m) => migrated.push(m),
                Err(e) => refused.push(e),
            }
        }
        Ok((migrated, refused))
    }
}
