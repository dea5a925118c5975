//! Helpers the construct tests share: a VPC described by attributes, and a check that a
//! construct refusing its props added nothing.
#![allow(dead_code)] // each test crate uses a part

use stackforge_constructs::aws::ec2::{Subnet, Vpc, VpcAttributes};
use stackforge_constructs::aws::refs::{RouteTableId, SubnetId, VpcId};
use stackforge_constructs::testing::synth_stack;
use stackforge_constructs::{Expr, RawResource, ResourceOptions, Result, Scope};

fn subnet(n: u32, az: &str) -> Subnet {
    Subnet {
        id: SubnetId::from_expr(format!("subnet-0a1b2c3d4e5f6000{n}")),
        availability_zone: Expr::str(az),
        route_table: RouteTableId::from_expr(format!("rtb-0a1b2c3d4e5f6000{n}")),
    }
}

/// A VPC `10.0.0.0/16` with public, private and isolated subnets in two zones.
pub fn vpc() -> Vpc {
    Vpc::from_attributes(VpcAttributes {
        vpc_id: VpcId::from_expr("vpc-0123456789abcdef0"),
        cidr: Expr::str("10.0.0.0/16"),
        public_subnets: vec![subnet(1, "us-east-1a"), subnet(2, "us-east-1b")],
        private_subnets: vec![subnet(3, "us-east-1a"), subnet(4, "us-east-1b")],
        isolated_subnets: vec![subnet(5, "us-east-1a"), subnet(6, "us-east-1b")],
    })
}

/// A topic, so that a stack whose `setup` adds nothing still has a resource (CloudFormation
/// refuses an empty template, and so does synth).
fn marker(s: &mut Scope<'_>) -> Result<()> {
    s.add_raw(
        "Marker",
        RawResource::new("AWS::SNS::Topic"),
        ResourceOptions::default(),
    )
    .map(|_| ())
}

/// The error `fail` returns after `setup`; panics unless the template is the same as with
/// `setup` alone (the failing construct added nothing).
pub fn rejected<T>(
    setup: impl Fn(&mut Scope<'_>) -> Result<T>,
    fail: impl FnOnce(&mut Scope<'_>, T) -> Result<()>,
) -> String {
    let before = synth_stack(|s| {
        marker(s)?;
        setup(s).map(|_| ())
    })
    .expect("setup synthesizes");
    let mut message = None;
    let after = synth_stack(|s| {
        marker(s)?;
        let made = setup(s)?;
        match fail(s, made) {
            Ok(()) => panic!("the construct accepted props it should refuse"),
            Err(e) => message = Some(e.to_string()),
        }
        Ok(())
    })
    .expect("the stack without the refused construct synthesizes");
    assert_eq!(
        before.environments[0].stacks[0].json(),
        after.environments[0].stacks[0].json(),
        "the refused construct added something"
    );
    message.expect("an error")
}

/// Asserts `e` names `path`, `field` and contains `problem`.
pub fn assert_invalid(e: &str, path: &str, field: &str, problem: &str) {
    let head = format!("`{path}`: invalid `{field}`");
    assert!(e.starts_with(&head), "expected `{head}`, got: {e}");
    assert!(e.contains(problem), "expected `{problem}` in: {e}");
}
