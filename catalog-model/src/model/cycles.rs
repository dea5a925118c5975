//! Structs that contain themselves: the fields to box so that every generated type has a
//! size, and the order nested structs are written in.

use std::collections::{BTreeMap, BTreeSet};

use super::{StructDef, Ty};

/// Boxes fields until no struct contains itself directly (`Vec` and maps are already
/// indirect). Each cycle found by a depth-first search gets one boxed field: the one
/// closing it if optional, else the last optional field on the way round, so users mostly
/// see `Option<Box<T>>`. Searches start from structs in the order a value nests them,
/// so the field boxed is the one leading back to an outer type.
pub(super) fn box_cycles(structs: &mut [StructDef]) {
    let graph: Graph = structs
        .iter()
        .map(|s| {
            let edges = s
                .fields
                .iter()
                .map(|f| match &f.ty {
                    Ty::Named(n) => (n.clone(), !f.required),
                    _ => (String::new(), false),
                })
                .collect();
            (s.name.clone(), edges)
        })
        .collect();
    let mut order: Vec<String> = Vec::new();
    if let Some(root) = structs.first() {
        nesting_order(&root.name, structs, &mut order);
    }
    for (owner, index) in edges_to_box(&order, &graph) {
        if let Some(s) = structs.iter_mut().find(|s| s.name == owner) {
            s.fields[index].boxed = true;
        }
    }
}

/// Structs in depth-first pre-order of containment, through lists and maps too.
fn nesting_order(name: &str, structs: &[StructDef], order: &mut Vec<String>) {
    if order.iter().any(|n| n == name) {
        return;
    }
    let Some(s) = structs.iter().find(|s| s.name == name) else {
        return;
    };
    order.push(name.to_owned());
    for f in &s.fields {
        let mut ty = &f.ty;
        while let Ty::Vec(t) | Ty::Map(t) = ty {
            ty = t;
        }
        if let Ty::Named(n) = ty {
            nesting_order(n, structs, order);
        }
    }
}

/// Struct name -> its fields as (target struct name, optional). Targets that are not keys
/// (scalars, enums) are ignored.
pub type Graph = BTreeMap<String, Vec<(String, bool)>>;

/// The edges (struct, field index) to box so that the graph has no cycle left; searches
/// start from `starts` in order, then from the other structs by name.
pub fn edges_to_box(starts: &[String], graph: &Graph) -> BTreeSet<(String, usize)> {
    let mut boxed = BTreeSet::new();
    while let Some(edge) = find_cycle_edge(starts, graph, &boxed) {
        boxed.insert(edge);
    }
    boxed
}

/// One edge to box on a cycle of unboxed edges, if any cycle is left.
fn find_cycle_edge(
    starts: &[String],
    graph: &Graph,
    boxed: &BTreeSet<(String, usize)>,
) -> Option<(String, usize)> {
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for start in starts.iter().chain(graph.keys()) {
        let start = start.as_str();
        if !graph.contains_key(start) || done.contains(start) {
            continue;
        }
        // Iterative DFS; `path` holds (node, next edge index) for every open node.
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            let edges = &graph[node];
            let Some(i) = (*next..edges.len()).find(|&i| {
                graph.contains_key(&edges[i].0) && !boxed.contains(&(node.to_owned(), i))
            }) else {
                done.insert(node);
                path.pop();
                continue;
            };
            *next = i + 1;
            let (target, optional) = (&edges[i].0, edges[i].1);
            if let Some(pos) = path.iter().position(|(n, _)| *n == target.as_str()) {
                if optional {
                    return Some((node.to_owned(), i));
                }
                // The edges on the way round are the ones just taken from each open node.
                let on_cycle = path[pos..path.len() - 1].iter().rev();
                let last_optional = on_cycle
                    .map(|&(n, nx)| (n, nx - 1))
                    .find(|&(n, e)| graph[n][e].1);
                let (n, e) = last_optional.unwrap_or((node, i));
                return Some((n.to_owned(), e));
            }
            if !done.contains(target.as_str()) {
                path.push((target.as_str(), 0));
            }
        }
    }
    None
}
