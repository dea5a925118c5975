//! `--level resources`: resources (collapsed where repeated) grouped by stack and top-level
//! construct, with reference, cross-stack and security-group edges.

use std::collections::BTreeMap;

use stackforge_construct_model::template::ResourceDef;
use stackforge_construct_model::{ConstructPath, EnvironmentAssembly, Expr, Template, Use};

use super::collapse::{collapse, Item};
use super::security::{self, Group, Peer};
use super::{add_edge, Cluster, ClusterKind, Edge, EdgeKind, Graph, Ids, Node, NodeKind};

/// One stack's template and where its resources are drawn.
struct StackView<'t> {
    name: String,
    template: &'t Template,
    /// Logical ID -> node id (none for rule resources, drawn as edges).
    node_of: BTreeMap<String, Option<String>>,
}

/// Builds the resource-level graph of `env`.
pub(super) fn resources(app: &str, env: &EnvironmentAssembly) -> Graph {
    let stacks: Vec<(&str, &str, &Template)> = env
        .stacks
        .iter()
        .map(|s| (s.name.as_str(), s.stack_name.as_str(), s.template()))
        .collect();
    from_templates(format!("{app} / {}", env.environment.name()), stacks)
}

/// Builds the resource-level graph of templates given as (short name, stack name,
/// template), in deploy order.
fn from_templates(title: String, stacks: Vec<(&str, &str, &Template)>) -> Graph {
    let mut ids = Ids::default();
    let mut views = Vec::new();
    let mut clusters = Vec::new();
    for (si, (name, stack_name, template)) in stacks.into_iter().enumerate() {
        let (view, cluster) = stack_cluster(si, name, stack_name, template, &mut ids);
        views.push(view);
        clusters.push(cluster);
    }
    let exports = exports(&views);
    let mut b = Edges {
        views: &views,
        exports: &exports,
        ids: &mut ids,
        externals: Vec::new(),
        edges: Vec::new(),
    };
    for si in 0..views.len() {
        b.stack_edges(si);
    }
    let Edges {
        externals, edges, ..
    } = b;
    Graph {
        title,
        left_to_right: true,
        clusters,
        nodes: externals,
        edges: without_redundant_depends_on(edges),
        legend: false,
        rows: Vec::new(),
    }
}

/// The path of a resource below its stack (`["Vpc", "PrivateSubnet1", "Subnet"]`).
fn relative_path(stack: &str, logical_id: &str, resource: &ResourceDef) -> Vec<String> {
    match resource.construct_path() {
        Some(p) => match p.relative_to(&ConstructPath::root(stack)) {
            Some(below) => below.into_iter().map(str::to_owned).collect(),
            None => p.components().map(str::to_owned).collect(),
        },
        None => vec![logical_id.to_owned()],
    }
}

/// `Vpc/FlowLog/LogGroup` for `Vpc/FlowLog/LogGroup/Resource`: `Resource` is the default
/// child of a construct and says nothing.
fn display_path(path: &[&str]) -> String {
    let shown = match path.split_last() {
        Some((&"Resource", rest)) if !rest.is_empty() => rest,
        _ => path,
    };
    shown.join("/")
}

fn stack_cluster<'t>(
    index: usize,
    name: &str,
    stack_name: &str,
    template: &'t Template,
    ids: &mut Ids,
) -> (StackView<'t>, Cluster) {
    let mut view = StackView {
        name: name.to_owned(),
        template,
        node_of: BTreeMap::new(),
    };
    let entries: Vec<(&String, &ResourceDef)> = template.resources.iter().collect();
    let paths: Vec<Vec<String>> = entries
        .iter()
        .map(|(id, r)| relative_path(name, id, r))
        .collect();
    let items: Vec<Item<'_>> = entries
        .iter()
        .zip(&paths)
        .map(|((_, r), path)| Item {
            type_name: r.type_name.as_str(),
            path: path.iter().map(String::as_str).collect(),
        })
        .collect();
    let (placement, groups) = collapse(&items);

    // Top-level construct (none for resources at the stack root) -> its nodes, in order.
    let mut by_construct: Vec<(Option<String>, Vec<Node>)> = Vec::new();
    let mut group_nodes: Vec<Option<String>> = vec![None; groups.len()];
    let mut node_of = BTreeMap::new();
    for (i, ((logical_id, _), item)) in entries.iter().zip(&items).enumerate() {
        if matches!(item.type_name, security::INGRESS | security::EGRESS) {
            node_of.insert((*logical_id).clone(), None);
            continue;
        }
        let (node, construct) = match placement[i] {
            Some(g) => {
                if let Some(id) = &group_nodes[g] {
                    node_of.insert((*logical_id).clone(), Some(id.clone()));
                    continue;
                }
                let group = &groups[g];
                let mut key = group.parent.join("_");
                key.push('_');
                key.push_str(&group.prefix);
                let id = ids.fresh("n_", &format!("{name}__{key}"));
                group_nodes[g] = Some(id.clone());
                let node = Node {
                    id,
                    label: group.label(),
                    kind: NodeKind::Collapsed,
                    stack: Some(index),
                    status: None,
                };
                (node, group.parent.first().cloned())
            }
            None => {
                let kind = if item.type_name == security::SECURITY_GROUP {
                    NodeKind::SecurityGroup
                } else {
                    NodeKind::Resource
                };
                let node = Node {
                    id: ids.fresh("n_", &format!("{name}__{logical_id}")),
                    label: vec![item.type_name.to_owned(), display_path(&item.path)],
                    kind,
                    stack: Some(index),
                    status: None,
                };
                let construct = (item.path.len() >= 2).then(|| item.path[0].to_owned());
                (node, construct)
            }
        };
        node_of.insert((*logical_id).clone(), Some(node.id.clone()));
        match by_construct.iter_mut().find(|(c, _)| *c == construct) {
            Some((_, nodes)) => nodes.push(node),
            None => by_construct.push((construct, vec![node])),
        }
    }

    let mut cluster = Cluster {
        id: ids.fresh("cluster_", name),
        label: vec![format!("{}. {name}", index + 1), stack_name.to_owned()],
        kind: ClusterKind::Stack,
        clusters: Vec::new(),
        nodes: Vec::new(),
    };
    for (construct, nodes) in by_construct {
        match construct {
            Some(c) if nodes.len() >= 2 => cluster.clusters.push(Cluster {
                id: ids.fresh("cluster_", &format!("{name}__{c}")),
                label: vec![c],
                kind: ClusterKind::Construct,
                clusters: Vec::new(),
                nodes,
            }),
            _ => cluster.nodes.extend(nodes),
        }
    }
    view.node_of = node_of;
    (view, cluster)
}

/// Export name -> (stack index, logical ID of the exported resource).
fn exports(views: &[StackView<'_>]) -> BTreeMap<String, (usize, String)> {
    let mut out = BTreeMap::new();
    for (si, view) in views.iter().enumerate() {
        for e in view.template.exports() {
            let target = e.decl.value.uses();
            if let (Some(name), [(_, Use::Local { id, .. })]) = (e.name, target.as_slice()) {
                out.insert(name.to_owned(), (si, (*id).to_owned()));
            }
        }
    }
    out
}

struct Edges<'a, 't> {
    views: &'a [StackView<'t>],
    exports: &'a BTreeMap<String, (usize, String)>,
    ids: &'a mut Ids,
    externals: Vec<Node>,
    edges: Vec<Edge>,
}

impl Edges<'_, '_> {
    /// The node drawing something outside the app, labelled `label` (one per label).
    fn external(&mut self, label: Vec<String>) -> String {
        if let Some(n) = self.externals.iter().find(|n| n.label == label) {
            return n.id.clone();
        }
        let id = self.ids.fresh("n_ext_", &label.join("_"));
        self.externals.push(Node {
            id: id.clone(),
            label,
            kind: NodeKind::External,
            stack: None,
            status: None,
        });
        id
    }

    fn local(&self, si: usize, logical_id: &str) -> Option<String> {
        self.views[si].node_of.get(logical_id).cloned().flatten()
    }

    /// The node an export stands for, or an external node when no stack of the
    /// environment exports it.
    fn import(&mut self, name: &str) -> String {
        if let Some((si, id)) = self.exports.get(name) {
            if let Some(node) = self.local(*si, id) {
                return node;
            }
        }
        self.external(vec!["Fn::ImportValue".to_owned(), name.to_owned()])
    }

    fn stack_edges(&mut self, si: usize) {
        let views = self.views;
        for (logical_id, resource) in &views[si].template.resources {
            let me = self.local(si, logical_id);
            if let Some(me) = &me {
                for (_, u) in resource.uses() {
                    match u {
                        Use::Local { id, .. } => {
                            if let Some(from) = self.local(si, id) {
                                add_edge(&mut self.edges, &from, me, EdgeKind::Reference, None);
                            }
                        }
                        Use::Import(Expr::String(name)) => {
                            let from = self.import(name);
                            let label = self
                                .exports
                                .contains_key(name.as_str())
                                .then(|| name.clone());
                            add_edge(
                                &mut self.edges,
                                &from,
                                me,
                                EdgeKind::CrossStack,
                                label.map(String::from),
                            );
                        }
                        _ => {}
                    }
                }
                for id in &resource.depends_on {
                    if let Some(from) = self.local(si, id) {
                        add_edge(&mut self.edges, &from, me, EdgeKind::DependsOn, None);
                    }
                }
            }
            for rule in security::rules(resource) {
                let group = match rule.group {
                    Group::This => me.clone(),
                    Group::Id(v) => Some(self.value_node(si, v, "security group")),
                };
                let peer = match rule.peer {
                    Peer::Group(v) => self.value_node(si, v, "security group"),
                    Peer::Cidr(v) => self.value_node(si, v, ""),
                    Peer::PrefixList(v) => self.value_node(si, v, "prefix list"),
                };
                let Some(group) = group else { continue };
                let (from, to) = if rule.egress {
                    (&group, &peer)
                } else {
                    (&peer, &group)
                };
                add_edge(
                    &mut self.edges,
                    from,
                    to,
                    EdgeKind::Traffic,
                    Some(rule.label()),
                );
            }
        }
    }

    /// The node a rule's group or peer value stands for: a resource (referenced or
    /// imported), or an external node for literals (`0.0.0.0/0`, `sg-0abc`, titled `what`),
    /// parameters and computed values.
    fn value_node(&mut self, si: usize, value: &Expr, what: &str) -> String {
        let title = |s: &str| {
            let mut l = Vec::new();
            if !what.is_empty() {
                l.push(what.to_owned());
            }
            l.push(s.to_owned());
            l
        };
        if let Expr::String(s) = value {
            return self.external(title(s));
        }
        let uses: Vec<Use<'_>> = value.uses().into_iter().map(|(_, u)| u).collect();
        match uses.as_slice() {
            [Use::Local { id, .. }] => {
                if let Some(node) = self.local(si, id) {
                    return node;
                }
                if self.views[si].template.parameters.contains_key(*id) {
                    let name = format!("{}.{id}", self.views[si].name);
                    return self.external(vec!["parameter".to_owned(), name]);
                }
                self.external(title(id))
            }
            [Use::Pseudo(p)] => self.external(title(p.name())),
            [Use::Import(Expr::String(name))] => self.import(name),
            _ => {
                let mut text = serde_json::to_string(value).unwrap_or_default();
                if text.len() > 60 {
                    let cut = (0..=57)
                        .rev()
                        .find(|&i| text.is_char_boundary(i))
                        .unwrap_or(0);
                    text.truncate(cut);
                    text.push_str("...");
                }
                self.external(title(&text))
            }
        }
    }
}

/// Drops `DependsOn` edges that repeat a reference edge.
fn without_redundant_depends_on(edges: Vec<Edge>) -> Vec<Edge> {
    let refs: Vec<(String, String)> = edges
        .iter()
        .filter(|e| e.kind == EdgeKind::Reference)
        .map(|e| (e.from.clone(), e.to.clone()))
        .collect();
    edges
        .into_iter()
        .filter(|e| {
            e.kind != EdgeKind::DependsOn || !refs.contains(&(e.from.clone(), e.to.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(g: &Graph, kind: EdgeKind) -> Vec<(String, String, Vec<String>)> {
        g.edges
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| (e.from.clone(), e.to.clone(), e.labels.clone()))
            .collect()
    }

    fn edge(from: &str, to: &str, labels: &[&str]) -> (String, String, Vec<String>) {
        let labels = labels.iter().map(|l| (*l).to_owned()).collect();
        (from.to_owned(), to.to_owned(), labels)
    }

    /// Hand-written templates reach what synthesized ones never do: `Fn::Sub` placeholders
    /// naming resources, `DependsOn` lists, groups given as parameters or literal ids,
    /// prefix lists, egress resources, and imports no stack of the app exports.
    #[test]
    fn hand_written_templates() {
        let t = json!({
            "Parameters": {"PeerSg": {"Type": "String"}},
            "Resources": {
                "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
                    "SecurityGroupIngress": [
                        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "SourceSecurityGroupId": {"Ref": "PeerSg"}},
                        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "SourcePrefixListId": "pl-1"}
                    ]}},
                "Out": {"Type": "AWS::EC2::SecurityGroupEgress", "Properties": {
                    "GroupId": {"Fn::GetAtt": ["Sg", "GroupId"]}, "IpProtocol": "udp",
                    "FromPort": 53, "ToPort": 53, "DestinationSecurityGroupId": "sg-0abc"}},
                "Bucket": {"Type": "AWS::S3::Bucket"},
                "Queue": {"Type": "AWS::SQS::Queue", "DependsOn": ["Bucket", "Sg"], "Properties": {
                    "QueueName": {"Fn::Sub": "${Bucket}-${AWS::Region}"},
                    "Tags": [{"Key": "x", "Value": {"Fn::ImportValue": "elsewhere:Thing"}}]}}
            }
        });
        let t = stackforge_construct_model::document::from_json(&t).unwrap();
        let g = from_templates("t".into(), vec![("app", "t-app", &t)]);
        assert_eq!(
            labels(&g, EdgeKind::Traffic),
            [
                edge("n_ext_parameter_app_PeerSg", "n_app__Sg", &["tcp/22"]),
                edge("n_ext_prefix_list_pl_1", "n_app__Sg", &["tcp/443"]),
                edge(
                    "n_app__Sg",
                    "n_ext_security_group_sg_0abc",
                    &["egress udp/53"]
                ),
            ]
        );
        assert_eq!(
            labels(&g, EdgeKind::Reference),
            [edge("n_app__Bucket", "n_app__Queue", &[])]
        );
        assert_eq!(
            labels(&g, EdgeKind::DependsOn),
            [edge("n_app__Sg", "n_app__Queue", &[])]
        );
        assert_eq!(
            labels(&g, EdgeKind::CrossStack),
            [edge(
                "n_ext_Fn__ImportValue_elsewhere_Thing",
                "n_app__Queue",
                &[]
            )]
        );
        // Rule resources are edges, not nodes; resources at the stack root are not clustered.
        assert_eq!(g.clusters[0].nodes.len(), 3);
        assert!(g.clusters[0].clusters.is_empty());
    }

    #[test]
    fn display_paths_drop_the_default_child() {
        assert_eq!(display_path(&["Vpc", "Resource"]), "Vpc");
        assert_eq!(
            display_path(&["Vpc", "PublicSubnet1", "Subnet"]),
            "Vpc/PublicSubnet1/Subnet"
        );
        assert_eq!(display_path(&["Resource"]), "Resource");
    }
}
