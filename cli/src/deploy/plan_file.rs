//! The plan file of `deploy --plan FILE`, read by `deploy --apply FILE`: per stack the change
//! set CloudFormation created, the hash of the template and the parameters it was created
//! from, the deployed stack's state at planning time, and CloudFormation's changes side by
//! side with the offline prediction. `--apply` refuses when any of these no longer holds.

use std::fmt::Write as _;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::change_set::CfnChange;
use crate::diff::{Action, ResourceChange};

/// The format marker; another marker is refused.
pub const FORMAT: &str = "stackforge-plan/1";

/// A reviewed deploy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFile {
    /// [`FORMAT`].
    pub format: String,
    /// The app.
    pub app: String,
    /// The environment.
    pub environment: String,
    /// The account the change sets were created in.
    pub account: String,
    /// The global `aws` options used (`--region R`, ...): `--apply` must use the same.
    pub aws_options: Vec<String>,
    /// The stacks, in deploy order.
    pub stacks: Vec<PlannedStackChange>,
}

/// One stack of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedStackChange {
    /// The short name.
    pub name: String,
    /// The CloudFormation stack name.
    pub stack_name: String,
    /// SHA-256 of the template body the change set was created from.
    pub template_sha256: String,
    /// The parameter values (a `NoEcho` value as `sha256:` and its hash).
    pub parameters: IndexMap<String, String>,
    /// The deployed stack's status when planned (`None`: not deployed).
    pub stack_status: Option<String>,
    /// The deployed stack's `LastUpdatedTime` (or `CreationTime`) when planned.
    pub stack_updated: Option<String>,
    /// The change set ARN; `None` when CloudFormation found nothing to change.
    pub change_set_id: Option<String>,
    /// CloudFormation's changes beside the offline prediction.
    pub changes: Vec<ReviewedChange>,
}

/// One resource change as CloudFormation and the offline prediction see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewedChange {
    /// The logical ID.
    pub logical_id: String,
    /// The resource type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// CloudFormation's verdict (`Add`, `Modify (replacement True)`, ...); `None` when
    /// CloudFormation lists no change.
    pub cloudformation: Option<String>,
    /// The offline prediction (`add`, `update`, `replace`, `may replace`, ...); `None` when
    /// it predicts no change.
    pub predicted: Option<String>,
    /// Whether the two agree.
    pub agree: bool,
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// A parameter value as the plan records it: `NoEcho` values only by hash.
pub fn recorded_value(value: &str, no_echo: bool) -> String {
    if no_echo {
        format!("sha256:{}", sha256(value.as_bytes()))
    } else {
        value.to_owned()
    }
}

fn predicted(action: Action) -> &'static str {
    match action {
        Action::Add => "add",
        Action::Remove => "remove",
        Action::Update => "update",
        Action::MayReplace => "may replace",
        Action::Replace => "replace",
        Action::Rename => "rename",
        Action::Move => "move",
    }
}

fn verdict(c: &CfnChange) -> String {
    match &c.replacement {
        Some(r) if c.action == "Modify" => format!("Modify (replacement {r})"),
        _ => c.action.clone(),
    }
}

/// Whether CloudFormation's change `c` is what the offline prediction `action` says.
fn agrees(c: &CfnChange, action: Action) -> bool {
    let replacement = c.replacement.as_deref().unwrap_or("False");
    match (c.action.as_str(), action) {
        ("Add", Action::Add) | ("Remove", Action::Remove) => true,
        ("Modify", Action::Update) => replacement == "False",
        ("Modify", Action::Replace) => replacement == "True",
        ("Modify", Action::MayReplace) => replacement != "False",
        _ => false,
    }
}

/// CloudFormation's `changes` beside the offline `prediction` of the same stack, in
/// CloudFormation's order, then the predicted changes CloudFormation does not list.
pub fn side_by_side(changes: &[CfnChange], prediction: &[ResourceChange]) -> Vec<ReviewedChange> {
    let mut out: Vec<ReviewedChange> = changes
        .iter()
        .map(|c| {
            let p = prediction.iter().find(|p| p.logical_id == c.logical_id);
            ReviewedChange {
                logical_id: c.logical_id.clone(),
                type_name: c.type_name.clone(),
                cloudformation: Some(verdict(c)),
                predicted: p.map(|p| predicted(p.action).to_owned()),
                agree: p.is_some_and(|p| agrees(c, p.action)),
            }
        })
        .collect();
    for p in prediction {
        if !changes.iter().any(|c| c.logical_id == p.logical_id) {
            out.push(ReviewedChange {
                logical_id: p.logical_id.clone(),
                type_name: p.type_name.clone(),
                cloudformation: None,
                predicted: Some(predicted(p.action).to_owned()),
                agree: false,
            });
        }
    }
    out
}

/// The plan as a reviewer reads it: per stack its change set and the changes, CloudFormation
/// beside the prediction, disagreements marked `!`.
pub fn render(plan: &PlanFile) -> String {
    let mut text = format!(
        "plan for `{}` of {} in account {}:\n",
        plan.environment, plan.app, plan.account
    );
    let mut disagreements = 0;
    for s in &plan.stacks {
        let Some(id) = &s.change_set_id else {
            let _ = writeln!(text, "  {}: no changes", s.stack_name);
            continue;
        };
        let kind = if s.stack_status.is_none() {
            "new stack"
        } else {
            "update"
        };
        let _ = writeln!(text, "  {} ({kind}): change set {id}", s.stack_name);
        for c in &s.changes {
            let mark = if c.agree { ' ' } else { '!' };
            disagreements += usize::from(!c.agree);
            let _ = writeln!(
                text,
                "  {mark}   {} {}: CloudFormation {} | predicted {}",
                c.logical_id,
                c.type_name,
                c.cloudformation.as_deref().unwrap_or("no change"),
                c.predicted.as_deref().unwrap_or("no change"),
            );
        }
    }
    let sets = plan
        .stacks
        .iter()
        .filter(|s| s.change_set_id.is_some())
        .count();
    let _ = writeln!(
        text,
        "{sets} change set(s); {disagreements} disagreement(s) between CloudFormation and the prediction (marked !)."
    );
    text
}

/// What differs between the plan's stack `planned` and the same stack now (`now`: template
/// hash and parameters as they would be recorded today): one line each.
pub fn changed_inputs(planned: &PlannedStackChange, now: &PlannedStackChange) -> Vec<String> {
    let mut out = Vec::new();
    let s = &planned.stack_name;
    if planned.template_sha256 != now.template_sha256 {
        out.push(format!("{s}: the template changed since the plan"));
    }
    for (k, v) in &planned.parameters {
        match now.parameters.get(k) {
            Some(n) if n == v => {}
            Some(_) => out.push(format!("{s}: parameter {k} changed since the plan")),
            None => out.push(format!("{s}: parameter {k} is gone since the plan")),
        }
    }
    for k in now.parameters.keys() {
        if !planned.parameters.contains_key(k) {
            out.push(format!("{s}: parameter {k} is new since the plan"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfn(action: &str, id: &str, replacement: Option<&str>) -> CfnChange {
        CfnChange {
            action: action.into(),
            logical_id: id.into(),
            type_name: "AWS::EC2::Subnet".into(),
            replacement: replacement.map(str::to_owned),
        }
    }

    #[test]
    fn replacement_verdicts_agree_only_with_the_same_prediction() {
        let cases = [
            ("Add", None, Action::Add, true),
            ("Remove", None, Action::Remove, true),
            ("Modify", Some("False"), Action::Update, true),
            ("Modify", Some("True"), Action::Replace, true),
            ("Modify", Some("Conditional"), Action::MayReplace, true),
            ("Modify", Some("True"), Action::MayReplace, true),
            ("Modify", Some("True"), Action::Update, false),
            ("Modify", Some("False"), Action::Replace, false),
            ("Modify", Some("Conditional"), Action::Replace, false),
            ("Add", None, Action::Update, false),
            ("Dynamic", None, Action::Update, false),
        ];
        for (action, replacement, predicted, want) in cases {
            assert_eq!(
                agrees(&cfn(action, "R", replacement), predicted),
                want,
                "{action} {replacement:?} vs {predicted:?}"
            );
        }
    }

    #[test]
    fn no_echo_values_are_recorded_by_hash_only() {
        assert_eq!(recorded_value("blue", false), "blue");
        let hidden = recorded_value("not-a-secret", true);
        assert!(hidden.starts_with("sha256:") && !hidden.contains("not-a-secret"));
        assert_eq!(hidden.len(), "sha256:".len() + 64);
    }

    #[test]
    fn changed_inputs_name_template_and_parameters() {
        let planned = PlannedStackChange {
            name: "s".into(),
            stack_name: "app-dev-s".into(),
            template_sha256: "a".into(),
            parameters: [
                ("A".to_owned(), "1".to_owned()),
                ("B".to_owned(), "2".to_owned()),
            ]
            .into_iter()
            .collect(),
            stack_status: None,
            stack_updated: None,
            change_set_id: None,
            changes: Vec::new(),
        };
        assert!(changed_inputs(&planned, &planned).is_empty());
        let mut now = planned.clone();
        now.template_sha256 = "b".into();
        now.parameters.insert("A".into(), "9".into());
        now.parameters.shift_remove("B");
        now.parameters.insert("C".into(), "3".into());
        assert_eq!(
            changed_inputs(&planned, &now),
            [
                "app-dev-s: the template changed since the plan",
                "app-dev-s: parameter A changed since the plan",
                "app-dev-s: parameter B is gone since the plan",
                "app-dev-s: parameter C is new since the plan",
            ]
        );
    }
}
