//! The grants and rules a resource holds, flattened to one action on one resource for one
//! principal (or one security-group rule), and values described in words.

use std::collections::HashMap;

use serde_json::{Map, Value};
use stackforge_construct_model::change::rename::rename_refs;
use stackforge_construct_model::template::ResourceDef;
use stackforge_construct_model::Template;

use super::SecurityKind;

/// One flattened statement part or rule: a single action on a single resource for a single
/// principal, or a single security-group rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Fact {
    pub(super) kind: Option<SecurityKind>,
    pub(super) subject: String,
    pub(super) deny: bool,
    pub(super) principal: Option<String>,
    pub(super) action: String,
    pub(super) resource: String,
    pub(super) condition: Option<Value>,
    pub(super) rule: Option<String>,
}

impl Fact {
    pub(super) fn key(
        &self,
    ) -> (
        Option<SecurityKind>,
        bool,
        Option<&str>,
        &str,
        &str,
        String,
        Option<&str>,
    ) {
        (
            self.kind,
            self.deny,
            self.principal.as_deref(),
            &self.action,
            &self.resource,
            self.condition
                .as_ref()
                .map(Value::to_string)
                .unwrap_or_default(),
            self.rule.as_deref(),
        )
    }
}

/// Whether `pattern` (with `*` for any run and `?` for one character) matches `text`
/// entirely. A `not ` pattern matches only itself.
pub(super) fn wildcard(pattern: &str, text: &str) -> bool {
    if pattern.starts_with("not ") || text.starts_with("not ") {
        return pattern == text;
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// A resource's properties as rendered JSON, references renamed through `renames`.
pub(super) fn props(
    r: &ResourceDef,
    renames: Option<&HashMap<String, String>>,
) -> Map<String, Value> {
    let mut v = serde_json::to_value(&r.properties).unwrap_or(Value::Null);
    if let Some(map) = renames {
        rename_refs(&mut v, map);
    }
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Every grant and rule of resource `id` (of type `type_name`, with properties `props`),
/// named as template `t` names resources.
pub(super) fn facts(
    t: &Template,
    id: &str,
    type_name: &str,
    props: Map<String, Value>,
) -> Vec<Fact> {
    let me = name_of(t, id);
    let doc = |key: &str| props.get(key);
    let mut out = Vec::new();
    match type_name {
        "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
            let noun = type_name
                .rsplit("::")
                .next()
                .unwrap_or("role")
                .to_lowercase();
            let subject = format!("{noun} `{me}`");
            if let Some(d) = doc("AssumeRolePolicyDocument") {
                statements(d, &subject, SecurityKind::Trust, t, &mut out);
            }
            for p in doc("Policies")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(d) = p.get("PolicyDocument") {
                    statements(d, &subject, SecurityKind::Grant, t, &mut out);
                }
            }
            for arn in doc("ManagedPolicyArns")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.push(Fact {
                    kind: Some(SecurityKind::ManagedPolicy),
                    subject: subject.clone(),
                    resource: describe(arn, t),
                    ..Fact::default()
                });
            }
        }
        "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
            let holders: Vec<String> = ["Roles", "Users", "Groups"]
                .iter()
                .flat_map(|k| {
                    let noun = &k[..k.len() - 1].to_lowercase();
                    doc(k)
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .map(move |v| format!("{noun} `{}`", describe(v, t)))
                        .collect::<Vec<_>>()
                })
                .collect();
            let subject = match holders.as_slice() {
                [] => format!("policy `{me}`"),
                _ => format!("{} (policy `{me}`)", holders.join(", ")),
            };
            if let Some(d) = doc("PolicyDocument") {
                statements(d, &subject, SecurityKind::Grant, t, &mut out);
            }
        }
        other => {
            let (key, target) = match other {
                "AWS::S3::BucketPolicy" => ("PolicyDocument", "Bucket"),
                "AWS::SNS::TopicPolicy" => ("PolicyDocument", "Topics"),
                "AWS::SQS::QueuePolicy" => ("PolicyDocument", "Queues"),
                "AWS::KMS::Key" => ("KeyPolicy", ""),
                "AWS::SecretsManager::ResourcePolicy" => ("ResourcePolicy", "SecretId"),
                "AWS::ECR::Repository" => ("RepositoryPolicyText", ""),
                "AWS::Lambda::Permission" => {
                    let subject = format!(
                        "function `{}`",
                        doc("FunctionName").map_or_else(|| me.clone(), |v| describe(v, t))
                    );
                    out.push(Fact {
                        kind: Some(SecurityKind::ResourcePolicy),
                        subject,
                        principal: doc("Principal").map(|v| describe(v, t)),
                        action: doc("Action").map(|v| describe(v, t)).unwrap_or_default(),
                        resource: doc("SourceArn")
                            .map(|v| describe(v, t))
                            .unwrap_or_else(|| "*".into()),
                        ..Fact::default()
                    });
                    return out;
                }
                "AWS::EC2::SecurityGroup" => {
                    let subject = format!("security group `{me}`");
                    for (key, kind) in [
                        ("SecurityGroupIngress", SecurityKind::Ingress),
                        ("SecurityGroupEgress", SecurityKind::Egress),
                    ] {
                        for rule in doc(key).and_then(Value::as_array).into_iter().flatten() {
                            out.push(rule_fact(rule, &subject, kind, t));
                        }
                    }
                    return out;
                }
                "AWS::EC2::SecurityGroupIngress" | "AWS::EC2::SecurityGroupEgress" => {
                    let kind = if other.ends_with("Ingress") {
                        SecurityKind::Ingress
                    } else {
                        SecurityKind::Egress
                    };
                    let group = doc("GroupId").map_or_else(|| me.clone(), |v| describe(v, t));
                    let group = group.strip_suffix(".GroupId").unwrap_or(&group).to_owned();
                    out.push(rule_fact(
                        &Value::Object(props.clone()),
                        &format!("security group `{group}`"),
                        kind,
                        t,
                    ));
                    return out;
                }
                _ => return out,
            };
            let noun = other
                .split("::")
                .nth(2)
                .unwrap_or("resource")
                .replace("Policy", "")
                .to_lowercase();
            let what = match target {
                "" => me.clone(),
                k => doc(k).map_or_else(|| me.clone(), |v| describe(v, t)),
            };
            let subject = format!("{noun} `{what}`");
            if let Some(d) = doc(key) {
                statements(d, &subject, SecurityKind::ResourcePolicy, t, &mut out);
            }
        }
    }
    out
}

/// Flattens a policy document's statements into facts.
fn statements(d: &Value, subject: &str, kind: SecurityKind, t: &Template, out: &mut Vec<Fact>) {
    let list = match d.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(one) => vec![one.clone()],
        None => return,
    };
    for s in &list {
        let deny = s.get("Effect").and_then(Value::as_str) == Some("Deny");
        let many = |keys: &[&str]| -> Vec<String> {
            for k in keys {
                if let Some(v) = s.get(*k) {
                    let prefix = if k.starts_with("Not") { "not " } else { "" };
                    return match v {
                        Value::Array(a) => a
                            .iter()
                            .map(|x| format!("{prefix}{}", describe(x, t)))
                            .collect(),
                        other => vec![format!("{prefix}{}", describe(other, t))],
                    };
                }
            }
            vec![String::new()]
        };
        let actions = many(&["Action", "NotAction"]);
        let resources = match kind {
            SecurityKind::Trust => vec![String::new()],
            _ => {
                let r = many(&["Resource", "NotResource"]);
                if r == [String::new()] {
                    vec!["*".to_owned()]
                } else {
                    r
                }
            }
        };
        let principals: Vec<Option<String>> =
            match s.get("Principal").or_else(|| s.get("NotPrincipal")) {
                None => vec![None],
                Some(Value::String(p)) => vec![Some(p.clone())],
                Some(Value::Object(m)) => m
                    .iter()
                    .flat_map(|(k, v)| match v {
                        Value::Array(a) => a
                            .iter()
                            .map(|x| Some(format!("{k}: {}", describe(x, t))))
                            .collect::<Vec<_>>(),
                        other => vec![Some(format!("{k}: {}", describe(other, t)))],
                    })
                    .collect(),
                Some(other) => vec![Some(describe(other, t))],
            };
        let condition = s.get("Condition").cloned();
        for p in &principals {
            for a in &actions {
                for r in &resources {
                    out.push(Fact {
                        kind: Some(kind),
                        subject: subject.to_owned(),
                        deny,
                        principal: p.clone(),
                        action: a.clone(),
                        resource: r.clone(),
                        condition: condition.clone(),
                        rule: None,
                    });
                }
            }
        }
    }
}

fn rule_fact(rule: &Value, subject: &str, kind: SecurityKind, t: &Template) -> Fact {
    let get = |k: &str| rule.get(k);
    let proto = get("IpProtocol")
        .map(|v| describe(v, t))
        .unwrap_or_default();
    let (from, to) = (
        get("FromPort").map(|v| describe(v, t)),
        get("ToPort").map(|v| describe(v, t)),
    );
    let ports = match (proto.as_str(), from, to) {
        ("-1", _, _) => "all traffic".to_owned(),
        (p, Some(a), Some(b)) if a == b => format!("{p} {a}"),
        (p, Some(a), Some(b)) => format!("{p} {a}-{b}"),
        (p, _, _) => p.to_owned(),
    };
    let peer_keys: &[&str] = if kind == SecurityKind::Ingress {
        &[
            "CidrIp",
            "CidrIpv6",
            "SourceSecurityGroupId",
            "SourcePrefixListId",
            "SourceSecurityGroupName",
        ]
    } else {
        &[
            "CidrIp",
            "CidrIpv6",
            "DestinationSecurityGroupId",
            "DestinationPrefixListId",
        ]
    };
    let peer = peer_keys
        .iter()
        .find_map(|k| get(k).map(|v| describe(v, t)))
        .unwrap_or_else(|| "?".to_owned());
    let peer = peer.strip_suffix(".GroupId").unwrap_or(&peer).to_owned();
    let dir = if kind == SecurityKind::Ingress {
        "from"
    } else {
        "to"
    };
    Fact {
        kind: Some(kind),
        subject: subject.to_owned(),
        rule: Some(format!("{ports} {dir} {peer}")),
        ..Fact::default()
    }
}

/// The construct path of resource `id` in `t` (without a trailing `/Resource`), or the ID.
fn name_of(t: &Template, id: &str) -> String {
    t.resources
        .get(id)
        .and_then(|r| r.construct_path())
        .map(|p| {
            if p.id() == "Resource" {
                p.parent().unwrap_or(p).to_string()
            } else {
                p.to_string()
            }
        })
        .unwrap_or_else(|| id.to_owned())
}

/// A rendered value in words: references by construct path, imports by name, `Fn::Sub` as
/// its string, `Fn::Join` joined.
fn describe(v: &Value, t: &Template) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Object(o) if o.len() == 1 => {
            let (k, x) = o.iter().next().expect("one entry");
            match (k.as_str(), x) {
                ("Ref", Value::String(id)) if t.resources.contains_key(id) => name_of(t, id),
                ("Ref", Value::String(id)) => format!("${{{id}}}"),
                ("Fn::GetAtt", Value::Array(a)) => {
                    let id = a.first().and_then(Value::as_str).unwrap_or_default();
                    let attr = a.get(1).and_then(Value::as_str).unwrap_or_default();
                    format!("{}.{attr}", name_of(t, id))
                }
                ("Fn::ImportValue", x) => format!("import {}", describe(x, t)),
                ("Fn::Sub", Value::String(s)) => s.clone(),
                ("Fn::Sub", Value::Array(a)) => {
                    a.first().map(|x| describe(x, t)).unwrap_or_default()
                }
                ("Fn::Join", Value::Array(a)) => {
                    let sep = a.first().and_then(Value::as_str).unwrap_or_default();
                    match a.get(1) {
                        Some(Value::Array(parts)) => parts
                            .iter()
                            .map(|p| describe(p, t))
                            .collect::<Vec<_>>()
                            .join(sep),
                        Some(other) => describe(other, t),
                        None => String::new(),
                    }
                }
                _ => v.to_string(),
            }
        }
        other => other.to_string(),
    }
}
