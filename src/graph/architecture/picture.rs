//! An [`Architecture`] as a [`Graph`] for DOT and Mermaid: a cluster per stack (numbered
//! in deploy order), a node per construct labelled with its id and kind, external nodes
//! outside every stack, links as edges of their kind, and a legend.

use super::{Architecture, LinkKind, NodeRole};
use crate::graph::{Cluster, ClusterKind, Edge, EdgeKind, Graph, Ids, Node, NodeKind};

/// Longest edge-label line before the parts wrap onto the next line.
const LABEL_WIDTH: usize = 26;
/// Most nodes in one row of the DOT picture: a stack with more takes several rows, so the
/// picture stays narrow enough to read at README width.
const ROW_WIDTH: usize = 2;
const STACKS_PER_BAND: usize = 1;

/// The edge kind drawing links of `kind`.
pub(crate) fn edge_kind(kind: LinkKind) -> EdgeKind {
    match kind {
        LinkKind::Traffic => EdgeKind::Traffic,
        LinkKind::DataAccess => EdgeKind::DataAccess,
        LinkKind::Alerting => EdgeKind::Alerting,
        LinkKind::Uses => EdgeKind::Uses,
    }
}

/// Draws `a` as a graph: stacks top to bottom in the order the layout finds best, each a
/// cluster labelled with its deploy order.
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
        rows: rows(a),
    }
}

/// The rows of the picture. Stacks sit in bands by dependency depth (a stack one band
/// below the deepest stack it depends on; stacks of one band side by side), each stack at
/// most [`ROW_WIDTH`] nodes a row. Each external joins the row of the first node it is
/// linked with (on the left when it sends, on the right when it receives), so that traffic
/// from the internet enters beside the construct receiving it.
fn rows(a: &Architecture) -> Vec<Vec<String>> {
    let depth: Vec<usize> = (0..a.stacks.len()).map(|i| i / STACKS_PER_BAND).collect();
    let chunks: Vec<Vec<Vec<usize>>> = (0..a.stacks.len())
        .map(|si| {
            let nodes: Vec<usize> = (0..a.nodes.len())
                .filter(|&i| a.nodes[i].stack == Some(si))
                .collect();
            nodes.chunks(ROW_WIDTH).map(<[usize]>::to_vec).collect()
        })
        .collect();
    let mut rows: Vec<Vec<usize>> = Vec::new();
    for d in 0..=depth.iter().copied().max().unwrap_or(0) {
        let band: Vec<usize> = (0..a.stacks.len()).filter(|&si| depth[si] == d).collect();
        let height = band.iter().map(|&si| chunks[si].len()).max().unwrap_or(0);
        for r in 0..height {
            rows.push(
                band.iter()
                    .filter_map(|&si| chunks[si].get(r))
                    .flatten()
                    .copied()
                    .collect(),
            );
        }
    }
    for e in (0..a.nodes.len()).filter(|&i| a.nodes[i].stack.is_none()) {
        let peer = a.links.iter().find_map(|l| {
            if l.from == e {
                Some(l.to)
            } else if l.to == e {
                Some(l.from)
            } else {
                None
            }
        });
        let sends = a.links.iter().any(|l| l.from == e);
        match peer.and_then(|p| rows.iter().position(|r| r.contains(&p))) {
            Some(row) if sends => rows[row].insert(0, e),
            Some(row) => rows[row].push(e),
            None => rows.push(vec![e]),
        }
    }
    rows.into_iter()
        .filter(|r| !r.is_empty())
        .map(|r| r.into_iter().map(|i| a.nodes[i].id.clone()).collect())
        .collect()
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
