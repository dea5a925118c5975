//! Security-group rules: standalone `AWS::EC2::SecurityGroupIngress`/`Egress` resources and
//! the inline rules of `AWS::EC2::SecurityGroup`, as "who may talk to whom, on which port".

use stackforge_construct_model::expr::ExprMap;
use stackforge_construct_model::template::ResourceDef;
use stackforge_construct_model::Expr;

/// `AWS::EC2::SecurityGroup`.
pub(crate) const SECURITY_GROUP: &str = "AWS::EC2::SecurityGroup";
/// `AWS::EC2::SecurityGroupIngress`.
pub(crate) const INGRESS: &str = "AWS::EC2::SecurityGroupIngress";
/// `AWS::EC2::SecurityGroupEgress`.
pub(crate) const EGRESS: &str = "AWS::EC2::SecurityGroupEgress";

/// Whether resources of `type_name` carry the network picture (never collapsed).
pub(crate) fn is_security_type(type_name: &str) -> bool {
    matches!(type_name, SECURITY_GROUP | INGRESS | EGRESS)
}

/// The group a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Group<'a> {
    /// The `AWS::EC2::SecurityGroup` holding the inline rule.
    This,
    /// A `GroupId` value (a reference, an import or a literal id).
    Id(&'a Expr),
}

/// The other side of a rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Peer<'a> {
    /// A security group id value.
    Group(&'a Expr),
    /// A CIDR range value (IPv4 or IPv6).
    Cidr(&'a Expr),
    /// A managed prefix list id value.
    PrefixList(&'a Expr),
}

/// One rule: traffic `ports` from `peer` into `group` (ingress) or from `group` to `peer`
/// (egress).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rule<'a> {
    /// The group the rule belongs to.
    pub group: Group<'a>,
    /// The other side.
    pub peer: Peer<'a>,
    /// Outbound (`true`) or inbound.
    pub egress: bool,
    /// `tcp/443`, `udp/53`, `all traffic`, ...
    pub ports: String,
}

impl Rule<'_> {
    /// The edge label: the ports, prefixed with `egress` for outbound rules.
    pub(crate) fn label(&self) -> String {
        if self.egress {
            format!("egress {}", self.ports)
        } else {
            self.ports.clone()
        }
    }
}

type Props = ExprMap;

/// The rules a resource declares.
pub(crate) fn rules(resource: &ResourceDef) -> Vec<Rule<'_>> {
    let props = &resource.properties;
    match resource.type_name.as_str() {
        INGRESS => props
            .get("GroupId")
            .and_then(|g| rule(props, Group::Id(g), false))
            .into_iter()
            .collect(),
        EGRESS => props
            .get("GroupId")
            .and_then(|g| rule(props, Group::Id(g), true))
            .into_iter()
            .collect(),
        SECURITY_GROUP => {
            let list = |key: &str| -> Vec<&Props> {
                match props.get(key) {
                    Some(Expr::List(items)) => items
                        .iter()
                        .filter_map(|i| match i {
                            Expr::Map(m) => Some(m),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                }
            };
            let ingress = list("SecurityGroupIngress")
                .into_iter()
                .filter_map(|r| rule(r, Group::This, false));
            let egress = list("SecurityGroupEgress")
                .into_iter()
                .filter(|r| !is_deny_all(r))
                .filter_map(|r| rule(r, Group::This, true));
            ingress.chain(egress).collect()
        }
        _ => Vec::new(),
    }
}

/// The rule matching no traffic that blocks CloudFormation's default allow-all egress.
fn is_deny_all(rule: &Props) -> bool {
    rule.get("CidrIp").and_then(Expr::as_str) == Some("255.255.255.255/32")
}

fn rule<'a>(props: &'a Props, group: Group<'a>, egress: bool) -> Option<Rule<'a>> {
    let (group_key, prefix_key) = if egress {
        ("DestinationSecurityGroupId", "DestinationPrefixListId")
    } else {
        ("SourceSecurityGroupId", "SourcePrefixListId")
    };
    let peer = if let Some(v) = props.get(group_key) {
        Peer::Group(v)
    } else if let Some(v) = props.get("CidrIp").or_else(|| props.get("CidrIpv6")) {
        Peer::Cidr(v)
    } else if let Some(v) = props.get(prefix_key) {
        Peer::PrefixList(v)
    } else if let Some(v) = props.get("SourceSecurityGroupName").filter(|_| !egress) {
        Peer::Group(v)
    } else {
        return None;
    };
    Some(Rule {
        group,
        peer,
        egress,
        ports: ports(props),
    })
}

/// `tcp/443`, `tcp/1024-65535`, `udp/all`, `icmp/8`, `all traffic`.
fn ports(props: &Props) -> String {
    let text = |key: &str| match props.get(key) {
        Some(Expr::String(s)) => Some(s.to_string()),
        Some(Expr::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let protocol = text("IpProtocol").unwrap_or_else(|| "-1".to_owned());
    let protocol = match protocol.to_ascii_lowercase().as_str() {
        "-1" | "all" => return "all traffic".to_owned(),
        "6" => "tcp".to_owned(),
        "17" => "udp".to_owned(),
        "1" => "icmp".to_owned(),
        "58" => "icmpv6".to_owned(),
        p if p.chars().all(|c| c.is_ascii_digit()) => format!("protocol {p}"),
        p => p.to_owned(),
    };
    let port = |key: &str| text(key).filter(|p| p != "-1");
    match (port("FromPort"), port("ToPort")) {
        (Some(from), Some(to)) if from == to => format!("{protocol}/{from}"),
        (Some(from), Some(to)) => format!("{protocol}/{from}-{to}"),
        (Some(p), None) | (None, Some(p)) if protocol.starts_with("icmp") => {
            format!("{protocol}/{p}")
        }
        _ if protocol.starts_with("icmp") => protocol,
        _ => format!("{protocol}/all"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use stackforge_construct_model::document;

    fn props(v: Value) -> Props {
        match Expr::from_json(&v).unwrap() {
            Expr::Map(m) => m,
            other => panic!("{other:?}"),
        }
    }

    fn resource(v: Value) -> ResourceDef {
        document::from_json(&json!({"Resources": {"R": v}}))
            .unwrap()
            .resources
            .swap_remove("R")
            .unwrap()
    }

    #[test]
    fn port_labels() {
        let cases = [
            (
                json!({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}),
                "tcp/443",
            ),
            (
                json!({"IpProtocol": "tcp", "FromPort": 1024, "ToPort": 65535}),
                "tcp/1024-65535",
            ),
            (json!({"IpProtocol": "-1"}), "all traffic"),
            (
                json!({"IpProtocol": 17, "FromPort": "53", "ToPort": "53"}),
                "udp/53",
            ),
            (
                json!({"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1}),
                "icmp/8",
            ),
            (
                json!({"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1}),
                "icmp",
            ),
            (json!({"IpProtocol": "tcp"}), "tcp/all"),
            (json!({"IpProtocol": "50"}), "protocol 50/all"),
        ];
        for (props, want) in cases {
            assert_eq!(ports(&self::props(props.clone())), want, "{props}");
        }
    }

    #[test]
    fn inline_rules_skip_the_deny_all_egress() {
        let sg = resource(json!({
            "Type": SECURITY_GROUP,
            "Properties": {
                "SecurityGroupIngress": [
                    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}
                ],
                "SecurityGroupEgress": [
                    {"IpProtocol": "icmp", "FromPort": 252, "ToPort": 86, "CidrIp": "255.255.255.255/32"},
                    {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "DestinationSecurityGroupId": "sg-1"}
                ]
            }
        }));
        let r = rules(&sg);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].group, Group::This);
        assert_eq!(r[0].peer, Peer::Cidr(&Expr::str("0.0.0.0/0")));
        assert_eq!(r[0].label(), "tcp/443");
        assert_eq!(r[1].peer, Peer::Group(&Expr::str("sg-1")));
        assert_eq!(r[1].label(), "egress tcp/5432");
    }

    #[test]
    fn standalone_rules_name_their_group() {
        let ingress = resource(json!({
            "Type": INGRESS,
            "Properties": {
                "GroupId": {"Fn::GetAtt": ["Sg", "GroupId"]},
                "SourceSecurityGroupId": {"Fn::ImportValue": "net:Lb-GroupId"},
                "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080
            }
        }));
        let r = rules(&ingress);
        assert_eq!(r.len(), 1);
        assert_eq!(
            r[0].group,
            Group::Id(&Expr::from_json(&json!({"Fn::GetAtt": ["Sg", "GroupId"]})).unwrap())
        );
        assert!(matches!(r[0].peer, Peer::Group(_)));
        assert!(!r[0].egress);
        let no_peer = resource(
            json!({"Type": INGRESS, "Properties": {"GroupId": "sg-1", "IpProtocol": "tcp"}}),
        );
        assert!(rules(&no_peer).is_empty());
    }
}
