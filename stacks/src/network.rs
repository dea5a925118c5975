//! `network`: the VPC — public subnets for the load balancer, private subnets for the
//! service, isolated subnets for the database, NAT, flow logs and endpoints.

use stackforge_constructs::aws::ec2::{Vpc, VpcEndpointService, VpcProps};
use stackforge_constructs::{App, Environment, Error, Stack, StackProps};

use crate::settings::Settings;

/// Builds the `network` stack; returns it with the VPC handle.
pub fn build(app: &App, env: &Environment, s: &Settings) -> Result<(Stack, Vpc), Error> {
    let mut stack = Stack::new(
        app,
        env,
        "network",
        StackProps {
            description: Some(format!(
                "migration-api ({}) network: VPC with public, private and isolated subnets in 2 AZs, NAT, flow logs, VPC endpoints",
                s.env
            )),
            ..Default::default()
        },
    )?;
    let vpc = Vpc::new(
        &mut stack.root(),
        "Vpc",
        VpcProps {
            cidr: s.network.cidr.to_owned(),
            max_azs: 2,
            nat_gateways: s.network.nat_gateways,
            // Image pulls, logs and secrets stay on the AWS network.
            endpoints: VpcEndpointService::ALL.to_vec(),
            ..Default::default()
        },
    )?;
    Ok((stack, vpc))
}
