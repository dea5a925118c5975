//! The network: `Vpc` (guide section 5, "VPC: isolate resources in private subnets") — its
//! subnet plan, routes, NAT, endpoints and always-on flow logs, and every validation error.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use proptest::prelude::*;
use serde_json::{json, Value};
use stackforge_constructs::aws::ec2::{
    FlowLogProps, SubnetGroup, Vpc, VpcEndpointService, VpcProps,
};
use stackforge_constructs::testing::{
    resources_of_type as of_type, synth_stack, synth_template as synth, write_for_lint,
};
use stackforge_constructs::{App, Environment, Error, Scope, Stack, StackProps};

/// Synthesizes a stack `network` of an app `shop` in `env`.
fn synth_in(
    name: &str,
    env: Environment,
    build: impl FnOnce(&mut Scope<'_>) -> Result<(), Error>,
) -> Result<Value, Error> {
    let mut app = App::new("shop");
    let mut stack = Stack::new(&app, &env, "network", StackProps::default())?;
    build(&mut stack.root())?;
    app.add_stack(stack)?;
    let asm = app.synth()?;
    write_for_lint(name, &asm);
    Ok(asm.environments[0].stacks[0].json())
}

fn three_azs() -> Environment {
    Environment::new("prod")
        .with_region("eu-west-1")
        .with_availability_zones(["eu-west-1a", "eu-west-1b", "eu-west-1c"])
}

fn vpc_err(props: VpcProps) -> String {
    synth_stack(|s| Vpc::new(s, "Vpc", props).map(|_| ()))
        .unwrap_err()
        .to_string()
}

fn path_of(r: &Value) -> &str {
    r["Metadata"]["stackforge:path"].as_str().unwrap()
}

fn by_path<'a>(t: &'a Value, path: &str) -> (&'a String, &'a Value) {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, r)| path_of(r) == path)
        .unwrap_or_else(|| panic!("no resource at {path}"))
}

fn subnet_cidrs(t: &Value) -> Vec<(String, String)> {
    of_type(t, "AWS::EC2::Subnet")
        .into_iter()
        .map(|(_, r)| {
            (
                path_of(r).to_owned(),
                r["Properties"]["CidrBlock"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn default_vpc_plans_public_private_and_isolated_subnets_in_two_azs() {
    let t = synth("vpc_default", |s| {
        let vpc = Vpc::new(s, "Vpc", VpcProps::default())?;
        assert_eq!(vpc.public_subnets().len(), 2);
        assert_eq!(vpc.private_subnet_ids().len(), 2);
        assert_eq!(vpc.isolated_subnet_ids().len(), 2);
        assert_eq!(vpc.cidr(), stackforge_constructs::Expr::str("10.0.0.0/16"));
        Ok(())
    });
    insta::assert_json_snapshot!("vpc_default", t);

    let (_, vpc) = by_path(&t, "test/Vpc/Resource");
    assert_eq!(vpc["Properties"]["EnableDnsSupport"], json!(true));
    assert_eq!(vpc["Properties"]["EnableDnsHostnames"], json!(true));
    assert_eq!(
        subnet_cidrs(&t),
        [
            ("test/Vpc/PublicSubnet1/Subnet", "10.0.0.0/24"),
            ("test/Vpc/PublicSubnet2/Subnet", "10.0.1.0/24"),
            ("test/Vpc/PrivateSubnet1/Subnet", "10.0.4.0/22"),
            ("test/Vpc/PrivateSubnet2/Subnet", "10.0.8.0/22"),
            ("test/Vpc/IsolatedSubnet1/Subnet", "10.0.12.0/24"),
            ("test/Vpc/IsolatedSubnet2/Subnet", "10.0.13.0/24"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    // Zones come from Fn::GetAZs when the environment names none; subnets carry a readable
    // Name tag.
    let (_, sub) = by_path(&t, "test/Vpc/PrivateSubnet2/Subnet");
    assert_eq!(
        sub["Properties"]["AvailabilityZone"],
        json!({"Fn::Select": [1, {"Fn::GetAZs": ""}]})
    );
    assert_eq!(sub["Properties"]["MapPublicIpOnLaunch"], json!(false));
    assert_eq!(
        sub["Properties"]["Tags"][0],
        json!({"Key": "Name", "Value": "test/Vpc/PrivateSubnet2"})
    );
    // One route table per subnet.
    assert_eq!(of_type(&t, "AWS::EC2::RouteTable").len(), 6);
    assert_eq!(
        of_type(&t, "AWS::EC2::SubnetRouteTableAssociation").len(),
        6
    );
    // One NAT gateway, in the first public subnet; both private subnets route to it.
    let nats = of_type(&t, "AWS::EC2::NatGateway");
    assert_eq!(nats.len(), 1);
    assert_eq!(path_of(nats[0].1), "test/Vpc/PublicSubnet1/NatGateway");
    for i in 1..=2 {
        let (_, route) = by_path(&t, &format!("test/Vpc/PrivateSubnet{i}/DefaultRoute"));
        assert_eq!(
            route["Properties"]["NatGatewayId"],
            json!({"Ref": nats[0].0})
        );
    }
    // Public routes go to the internet gateway once it is attached.
    let (attachment, _) = by_path(&t, "test/Vpc/InternetGatewayAttachment");
    let (igw, _) = by_path(&t, "test/Vpc/InternetGateway");
    let (_, route) = by_path(&t, "test/Vpc/PublicSubnet2/DefaultRoute");
    assert_eq!(route["Properties"]["GatewayId"], json!({"Ref": igw}));
    assert_eq!(route["DependsOn"], json!(attachment));
    // Isolated subnets have no route out.
    for (_, r) in of_type(&t, "AWS::EC2::Route") {
        assert!(!path_of(r).contains("Isolated"), "{}", path_of(r));
    }
    assert!(of_type(&t, "AWS::EC2::VPCEndpoint").is_empty());
}

#[test]
fn flow_logs_are_always_on_encrypted_retained_and_written_by_a_scoped_role() {
    let t = synth("vpc_flow_logs", |s| {
        Vpc::new(s, "Vpc", VpcProps::default())?;
        Ok(())
    });
    let (vpc, _) = by_path(&t, "test/Vpc/Resource");
    let (_, flow) = by_path(&t, "test/Vpc/FlowLog/Resource");
    let (group, lg) = by_path(&t, "test/Vpc/FlowLog/LogGroup/Resource");
    let (role, role_res) = by_path(&t, "test/Vpc/FlowLog/Role/Resource");
    let (key, _) = by_path(&t, "test/Vpc/FlowLog/LogGroup/Key/Resource");
    assert_eq!(
        flow["Properties"],
        json!({
            "DeliverLogsPermissionArn": {"Fn::GetAtt": [role, "Arn"]},
            "LogDestinationType": "cloud-watch-logs",
            "LogGroupName": {"Ref": group},
            "ResourceId": {"Ref": vpc},
            "ResourceType": "VPC",
            "Tags": flow["Properties"]["Tags"],
            "TrafficType": "ALL"
        })
    );
    assert_eq!(
        lg["Properties"]["KmsKeyId"],
        json!({"Fn::GetAtt": [key, "Arn"]})
    );
    assert_eq!(lg["Properties"]["RetentionInDays"], json!(365));
    let props = &role_res["Properties"];
    assert_eq!(
        props["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
        json!({"Service": "vpc-flow-logs.amazonaws.com"})
    );
    assert_eq!(
        props["Policies"][0]["PolicyDocument"]["Statement"],
        json!([{
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": {"Fn::GetAtt": [group, "Arn"]}
        }])
    );
}

#[test]
fn three_named_azs_with_a_nat_gateway_each_and_endpoints() {
    let t = synth_in("vpc_three_azs", three_azs(), |s| {
        let vpc = Vpc::new(
            s,
            "Vpc",
            VpcProps {
                cidr: "10.20.0.0/16".into(),
                max_azs: 3,
                private_subnets: Some(SubnetGroup::new(20)),
                isolated_subnets: Some(SubnetGroup::new(26)),
                nat_gateways: 3,
                endpoints: VpcEndpointService::ALL.to_vec(),
                flow_logs: FlowLogProps {
                    retention_days: 90,
                    ..Default::default()
                },
                ..Default::default()
            },
        )?;
        assert_eq!(vpc.private_subnets().len(), 3);
        Ok(())
    })
    .unwrap();
    insta::assert_json_snapshot!("vpc_three_azs", t);
    assert_eq!(
        subnet_cidrs(&t)
            .into_iter()
            .map(|(_, c)| c)
            .collect::<Vec<_>>(),
        [
            "10.20.0.0/24",
            "10.20.1.0/24",
            "10.20.2.0/24",
            "10.20.16.0/20",
            "10.20.32.0/20",
            "10.20.48.0/20",
            "10.20.64.0/26",
            "10.20.64.64/26",
            "10.20.64.128/26",
        ]
    );
    // Each private subnet routes to the NAT gateway of its own AZ.
    for i in 1..=3 {
        let (nat, _) = by_path(&t, &format!("network/Vpc/PublicSubnet{i}/NatGateway"));
        let (_, route) = by_path(&t, &format!("network/Vpc/PrivateSubnet{i}/DefaultRoute"));
        assert_eq!(route["Properties"]["NatGatewayId"], json!({"Ref": nat}));
        let (_, sub) = by_path(&t, &format!("network/Vpc/PublicSubnet{i}/Subnet"));
        assert_eq!(
            sub["Properties"]["AvailabilityZone"],
            json!(format!("eu-west-1{}", ["a", "b", "c"][i - 1]))
        );
    }
    assert_eq!(of_type(&t, "AWS::EC2::EIP").len(), 3);
    // Endpoints: S3 as a gateway on the private route tables, the rest as interfaces in the
    // private subnets with private DNS, behind a group accepting 443 from the VPC only.
    let endpoints = of_type(&t, "AWS::EC2::VPCEndpoint");
    assert_eq!(endpoints.len(), 5);
    let (_, s3) = by_path(&t, "network/Vpc/Endpoints/S3");
    assert_eq!(s3["Properties"]["VpcEndpointType"], json!("Gateway"));
    assert_eq!(
        s3["Properties"]["ServiceName"],
        json!({"Fn::Sub": "com.amazonaws.${AWS::Region}.s3"})
    );
    assert_eq!(
        s3["Properties"]["RouteTableIds"].as_array().unwrap().len(),
        3
    );
    let (sg, _) = by_path(&t, "network/Vpc/Endpoints/SecurityGroup/Resource");
    for id in ["EcrApi", "EcrDkr", "Logs", "SecretsManager"] {
        let (_, e) = by_path(&t, &format!("network/Vpc/Endpoints/{id}"));
        let p = &e["Properties"];
        assert_eq!(p["VpcEndpointType"], json!("Interface"));
        assert_eq!(p["PrivateDnsEnabled"], json!(true));
        assert_eq!(p["SubnetIds"].as_array().unwrap().len(), 3);
        assert_eq!(
            p["SecurityGroupIds"],
            json!([{"Fn::GetAtt": [sg, "GroupId"]}])
        );
    }
    let ingress = of_type(&t, "AWS::EC2::SecurityGroupIngress");
    assert_eq!(ingress.len(), 1);
    let p = &ingress[0].1["Properties"];
    assert_eq!(
        (&p["CidrIp"], &p["FromPort"], &p["ToPort"]),
        (&json!("10.20.0.0/16"), &json!(443), &json!(443))
    );
    let (_, lg) = by_path(&t, "network/Vpc/FlowLog/LogGroup/Resource");
    assert_eq!(lg["Properties"]["RetentionInDays"], json!(90));
}

#[test]
fn fewer_nat_gateways_than_azs_route_the_rest_to_the_first() {
    let t = synth_in("vpc_two_nats", three_azs(), |s| {
        Vpc::new(
            s,
            "Vpc",
            VpcProps {
                max_azs: 3,
                nat_gateways: 2,
                ..Default::default()
            },
        )?;
        Ok(())
    })
    .unwrap();
    let nat = |i: usize| by_path(&t, &format!("network/Vpc/PublicSubnet{i}/NatGateway")).0;
    let route = |i: usize| {
        by_path(&t, &format!("network/Vpc/PrivateSubnet{i}/DefaultRoute")).1["Properties"]
            ["NatGatewayId"]
            .clone()
    };
    assert_eq!(route(1), json!({"Ref": nat(1)}));
    assert_eq!(route(2), json!({"Ref": nat(2)}));
    assert_eq!(route(3), json!({"Ref": nat(1)}));
    // NAT gateways wait for their subnet's route to the internet.
    let (_, n) = by_path(&t, "network/Vpc/PublicSubnet2/NatGateway");
    assert_eq!(n["DependsOn"].as_array().unwrap().len(), 2);
}

#[test]
fn without_named_zones_azs_come_from_get_azs() {
    let env = Environment::new("dev");
    let t = synth_in("vpc_get_azs", env, |s| {
        Vpc::new(s, "Vpc", VpcProps::default())?;
        Ok(())
    })
    .unwrap();
    let (_, sub) = by_path(&t, "network/Vpc/IsolatedSubnet2/Subnet");
    assert_eq!(
        sub["Properties"]["AvailabilityZone"],
        json!({"Fn::Select": [1, {"Fn::GetAZs": ""}]})
    );
}

#[test]
fn private_subnets_can_work_without_nat_through_endpoints() {
    let t = synth("vpc_endpoints_only", |s| {
        let vpc = Vpc::new(
            s,
            "Vpc",
            VpcProps {
                cidr: "172.16.0.0/20".into(),
                public_subnets: None,
                nat_gateways: 0,
                endpoints: VpcEndpointService::ALL.to_vec(),
                ..Default::default()
            },
        )?;
        assert!(vpc.public_subnets().is_empty());
        Ok(())
    });
    insta::assert_json_snapshot!("vpc_endpoints_only", t);
    assert!(of_type(&t, "AWS::EC2::InternetGateway").is_empty());
    assert!(of_type(&t, "AWS::EC2::NatGateway").is_empty());
    assert!(of_type(&t, "AWS::EC2::Route").is_empty());
    assert_eq!(of_type(&t, "AWS::EC2::VPCEndpoint").len(), 5);
}

#[test]
fn reserved_group_ranges_are_honoured_and_other_groups_flow_around_them() {
    let t = synth("vpc_reserved", |s| {
        Vpc::new(
            s,
            "Vpc",
            VpcProps {
                isolated_subnets: Some(SubnetGroup {
                    cidr_mask: 24,
                    cidr: Some("10.0.0.0/23".into()),
                }),
                ..Default::default()
            },
        )?;
        Ok(())
    });
    let cidrs: Vec<String> = subnet_cidrs(&t).into_iter().map(|(_, c)| c).collect();
    assert_eq!(
        cidrs,
        [
            "10.0.2.0/24",
            "10.0.3.0/24",
            "10.0.4.0/22",
            "10.0.8.0/22",
            "10.0.0.0/24",
            "10.0.1.0/24"
        ]
    );
}

// ---- validation errors: one test each, naming the construct path and the field ----

fn assert_invalid(e: &str, field: &str, problem: &str) {
    assert!(
        e.contains(&format!("`test/Vpc`: invalid `{field}`")) && e.contains(problem),
        "{e}"
    );
}

#[test]
fn an_invalid_cidr_is_rejected() {
    let e = vpc_err(VpcProps {
        cidr: "10.0.0.0/33".into(),
        ..Default::default()
    });
    assert_invalid(&e, "cidr", "is not an IPv4 CIDR block");
    let e = vpc_err(VpcProps {
        cidr: "10.0.1.0/16".into(),
        ..Default::default()
    });
    assert_invalid(
        &e,
        "cidr",
        "has host bits set; the network is `10.0.0.0/16`",
    );
}

#[test]
fn a_vpc_cidr_outside_16_to_28_is_rejected() {
    let e = vpc_err(VpcProps {
        cidr: "10.0.0.0/8".into(),
        ..Default::default()
    });
    assert_invalid(&e, "cidr", "a /8 VPC is outside the /16 to /28");
}

#[test]
fn a_subnet_mask_larger_than_the_vpc_is_rejected() {
    let e = vpc_err(VpcProps {
        cidr: "10.0.0.0/20".into(),
        private_subnets: Some(SubnetGroup::new(18)),
        ..Default::default()
    });
    assert_invalid(
        &e,
        "private_subnets.cidr_mask",
        "a /18 subnet is larger than the /20 VPC",
    );
}

#[test]
fn a_subnet_mask_smaller_than_28_is_rejected() {
    let e = vpc_err(VpcProps {
        isolated_subnets: Some(SubnetGroup::new(29)),
        ..Default::default()
    });
    assert_invalid(
        &e,
        "isolated_subnets.cidr_mask",
        "a /29 subnet is smaller than the /28 AWS allows",
    );
}

#[test]
fn groups_that_do_not_fit_in_the_vpc_are_rejected() {
    let e = vpc_err(VpcProps {
        cidr: "10.0.0.0/22".into(),
        ..Default::default()
    });
    assert_invalid(
        &e,
        "private_subnets.cidr_mask",
        "the subnet groups do not fit in `10.0.0.0/22`",
    );
}

#[test]
fn overlapping_groups_are_rejected() {
    let e = vpc_err(VpcProps {
        public_subnets: Some(SubnetGroup {
            cidr_mask: 24,
            cidr: Some("10.0.0.0/22".into()),
        }),
        isolated_subnets: Some(SubnetGroup {
            cidr_mask: 24,
            cidr: Some("10.0.2.0/23".into()),
        }),
        ..Default::default()
    });
    assert_invalid(
        &e,
        "isolated_subnets.cidr",
        "`10.0.2.0/23` overlaps `10.0.0.0/22` reserved for `public_subnets`",
    );
}

#[test]
fn a_reserved_range_outside_the_vpc_or_too_small_is_rejected() {
    let e = vpc_err(VpcProps {
        public_subnets: Some(SubnetGroup {
            cidr_mask: 24,
            cidr: Some("10.1.0.0/23".into()),
        }),
        ..Default::default()
    });
    assert_invalid(&e, "public_subnets.cidr", "is not inside the VPC CIDR");
    let e = vpc_err(VpcProps {
        public_subnets: Some(SubnetGroup {
            cidr_mask: 24,
            cidr: Some("10.0.0.0/24".into()),
        }),
        ..Default::default()
    });
    assert_invalid(
        &e,
        "public_subnets.cidr",
        "`10.0.0.0/24` cannot hold 2 subnets of /24",
    );
}

#[test]
fn zero_azs_are_rejected() {
    let e = vpc_err(VpcProps {
        max_azs: 0,
        ..Default::default()
    });
    assert_invalid(&e, "max_azs", "0 availability zones");
}

#[test]
fn more_azs_than_the_environment_names_are_rejected() {
    let two_azs = Environment::new("test").with_availability_zones(["us-east-1a", "us-east-1b"]);
    let e = synth_in("unused", two_azs, |s| {
        Vpc::new(
            s,
            "Vpc",
            VpcProps {
                max_azs: 3,
                nat_gateways: 1,
                ..Default::default()
            },
        )
        .map(|_| ())
    })
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("`network/Vpc`: invalid `max_azs`: 3 exceeds the 2 availability zones the environment `test` names"),
        "{e}"
    );
}

#[test]
fn more_azs_than_get_azs_surely_lists_are_rejected() {
    let e = synth_in("unused", Environment::new("dev"), |s| {
        Vpc::new(
            s,
            "Vpc",
            VpcProps {
                max_azs: 4,
                ..Default::default()
            },
        )
        .map(|_| ())
    })
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("`network/Vpc`: invalid `max_azs`: 4 exceeds the 3 zones"),
        "{e}"
    );
}

#[test]
fn more_nat_gateways_than_azs_are_rejected() {
    let e = vpc_err(VpcProps {
        nat_gateways: 3,
        ..Default::default()
    });
    assert_invalid(&e, "nat_gateways", "3 NAT gateways for 2 AZs");
}

#[test]
fn nat_gateways_without_a_public_group_are_rejected() {
    let e = vpc_err(VpcProps {
        public_subnets: None,
        ..Default::default()
    });
    assert_invalid(&e, "nat_gateways", "there is no public group");
}

#[test]
fn nat_gateways_without_a_private_group_are_rejected() {
    let e = vpc_err(VpcProps {
        private_subnets: None,
        ..Default::default()
    });
    assert_invalid(&e, "nat_gateways", "there is no private group");
}

#[test]
fn a_private_group_without_nat_or_endpoints_is_rejected() {
    let e = vpc_err(VpcProps {
        nat_gateways: 0,
        ..Default::default()
    });
    assert_invalid(
        &e,
        "private_subnets",
        "no NAT gateways and no VPC endpoints",
    );
}

#[test]
fn endpoints_without_a_private_group_are_rejected() {
    let e = vpc_err(VpcProps {
        private_subnets: None,
        nat_gateways: 0,
        endpoints: vec![VpcEndpointService::Logs],
        ..Default::default()
    });
    assert_invalid(&e, "endpoints", "there is no private group");
}

#[test]
fn an_ecr_registry_endpoint_without_s3_and_nat_is_rejected() {
    let e = vpc_err(VpcProps {
        nat_gateways: 0,
        endpoints: vec![VpcEndpointService::EcrApi, VpcEndpointService::EcrDkr],
        ..Default::default()
    });
    assert_invalid(&e, "endpoints", "fetch their layers from S3");
}

#[test]
fn a_vpc_without_subnet_groups_is_rejected() {
    let e = vpc_err(VpcProps {
        public_subnets: None,
        private_subnets: None,
        isolated_subnets: None,
        nat_gateways: 0,
        ..Default::default()
    });
    assert_invalid(&e, "public_subnets", "no subnet group is given");
}

#[test]
fn an_odd_flow_log_retention_is_rejected() {
    let e = vpc_err(VpcProps {
        flow_logs: FlowLogProps {
            retention_days: 10,
            ..Default::default()
        },
        ..Default::default()
    });
    assert_invalid(&e, "flow_logs.retention_days", "10 is not a retention");
}

// ---- CIDR planning properties ----

fn planned(prefix: u8, masks: [Option<u8>; 3], azs: usize) -> Result<Vec<Ipv4Net>, String> {
    let env = Environment::new("p").with_availability_zones(["z1", "z2", "z3", "z4", "z5", "z6"]);
    let mut app = App::new("p");
    let mut stack = Stack::new(&app, &env, "p", StackProps::default()).unwrap();
    let [public, private, isolated] = masks.map(|m| m.map(SubnetGroup::new));
    let has_public = public.is_some();
    let has_private = private.is_some();
    Vpc::new(
        &mut stack.root(),
        "Vpc",
        VpcProps {
            cidr: format!("10.0.0.0/{prefix}"),
            max_azs: azs,
            public_subnets: public,
            private_subnets: private,
            isolated_subnets: isolated,
            nat_gateways: usize::from(has_public && has_private),
            endpoints: if has_private && !has_public {
                vec![VpcEndpointService::Logs]
            } else {
                Vec::new()
            },
            ..Default::default()
        },
    )
    .map_err(|e| e.to_string())?;
    app.add_stack(stack).unwrap();
    let t = app.synth().unwrap().environments[0].stacks[0].json();
    Ok(subnet_cidrs(&t)
        .into_iter()
        .map(|(_, c)| c.parse().unwrap())
        .collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn allocated_subnets_never_overlap_and_lie_within_the_vpc(
        prefix in 16u8..=24,
        masks in prop::array::uniform3(prop::option::weighted(0.8, 16u8..=28)),
        azs in 1usize..=6,
    ) {
        prop_assume!(masks.iter().any(Option::is_some));
        let vpc: Ipv4Net = format!("10.0.0.0/{prefix}").parse().unwrap();
        match planned(prefix, masks, azs) {
            Ok(nets) => {
                let groups = masks.iter().filter(|m| m.is_some()).count();
                prop_assert_eq!(nets.len(), groups * azs);
                for (i, a) in nets.iter().enumerate() {
                    prop_assert!(vpc.contains(a), "{} outside {}", a, vpc);
                    prop_assert_eq!(a.trunc(), *a);
                    for b in &nets[i + 1..] {
                        prop_assert!(!a.contains(&b.network()) && !b.contains(&a.network()),
                            "{} overlaps {}", a, b);
                    }
                }
                // Deterministic: the same props plan the same subnets.
                prop_assert_eq!(planned(prefix, masks, azs).unwrap(), nets);
            }
            Err(e) => {
                // Only masks that cannot fit may fail, and they say so. Equal masks waste
                // nothing on alignment, so they fail exactly when they need more addresses
                // than the VPC has.
                let given: Vec<u8> = masks.iter().flatten().copied().collect();
                let need: u64 = given.iter().map(|m| (1u64 << (32 - m)) * azs as u64).sum();
                let capacity = 1u64 << (32 - prefix);
                prop_assert!(e.contains("cidr_mask"), "{}", e);
                if given.iter().all(|m| *m == given[0] && *m >= prefix) {
                    prop_assert!(need > capacity, "{} addresses fit in {}: {}", need, capacity, e);
                }
            }
        }
    }
}

#[test]
fn the_whole_vpc_can_be_used_up() {
    // Four /18 subnets fill a /16 exactly.
    let nets = planned(16, [Some(18), Some(18), None], 2).unwrap();
    let last = nets.last().unwrap();
    assert_eq!(last.broadcast(), Ipv4Addr::new(10, 0, 255, 255));
}
