//! `--level stacks`: one node per stack, numbered in deploy order, with an edge from each
//! dependency to its dependent labelled with the number of exports it imports.

use std::collections::BTreeSet;

use stackforge_construct_model::EnvironmentAssembly;

use super::{add_edge, EdgeKind, Graph, Ids, Node, NodeKind};

/// Builds the stack-level graph of `env`.
pub(super) fn stacks(app: &str, env: &EnvironmentAssembly) -> Graph {
    let mut ids = Ids::default();
    let mut nodes = Vec::new();
    for (i, s) in env.stacks.iter().enumerate() {
        let count = s.template().resources.len();
        let noun = if count == 1 { "resource" } else { "resources" };
        nodes.push(Node {
            id: ids.fresh("n_stack_", &s.name),
            label: vec![
                format!("{}. {}", i + 1, s.name),
                s.stack_name.clone(),
                format!("{count} {noun}"),
            ],
            kind: NodeKind::Stack,
            stack: Some(i),
            status: None,
        });
    }
    let exports = env.exports();
    let mut edges = Vec::new();
    for (i, s) in env.stacks.iter().enumerate() {
        let imports: BTreeSet<&str> = s.template().imports().into_iter().collect();
        for dep in &s.dependencies {
            let Some(d) = env.stacks.iter().position(|x| &x.name == dep) else {
                continue;
            };
            let n = exports
                .iter()
                .filter(|e| e.producer() == dep && imports.contains(e.name()))
                .count();
            let label = match n {
                0 => None,
                1 => Some("1 import".to_owned()),
                n => Some(format!("{n} imports")),
            };
            add_edge(
                &mut edges,
                &nodes[d].id,
                &nodes[i].id,
                EdgeKind::StackDependency,
                label,
            );
        }
    }
    Graph {
        title: format!("{app} / {} (deploy order)", env.environment.name()),
        left_to_right: false,
        clusters: Vec::new(),
        nodes,
        edges,
        legend: false,
        rows: Vec::new(),
    }
}
