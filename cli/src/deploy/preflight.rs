//! Checks made before `deploy` changes anything, for what no linter or emulator sees:
//!
//! - **placeholder parameter values**: an e-mail at a domain reserved for documentation
//!   (RFC 2606: `example.com`, `.test`, ...), whose alerts nobody receives, or an ARN in the
//!   AWS documentation's example account `123456789012` while deploying to another account
//!   (a certificate that does not exist there);
//! - **empty secrets a container reads**: a Secrets Manager secret created without a value
//!   (set after deploy) that a task definition injects. ECS cannot start such a task ("AWS
//!   Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"),
//!   and the circuit breaker rolls the service back.
//!
//! Each problem comes with the command that fixes it.

use serde_json::Value;
use stackforge_construct_model::{EnvironmentAssembly, Expr, StackArtifact, Use};

use super::aws::{AwsCli, AwsError};
use crate::params::ParameterValues;

/// The AWS documentation's example account ID.
pub const EXAMPLE_ACCOUNT: &str = "123456789012";

/// Domains reserved for documentation and testing (RFC 2606, RFC 6761).
const RESERVED_DOMAINS: &[&str] = &["example.com", "example.net", "example.org"];
const RESERVED_TLDS: &[&str] = &["example", "test", "invalid", "localhost"];

/// Why `value` looks like a placeholder, when it does. `account` is the deploying account.
pub fn placeholder(value: &str, account: &str) -> Option<String> {
    let v = value.trim();
    if let Some(arn) = v.strip_prefix("arn:") {
        let fields: Vec<&str> = arn.split(':').collect();
        if fields.get(3) == Some(&EXAMPLE_ACCOUNT) && account != EXAMPLE_ACCOUNT {
            return Some(format!(
                "an ARN in account {EXAMPLE_ACCOUNT}, the AWS documentation's example account (deploying to {account})"
            ));
        }
        return None;
    }
    if let Some((local, domain)) = v.rsplit_once('@') {
        if local.is_empty() || domain.contains(char::is_whitespace) {
            return None;
        }
        let domain = domain.to_ascii_lowercase();
        let reserved = RESERVED_DOMAINS
            .iter()
            .any(|d| domain == *d || domain.ends_with(&format!(".{d}")))
            || RESERVED_TLDS
                .iter()
                .any(|t| domain == *t || domain.ends_with(&format!(".{t}")));
        if reserved {
            return Some(format!(
                "an address at `{domain}`, a domain reserved for examples: nobody receives its mail"
            ));
        }
    }
    None
}

/// A problem found before deploying, with the command that fixes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What is wrong.
    pub problem: String,
    /// The command (or edit) that fixes it.
    pub fix: String,
}

impl Finding {
    /// `problem. Fix: fix`.
    pub fn line(&self) -> String {
        format!("{}. Fix: {}", self.problem, self.fix)
    }
}

/// The placeholder values among the parameters of `stacks`.
pub fn placeholders(
    env: &str,
    stacks: &[(&StackArtifact, &ParameterValues)],
    account: &str,
    parameter_dir: &std::path::Path,
) -> Vec<Finding> {
    let mut found = Vec::new();
    for (stack, values) in stacks {
        for (key, value) in values.iter() {
            if let Some(why) = placeholder(value, account) {
                found.push(Finding {
                    problem: format!("parameter {}:{key} is `{value}`: {why}", stack.name),
                    fix: format!(
                        "pass the real value, `deploy --env {env} --parameter {}:{key}=VALUE`, or set it in {}",
                        stack.name,
                        parameter_dir.join(crate::params::file_name(stack)).display()
                    ),
                });
            }
        }
    }
    found
}

/// A secret without a value in its template that a container reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumedSecret {
    /// The stack creating the secret (short name).
    pub secret_stack: String,
    /// The CloudFormation stack name creating it.
    pub secret_stack_name: String,
    /// The secret's logical ID.
    pub logical_id: String,
    /// The stack whose task definition reads it (short name).
    pub consumer: String,
    /// `VARIABLE of container NAME`.
    pub reader: String,
}

/// The secrets created without a value (no `SecretString`, no `GenerateSecretString`) that
/// a task definition of `stacks` injects into a container, following imports across the
/// environment.
pub fn consumed_empty_secrets(
    env: &EnvironmentAssembly,
    stacks: &[&StackArtifact],
) -> Vec<ConsumedSecret> {
    let mut found = Vec::new();
    for stack in stacks {
        for r in stack.template().resources.values() {
            if r.type_name != "AWS::ECS::TaskDefinition" {
                continue;
            }
            let Some(Expr::List(containers)) = r.properties.get("ContainerDefinitions") else {
                continue;
            };
            for c in containers {
                let Expr::Map(c) = c else { continue };
                let name = c.get("Name").and_then(Expr::as_str).unwrap_or("?");
                let Some(Expr::List(secrets)) = c.get("Secrets") else {
                    continue;
                };
                for s in secrets {
                    let Expr::Map(s) = s else { continue };
                    let (Some(var), Some(from)) = (s.get("Name"), s.get("ValueFrom")) else {
                        continue;
                    };
                    let Some((producer, id)) = secret_of(env, stack, from) else {
                        continue;
                    };
                    let Some(secret) = producer.template().resources.get(&id) else {
                        continue;
                    };
                    let empty = !secret.properties.contains_key("SecretString")
                        && !secret.properties.contains_key("GenerateSecretString");
                    let entry = ConsumedSecret {
                        secret_stack: producer.name.clone(),
                        secret_stack_name: producer.stack_name.clone(),
                        logical_id: id,
                        consumer: stack.name.clone(),
                        reader: format!("{} of container {name}", var.as_str().unwrap_or("?")),
                    };
                    if empty && !found.contains(&entry) {
                        found.push(entry);
                    }
                }
            }
        }
    }
    found
}

/// The stack and logical ID of the `AWS::SecretsManager::Secret` that `value` (in `stack`)
/// names, directly or through an import.
fn secret_of<'a>(
    env: &'a EnvironmentAssembly,
    stack: &'a StackArtifact,
    value: &Expr,
) -> Option<(&'a StackArtifact, String)> {
    let is_secret = |s: &StackArtifact, id: &str| {
        s.template()
            .resources
            .get(id)
            .is_some_and(|r| r.type_name == "AWS::SecretsManager::Secret")
    };
    for (_, u) in value.uses() {
        match u {
            Use::Local { id, .. } if is_secret(stack, id) => return Some((stack, id.to_owned())),
            Use::Import(Expr::String(name)) => {
                let export = env.exports().into_iter().find(|e| e.name() == name)?;
                let producer = env.stack(export.producer())?;
                let output = producer.template().outputs.get(export.output())?;
                for (_, u) in output.value.uses() {
                    if let Use::Local { id, .. } = u {
                        if is_secret(producer, id) {
                            return Some((producer, id.to_owned()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether the deployed secret has a current value: `Ok(Some(arn))` when it exists without
/// one, `Ok(None)` when it has a value or its stack (or it) does not exist yet.
pub fn deployed_without_value(
    aws: &AwsCli,
    secret: &ConsumedSecret,
) -> Result<Option<String>, AwsError> {
    let resource = match aws.json(&[
        "cloudformation",
        "describe-stack-resource",
        "--stack-name",
        &secret.secret_stack_name,
        "--logical-resource-id",
        &secret.logical_id,
    ]) {
        Ok(v) => v,
        Err(AwsError::Failed { stderr, .. }) if stderr.contains("does not exist") => {
            return Ok(None)
        }
        Err(e) => return Err(e),
    };
    let Some(arn) = resource["StackResourceDetail"]["PhysicalResourceId"]
        .as_str()
        .filter(|a| !a.is_empty())
    else {
        return Ok(None);
    };
    let described = aws.json(&["secretsmanager", "describe-secret", "--secret-id", arn])?;
    let current = described["VersionIdsToStages"]
        .as_object()
        .is_some_and(|versions| {
            versions.values().any(|stages| {
                stages
                    .as_array()
                    .is_some_and(|s| s.iter().any(|x| x == &Value::from("AWSCURRENT")))
            })
        });
    Ok((!current).then(|| arn.to_owned()))
}

/// The finding for a secret without a value.
pub fn empty_secret_finding(secret: &ConsumedSecret, arn: &str, global: &str) -> Finding {
    Finding {
        problem: format!(
            "secret {arn} ({}/{}) has no value, and {} of stack {} reads it: its tasks could not start",
            secret.secret_stack, secret.logical_id, secret.reader, secret.consumer
        ),
        fix: format!(
            "aws secretsmanager put-secret-value --secret-id {arn} --secret-string file://secret.json{global}, then deploy again"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documentation_domains_and_the_example_account_are_placeholders() {
        let real = "210987654321";
        for (value, placeholder_) in [
            ("ops@example.com", true),
            ("ops@alerts.example.org", true),
            ("ops@shop.test", true),
            ("ops@company.com", false),
            ("ops@examples.com", false),
            (
                "arn:aws:acm:us-east-1:123456789012:certificate/0d8f1e6a",
                true,
            ),
            (
                "arn:aws:acm:us-east-1:210987654321:certificate/0d8f1e6a",
                false,
            ),
            ("1.0.0", false),
        ] {
            assert_eq!(placeholder(value, real).is_some(), placeholder_, "{value}");
        }
        // In the example account itself (an emulator), its ARNs are real.
        assert!(placeholder(
            "arn:aws:acm:us-east-1:123456789012:certificate/0d8f1e6a",
            EXAMPLE_ACCOUNT
        )
        .is_none());
    }
}
