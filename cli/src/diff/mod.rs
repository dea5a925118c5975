//! Semantic comparison of templates (the template model, read through the one reader), per
//! environment: which resources are added, removed, updated in place or replaced (from the
//! create-only properties), renamed or moved (by construct lineage), which resources a
//! replacement affects through their uses, which exports change value, which IAM grants and
//! security-group rules open, and what changes in outputs, parameters, conditions, mappings
//! and the description. Pure functions, no I/O; the `diff` command and `deploy`'s production
//! preview build on it.

pub mod compare;
pub mod env;
pub mod render;
pub mod security;
pub mod values;

use serde::Serialize;
use serde_json::Value;

pub use compare::{diff_stack, Context};
pub use env::{diff_env, EnvContext};
pub use render::{render_json, render_text};
pub use stackforge_construct_model::change::Impact;

/// What happens to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Created.
    Add,
    /// Deleted.
    Remove,
    /// Updated in place.
    Update,
    /// May be replaced.
    MayReplace,
    /// Replaced.
    Replace,
    /// Renamed inside its stack by a declared refactor (kept, not replaced).
    Rename,
    /// Moved to another stack by a declared refactor (kept, not replaced).
    Move,
}

impl From<Impact> for Action {
    fn from(i: Impact) -> Self {
        match i {
            Impact::Update => Action::Update,
            Impact::MayReplace => Action::MayReplace,
            Impact::Replace => Action::Replace,
        }
    }
}

/// One changed value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Where, relative to the entry (`Properties.Tags`, `Value`, `Export.Name`, `Type`).
    pub path: String,
    /// The old value (`null` when absent).
    pub old: Option<Value>,
    /// The new value (`null` when absent).
    pub new: Option<Value>,
    /// What the change does to the resource (always `update` outside `Resources`).
    pub impact: Impact,
    /// Why it replaces or may replace (`createOnlyProperties: /properties/CidrBlock`).
    pub reason: Option<String>,
}

/// A change to one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceChange {
    /// The logical ID (the new one when it changed).
    pub logical_id: String,
    /// The old logical ID when the same construct path got a new one.
    pub old_logical_id: Option<String>,
    /// The resource type (the new one when it changed).
    #[serde(rename = "type")]
    pub type_name: String,
    /// The construct path (`Metadata."stackforge:path"`), when recorded.
    pub path: Option<String>,
    /// What happens to it.
    pub action: Action,
    /// The changed values (empty for additions and removals).
    pub changes: Vec<Change>,
    /// Remarks: logical ID changes, accepted replacements, types without a schema.
    pub notes: Vec<String>,
    /// For a resource moved to another stack (this entry is in the stack it leaves): where
    /// it goes.
    pub moved_to: Option<Moved>,
    /// Whether a declared refactor renames or moves it (otherwise a new logical ID or stack
    /// replaces it).
    pub refactor: bool,
    /// Why it is replaced when no property of its own changes: the replaced resource it uses.
    pub cascade: Option<String>,
    /// What a replacement or removal loses, for stateful types (`the objects`).
    pub stateful: Option<String>,
}

/// The stack and logical ID a moved resource goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moved {
    /// The stack's short name.
    pub stack: String,
    /// The logical ID there.
    pub logical_id: String,
}

/// A resource whose property value changes at deploy time because it uses a resource that is
/// (or may be) replaced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AffectedResource {
    /// Its logical ID.
    pub logical_id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Its construct path.
    pub path: Option<String>,
    /// The replaced resource it uses (`stack/LogicalId`).
    pub uses: String,
    /// Whether that resource is surely replaced (otherwise it may be).
    pub certain: bool,
    /// Where it uses it (`Properties.VpcId`, with the import across stacks).
    pub at: String,
    /// What CloudFormation does to it: `update`, `may_replace` or `replace`.
    pub impact: Impact,
    /// The create-only property behind a (possible) replacement.
    pub reason: Option<String>,
}

/// What happens to an entry of `Outputs`, `Parameters`, `Conditions`, `Mappings` or another
/// top-level section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryAction {
    /// Added.
    Add,
    /// Removed.
    Remove,
    /// Changed.
    Change,
}

/// A change to one named entry outside `Resources`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryChange {
    /// The entry name (output, parameter, condition or mapping name; the section name for
    /// other top-level keys).
    pub name: String,
    /// Added, removed or changed.
    pub action: EntryAction,
    /// The whole old entry (`null` when added).
    pub old: Option<Value>,
    /// The whole new entry (`null` when removed).
    pub new: Option<Value>,
    /// The changed values, for `change`.
    pub changes: Vec<Change>,
    /// Why this change can break a deploy (a removed or renamed export, or one whose value
    /// changes while other stacks import it).
    pub danger: Option<String>,
}

pub use stackforge_construct_model::layout::KeptExport;

/// Whether the stack exists on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StackStatus {
    /// Only the app has it.
    Added,
    /// Only the compared folder has it.
    Removed,
    /// Both have it and something visible differs.
    Changed,
    /// Both have it and nothing visible differs.
    Unchanged,
}

/// The old/new pair of a scalar section such as `Description`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueChange {
    /// The old value (`null` when absent).
    pub old: Option<Value>,
    /// The new value (`null` when absent).
    pub new: Option<Value>,
}

/// The comparison of one stack's templates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackDiff {
    /// The environment.
    pub env: String,
    /// The stack's short name.
    pub stack: String,
    /// The compared file, when there is one.
    pub file: Option<String>,
    /// Added, removed, changed or unchanged.
    pub status: StackStatus,
    /// `Description` change.
    pub description: Option<ValueChange>,
    /// Resource changes: in the new template's order, then removals.
    pub resources: Vec<ResourceChange>,
    /// Output changes.
    pub outputs: Vec<EntryChange>,
    /// Parameter changes.
    pub parameters: Vec<EntryChange>,
    /// Condition changes.
    pub conditions: Vec<EntryChange>,
    /// Mapping changes.
    pub mappings: Vec<EntryChange>,
    /// Changes to other top-level sections (`Transform`, `Rules`, `Metadata` with `--all`).
    pub other: Vec<EntryChange>,
    /// Outputs kept because committed templates still import their exports.
    pub kept_exports: Vec<KeptExport>,
    /// Resources affected by a replacement they use (blast radius).
    pub affected: Vec<AffectedResource>,
    /// IAM grants and security-group rules the change adds or widens.
    pub security: Vec<security::SecurityChange>,
    /// Metadata-only changes left out (shown with `--all`).
    pub hidden: usize,
}

/// Counts over one or more stacks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Resources to add.
    pub add: usize,
    /// Resources to update in place or that may be replaced.
    pub change: usize,
    /// Resources to replace (a renamed or moved resource without a declared refactor
    /// included).
    pub replace: usize,
    /// Resources to remove.
    pub remove: usize,
    /// Of `change`, how many may be replaced.
    pub may_replace: usize,
    /// Renamed or moved resources (one entry per pair), declared or not.
    pub renamed: usize,
    /// Of `renamed`, how many a declared refactor keeps.
    pub refactored: usize,
    /// Resources affected by a replacement they use.
    pub affected: usize,
    /// Stateful resources replaced, possibly replaced or removed (their data is at risk).
    pub stateful_at_risk: usize,
    /// Changed entries outside `Resources` (outputs, parameters, conditions, mappings,
    /// description, other sections).
    pub other: usize,
    /// Changes that can break a deploy (removed or renamed exports, export values changing
    /// while imported).
    pub dangerous: usize,
    /// IAM grants and security-group rules added or widened.
    pub security: usize,
    /// Metadata-only changes left out.
    pub hidden: usize,
}

impl Summary {
    /// Whether anything visible changes.
    pub fn has_changes(&self) -> bool {
        self.add
            + self.change
            + self.replace
            + self.remove
            + self.renamed
            + self.affected
            + self.other
            + self.security
            > 0
    }

    fn absorb(&mut self, o: Summary) {
        self.add += o.add;
        self.change += o.change;
        self.replace += o.replace;
        self.remove += o.remove;
        self.may_replace += o.may_replace;
        self.renamed += o.renamed;
        self.refactored += o.refactored;
        self.affected += o.affected;
        self.stateful_at_risk += o.stateful_at_risk;
        self.other += o.other;
        self.dangerous += o.dangerous;
        self.security += o.security;
        self.hidden += o.hidden;
    }
}

impl StackDiff {
    /// The counts of this stack.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            hidden: self.hidden,
            ..Summary::default()
        };
        for r in &self.resources {
            match r.action {
                Action::Add => s.add += 1,
                Action::Remove => s.remove += 1,
                Action::Update => s.change += 1,
                Action::MayReplace => {
                    s.change += 1;
                    s.may_replace += 1;
                }
                Action::Replace => s.replace += 1,
                Action::Rename | Action::Move => {}
            }
            if r.old_logical_id.is_some() || r.moved_to.is_some() {
                s.renamed += 1;
                if r.refactor {
                    s.refactored += 1;
                }
            }
            if r.stateful.is_some() {
                s.stateful_at_risk += 1;
            }
        }
        let mut affected: Vec<&str> = self
            .affected
            .iter()
            .map(|a| a.logical_id.as_str())
            .collect();
        affected.sort_unstable();
        affected.dedup();
        s.affected = affected.len();
        s.security = self.security.len();
        let entries = self
            .outputs
            .iter()
            .chain(&self.parameters)
            .chain(&self.conditions)
            .chain(&self.mappings)
            .chain(&self.other);
        for e in entries {
            s.other += 1;
            if e.danger.is_some() {
                s.dangerous += 1;
            }
        }
        if self.description.is_some() {
            s.other += 1;
        }
        s
    }
}

/// The comparison of one environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvDiff {
    /// The environment name.
    pub name: String,
    /// Its stacks in deploy order, then stacks only the compared folder has.
    pub stacks: Vec<StackDiff>,
}

/// The whole comparison: what `diff --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Whether anything visible changes (the exit code is 1 when true).
    pub changes: bool,
    /// Counts over every stack.
    pub summary: Summary,
    /// Per environment.
    pub environments: Vec<EnvDiff>,
}

impl Report {
    /// A report over `environments`, with its summary computed.
    pub fn new(environments: Vec<EnvDiff>) -> Self {
        let mut summary = Summary::default();
        for s in environments.iter().flat_map(|e| &e.stacks) {
            summary.absorb(s.summary());
        }
        Report {
            changes: summary.has_changes(),
            summary,
            environments,
        }
    }
}
