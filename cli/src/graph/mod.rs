//! `graph`: a picture of one environment of a synthesized app, as Graphviz DOT or a Mermaid
//! flowchart.
//!
//! The model is built from the synthesized templates (not from the construct tree), so it
//! shows exactly what CloudFormation will deploy:
//!
//! - **Clusters**: one per stack (labelled with its deploy order, `1. network`), and inside
//!   it one per top-level construct holding at least two nodes (`Vpc`, `Db`).
//! - **Nodes**: one per resource (type and construct path), except that sibling constructs
//!   whose names differ only by a trailing number and whose subtrees hold the same multiset
//!   of resource types collapse into one node with a count (`PrivateSubnet x2`), and that
//!   security-group rule resources become edges. CIDR ranges, prefix lists and groups not
//!   defined in the app are external nodes outside every stack.
//! - **Edges** point from what is used to its user (the deploy order): `Ref`, `Fn::GetAtt`,
//!   `Fn::Sub` placeholders and `DependsOn` inside a stack; `Fn::ImportValue` across stacks
//!   (dashed, labelled with the export name); and security-group rules from the peer that
//!   may send traffic to the group that accepts it (labelled `tcp/443`, or `egress tcp/5432`
//!   for outbound rules). Edges with the same ends and kind merge their labels.
//!
//! `--level stacks` draws the stacks alone, with their deploy order and dependencies.
//!
//! `--level constructs` (the default) draws one node per construct the app declared, with
//! traffic, data-access and alerting links (see [`architecture`]); `--format html` makes it
//! a page to explore (see [`html`]), `--format svg` a picture that fits a README (see
//! [`layout`]), and `--diff` colours it by what a change does.

pub mod architecture;
mod build;
mod collapse;
mod dot;
pub mod html;
pub mod layout;
mod mermaid;
mod security;
mod stacks;
mod style;
mod svg;

use std::collections::BTreeSet;

use stackforge_construct_model::EnvironmentAssembly;

pub use architecture::{Architecture, ChangeStatus, LinkKind};
pub use dot::to_dot;
pub use html::to_html;
pub use mermaid::to_mermaid;
pub use svg::to_svg;

/// How much detail the graph shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Level {
    /// One node per construct the app declared, with traffic, data-access and alerting
    /// links, grouped by stack.
    #[default]
    Constructs,
    /// Every resource (collapsed where repeated), references and security-group rules.
    Resources,
    /// One node per stack, with its deploy order and dependencies.
    Stacks,
}

/// What to draw.
#[derive(Debug, Clone, Default)]
pub struct GraphOptions {
    /// The detail level.
    pub level: Level,
    /// Short names of the stacks to draw; empty means all. Nodes of other stacks connected
    /// to these are drawn too, in a cluster marked "not selected".
    pub stacks: Vec<String>,
}

/// A graph ready to render: nested clusters of nodes, and edges between nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    /// The title (`shop / prod`).
    pub title: String,
    /// Whether the layout runs left to right (resources) or top to bottom (stacks).
    pub left_to_right: bool,
    /// Top-level clusters (stacks), in deploy order.
    pub clusters: Vec<Cluster>,
    /// Nodes outside every cluster (external peers, or stacks at `--level stacks`).
    pub nodes: Vec<Node>,
    /// Edges, in the order they were found.
    pub edges: Vec<Edge>,
    /// Whether the picture carries a legend of its edge kinds (and change colours).
    pub legend: bool,
    /// Rows of node ids, top to bottom, that the DOT layout keeps (edges then do not rank
    /// nodes). Empty: Graphviz ranks the nodes by the edges.
    pub rows: Vec<Vec<String>>,
}

/// A group of nodes drawn as a box (a stack or a construct).
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Unique identifier (`cluster_network`), valid in DOT and Mermaid.
    pub id: String,
    /// The label lines.
    pub label: Vec<String>,
    /// How it is drawn.
    pub kind: ClusterKind,
    /// Nested clusters.
    pub clusters: Vec<Cluster>,
    /// Its own nodes.
    pub nodes: Vec<Node>,
}

/// The kind of a [`Cluster`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterKind {
    /// A selected stack.
    Stack,
    /// A stack drawn only for the nodes connected to the selected ones.
    OtherStack,
    /// A top-level construct inside a stack.
    Construct,
}

/// One node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Unique identifier (`n_network__Vpc8378EB38`), valid in DOT and Mermaid.
    pub id: String,
    /// The label lines.
    pub label: Vec<String>,
    /// How it is drawn.
    pub kind: NodeKind,
    /// Index of the stack it belongs to in the environment (none for external nodes).
    pub stack: Option<usize>,
    /// What a compared change does to it (`--diff`).
    pub status: Option<ChangeStatus>,
}

/// The kind of a [`Node`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A resource.
    Resource,
    /// An `AWS::EC2::SecurityGroup`.
    SecurityGroup,
    /// Repeated sibling constructs shown once with a count.
    Collapsed,
    /// Something outside the app: a CIDR range, a prefix list, a group id, an import.
    External,
    /// A stack (`--level stacks`).
    Stack,
    /// A stack that is not selected (`--level stacks --stack ...`).
    OtherStack,
    /// A construct (`--level constructs`).
    Construct,
}

/// One edge, from what is used (or the traffic's source) to its user (or destination).
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// The source node's id.
    pub from: String,
    /// The target node's id.
    pub to: String,
    /// How it is drawn.
    pub kind: EdgeKind,
    /// Label lines, distinct, in the order found.
    pub labels: Vec<String>,
    /// Added or removed by a compared change (`--diff`).
    pub status: Option<ChangeStatus>,
}

/// The kind of an [`Edge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeKind {
    /// `Ref`, `Fn::GetAtt` or a `Fn::Sub` placeholder inside a stack.
    Reference,
    /// `DependsOn` (without a reference).
    DependsOn,
    /// `Fn::ImportValue` of another stack's export.
    CrossStack,
    /// A security-group rule: the source may send this traffic to the target.
    Traffic,
    /// A stack dependency (`--level stacks`).
    StackDependency,
    /// Data access: an IAM principal (or a backup plan) reads or writes the target's data.
    DataAccess,
    /// Alerting: metrics to alarms, alarms to topics, topics to subscribers.
    Alerting,
    /// Another reference between two constructs of one stack (`--level constructs`).
    Uses,
}

/// Builds the graph of `env` (of the app called `app`).
pub fn build(app: &str, env: &EnvironmentAssembly, options: &GraphOptions) -> Graph {
    let graph = match options.level {
        Level::Constructs => {
            let title = format!("{app} / {}", env.environment.name());
            architecture::to_graph(&architecture::architecture(
                title,
                &architecture::sources(env),
            ))
        }
        Level::Resources => build::resources(app, env),
        Level::Stacks => stacks::stacks(app, env),
    };
    let names: Vec<&str> = env.stacks.iter().map(|s| s.name.as_str()).collect();
    select_stacks(graph, &names, &options.stacks)
}

/// Keeps the nodes of the stacks named in `wanted` (all when empty), and the nodes of other
/// stacks connected to them. `names` are the graph's stacks, by index.
pub fn select_stacks(graph: Graph, names: &[&str], wanted: &[String]) -> Graph {
    if wanted.is_empty() {
        return graph;
    }
    let selected: BTreeSet<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, s)| wanted.iter().any(|w| w == *s))
        .map(|(i, _)| i)
        .collect();
    select(graph, &selected)
}

/// Keeps the nodes of the `selected` stacks, and the other nodes connected to them.
fn select(mut graph: Graph, selected: &BTreeSet<usize>) -> Graph {
    let mut stack_of = std::collections::BTreeMap::new();
    visit_nodes(&graph, &mut |n| {
        stack_of.insert(n.id.clone(), n.stack);
    });
    let is_selected = |id: &str| {
        stack_of
            .get(id)
            .copied()
            .flatten()
            .is_some_and(|s| selected.contains(&s))
    };
    graph
        .edges
        .retain(|e| is_selected(&e.from) || is_selected(&e.to));
    let mut keep: BTreeSet<String> = stack_of
        .keys()
        .filter(|id| is_selected(id))
        .cloned()
        .collect();
    for e in &graph.edges {
        keep.insert(e.from.clone());
        keep.insert(e.to.clone());
    }
    graph.nodes.retain(|n| keep.contains(&n.id));
    for n in &mut graph.nodes {
        if n.kind == NodeKind::Stack && !n.stack.is_some_and(|s| selected.contains(&s)) {
            n.kind = NodeKind::OtherStack;
        }
    }
    graph.clusters = std::mem::take(&mut graph.clusters)
        .into_iter()
        .filter_map(|c| prune(c, &keep))
        .collect();
    for c in &mut graph.clusters {
        let own = c
            .nodes
            .iter()
            .chain(c.clusters.iter().flat_map(|c| c.nodes.iter()))
            .any(|n| n.stack.is_some_and(|s| selected.contains(&s)));
        if !own {
            c.kind = ClusterKind::OtherStack;
            if let Some(first) = c.label.first_mut() {
                first.push_str(" (not selected)");
            }
        }
    }
    graph
}

/// Drops the nodes not in `keep`, and clusters left empty.
fn prune(mut cluster: Cluster, keep: &BTreeSet<String>) -> Option<Cluster> {
    cluster.nodes.retain(|n| keep.contains(&n.id));
    cluster.clusters = std::mem::take(&mut cluster.clusters)
        .into_iter()
        .filter_map(|c| prune(c, keep))
        .collect();
    (!cluster.nodes.is_empty() || !cluster.clusters.is_empty()).then_some(cluster)
}

/// Calls `f` on every node of the graph, clusters first, depth first.
pub fn visit_nodes<'a>(graph: &'a Graph, f: &mut impl FnMut(&'a Node)) {
    fn walk<'a>(c: &'a Cluster, f: &mut impl FnMut(&'a Node)) {
        for sub in &c.clusters {
            walk(sub, f);
        }
        for n in &c.nodes {
            f(n);
        }
    }
    for c in &graph.clusters {
        walk(c, f);
    }
    for n in &graph.nodes {
        f(n);
    }
}

/// Identifiers made of `[A-Za-z0-9_]` only, unique within one graph.
#[derive(Debug, Default)]
pub(crate) struct Ids {
    used: BTreeSet<String>,
}

impl Ids {
    /// A fresh identifier `prefix` + `name` with every other character replaced by `_`,
    /// numbered when taken.
    pub(crate) fn fresh(&mut self, prefix: &str, name: &str) -> String {
        let base: String = prefix
            .chars()
            .chain(name.chars())
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let mut id = base.clone();
        let mut n = 2;
        while self.used.contains(&id) {
            id = format!("{base}_{n}");
            n += 1;
        }
        self.used.insert(id.clone());
        id
    }
}

/// Adds an edge, merging it into an existing one with the same ends and kind. Self-loops
/// (references inside a collapsed node) are dropped.
pub(crate) fn add_edge(
    edges: &mut Vec<Edge>,
    from: &str,
    to: &str,
    kind: EdgeKind,
    label: Option<String>,
) {
    if from == to {
        return;
    }
    if let Some(e) = edges
        .iter_mut()
        .find(|e| e.from == from && e.to == to && e.kind == kind)
    {
        if let Some(l) = label {
            if !e.labels.contains(&l) {
                e.labels.push(l);
            }
        }
        return;
    }
    edges.push(Edge {
        from: from.to_owned(),
        to: to.to_owned(),
        kind,
        labels: label.into_iter().collect(),
        status: None,
    });
}
