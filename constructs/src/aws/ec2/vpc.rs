//! `Vpc`: the network every other construct is placed in — subnets planned from one CIDR,
//! routes, NAT gateways, optional VPC endpoints, and flow logs that are always on.

use crate::aws::logs::RETENTION_DAYS;
use crate::aws::refs::{RouteTableId, SubnetId, VpcId};
use crate::error::Result;
use crate::expr::Expr;
use crate::resource::ResourceOptions;
use crate::resources::ec2;
use crate::scope::Scope;
use crate::value::Tag;

use super::flow_log::{FlowLog, FlowLogProps};
use super::subnet_plan::{plan_subnets, SubnetGroup, SubnetPlan, SubnetType};
use super::vpc_endpoints::{VpcEndpointService, VpcEndpoints};

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

/// Props of [`Vpc`].
#[derive(Debug, Clone, PartialEq)]
pub struct VpcProps {
    /// The VPC's IPv4 CIDR block, `/16` to `/28`. Default: `10.0.0.0/16`.
    pub cidr: String,
    /// How many availability zones to span: the first ones the environment names, or
    /// `Fn::Select [i, Fn::GetAZs ""]` (at most [`MAX_AZS_UNNAMED`](super::MAX_AZS_UNNAMED)) when it names none.
    /// Default: 2.
    pub max_azs: usize,
    /// Public subnets. Default: one `/24` per AZ.
    pub public_subnets: Option<SubnetGroup>,
    /// Private subnets with egress (through NAT and/or endpoints). Default: one `/22` per AZ.
    pub private_subnets: Option<SubnetGroup>,
    /// Isolated subnets. Default: one `/24` per AZ.
    pub isolated_subnets: Option<SubnetGroup>,
    /// NAT gateways, 0 to one per AZ, in the public subnets of the first AZs; private subnets
    /// route to the one in their AZ, or to the first. Default: 1.
    pub nat_gateways: usize,
    /// VPC endpoints for the private subnets. Default: none.
    pub endpoints: Vec<VpcEndpointService>,
    /// Flow logs (always on). Default: [`FlowLogProps::default`].
    pub flow_logs: FlowLogProps,
}

impl Default for VpcProps {
    fn default() -> Self {
        Self {
            cidr: "10.0.0.0/16".to_owned(),
            max_azs: 2,
            public_subnets: Some(SubnetGroup::new(24)),
            private_subnets: Some(SubnetGroup::new(22)),
            isolated_subnets: Some(SubnetGroup::new(24)),
            nat_gateways: 1,
            endpoints: Vec::new(),
            flow_logs: FlowLogProps::default(),
        }
    }
}

/// A VPC and its subnets per group.
#[derive(Debug, Clone, PartialEq)]
pub struct Vpc {
    pub(crate) attrs: VpcAttributes,
}

/// The validated network plan: CIDR, AZs and subnets per group, in AZ order.
struct Plan {
    subnets: SubnetPlan,
    endpoints: Vec<VpcEndpointService>,
}

impl Vpc {
    /// Adds a VPC under `scope/id`: the VPC, its subnets with one route table each, an
    /// internet gateway when there is a public group, NAT gateways, endpoints and flow logs.
    ///
    /// ```
    /// use stackforge_constructs::aws::ec2::{Vpc, VpcProps};
    /// use stackforge_constructs::testing::synth_stack;
    ///
    /// let assembly = synth_stack(|scope| {
    ///     let vpc = Vpc::new(scope, "Vpc", VpcProps::default())?;
    ///     assert_eq!(vpc.private_subnet_ids().len(), 2);
    ///     Ok(())
    /// })
    /// .unwrap();
    /// let template = assembly.environments[0].stacks[0].json();
    /// assert!(template["Resources"]["Vpc8378EB38"]["Properties"]["EnableDnsSupport"] == true);
    /// ```
    pub fn new(scope: &mut Scope<'_>, id: &str, props: VpcProps) -> Result<Vpc> {
        let mut scope = scope.construct(id, "Vpc")?;
        let plan = plan(&scope, &props)?;
        let path = scope.path().to_owned();
        let name = |p: &str| Some(vec![Tag::new("Name", crate::names::tag_value(p))]);

        let vpc = scope.add(
            "Resource",
            ec2::Vpc {
                cidr_block: Some(plan.subnets.cidr.to_string().into()),
                enable_dns_hostnames: Some(true.into()),
                enable_dns_support: Some(true.into()),
                tags: name(&path),
                ..Default::default()
            },
        )?;
        let vpc_id = VpcId::from_expr(vpc.ref_());

        let has_public = plan
            .subnets
            .groups
            .iter()
            .any(|(t, _)| *t == SubnetType::Public);
        let igw = if has_public {
            let igw = scope.add(
                "InternetGateway",
                ec2::InternetGateway { tags: name(&path) },
            )?;
            let attachment = scope.add(
                "InternetGatewayAttachment",
                ec2::VpcGatewayAttachment {
                    internet_gateway_id: Some(igw.ref_().into()),
                    ..ec2::VpcGatewayAttachment::new(&vpc_id)
                },
            )?;
            Some((igw, attachment))
        } else {
            None
        };

        let mut attrs = VpcAttributes {
            vpc_id: vpc_id.clone(),
            cidr: Expr::str(plan.subnets.cidr.to_string()),
            public_subnets: Vec::new(),
            private_subnets: Vec::new(),
            isolated_subnets: Vec::new(),
        };
        let mut nat_ids: Vec<Expr> = Vec::new();
        for (kind, nets) in &plan.subnets.groups {
            for (i, (net, az)) in nets.iter().zip(&plan.subnets.azs).enumerate() {
                let mut sub = scope.child(&format!("{}Subnet{}", kind.label(), i + 1))?;
                let sub_path = sub.path().to_owned();
                let subnet = sub.add(
                    "Subnet",
                    ec2::Subnet {
                        availability_zone: Some(az.into()),
                        cidr_block: Some(net.to_string().into()),
                        // Nothing here needs public IPs; load balancers get their own.
                        map_public_ip_on_launch: Some(false.into()),
                        tags: name(&sub_path),
                        ..ec2::Subnet::new(&vpc_id)
                    },
                )?;
                let table = sub.add(
                    "RouteTable",
                    ec2::RouteTable {
                        tags: name(&sub_path),
                        ..ec2::RouteTable::new(&vpc_id)
                    },
                )?;
                let association = sub.add(
                    "RouteTableAssociation",
                    ec2::SubnetRouteTableAssociation::new(table.ref_(), subnet.ref_()),
                )?;
                match kind {
                    SubnetType::Public => {
                        let Some((igw, attachment)) = &igw else {
                            continue;
                        };
                        let route = sub.add_with(
                            "DefaultRoute",
                            ec2::Route {
                                destination_cidr_block: Some("0.0.0.0/0".into()),
                                gateway_id: Some(igw.ref_().into()),
                                ..ec2::Route::new(table.ref_())
                            },
                            ResourceOptions {
                                depends_on: vec![attachment.reference().clone()],
                                ..Default::default()
                            },
                        )?;
                        if i < props.nat_gateways {
                            let eip = sub.add(
                                "Eip",
                                ec2::Eip {
                                    domain: Some("vpc".into()),
                                    tags: name(&sub_path),
                                    ..Default::default()
                                },
                            )?;
                            // The gateway only works once its subnet routes to the internet.
                            let nat = sub.add_with(
                                "NatGateway",
                                ec2::NatGateway {
                                    allocation_id: Some(eip.allocation_id().into()),
                                    subnet_id: Some(subnet.ref_().into()),
                                    tags: name(&sub_path),
                                    ..Default::default()
                                },
                                ResourceOptions {
                                    depends_on: vec![
                                        route.reference().clone(),
                                        association.reference().clone(),
                                    ],
                                    ..Default::default()
                                },
                            )?;
                            nat_ids.push(nat.ref_());
                        }
                    }
                    SubnetType::PrivateWithEgress => {
                        // The NAT gateway of this AZ, or the first when there are fewer.
                        if let Some(nat) = nat_ids.get(i).or(nat_ids.first()) {
                            sub.add(
                                "DefaultRoute",
                                ec2::Route {
                                    destination_cidr_block: Some("0.0.0.0/0".into()),
                                    nat_gateway_id: Some(nat.into()),
                                    ..ec2::Route::new(table.ref_())
                                },
                            )?;
                        }
                    }
                    SubnetType::Isolated => {}
                }
                let handle = Subnet {
                    id: SubnetId::from_expr(subnet.ref_()),
                    availability_zone: az.clone(),
                    route_table: RouteTableId::from_expr(table.ref_()),
                };
                match kind {
                    SubnetType::Public => attrs.public_subnets.push(handle),
                    SubnetType::PrivateWithEgress => attrs.private_subnets.push(handle),
                    SubnetType::Isolated => attrs.isolated_subnets.push(handle),
                }
            }
        }

        let vpc = Vpc { attrs };
        if !plan.endpoints.is_empty() {
            VpcEndpoints::new(&mut scope, "Endpoints", &vpc, &plan.endpoints)?;
        }
        FlowLog::new(&mut scope, "FlowLog", &vpc_id, props.flow_logs)?;
        Ok(vpc)
    }

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

/// Checks the props and plans the network. Nothing is added to the stack.
fn plan(scope: &Scope<'_>, props: &VpcProps) -> Result<Plan> {
    let subnets = plan_subnets(scope, props)?;
    let n = subnets.azs.len();
    let has = |t: SubnetType| subnets.groups.iter().any(|(k, _)| *k == t);
    if props.nat_gateways > n {
        return Err(scope.invalid(
            "nat_gateways",
            format!("{} NAT gateways for {n} AZs", props.nat_gateways),
            format!("use at most one per AZ ({n})"),
        ));
    }
    if props.nat_gateways > 0 && !has(SubnetType::Public) {
        return Err(scope.invalid(
            "nat_gateways",
            "NAT gateways live in public subnets, and there is no public group",
            "add `public_subnets`, or set `nat_gateways` to 0",
        ));
    }
    if props.nat_gateways > 0 && !has(SubnetType::PrivateWithEgress) {
        return Err(scope.invalid(
            "nat_gateways",
            "NAT gateways would serve no subnet: there is no private group",
            "add `private_subnets`, or set `nat_gateways` to 0",
        ));
    }
    let mut endpoints: Vec<VpcEndpointService> = Vec::new();
    for e in &props.endpoints {
        if !endpoints.contains(e) {
            endpoints.push(*e);
        }
    }
    if has(SubnetType::PrivateWithEgress) && props.nat_gateways == 0 && endpoints.is_empty() {
        return Err(scope.invalid(
            "private_subnets",
            "the private subnets have no egress: no NAT gateways and no VPC endpoints",
            "set `nat_gateways`, add `endpoints`, or use `isolated_subnets` instead",
        ));
    }
    if !endpoints.is_empty() && !has(SubnetType::PrivateWithEgress) {
        return Err(scope.invalid(
            "endpoints",
            "VPC endpoints serve the private subnets, and there is no private group",
            "add `private_subnets`, or drop the endpoints",
        ));
    }
    if props.nat_gateways == 0
        && endpoints.contains(&VpcEndpointService::EcrDkr)
        && !endpoints.contains(&VpcEndpointService::S3)
    {
        return Err(scope.invalid(
            "endpoints",
            "without NAT, image pulls through the `EcrDkr` endpoint fetch their layers from S3, which is not reachable",
            "add `VpcEndpointService::S3`",
        ));
    }
    if !RETENTION_DAYS.contains(&props.flow_logs.retention_days) {
        return Err(scope.invalid(
            "flow_logs.retention_days",
            format!(
                "{} is not a retention CloudWatch Logs accepts",
                props.flow_logs.retention_days
            ),
            format!("use one of {RETENTION_DAYS:?}"),
        ));
    }
    Ok(Plan { subnets, endpoints })
}
