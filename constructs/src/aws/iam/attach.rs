//! Granting: an identity policy attached to a role as its own `AWS::IAM::Policy` resource,
//! so a grant never has to edit a resource another construct (or stack) owns.

use crate::aws::iam::PolicyDocument;
use crate::aws::refs::RoleName;
use crate::error::Result;
use crate::logical_id::make_unique_id;
use crate::resource::ResourceHandle;
use crate::resources::iam::Policy;
use crate::scope::Scope;

/// Attaches `document` to `role` as an `AWS::IAM::Policy` at `scope/id`, after checking it
/// is least privilege ([`PolicyDocument::check_identity_policy`]).
pub fn attach_policy(
    scope: &mut Scope<'_>,
    id: &str,
    role: &RoleName,
    document: PolicyDocument,
) -> Result<ResourceHandle<Policy>> {
    let mut scope = scope.child(id)?;
    document.check_identity_policy(scope.path())?;
    // The policy name only has to be unique per role; the path-derived ID is, and is stable.
    let components: Vec<&str> = scope
        .path()
        .split('/')
        .skip(1)
        .chain(["Resource"])
        .collect();
    // IAM accepts policy names of at most 128 characters.
    let name = crate::names::fit(
        &make_unique_id(&components).unwrap_or_else(|| id.to_owned()),
        128,
    );
    scope.add(
        "Resource",
        Policy {
            roles: Some(vec![role.into()]),
            ..Policy::new(document.to_expr(), name)
        },
    )
}
