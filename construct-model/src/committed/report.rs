//! What the change-safety checks found, and the one refusal `synth` prints: every finding
//! with the ways out, generated as code to paste or steps to follow.

use std::fmt;

use crate::change::blast::ExportChange;
use crate::change::lineage::SubtreeMove;
use crate::change::refactor::{DeclaredRefactor, RefactorProblem};
use crate::error::Error;
use crate::layout::KeptExport;
use crate::path::ConstructPath;

/// A renamed or moved construct subtree whose committed resources would get a new logical
/// ID (or stack) without a declared refactor: CloudFormation would replace them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityChange {
    /// The environment.
    pub env: String,
    /// The subtree and its resources.
    pub subtree: SubtreeMove,
    /// The code that keeps the logical IDs (`stack.keep_logical_ids_of(..)?;` or one
    /// `stack.override_logical_id(..)?;` per resource); empty for a move to another stack,
    /// where a logical ID cannot be kept.
    pub keep_ids: Vec<String>,
}

/// A resource of a declared refactor that stack refactoring cannot carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefactorRefusal {
    /// The environment.
    pub env: String,
    /// The resource's new construct path, when the problem is one resource's.
    pub path: Option<ConstructPath>,
    /// The problem and its way out.
    pub problem: RefactorProblem,
}

/// An export still imported by committed templates whose value this synth changes.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportValueChange {
    /// The environment.
    pub env: String,
    /// The export, its importers and the cause.
    pub change: ExportChange,
    /// The construct whose replacement changes the value (`network/Vpc`), if that is the
    /// cause.
    pub construct: Option<ConstructPath>,
}

/// A declared rename or move that matches no committed resource and was never recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusedRefactor {
    /// The environment.
    pub env: String,
    /// The declaration.
    pub declared: DeclaredRefactor,
}

/// An export that must stay for its importers but cannot: its value uses something the new
/// synth removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadlock {
    /// The environment.
    pub env: String,
    /// The producer's short name.
    pub stack: String,
    /// The export name.
    pub export: String,
    /// The output declaring it.
    pub output: String,
    /// Stacks importing it.
    pub importers: Vec<String>,
    /// What its value uses that is gone (`` `Alerts` ``, `` condition `IsProd` ``).
    pub missing: Vec<String>,
}

impl fmt::Display for Deadlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = self.importers.join(", ");
        let what = self.missing.join(", ");
        write!(
            f,
            "{}/{}: export `{}` (output `{}`) must stay because the committed template of {who} still imports it, but its value uses {what}, which this synth removes. CloudFormation cannot delete that while the export uses it, nor drop the export while {who} imports it.\n    Fix: keep {what} for one more deploy (synth and deploy so that {who} stops importing `{}`), then remove it in a later synth.",
            self.env, self.stack, self.export, self.output, self.export
        )
    }
}

/// An export kept for its importers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptNote {
    /// The environment.
    pub env: String,
    /// The producer's short name.
    pub stack: String,
    /// What is kept.
    pub kept: KeptExport,
    /// Whether no committed template imports it any more (it stays until
    /// [`super::CommittedState::dropping_kept_exports`]).
    pub pending: bool,
}

impl fmt::Display for KeptNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let KeptExport {
            output,
            export,
            importers,
        } = &self.kept;
        let who = importers.join(", ");
        if self.pending {
            write!(
                f,
                "{}/{}: export `{export}` stays (output `{output}`) until {who} is deployed without it; then run `synth --drop-kept-exports` and deploy",
                self.env, self.stack
            )
        } else {
            write!(
                f,
                "{}/{}: export `{export}` is no longer produced, but the committed template of {who} still imports it, so synth keeps output `{output}` for now. Deploy in two steps: 1. deploy now ({who} stops importing it; the export stays); 2. run `synth --drop-kept-exports` and deploy (the export goes away).",
                self.env, self.stack
            )
        }
    }
}

/// What the change-safety checks found against the committed state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SafetyReport {
    /// Renamed or moved subtrees without a declaration (synth refuses them).
    pub identity_changes: Vec<IdentityChange>,
    /// Resources of declared refactors that stack refactoring cannot move (synth refuses).
    pub refactor_refusals: Vec<RefactorRefusal>,
    /// Exports whose value changes while imported (synth refuses the certain ones).
    pub export_values: Vec<ExportValueChange>,
    /// Declarations matching nothing (synth refuses them).
    pub unused_refactors: Vec<UnusedRefactor>,
    /// Exports that must stay but cannot (synth refuses them).
    pub deadlocks: Vec<Deadlock>,
    /// Exports kept for importers (warnings).
    pub kept: Vec<KeptNote>,
}

impl SafetyReport {
    /// How many committed resources would be replaced by a rename or move.
    pub fn replaced_by_identity(&self) -> usize {
        self.identity_changes
            .iter()
            .map(|c| c.subtree.pairs.len())
            .sum()
    }

    /// The notes `diff` shows for what synth would refuse, one line each.
    pub fn notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        for c in &self.identity_changes {
            out.push(format!("{}: {}", c.env, subtree_line(&c.subtree)));
        }
        for r in &self.refactor_refusals {
            out.push(refusal_line(r));
        }
        for e in self.export_values.iter().filter(|e| e.change.certain) {
            out.push(export_line(e));
        }
        for u in &self.unused_refactors {
            out.push(unused_line(u));
        }
        for d in &self.deadlocks {
            out.push(d.to_string());
        }
        out
    }

    /// The refusal for the stacks `selected` accepts (`env`, `stack`), if any: one error
    /// listing every finding with its ways out.
    pub fn refusal(&self, selected: impl Fn(&str, &str) -> bool) -> Option<Error> {
        let changes: Vec<&IdentityChange> = self
            .identity_changes
            .iter()
            .filter(|c| {
                selected(&c.env, c.subtree.from.stack()) || selected(&c.env, c.subtree.to.stack())
            })
            .collect();
        let refusals: Vec<&RefactorRefusal> = self
            .refactor_refusals
            .iter()
            .filter(|r| match &r.problem.mapping {
                Some(m) => {
                    selected(&r.env, &m.source.stack) || selected(&r.env, &m.destination.stack)
                }
                None => true,
            })
            .collect();
        let exports: Vec<&ExportValueChange> = self
            .export_values
            .iter()
            .filter(|e| e.change.certain && selected(&e.env, &e.change.stack))
            .collect();
        let unused: Vec<&UnusedRefactor> = self.unused_refactors.iter().collect();
        let deadlocks: Vec<&Deadlock> = self
            .deadlocks
            .iter()
            .filter(|d| selected(&d.env, &d.stack))
            .collect();
        if changes.is_empty()
            && refusals.is_empty()
            && exports.is_empty()
            && unused.is_empty()
            && deadlocks.is_empty()
        {
            return None;
        }
        let mut sections = Vec::new();
        if !changes.is_empty() {
            sections.push(identity_section(&changes));
        }
        if !refusals.is_empty() {
            let mut s = format!(
                "refactor safety: stack refactoring cannot carry out {} part(s) of the declared renames and moves:",
                refusals.len()
            );
            for r in &refusals {
                s.push_str(&format!(
                    "\n  - {}\n      Fix: {}",
                    refusal_line(r),
                    r.problem.fix
                ));
            }
            sections.push(s);
        }
        if !exports.is_empty() {
            sections.push(export_section(&exports));
        }
        if !unused.is_empty() {
            let mut s = "refactor safety: declared renames or moves match no committed resource:"
                .to_owned();
            for u in &unused {
                s.push_str(&format!("\n  - {}", unused_line(u)));
            }
            sections.push(s);
        }
        if !deadlocks.is_empty() {
            let mut s = "export safety: an export still imported cannot be kept:".to_owned();
            for d in &deadlocks {
                s.push_str(&format!("\n  - {d}"));
            }
            sections.push(s);
        }
        Some(Error::Unsafe {
            message: sections.join("\n"),
        })
    }
}

fn subtree_line(m: &SubtreeMove) -> String {
    let n = m.pairs.len();
    if m.from == m.to {
        let p = &m.pairs[0];
        return format!(
            "`{}` has logical ID `{}` in the committed template of `{}` and `{}` now",
            m.to, p.old.logical_id, p.old.stack, p.new.logical_id
        );
    }
    let how = if m.is_move() {
        format!(
            "moved from stack `{}` to stack `{}`",
            m.from.stack(),
            m.to.stack()
        )
    } else {
        "renamed".to_owned()
    };
    format!("`{}` -> `{}` ({how}, {n} resource(s))", m.from, m.to)
}

fn identity_section(changes: &[&IdentityChange]) -> String {
    let total: usize = changes.iter().map(|c| c.subtree.pairs.len()).sum();
    let mut s = format!(
        "refactor safety: this synth would replace {total} resource(s) the committed templates record: their construct was renamed or moved, so their logical ID (or stack) changes, and CloudFormation creates a new resource and deletes the old one (a `Retain` resource is orphaned, a fixed name collides):"
    );
    for c in changes {
        s.push_str(&format!("\n  - {}: {}", c.env, subtree_line(&c.subtree)));
        for p in &c.subtree.pairs {
            s.push_str(&format!(
                "\n      {} -> {}  {}  {}",
                p.old, p.new, p.type_name, p.new_path
            ));
        }
    }
    let mut keep: Vec<String> = Vec::new();
    let mut cannot: Vec<String> = Vec::new();
    let mut declare: Vec<String> = Vec::new();
    let mut allow: Vec<String> = Vec::new();
    for c in changes {
        let m = &c.subtree;
        if c.keep_ids.is_empty() {
            let line = format!(
                "`{}` -> `{}` moves to another stack: a logical ID is kept only inside its stack, so only a declared move keeps these resources",
                m.from, m.to
            );
            if !cannot.contains(&line) {
                cannot.push(line);
            }
        } else {
            let header = format!("// in stack `{}`", m.to.stack());
            if !keep.contains(&header) {
                keep.push(header);
            }
            for l in &c.keep_ids {
                if !keep.contains(l) {
                    keep.push(l.clone());
                }
            }
        }
        if m.from != m.to {
            let line = format!("app.declare_move(\"{}\", \"{}\")?;", m.from, m.to);
            if !declare.contains(&line) {
                declare.push(line);
            }
        }
        let line = format!("stack.allow_replacement(\"{}\", \"<reason>\")?;", m.to);
        if !allow.contains(&line) {
            allow.push(line);
        }
    }
    s.push_str("\n  Ways out:");
    if !keep.is_empty() || !cannot.is_empty() {
        s.push_str("\n  (a) keep the logical IDs, so deploy changes nothing; paste right after `Stack::new(..)` of the stack, before adding constructs:");
        for l in &keep {
            s.push_str(&format!("\n        {l}"));
        }
        for l in &cannot {
            s.push_str(&format!("\n      {l}"));
        }
    }
    if !declare.is_empty() {
        s.push_str("\n  (b) declare the refactor; synth records the mappings in the manifest and deploy carries them out with CloudFormation stack refactoring before updating the stacks (keep the declaration until every environment is deployed):");
        for l in &declare {
            s.push_str(&format!("\n        {l}"));
        }
    }
    s.push_str("\n  To replace them on purpose instead (their data is lost):");
    for l in &allow {
        s.push_str(&format!("\n        {l}"));
    }
    s
}

fn refusal_line(r: &RefactorRefusal) -> String {
    match &r.problem.mapping {
        Some(m) => format!(
            "{}: `{}` ({} -> {}, {}): {}",
            r.env,
            r.path.as_ref().map_or(String::new(), ToString::to_string),
            m.source,
            m.destination,
            m.type_name,
            r.problem.problem
        ),
        None => format!("{}: {}", r.env, r.problem.problem),
    }
}

fn export_line(e: &ExportValueChange) -> String {
    let c = &e.change;
    let why = c.why.as_ref().map_or(String::new(), |w| format!(" ({w})"));
    format!(
        "{}/{}: export `{}` (output `{}`) is imported by {}; {}{why}",
        e.env,
        c.stack,
        c.export,
        c.output,
        c.importers.join(", "),
        c.cause
    )
}

fn export_section(exports: &[&ExportValueChange]) -> String {
    let mut s = format!(
        "export safety: {} export(s) still imported by other stacks would get a new value, which CloudFormation refuses while they are imported:",
        exports.len()
    );
    for e in exports {
        s.push_str(&format!("\n  - {}", export_line(e)));
    }
    // One plan per construct whose replacement causes the changes (constructs within
    // another listed one share its plan), then one per changed value.
    let mut roots: Vec<(&str, ConstructPath, Vec<&ExportValueChange>)> = Vec::new();
    let mut by_value: Vec<&ExportValueChange> = Vec::new();
    for e in exports {
        match &e.construct {
            Some(c) => match roots
                .iter_mut()
                .find(|(env, r, _)| *env == e.env && (c.is_within(r) || r.is_within(c)))
            {
                Some(entry) => {
                    if entry.1.is_within(c) {
                        entry.1 = c.clone();
                    }
                    entry.2.push(e);
                }
                None => roots.push((&e.env, c.clone(), vec![e])),
            },
            None => by_value.push(e),
        }
    }
    for (env, root, list) in &roots {
        let importers = importers_of(list);
        let names: Vec<String> = list
            .iter()
            .map(|e| format!("`{}`", e.change.export))
            .collect();
        s.push_str(&format!(
            "\n  Plan for `{root}` in {env} (exports {}), one synth and deploy per step:\n    1. Keep `{root}` as it is and add the changed construct beside it under a new id (for example `{root}V2`), so both are exported; deploy.\n    2. Switch {importers} to the new construct; synth and deploy (stackforge keeps the old exports while the committed templates of {importers} import them).\n    3. Remove `{root}`; run `synth --drop-kept-exports`; deploy.",
            names.join(", ")
        ));
    }
    for e in by_value {
        let c = &e.change;
        s.push_str(&format!(
            "\n  Plan for export `{}` in {}, one synth and deploy per step:\n    1. Declare the new value as another output with a new export name, beside output `{}`; deploy.\n    2. Switch {} to the new export; synth and deploy.\n    3. Remove output `{}`; run `synth --drop-kept-exports`; deploy.",
            c.export,
            e.env,
            c.output,
            c.importers.join(", "),
            c.output
        ));
    }
    s
}

fn importers_of(list: &[&ExportValueChange]) -> String {
    let mut all: Vec<&str> = Vec::new();
    for e in list {
        for i in &e.change.importers {
            if !all.contains(&i.as_str()) {
                all.push(i);
            }
        }
    }
    all.join(", ")
}

fn unused_line(u: &UnusedRefactor) -> String {
    format!(
        "{}: `{}` -> `{}` renames or moves nothing: no committed resource below `{}` reappears below `{}`. Fix: correct the paths (see `stackforge:path` in the committed templates) or remove the declaration",
        u.env, u.declared.from, u.declared.to, u.declared.from, u.declared.to
    )
}
