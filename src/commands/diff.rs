//! `diff`: compare the synthesized app with a folder of templates, resource by resource,
//! predicting replacements.
//!
//! ```text
//! cargo run -- diff [--env E]... [--stack S]... [--against DIR] [--all] [--json]
//! ```
//!
//! **Files.** `DIR` (default `templates/`) is laid out `<DIR>/<env>/<file>`. The template of
//! stack `S` is the first of `S.template.json`, `S.template.yaml`, `S.template.yml`,
//! `S.json`, `S.yaml`, `S.yml` (JSON or YAML, short-form tags such as `!Ref` allowed, so
//! hand-written templates compare too). `manifest.json`, `*.parameters.json` and hidden files
//! are not templates. A stack with no file is *added*; a template file naming no stack of
//! the app is *removed* (only without `--stack`). Folders of environments the app lacks are
//! ignored. The synthesized side is what `synth` would write, kept exports included.
//!
//! **Classification.** `+` add, `-` remove, `~` change, each change labelled `update in
//! place`, `may replace` (a `conditionalCreateOnlyProperties` path, or a
//! `createOnlyProperties` path whose old or new value holds an intrinsic) or `replace` (a
//! `createOnlyProperties` path, nested pointers included, or the `Type`). A construct path
//! recorded under another logical ID is one `replaced (logical ID A -> B)` entry. Removed
//! or renamed exports are `DANGER`; exports kept for importers show as `= export kept`.
//! Changes that only touch `Metadata` are hidden (and counted) unless `--all`.
//!
//! **Exit code.** 0 no visible change, 1 changes, 2 usage or input error (unknown
//! environment or stack, missing `--against` folder, no committed folder for any selected
//! environment, unreadable template naming the file). An environment without a folder, when
//! others have one, is noted and its stacks show as added.
//!
//! **`--json`** prints one document (field names are stable; absent values are `null`):
//!
//! - `changes` (bool), `summary` {`add`, `change`, `replace`, `remove`, `may_replace` (part
//!   of `change`), `other` (entries outside `Resources`), `dangerous`, `hidden`}
//! - `environments[]`: {`name`, `stacks[]`}; each stack: {`env`, `stack`, `file`, `status`
//!   (`added` | `removed` | `changed` | `unchanged`), `description` {`old`, `new`},
//!   `resources[]`, `outputs[]`, `parameters[]`, `conditions[]`, `mappings[]`, `other[]`,
//!   `kept_exports[]` {`output`, `export`, `importers[]`}, `hidden`}
//! - resource: {`logical_id`, `old_logical_id`, `type`, `path`, `action` (`add` | `remove` |
//!   `update` | `may_replace` | `replace`), `changes[]`, `notes[]`}
//! - entry (outputs, parameters, ...): {`name`, `action` (`add` | `remove` | `change`),
//!   `old`, `new`, `changes[]`, `danger`}
//! - change: {`path` (`Properties.Tags`, `Value`), `old`, `new`, `impact` (`update` |
//!   `may_replace` | `replace`), `reason`}

use std::path::PathBuf;

use clap::Args;

use crate::cli::{EXIT_FAILURE, EXIT_OK};
use crate::diff::{diff_stack, render_json, render_text, Context, EnvDiff, Report};
use crate::error::{CliError, Result};
use crate::pipeline::{synthesize_against, Against, Factory, Io, Selection};

/// Compare the synthesized app with a folder of templates; flag replacements.
#[derive(Debug, Clone, Args)]
pub struct DiffCommand {
    /// Environments and stacks to compare.
    #[command(flatten)]
    pub select: Selection,
    /// Folder to compare with, laid out `<DIR>/<env>/<stack>.template.{json,yaml}` (JSON or
    /// YAML of any origin). Default: `templates`.
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    /// Also show changes that only touch `Metadata`.
    #[arg(long)]
    pub all: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

impl DiffCommand {
    /// Runs the command: 0 without changes, 1 with changes.
    pub fn execute(&self, factory: Factory<'_>, io: &mut Io<'_>) -> Result<u8> {
        let dir = self
            .against
            .clone()
            .unwrap_or_else(|| PathBuf::from("templates"));
        if self.against.is_some() && !dir.is_dir() {
            return Err(CliError::Usage(format!(
                "--against {}: no such folder. Fix: pass a folder laid out <dir>/<env>/<stack>.template.json",
                dir.display()
            )));
        }
        let against = Against {
            drop_kept_exports: false,
            strict: true,
        };
        let (assembly, folders) = synthesize_against(factory, &dir, against, io)?;
        let selected_envs = self.select.environments(&assembly)?;
        let absent: Vec<&str> = selected_envs
            .iter()
            .map(|e| e.environment.name())
            .filter(|e| !dir.join(e).is_dir())
            .collect();
        if absent.len() == selected_envs.len() {
            let folders: Vec<String> = absent
                .iter()
                .map(|e| dir.join(e).display().to_string())
                .collect();
            return Err(CliError::Usage(format!(
                "nothing to compare with: no committed templates ({} {} not exist). Fix: run `synth` to write them, or pass --against DIR",
                folders.join(", "),
                if folders.len() == 1 { "does" } else { "do" }
            )));
        }
        for env in &absent {
            let _ = writeln!(
                io.err,
                "note: {} does not exist (nothing committed for `{env}`): its stacks show as added",
                dir.join(env).display()
            );
        }
        let selected = |s: &str| self.select.includes_stack(s);
        for w in &assembly.safety.kept {
            let _ = writeln!(io.err, "note: {w}");
        }
        for r in &assembly.safety.replacements {
            let _ = writeln!(io.err, "note: synth would refuse this: {r}");
        }
        for d in &assembly.safety.deadlocks {
            let _ = writeln!(io.err, "note: synth would refuse this: {d}");
        }
        let mut envs = Vec::new();
        for env in selected_envs {
            let env_name = env.environment.name().to_owned();
            let Some(folder) = folders.get(&env_name) else {
                continue;
            };
            let committed = &folder.state.templates;
            let mut stacks = Vec::new();
            for artifact in env.stacks.iter().filter(|s| selected(&s.name)) {
                let ctx = Context {
                    all: self.all,
                    accepted: Some(&artifact.accepted_replacements),
                    kept: artifact.kept_exports(),
                };
                let mut d = diff_stack(
                    &env_name,
                    &artifact.name,
                    committed.get(&artifact.name),
                    Some(artifact.template()),
                    ctx,
                );
                d.file = folder
                    .files
                    .get(&artifact.name)
                    .map(|f| f.display().to_string());
                stacks.push(d);
            }
            if self.select.stacks.is_empty() {
                for (name, path) in &folder.files {
                    if env.stack(name).is_some() {
                        continue;
                    }
                    let ctx = Context {
                        all: self.all,
                        ..Context::default()
                    };
                    let mut d = diff_stack(&env_name, name, committed.get(name), None, ctx);
                    d.file = Some(path.display().to_string());
                    stacks.push(d);
                }
            }
            envs.push(EnvDiff {
                name: env_name,
                stacks,
            });
        }
        let report = Report::new(envs);
        let text = if self.json {
            render_json(&report)
        } else {
            render_text(&report)
        };
        io.out
            .write_all(text.as_bytes())
            .map_err(|e| CliError::io("stdout", e))?;
        Ok(if report.changes {
            EXIT_FAILURE
        } else {
            EXIT_OK
        })
    }
}
