//! Production environments: which they are, and the change preview shown before deploying
//! one.

use serde_json::Value;
use stackforge_construct_model::change::refactor::ResourceMapping;
use stackforge_construct_model::{document, Template};

use crate::diff;

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
pub fn live_template(aws: &AwsCli, stack_name: &str) -> Result<Option<Template>> {
    match aws.json(&[
        "cloudformation",
        "get-template",
        "--stack-name",
        stack_name,
    ]) {
        Ok(v) => {
            // The CLI decodes JSON bodies; a YAML body stays text.
            let read = match &v["TemplateBody"] {
                Value::String(text) => document::parse(text),
                other => document::from_json(other),
            };
            read.map(Some).map_err(|e| {
                CliError::Failed(format!(
                    "cannot read the deployed template of {stack_name} for the preview: {e}. Nothing was deployed."
                ))
            })
        }
        Err(AwsError::Failed { stderr, .. }) if stderr.contains("does not exist") => Ok(None),
        Err(e) => Err(CliError::Failed(format!(
            "cannot read the deployed template of {stack_name} for the preview: {e}. Nothing was deployed."
        ))),
    }
}

/// What deploying the new templates over the deployed ones changes, for every stack of
/// `env`: `(stack, deployed template or None for a new stack, new template)`, after the stack
/// refactor carrying out `refactor` (listed first). This is the `diff` command's comparison:
/// renames and moves paired by construct lineage, replacements and their blast radius,
/// export values, security changes.
pub fn preview(
    env: &str,
    stacks: &[(&str, Option<Template>, &Template)],
    refactor: &[ResourceMapping],
) -> String {
    let old: diff::env::Templates = stacks
        .iter()
        .filter_map(|(s, live, _)| Some(((*s).to_owned(), live.clone()?)))
        .collect();
    let new: diff::env::Templates = stacks
        .iter()
        .map(|(s, _, t)| ((*s).to_owned(), (*t).clone()))
        .collect();
    let ctx = diff::EnvContext {
        refactors: refactor.iter().collect(),
        ..diff::EnvContext::default()
    };
    let mut text = String::new();
    if !refactor.is_empty() {
        text.push_str(&format!(
            "Stack refactor first ({} resource(s), nothing replaced):\n",
            refactor.len()
        ));
        for m in refactor {
            text.push_str(&format!(
                "  > {} -> {} ({})\n",
                m.source, m.destination, m.type_name
            ));
        }
    }
    let diffs = diff::diff_env(env, &old, &new, &ctx);
    text.push_str(&diff::render_text(&diff::Report::new(vec![
        diff::EnvDiff {
            name: env.to_owned(),
            stacks: diffs,
        },
    ])));
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
    fn preview_is_the_diff_of_the_deployed_and_the_new_template() {
        let live = document::from_json(&json!({"Resources": {
            "Keep": {"Type": "AWS::SNS::Topic"},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24"}},
            "Gone": {"Type": "AWS::S3::Bucket"}
        }}))
        .unwrap();
        let new = document::from_json(&json!({"Resources": {
            "Keep": {"Type": "AWS::SNS::Topic"},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24"}},
            "Added": {"Type": "AWS::SNS::Topic"}
        }}))
        .unwrap();
        let text = preview("prod", &[("s", Some(live), &new)], &[]);
        assert!(text.contains("+ Added AWS::SNS::Topic"), "{text}");
        assert!(text.contains("- Gone AWS::S3::Bucket"), "{text}");
        assert!(
            text.contains("~ Subnet AWS::EC2::Subnet") && text.contains("replace"),
            "{text}"
        );
        assert!(
            text.contains("1 to add")
                && text.contains("1 to replace")
                && text.contains("1 to remove"),
            "{text}"
        );
        assert!(preview("prod", &[("s", Some(new.clone()), &new)], &[]).contains("No changes."));
        let added = preview("prod", &[("s", None, &new)], &[]);
        assert!(
            added.contains("s: stack added") && added.contains("+ Added"),
            "{added}"
        );
    }
}
