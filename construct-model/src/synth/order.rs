//! Deploy order: dependencies first, otherwise in the order stacks were added; a cycle is an
//! error naming the references that form it.

use std::collections::HashSet;

use indexmap::IndexMap;

use super::Draft;
use crate::error::{Error, Result};
use crate::expr::StackKey;

/// Stacks in deploy order (dependencies first, otherwise in the order they were added), or
/// the cycle that prevents one.
pub(super) fn deploy_order(drafts: &[Draft<'_>]) -> Result<Vec<usize>> {
    let index: IndexMap<&StackKey, usize> = drafts
        .iter()
        .enumerate()
        .map(|(i, d)| (d.stack.key(), i))
        .collect();
    let deps: Vec<Vec<usize>> = drafts
        .iter()
        .map(|d| {
            d.deps
                .keys()
                .filter_map(|k| index.get(k).copied())
                .collect()
        })
        .collect();
    let mut placed: HashSet<usize> = HashSet::new();
    let mut order = Vec::with_capacity(drafts.len());
    while order.len() < drafts.len() {
        let next = (0..drafts.len())
            .find(|i| !placed.contains(i) && deps[*i].iter().all(|d| placed.contains(d)));
        match next {
            Some(i) => {
                placed.insert(i);
                order.push(i);
            }
            None => return Err(cycle_error(drafts, &deps, &placed)),
        }
    }
    Ok(order)
}

fn cycle_error(drafts: &[Draft<'_>], deps: &[Vec<usize>], placed: &HashSet<usize>) -> Error {
    // Every unplaced stack waits on another unplaced one, so walking those edges must repeat.
    let mut path: Vec<usize> = Vec::new();
    let mut current = (0..drafts.len()).find(|i| !placed.contains(i)).unwrap_or(0);
    while !path.contains(&current) {
        path.push(current);
        current = deps[current]
            .iter()
            .copied()
            .find(|d| !placed.contains(d))
            .unwrap_or(current);
    }
    let start = path.iter().position(|p| *p == current).unwrap_or(0);
    let cycle: Vec<String> = path[start..]
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let next = path[start..].get(n + 1).copied().unwrap_or(current);
            let reason = drafts[i]
                .deps
                .get(drafts[next].stack.key())
                .cloned()
                .unwrap_or_default();
            format!(
                "`{}` -> `{}` ({reason})",
                drafts[i].stack.name(),
                drafts[next].stack.name()
            )
        })
        .collect();
    Error::StackCycle {
        env: drafts[current].stack.key().env().to_owned(),
        cycle: cycle.join("; "),
    }
}
