//! EC2 networking: the VPC and security groups.

mod security_group;
mod vpc;

pub use security_group::{Connectable, EgressRule, SecurityGroup, SecurityGroupProps};
pub use vpc::{Subnet, Vpc, VpcAttributes};
