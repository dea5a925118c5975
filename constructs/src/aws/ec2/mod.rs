//! EC2 networking: the VPC and security groups.

mod security_group;
mod vpc;

pub use security_group::{Connectable, EgressRule, SecurityGroup, SecurityGroupProps};
pub use vpc::{
    FlowLogProps, Subnet, SubnetGroup, SubnetType, Vpc, VpcAttributes, VpcEndpointService,
    VpcProps, MAX_AZS_UNNAMED, MAX_PREFIX_LEN, MIN_PREFIX_LEN,
};
