//! An [`Architecture`] as a [`Graph`] for DOT and Mermaid: a cluster per stack (numbered
//! in deploy order), a node per construct labelled with its id and kind, external nodes
//! outside every stack, links as edges of their kind, and a legend.

use super::{Architecture, LinkKind, NodeRole};
use crate::graph::{Cluster, ClusterKind, Edge, EdgeKind, Graph, Ids, Node, NodeKind};

/// Longest edge-label line before the parts wrap onto the next line.
const LABEL_WIDTH: usize = 26;

/// The edge kind drawing links of `kind`.
pub(crate) fn edge_kind(kind: LinkKind) -> EdgeKind {
    match kind {
        LinkKind::Traffic => EdgeKind::Traffic,
        LinkKind::DataAccess => EdgeKind::DataAccess,
        LinkKind::Alerting => EdgeKind::Alerting,
        LinkKind::Uses => EdgeKind::Uses,
    }
}

/// Draws `a` as a graph: stacks where the layout finds best, each a cluster labelled with
/// its deploy order.
pub fn to_graph(a: &Architecture) -> Graph {
    let mut ids = Ids::default();
    let node = |i: usize| {
        let n = &a.nodes[i];
        let mut label = vec![n.name.clone(), n.kind.clone()];
        if !n.outbound.is_empty() {
            label.push(format!("to internet: {}", n.outbound.join(", ")));
        }
        Node {
            id: n.id.clone(),
            label,
            kind: match n.role {
                NodeRole::Construct => NodeKind::Construct,
                NodeRole::Resources => NodeKind::Resource,
                NodeRole::External => NodeKind::External,
            },
            stack: n.stack,
            status: n.status,
        }
    };
    let mut clusters = Vec::new();
    for (si, s) in a.stacks.iter().enumerate() {
        let nodes: Vec<Node> = (0..a.nodes.len())
            .filter(|&i| a.nodes[i].stack == Some(si))
            .map(node)
            .collect();
        if nodes.is_empty() {
            continue;
        }
        let mut label = vec![format!("{}. {}", si + 1, s.name), s.stack_name.clone()];
        if let Some(c) = &s.change {
            if c.status != "unchanged" {
                label.push(format!("stack {}", c.status));
            }
        }
        clusters.push(Cluster {
            id: ids.fresh("cluster_", &s.name),
            label,
            kind: ClusterKind::Stack,
            clusters: Vec::new(),
            nodes,
        });
    }
    let externals = (0..a.nodes.len())
        .filter(|&i| a.nodes[i].stack.is_none())
        .map(node)
        .collect();
    let edges = a
        .links
        .iter()
        .map(|l| Edge {
            from: a.nodes[l.from].id.clone(),
            to: a.nodes[l.to].id.clone(),
            kind: edge_kind(l.kind),
            labels: wrap(&l.labels, LABEL_WIDTH),
            status: l.status,
        })
        .collect();
    Graph {
        title: a.title.clone(),
        left_to_right: false,
        clusters,
        nodes: externals,
        edges,
        legend: true,
        // Graphviz ranks by the links (traffic flows downwards from the internet), which
        // keeps edges short; fixed rows by deploy order made long crossing edges.
        rows: Vec::new(),
    }
}

/// `parts` joined by `, ` into lines of at most `width` characters (a longer part stays
/// whole on its own line).
pub(crate) fn wrap(parts: &[String], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for p in parts {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 2 + p.chars().count() <= width => {
                line.push_str(", ");
                line.push_str(p);
            }
            Some(line) => {
                line.push(',');
                lines.push(p.clone());
            }
            None => lines.push(p.clone()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_wrap_between_parts() {
        let parts: Vec<String> = ["reads secret", "decrypts", "connects (IAM auth)"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(
            wrap(&parts, 26),
            ["reads secret, decrypts,", "connects (IAM auth)"]
        );
        assert_eq!(wrap(&parts[..1], 5), ["reads secret"]);
        assert!(wrap(&[], 26).is_empty());
    }
}
