//! `Vpc`: the network every other construct is placed in.

use crate::aws::refs::{RouteTableId, SubnetId, VpcId};
use crate::expr::Expr;

/// One subnet of a [`Vpc`].
#[derive(Debug, Clone, PartialEq)]
pub struct Subnet {
    /// The subnet id.
    pub id: SubnetId,
    /// Its availability zone.
    pub availability_zone: Expr,
    /// Its route table.
    pub route_table: RouteTableId,
}

/// The subnets and ids of an existing VPC, for [`Vpc::from_attributes`].
#[derive(Debug, Clone, PartialEq)]
pub struct VpcAttributes {
    /// The VPC id.
    pub vpc_id: VpcId,
    /// The VPC's primary CIDR block.
    pub cidr: Expr,
    /// Public subnets (routed to an internet gateway).
    pub public_subnets: Vec<Subnet>,
    /// Private subnets with egress (through NAT or endpoints).
    pub private_subnets: Vec<Subnet>,
    /// Isolated subnets (no route out of the VPC).
    pub isolated_subnets: Vec<Subnet>,
}

/// A VPC and its subnets per group.
#[derive(Debug, Clone, PartialEq)]
pub struct Vpc {
    pub(crate) attrs: VpcAttributes,
}

impl Vpc {
    /// A VPC created elsewhere (another tool, another app), described by its attributes.
    pub fn from_attributes(attrs: VpcAttributes) -> Vpc {
        Vpc { attrs }
    }

    /// The VPC id.
    pub fn vpc_id(&self) -> VpcId {
        self.attrs.vpc_id.clone()
    }

    /// The primary CIDR block.
    pub fn cidr(&self) -> Expr {
        self.attrs.cidr.clone()
    }

    /// Public subnets.
    pub fn public_subnets(&self) -> &[Subnet] {
        &self.attrs.public_subnets
    }

    /// Private subnets with egress.
    pub fn private_subnets(&self) -> &[Subnet] {
        &self.attrs.private_subnets
    }

    /// Isolated subnets.
    pub fn isolated_subnets(&self) -> &[Subnet] {
        &self.attrs.isolated_subnets
    }

    /// Ids of the public subnets.
    pub fn public_subnet_ids(&self) -> Vec<SubnetId> {
        self.attrs
            .public_subnets
            .iter()
            .map(|s| s.id.clone())
            .collect()
    }

    /// Ids of the private subnets.
    pub fn private_subnet_ids(&self) -> Vec<SubnetId> {
        self.attrs
            .private_subnets
            .iter()
            .map(|s| s.id.clone())
            .collect()
    }

    /// Ids of the isolated subnets.
    pub fn isolated_subnet_ids(&self) -> Vec<SubnetId> {
        self.attrs
            .isolated_subnets
            .iter()
            .map(|s| s.id.clone())
            .collect()
    }
}
