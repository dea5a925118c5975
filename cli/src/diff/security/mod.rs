//! Security changes of a stack: IAM grants added or widened (identity policies of roles,
//! users and groups, managed policies, trust policies, resource policies of buckets, topics,
//! queues, keys, secrets and repositories, Lambda permissions) and security-group rules
//! opened, described from the template model with construct paths ("role
//! `service/Api/TaskRole` may now `s3:*` on `*`"). Only what opens is listed: a removed grant
//! or rule narrows access.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;
use stackforge_construct_model::template::ResourceDef;
use stackforge_construct_model::Template;

mod facts;

use facts::{facts, props, wildcard, Fact};

/// What kind of access a change opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityKind {
    /// An identity policy statement (a role's, user's or group's, or a managed policy's).
    Grant,
    /// A managed policy attached.
    ManagedPolicy,
    /// A trust policy statement: who may assume a role.
    Trust,
    /// A resource policy statement (bucket, topic, queue, key, secret, repository, function).
    ResourcePolicy,
    /// A `Deny` statement removed.
    DenyRemoved,
    /// A security-group rule accepting traffic.
    Ingress,
    /// A security-group rule sending traffic.
    Egress,
}

/// One grant or rule a change adds or widens.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecurityChange {
    /// The resource holding it.
    pub logical_id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Its construct path.
    pub path: Option<String>,
    /// What kind of access.
    pub kind: SecurityKind,
    /// Who or what gains access, or what is opened (`role service/Api/TaskRole`).
    pub subject: String,
    /// The actions newly allowed (IAM).
    pub actions: Vec<String>,
    /// The resources they apply to (IAM).
    pub resources: Vec<String>,
    /// The principals newly allowed (resource and trust policies).
    pub principals: Vec<String>,
    /// The statement's condition, if any.
    pub condition: Option<Value>,
    /// For a security-group rule: protocol, ports and peer (`tcp 443 from 0.0.0.0/0`).
    pub rule: Option<String>,
    /// The sentence shown in text output.
    pub description: String,
}

/// What a resource of the new template was before: its old definition (from any stack, for
/// a moved resource) and the renames of its old stack (old logical ID -> new), so that its
/// references read by their new names.
pub type Before<'a> = HashMap<String, (&'a ResourceDef, &'a HashMap<String, String>)>;

/// The grants and rules the `new` template of a stack adds or widens over what its resources
/// were `before` (by new logical ID; a resource missing there is new).
pub fn changes(new: Option<&Template>, before: &Before<'_>) -> Vec<SecurityChange> {
    let Some(new) = new else { return Vec::new() };
    let mut out = Vec::new();
    for (id, r) in &new.resources {
        let now = facts(new, id, &r.type_name, props(r, None));
        // The old definition named as the new template names things.
        let then = before
            .get(id)
            .map(|(b, renames)| facts(new, id, &b.type_name, props(b, Some(renames))))
            .unwrap_or_default();
        for f in &now {
            if let Some(change) = opened(f, &then, id, r) {
                out.push(change);
            }
        }
        // Removed denies widen access too.
        for f in &then {
            if f.deny && !now.iter().any(|n| n.key() == f.key()) {
                out.push(SecurityChange {
                    logical_id: id.clone(),
                    type_name: r.type_name.clone(),
                    path: r.path().map(str::to_owned),
                    kind: SecurityKind::DenyRemoved,
                    subject: f.subject.clone(),
                    actions: vec![f.action.clone()],
                    resources: vec![f.resource.clone()],
                    principals: f.principal.iter().cloned().collect(),
                    condition: f.condition.clone(),
                    rule: None,
                    description: format!(
                        "{} no longer denies `{}` on `{}`",
                        f.subject, f.action, f.resource
                    ),
                });
            }
        }
    }
    merge(out)
}

/// Whether the old fact `old` already allows everything `new` allows: same kind, subject
/// and rule, and its action, resource and principal patterns match the new ones (`*` and `?`
/// wildcards), with no condition or the same one.
fn covers(old: &Fact, new: &Fact) -> bool {
    let principal = match (&old.principal, &new.principal) {
        (None, None) => true,
        (Some(o), Some(n)) => o == n || o == "*" || o == "AWS: *" || wildcard(o, n),
        _ => false,
    };
    old.kind == new.kind
        && !old.deny
        && old.subject == new.subject
        && old.rule == new.rule
        && principal
        && wildcard(
            &old.action.to_ascii_lowercase(),
            &new.action.to_ascii_lowercase(),
        )
        && wildcard(&old.resource, &new.resource)
        && (old.condition.is_none() || old.condition == new.condition)
}

fn opened(f: &Fact, before: &[Fact], id: &str, r: &ResourceDef) -> Option<SecurityChange> {
    if f.deny || before.iter().any(|b| covers(b, f)) {
        return None;
    }
    let kind = f.kind?;
    let description = match kind {
        SecurityKind::Grant => with_condition(
            format!("{} may now `{}` on `{}`", f.subject, f.action, f.resource),
            &f.condition,
        ),
        SecurityKind::ManagedPolicy => {
            format!("{} now has managed policy `{}`", f.subject, f.resource)
        }
        SecurityKind::Trust => with_condition(
            format!(
                "{} may now be assumed by `{}` (`{}`)",
                f.subject,
                f.principal.as_deref().unwrap_or("*"),
                f.action
            ),
            &f.condition,
        ),
        SecurityKind::ResourcePolicy => with_condition(
            format!(
                "{} now allows `{}` to `{}` on `{}`",
                f.subject,
                f.principal.as_deref().unwrap_or("*"),
                f.action,
                f.resource
            ),
            &f.condition,
        ),
        SecurityKind::Ingress => format!(
            "{} now accepts {}",
            f.subject,
            f.rule.as_deref().unwrap_or("")
        ),
        SecurityKind::Egress => format!(
            "{} now sends {}",
            f.subject,
            f.rule.as_deref().unwrap_or("")
        ),
        SecurityKind::DenyRemoved => return None,
    };
    Some(SecurityChange {
        logical_id: id.to_owned(),
        type_name: r.type_name.clone(),
        path: r.path().map(str::to_owned),
        kind,
        subject: f.subject.clone(),
        actions: (!f.action.is_empty())
            .then(|| f.action.clone())
            .into_iter()
            .collect(),
        resources: (!f.resource.is_empty())
            .then(|| f.resource.clone())
            .into_iter()
            .collect(),
        principals: f.principal.iter().cloned().collect(),
        condition: f.condition.clone(),
        rule: f.rule.clone(),
        description,
    })
}

fn with_condition(text: String, condition: &Option<Value>) -> String {
    match condition {
        Some(c) => format!("{text} if {c}"),
        None => text,
    }
}

/// Changes of the same resource, kind, subject and condition that differ only in one
/// action or resource become one entry ("may now `a`, `b` on `x`").
fn merge(list: Vec<SecurityChange>) -> Vec<SecurityChange> {
    let mut out: Vec<SecurityChange> = Vec::new();
    for c in list {
        let same = out.iter_mut().find(|o| {
            o.logical_id == c.logical_id
                && o.kind == c.kind
                && o.subject == c.subject
                && o.condition == c.condition
                && o.principals == c.principals
                && o.rule.is_none()
                && c.rule.is_none()
                && (o.resources == c.resources || o.actions == c.actions)
        });
        match same {
            Some(o) => {
                for a in c.actions {
                    if !o.actions.contains(&a) {
                        o.actions.push(a);
                    }
                }
                for r in c.resources {
                    if !o.resources.contains(&r) {
                        o.resources.push(r);
                    }
                }
                o.description = describe_merged(o);
            }
            None => out.push(c),
        }
    }
    out
}

fn describe_merged(c: &SecurityChange) -> String {
    let list = |v: &[String]| {
        v.iter()
            .map(|x| format!("`{x}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let p = c.principals.first().map_or("*", String::as_str);
    let text = match c.kind {
        SecurityKind::Grant => format!(
            "{} may now {} on {}",
            c.subject,
            list(&c.actions),
            list(&c.resources)
        ),
        SecurityKind::ResourcePolicy => format!(
            "{} now allows `{p}` to {} on {}",
            c.subject,
            list(&c.actions),
            list(&c.resources)
        ),
        SecurityKind::Trust => format!(
            "{} may now be assumed by `{p}` ({})",
            c.subject,
            list(&c.actions)
        ),
        SecurityKind::ManagedPolicy => format!(
            "{} now has managed policies {}",
            c.subject,
            list(&c.resources)
        ),
        SecurityKind::DenyRemoved => format!(
            "{} no longer denies {} on {}",
            c.subject,
            list(&c.actions),
            list(&c.resources)
        ),
        SecurityKind::Ingress | SecurityKind::Egress => c.description.clone(),
    };
    with_condition(text, &c.condition)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use stackforge_construct_model::document;

    fn t(v: Value) -> Template {
        document::from_json(&v).unwrap()
    }

    static NONE: std::sync::LazyLock<HashMap<String, String>> =
        std::sync::LazyLock::new(HashMap::new);

    fn same_ids(old: &Template) -> Before<'_> {
        old.resources
            .iter()
            .map(|(id, r)| (id.clone(), (r, &*NONE)))
            .collect()
    }

    fn role(statements: Value) -> Value {
        json!({"Resources": {
            "TaskRole": {"Type": "AWS::IAM::Role", "Metadata": {"stackforge:path": "service/Api/TaskRole/Resource"},
              "Properties": {"AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": statements}}]}},
            "Sg": {"Type": "AWS::EC2::SecurityGroup", "Metadata": {"stackforge:path": "service/Api/SecurityGroup/Resource"},
              "Properties": {"GroupDescription": "x", "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "SourceSecurityGroupId": {"Ref": "Sg"}}]}}
        }})
    }

    #[test]
    fn widened_actions_and_resources_are_described_by_path() {
        let old = t(role(
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]),
        ));
        let new = t(role(
            json!([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:*"], "Resource": "*"}]),
        ));
        let c = changes(Some(&new), &same_ids(&old));
        let text: Vec<&str> = c.iter().map(|c| c.description.as_str()).collect();
        assert_eq!(
            text,
            ["role `service/Api/TaskRole` may now `s3:GetObject`, `s3:*` on `*`"]
        );
        assert_eq!(c[0].kind, SecurityKind::Grant);
        assert!(
            changes(Some(&old), &same_ids(&new)).is_empty(),
            "narrowing opens nothing"
        );
    }

    #[test]
    fn wildcards_cover_what_they_match() {
        assert!(wildcard("s3:*", "s3:getobject"));
        assert!(wildcard("*", "arn:aws:s3:::b/*"));
        assert!(wildcard("arn:aws:s3:::b/*", "arn:aws:s3:::b/k"));
        assert!(!wildcard("arn:aws:s3:::b/*", "arn:aws:s3:::c/k"));
        assert!(wildcard("s3:Get?bject", "s3:GetObject"));
        assert!(!wildcard("not s3:*", "s3:GetObject"));
    }

    #[test]
    fn opened_ingress_trust_and_removed_denies_are_listed() {
        let old = t(role(
            json!([{"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]),
        ));
        let mut v = role(json!([]));
        v["Resources"]["Open"] = json!({"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": {"Ref": "Sg"}, "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}});
        v["Resources"]["TaskRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
            ["Principal"] = json!({"AWS": "*"});
        let new = t(v);
        let c = changes(Some(&new), &same_ids(&old));
        let text: Vec<&str> = c.iter().map(|c| c.description.as_str()).collect();
        assert_eq!(
            text,
            [
                "role `service/Api/TaskRole` may now be assumed by `AWS: *` (`sts:AssumeRole`)",
                "role `service/Api/TaskRole` no longer denies `s3:DeleteObject` on `*`",
                "security group `service/Api/SecurityGroup` now accepts tcp 22 from 0.0.0.0/0",
            ]
        );
    }
}
