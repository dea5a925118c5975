//! Which node each resource belongs to, and what a value in a template points at.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use stackforge_construct_model::template::ResourceDef;
use stackforge_construct_model::{ConstructPath, Expr, Use};

use super::{ConstructNode, NestedConstruct, NodeRole, ResourceInfo, StackSource};
use crate::graph::security::{EGRESS, INGRESS};
use crate::graph::Ids;

/// Most properties listed per resource in the side panel.
const MAX_PROPERTIES: usize = 8;
/// Longest property value listed (longer ones are cut).
const MAX_VALUE: usize = 90;

/// What a value in a template points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    /// A node of the app.
    Node(usize),
    /// A parameter of the template the value is in.
    Parameter(String),
}

/// The nodes of an environment while links are found.
pub(super) struct Nodes<'a> {
    stacks: &'a [StackSource<'a>],
    ids: Ids,
    nodes: Vec<ConstructNode>,
    /// Per stack: logical ID -> its node (none for a rule or grant resource drawn as a link).
    owner: Vec<IndexMap<String, Option<usize>>>,
    /// Rule and grant resources outside every construct, and whether a link drew them.
    connections: Vec<(usize, String, bool)>,
    /// Export name -> (stack, logical ID of the exported resource).
    exports: BTreeMap<String, (usize, String)>,
    /// Node indices of the externals, by name and kind.
    externals: Vec<usize>,
}

/// Whether a resource outside every construct is a connection between others (drawn as a
/// link): a security-group rule, or a grant's IAM policy.
fn is_connection(type_name: &str) -> bool {
    matches!(type_name, INGRESS | EGRESS | "AWS::IAM::Policy")
}

/// The path of a resource below its stack (`["Api", "LoadBalancer", "Resource"]`).
fn relative_path(stack: &str, logical_id: &str, resource: &ResourceDef) -> Vec<String> {
    match resource.construct_path() {
        Some(p) => match p.relative_to(&ConstructPath::root(stack)) {
            Some(below) if !below.is_empty() => below.into_iter().map(str::to_owned).collect(),
            _ => p.components().map(str::to_owned).collect(),
        },
        None => vec![logical_id.to_owned()],
    }
}

/// A resource's main properties for the side panel: tags left out, long values cut.
fn main_properties(resource: &ResourceDef) -> Vec<(String, String)> {
    resource
        .properties
        .iter()
        .filter(|(name, _)| *name != "Tags")
        .take(MAX_PROPERTIES)
        .map(|(name, value)| {
            let json = serde_json::to_value(value).unwrap_or_default();
            let text = match &json {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (name.to_owned(), cut(&text, MAX_VALUE))
        })
        .collect()
}

/// `text` cut to `max` characters, with `...` when cut.
pub(super) fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(max.saturating_sub(3)).collect();
    s.push_str("...");
    s
}

impl<'a> Nodes<'a> {
    /// One node per outermost construct (or first path component outside constructs) of
    /// every stack, in template order; rule and grant resources outside constructs wait to
    /// be drawn as links.
    pub(super) fn new(stacks: &'a [StackSource<'a>]) -> Self {
        let mut me = Nodes {
            stacks,
            ids: Ids::default(),
            nodes: Vec::new(),
            owner: Vec::new(),
            connections: Vec::new(),
            exports: BTreeMap::new(),
            externals: Vec::new(),
        };
        for (si, s) in stacks.iter().enumerate() {
            let root = ConstructPath::root(s.name);
            let kinds: IndexMap<String, &str> = s
                .constructs
                .iter()
                .filter_map(|(p, k)| Some((p.relative_to(&root)?.join("/"), k.as_str())))
                .filter(|(p, _)| !p.is_empty())
                .collect();
            let mut owner = IndexMap::new();
            let mut by_key: IndexMap<String, usize> = IndexMap::new();
            for (logical_id, r) in &s.template.resources {
                let path = relative_path(s.name, logical_id, r);
                let recorded = (1..=path.len()).find(|&k| kinds.contains_key(&path[..k].join("/")));
                let key = match recorded {
                    Some(k) => path[..k].join("/"),
                    None if is_connection(&r.type_name) => {
                        owner.insert(logical_id.clone(), None);
                        me.connections.push((si, logical_id.clone(), false));
                        continue;
                    }
                    None => path[0].clone(),
                };
                let n = match by_key.get(&key) {
                    Some(&n) => n,
                    None => {
                        let kind = kinds.get(&key).map(|k| (*k).to_owned());
                        let n = me.add_node(si, &key, kind, &kinds);
                        by_key.insert(key, n);
                        n
                    }
                };
                me.nodes[n].resources.push(resource_info(logical_id, r));
                owner.insert(logical_id.clone(), Some(n));
            }
            me.owner.push(owner);
            for e in s.template.exports() {
                let target = e.decl.value.uses();
                if let (Some(name), [(_, Use::Local { id, .. })]) = (e.name, target.as_slice()) {
                    me.exports.insert(name.to_owned(), (si, (*id).to_owned()));
                }
            }
        }
        for n in &mut me.nodes {
            if n.role == NodeRole::Resources {
                n.kind = group_kind(&n.resources, n.path.as_deref().unwrap_or_default());
            }
        }
        me
    }

    fn add_node(
        &mut self,
        si: usize,
        key: &str,
        kind: Option<String>,
        kinds: &IndexMap<String, &str>,
    ) -> usize {
        let stack = self.stacks[si].name;
        let prefix = format!("{key}/");
        let nested = kinds
            .iter()
            .filter(|(p, _)| p.starts_with(&prefix))
            .map(|(p, k)| NestedConstruct {
                path: format!("{stack}/{p}"),
                kind: (*k).to_owned(),
            })
            .collect();
        let role = if kind.is_some() {
            NodeRole::Construct
        } else {
            NodeRole::Resources
        };
        self.nodes.push(ConstructNode {
            id: self.ids.fresh("n_", &format!("{stack}__{key}")),
            name: key.rsplit('/').next().unwrap_or(key).to_owned(),
            kind: kind.unwrap_or_default(),
            role,
            stack: Some(si),
            path: Some(format!("{stack}/{key}")),
            nested,
            resources: Vec::new(),
            outbound: Vec::new(),
            outbound_sources: Vec::new(),
            status: None,
        });
        self.nodes.len() - 1
    }

    /// The node of resource `logical_id` of stack `si`.
    pub(super) fn node_of(&self, si: usize, logical_id: &str) -> Option<usize> {
        self.owner.get(si)?.get(logical_id).copied().flatten()
    }

    /// Marks the rule or grant resource `logical_id` of stack `si` as drawn by a link.
    pub(super) fn drawn(&mut self, si: usize, logical_id: &str) {
        for c in &mut self.connections {
            if c.0 == si && c.1 == logical_id {
                c.2 = true;
            }
        }
    }

    /// What the value `value` in stack `si` points at: resources (through `Ref`, `GetAtt`,
    /// `Sub` and imports of exports of the environment) and parameters, each once.
    pub(super) fn resolve(&self, si: usize, value: &Expr) -> Vec<Target> {
        let mut out = Vec::new();
        for (_, u) in value.uses() {
            let t = match u {
                Use::Local { id, .. } => match self.node_of(si, id) {
                    Some(n) => Some(Target::Node(n)),
                    None if self.stacks[si].template.parameters.contains_key(id) => {
                        Some(Target::Parameter(id.to_owned()))
                    }
                    None => None,
                },
                Use::Import(Expr::String(name)) => self
                    .exports
                    .get(name.as_str())
                    .and_then(|(sj, id)| self.node_of(*sj, id))
                    .map(Target::Node),
                _ => None,
            };
            if let Some(t) = t {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        out
    }

    /// The nodes `value` in stack `si` points at.
    pub(super) fn resolve_nodes(&self, si: usize, value: &Expr) -> Vec<usize> {
        self.resolve(si, value)
            .into_iter()
            .filter_map(|t| match t {
                Target::Node(n) => Some(n),
                Target::Parameter(_) => None,
            })
            .collect()
    }

    /// The external node called `name`, of kind `kind` (one per name and kind).
    pub(super) fn external(&mut self, name: &str, kind: &str) -> usize {
        if let Some(&n) = self
            .externals
            .iter()
            .find(|&&n| self.nodes[n].name == name && self.nodes[n].kind == kind)
        {
            return n;
        }
        self.nodes.push(ConstructNode {
            id: self.ids.fresh("n_ext_", name),
            name: name.to_owned(),
            kind: kind.to_owned(),
            role: NodeRole::External,
            stack: None,
            path: None,
            nested: Vec::new(),
            resources: Vec::new(),
            outbound: Vec::new(),
            outbound_sources: Vec::new(),
            status: None,
        });
        let n = self.nodes.len() - 1;
        self.externals.push(n);
        n
    }

    /// Records that node `n` may send `ports` to the internet (an egress rule read from
    /// `source`).
    pub(super) fn add_outbound(&mut self, n: usize, ports: &str, source: &super::LinkSource) {
        let node = &mut self.nodes[n];
        if !node.outbound.iter().any(|o| o == ports) {
            node.outbound.push(ports.to_owned());
        }
        if !node.outbound_sources.contains(source) {
            node.outbound_sources.push(source.clone());
        }
    }

    /// Whether node `n` stands for something outside the app.
    pub(super) fn is_external(&self, n: usize) -> bool {
        self.externals.contains(&n)
    }

    /// The node of the VPC whose literal `CidrBlock` is `cidr`: a rule naming the range of
    /// a VPC of the app admits that VPC.
    pub(super) fn vpc_with_cidr(&self, cidr: &str) -> Option<usize> {
        self.stacks.iter().enumerate().find_map(|(si, s)| {
            s.template.resources.iter().find_map(|(id, r)| {
                let matches = r.type_name == "AWS::EC2::VPC"
                    && r.properties.get("CidrBlock").and_then(Expr::as_str) == Some(cidr);
                matches.then(|| self.node_of(si, id)).flatten()
            })
        })
    }

    /// The name of node `n`.
    pub(super) fn name(&self, n: usize) -> Option<&str> {
        self.nodes.get(n).map(|n| n.name.as_str())
    }

    /// The stack sources.
    pub(super) fn stacks(&self) -> &'a [StackSource<'a>] {
        self.stacks
    }

    /// The nodes: constructs and groups (those of rule and grant resources no link drew
    /// among them), then externals; and the new index of every old one.
    pub(super) fn finish(mut self) -> (Vec<ConstructNode>, Vec<usize>) {
        let undrawn: Vec<(usize, String)> = self
            .connections
            .iter()
            .filter(|c| !c.2)
            .map(|c| (c.0, c.1.clone()))
            .collect();
        for (si, logical_id) in undrawn {
            let s = self.stacks[si];
            let r = &s.template.resources[&logical_id];
            let key = relative_path(s.name, &logical_id, r)[0].clone();
            let path = format!("{}/{key}", s.name);
            let n = match self
                .nodes
                .iter()
                .position(|n| n.path.as_deref() == Some(path.as_str()))
            {
                Some(n) => n,
                None => self.add_node(si, &key, None, &IndexMap::new()),
            };
            self.nodes[n].resources.push(resource_info(&logical_id, r));
            if self.nodes[n].role == NodeRole::Resources {
                self.nodes[n].kind = group_kind(&self.nodes[n].resources, &path);
            }
        }
        let order: Vec<usize> = (0..self.nodes.len())
            .filter(|n| !self.externals.contains(n))
            .chain(self.externals.iter().copied())
            .collect();
        let mut new_index = vec![0; self.nodes.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        let mut slots: Vec<Option<ConstructNode>> = self.nodes.into_iter().map(Some).collect();
        let nodes = order.iter().filter_map(|&old| slots[old].take()).collect();
        (nodes, new_index)
    }
}

fn resource_info(logical_id: &str, r: &ResourceDef) -> ResourceInfo {
    ResourceInfo {
        logical_id: logical_id.to_owned(),
        type_name: r.type_name.clone(),
        path: r.path().map(str::to_owned),
        properties: main_properties(r),
        status: None,
        changes: Vec::new(),
        notes: Vec::new(),
    }
}

/// The kind shown for resources outside constructs: their type when they share one (or the
/// type of the group's `Resource`), otherwise a count.
fn group_kind(resources: &[ResourceInfo], path: &str) -> String {
    let first = resources.first().map(|r| r.type_name.as_str());
    if resources
        .iter()
        .all(|r| Some(r.type_name.as_str()) == first)
    {
        return first.unwrap_or_default().to_owned();
    }
    let default_child = format!("{path}/Resource");
    if let Some(r) = resources
        .iter()
        .find(|r| r.path.as_deref() == Some(default_child.as_str()))
    {
        return r.type_name.clone();
    }
    format!("{} resources", resources.len())
}
