//! Production environments: which they are, and the change preview shown before deploying
//! one.

use serde_json::Value;

use super::aws::{AwsCli, AwsError};
use crate::error::{CliError, Result};

/// Whether `environment` is a production environment, which `deploy` asks to confirm
/// (`--yes`, or a prompt on a terminal) after showing what changes.
///
/// The rule: the name, split at every character that is not a letter or digit, has the word
/// `prod` or `production` (any case): `prod`, `production`, `eu-prod`, `prod_2` are;
/// `preprod`, `product`, `dev` are not. Name environments accordingly.
pub fn is_production(environment: &str) -> bool {
    environment
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w.eq_ignore_ascii_case("prod") || w.eq_ignore_ascii_case("production"))
}

/// The deployed template of `stack_name` (`aws cloudformation get-template`), or `None` when
/// the stack does not exist.
pub fn live_template(aws: &AwsCli, stack_name: &str) -> Result<Option<Value>> {
    match aws.json(&[
        "cloudformation",
        "get-template",
        "--stack-name",
        stack_name,
    ]) {
        Ok(v) => Ok(Some(match &v["TemplateBody"] {
            // The CLI decodes JSON bodies; a YAML body stays text.
            Value::String(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            other => other.clone(),
        })),
        Err(AwsError::Failed { stderr, .. }) if stderr.contains("does not exist") => Ok(None),
        Err(e) => Err(CliError::Failed(format!(
            "cannot read the deployed template of {stack_name} for the preview: {e}. Nothing was deployed."
        ))),
    }
}

/// What deploying `new` over `live` changes, resource by resource.
///
/// Until the `diff` command's comparison is on this branch this is a plain resource-level
/// summary (added, removed, modified logical IDs and other changed sections); then this
/// function should render `crate::diff` of the same two templates instead, which also
/// flags replacements.
pub fn preview(stack_name: &str, live: Option<&Value>, new: &Value) -> String {
    let empty = serde_json::Map::new();
    let resources = |t: &Value| t.get("Resources").and_then(Value::as_object).cloned();
    let new_resources = resources(new).unwrap_or_default();
    let Some(live) = live else {
        return format!(
            "{stack_name}: new stack, {} resources\n",
            new_resources.len()
        );
    };
    let Some(old_resources) = resources(live) else {
        return format!(
            "{stack_name}: the deployed template cannot be read; the whole stack may change\n"
        );
    };
    let type_of = |r: &Value| r["Type"].as_str().unwrap_or("?").to_owned();
    let mut lines = Vec::new();
    for (id, r) in &new_resources {
        match old_resources.get(id) {
            None => lines.push(format!("  + {id} ({})", type_of(r))),
            Some(old) if old != r => lines.push(format!("  ~ {id} ({})", type_of(r))),
            Some(_) => {}
        }
    }
    for (id, r) in &old_resources {
        if !new_resources.contains_key(id) {
            lines.push(format!("  - {id} ({})", type_of(r)));
        }
    }
    let sections: Vec<&str> = [
        "Parameters",
        "Conditions",
        "Mappings",
        "Outputs",
        "Description",
    ]
    .into_iter()
    .filter(|k| {
        let section = |t: &Value| t.get(*k).cloned().unwrap_or(Value::Object(empty.clone()));
        section(live) != section(new)
    })
    .collect();
    let count = |sign: &str| lines.iter().filter(|l| l.starts_with(sign)).count();
    let mut text = if lines.is_empty() && sections.is_empty() {
        format!("{stack_name}: no template changes\n")
    } else {
        format!(
            "{stack_name}: {} to add, {} to modify, {} to remove{}\n",
            count("  +"),
            count("  ~"),
            count("  -"),
            if sections.is_empty() {
                String::new()
            } else {
                format!("; {} change", sections.join(", "))
            }
        )
    };
    for l in lines {
        text.push_str(&l);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn production_is_decided_by_the_environment_name() {
        for yes in [
            "prod",
            "PROD",
            "production",
            "eu-prod",
            "prod_2",
            "us.production",
        ] {
            assert!(is_production(yes), "{yes}");
        }
        for no in ["dev", "preprod", "product", "staging", "prodx", ""] {
            assert!(!is_production(no), "{no}");
        }
    }

    #[test]
    fn preview_lists_added_modified_and_removed_resources() {
        let live = json!({"Resources": {
            "Keep": {"Type": "AWS::SNS::Topic"},
            "Change": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 1}},
            "Gone": {"Type": "AWS::S3::Bucket"}
        }});
        let new = json!({"Resources": {
            "Keep": {"Type": "AWS::SNS::Topic"},
            "Change": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 2}},
            "Added": {"Type": "AWS::SNS::Topic"}
        }, "Outputs": {"X": {"Value": "1"}}});
        assert_eq!(
            preview("s", Some(&live), &new),
            "s: 1 to add, 1 to modify, 1 to remove; Outputs change\n  ~ Change (AWS::SQS::Queue)\n  + Added (AWS::SNS::Topic)\n  - Gone (AWS::S3::Bucket)\n"
        );
        assert_eq!(preview("s", Some(&new), &new), "s: no template changes\n");
        assert_eq!(preview("s", None, &new), "s: new stack, 3 resources\n");
    }
}
