//! Validation of property values against resource schemas.

use serde_json::json;

use super::*;
use crate::expr::{ConditionRef, MappingRef, StackKey};
use crate::schema::{type_info, type_names};

#[test]
fn plain_attribute_names_match_as_their_regex_would() {
    let cases = [
        ("Arn", "Arn", true),
        ("Arn", "Arns", false),
        ("Endpoint.Address", "Endpoint.Address", true),
        ("Endpoint.Address", "EndpointxAddress", true),
        ("Endpoint.Address", "Endpoint\nAddress", false),
        ("Outputs\\..*", "Outputs.VpcId", true),
        ("Outputs\\..*", "OutputsXVpcId", false),
    ];
    for (source, s, want) in cases {
        assert_eq!(full_match(source, s), want, "{source} ~ {s:?}");
        let re = Regex::new(&format!("^(?:{source})$")).unwrap();
        assert_eq!(
            re.is_match(s),
            want,
            "the regex crate agrees: {source} ~ {s:?}"
        );
    }
}

fn props(v: serde_json::Value) -> ExprMap {
    match Expr::from(v) {
        Expr::Map(m) => m,
        other => panic!("not an object: {other:?}"),
    }
}

fn check(type_name: &str, properties: ExprMap) -> Vec<Violation> {
    validate(type_info(type_name).expect("vendored type"), &properties)
}

/// The single violation `properties` has, as (property, problem).
fn one(type_name: &str, v: serde_json::Value) -> (String, String) {
    let found = check(type_name, props(v));
    assert_eq!(found.len(), 1, "{found:#?}");
    (found[0].property.clone(), found[0].problem.clone())
}

#[test]
fn every_vendored_schema_parses() {
    for name in type_names() {
        let info = type_info(name).unwrap();
        let schema = info.schema().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(schema["typeName"], info.type_name);
        assert!(schema["properties"].is_object(), "{name}");
        // The index is sorted, so type_info's binary search finds every type.
        assert!(std::ptr::eq(type_info(name).unwrap(), info));
    }
}

#[test]
fn schemas_are_parsed_once() {
    let info = type_info("AWS::EC2::VPC").unwrap();
    assert!(std::ptr::eq(info.schema().unwrap(), info.schema().unwrap()));
}

#[test]
fn minimal_valid_resources_pass() {
    let cases = [
        (
            "AWS::EC2::VPC",
            json!({"CidrBlock": "10.0.0.0/16", "EnableDnsSupport": true,
                   "Tags": [{"Key": "app", "Value": "api"}]}),
        ),
        (
            "AWS::EC2::Subnet",
            json!({"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24"}),
        ),
        (
            "AWS::Logs::LogGroup",
            json!({"LogGroupName": "/app/api", "RetentionInDays": 30}),
        ),
        (
            "AWS::KMS::Alias",
            json!({"AliasName": "alias/app", "TargetKeyId": "k"}),
        ),
        (
            "AWS::IAM::Role",
            json!({"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
                   "MaxSessionDuration": 3600}),
        ),
        (
            "AWS::ElasticLoadBalancingV2::Listener",
            json!({"LoadBalancerArn": "arn", "Port": 443, "Protocol": "HTTPS",
                   "DefaultActions": [{"Type": "forward", "TargetGroupArn": "arn"}]}),
        ),
        (
            "AWS::Backup::BackupVault",
            json!({"BackupVaultName": "vault", "BackupVaultTags": {"app": "api"}}),
        ),
        (
            "AWS::IAM::Policy",
            json!({"PolicyName": "p", "PolicyDocument": {}, "Roles": ["r"]}),
        ),
    ];
    for (type_name, v) in cases {
        assert_eq!(check(type_name, props(v)), [], "{type_name}");
    }
}

#[test]
fn unknown_property_suggests_the_closest_name() {
    let (property, problem) = one("AWS::EC2::VPC", json!({"CidrBlok": "10.0.0.0/16"}));
    assert_eq!(property, "CidrBlok");
    assert!(problem.contains("did you mean CidrBlock?"), "{problem}");
    let (_, problem) = one("AWS::EC2::VPC", json!({"Colour": "blue"}));
    assert!(
        problem.contains("AWS::EC2::VPC has no property Colour"),
        "{problem}"
    );
}

#[test]
fn missing_required_property() {
    let (property, problem) = one("AWS::EC2::Subnet", json!({"CidrBlock": "10.0.0.0/24"}));
    assert_eq!(property, "VpcId");
    assert!(problem.contains("required"), "{problem}");
    // AWS::NoValue removes the property.
    let mut p = ExprMap::new();
    p.insert("VpcId", Expr::no_value());
    assert_eq!(check("AWS::EC2::Subnet", p)[0].property, "VpcId");
}

#[test]
fn literal_of_the_wrong_type() {
    let (property, problem) = one("AWS::EC2::VPC", json!({"EnableDnsSupport": "yes"}));
    assert_eq!(property, "EnableDnsSupport");
    assert_eq!(
        problem,
        "expected a boolean (true or false), got the string \"yes\""
    );
    let (_, problem) = one("AWS::EC2::VPC", json!({"CidrBlock": ["10.0.0.0/16"]}));
    assert_eq!(problem, "expected a string, got a list");
    let (_, problem) = one("AWS::Logs::LogGroup", json!({"Tags": {"app": "api"}}));
    assert_eq!(problem, "expected a list, got an object");
    // CloudFormation converts these, so they are fine.
    let fine = json!({"EnableDnsSupport": "true", "Ipv4NetmaskLength": "16"});
    assert_eq!(check("AWS::EC2::VPC", props(fine)), []);
}

#[test]
fn value_outside_enum() {
    let (property, problem) = one("AWS::EC2::VPC", json!({"InstanceTenancy": "shared"}));
    assert_eq!(property, "InstanceTenancy");
    assert!(
        problem.contains("use one of \"dedicated\", \"default\", \"host\""),
        "{problem}"
    );
    let (_, problem) = one("AWS::Logs::LogGroup", json!({"RetentionInDays": 8}));
    assert!(problem.contains("1, 3, 5, 7, 14"), "{problem}");
    assert_eq!(
        check(
            "AWS::Logs::LogGroup",
            props(json!({"RetentionInDays": "7"}))
        ),
        []
    );
}

#[test]
fn pattern_mismatch() {
    let (property, problem) = one(
        "AWS::KMS::Alias",
        json!({"AliasName": "app", "TargetKeyId": "k"}),
    );
    assert_eq!(property, "AliasName");
    assert!(problem.contains("does not match the pattern"), "{problem}");
    // `\Z` (Python's end of text) is understood.
    let (_, problem) = one("AWS::Logs::LogGroup", json!({"LogGroupName": "a b"}));
    assert!(problem.contains("does not match"), "{problem}");
}

#[test]
fn number_out_of_bounds() {
    let listener = |port| {
        json!({"LoadBalancerArn": "arn", "Port": port,
               "DefaultActions": [{"Type": "forward"}]})
    };
    let (property, problem) = one("AWS::ElasticLoadBalancingV2::Listener", listener(70000));
    assert_eq!(property, "Port");
    assert_eq!(problem, "70000 is above the maximum 65535");
    let (_, problem) = one("AWS::ElasticLoadBalancingV2::Listener", listener(0));
    assert_eq!(problem, "0 is below the minimum 1");
}

#[test]
fn string_length_out_of_bounds() {
    let long = "r".repeat(65);
    let v = json!({"AssumeRolePolicyDocument": {}, "RoleName": long});
    let (property, problem) = one("AWS::IAM::Role", v);
    assert_eq!(property, "RoleName");
    assert_eq!(problem, "is 65 characters long, longer than the maximum 64");
    let (_, problem) = one(
        "AWS::IAM::Role",
        json!({"AssumeRolePolicyDocument": {},
                                                     "PermissionsBoundary": "arn"}),
    );
    assert_eq!(problem, "is 3 characters long, shorter than the minimum 20");
}

#[test]
fn list_length_out_of_bounds() {
    let (property, problem) = one(
        "AWS::ECR::Repository",
        json!({"ImageTagMutabilityExclusionFilters": []}),
    );
    assert_eq!(property, "ImageTagMutabilityExclusionFilters");
    assert_eq!(problem, "has 0 items, fewer than the minimum 1");
    let tags: Vec<_> = (0..51)
        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
        .collect();
    let (_, problem) = one("AWS::ECR::Repository", json!({"Tags": tags}));
    assert_eq!(problem, "has 51 items, more than the maximum 50");
}

#[test]
fn nested_objects_are_checked_with_readable_paths() {
    let (property, problem) = one("AWS::EC2::VPC", json!({"Tags": [{"Key": "app"}]}));
    assert_eq!(property, "Tags[0].Value");
    assert!(problem.contains("required by Tags[0]"), "{problem}");
    let (property, _) = one(
        "AWS::EC2::VPC",
        json!({"Tags": [{"Key": "a", "Value": "b", "Kye": "c"}]}),
    );
    assert_eq!(property, "Tags[0].Kye");
    let v = json!({"Configuration": {"ExecuteCommandConfiguration": {
        "LogConfiguration": {"CloudWatchEncryptionEnabled": "yes"}}}});
    let (property, _) = one("AWS::ECS::Cluster", v);
    assert_eq!(
        property,
        "Configuration.ExecuteCommandConfiguration.LogConfiguration.CloudWatchEncryptionEnabled"
    );
    let (property, _) = one(
        "AWS::Backup::BackupVault",
        json!({"BackupVaultName": "vault", "BackupVaultTags": {"app": [1]}}),
    );
    assert_eq!(property, "BackupVaultTags.app");
}

#[test]
fn read_only_property_is_an_attribute() {
    let (property, problem) = one("AWS::EC2::VPC", json!({"VpcId": "vpc-1"}));
    assert_eq!(property, "VpcId");
    assert!(
        problem.starts_with("VpcId is an attribute, not a property"),
        "{problem}"
    );
    let v = json!({"VpcEncryptionControl": {"Mode": "monitor", "VpcId": "vpc-1"}});
    let (property, _) = one("AWS::EC2::VPC", v);
    assert_eq!(property, "VpcEncryptionControl.VpcId");
}

#[test]
fn required_alternatives() {
    let base = json!({"PolicyName": "p", "PolicyDocument": {}});
    let (property, problem) = one("AWS::IAM::Policy", base);
    assert_eq!(property, "");
    assert!(
        problem.contains("needs one of Users, Groups, Roles"),
        "{problem}"
    );
}

#[test]
fn intrinsics_are_accepted_anywhere() {
    let stack = StackKey::new("dev", "network");
    let condition = ConditionRef::new(stack.clone(), "IsProd");
    let map = MappingRef::new(stack, "Tenancy");
    let mut p = ExprMap::new();
    p.insert("CidrBlock", Expr::local_ref("CidrParam"));
    p.insert(
        "EnableDnsSupport",
        Expr::if_(&condition, true, Expr::no_value()),
    );
    p.insert("InstanceTenancy", Expr::find_in_map(&map, "a", "b"));
    p.insert("Ipv4NetmaskLength", Expr::select(0, Expr::get_azs()));
    p.insert("Tags", Expr::local_ref("TagList"));
    assert_eq!(check("AWS::EC2::VPC", p), []);
    let mut p = ExprMap::new();
    p.insert("VpcId", Expr::import_value("net-VpcId"));
    p.insert(
        "Tags",
        Expr::list([Expr::map([
            ("Key", Expr::str("a")),
            ("Value", Expr::region()),
        ])]),
    );
    assert_eq!(check("AWS::EC2::Subnet", p), []);
    // Intrinsics in a template ported as JSON are maps.
    let ported = json!({"VpcId": {"Ref": "Vpc"}, "CidrBlock": {"Fn::Select": [0, []]}});
    assert_eq!(check("AWS::EC2::Subnet", props(ported)), []);
}
