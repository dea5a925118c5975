//! `new` (alias `init`): create a new app repository that synthesizes, passes the gate and
//! tests out of the box. Offline: nothing is downloaded.

use std::ffi::OsStr;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

use clap::{Args, FromArgMatches};

use crate::cli::EXIT_OK;
use crate::commands::synth::SynthCommand;
use crate::error::{CliError, Result};
use crate::pipeline::Io;
use crate::scaffold::{self, Dependency, NewApp, StackforgeSource};

/// Create a new app repository at PATH: Cargo.toml depending on stackforge, src/ with a first
/// stack (VPC, encrypted database with its backup plan, Fargate service) and per-environment
/// settings, params/, the synthesized templates/, a snapshot test, ci.sh and a README.
///
/// Then: `cd PATH && cargo run -- synth && ./ci.sh`.
#[derive(Debug, Clone, Args)]
pub struct NewCommand {
    /// The folder to create (it must not exist, or be empty), e.g. `../shop`.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// The app name: stack names are `<name>-<env>-<stack>`. Default: the folder's name.
    #[arg(long)]
    pub name: Option<String>,
    /// Where the new crate gets stackforge from.
    #[command(flatten)]
    pub stackforge: StackforgeSource,
}

impl NewCommand {
    /// Runs the command.
    /// `new_app` builds the app to write ([`scaffold::NewApp`]); a binary built without it
    /// (an app's own, which runs [`crate::run`]) refuses `new`.
    pub fn execute(&self, new_app: Option<NewApp>, io: &mut Io<'_>) -> Result<u8> {
        let Some(new_app) = new_app else {
            return Err(CliError::Usage(
                "this binary cannot create apps: `new` is in the `stackforge` binary of a stackforge checkout. Fix: run `cargo run -- new PATH` in the stackforge checkout".into(),
            ));
        };
        let name = match &self.name {
            Some(n) => n.clone(),
            None => self
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        scaffold::check_name(&name).map_err(CliError::Usage)?;
        let dependency = self.stackforge.dependency()?;
        let dir = &self.path;
        let existed = dir.exists();
        if existed && fs::read_dir(dir).map_or(true, |mut d| d.next().is_some()) {
            return Err(CliError::Usage(format!(
                "{}: exists and is not an empty folder; nothing was created. Fix: pass a new folder",
                dir.display()
            )));
        }
        let assembly = new_app(&name)?.synth()?;
        let files = scaffold::files(&name, &dependency, dir, &assembly)?;
        let result = self.create(&name, new_app, &dependency, &files, io);
        if result.is_err() {
            let _ = fs::remove_dir_all(dir);
            if existed {
                let _ = fs::create_dir(dir);
            }
        }
        result?;
        let lock = self.complete_lock(&dependency);
        let _ = writeln!(
            io.out,
            "created {} (app `{name}`, stackforge {})\n{lock}\nnext:\n  cd {}\n  cargo run -- synth\n  ./ci.sh",
            dir.display(),
            match &dependency {
                Dependency::Path(p) => format!("by path from {}", p.display()),
                Dependency::Git(url) => format!("from {url}"),
            },
            dir.display()
        );
        Ok(EXIT_OK)
    }

    /// Writes the files, copies stackforge's `Cargo.lock` (so the build uses crates already
    /// downloaded), and synthesizes the templates with the regular `synth`.
    fn create(
        &self,
        name: &str,
        new_app: NewApp,
        dependency: &Dependency,
        files: &[(PathBuf, String)],
        io: &mut Io<'_>,
    ) -> Result<()> {
        let dir = &self.path;
        scaffold::write(dir, files)?;
        if let Dependency::Path(sf) = dependency {
            let lock = sf.join("Cargo.lock");
            if lock.is_file() {
                fs::copy(&lock, dir.join("Cargo.lock")).map_err(|e| CliError::io(&lock, e))?;
            }
        }
        let (out, params) = (dir.join("templates"), dir.join("params"));
        let args = [OsStr::new("synth"), OsStr::new("--out"), out.as_os_str()];
        let args = args
            .into_iter()
            .chain([OsStr::new("--params"), params.as_os_str()]);
        let synth = SynthCommand::augment_args(clap::Command::new("synth"))
            .try_get_matches_from(args)
            .and_then(|m| SynthCommand::from_arg_matches(&m))
            .map_err(|e| CliError::Failed(format!("the new app's synth: {e}")))?;
        let factory = || new_app(name);
        let mut quiet = Vec::new();
        let mut synth_io = Io {
            out: &mut quiet,
            err: &mut *io.err,
        };
        match synth.execute(&factory, &mut synth_io)? {
            EXIT_OK => Ok(()),
            _ => Err(CliError::Failed(
                "the new app's first synth failed (see above); nothing was created".into(),
            )),
        }
    }

    /// Trims the copied `Cargo.lock` to the new app and adds it, offline, so `--locked`
    /// builds work from the start. Returns a line saying what happened.
    fn complete_lock(&self, dependency: &Dependency) -> String {
        if matches!(dependency, Dependency::Git(_)) {
            return "Cargo.lock: created by the first build (it fetches stackforge from git)"
                .into();
        }
        let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(["update", "--workspace", "--offline", "--quiet"])
            .current_dir(&self.path)
            .status();
        match status {
            Ok(s) if s.success() => {
                "Cargo.lock: stackforge's, with the versions already downloaded".into()
            }
            _ => "warning: `cargo update --workspace --offline` failed; the first build completes Cargo.lock".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use stackforge_construct_model::App;

    use crate::cli::{run, run_with_new_app, EXIT_OK, EXIT_USAGE};
    use crate::pipeline::Io;

    /// An app's own binary runs `run`, which has no app for `new` to write (the CLI library
    /// does not compile it): `new` is refused with the fix, and creates nothing.
    #[test]
    fn new_in_a_binary_without_the_new_app_is_refused_with_the_fix() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("shop");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut io = Io {
            out: &mut out,
            err: &mut err,
        };
        let args = ["orders".as_ref(), "new".as_ref(), dir.as_os_str()];
        let code = run(args, || Ok(App::new("orders")), &mut io);
        let err = String::from_utf8(err).unwrap();
        assert_eq!(code, EXIT_USAGE, "{err}");
        assert!(err.contains("Fix: run `cargo run -- new PATH`"), "{err}");
        assert!(!dir.exists());
    }

    /// With the app `new` writes passed in, `new` gets past that check (it then fails on the
    /// bad name alone, before building anything).
    #[test]
    fn new_with_the_new_app_checks_the_name_first() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("Bad_Name");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut io = Io {
            out: &mut out,
            err: &mut err,
        };
        let args = ["stackforge".as_ref(), "new".as_ref(), dir.as_os_str()];
        let new_app = Some(stackforge_scaffold_app::app as crate::NewApp);
        let code = run_with_new_app(args, || Ok(App::new("x")), new_app, &mut io);
        let err = String::from_utf8(err).unwrap();
        assert_ne!(code, EXIT_OK);
        assert!(err.contains("is not an app name"), "{err}");
        assert!(!err.contains("cannot create apps"), "{err}");
    }
}
