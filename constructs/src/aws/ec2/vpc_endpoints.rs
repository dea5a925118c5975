//! VPC endpoints: AWS services reached from the private subnets without NAT — S3 through a
//! gateway endpoint on their route tables, the others through interface endpoints with
//! private DNS and their own security group accepting HTTPS from the VPC only.

use crate::aws::ec2::{SecurityGroup, SecurityGroupProps, Vpc};
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::resources::ec2;
use crate::resources::ec2::vpc_endpoint::VpcEndpointType;
use crate::scope::Scope;
use crate::value::{Str, Tag};

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

/// The endpoints of a VPC's private subnets.
#[derive(Debug, Clone)]
pub struct VpcEndpoints {
    security_group: Option<SecurityGroup>,
}

impl VpcEndpoints {
    /// Adds an endpoint per service under `scope/id` (`S3`, `EcrApi`, ...) for `vpc`'s
    /// private subnets, and the interface endpoints' security group (`SecurityGroup`,
    /// `HttpsFromVpc`), described after `scope`'s path (the VPC's, when the VPC adds them).
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        vpc: &Vpc,
        services: &[VpcEndpointService],
    ) -> Result<VpcEndpoints> {
        let vpc_path = scope.path().to_owned();
        let path = format!("{vpc_path}/{id}");
        let invalid =
            |problem: &str, fix: &str| Err(Error::invalid_props(&path, "services", problem, fix));
        if services.is_empty() {
            return invalid(
                "no service is given",
                "list the services the private subnets reach",
            );
        }
        if vpc.private_subnets().is_empty() {
            return invalid(
                "VPC endpoints serve the private subnets, and the VPC has none",
                "give the VPC private subnets, or drop the endpoints",
            );
        }
        let Some(cidr) = vpc.cidr().as_str().map(str::to_owned) else {
            return invalid(
                "the VPC's CIDR is not known here, so the endpoints' security group cannot admit it",
                "add the endpoints where the VPC's CIDR is known (in the VPC's stack)",
            );
        };
        let mut unique: Vec<VpcEndpointService> = Vec::new();
        for s in services {
            if !unique.contains(s) {
                unique.push(*s);
            }
        }
        let attrs = &vpc.attrs;
        let mut scope = scope.construct(id, "VpcEndpoints")?;
        let path = scope.path().to_owned();
        let service_name = |s: VpcEndpointService| {
            Str::from(Expr::concat([
                Expr::str("com.amazonaws."),
                Expr::region(),
                Expr::str(format!(".{}", s.suffix())),
            ]))
        };
        let interface = unique.iter().any(|s| *s != VpcEndpointService::S3);
        let group = if interface {
            let group = SecurityGroup::new(
                &mut scope,
                "SecurityGroup",
                &attrs.vpc_id,
                SecurityGroupProps {
                    description: crate::names::ec2_description(&format!(
                        "Interface endpoints of {vpc_path}"
                    )),
                    ..Default::default()
                },
            )?;
            group.allow_from_cidr(
                &mut scope,
                "HttpsFromVpc",
                &cidr,
                443,
                "HTTPS from inside the VPC",
            )?;
            Some(group)
        } else {
            None
        };
        for service in &unique {
            let tags = Some(vec![Tag::new(
                "Name",
                crate::names::tag_value(&format!("{path}/{}", service.id())),
            )]);
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
        Ok(VpcEndpoints {
            security_group: group,
        })
    }

    /// The interface endpoints' security group, if there are interface endpoints.
    pub fn security_group(&self) -> Option<&SecurityGroup> {
        self.security_group.as_ref()
    }
}
