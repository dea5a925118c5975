//! IAM policy documents, typed, with least privilege checked when they are built: no `*`
//! action, and `*` as a resource only for actions AWS defines without resource scoping.

use indexmap::IndexMap;

use crate::error::{Error, Result};
use crate::expr::{ConditionRef, Expr, ExprMap};

/// `Version` of every policy document.
pub const POLICY_VERSION: &str = "2012-10-17";

/// Actions that AWS only authorizes on `Resource: "*"`; they are the only ones an identity
/// policy may grant on `*`.
pub const ACTIONS_REQUIRING_STAR_RESOURCE: &[&str] = &[
    "ecr:GetAuthorizationToken",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "cloudwatch:PutMetricData",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "ec2:DescribeNetworkInterfaces",
    // ECS Exec: the SSM agent in the task opens its channels with these.
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
];

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `Allow`
    Allow,
    /// `Deny`
    Deny,
}

/// Who a resource-policy statement applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    /// `{"Service": [...]}` — AWS service principals (`logs.amazonaws.com`; regional ones
    /// such as `logs.${AWS::Region}.amazonaws.com` are built with [`Expr::concat`]).
    Service(Vec<Expr>),
    /// `{"AWS": [...]}` — accounts or roles (ARNs).
    Aws(Vec<Expr>),
    /// `"*"` — anyone (only sensible in `Deny` statements or with conditions).
    Any,
    /// One of two principals, chosen at deploy time by a template condition
    /// (`{"Fn::If": [condition, then, otherwise]}`), such as a region-dependent principal.
    Chosen {
        /// The condition.
        condition: ConditionRef,
        /// The principal when the condition holds.
        then: Box<Principal>,
        /// The principal otherwise.
        otherwise: Box<Principal>,
    },
}

impl Principal {
    /// One AWS service principal (`backup.amazonaws.com`).
    pub fn service(name: impl Into<Expr>) -> Self {
        Principal::Service(vec![name.into()])
    }

    fn to_expr(&self) -> Expr {
        match self {
            Principal::Service(s) => Expr::map([("Service", one_or_many(s.clone()))]),
            Principal::Aws(a) => Expr::map([("AWS", one_or_many(a.clone()))]),
            Principal::Any => Expr::str("*"),
            Principal::Chosen {
                condition,
                then,
                otherwise,
            } => Expr::if_(condition, then.to_expr(), otherwise.to_expr()),
        }
    }
}

/// One statement. Build with [`Statement::allow`] or [`Statement::deny`].
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// `Sid`. Default: none.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Action` (`service:Action`).
    pub actions: Vec<String>,
    /// `Resource`.
    pub resources: Vec<Expr>,
    /// `Principal` (resource policies only). Default: none.
    pub principal: Option<Principal>,
    /// `Condition`: operator -> key -> value. Default: none.
    pub conditions: IndexMap<String, IndexMap<String, Expr>>,
}

impl Statement {
    /// An `Allow` statement.
    pub fn allow<A, S, R, E>(actions: A, resources: R) -> Self
    where
        A: IntoIterator<Item = S>,
        S: Into<String>,
        R: IntoIterator<Item = E>,
        E: Into<Expr>,
    {
        Self {
            sid: None,
            effect: Effect::Allow,
            actions: actions.into_iter().map(Into::into).collect(),
            resources: resources.into_iter().map(Into::into).collect(),
            principal: None,
            conditions: IndexMap::new(),
        }
    }

    /// A `Deny` statement.
    pub fn deny<A, S, R, E>(actions: A, resources: R) -> Self
    where
        A: IntoIterator<Item = S>,
        S: Into<String>,
        R: IntoIterator<Item = E>,
        E: Into<Expr>,
    {
        Self {
            effect: Effect::Deny,
            ..Self::allow(actions, resources)
        }
    }

    /// A trust-policy statement letting `principal` assume the role (no `Resource`).
    pub fn assume_role(principal: Principal) -> Self {
        Self {
            principal: Some(principal),
            ..Self::allow(["sts:AssumeRole"], Vec::<Expr>::new())
        }
    }

    /// Sets `Sid`.
    pub fn sid(mut self, sid: &str) -> Self {
        self.sid = Some(sid.to_owned());
        self
    }

    /// Sets `Principal`.
    pub fn principal(mut self, p: Principal) -> Self {
        self.principal = Some(p);
        self
    }

    /// Adds a condition (`StringEquals`, `aws:SourceAccount`, value).
    pub fn condition(mut self, operator: &str, key: &str, value: impl Into<Expr>) -> Self {
        self.conditions
            .entry(operator.to_owned())
            .or_default()
            .insert(key.to_owned(), value.into());
        self
    }

    fn to_expr(&self) -> Expr {
        let mut m = ExprMap::new();
        if let Some(sid) = &self.sid {
            m.insert("Sid", Expr::str(sid));
        }
        let effect = match self.effect {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        };
        m.insert("Effect", Expr::str(effect));
        if let Some(p) = &self.principal {
            m.insert("Principal", p.to_expr());
        }
        m.insert(
            "Action",
            one_or_many(self.actions.iter().map(Expr::str).collect()),
        );
        // Trust policies name no resource.
        if !self.resources.is_empty() {
            m.insert("Resource", one_or_many(self.resources.clone()));
        }
        if !self.conditions.is_empty() {
            m.insert(
                "Condition",
                Expr::Map(
                    self.conditions
                        .iter()
                        .map(|(op, kv)| (op.clone(), Expr::Map(kv.clone().into())))
                        .collect(),
                ),
            );
        }
        Expr::Map(m)
    }
}

fn one_or_many(mut items: Vec<Expr>) -> Expr {
    if items.len() == 1 {
        items.pop().unwrap_or_else(|| Expr::List(Vec::new()))
    } else {
        Expr::List(items)
    }
}

/// A policy document: statements plus the fixed `Version`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyDocument {
    /// The statements, in order.
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// A document of `statements`.
    pub fn new(statements: Vec<Statement>) -> Self {
        Self { statements }
    }

    /// Checks least privilege for an identity policy (attached to a role) built by the
    /// construct at `path`: no `*` action, no empty action or resource list, and `*` as a
    /// resource only for [`ACTIONS_REQUIRING_STAR_RESOURCE`].
    pub fn check_identity_policy(&self, path: &str) -> Result<()> {
        for (i, s) in self.statements.iter().enumerate() {
            let field = format!("policy statement {i}");
            if s.principal.is_some() {
                return Err(Error::invalid_props(
                    path,
                    field,
                    "an identity policy statement has a Principal",
                    "remove the principal; principals belong in resource policies",
                ));
            }
            self.check_statement(path, &field, s)?;
            let star_resource = s.resources.iter().any(|r| r.as_str() == Some("*"));
            if s.effect == Effect::Allow && star_resource {
                if let Some(a) = s
                    .actions
                    .iter()
                    .find(|a| !ACTIONS_REQUIRING_STAR_RESOURCE.contains(&a.as_str()))
                {
                    return Err(Error::invalid_props(
                        path,
                        field,
                        format!("`{a}` is granted on every resource (`*`)"),
                        "name the resources (ARNs) the action needs; only actions AWS cannot scope may use `*`",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks a resource policy (a key, bucket or topic policy) built by the construct at
    /// `path`: every statement has a principal and no `*` action.
    pub fn check_resource_policy(&self, path: &str) -> Result<()> {
        for (i, s) in self.statements.iter().enumerate() {
            let field = format!("policy statement {i}");
            if s.principal.is_none() {
                return Err(Error::invalid_props(
                    path,
                    field,
                    "a resource policy statement has no Principal",
                    "say who the statement applies to",
                ));
            }
            self.check_statement(path, &field, s)?;
        }
        Ok(())
    }

    fn check_statement(&self, path: &str, field: &str, s: &Statement) -> Result<()> {
        if s.actions.is_empty() || s.resources.is_empty() {
            return Err(Error::invalid_props(
                path,
                field,
                "the statement has no actions or no resources",
                "list what is allowed on what",
            ));
        }
        if s.effect == Effect::Allow && s.actions.iter().any(|a| a == "*") {
            return Err(Error::invalid_props(
                path,
                field,
                "the statement allows every action (`*`)",
                "list the actions the principal needs",
            ));
        }
        Ok(())
    }

    /// The document as a template value.
    pub fn to_expr(&self) -> Expr {
        Expr::map([
            ("Version", Expr::str(POLICY_VERSION)),
            (
                "Statement",
                Expr::List(self.statements.iter().map(Statement::to_expr).collect()),
            ),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_single_values_unwrapped_and_lists_as_lists() {
        let doc = PolicyDocument::new(vec![
            Statement::allow(["s3:GetObject"], [Expr::str("arn:aws:s3:::b/*")]).sid("Read"),
            Statement::deny(["s3:*"], ["arn:aws:s3:::b", "arn:aws:s3:::b/*"])
                .principal(Principal::Any)
                .condition("Bool", "aws:SecureTransport", false),
        ]);
        assert_eq!(
            serde_json::to_value(doc.to_expr()).unwrap(),
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
                {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                 "Condition": {"Bool": {"aws:SecureTransport": false}}}
            ]})
        );
    }

    #[test]
    fn identity_policies_reject_star_actions_and_unscoped_resources() {
        let star_action = PolicyDocument::new(vec![Statement::allow(["*"], ["arn:x"])]);
        assert!(star_action
            .check_identity_policy("p")
            .unwrap_err()
            .to_string()
            .contains("every action"));
        let star_resource = PolicyDocument::new(vec![Statement::allow(["s3:GetObject"], ["*"])]);
        assert!(star_resource
            .check_identity_policy("p")
            .unwrap_err()
            .to_string()
            .contains("`s3:GetObject` is granted on every resource"));
        let allowed =
            PolicyDocument::new(vec![Statement::allow(["ecr:GetAuthorizationToken"], ["*"])]);
        assert!(allowed.check_identity_policy("p").is_ok());
        let with_principal =
            PolicyDocument::new(vec![
                Statement::allow(["s3:GetObject"], ["arn:x"]).principal(Principal::Any)
            ]);
        assert!(with_principal.check_identity_policy("p").is_err());
    }

    #[test]
    fn resource_policies_need_principals() {
        let doc = PolicyDocument::new(vec![Statement::allow(["kms:Decrypt"], ["*"])]);
        assert!(doc
            .check_resource_policy("k")
            .unwrap_err()
            .to_string()
            .contains("no Principal"));
        let ok = PolicyDocument::new(vec![Statement::allow(["kms:Decrypt"], ["*"])
            .principal(Principal::Service(vec!["logs.amazonaws.com".into()]))]);
        assert!(ok.check_resource_policy("k").is_ok());
    }
}
