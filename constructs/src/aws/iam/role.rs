//! `ServiceRole`: an IAM role one AWS service assumes, on behalf of this account only.

use crate::aws::iam::{PolicyDocument, Principal, Statement};
use crate::aws::refs::{RoleArn, RoleName};
use crate::error::Result;
use crate::expr::Expr;
use crate::resource::ResourceHandle;
use crate::resources::iam::{role, Role};
use crate::scope::Scope;
use crate::value::Str;

/// Services that assume roles without sending `aws:SourceAccount`, so a trust condition on
/// it would lock them out: CloudTrail delivering to CloudWatch Logs (reported broken with
/// the condition) and AWS Backup (whose documented trust policy has none). Their roles
/// trust the service alone; only principals of this account can pass them the role
/// (`iam:PassRole`), which is what the condition would otherwise add.
pub const SERVICES_WITHOUT_SOURCE_ACCOUNT: &[&str] =
    &["cloudtrail.amazonaws.com", "backup.amazonaws.com"];

/// Props of [`ServiceRole`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceRoleProps {
    /// The service principal that assumes the role (`ecs-tasks.amazonaws.com`). Required:
    /// an empty value is an error.
    pub service: String,
    /// `Description`. Default: none.
    pub description: Option<String>,
    /// Inline identity policy, checked for least privilege. Default: none (no permissions).
    pub policy: Option<PolicyDocument>,
    /// AWS managed policy ARNs (for service roles AWS defines, such as enhanced monitoring).
    /// Default: none.
    pub managed_policy_arns: Vec<Expr>,
}

/// An IAM role assumed by one AWS service, restricted to this account (`aws:SourceAccount`)
/// against the confused-deputy problem, except for the services in
/// [`SERVICES_WITHOUT_SOURCE_ACCOUNT`].
#[derive(Debug, Clone)]
pub struct ServiceRole {
    handle: ResourceHandle<Role>,
}

impl ServiceRole {
    /// Adds the role under `scope/id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: ServiceRoleProps) -> Result<ServiceRole> {
        let mut scope = scope.construct(id, "ServiceRole")?;
        if props.service.trim().is_empty() {
            return Err(scope.invalid(
                "service",
                "no service principal is given",
                "name the service that assumes the role, e.g. `ecs-tasks.amazonaws.com`",
            ));
        }
        let mut trust = Statement::assume_role(Principal::service(props.service.as_str()));
        if !SERVICES_WITHOUT_SOURCE_ACCOUNT.contains(&props.service.as_str()) {
            trust = trust.condition("StringEquals", "aws:SourceAccount", Expr::account_id());
        }
        let trust = PolicyDocument::new(vec![trust]);
        let policies = match props.policy {
            Some(doc) => {
                doc.check_identity_policy(scope.path())?;
                Some(vec![role::Policy::new(doc.to_expr(), "Inline")])
            }
            None => None,
        };
        let handle = scope.add(
            "Resource",
            Role {
                description: props.description.map(Str::from),
                policies,
                managed_policy_arns: (!props.managed_policy_arns.is_empty()).then(|| {
                    props
                        .managed_policy_arns
                        .into_iter()
                        .map(Str::from)
                        .collect()
                }),
                ..Role::new(trust.to_expr())
            },
        )?;
        Ok(ServiceRole { handle })
    }

    /// The role name (what IAM policies attach to).
    pub fn name(&self) -> RoleName {
        RoleName::from_expr(self.handle.ref_())
    }

    /// The role ARN.
    pub fn arn(&self) -> RoleArn {
        RoleArn::from_expr(self.handle.arn())
    }

    /// The underlying resource.
    pub fn handle(&self) -> &ResourceHandle<Role> {
        &self.handle
    }
}
