//! Colours and words shared by the DOT, Mermaid and HTML pictures, so that an edge kind or a
//! change looks the same everywhere.

use super::{ChangeStatus, EdgeKind};

/// The colour of edges of `kind` (`#rrggbb`).
pub(crate) fn edge_color(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::Traffic => "#c53030",
        EdgeKind::DataAccess | EdgeKind::CrossStack => "#2b6cb0",
        EdgeKind::Alerting => "#c05621",
        EdgeKind::Uses => "#a0aec0",
        EdgeKind::Reference | EdgeKind::DependsOn | EdgeKind::StackDependency => "#718096",
    }
}

/// What edges of `kind` mean, as the legend says it.
pub(crate) fn edge_meaning(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::Traffic => "traffic (security groups, listeners)",
        EdgeKind::DataAccess => "data access (IAM grants, backups)",
        EdgeKind::Alerting => "alerting (metrics, alarms, topics)",
        EdgeKind::Uses => "uses (other references)",
        EdgeKind::Reference => "reference",
        EdgeKind::DependsOn => "DependsOn",
        EdgeKind::CrossStack => "cross-stack import",
        EdgeKind::StackDependency => "stack dependency",
    }
}

/// The edge kinds of the construct-level legend, in legend order.
pub(crate) const CONSTRUCT_EDGE_KINDS: [EdgeKind; 4] = [
    EdgeKind::Traffic,
    EdgeKind::DataAccess,
    EdgeKind::Alerting,
    EdgeKind::Uses,
];

/// Every change status, in legend order.
pub(crate) const STATUSES: [ChangeStatus; 6] = [
    ChangeStatus::Added,
    ChangeStatus::Updated,
    ChangeStatus::Replaced,
    ChangeStatus::MayReplace,
    ChangeStatus::Removed,
    ChangeStatus::Affected,
];

/// The fill and border colours of a node with `status`.
pub(crate) fn status_colors(status: ChangeStatus) -> (&'static str, &'static str) {
    match status {
        ChangeStatus::Added => ("#c6f6d5", "#2f855a"),
        ChangeStatus::Updated => ("#bee3f8", "#2b6cb0"),
        ChangeStatus::Affected => ("#e9d8fd", "#6b46c1"),
        ChangeStatus::Removed => ("#e2e8f0", "#718096"),
        ChangeStatus::MayReplace => ("#feebc8", "#c05621"),
        ChangeStatus::Replaced => ("#fed7d7", "#c53030"),
    }
}

/// The colour of links a compared change removes (drawn dashed).
pub(crate) const REMOVED_LINK: &str = "#e53e3e";

/// What a removed link means, as the legends say it.
pub(crate) const REMOVED_LINK_MEANING: &str =
    "removed by the change (in the committed templates only)";
