//! `graph`: one environment as a Graphviz DOT or Mermaid picture, or an HTML page to
//! explore; with `--diff`, coloured by what the change does against committed templates.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use indexmap::IndexMap;
use stackforge_construct_model::{ConstructPath, EnvironmentAssembly, Template};

use crate::cli::EXIT_OK;
use crate::diff::{diff_env, EnvContext, StackDiff};
use crate::error::{CliError, Result};
use crate::graph::architecture::{self, change};
use crate::graph::{
    build, select_stacks, to_dot, to_html, to_mermaid, to_svg, GraphOptions, Level,
};
use crate::pipeline::{synthesize, synthesize_against, Against, Factory, Io};

/// The output format of `graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT (`dot -Tsvg`).
    #[default]
    Dot,
    /// A Mermaid flowchart (renders in Markdown on GitHub).
    Mermaid,
    /// One self-contained HTML page (construct level) with zoom, search, a stack filter and
    /// a side panel.
    Html,
    /// An SVG picture (construct level) laid out by stackforge to fit a README's width.
    Svg,
}

/// Print one environment as a graph: stacks as clusters, resources as nodes, references,
/// cross-stack imports and security-group rules as edges.
#[derive(Debug, Clone, Args)]
pub struct GraphCommand {
    /// The environment to draw (one per graph). Default: the app's first environment.
    #[arg(long = "env", value_name = "ENV")]
    pub envs: Vec<String>,
    /// Stack to draw, by short name (repeat for several). Default: all. Nodes of other
    /// stacks connected to these are drawn too, marked "not selected".
    #[arg(long = "stack", value_name = "STACK")]
    pub stacks: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// Detail level.
    #[arg(long, value_enum, default_value_t = Level::Constructs)]
    pub level: Level,
    /// Colour the construct-level picture by what the change does against the committed
    /// templates (`--against`), with `diff`'s facts.
    #[arg(long)]
    pub diff: bool,
    /// Folder `--diff` compares with, laid out `<DIR>/<env>/<stack>.template.json`.
    /// Default: `templates`.
    #[arg(long, value_name = "DIR", requires = "diff")]
    pub against: Option<PathBuf>,
}

impl GraphCommand {
    /// Runs the command.
    pub fn execute(&self, factory: Factory<'_>, io: &mut Io<'_>) -> Result<u8> {
        if self.envs.len() > 1 {
            return Err(CliError::Usage(format!(
                "graph draws one environment at a time, got --env {}. Fix: pass one --env and run graph once per environment.",
                self.envs.join(" --env ")
            )));
        }
        let constructs = self.level == Level::Constructs;
        if !constructs && (self.diff || matches!(self.format, GraphFormat::Html | GraphFormat::Svg))
        {
            return Err(CliError::Usage(format!(
                "`--format html`, `--format svg` and `--diff` draw the construct level, not `--level {}`. Fix: leave out --level (or pass --level constructs).",
                if self.level == Level::Stacks { "stacks" } else { "resources" }
            )));
        }
        let dir = self
            .against
            .clone()
            .unwrap_or_else(|| PathBuf::from("templates"));
        let (assembly, mut folders) = if self.diff {
            if !dir.is_dir() {
                return Err(CliError::Usage(format!(
                    "--diff compares with {}, which is not a folder. Fix: run `synth` to write the committed templates, or pass --against DIR",
                    dir.display()
                )));
            }
            let against = Against {
                drop_kept_exports: false,
                strict: true,
            };
            let (assembly, folders) = synthesize_against(factory, &dir, against, io)?;
            let folders = folders
                .into_iter()
                .map(|(env, f)| (env, f.state.templates))
                .collect();
            (assembly, folders)
        } else {
            (synthesize(factory, io)?, IndexMap::new())
        };
        let known: Vec<&str> = assembly
            .environments
            .iter()
            .map(|e| e.environment.name())
            .collect();
        let env = match self.envs.first() {
            Some(name) => assembly.environment(name).ok_or_else(|| {
                CliError::Usage(format!(
                    "unknown environment `{name}`. The app `{}` has: {}. Fix: pass one of these to --env.",
                    assembly.app,
                    known.join(", ")
                ))
            })?,
            None => assembly.environments.first().ok_or_else(|| {
                CliError::Failed(format!(
                    "the app `{}` has no environments, so there is nothing to draw. Fix: add a stack to the app.",
                    assembly.app
                ))
            })?,
        };
        for s in &self.stacks {
            if env.stack(s).is_none() {
                let names: Vec<&str> = env.stacks.iter().map(|s| s.name.as_str()).collect();
                return Err(CliError::Usage(format!(
                    "unknown stack `{s}` in environment `{}`, which has: {}. Fix: pass one of these to --stack.",
                    env.environment.name(),
                    names.join(", ")
                )));
            }
        }
        if matches!(self.format, GraphFormat::Html | GraphFormat::Svg) && !self.stacks.is_empty() {
            return Err(CliError::Usage(
                "the HTML page and the SVG picture draw every stack (the page filters them itself). Fix: leave out --stack, or use --format dot or mermaid (the page's stack menu, or #stack=NAME in its URL, selects one)."
                    .to_owned(),
            ));
        }
        let text = if constructs {
            let mut model = architecture::architecture(
                format!("{} / {}", assembly.app, env.environment.name()),
                &architecture::sources(env),
            );
            if self.diff {
                let old = folders
                    .swap_remove(env.environment.name())
                    .unwrap_or_default();
                change::overlay(&mut model, &env_diff(env, &old), &shown(&dir));
                change::compare_links(&mut model, &committed_model(env, &old));
            }
            match self.format {
                GraphFormat::Html => to_html(&model),
                GraphFormat::Svg => to_svg(&model),
                format => {
                    let names: Vec<&str> = model.stacks.iter().map(|s| s.name.as_str()).collect();
                    let graph = select_stacks(architecture::to_graph(&model), &names, &self.stacks);
                    if format == GraphFormat::Dot {
                        to_dot(&graph)
                    } else {
                        to_mermaid(&graph)
                    }
                }
            }
        } else {
            let graph = build(
                &assembly.app,
                env,
                &GraphOptions {
                    level: self.level,
                    stacks: self.stacks.clone(),
                },
            );
            match self.format {
                GraphFormat::Mermaid => to_mermaid(&graph),
                _ => to_dot(&graph),
            }
        };
        io.out
            .write_all(text.as_bytes())
            .map_err(|e| CliError::io("stdout", e))?;
        Ok(EXIT_OK)
    }
}

/// `diff`'s comparison of `env` with the committed templates `old` (what `diff` shows for
/// it, metadata-only changes hidden).
fn env_diff(env: &EnvironmentAssembly, old: &IndexMap<String, Template>) -> Vec<StackDiff> {
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
        all: false,
        accepted,
        kept: env
            .stacks
            .iter()
            .map(|s| (s.name.clone(), s.kept_exports()))
            .collect(),
        refactors: env.refactors.iter().flat_map(|r| &r.resources).collect(),
    };
    diff_env(env.environment.name(), old, &new, &ctx)
}

/// The construct-level picture of the committed templates `old` of `env`: the stacks in
/// their order there, each with the constructs `env` records for it (the folder does not
/// record construct kinds), so that its nodes match the new picture's by path.
fn committed_model(
    env: &EnvironmentAssembly,
    old: &IndexMap<String, Template>,
) -> architecture::Architecture {
    let none = IndexMap::new();
    let stacks: Vec<architecture::StackSource<'_>> = old
        .iter()
        .map(|(name, template)| {
            let now = env.stack(name);
            architecture::StackSource {
                name,
                stack_name: now.map_or(name.as_str(), |s| s.stack_name.as_str()),
                dependencies: now.map_or(&[], |s| s.dependencies.as_slice()),
                template,
                constructs: now.map_or(&none, |s| &s.constructs),
            }
        })
        .collect();
    architecture::architecture(String::new(), &stacks)
}

/// The compared folder as the page names it: relative paths as given, so the page does not
/// depend on where the repository is checked out.
fn shown(dir: &Path) -> String {
    dir.display().to_string()
}
