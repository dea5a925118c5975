//! `Vpc`: the network every other construct is placed in — subnets planned from one CIDR,
//! routes, NAT gateways, optional VPC endpoints, and flow logs that are always on.

use ipnet::Ipv4Net;

use crate::aws::ec2::{SecurityGroup, SecurityGroupProps};
use crate::aws::iam::{PolicyDocument, ServiceRole, ServiceRoleProps, Statement};
use crate::aws::logs::{LogGroup, LogGroupProps, RETENTION_DAYS};
use crate::aws::refs::{KmsKeyArn, RouteTableId, SubnetId, VpcId};
use crate::error::Result;
use crate::expr::Expr;
use crate::resource::ResourceOptions;
use crate::resources::ec2;
use crate::resources::ec2::flow_log::{LogDestinationType, ResourceType, TrafficType};
use crate::resources::ec2::vpc_endpoint::VpcEndpointType;
use crate::scope::Scope;
use crate::value::{Str, Tag};

/// The largest subnet or VPC prefix AWS allows (`/16`).
pub const MIN_PREFIX_LEN: u8 = 16;
/// The smallest subnet or VPC prefix AWS allows (`/28`).
pub const MAX_PREFIX_LEN: u8 = 28;
/// How many AZs a VPC may span when the environment names none: `Fn::GetAZs` lists at least
/// three zones in nearly every region, so a higher index could fail at deploy time.
pub const MAX_AZS_UNNAMED: usize = 3;

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

/// The kind of a subnet group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubnetType {
    /// Routed to the internet gateway (load balancers, NAT gateways).
    Public,
    /// Outbound access through NAT gateways and/or VPC endpoints only (compute).
    PrivateWithEgress,
    /// No route out of the VPC (databases).
    Isolated,
}

impl SubnetType {
    /// The construct id prefix of its subnets (`Public` -> `PublicSubnet1`).
    pub fn label(self) -> &'static str {
        match self {
            SubnetType::Public => "Public",
            SubnetType::PrivateWithEgress => "Private",
            SubnetType::Isolated => "Isolated",
        }
    }

    fn field(self) -> &'static str {
        match self {
            SubnetType::Public => "public_subnets",
            SubnetType::PrivateWithEgress => "private_subnets",
            SubnetType::Isolated => "isolated_subnets",
        }
    }
}

/// One subnet group: one subnet of `/cidr_mask` per availability zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetGroup {
    /// The prefix length of each subnet, from the VPC's own prefix length to 28.
    pub cidr_mask: u8,
    /// A range of the VPC CIDR reserved for this group (its subnets are taken from it in AZ
    /// order), for address plans fixed elsewhere. Default: none — the group's subnets are
    /// allocated after those of the groups before it (public, private, isolated).
    pub cidr: Option<String>,
}

impl SubnetGroup {
    /// A group of `/cidr_mask` subnets allocated automatically.
    pub fn new(cidr_mask: u8) -> Self {
        Self {
            cidr_mask,
            cidr: None,
        }
    }
}

/// An AWS service reachable from the private subnets through a VPC endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VpcEndpointService {
    /// S3 (a gateway endpoint on the private route tables; ECR image layers come from S3).
    S3,
    /// The ECR API (`ecr.api`).
    EcrApi,
    /// The ECR Docker registry (`ecr.dkr`).
    EcrDkr,
    /// CloudWatch Logs.
    Logs,
    /// Secrets Manager.
    SecretsManager,
}

impl VpcEndpointService {
    /// Every service, which is what ECS tasks pulling from ECR, logging and reading secrets
    /// need in subnets without NAT.
    pub const ALL: [VpcEndpointService; 5] = [
        VpcEndpointService::S3,
        VpcEndpointService::EcrApi,
        VpcEndpointService::EcrDkr,
        VpcEndpointService::Logs,
        VpcEndpointService::SecretsManager,
    ];

    fn id(self) -> &'static str {
        match self {
            VpcEndpointService::S3 => "S3",
            VpcEndpointService::EcrApi => "EcrApi",
            VpcEndpointService::EcrDkr => "EcrDkr",
            VpcEndpointService::Logs => "Logs",
            VpcEndpointService::SecretsManager => "SecretsManager",
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            VpcEndpointService::S3 => "s3",
            VpcEndpointService::EcrApi => "ecr.api",
            VpcEndpointService::EcrDkr => "ecr.dkr",
            VpcEndpointService::Logs => "logs",
            VpcEndpointService::SecretsManager => "secretsmanager",
        }
    }
}

/// Where the VPC's flow logs go. Flow logs are always on: they are the only record of who
/// talked to what inside the network.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowLogProps {
    /// Retention in days, one of [`RETENTION_DAYS`]. Default: 365.
    pub retention_days: u32,
    /// The key encrypting the log group (its policy must allow CloudWatch Logs). Default: a
    /// dedicated key is created.
    pub encryption_key: Option<KmsKeyArn>,
}

impl Default for FlowLogProps {
    fn default() -> Self {
        Self {
            retention_days: 365,
            encryption_key: None,
        }
    }
}

/// Props of [`Vpc`].
#[derive(Debug, Clone, PartialEq)]
pub struct VpcProps {
    /// The VPC's IPv4 CIDR block, `/16` to `/28`. Default: `10.0.0.0/16`.
    pub cidr: String,
    /// How many availability zones to span: the first ones the environment names, or
    /// `Fn::Select [i, Fn::GetAZs ""]` (at most [`MAX_AZS_UNNAMED`]) when it names none.
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
    cidr: Ipv4Net,
    azs: Vec<Expr>,
    groups: Vec<(SubnetType, Vec<Ipv4Net>)>,
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
        let mut scope = scope.child(id)?;
        let plan = plan(&scope, &props)?;
        let path = scope.path().to_owned();
        let name = |p: &str| Some(vec![Tag::new("Name", p)]);

        let vpc = scope.add(
            "Resource",
            ec2::Vpc {
                cidr_block: Some(plan.cidr.to_string().into()),
                enable_dns_hostnames: Some(true.into()),
                enable_dns_support: Some(true.into()),
                tags: name(&path),
                ..Default::default()
            },
        )?;
        let vpc_id = VpcId::from_expr(vpc.ref_());

        let has_public = plan.groups.iter().any(|(t, _)| *t == SubnetType::Public);
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
            cidr: Expr::str(plan.cidr.to_string()),
            public_subnets: Vec::new(),
            private_subnets: Vec::new(),
            isolated_subnets: Vec::new(),
        };
        let mut nat_ids: Vec<Expr> = Vec::new();
        for (kind, nets) in &plan.groups {
            for (i, (net, az)) in nets.iter().zip(&plan.azs).enumerate() {
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

        if !plan.endpoints.is_empty() {
            add_endpoints(&mut scope, &plan, &attrs)?;
        }
        add_flow_log(&mut scope, &path, &vpc_id, props.flow_logs)?;
        Ok(Vpc { attrs })
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

fn add_endpoints(scope: &mut Scope<'_>, plan: &Plan, attrs: &VpcAttributes) -> Result<()> {
    let vpc_path = scope.path().to_owned();
    let mut scope = scope.child("Endpoints")?;
    let path = scope.path().to_owned();
    let service_name = |s: VpcEndpointService| {
        Str::from(Expr::concat([
            Expr::str("com.amazonaws."),
            Expr::region(),
            Expr::str(format!(".{}", s.suffix())),
        ]))
    };
    let interface = plan.endpoints.iter().any(|s| *s != VpcEndpointService::S3);
    let group = if interface {
        let group = SecurityGroup::new(
            &mut scope,
            "SecurityGroup",
            &attrs.vpc_id,
            SecurityGroupProps {
                description: format!("Interface endpoints of {vpc_path}"),
                ..Default::default()
            },
        )?;
        group.allow_from_cidr(
            &mut scope,
            "HttpsFromVpc",
            &plan.cidr.to_string(),
            443,
            "HTTPS from inside the VPC",
        )?;
        Some(group)
    } else {
        None
    };
    for service in &plan.endpoints {
        let tags = Some(vec![Tag::new("Name", format!("{path}/{}", service.id()))]);
        let endpoint = match (service, &group) {
            (VpcEndpointService::S3, _) => ec2::VpcEndpoint {
                service_name: Some(service_name(*service)),
                vpc_endpoint_type: Some(VpcEndpointType::Gateway),
                route_table_ids: Some(
                    attrs
                        .private_subnets
                        .iter()
                        .map(|s| Str::from(&s.route_table))
                        .collect(),
                ),
                tags,
                ..ec2::VpcEndpoint::new(&attrs.vpc_id)
            },
            (_, Some(group)) => ec2::VpcEndpoint {
                service_name: Some(service_name(*service)),
                vpc_endpoint_type: Some(VpcEndpointType::Interface),
                private_dns_enabled: Some(true.into()),
                subnet_ids: Some(
                    attrs
                        .private_subnets
                        .iter()
                        .map(|s| Str::from(&s.id))
                        .collect(),
                ),
                security_group_ids: Some(vec![Str::from(group.id())]),
                tags,
                ..ec2::VpcEndpoint::new(&attrs.vpc_id)
            },
            // An interface service always created the group above.
            (_, None) => continue,
        };
        scope.add(service.id(), endpoint)?;
    }
    Ok(())
}

fn add_flow_log(
    scope: &mut Scope<'_>,
    vpc_path: &str,
    vpc_id: &VpcId,
    props: FlowLogProps,
) -> Result<()> {
    let mut scope = scope.child("FlowLog")?;
    let group = LogGroup::new(
        &mut scope,
        "LogGroup",
        LogGroupProps {
            encryption_key: props.encryption_key,
            retention_days: props.retention_days,
            ..Default::default()
        },
    )?;
    let role = ServiceRole::new(
        &mut scope,
        "Role",
        ServiceRoleProps {
            service: "vpc-flow-logs.amazonaws.com".to_owned(),
            description: Some(format!("Writes the flow logs of {vpc_path}")),
            policy: Some(PolicyDocument::new(vec![Statement::allow(
                [
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                [group.arn()],
            )])),
            ..Default::default()
        },
    )?;
    scope.add(
        "Resource",
        ec2::FlowLog {
            deliver_logs_permission_arn: Some(role.arn().into()),
            log_destination_type: Some(LogDestinationType::CloudWatchLogs),
            log_group_name: Some(group.name().into()),
            traffic_type: Some(TrafficType::All),
            tags: Some(vec![Tag::new("Name", vpc_path)]),
            ..ec2::FlowLog::new(vpc_id, ResourceType::Vpc)
        },
    )?;
    Ok(())
}

/// Parses an IPv4 network written without host bits.
fn parse_net(s: &str) -> std::result::Result<Ipv4Net, String> {
    let net: Ipv4Net = s
        .parse()
        .map_err(|e| format!("`{s}` is not an IPv4 CIDR block ({e})"))?;
    if net.trunc() != net {
        return Err(format!(
            "`{s}` has host bits set; the network is `{}`",
            net.trunc()
        ));
    }
    Ok(net)
}

fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Checks the props and plans the subnets. Nothing is added to the stack.
fn plan(scope: &Scope<'_>, props: &VpcProps) -> Result<Plan> {
    let cidr = parse_net(&props.cidr)
        .map_err(|p| scope.invalid("cidr", p, "write it as `10.0.0.0/16`"))?;
    if !(MIN_PREFIX_LEN..=MAX_PREFIX_LEN).contains(&cidr.prefix_len()) {
        return Err(scope.invalid(
            "cidr",
            format!(
                "a /{} VPC is outside the /{MIN_PREFIX_LEN} to /{MAX_PREFIX_LEN} AWS allows",
                cidr.prefix_len()
            ),
            "use a prefix length between 16 and 28",
        ));
    }

    let named = scope.stack().environment().availability_zones();
    if props.max_azs == 0 {
        return Err(scope.invalid(
            "max_azs",
            "0 availability zones leaves no room for subnets",
            "use at least 1 (2 or more for a database or a load balancer)",
        ));
    }
    let azs: Vec<Expr> = if named.is_empty() {
        if props.max_azs > MAX_AZS_UNNAMED {
            return Err(scope.invalid(
                "max_azs",
                format!(
                    "{} exceeds the {MAX_AZS_UNNAMED} zones `Fn::GetAZs` is sure to list",
                    props.max_azs
                ),
                format!(
                    "use at most {MAX_AZS_UNNAMED}, or name the zones in the stack's Environment"
                ),
            ));
        }
        (0..props.max_azs)
            .map(|i| Expr::select(i as u32, Expr::get_azs()))
            .collect()
    } else {
        if props.max_azs > named.len() {
            return Err(scope.invalid(
                "max_azs",
                format!(
                    "{} exceeds the {} availability zones the environment `{}` names",
                    props.max_azs,
                    named.len(),
                    scope.stack().environment().name()
                ),
                format!(
                    "use at most {}, or name more zones in the environment",
                    named.len()
                ),
            ));
        }
        named[..props.max_azs].iter().map(Expr::str).collect()
    };
    let n = azs.len();

    let groups: Vec<(SubnetType, &SubnetGroup)> = [
        (SubnetType::Public, &props.public_subnets),
        (SubnetType::PrivateWithEgress, &props.private_subnets),
        (SubnetType::Isolated, &props.isolated_subnets),
    ]
    .into_iter()
    .filter_map(|(t, g)| g.as_ref().map(|g| (t, g)))
    .collect();
    if groups.is_empty() {
        return Err(scope.invalid(
            "public_subnets",
            "no subnet group is given, so the VPC would have no subnets",
            "set at least one of `public_subnets`, `private_subnets`, `isolated_subnets`",
        ));
    }

    // Masks and reserved ranges first, then overlaps between reserved ranges.
    let mut specs: Vec<(SubnetType, u8, Option<Ipv4Net>)> = Vec::new();
    for (kind, group) in &groups {
        let field = format!("{}.cidr_mask", kind.field());
        let mask = group.cidr_mask;
        if mask < cidr.prefix_len() {
            return Err(scope.invalid(
                &field,
                format!(
                    "a /{mask} subnet is larger than the /{} VPC",
                    cidr.prefix_len()
                ),
                format!(
                    "use a mask between {} and {MAX_PREFIX_LEN}",
                    cidr.prefix_len()
                ),
            ));
        }
        if mask > MAX_PREFIX_LEN {
            return Err(scope.invalid(
                &field,
                format!("a /{mask} subnet is smaller than the /{MAX_PREFIX_LEN} AWS allows"),
                format!(
                    "use a mask between {} and {MAX_PREFIX_LEN}",
                    cidr.prefix_len()
                ),
            ));
        }
        let block = match &group.cidr {
            None => None,
            Some(s) => {
                let field = format!("{}.cidr", kind.field());
                let block = parse_net(s)
                    .map_err(|p| scope.invalid(&field, p, "write it as `10.0.16.0/20`"))?;
                if !cidr.contains(&block) {
                    return Err(scope.invalid(
                        &field,
                        format!("`{block}` is not inside the VPC CIDR `{cidr}`"),
                        "reserve a range of the VPC CIDR",
                    ));
                }
                let fits =
                    block.prefix_len() <= mask && (1u64 << (mask - block.prefix_len())) >= n as u64;
                if !fits {
                    return Err(scope.invalid(
                        &field,
                        format!("`{block}` cannot hold {n} subnets of /{mask}"),
                        "reserve a larger range, use smaller subnets, or span fewer AZs",
                    ));
                }
                Some(block)
            }
        };
        specs.push((*kind, mask, block));
    }
    for (i, (a_kind, _, a)) in specs.iter().enumerate() {
        for (b_kind, _, b) in &specs[i + 1..] {
            if let (Some(a), Some(b)) = (a, b) {
                if overlaps(a, b) {
                    return Err(scope.invalid(
                        &format!("{}.cidr", b_kind.field()),
                        format!("`{b}` overlaps `{a}` reserved for `{}`", a_kind.field()),
                        "reserve ranges that do not overlap",
                    ));
                }
            }
        }
    }
    let nets = allocate(cidr, &specs, n).map_err(|kind| {
        scope.invalid(
            &format!("{}.cidr_mask", kind.field()),
            format!(
                "the subnet groups do not fit in `{cidr}`: the {} subnets run past its end",
                kind.label().to_lowercase()
            ),
            "use a larger `cidr`, smaller subnets (larger masks), or fewer AZs",
        )
    })?;
    let planned: Vec<(SubnetType, Vec<Ipv4Net>)> =
        specs.iter().map(|(k, _, _)| *k).zip(nets).collect();

    let has = |t: SubnetType| specs.iter().any(|(k, _, _)| *k == t);
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
    Ok(Plan {
        cidr,
        azs,
        groups: planned,
        endpoints,
    })
}

/// Allocates `n` subnets per group: from its reserved range when it has one, else from a
/// cursor moving up through the VPC CIDR (aligned to each mask, skipping reserved ranges), so
/// groups follow each other in order and subnets in AZ order. Returns the group that does not
/// fit.
fn allocate(
    vpc: Ipv4Net,
    specs: &[(SubnetType, u8, Option<Ipv4Net>)],
    n: usize,
) -> std::result::Result<Vec<Vec<Ipv4Net>>, SubnetType> {
    let start = |net: &Ipv4Net| u64::from(u32::from(net.network()));
    let end = |net: &Ipv4Net| u64::from(u32::from(net.broadcast())) + 1;
    let reserved: Vec<Ipv4Net> = specs.iter().filter_map(|(_, _, b)| *b).collect();
    let mut cursor = start(&vpc);
    let mut out = Vec::with_capacity(specs.len());
    for (kind, mask, block) in specs {
        let mut nets = Vec::with_capacity(n);
        if let Some(block) = block {
            nets.extend(block.subnets(*mask).map_err(|_| *kind)?.take(n));
            if nets.len() < n {
                return Err(*kind);
            }
            out.push(nets);
            continue;
        }
        let size = 1u64 << (32 - u32::from(*mask));
        while nets.len() < n {
            let first = cursor.div_ceil(size) * size;
            if first + size > end(&vpc) {
                return Err(*kind);
            }
            let addr = u32::try_from(first).map_err(|_| *kind)?;
            let net = Ipv4Net::new(addr.into(), *mask).map_err(|_| *kind)?;
            match reserved.iter().find(|r| overlaps(r, &net)) {
                Some(r) => cursor = cursor.max(end(r)),
                None => {
                    nets.push(net);
                    cursor = first + size;
                }
            }
        }
        out.push(nets);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn allocation_is_in_group_then_az_order_and_aligned() {
        let specs = [
            (SubnetType::Public, 24, None),
            (SubnetType::PrivateWithEgress, 22, None),
            (SubnetType::Isolated, 24, None),
        ];
        let got = allocate(net("10.0.0.0/16"), &specs, 2).unwrap();
        let got: Vec<Vec<String>> = got
            .iter()
            .map(|g| g.iter().map(ToString::to_string).collect())
            .collect();
        assert_eq!(
            got,
            [
                ["10.0.0.0/24", "10.0.1.0/24"],
                ["10.0.4.0/22", "10.0.8.0/22"],
                ["10.0.12.0/24", "10.0.13.0/24"],
            ]
        );
    }

    #[test]
    fn automatic_groups_skip_reserved_ranges() {
        let specs = [
            (SubnetType::Public, 24, None),
            (SubnetType::Isolated, 24, Some(net("10.0.1.0/24"))),
        ];
        let got = allocate(net("10.0.0.0/22"), &specs, 1).unwrap();
        assert_eq!(got, [[net("10.0.0.0/24")], [net("10.0.1.0/24")]]);
        let specs = [
            (SubnetType::Public, 24, None),
            (SubnetType::Isolated, 25, Some(net("10.0.1.0/24"))),
        ];
        let got = allocate(net("10.0.0.0/22"), &specs, 2).unwrap();
        // The second public subnet jumps over the reserved range.
        assert_eq!(got[0], [net("10.0.0.0/24"), net("10.0.2.0/24")]);
        let specs = [
            (SubnetType::Isolated, 24, Some(net("10.0.0.0/24"))),
            (SubnetType::Public, 24, None),
        ];
        let got = allocate(net("10.0.0.0/22"), &specs, 2);
        // Two /24 from the reserved /24 do not fit.
        assert_eq!(got, Err(SubnetType::Isolated));
        let specs = [
            (SubnetType::Isolated, 25, Some(net("10.0.0.0/24"))),
            (SubnetType::Public, 24, None),
        ];
        let got = allocate(net("10.0.0.0/22"), &specs, 2).unwrap();
        assert_eq!(got[1], [net("10.0.1.0/24"), net("10.0.2.0/24")]);
    }

    #[test]
    fn a_group_past_the_end_is_reported() {
        let specs = [(SubnetType::PrivateWithEgress, 24, None)];
        assert_eq!(
            allocate(net("10.0.0.0/24"), &specs, 2),
            Err(SubnetType::PrivateWithEgress)
        );
        let top = [(SubnetType::Public, 28, None)];
        assert_eq!(
            allocate(net("255.255.255.224/27"), &top, 2).unwrap()[0].len(),
            2
        );
        assert!(allocate(net("255.255.255.224/27"), &top, 3).is_err());
    }
}
