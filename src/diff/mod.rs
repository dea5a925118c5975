//! Semantic comparison of two templates (the template model, read through the one reader):
//! which resources are added, removed, updated in place or replaced, and what changes in
//! outputs, exports, parameters, conditions, mappings and the description. Pure functions,
//! no I/O; the `diff` command and `deploy`'s production preview build on it.

pub mod compare;
pub mod render;
pub mod values;

use serde::Serialize;
use serde_json::Value;

pub use compare::{diff_stack, Context};
pub use render::{render_json, render_text};

/// How a change affects the deployed resource. Ordered: a resource takes the strongest
/// impact of its changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    /// Updated in place.
    Update,
    /// May be replaced (a conditionally create-only property, or a create-only property
    /// whose old or new value is only known at deploy time).
    MayReplace,
    /// Replaced: CloudFormation creates a new resource and deletes the old one.
    Replace,
}

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
    /// Why this change can break a deploy (a removed or renamed export).
    pub danger: Option<String>,
}

pub use stackforge_constructs::layout::KeptExport;

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
    /// Resources to replace.
    pub replace: usize,
    /// Resources to remove.
    pub remove: usize,
    /// Of `change`, how many may be replaced.
    pub may_replace: usize,
    /// Changed entries outside `Resources` (outputs, parameters, conditions, mappings,
    /// description, other sections).
    pub other: usize,
    /// Changes that can break a deploy (removed or renamed exports).
    pub dangerous: usize,
    /// Metadata-only changes left out.
    pub hidden: usize,
}

impl Summary {
    /// Whether anything visible changes.
    pub fn has_changes(&self) -> bool {
        self.add + self.change + self.replace + self.remove + self.other > 0
    }

    fn absorb(&mut self, o: Summary) {
        self.add += o.add;
        self.change += o.change;
        self.replace += o.replace;
        self.remove += o.remove;
        self.may_replace += o.may_replace;
        self.other += o.other;
        self.dangerous += o.dangerous;
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
            }
        }
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
