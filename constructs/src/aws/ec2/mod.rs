//! EC2 networking: the VPC (with its subnet plan, endpoints and flow log as parts of their
//! own) and security groups.

mod flow_log;
mod security_group;
mod subnet_plan;
mod vpc;
mod vpc_endpoints;

pub use flow_log::{FlowLog, FlowLogProps};
pub use security_group::{Connectable, EgressRule, SecurityGroup, SecurityGroupProps};
pub use subnet_plan::{SubnetGroup, SubnetType, MAX_AZS_UNNAMED, MAX_PREFIX_LEN, MIN_PREFIX_LEN};
pub use vpc::{Subnet, Vpc, VpcAttributes, VpcProps};
pub use vpc_endpoints::{VpcEndpointService, VpcEndpoints};
