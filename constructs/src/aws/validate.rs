//! Checks several services' constructs share: ARNs written as literals in props (references
//! are checked by CloudFormation) and names of stack parameters a construct declares.

use crate::error::Result;
use crate::logical_id::is_valid_logical_id;
use crate::scope::Scope;

/// Whether `s` is `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` with `RESOURCE` starting
/// with `resource_prefix` and something after it.
pub(crate) fn is_arn_of(s: &str, service: &str, resource_prefix: &str) -> bool {
    let p: Vec<&str> = s.splitn(6, ':').collect();
    p.len() == 6
        && p[0] == "arn"
        && p[1].starts_with("aws")
        && p[2] == service
        && !p[3].is_empty()
        && p[3]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && p[4].len() == 12
        && p[4].chars().all(|c| c.is_ascii_digit())
        && p[5]
            .strip_prefix(resource_prefix)
            .is_some_and(|r| !r.is_empty() && !r.contains(char::is_whitespace))
}

/// Checks a stack parameter name a construct is about to declare.
pub(crate) fn check_parameter_name(scope: &Scope<'_>, field: &str, name: &str) -> Result<()> {
    if !is_valid_logical_id(name) {
        return Err(scope.invalid(
            field,
            format!("`{name}` is not a parameter name"),
            "use 1 to 255 letters and digits",
        ));
    }
    let stack = scope.stack();
    if stack.has_parameter(name) || stack.has_resource(name) || stack.has_output(name) {
        return Err(scope.invalid(
            field,
            format!("the stack already declares `{name}`"),
            "give this service's parameter another name (two services in one stack need two)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_are_recognised_by_service_and_resource_prefix() {
        assert!(is_arn_of(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
            "secretsmanager",
            "secret:"
        ));
        assert!(!is_arn_of("hunter2", "secretsmanager", "secret:"));
        assert!(!is_arn_of(
            "arn:aws:ssm:us-east-1:123456789012:parameter/x",
            "secretsmanager",
            "secret:"
        ));
        assert!(is_arn_of(
            "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1234-5678-9abc-0123456789ab",
            "acm",
            "certificate/"
        ));
        assert!(!is_arn_of(
            "arn:aws:acm:us-east-1:12345:certificate/x",
            "acm",
            "certificate/"
        ));
    }
}
