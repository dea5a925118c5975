//! `SecurityGroup`: no ingress until a typed `allow_from`, and no egress unless given.

use crate::aws::refs::{SecurityGroupId, VpcId};
use crate::error::Result;
use crate::resources::ec2;
use crate::scope::Scope;
use crate::value::Str;

/// Something with a security group, that others can open ports to or from.
pub trait Connectable {
    /// The security group id.
    fn security_group_id(&self) -> SecurityGroupId;
}

/// An outbound rule to a CIDR range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressRule {
    /// Destination CIDR (`0.0.0.0/0` for the internet).
    pub cidr: String,
    /// TCP port.
    pub port: u16,
    /// Why the rule exists.
    pub description: String,
}

/// Props of [`SecurityGroup`].
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityGroupProps {
    /// `GroupDescription`. Default: `Managed by stackforge`.
    pub description: String,
    /// Outbound TCP rules to CIDR ranges. Default: none — all outbound traffic is blocked
    /// until rules are given here or added with [`SecurityGroup::allow_to`].
    pub egress: Vec<EgressRule>,
}

impl Default for SecurityGroupProps {
    fn default() -> Self {
        Self {
            description: "Managed by stackforge".to_owned(),
            egress: Vec::new(),
        }
    }
}

/// A security group with no inbound rules of its own.
#[derive(Debug, Clone)]
pub struct SecurityGroup {
    id: SecurityGroupId,
}

impl Connectable for SecurityGroup {
    fn security_group_id(&self) -> SecurityGroupId {
        self.id.clone()
    }
}

fn check_port(scope: &Scope<'_>, port: u16) -> Result<()> {
    if port == 0 {
        return Err(scope.invalid(
            "port",
            "port 0 is not a TCP port",
            "use a port between 1 and 65535",
        ));
    }
    Ok(())
}

impl SecurityGroup {
    /// Adds the group under `scope/id` in `vpc`.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        vpc: &VpcId,
        props: SecurityGroupProps,
    ) -> Result<SecurityGroup> {
        let mut scope = scope.construct(id, "SecurityGroup")?;
        for rule in &props.egress {
            check_port(&scope, rule.port)?;
            rule.cidr.parse::<ipnet::IpNet>().map_err(|e| {
                scope.invalid(
                    "egress",
                    format!("`{}` is not a CIDR range ({e})", rule.cidr),
                    "write it as `10.0.0.0/16`",
                )
            })?;
        }
        let egress = if props.egress.is_empty() {
            // CloudFormation allows all outbound traffic when no rule is given; this rule
            // matches nothing, which blocks it (the CDK uses the same one).
            vec![ec2::security_group::Egress {
                cidr_ip: Some("255.255.255.255/32".into()),
                description: Some("Disallow all traffic".into()),
                from_port: Some(252.into()),
                to_port: Some(86.into()),
                ..ec2::security_group::Egress::new("icmp")
            }]
        } else {
            props
                .egress
                .iter()
                .map(|r| ec2::security_group::Egress {
                    cidr_ip: Some(r.cidr.as_str().into()),
                    description: Some(r.description.as_str().into()),
                    from_port: Some(r.port.into()),
                    to_port: Some(r.port.into()),
                    ..ec2::security_group::Egress::new("tcp")
                })
                .collect()
        };
        let handle = scope.add(
            "Resource",
            ec2::SecurityGroup {
                vpc_id: Some(vpc.into()),
                security_group_egress: Some(egress),
                ..ec2::SecurityGroup::new(props.description)
            },
        )?;
        Ok(SecurityGroup {
            id: SecurityGroupId::from_expr(handle.group_id()),
        })
    }

    /// A group created elsewhere.
    pub fn from_id(id: SecurityGroupId) -> SecurityGroup {
        SecurityGroup { id }
    }

    /// The group id.
    pub fn id(&self) -> SecurityGroupId {
        self.id.clone()
    }

    /// Opens TCP `port` of this group to exactly `peer`'s group, as an
    /// `AWS::EC2::SecurityGroupIngress` at `scope/id` (the caller's stack, so a group in a
    /// stack deployed earlier never has to know about later ones).
    pub fn allow_from(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        peer: &impl Connectable,
        port: u16,
        description: &str,
    ) -> Result<()> {
        check_port(scope, port)?;
        scope.add(
            id,
            ec2::SecurityGroupIngress {
                source_security_group_id: Some(peer.security_group_id().into()),
                ..self.tcp_ingress(port, description)
            },
        )?;
        Ok(())
    }

    /// Opens TCP `port` of this group to a CIDR range (`0.0.0.0/0` only makes sense for a
    /// public load balancer on 80/443; the policy gate refuses anything else).
    pub fn allow_from_cidr(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        cidr: &str,
        port: u16,
        description: &str,
    ) -> Result<()> {
        check_port(scope, port)?;
        let net: ipnet::IpNet = cidr.parse().map_err(|e| {
            scope.invalid(
                "cidr",
                format!("`{cidr}` is not a CIDR range ({e})"),
                "write it as `10.0.0.0/16` or `::/0`",
            )
        })?;
        let (v4, v6) = match net {
            ipnet::IpNet::V4(_) => (Some(Str::from(cidr)), None),
            ipnet::IpNet::V6(_) => (None, Some(Str::from(cidr))),
        };
        scope.add(
            id,
            ec2::SecurityGroupIngress {
                cidr_ip: v4,
                cidr_ipv6: v6,
                ..self.tcp_ingress(port, description)
            },
        )?;
        Ok(())
    }

    /// An ingress rule into this group on TCP `port`, its source still to be set.
    fn tcp_ingress(&self, port: u16, description: &str) -> ec2::SecurityGroupIngress {
        ec2::SecurityGroupIngress {
            group_id: Some(self.id.clone().into()),
            from_port: Some(port.into()),
            to_port: Some(port.into()),
            description: Some(description.into()),
            ..ec2::SecurityGroupIngress::new("tcp")
        }
    }

    /// Lets this group send TCP to `peer`'s group on `port`, as an
    /// `AWS::EC2::SecurityGroupEgress` at `scope/id`.
    pub fn allow_to(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        peer: &impl Connectable,
        port: u16,
        description: &str,
    ) -> Result<()> {
        check_port(scope, port)?;
        scope.add(
            id,
            ec2::SecurityGroupEgress {
                destination_security_group_id: Some(peer.security_group_id().into()),
                from_port: Some(port.into()),
                to_port: Some(port.into()),
                description: Some(description.into()),
                ..ec2::SecurityGroupEgress::new(self.id.clone(), "tcp")
            },
        )?;
        Ok(())
    }
}
