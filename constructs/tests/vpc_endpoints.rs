//! `VpcEndpoints` on their own: endpoints for a VPC made elsewhere, and the errors.

mod common;

use common::{assert_invalid, rejected, vpc};
use serde_json::json;
use stackforge_constructs::aws::ec2::{Vpc, VpcAttributes, VpcEndpointService, VpcEndpoints};
use stackforge_constructs::testing::{resources_of_type as of_type, synth_template as synth};
use stackforge_constructs::Expr;

#[test]
fn gateway_and_interface_endpoints_for_the_private_subnets() {
    let t = synth("vpc_endpoints", |s| {
        let e = VpcEndpoints::new(
            s,
            "Endpoints",
            &vpc(),
            &[
                VpcEndpointService::S3,
                VpcEndpointService::Logs,
                VpcEndpointService::Logs,
            ],
        )?;
        assert!(e.security_group().is_some());
        Ok(())
    });
    let endpoints = of_type(&t, "AWS::EC2::VPCEndpoint");
    assert_eq!(
        endpoints.len(),
        2,
        "a service listed twice gets one endpoint"
    );
    let s3 = &endpoints[0].1["Properties"];
    assert_eq!(s3["VpcEndpointType"], "Gateway");
    assert_eq!(
        s3["RouteTableIds"],
        json!(["rtb-0a1b2c3d4e5f60003", "rtb-0a1b2c3d4e5f60004"])
    );
    let logs = &endpoints[1].1["Properties"];
    assert_eq!(logs["VpcEndpointType"], "Interface");
    assert_eq!(logs["PrivateDnsEnabled"], true);
    let ingress = &of_type(&t, "AWS::EC2::SecurityGroupIngress")[0].1["Properties"];
    assert_eq!(
        (ingress["CidrIp"].clone(), ingress["FromPort"].clone()),
        (json!("10.0.0.0/16"), json!(443))
    );
}

#[test]
fn errors_name_the_field_and_add_nothing() {
    let e = rejected(
        |_| Ok(()),
        |s, ()| VpcEndpoints::new(s, "Endpoints", &vpc(), &[]).map(|_| ()),
    );
    assert_invalid(&e, "test/Endpoints", "services", "no service");
    let without = |cidr: Expr, private: bool| {
        let v = vpc();
        Vpc::from_attributes(VpcAttributes {
            vpc_id: v.vpc_id(),
            cidr,
            public_subnets: v.public_subnets().to_vec(),
            private_subnets: if private {
                v.private_subnets().to_vec()
            } else {
                vec![]
            },
            isolated_subnets: vec![],
        })
    };
    let e = rejected(
        |_| Ok(()),
        |s, ()| {
            VpcEndpoints::new(
                s,
                "Endpoints",
                &without(Expr::str("10.0.0.0/16"), false),
                &[VpcEndpointService::S3],
            )
            .map(|_| ())
        },
    );
    assert_invalid(&e, "test/Endpoints", "services", "the VPC has none");
    let e = rejected(
        |_| Ok(()),
        |s, ()| {
            VpcEndpoints::new(
                s,
                "Endpoints",
                &without(Expr::import_value("net:Cidr"), true),
                &[VpcEndpointService::Logs],
            )
            .map(|_| ())
        },
    );
    assert_invalid(&e, "test/Endpoints", "services", "CIDR is not known here");
}
