//! `SecretRef`: a pointer to a Secrets Manager secret (or one JSON key of it) that a
//! consumer reads at run or deploy time; the value never appears in a template.

use crate::aws::refs::{KmsKeyArn, SecretArn};
use crate::aws::validate::is_arn_of;
use crate::error::{Error, Result};
use crate::expr::Expr;

/// A Secrets Manager secret, or one key of its JSON value, read by its consumer (a
/// container's environment, a load balancer's OIDC client secret).
#[derive(Debug, Clone, PartialEq)]
pub struct SecretRef {
    /// The secret's full ARN (with the 6-character suffix Secrets Manager appends), or a
    /// reference to one (a `Secret` construct's ARN, an import).
    pub arn: SecretArn,
    /// A key of the secret's JSON value to read instead of the whole value. Default: none.
    pub json_key: Option<String>,
    /// The customer-managed key encrypting the secret, which the reader may then decrypt
    /// with. Default: none (the secret uses the AWS managed key).
    pub kms_key: Option<KmsKeyArn>,
}

impl SecretRef {
    /// The whole value of the secret `arn`.
    pub fn new(arn: SecretArn) -> Self {
        Self {
            arn,
            json_key: None,
            kms_key: None,
        }
    }

    /// The value of `json_key` in the JSON secret `arn`.
    pub fn json_key(arn: SecretArn, json_key: &str) -> Self {
        Self {
            json_key: Some(json_key.to_owned()),
            ..Self::new(arn)
        }
    }

    /// Names the key encrypting the secret.
    pub fn with_kms_key(mut self, key: KmsKeyArn) -> Self {
        self.kms_key = Some(key);
        self
    }

    /// The `ValueFrom` ECS reads: the ARN, or `ARN:KEY::` for a JSON key.
    pub(crate) fn value_from(&self) -> Expr {
        match &self.json_key {
            Some(k) => Expr::concat([self.arn.expr(), Expr::str(format!(":{k}::"))]),
            None => self.arn.expr(),
        }
    }

    /// A CloudFormation dynamic reference resolving the secret at deploy time.
    pub(crate) fn dynamic_reference(&self) -> Expr {
        let key = match &self.json_key {
            Some(k) => format!(":SecretString:{k}"),
            None => String::new(),
        };
        Expr::concat([
            Expr::str("{{resolve:secretsmanager:"),
            self.arn.expr(),
            Expr::str(format!("{key}}}}}")),
        ])
    }

    /// Checks a literal ARN and the JSON key; `path` and `field` name the prop in the error.
    pub(crate) fn check(&self, path: &str, field: &str) -> Result<()> {
        if let Some(literal) = self.arn.expr().as_str() {
            if !is_arn_of(literal, "secretsmanager", "secret:") {
                return Err(Error::invalid_props(
                    path,
                    field,
                    format!("`{literal}` is not a Secrets Manager secret ARN"),
                    "pass the secret's ARN (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX`) or a reference to it, never the secret value",
                ));
            }
        }
        if let Some(k) = &self.json_key {
            if k.is_empty() || k.contains(':') {
                return Err(Error::invalid_props(
                    path,
                    field,
                    format!("`{k}` is not a JSON key ECS can select"),
                    "use a non-empty key without `:`",
                ));
            }
        }
        Ok(())
    }
}
