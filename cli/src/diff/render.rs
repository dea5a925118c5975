//! The text and JSON forms of a [`Report`].

use std::fmt::Write;

use super::values::compact;
use super::{
    Action, AffectedResource, Change, EntryAction, EntryChange, Impact, Report, ResourceChange,
    StackDiff, StackStatus, Summary,
};

/// Longest value shown in text output; longer ones are cut (`--json` has them whole).
const MAX_VALUE: usize = 100;

/// The report as colour-free text, grouped by environment and stack, ending with a summary.
pub fn render_text(report: &Report) -> String {
    let mut t = String::new();
    for env in &report.environments {
        let _ = writeln!(t, "{}", env.name);
        for s in &env.stacks {
            stack(&mut t, s);
        }
    }
    if !report.changes {
        t.push_str("No changes.\n");
    }
    let _ = writeln!(t, "Summary: {}", summary(&report.summary));
    t
}

/// The report as one pretty-printed JSON document.
pub fn render_json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}

pub(crate) fn summary(s: &Summary) -> String {
    let mut line = format!(
        "{} to add, {} to change, {} to replace, {} to remove",
        s.add, s.change, s.replace, s.remove
    );
    if s.may_replace > 0 {
        let _ = write!(line, "; {} of the changes may replace", s.may_replace);
    }
    if s.renamed > 0 {
        let _ = write!(
            line,
            "; {} renamed or moved ({} by a declared refactor)",
            s.renamed, s.refactored
        );
    }
    if s.affected > 0 {
        let _ = write!(line, "; {} affected by replacements", s.affected);
    }
    if s.stateful_at_risk > 0 {
        let _ = write!(line, "; {} STATEFUL at risk", s.stateful_at_risk);
    }
    if s.other > 0 {
        let _ = write!(line, "; {} other change(s)", s.other);
    }
    if s.dangerous > 0 {
        let _ = write!(line, "; {} DANGEROUS (exports)", s.dangerous);
    }
    if s.security > 0 {
        let _ = write!(line, "; {} security change(s)", s.security);
    }
    if s.hidden > 0 {
        let _ = write!(
            line,
            "; {} metadata-only change(s) hidden (--all shows them)",
            s.hidden
        );
    }
    line
}

fn stack(t: &mut String, s: &StackDiff) {
    let file = s
        .file
        .as_ref()
        .map_or(String::new(), |f| format!(" (vs {f})"));
    let status = match s.status {
        StackStatus::Added => "stack added",
        StackStatus::Removed => "stack removed",
        StackStatus::Changed => "changed",
        StackStatus::Unchanged => "no changes",
    };
    let _ = writeln!(t, "  {}{file}: {status}", s.stack);
    if s.status == StackStatus::Unchanged && s.kept_exports.is_empty() {
        if s.hidden > 0 {
            let _ = writeln!(t, "    summary: {}", summary(&s.summary()));
        }
        return;
    }
    for r in &s.resources {
        resource(t, r);
    }
    // Resources replaced through a use are listed above, with the use; the others here.
    let listed = |a: &AffectedResource| {
        s.resources
            .iter()
            .any(|r| r.logical_id == a.logical_id && r.moved_to.is_none())
    };
    let rest: Vec<&AffectedResource> = s.affected.iter().filter(|a| !listed(a)).collect();
    if !rest.is_empty() {
        let _ = writeln!(
            t,
            "    Affected by replacements (a value they use changes at deploy):"
        );
        let mut seen: Vec<&str> = Vec::new();
        for a in &rest {
            if seen.contains(&a.logical_id.as_str()) {
                continue;
            }
            seen.push(&a.logical_id);
            let uses: Vec<&&AffectedResource> = rest
                .iter()
                .filter(|b| b.logical_id == a.logical_id)
                .collect();
            affected(t, &uses);
        }
    }
    if let Some(d) = &s.description {
        let _ = writeln!(
            t,
            "    ~ Description: {} -> {}",
            compact(d.old.as_ref(), MAX_VALUE),
            compact(d.new.as_ref(), MAX_VALUE)
        );
    }
    let sections = [
        ("Parameters", &s.parameters),
        ("Conditions", &s.conditions),
        ("Mappings", &s.mappings),
        ("Outputs", &s.outputs),
        ("Other sections", &s.other),
    ];
    for (title, list) in sections {
        let kept = if title == "Outputs" {
            s.kept_exports.as_slice()
        } else {
            &[]
        };
        if list.is_empty() && kept.is_empty() {
            continue;
        }
        let _ = writeln!(t, "    {title}:");
        for e in list {
            entry(t, e);
        }
        for k in kept {
            let _ = writeln!(
                t,
                "      = export kept: {} (output {}, still imported by {})",
                k.export,
                k.output,
                k.importers.join(", ")
            );
        }
    }
    if !s.security.is_empty() {
        let _ = writeln!(t, "    Security (access this change opens):");
        for c in &s.security {
            let _ = writeln!(t, "      + {}", c.description);
        }
    }
    let _ = writeln!(t, "    summary: {}", summary(&s.summary()));
}

/// One affected resource: its strongest impact, then each use.
fn affected(t: &mut String, uses: &[&&AffectedResource]) {
    let Some(a) = uses.iter().max_by_key(|a| (a.impact, a.certain)) else {
        return;
    };
    let what = match (a.impact, a.certain) {
        (Impact::Update, true) => "update in place".to_owned(),
        (Impact::Update, false) => format!("update in place if {} is replaced", a.uses),
        (Impact::MayReplace, _) => "may replace".to_owned(),
        (Impact::Replace, _) => "replace".to_owned(),
    };
    let path = a.path.as_ref().map_or(String::new(), |p| format!(" ({p})"));
    let _ = writeln!(t, "      ~ {} {}{path}: {what}", a.logical_id, a.type_name);
    for u in uses {
        let why = u
            .reason
            .as_ref()
            .map_or(String::new(), |r| format!("  [{r}]"));
        let _ = writeln!(
            t,
            "          {}: uses {} ({}){why}",
            u.at,
            u.uses,
            if u.certain {
                "replaced"
            } else {
                "may be replaced"
            }
        );
    }
}

pub(crate) fn resource(t: &mut String, r: &ResourceChange) {
    let (sign, mut label) = match r.action {
        Action::Add => ("+", "add".to_owned()),
        Action::Remove => ("-", "remove".to_owned()),
        Action::Update => ("~", "update in place".to_owned()),
        Action::MayReplace => ("~", "may replace".to_owned()),
        Action::Replace => match (&r.old_logical_id, &r.moved_to) {
            (Some(old), _) => (
                "~",
                format!("replaced (renamed from {old} without a declared refactor)"),
            ),
            (_, Some(to)) => (
                "~",
                format!(
                    "replaced (moved to stack {} as {} without a declared refactor)",
                    to.stack, to.logical_id
                ),
            ),
            _ => ("~", "replace".to_owned()),
        },
        Action::Rename => (
            ">",
            format!(
                "renamed from {} (refactor)",
                r.old_logical_id.as_deref().unwrap_or_default()
            ),
        ),
        Action::Move => (
            ">",
            r.moved_to.as_ref().map_or_else(String::new, |to| {
                format!(
                    "moved to stack {} as {} (refactor)",
                    to.stack, to.logical_id
                )
            }),
        ),
    };
    if r.refactor && !r.changes.is_empty() {
        let _ = write!(label, "; then {}", strongest(r));
    }
    if let Some(c) = &r.cascade {
        let _ = write!(label, " because it {c}");
    }
    if let Some(loses) = &r.stateful {
        let _ = write!(label, "; STATEFUL: loses {loses}");
    }
    let path = r.path.as_ref().map_or(String::new(), |p| format!(" ({p})"));
    let _ = writeln!(
        t,
        "    {sign} {} {}{path}: {label}",
        r.logical_id, r.type_name
    );
    for c in &r.changes {
        change(t, c, "        ");
    }
    let lead = usize::from(r.old_logical_id.is_some() || r.moved_to.is_some());
    for n in r.notes.iter().skip(lead) {
        let _ = writeln!(t, "        note: {n}");
    }
}

/// The strongest impact of a refactored resource's own changes, in words.
fn strongest(r: &ResourceChange) -> &'static str {
    match r.changes.iter().map(|c| c.impact).max() {
        Some(Impact::Replace) => "replace",
        Some(Impact::MayReplace) => "may replace",
        _ => "update in place",
    }
}

fn change(t: &mut String, c: &Change, indent: &str) {
    let why = match (c.impact, &c.reason) {
        (Impact::Replace, Some(r)) => format!("  [replaces: {r}]"),
        (Impact::Replace, None) => "  [replaces]".to_owned(),
        (Impact::MayReplace, Some(r)) => format!("  [may replace: {r}]"),
        (Impact::MayReplace, None) => "  [may replace]".to_owned(),
        (Impact::Update, _) => String::new(),
    };
    let _ = writeln!(
        t,
        "{indent}{}: {} -> {}{why}",
        if c.path.is_empty() {
            "(value)"
        } else {
            &c.path
        },
        compact(c.old.as_ref(), MAX_VALUE),
        compact(c.new.as_ref(), MAX_VALUE)
    );
}

pub(crate) fn entry(t: &mut String, e: &EntryChange) {
    match e.action {
        EntryAction::Add => {
            let _ = writeln!(
                t,
                "      + {}: {}",
                e.name,
                compact(e.new.as_ref(), MAX_VALUE)
            );
        }
        EntryAction::Remove => {
            let _ = writeln!(
                t,
                "      - {}: {}",
                e.name,
                compact(e.old.as_ref(), MAX_VALUE)
            );
        }
        EntryAction::Change => {
            let _ = writeln!(t, "      ~ {}", e.name);
            for c in &e.changes {
                change(t, c, "          ");
            }
        }
    }
    if let Some(d) = &e.danger {
        let _ = writeln!(t, "        DANGER: {d}");
    }
}
