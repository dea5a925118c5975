//! `diff`: compare the synthesized app with a folder of templates, per environment: what
//! each resource undergoes, what a replacement affects, which exports change value, and
//! which access opens.
//!
//! ```text
//! cargo run -- diff [--env E]... [--stack S]... [--against DIR] [--all] [--json] [--fail-on CLASS,...]
//! ```
//!
//! **Files.** `DIR` (default `templates/`) is laid out `<DIR>/<env>/<file>`. The template of
//! stack `S` is the first of `S.template.json`, `S.template.yaml`, `S.template.yml`,
//! `S.json`, `S.yaml`, `S.yml` (JSON or YAML, short-form tags such as `!Ref` allowed, so
//! hand-written templates compare too). `manifest.json`, `*.parameters.json` and hidden files
//! are not templates. A stack with no file is *added*; a template file naming no stack of
//! the app is *removed* (only without `--stack`). Folders of environments the app lacks are
//! ignored. The synthesized side is what `synth` would write, kept exports and recorded
//! refactors included.
//!
//! **Classification.** `+` add, `-` remove, `~` change, each change labelled `update in
//! place`, `may replace` (a `conditionalCreateOnlyProperties` path, or a
//! `createOnlyProperties` path whose old or new value holds an intrinsic) or `replace` (a
//! `createOnlyProperties` path, nested pointers included, or the `Type`). Renamed and moved
//! resources are paired by construct lineage across the environment's stacks and shown once:
//! `>` `renamed from A (refactor)` / `moved to stack S as B (refactor)` when a declared
//! refactor keeps them, else `~` `replaced (renamed from A without a declared refactor)`.
//! A replacement propagates: a resource using a replaced resource (`Ref`, `Fn::GetAtt`,
//! `Fn::Sub`, or an import across stacks) in a create-only property is replaced too ("because
//! it uses ..."); one using it elsewhere is listed under *Affected by replacements* with
//! `update in place`. Replaced, possibly replaced or removed stateful resources (see
//! `stackforge_construct_model::change::stateful`) are marked `STATEFUL: loses ...`. Removed or
//! renamed exports, and exports whose value changes while other stacks import them, are
//! `DANGER`; exports kept for importers show as `= export kept`. IAM grants and
//! security-group rules the change adds or widens are listed under *Security*. Changes that
//! only touch `Metadata` are hidden (and counted) unless `--all`.
//!
//! **Exit code.** Without `--fail-on`: 0 no visible change, 1 changes. With `--fail-on`:
//! 1 only when a change of a named class is found, else 0 (the classes found are printed to
//! standard error): `any`, `replace` (replacements and possible ones, undeclared renames and
//! moves included), `replace-stateful` (stateful resources at risk), `remove`, `danger`
//! (the `dangerous` count), `security` (the `security` count). 2: usage or input error
//! (unknown environment, stack or class, missing `--against` folder, no committed folder
//! for any selected environment, unreadable template naming the file). An environment
//! without a folder, when others have one, is noted and its stacks show as added.
//!
//! **`--json`** prints one document (field names are stable; absent values are `null`):
//!
//! - `changes` (bool), `summary` {`add`, `change`, `replace`, `remove`, `may_replace` (part
//!   of `change`), `renamed` (pairs, declared or not), `refactored` (of `renamed`, kept by a
//!   declared refactor), `affected` (resources using a replaced one), `stateful_at_risk`,
//!   `other` (entries outside `Resources`), `dangerous`, `security`, `hidden`}
//! - `environments[]`: {`name`, `stacks[]`}; each stack: {`env`, `stack`, `file`, `status`
//!   (`added` | `removed` | `changed` | `unchanged`), `description` {`old`, `new`},
//!   `resources[]`, `outputs[]`, `parameters[]`, `conditions[]`, `mappings[]`, `other[]`,
//!   `kept_exports[]` {`output`, `export`, `importers[]`}, `affected[]`, `security[]`,
//!   `hidden`}
//! - resource: {`logical_id`, `old_logical_id` (renamed from), `type`, `path`, `action`
//!   (`add` | `remove` | `update` | `may_replace` | `replace` | `rename` | `move`),
//!   `changes[]`, `notes[]`, `moved_to` {`stack`, `logical_id`} (the entry is in the stack
//!   it leaves), `refactor` (bool), `cascade` (the replaced resource it uses), `stateful`
//!   (what a replacement or removal loses)}
//! - affected: {`logical_id`, `type`, `path`, `uses` (`stack/LogicalId`), `certain`, `at`
//!   (property path, with the import), `impact`, `reason`}
//! - security: {`logical_id`, `type`, `path`, `kind` (`grant` | `managed_policy` | `trust`
//!   | `resource_policy` | `deny_removed` | `ingress` | `egress`), `subject`, `actions[]`,
//!   `resources[]`, `principals[]`, `condition`, `rule`, `description`}
//! - entry (outputs, parameters, ...): {`name`, `action` (`add` | `remove` | `change`),
//!   `old`, `new`, `changes[]`, `danger`}
//! - change: {`path` (`Properties.Tags`, `Value`), `old`, `new`, `impact` (`update` |
//!   `may_replace` | `replace`), `reason`}

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use indexmap::IndexMap;
use stackforge_construct_model::{ConstructPath, Template};

use crate::cli::{EXIT_FAILURE, EXIT_OK};
use crate::diff::{diff_env, render_json, render_text, EnvContext, EnvDiff, Report, Summary};
use crate::error::{CliError, Result};
use crate::pipeline::{synthesize_against, Against, Factory, Io, Selection};

/// A class of change `--fail-on` makes `diff` exit 1 for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any visible change (what `diff` does without `--fail-on`).
    Any,
    /// A resource replaced or possibly replaced, a rename or move without a declared
    /// refactor included.
    Replace,
    /// A stateful resource (database, bucket, key, secret, log group, vault, ...) replaced,
    /// possibly replaced, or removed without a retaining deletion policy.
    ReplaceStateful,
    /// A resource removed.
    Remove,
    /// An export removed or renamed, or whose value changes while other stacks import it.
    Danger,
    /// An IAM grant or security-group rule added or widened.
    Security,
}

impl FailOn {
    /// How many changes of this class `s` counts.
    fn count(self, s: &Summary) -> usize {
        match self {
            FailOn::Any => usize::from(s.has_changes()),
            FailOn::Replace => s.replace + s.may_replace,
            FailOn::ReplaceStateful => s.stateful_at_risk,
            FailOn::Remove => s.remove,
            FailOn::Danger => s.dangerous,
            FailOn::Security => s.security,
        }
    }

    fn name(self) -> &'static str {
        match self {
            FailOn::Any => "any",
            FailOn::Replace => "replace",
            FailOn::ReplaceStateful => "replace-stateful",
            FailOn::Remove => "remove",
            FailOn::Danger => "danger",
            FailOn::Security => "security",
        }
    }
}

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
    /// Exit 1 only when a change of these classes is found (repeat or separate with commas);
    /// without it, any change exits 1.
    #[arg(
        long = "fail-on",
        value_enum,
        value_name = "CLASS",
        value_delimiter = ','
    )]
    pub fail_on: Vec<FailOn>,
}

impl DiffCommand {
    /// Runs the command: 0 without changes, 1 with changes (of the `--fail-on` classes).
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
        for w in &assembly.safety.kept {
            let _ = writeln!(io.err, "note: {w}");
        }
        for n in assembly.safety.notes() {
            let _ = writeln!(io.err, "note: synth would refuse this: {n}");
        }
        let mut envs = Vec::new();
        for env in selected_envs {
            let env_name = env.environment.name().to_owned();
            let Some(folder) = folders.get(&env_name) else {
                continue;
            };
            let new: IndexMap<String, Template> = env
                .stacks
                .iter()
                .map(|s| (s.name.clone(), s.template().clone()))
                .collect();
            let accepted: Vec<(&ConstructPath, &str)> = env
                .stacks
                .iter()
                .flat_map(|s| s.accepted_replacements.iter().map(|(p, r)| (p, r.as_str())))
                .collect();
            let ctx = EnvContext {
                all: self.all,
                accepted,
                kept: env
                    .stacks
                    .iter()
                    .map(|s| (s.name.clone(), s.kept_exports()))
                    .collect(),
                refactors: env.refactors.iter().flat_map(|r| &r.resources).collect(),
            };
            let mut stacks = diff_env(&env_name, &folder.state.templates, &new, &ctx);
            stacks.retain(|d| {
                if new.contains_key(&d.stack) {
                    self.select.includes_stack(&d.stack)
                } else {
                    self.select.stacks.is_empty()
                }
            });
            for d in &mut stacks {
                d.file = folder.files.get(&d.stack).map(|f| f.display().to_string());
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
        if self.fail_on.is_empty() {
            return Ok(if report.changes {
                EXIT_FAILURE
            } else {
                EXIT_OK
            });
        }
        let hits: Vec<String> = self
            .fail_on
            .iter()
            .filter(|c| c.count(&report.summary) > 0)
            .map(|c| format!("{} ({})", c.name(), c.count(&report.summary)))
            .collect();
        if hits.is_empty() {
            return Ok(EXIT_OK);
        }
        let _ = writeln!(io.err, "diff: failing on {}", hits.join(", "));
        Ok(EXIT_FAILURE)
    }
}
