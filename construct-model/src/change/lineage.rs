//! Renames and moves by construct-path lineage: a committed resource whose construct path is
//! gone is paired with a new resource when a subtree mapping `A -> B` explains it
//! (`old = A/rest`, `new = B/rest`, same type), possibly into another stack of the
//! environment. Mappings explain whole subtrees: every committed resource below `A` is gone,
//! so renaming a construct of 13 resources gives one mapping of 13 pairs. Properties play no
//! part: a renamed resource may change in the same synth and is still the same resource.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Identity, Location};
use crate::path::ConstructPath;

/// A committed resource and the new resource it became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// Where it is (stack and logical ID) in the committed state.
    pub old: Location,
    /// Where it is in the new synth.
    pub new: Location,
    /// Its committed construct path.
    pub old_path: ConstructPath,
    /// Its new construct path.
    pub new_path: ConstructPath,
    /// The resource type.
    pub type_name: String,
}

impl Pair {
    /// Whether it moves to another stack.
    pub fn is_move(&self) -> bool {
        self.old.stack != self.new.stack
    }
}

/// A subtree of the construct tree renamed or moved, with its resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtreeMove {
    /// The committed subtree root (`audit/Trail`); equal to `to` when only logical IDs
    /// changed.
    pub from: ConstructPath,
    /// The new subtree root (`audit/AuditTrail`).
    pub to: ConstructPath,
    /// The resources whose logical ID or stack changes, in committed order.
    pub pairs: Vec<Pair>,
}

impl SubtreeMove {
    /// Whether the subtree moves to another stack.
    pub fn is_move(&self) -> bool {
        self.from.stack() != self.to.stack()
    }
}

/// Pairs the committed resources `old` with the new resources `new` of one environment.
///
/// First, a construct path present on both sides under another logical ID (an override
/// removed) is a pair of its own (`from == to`). Then every remaining committed resource
/// whose path is gone is explained, where possible, by the largest subtree mapping whose
/// committed side is wholly gone and whose every rebased path is a new resource of the same
/// type. Pairs that keep their stack and logical ID (`keep_logical_ids_of`) are not reported.
pub fn pair_by_lineage(old: &[Identity], new: &[Identity]) -> Vec<SubtreeMove> {
    let new_by_path: HashMap<&ConstructPath, &Identity> =
        new.iter().map(|i| (&i.path, i)).collect();
    let old_paths: BTreeSet<&ConstructPath> = old.iter().map(|i| &i.path).collect();
    let new_locs: BTreeSet<&Location> = new.iter().map(|i| &i.location).collect();

    let mut out = Vec::new();
    // Same path, new logical ID.
    for o in old {
        if let Some(n) = new_by_path.get(&o.path) {
            if n.location != o.location
                && n.type_name == o.type_name
                && !new_locs.contains(&o.location)
            {
                out.push(SubtreeMove {
                    from: o.path.clone(),
                    to: o.path.clone(),
                    pairs: vec![pair(o, n)],
                });
            }
        }
    }

    let gone: Vec<&Identity> = old
        .iter()
        .filter(|o| !new_by_path.contains_key(&o.path))
        .collect();
    let fresh: Vec<&Identity> = new
        .iter()
        .filter(|n| !old_paths.contains(&n.path))
        .collect();
    let fresh_by_path: HashMap<&ConstructPath, &Identity> =
        fresh.iter().map(|i| (&i.path, *i)).collect();

    // Candidate mappings, each checked once.
    let mut checked: BTreeMap<(ConstructPath, ConstructPath), Option<Links<'_>>> = BTreeMap::new();
    let mut check = |from: &ConstructPath, to: &ConstructPath| -> Option<usize> {
        let key = (from.clone(), to.clone());
        let found = checked.entry(key).or_insert_with(|| {
            let mut pairs = Vec::new();
            for o in old.iter().filter(|o| o.path.is_within(from)) {
                if new_by_path.contains_key(&o.path) {
                    return None; // part of the subtree is still there: not a whole-subtree move
                }
                let Some(target) = o.path.rebase(from, to) else {
                    continue;
                };
                match fresh_by_path.get(&target) {
                    Some(n) if n.type_name == o.type_name => pairs.push((o, *n)),
                    Some(_) => return None, // the same path holds another type
                    None => {}              // removed in the same change
                }
            }
            (!pairs.is_empty()).then_some(pairs)
        });
        found.as_ref().map(Vec::len)
    };

    for o in &gone {
        for n in fresh.iter().filter(|n| n.type_name == o.type_name) {
            let suffix = common_suffix(&o.path, &n.path);
            // The largest subtree first: drop as many shared trailing components as possible
            // while both roots stay inside their stacks.
            for k in (0..=suffix).rev() {
                let (Some(from), Some(to)) = (ancestor(&o.path, k), ancestor(&n.path, k)) else {
                    continue;
                };
                if check(&from, &to).is_some() {
                    break;
                }
            }
        }
    }

    // Larger mappings win; a resource belongs to one pair at most.
    let mut candidates: Vec<(ConstructPath, ConstructPath, Links<'_>)> = checked
        .into_iter()
        .filter_map(|((f, t), p)| Some((f, t, p?)))
        .collect();
    candidates.sort_by(|a, b| {
        b.2.len()
            .cmp(&a.2.len())
            .then_with(|| a.0.depth().cmp(&b.0.depth()))
            .then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1)))
    });
    let mut used_old: BTreeSet<&ConstructPath> = BTreeSet::new();
    let mut used_new: BTreeSet<&ConstructPath> = BTreeSet::new();
    let mut moves = Vec::new();
    for (from, to, pairs) in candidates {
        if pairs
            .iter()
            .any(|(o, n)| used_old.contains(&o.path) || used_new.contains(&n.path))
        {
            continue;
        }
        for (o, n) in &pairs {
            used_old.insert(&o.path);
            used_new.insert(&n.path);
        }
        let mut pairs: Vec<Pair> = pairs
            .iter()
            .filter(|(o, n)| o.location != n.location)
            .map(|(o, n)| pair(o, n))
            .collect();
        let order = |p: &Pair| old.iter().position(|i| i.location == p.old);
        pairs.sort_by_key(order);
        if !pairs.is_empty() {
            moves.push(SubtreeMove { from, to, pairs });
        }
    }
    moves.sort_by_key(|m| old.iter().position(|i| i.location == m.pairs[0].old));
    out.extend(moves);
    out
}

/// The (committed, new) resources a candidate mapping pairs.
type Links<'a> = Vec<(&'a Identity, &'a Identity)>;

fn pair(o: &Identity, n: &Identity) -> Pair {
    Pair {
        old: o.location.clone(),
        new: n.location.clone(),
        old_path: o.path.clone(),
        new_path: n.path.clone(),
        type_name: n.type_name.clone(),
    }
}

/// How many trailing components two paths share (never their first, the stack).
fn common_suffix(a: &ConstructPath, b: &ConstructPath) -> usize {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.components().collect(), b.components().collect());
    a.iter()
        .rev()
        .zip(b.iter().rev())
        .take(a.len().min(b.len()) - 1)
        .take_while(|(x, y)| x == y)
        .count()
}

/// The path without its last `k` components, if at least the stack remains.
fn ancestor(p: &ConstructPath, k: usize) -> Option<ConstructPath> {
    let mut out = p.clone();
    for _ in 0..k {
        out = out.parent()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(stack: &str, logical_id: &str, path: &str, type_name: &str) -> Identity {
        Identity {
            location: Location::new(stack, logical_id),
            path: ConstructPath::parse(path).unwrap(),
            type_name: type_name.to_owned(),
        }
    }

    fn trail(root: &str, prefix: &str) -> Vec<Identity> {
        let stack = root.split('/').next().unwrap();
        [
            ("Key/Resource", "AWS::KMS::Key"),
            ("Bucket/Resource", "AWS::S3::Bucket"),
            ("Bucket/Policy", "AWS::S3::BucketPolicy"),
            ("Logs/Resource", "AWS::S3::Bucket"),
            ("Resource", "AWS::CloudTrail::Trail"),
        ]
        .iter()
        .map(|(rest, t)| {
            let lid = format!("{prefix}{}", rest.replace('/', ""));
            id(stack, &lid, &format!("{root}/{rest}"), t)
        })
        .collect()
    }

    #[test]
    fn a_renamed_subtree_pairs_every_resource_under_one_mapping() {
        let mut old = trail("audit/Trail", "Trail");
        old.push(id("audit", "Other", "audit/Other", "AWS::SNS::Topic"));
        let mut new = trail("audit/AuditTrail", "AuditTrail");
        new.push(id("audit", "Other", "audit/Other", "AWS::SNS::Topic"));
        let moves = pair_by_lineage(&old, &new);
        assert_eq!(moves.len(), 1, "{moves:?}");
        assert_eq!(moves[0].from.as_str(), "audit/Trail");
        assert_eq!(moves[0].to.as_str(), "audit/AuditTrail");
        assert_eq!(moves[0].pairs.len(), 5);
        // Two buckets of the same type pair by their place, not by order.
        let logs = moves[0]
            .pairs
            .iter()
            .find(|p| p.old.logical_id == "TrailLogsResource")
            .unwrap();
        assert_eq!(logs.new.logical_id, "AuditTrailLogsResource");
        assert!(!moves[0].is_move());
    }

    #[test]
    fn a_moved_subtree_is_explained_below_the_stack_that_keeps_other_resources() {
        let mut old = trail("audit/Trail", "Trail");
        old.push(id(
            "audit",
            "BackupVault",
            "audit/Backup/Vault",
            "AWS::Backup::BackupVault",
        ));
        let mut new = trail("audit/Trail", "Trail");
        new.push(id(
            "data",
            "BackupVault",
            "data/Backup/Vault",
            "AWS::Backup::BackupVault",
        ));
        let moves = pair_by_lineage(&old, &new);
        assert_eq!(moves.len(), 1, "{moves:?}");
        assert_eq!(
            (moves[0].from.as_str(), moves[0].to.as_str()),
            ("audit/Backup", "data/Backup")
        );
        assert!(moves[0].is_move() && moves[0].pairs[0].is_move());
    }

    #[test]
    fn kept_ids_same_path_id_changes_and_unrelated_changes() {
        // Renamed, but the logical IDs were kept: nothing to report.
        let old = trail("audit/Trail", "Trail");
        let new: Vec<Identity> = trail("audit/AuditTrail", "X")
            .into_iter()
            .zip(&old)
            .map(|(mut n, o)| {
                n.location = o.location.clone();
                n
            })
            .collect();
        assert!(pair_by_lineage(&old, &new).is_empty());

        // Same path, new ID: one mapping of its own.
        let old = vec![id("s", "Legacy", "s/Logs", "AWS::Logs::LogGroup")];
        let new = vec![id("s", "Logs", "s/Logs", "AWS::Logs::LogGroup")];
        let moves = pair_by_lineage(&old, &new);
        assert_eq!(moves[0].from, moves[0].to);
        assert_eq!(moves[0].pairs[0].old.logical_id, "Legacy");

        // A removed and an added resource of different types are not a pair.
        let old = vec![id("s", "A", "s/A", "AWS::SNS::Topic")];
        let new = vec![id("s", "B", "s/B", "AWS::SQS::Queue")];
        assert!(pair_by_lineage(&old, &new).is_empty());
    }

    #[test]
    fn a_partly_kept_subtree_is_not_a_move() {
        // `s/Api/Logs` stays; only `s/Api/Repo` is new elsewhere: the mapping `s/Api -> s/Web`
        // would not explain a whole subtree, so the pair is the leaf's own.
        let old = vec![
            id("s", "ApiLogs", "s/Api/Logs", "AWS::Logs::LogGroup"),
            id("s", "ApiRepo", "s/Api/Repo", "AWS::ECR::Repository"),
        ];
        let new = vec![
            id("s", "ApiLogs", "s/Api/Logs", "AWS::Logs::LogGroup"),
            id("s", "WebRepo", "s/Web/Repo", "AWS::ECR::Repository"),
        ];
        let moves = pair_by_lineage(&old, &new);
        assert_eq!(moves.len(), 1);
        assert_eq!(
            (moves[0].from.as_str(), moves[0].to.as_str()),
            ("s/Api/Repo", "s/Web/Repo")
        );
    }
}
