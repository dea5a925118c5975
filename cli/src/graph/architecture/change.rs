//! `graph --diff`: the picture coloured by what a change does, against committed templates.
//!
//! The facts are `diff`'s ([`StackDiff`]): each resource gets its action (added, updated,
//! replaced, may be replaced, removed) or, when it only uses a replaced resource, *affected
//! by a replacement*, with `diff`'s lines in the side panel. A node takes the strongest
//! status of its resources (all added: added; all removed: removed). Removed resources join
//! the node whose construct path holds theirs, or a node of their own. A link all of whose
//! source resources are added is added. [`compare_links`] draws the links of the committed
//! picture that the change removes, and marks as added those it did not have.

use std::collections::BTreeSet;

use super::{
    Architecture, ChangeStatus, ConstructNode, Link, LinkKind, LinkSource, NodeRole, ResourceInfo,
    StackChange, StackInfo,
};
use crate::diff::render;
use crate::diff::{Action, StackDiff, StackStatus};

/// The status a resource gets from `diff`'s action (renames and moves a declared refactor
/// keeps are updates).
fn status_of(action: Action) -> ChangeStatus {
    match action {
        Action::Add => ChangeStatus::Added,
        Action::Remove => ChangeStatus::Removed,
        Action::Update | Action::Rename | Action::Move => ChangeStatus::Updated,
        Action::MayReplace => ChangeStatus::MayReplace,
        Action::Replace => ChangeStatus::Replaced,
    }
}

/// How strongly a status draws the eye: the node shows its resources' strongest.
fn weight(s: ChangeStatus) -> u8 {
    match s {
        ChangeStatus::Affected => 1,
        ChangeStatus::Updated => 2,
        ChangeStatus::Added => 3,
        ChangeStatus::Removed => 4,
        ChangeStatus::MayReplace => 5,
        ChangeStatus::Replaced => 6,
    }
}

/// Colours `a` by `diffs` (one per stack, as `diff_env` returns them), compared with the
/// folder `compared`.
pub fn overlay(a: &mut Architecture, diffs: &[StackDiff], compared: &str) {
    a.compared = Some(compared.to_owned());
    for d in diffs {
        let si = match a.stacks.iter().position(|s| s.name == d.stack) {
            Some(si) => si,
            None => {
                a.stacks.push(StackInfo {
                    name: d.stack.clone(),
                    stack_name: d.stack.clone(),
                    dependencies: Vec::new(),
                    change: None,
                });
                a.stacks.len() - 1
            }
        };
        a.stacks[si].change = Some(stack_change(d));
        for r in &d.resources {
            let mut lines = String::new();
            render::resource(&mut lines, r);
            let mut lines = lines.lines().map(|l| l.trim().to_owned());
            let head = lines.next().unwrap_or_default();
            let changes: Vec<String> = lines.collect();
            let status = status_of(r.action);
            // A moved resource's entry is in the stack it leaves; the one it goes to lists
            // it as well, so the leaving side only notes it.
            let lookup = if r.action == Action::Remove || r.moved_to.is_some() {
                None
            } else {
                find_resource(a, si, &r.logical_id)
            };
            match lookup {
                Some((n, k)) => {
                    let res = &mut a.nodes[n].resources[k];
                    res.status = Some(status);
                    res.changes = changes;
                    res.notes.push(head);
                }
                // A rule or grant drawn as a link: the link's sources name it.
                None if r.moved_to.is_some() || r.action != Action::Remove => {}
                None => {
                    let n = node_for_removed(a, si, r.path.as_deref(), &r.type_name);
                    a.nodes[n].resources.push(ResourceInfo {
                        logical_id: r.logical_id.clone(),
                        type_name: r.type_name.clone(),
                        path: r.path.clone(),
                        properties: Vec::new(),
                        status: Some(ChangeStatus::Removed),
                        changes,
                        notes: vec![head],
                    });
                }
            }
        }
        for f in &d.affected {
            if let Some((n, k)) = find_resource(a, si, &f.logical_id) {
                let res = &mut a.nodes[n].resources[k];
                if res.status.is_none() {
                    res.status = Some(ChangeStatus::Affected);
                }
                let certainty = if f.certain { "is" } else { "may be" };
                res.notes.push(format!(
                    "affected: uses {}, which {certainty} replaced, at {}",
                    f.uses, f.at
                ));
            }
        }
    }
    for n in &mut a.nodes {
        n.status = node_status(&n.resources);
    }
    let added: BTreeSet<(usize, &str)> = a
        .nodes
        .iter()
        .filter_map(|n| Some((n.stack?, &n.resources)))
        .flat_map(|(si, rs)| {
            rs.iter()
                .filter(|r| r.status == Some(ChangeStatus::Added))
                .map(move |r| (si, r.logical_id.as_str()))
        })
        .collect();
    let link_added: Vec<bool> = a
        .links
        .iter()
        .map(|l| {
            !l.sources.is_empty()
                && l.sources
                    .iter()
                    .all(|s| added.contains(&(s.stack, s.logical_id.as_str())))
        })
        .collect();
    for (l, is_added) in a.links.iter_mut().zip(link_added) {
        if is_added {
            l.status = Some(ChangeStatus::Added);
        }
    }
}

/// Compares the links of `a` (the new picture, already [`overlay`]ed) with those of `old`
/// (the committed templates' picture). Nodes match by construct path (externals by name).
/// A link of `old` that `a` lacks joins `a` as removed; so do the traffic ports and data
/// actions a kept link no longer has (a link of their own, beside it). A link `old` lacks
/// is added. A removed link whose node is in neither picture is not drawn.
pub fn compare_links(a: &mut Architecture, old: &Architecture) {
    let key = |n: &ConstructNode| {
        (
            n.role == NodeRole::External,
            n.path.clone().unwrap_or_else(|| n.name.clone()),
        )
    };
    let index = |a: &Architecture, k: &(bool, String)| a.nodes.iter().position(|n| key(n) == *k);
    let new_links = a.links.len();
    for ol in &old.links {
        let (Some(from), Some(to)) = (
            index(a, &key(&old.nodes[ol.from])),
            index(a, &key(&old.nodes[ol.to])),
        ) else {
            continue;
        };
        let kept = a.links[..new_links]
            .iter()
            .find(|l| l.from == from && l.to == to && l.kind == ol.kind);
        let labels: Vec<String> = match kept {
            None => ol.labels.clone(),
            Some(_) if !matches!(ol.kind, LinkKind::Traffic | LinkKind::DataAccess) => continue,
            Some(k) => ol
                .labels
                .iter()
                .filter(|l| !k.labels.contains(l))
                .cloned()
                .collect(),
        };
        if kept.is_some() && labels.is_empty() {
            continue;
        }
        let sources = ol
            .sources
            .iter()
            .filter_map(|s| {
                let name = &old.stacks.get(s.stack)?.name;
                let stack = a.stacks.iter().position(|st| &st.name == name)?;
                Some(LinkSource { stack, ..s.clone() })
            })
            .collect();
        a.links.push(Link {
            from,
            to,
            kind: ol.kind,
            labels,
            sources,
            status: Some(ChangeStatus::Removed),
        });
    }
    let was = |l: &Link| {
        let (f, t) = (key(&a.nodes[l.from]), key(&a.nodes[l.to]));
        old.links
            .iter()
            .any(|o| o.kind == l.kind && key(&old.nodes[o.from]) == f && key(&old.nodes[o.to]) == t)
    };
    let added: Vec<bool> = a.links[..new_links].iter().map(|l| !was(l)).collect();
    for (l, is_new) in a.links.iter_mut().zip(added) {
        if is_new && l.status.is_none() {
            l.status = Some(ChangeStatus::Added);
        }
    }
}

/// A stack's part of the diff, as `diff` words it.
fn stack_change(d: &StackDiff) -> StackChange {
    let status = match d.status {
        StackStatus::Added => "added",
        StackStatus::Removed => "removed",
        StackStatus::Changed => "changed",
        StackStatus::Unchanged => "unchanged",
    };
    let mut entries = String::new();
    for e in d
        .outputs
        .iter()
        .chain(&d.parameters)
        .chain(&d.conditions)
        .chain(&d.mappings)
        .chain(&d.other)
    {
        render::entry(&mut entries, e);
    }
    StackChange {
        status: status.to_owned(),
        summary: render::summary(&d.summary()),
        entries: entries.lines().map(|l| l.trim().to_owned()).collect(),
    }
}

/// The node and index of resource `logical_id` of stack `si`.
fn find_resource(a: &Architecture, si: usize, logical_id: &str) -> Option<(usize, usize)> {
    a.nodes.iter().enumerate().find_map(|(n, node)| {
        if node.stack != Some(si) {
            return None;
        }
        let k = node
            .resources
            .iter()
            .position(|r| r.logical_id == logical_id)?;
        Some((n, k))
    })
}

/// The node a removed resource joins: the one whose path holds the resource's, else a new
/// node for the resource's first path component below the stack (or its type).
fn node_for_removed(a: &mut Architecture, si: usize, path: Option<&str>, type_name: &str) -> usize {
    if let Some(p) = path {
        let holder = a.nodes.iter().position(|n| {
            n.stack == Some(si)
                && n.path
                    .as_deref()
                    .is_some_and(|np| p == np || p.starts_with(&format!("{np}/")))
        });
        if let Some(n) = holder {
            return n;
        }
    }
    let stack = a.stacks[si].name.clone();
    let key = path
        .and_then(|p| p.strip_prefix(&format!("{stack}/")))
        .and_then(|below| below.split('/').next())
        .unwrap_or(type_name)
        .to_owned();
    let node_path = format!("{stack}/{key}");
    if let Some(n) = a
        .nodes
        .iter()
        .position(|n| n.path.as_deref() == Some(node_path.as_str()))
    {
        return n;
    }
    let base: String = format!("n_{stack}__{key}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let mut id = base.clone();
    let mut i = 2;
    while a.nodes.iter().any(|n| n.id == id) {
        id = format!("{base}_{i}");
        i += 1;
    }
    let node = ConstructNode {
        id,
        name: key,
        kind: type_name.to_owned(),
        role: NodeRole::Resources,
        stack: Some(si),
        path: Some(node_path),
        nested: Vec::new(),
        resources: Vec::new(),
        outbound: Vec::new(),
        outbound_sources: Vec::new(),
        status: None,
    };
    // Before the externals, which come last.
    let at = a
        .nodes
        .iter()
        .position(|n| n.role == NodeRole::External)
        .unwrap_or(a.nodes.len());
    a.nodes.insert(at, node);
    for l in &mut a.links {
        if l.from >= at {
            l.from += 1;
        }
        if l.to >= at {
            l.to += 1;
        }
    }
    at
}

/// A node's status: added or removed when all its resources are, else its resources'
/// strongest (an added or removed resource among others makes the node updated).
fn node_status(resources: &[ResourceInfo]) -> Option<ChangeStatus> {
    let all =
        |s: ChangeStatus| !resources.is_empty() && resources.iter().all(|r| r.status == Some(s));
    if all(ChangeStatus::Added) {
        return Some(ChangeStatus::Added);
    }
    if all(ChangeStatus::Removed) {
        return Some(ChangeStatus::Removed);
    }
    resources
        .iter()
        .filter_map(|r| r.status)
        .map(|s| match s {
            ChangeStatus::Added | ChangeStatus::Removed => ChangeStatus::Updated,
            other => other,
        })
        .max_by_key(|s| weight(*s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(status: Option<ChangeStatus>) -> ResourceInfo {
        ResourceInfo {
            logical_id: "R".to_owned(),
            type_name: "AWS::SQS::Queue".to_owned(),
            path: None,
            properties: Vec::new(),
            status,
            changes: Vec::new(),
            notes: Vec::new(),
        }
    }

    #[test]
    fn a_node_shows_the_strongest_status_of_its_resources() {
        use ChangeStatus::*;
        let cases: [(&[Option<ChangeStatus>], Option<ChangeStatus>); 7] = [
            (&[None, None], None),
            (&[Some(Added), Some(Added)], Some(Added)),
            (&[Some(Removed)], Some(Removed)),
            (&[Some(Added), None], Some(Updated)),
            (&[Some(Affected), None], Some(Affected)),
            (
                &[Some(Affected), Some(Replaced), Some(Updated)],
                Some(Replaced),
            ),
            (&[Some(MayReplace), Some(Removed)], Some(MayReplace)),
        ];
        for (statuses, want) in cases {
            let rs: Vec<ResourceInfo> = statuses.iter().map(|s| res(*s)).collect();
            assert_eq!(node_status(&rs), want, "{statuses:?}");
        }
    }
}
