//! Validation of raw resource properties against the schema index. The validator lives in
//! `stackforge-core` ([`mod@stackforge_core::schema::validate`]) so that `check` can run it on any
//! template; this module keeps its path.

pub use stackforge_core::schema::validate::{validate, Violation};

#[cfg(test)]
mod tests {
    use crate::expr::ExprMap;

    use super::*;
    use crate::resource::{type_info, CfnResource};
    use crate::resources::{ec2, logs};
    use crate::{Bool, Expr, Tag};

    fn check(type_name: &str, properties: ExprMap) -> Vec<Violation> {
        validate(type_info(type_name).expect("vendored type"), &properties)
    }

    #[test]
    fn typed_resources_render_valid_properties() {
        let vpc = ec2::Vpc {
            cidr_block: Some("10.0.0.0/16".into()),
            enable_dns_hostnames: Some(true.into()),
            instance_tenancy: Some(ec2::vpc::InstanceTenancy::Default),
            tags: Some(vec![Tag::new("app", "api")]),
            ..Default::default()
        };
        assert_eq!(check("AWS::EC2::VPC", vpc.into_properties()), []);
        let subnet = ec2::Subnet {
            map_public_ip_on_launch: Some(Bool::from(false)),
            ..ec2::Subnet::new(Expr::local_ref("Vpc"))
        };
        assert_eq!(check("AWS::EC2::Subnet", subnet.into_properties()), []);
        let logs = logs::LogGroup {
            retention_in_days: Some(30.into()),
            ..Default::default()
        };
        assert_eq!(check("AWS::Logs::LogGroup", logs.into_properties()), []);
    }
}
