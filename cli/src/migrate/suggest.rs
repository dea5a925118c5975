//! Construct suggestions: groups of migrated resources that one of stackforge's constructs
//! would declare, written as comments above the resources. They never change the output:
//! adopting a construct is a later, reviewed change (with `keep_logical_ids_of` or
//! `declare_rename`, so nothing is replaced).

use stackforge_construct_model::Template;

/// A construct and the resource types whose presence suggests it.
struct Pattern {
    construct: &'static str,
    /// Every type here must occur for the suggestion.
    requires: &'static [&'static str],
    /// Types counted into the group besides the required ones.
    also: &'static [&'static str],
}

const PATTERNS: &[Pattern] = &[
    Pattern {
        construct: "stackforge_constructs::aws::ec2::Vpc",
        requires: &["AWS::EC2::VPC", "AWS::EC2::Subnet"],
        also: &[
            "AWS::EC2::InternetGateway",
            "AWS::EC2::VPCGatewayAttachment",
            "AWS::EC2::RouteTable",
            "AWS::EC2::Route",
            "AWS::EC2::SubnetRouteTableAssociation",
            "AWS::EC2::NatGateway",
            "AWS::EC2::EIP",
            "AWS::EC2::FlowLog",
        ],
    },
    Pattern {
        construct: "stackforge_constructs::aws::rds::RdsEncrypted",
        requires: &["AWS::RDS::DBInstance"],
        also: &[
            "AWS::RDS::DBSubnetGroup",
            "AWS::RDS::DBParameterGroup",
            "AWS::KMS::Key",
            "AWS::SecretsManager::Secret",
        ],
    },
    Pattern {
        construct: "stackforge_constructs::aws::ecs_patterns::LoadBalancedFargateService",
        requires: &[
            "AWS::ECS::Service",
            "AWS::ECS::TaskDefinition",
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
        ],
        also: &[
            "AWS::ECS::Cluster",
            "AWS::ElasticLoadBalancingV2::Listener",
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            "AWS::Logs::LogGroup",
        ],
    },
    Pattern {
        construct: "stackforge_constructs::aws::cloudtrail::Trail",
        requires: &["AWS::CloudTrail::Trail"],
        also: &["AWS::S3::BucketPolicy"],
    },
];

/// One sentence per construct the template's resources look like.
pub fn suggestions(t: &Template) -> Vec<String> {
    let has = |ty: &str| t.resources.values().any(|r| r.type_name == ty);
    PATTERNS
        .iter()
        .filter(|p| p.requires.iter().all(|ty| has(ty)))
        .map(|p| {
            let count = t
                .resources
                .values()
                .filter(|r| {
                    p.requires.contains(&r.type_name.as_str())
                        || p.also.contains(&r.type_name.as_str())
                })
                .count();
            format!(
                "these {count} resources ({}) look like a `{}`; adopt it later with `stack.keep_logical_ids_of` so nothing is replaced.",
                p.requires
                    .iter()
                    .chain(p.also.iter())
                    .filter(|ty| has(ty))
                    .map(|ty| ty.rsplit("::").next().unwrap_or(ty))
                    .collect::<Vec<_>>()
                    .join(", "),
                p.construct
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vpc_with_subnets_suggests_the_vpc_construct() {
        let t = stackforge_construct_model::document::parse(
            r#"{"Resources": {
                "V": {"Type": "AWS::EC2::VPC"},
                "S": {"Type": "AWS::EC2::Subnet"},
                "R": {"Type": "AWS::EC2::RouteTable"},
                "Q": {"Type": "AWS::SQS::Queue"}}}"#,
        )
        .unwrap();
        let s = suggestions(&t);
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(
            s[0].starts_with("these 3 resources (VPC, Subnet, RouteTable)"),
            "{}",
            s[0]
        );
        assert!(s[0].contains("aws::ec2::Vpc"));
    }
}
