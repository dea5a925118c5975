//! `--level constructs`: the app as the constructs a user wrote, the picture people read.
//!
//! - **Nodes**: one per construct the app declared (`Scope::construct`, recorded in the
//!   manifest), the outermost one when constructs nest (a pattern's pieces fold into it);
//!   resources outside every construct are grouped by their first path component below the
//!   stack. Something outside the app (the internet, a CIDR range, an e-mail subscriber, a
//!   parameter) is an external node.
//! - **Links**, each kind drawn distinctly: *traffic* (security-group rules, listeners,
//!   listener rules, target groups, WAF associations), *data access* (IAM statements: reads a
//!   secret, decrypts with a key, writes logs, sends to or consumes a queue; backup
//!   selections), *alerting* (a construct's metrics watched by alarms, alarm actions, topic
//!   subscriptions) and *uses* (other references between constructs of one stack). Stack
//!   dependencies are the grouping: cross-stack references are drawn only as one of the
//!   kinds above.
//!
//! The model is built from templates and the construct kinds, so a committed folder (its
//! templates and manifest) draws the same way as a fresh synth. [`change`] overlays a diff.

pub mod change;
mod iam;
mod links;
mod nodes;
pub(crate) mod picture;

use indexmap::IndexMap;
use serde::Serialize;
use stackforge_construct_model::{ConstructPath, EnvironmentAssembly, Template};

pub use picture::to_graph;

/// One stack to draw: its template and the constructs recorded for it.
#[derive(Debug, Clone, Copy)]
pub struct StackSource<'a> {
    /// The short name (`network`).
    pub name: &'a str,
    /// The CloudFormation stack name.
    pub stack_name: &'a str,
    /// Short names of the stacks it depends on.
    pub dependencies: &'a [String],
    /// The template.
    pub template: &'a Template,
    /// The constructs by path, with their kind (empty for folders without a record).
    pub constructs: &'a IndexMap<ConstructPath, String>,
}

/// The stacks of a synthesized environment, as sources.
pub fn sources(env: &EnvironmentAssembly) -> Vec<StackSource<'_>> {
    env.stacks
        .iter()
        .map(|s| StackSource {
            name: &s.name,
            stack_name: &s.stack_name,
            dependencies: &s.dependencies,
            template: s.template(),
            constructs: &s.constructs,
        })
        .collect()
}

/// An environment at construct level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Architecture {
    /// The title (`migration-api / prod`).
    pub title: String,
    /// The stacks, in deploy order.
    pub stacks: Vec<StackInfo>,
    /// Constructs, then external nodes.
    pub nodes: Vec<ConstructNode>,
    /// Links between nodes, in the order found.
    pub links: Vec<Link>,
    /// The folder compared with, when the model carries a diff.
    pub compared: Option<String>,
}

/// A stack of an [`Architecture`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackInfo {
    /// The short name.
    pub name: String,
    /// The CloudFormation stack name.
    pub stack_name: String,
    /// Short names of the stacks it depends on.
    pub dependencies: Vec<String>,
    /// What the compared change does to it (`--diff`).
    pub change: Option<StackChange>,
}

/// A stack's part of a diff, as `diff` says it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackChange {
    /// `added`, `removed`, `changed` or `unchanged`.
    pub status: String,
    /// `1 to add, 0 to change, 1 to replace, 0 to remove`.
    pub summary: String,
    /// Changes outside `Resources` (outputs, parameters, ...), one line each.
    pub entries: Vec<String>,
}

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeRole {
    /// A construct the app declared.
    Construct,
    /// Resources outside every declared construct, grouped by their first path component.
    Resources,
    /// Something outside the app.
    External,
}

/// One node: a construct with its resources, or something outside the app.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConstructNode {
    /// Unique identifier (`n_service__Api`), valid in DOT, Mermaid and HTML.
    pub id: String,
    /// The construct id (`Api`), or the external's name (`Internet`).
    pub name: String,
    /// The construct kind (`LoadBalancedFargateService`), the resource type of a group, or
    /// what an external is (`CIDR range`).
    pub kind: String,
    /// What it stands for.
    pub role: NodeRole,
    /// Index of its stack (none for externals).
    pub stack: Option<usize>,
    /// Its construct path (`service/Api`; none for externals).
    pub path: Option<String>,
    /// Constructs folded into it, by path, with their kind.
    pub nested: Vec<NestedConstruct>,
    /// Its resources, in template order.
    pub resources: Vec<ResourceInfo>,
    /// What it may send to the internet (`tcp/443`), from egress rules to `0.0.0.0/0`.
    pub outbound: Vec<String>,
    /// The rules those come from.
    pub outbound_sources: Vec<LinkSource>,
    /// What the compared change does to it (none: unchanged, or no diff).
    pub status: Option<ChangeStatus>,
}

/// A construct folded into a node.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NestedConstruct {
    /// Its path.
    pub path: String,
    /// Its kind.
    pub kind: String,
}

/// A resource of a node.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceInfo {
    /// Its logical ID.
    pub logical_id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Its construct path, when recorded.
    pub path: Option<String>,
    /// Its main properties (name, compact value), tags left out.
    pub properties: Vec<(String, String)>,
    /// What the compared change does to it.
    pub status: Option<ChangeStatus>,
    /// The changed values, as `diff` lists them.
    pub changes: Vec<String>,
    /// `diff`'s notes, and why it is affected.
    pub notes: Vec<String>,
}

/// A link between two nodes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    /// Index of the source node (traffic source, principal, watched construct, user).
    pub from: usize,
    /// Index of the target node.
    pub to: usize,
    /// What it means.
    pub kind: LinkKind,
    /// Label parts, distinct, in the order found (`tcp/443`, `reads secret`).
    pub labels: Vec<String>,
    /// The resources it was read from.
    pub sources: Vec<LinkSource>,
    /// Added or removed by the compared change (only those two).
    pub status: Option<ChangeStatus>,
}

/// A resource a link was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkSource {
    /// Its stack's index.
    pub stack: usize,
    /// Its logical ID.
    pub logical_id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub type_name: String,
}

/// The kind of a [`Link`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// Network traffic the source may send to the target.
    Traffic,
    /// The source (an IAM principal, a backup plan) reads or writes the target's data.
    DataAccess,
    /// Metrics to alarms, alarms to topics, topics to subscribers.
    Alerting,
    /// Any other reference between two constructs of one stack.
    Uses,
}

/// What a compared change does to a resource, node or link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    /// Created.
    Added,
    /// Updated in place.
    Updated,
    /// Uses a resource that is (or may be) replaced: its value changes at deploy time.
    Affected,
    /// Deleted.
    Removed,
    /// May be replaced.
    MayReplace,
    /// Replaced.
    Replaced,
}

impl ChangeStatus {
    /// The word shown to people (`replaced`, `affected by a replacement`).
    pub fn label(self) -> &'static str {
        match self {
            ChangeStatus::Added => "added",
            ChangeStatus::Updated => "updated",
            ChangeStatus::Affected => "affected by a replacement",
            ChangeStatus::Removed => "removed",
            ChangeStatus::MayReplace => "may be replaced",
            ChangeStatus::Replaced => "replaced",
        }
    }
}

/// Builds the construct-level model of `stacks` (in deploy order).
pub fn architecture(title: String, stacks: &[StackSource<'_>]) -> Architecture {
    let mut built = nodes::Nodes::new(stacks);
    let mut links = links::links(stacks, &mut built);
    let (nodes, new_index) = built.finish();
    for l in &mut links {
        l.from = new_index[l.from];
        l.to = new_index[l.to];
    }
    Architecture {
        title,
        stacks: stacks
            .iter()
            .map(|s| StackInfo {
                name: s.name.to_owned(),
                stack_name: s.stack_name.to_owned(),
                dependencies: s.dependencies.to_vec(),
                change: None,
            })
            .collect(),
        nodes,
        links,
        compared: None,
    }
}

impl Architecture {
    /// The node with construct path `path`, if any.
    pub fn node_by_path(&self, path: &str) -> Option<&ConstructNode> {
        self.nodes.iter().find(|n| n.path.as_deref() == Some(path))
    }

    /// The links of `kind` from the node at `from` to the node at `to` (paths, or names for
    /// externals): their labels.
    pub fn link_labels(&self, from: &str, to: &str, kind: LinkKind) -> Option<&[String]> {
        let index = |key: &str| {
            self.nodes
                .iter()
                .position(|n| n.path.as_deref() == Some(key) || (n.path.is_none() && n.name == key))
        };
        let (f, t) = (index(from)?, index(to)?);
        self.links
            .iter()
            .find(|l| l.from == f && l.to == t && l.kind == kind)
            .map(|l| l.labels.as_slice())
    }
}
