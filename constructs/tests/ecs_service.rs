//! `EcsService`: a Fargate service behind an HTTPS load balancer, hardened as sections 3, 4
//! and 5 of the security guide ask. Each guide item has an assertion named after it.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use serde_json::{json, Value};
use stackforge_constructs::aws::cloudwatch::{Metric, Statistic};
use stackforge_constructs::aws::ec2::{
    SecurityGroup, SecurityGroupProps, Subnet, Vpc, VpcAttributes,
};
use stackforge_constructs::aws::ecr::{Repository, RepositoryProps};
use stackforge_constructs::aws::ecs::{
    ContainerHealthCheck, CpuArchitecture, EcsService, EcsServiceProps, ImageRef, OidcProps,
    SecretRef, TlsPolicy,
};
use stackforge_constructs::aws::iam::{attach_policy, PolicyDocument, Statement};
use stackforge_constructs::aws::refs::{
    KmsKeyArn, RepositoryArn, RepositoryName, RouteTableId, SecretArn, SubnetId, VpcId,
};
use stackforge_constructs::aws::wafv2::{WebAcl, WebAclProps};
use stackforge_constructs::testing::{
    resources_of_type as of_type, synth_stack, synth_template as synth,
};
use stackforge_constructs::Expr;

const DB_SECRET: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:migration-api/db-AbCdEf";
const API_KEYS: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:migration-api/api-keys-GhIjKl";
const OIDC_SECRET: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:migration-api/oidc-MnOpQr";
const SECRETS_KEY: &str =
    "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1234-5678-9abc-0123456789ab";

fn subnet(id: &str, az: &str, rtb: &str) -> Subnet {
    Subnet {
        id: SubnetId::from_expr(id),
        availability_zone: Expr::str(az),
        route_table: RouteTableId::from_expr(rtb),
    }
}

fn vpc() -> Vpc {
    Vpc::from_attributes(VpcAttributes {
        vpc_id: VpcId::from_expr("vpc-0123456789abcdef0"),
        cidr: Expr::str("10.0.0.0/16"),
        public_subnets: vec![
            subnet(
                "subnet-0a1b2c3d4e5f60001",
                "us-east-1a",
                "rtb-0a1b2c3d4e5f60001",
            ),
            subnet(
                "subnet-0a1b2c3d4e5f60002",
                "us-east-1b",
                "rtb-0a1b2c3d4e5f60001",
            ),
        ],
        private_subnets: vec![
            subnet(
                "subnet-0a1b2c3d4e5f60003",
                "us-east-1a",
                "rtb-0a1b2c3d4e5f60002",
            ),
            subnet(
                "subnet-0a1b2c3d4e5f60004",
                "us-east-1b",
                "rtb-0a1b2c3d4e5f60003",
            ),
        ],
        isolated_subnets: vec![],
    })
}

fn customised_props() -> EcsServiceProps {
    let mut environment = IndexMap::new();
    environment.insert("LOG_LEVEL".to_owned(), Expr::str("info"));
    environment.insert("APP_REGION".to_owned(), Expr::region());
    let mut secrets = IndexMap::new();
    secrets.insert(
        "DB_PASSWORD".to_owned(),
        SecretRef::json_key(SecretArn::from_expr(DB_SECRET), "password")
            .with_kms_key(KmsKeyArn::from_expr(SECRETS_KEY)),
    );
    secrets.insert(
        "API_KEYS".to_owned(),
        SecretRef::new(SecretArn::from_expr(API_KEYS)),
    );
    EcsServiceProps {
        image: ImageRef::Tag(Expr::str("1.4.2")),
        cpu: 1024,
        memory_mib: 4096,
        container_cpu: Some(768),
        container_memory_mib: Some(3072),
        cpu_architecture: CpuArchitecture::Arm64,
        user: "10001:10001".into(),
        scratch_paths: vec!["/tmp".into(), "/var/cache/app".into()],
        container_port: 3000,
        environment,
        secrets,
        cors_allowed_origins: vec![
            "https://app.example.com".into(),
            "https://admin.example.com:8443".into(),
        ],
        health_check: Some(ContainerHealthCheck::new(["CMD", "/app/healthcheck"])),
        log_retention_days: 90,
        min_tasks: 3,
        max_tasks: 10,
        cpu_target_percent: 50,
        certificate_default: Some(
            "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1234-5678-9abc-0123456789ab"
                .into(),
        ),
        tls_policy: TlsPolicy::Tls13Tls12Restricted,
        deletion_protection: false,
        idle_timeout_seconds: 120,
        health_check_path: "/ready".into(),
        oidc: Some(OidcProps::new(
            "https://id.example.com",
            "https://id.example.com/oauth2/authorize",
            "https://id.example.com/oauth2/token",
            "https://id.example.com/oauth2/userinfo",
            "migration-api",
            SecretRef::json_key(SecretArn::from_expr(OIDC_SECRET), "client_secret"),
        )),
        waf: WebAclProps {
            rate_limit: 500,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn default_template() -> Value {
    synth("ecs_service_default", |s| {
        EcsService::new(s, "Service", &vpc(), EcsServiceProps::default())?;
        Ok(())
    })
}

fn customised_template() -> Value {
    synth("ecs_service_customised", |s| {
        EcsService::new(s, "Service", &vpc(), customised_props())?;
        Ok(())
    })
}

fn err(props: EcsServiceProps) -> String {
    synth_stack(|s| EcsService::new(s, "Service", &vpc(), props).map(|_| ()))
        .unwrap_err()
        .to_string()
}

fn one<'a>(t: &'a Value, type_name: &str) -> &'a Value {
    let all = of_type(t, type_name);
    assert_eq!(all.len(), 1, "expected one {type_name}");
    &all[0].1["Properties"]
}

fn container(t: &Value) -> &Value {
    &one(t, "AWS::ECS::TaskDefinition")["ContainerDefinitions"][0]
}

fn listener(t: &Value, port: u64) -> &Value {
    of_type(t, "AWS::ElasticLoadBalancingV2::Listener")
        .into_iter()
        .map(|(_, r)| &r["Properties"])
        .find(|p| p["Port"] == json!(port))
        .unwrap_or_else(|| panic!("no listener on {port}"))
}

fn lb_attribute<'a>(t: &'a Value, key: &str) -> &'a Value {
    one(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")["LoadBalancerAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["Key"] == key)
        .map(|a| &a["Value"])
        .unwrap_or_else(|| panic!("no load balancer attribute {key}"))
}

// ---------------------------------------------------------------------------------------
// Snapshots

#[test]
fn default_service_snapshot() {
    insta::assert_json_snapshot!("ecs_service_default", default_template());
}

#[test]
fn customised_service_snapshot() {
    insta::assert_json_snapshot!("ecs_service_customised", customised_template());
}

// ---------------------------------------------------------------------------------------
// 3. Container security

#[test]
fn image_scanning_ecr_scans_on_push_with_immutable_kms_encrypted_images() {
    let t = default_template();
    let repo = one(&t, "AWS::ECR::Repository");
    assert_eq!(
        repo["ImageScanningConfiguration"],
        json!({"ScanOnPush": true})
    );
    assert_eq!(repo["ImageTagMutability"], json!("IMMUTABLE"));
    assert_eq!(
        repo["EncryptionConfiguration"]["EncryptionType"],
        json!("KMS")
    );
    assert!(repo["EncryptionConfiguration"]["KmsKey"]["Fn::GetAtt"].is_array());
    assert!(repo.get("RepositoryName").is_none(), "no hard-coded name");
    let lifecycle: Value = serde_json::from_str(
        repo["LifecyclePolicy"]["LifecyclePolicyText"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(lifecycle["rules"][0]["selection"]["countNumber"], json!(30));
    // The image is the repository pinned by the digest from the `ImageDigest` parameter.
    assert_eq!(
        container(&t)["Image"],
        json!({"Fn::Sub": format!(
            "${{{}.RepositoryUri}}@${{ImageDigest}}",
            of_type(&t, "AWS::ECR::Repository")[0].0
        )})
    );
    assert_eq!(
        t["Parameters"]["ImageDigest"]["AllowedPattern"],
        json!("sha256:[a-f0-9]{64}")
    );
}

#[test]
fn least_privilege_container_runs_as_non_root_with_a_read_only_root_filesystem() {
    for t in [default_template(), customised_template()] {
        let c = container(&t);
        let user = c["User"].as_str().unwrap();
        assert!(!["", "root", "0", "0:0"].contains(&user), "{user}");
        assert_eq!(c["ReadonlyRootFilesystem"], json!(true));
        assert_eq!(c["Privileged"], json!(false));
        assert_eq!(c["LinuxParameters"]["Capabilities"]["Drop"], json!(["ALL"]));
        // Scratch paths are the only writable places, each on its own ephemeral volume.
        let mounts = c["MountPoints"].as_array().unwrap();
        assert!(mounts.iter().any(|m| m["ContainerPath"] == "/tmp"));
        let volumes = one(&t, "AWS::ECS::TaskDefinition")["Volumes"]
            .as_array()
            .unwrap();
        assert_eq!(volumes.len(), mounts.len());
        assert!(volumes.iter().all(|v| v.get("Host").is_none()));
    }
    assert_eq!(container(&default_template())["User"], json!("10001"));
}

#[test]
fn resource_limits_task_and_container_cpu_and_memory_are_always_set() {
    let t = default_template();
    let task = one(&t, "AWS::ECS::TaskDefinition");
    assert_eq!(
        (&task["Cpu"], &task["Memory"]),
        (&json!("512"), &json!("1024"))
    );
    assert_eq!(
        (&container(&t)["Cpu"], &container(&t)["Memory"]),
        (&json!(512), &json!(1024))
    );
    let t = customised_template();
    let task = one(&t, "AWS::ECS::TaskDefinition");
    assert_eq!(
        (&task["Cpu"], &task["Memory"]),
        (&json!("1024"), &json!("4096"))
    );
    assert_eq!(
        (&container(&t)["Cpu"], &container(&t)["Memory"]),
        (&json!(768), &json!(3072))
    );
    assert_eq!(task["NetworkMode"], json!("awsvpc"));
    assert_eq!(task["RequiresCompatibilities"], json!(["FARGATE"]));
    assert_eq!(
        task["RuntimePlatform"],
        json!({"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"})
    );
}

#[test]
fn network_policies_tasks_run_in_private_subnets_without_public_ips() {
    let t = default_template();
    let svc = one(&t, "AWS::ECS::Service");
    let net = &svc["NetworkConfiguration"]["AwsvpcConfiguration"];
    assert_eq!(net["AssignPublicIp"], json!("DISABLED"));
    assert_eq!(
        net["Subnets"],
        json!(["subnet-0a1b2c3d4e5f60003", "subnet-0a1b2c3d4e5f60004"])
    );
    assert_eq!(svc["LaunchType"], json!("FARGATE"));
    assert_eq!(svc["PlatformVersion"], json!("LATEST"));
    assert_eq!(
        svc["DeploymentConfiguration"],
        json!({"DeploymentCircuitBreaker": {"Enable": true, "Rollback": true},
               "MaximumPercent": 200, "MinimumHealthyPercent": 100})
    );
    assert_eq!(svc["EnableExecuteCommand"], json!(false));
    assert!(
        svc.get("DesiredCount").is_none(),
        "autoscaling owns the count"
    );
    // The service waits for the HTTPS listener that forwards to its target group.
    let (svc_id, svc_res) = &of_type(&t, "AWS::ECS::Service")[0];
    let https_id = of_type(&t, "AWS::ElasticLoadBalancingV2::Listener")
        .into_iter()
        .find(|(_, r)| r["Properties"]["Port"] == json!(443))
        .unwrap()
        .0;
    assert_eq!(svc_res["DependsOn"], json!(https_id), "{svc_id}");
    let lb = one(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer");
    assert_eq!(lb["Scheme"], json!("internet-facing"));
    assert_eq!(
        lb["Subnets"],
        json!(["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"])
    );
    let cluster = one(&t, "AWS::ECS::Cluster");
    assert_eq!(
        cluster["ClusterSettings"],
        json!([{"Name": "containerInsights", "Value": "enhanced"}])
    );
}

/// Security groups as a graph: every ingress rule (inline and separate) is an edge
/// `source -> group:port`; the only edges are internet -> ALB (80/443), ALB -> service
/// (container port) and service -> database.
#[test]
fn network_policies_security_group_graph_has_only_the_intended_paths() {
    let t = synth("ecs_service_sg_graph", |s| {
        let db = SecurityGroup::new(
            s,
            "Db",
            &VpcId::from_expr("vpc-0123456789abcdef0"),
            SecurityGroupProps::default(),
        )?;
        let service = EcsService::new(s, "Service", &vpc(), EcsServiceProps::default())?;
        db.allow_from(s, "DbFromService", &service, 5432, "service to database")?;
        service.allow_to(s, "ServiceToDb", &db, 5432)?;
        Ok(())
    });
    let resources = t["Resources"].as_object().unwrap();
    let group_name = |v: &Value| -> String {
        let id = v["Fn::GetAtt"][0].as_str().unwrap_or_else(|| panic!("{v}"));
        let path = resources[id]["Metadata"]["stackforge:path"]
            .as_str()
            .unwrap();
        match path {
            "test/Db/Resource" => "db",
            "test/Service/SecurityGroup/Resource" => "service",
            "test/Service/LoadBalancer/SecurityGroup/Resource" => "alb",
            other => panic!("unexpected security group {other}"),
        }
        .to_owned()
    };
    let mut edges = BTreeSet::new();
    let mut add = |group: String, rule: &Value| {
        let source = if let Some(sg) = rule.get("SourceSecurityGroupId") {
            group_name(sg)
        } else if let Some(c) = rule.get("CidrIp").or(rule.get("CidrIpv6")) {
            format!("cidr {}", c.as_str().unwrap())
        } else {
            panic!("ingress with no source: {rule}")
        };
        assert_eq!(rule["FromPort"], rule["ToPort"], "{rule}");
        edges.insert((source, group, rule["FromPort"].as_u64().unwrap()));
    };
    for (_, r) in of_type(&t, "AWS::EC2::SecurityGroup") {
        if let Some(inline) = r["Properties"].get("SecurityGroupIngress") {
            assert!(
                inline.as_array().unwrap().is_empty(),
                "inline ingress: {inline}"
            );
        }
    }
    for (_, r) in of_type(&t, "AWS::EC2::SecurityGroupIngress") {
        add(group_name(&r["Properties"]["GroupId"]), &r["Properties"]);
    }
    let want: BTreeSet<(String, String, u64)> = [
        ("cidr 0.0.0.0/0", "alb", 80),
        ("cidr 0.0.0.0/0", "alb", 443),
        ("cidr ::/0", "alb", 80),
        ("cidr ::/0", "alb", 443),
        ("alb", "service", 8080),
        ("service", "db", 5432),
    ]
    .into_iter()
    .map(|(a, b, p)| (a.to_owned(), b.to_owned(), p))
    .collect();
    assert_eq!(edges, want);

    // Egress: the ALB only reaches the service; the service reaches 443 and the database.
    let mut egress = BTreeSet::new();
    for (_, r) in of_type(&t, "AWS::EC2::SecurityGroupEgress") {
        let p = &r["Properties"];
        egress.insert((
            group_name(&p["GroupId"]),
            group_name(&p["DestinationSecurityGroupId"]),
            p["FromPort"].as_u64().unwrap(),
        ));
    }
    assert_eq!(
        egress,
        [("alb", "service", 8080), ("service", "db", 5432)]
            .into_iter()
            .map(|(a, b, p)| (a.to_owned(), b.to_owned(), p))
            .collect()
    );
    for (_, r) in of_type(&t, "AWS::EC2::SecurityGroup") {
        let path = r["Metadata"]["stackforge:path"].as_str().unwrap();
        let inline = &r["Properties"]["SecurityGroupEgress"];
        if path == "test/Service/SecurityGroup/Resource" {
            assert_eq!(
                inline,
                &json!([{"CidrIp": "0.0.0.0/0", "Description": "HTTPS to AWS APIs (through NAT or VPC endpoints)",
                         "FromPort": 443, "IpProtocol": "tcp", "ToPort": 443}])
            );
        } else {
            // The "disallow all" placeholder: no outbound CIDR rule at all.
            assert_eq!(inline[0]["CidrIp"], json!("255.255.255.255/32"), "{path}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// 4. API security

#[test]
fn rate_limiting_waf_rate_rule_and_managed_groups_are_associated_with_the_load_balancer() {
    let t = default_template();
    let acl = one(&t, "AWS::WAFv2::WebACL");
    assert_eq!(acl["Scope"], json!("REGIONAL"));
    assert_eq!(acl["DefaultAction"], json!({"Allow": {}}));
    let rules = acl["Rules"].as_array().unwrap();
    let rate = &rules[0];
    assert_eq!(
        rate["Statement"]["RateBasedStatement"],
        json!({"AggregateKeyType": "IP", "EvaluationWindowSec": 300, "Limit": 2000})
    );
    assert_eq!(rate["Action"], json!({"Block": {}}));
    let groups: Vec<&Value> = rules[1..]
        .iter()
        .map(|r| &r["Statement"]["ManagedRuleGroupStatement"]["Name"])
        .collect();
    assert_eq!(
        groups,
        [
            &json!("AWSManagedRulesCommonRuleSet"),
            &json!("AWSManagedRulesKnownBadInputsRuleSet")
        ]
    );
    for r in &rules[1..] {
        assert_eq!(r["OverrideAction"], json!({"None": {}}));
    }
    for vis in std::iter::once(&acl["VisibilityConfig"])
        .chain(rules.iter().map(|r| &r["VisibilityConfig"]))
    {
        assert_eq!(vis["CloudWatchMetricsEnabled"], json!(true));
        assert_eq!(vis["SampledRequestsEnabled"], json!(true));
    }
    let assoc = one(&t, "AWS::WAFv2::WebACLAssociation");
    let (acl_id, _) = of_type(&t, "AWS::WAFv2::WebACL")[0];
    let (lb_id, _) = of_type(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer")[0];
    assert_eq!(assoc["WebACLArn"], json!({"Fn::GetAtt": [acl_id, "Arn"]}));
    assert_eq!(assoc["ResourceArn"], json!({"Ref": lb_id}));
    let t = customised_template();
    assert_eq!(
        one(&t, "AWS::WAFv2::WebACL")["Rules"][0]["Statement"]["RateBasedStatement"]["Limit"],
        json!(500)
    );
}

#[test]
fn cors_allowed_origins_are_passed_to_the_container_as_configuration() {
    let t = customised_template();
    let env = container(&t)["Environment"].as_array().unwrap();
    assert!(env.contains(&json!({
        "Name": "CORS_ALLOWED_ORIGINS",
        "Value": "https://app.example.com,https://admin.example.com:8443"
    })));
    let t = default_template();
    assert!(container(&t).get("Environment").is_none());
}

#[test]
fn https_tls_listener_uses_a_tls12_policy_with_the_certificate_parameter_and_http_redirects() {
    let t = default_template();
    let https = listener(&t, 443);
    assert_eq!(https["Protocol"], json!("HTTPS"));
    assert_eq!(
        https["SslPolicy"],
        json!("ELBSecurityPolicy-TLS13-1-2-2021-06")
    );
    assert_eq!(
        https["Certificates"],
        json!([{"CertificateArn": {"Ref": "CertificateArn"}}])
    );
    let param = &t["Parameters"]["CertificateArn"];
    assert!(param["AllowedPattern"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws"));
    assert!(
        param.get("Default").is_none(),
        "operators must supply the certificate"
    );
    let http = listener(&t, 80);
    assert_eq!(http["Protocol"], json!("HTTP"));
    assert_eq!(
        http["DefaultActions"],
        json!([{"RedirectConfig": {"Port": "443", "Protocol": "HTTPS", "StatusCode": "HTTP_301"},
                "Type": "redirect"}])
    );
    assert_eq!(
        lb_attribute(&t, "routing.http.drop_invalid_header_fields.enabled"),
        &json!("true")
    );
    assert_eq!(
        lb_attribute(&t, "deletion_protection.enabled"),
        &json!("true")
    );
    assert_eq!(lb_attribute(&t, "access_logs.s3.enabled"), &json!("true"));
    let t = customised_template();
    assert_eq!(
        listener(&t, 443)["SslPolicy"],
        json!("ELBSecurityPolicy-TLS13-1-2-Res-2021-06")
    );
    assert!(t["Parameters"]["CertificateArn"]["Default"].is_string());
    assert_eq!(
        lb_attribute(&t, "deletion_protection.enabled"),
        &json!("false")
    );
}

#[test]
fn https_tls_access_logs_go_to_an_sse_s3_bucket_the_elb_log_delivery_may_write() {
    let t = default_template();
    let bucket = one(&t, "AWS::S3::Bucket");
    assert_eq!(
        bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
            ["ServerSideEncryptionByDefault"]["SSEAlgorithm"],
        json!("AES256")
    );
    let (bucket_id, _) = of_type(&t, "AWS::S3::Bucket")[0];
    let statements = one(&t, "AWS::S3::BucketPolicy")["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    let delivery = statements
        .iter()
        .find(|s| s["Sid"] == "ElbAccessLogDelivery")
        .unwrap();
    // The region's ELB account before August 2022, the log delivery service since.
    let principal =
        json!({"Fn::FindInMap": ["ElbAccessLogDelivery", {"Ref": "AWS::Region"}, "Principal"]});
    assert_eq!(
        delivery["Principal"],
        json!({"Fn::If": ["ElbAccessLogsFromRegionalAccount", {"AWS": principal}, {"Service": principal}]})
    );
    assert_eq!(delivery["Action"], json!("s3:PutObject"));
    assert_eq!(
        delivery["Resource"],
        json!({"Fn::Sub": format!("${{{bucket_id}.Arn}}/alb/AWSLogs/${{AWS::AccountId}}/*")})
    );
    assert_eq!(
        lb_attribute(&t, "access_logs.s3.bucket"),
        &json!({"Ref": bucket_id})
    );
    assert_eq!(lb_attribute(&t, "access_logs.s3.prefix"), &json!("alb"));
    // The load balancer checks its log permissions when created, so it waits for the policy.
    let (policy_id, _) = of_type(&t, "AWS::S3::BucketPolicy")[0];
    let (_, lb) = of_type(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer")[0];
    assert_eq!(lb["DependsOn"], json!(policy_id));
}

#[test]
fn authentication_oidc_runs_before_forwarding_and_the_secret_is_a_dynamic_reference() {
    let t = customised_template();
    let actions = listener(&t, 443)["DefaultActions"].as_array().unwrap();
    assert_eq!(actions.len(), 2);
    assert_eq!(actions[0]["Type"], json!("authenticate-oidc"));
    assert_eq!(actions[0]["Order"], json!(1));
    assert_eq!(actions[1]["Type"], json!("forward"));
    assert_eq!(actions[1]["Order"], json!(2));
    let oidc = &actions[0]["AuthenticateOidcConfig"];
    assert_eq!(
        oidc["ClientSecret"],
        json!(format!(
            "{{{{resolve:secretsmanager:{OIDC_SECRET}:SecretString:client_secret}}}}"
        ))
    );
    assert_eq!(oidc["Issuer"], json!("https://id.example.com"));
    assert_eq!(oidc["OnUnauthenticatedRequest"], json!("authenticate"));
    // The load balancer must reach the identity provider's endpoints.
    let (_, alb_sg) = of_type(&t, "AWS::EC2::SecurityGroup")
        .into_iter()
        .find(|(_, r)| {
            r["Metadata"]["stackforge:path"] == "test/Service/LoadBalancer/SecurityGroup/Resource"
        })
        .unwrap();
    assert_eq!(
        alb_sg["Properties"]["SecurityGroupEgress"][0]["FromPort"],
        json!(443)
    );
    // Without OIDC the listener only forwards.
    let t = default_template();
    let actions = listener(&t, 443)["DefaultActions"].as_array().unwrap();
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0]["Type"], json!("forward"));
}

#[test]
fn secrets_management_secrets_are_injected_from_secrets_manager_arns() {
    let t = customised_template();
    assert_eq!(
        container(&t)["Secrets"],
        json!([
            {"Name": "DB_PASSWORD", "ValueFrom": format!("{DB_SECRET}:password::")},
            {"Name": "API_KEYS", "ValueFrom": API_KEYS},
        ])
    );
    let text = t.to_string();
    assert!(!text.contains("hunter2"));
}

// ---------------------------------------------------------------------------------------
// 5. Infrastructure security: least-privilege IAM

/// Every identity policy in the template (role inline policies and `AWS::IAM::Policy`).
fn identity_policies(t: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (id, r) in t["Resources"].as_object().unwrap() {
        let p = &r["Properties"];
        match r["Type"].as_str().unwrap() {
            "AWS::IAM::Role" => {
                for inline in p["Policies"].as_array().into_iter().flatten() {
                    out.push((id.clone(), inline["PolicyDocument"].clone()));
                }
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                out.push((id.clone(), p["PolicyDocument"].clone()))
            }
            _ => {}
        }
    }
    out
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// Fails on a `*` action anywhere, and on a `*` resource for any action outside `allowed`.
fn assert_least_privilege(t: &Value, allowed_star: &[&str]) -> usize {
    let mut statements = 0;
    for (id, doc) in identity_policies(t) {
        for s in doc["Statement"].as_array().unwrap() {
            statements += 1;
            let actions = as_list(&s["Action"]);
            for a in &actions {
                let a = a.as_str().unwrap();
                assert!(a != "*" && !a.ends_with(":*"), "{id}: action {a}");
            }
            if as_list(&s["Resource"]).iter().any(|r| r == "*") {
                for a in &actions {
                    assert!(
                        allowed_star.contains(&a.as_str().unwrap()),
                        "{id}: {a} on `*`"
                    );
                }
            }
        }
    }
    // No policy of any kind (key and bucket policies included) allows every action.
    let mut stack = vec![t.clone()];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                if let Some(a) = m.get("Action") {
                    assert!(!as_list(a).contains(&json!("*")), "action * in {m:?}");
                }
                stack.extend(m.into_iter().map(|(_, v)| v));
            }
            Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    statements
}

#[test]
fn iam_policies_have_no_star_action_and_star_resource_only_for_registry_login() {
    for t in [default_template(), customised_template()] {
        assert!(assert_least_privilege(&t, &["ecr:GetAuthorizationToken"]) >= 3);
    }
}

#[test]
fn iam_execution_role_reaches_exactly_its_repository_log_group_and_secrets() {
    let t = customised_template();
    let roles = of_type(&t, "AWS::IAM::Role");
    let (_, exec) = roles
        .iter()
        .find(|(_, r)| r["Metadata"]["stackforge:path"] == "test/Service/ExecutionRole/Resource")
        .unwrap();
    let statements = &exec["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
    let by_sid = |sid: &str| {
        statements
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no statement {sid}"))
            .clone()
    };
    let (repo_id, _) = of_type(&t, "AWS::ECR::Repository")[0];
    let (logs_id, _) = of_type(&t, "AWS::Logs::LogGroup")[0];
    assert_eq!(
        by_sid("PullImage")["Resource"],
        json!({"Fn::GetAtt": [repo_id, "Arn"]})
    );
    assert_eq!(by_sid("RegistryLogin")["Resource"], json!("*"));
    assert_eq!(
        by_sid("WriteLogs")["Resource"],
        json!({"Fn::GetAtt": [logs_id, "Arn"]})
    );
    assert_eq!(
        by_sid("ReadSecrets")["Resource"],
        json!([DB_SECRET, API_KEYS])
    );
    assert_eq!(by_sid("DecryptSecrets")["Resource"], json!(SECRETS_KEY));
    assert_eq!(by_sid("DecryptSecrets")["Action"], json!("kms:Decrypt"));
    // The task role starts with nothing.
    let (_, task) = roles
        .iter()
        .find(|(_, r)| r["Metadata"]["stackforge:path"] == "test/Service/TaskRole/Resource")
        .unwrap();
    assert!(task["Properties"].get("Policies").is_none());
}

#[test]
fn task_role_takes_grants_and_ecs_exec_adds_only_the_ssm_channels() {
    let t = synth("ecs_service_exec", |s| {
        let svc = EcsService::new(
            s,
            "Service",
            &vpc(),
            EcsServiceProps {
                enable_execute_command: true,
                ..Default::default()
            },
        )?;
        attach_policy(
            s,
            "AppReadsQueue",
            &svc.task_role(),
            PolicyDocument::new(vec![Statement::allow(
                ["sqs:ReceiveMessage"],
                ["arn:aws:sqs:us-east-1:123456789012:jobs"],
            )]),
        )?;
        Ok(())
    });
    assert_eq!(
        one(&t, "AWS::ECS::Service")["EnableExecuteCommand"],
        json!(true)
    );
    assert_least_privilege(
        &t,
        &[
            "ecr:GetAuthorizationToken",
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel",
        ],
    );
    let (task_role_id, _) = of_type(&t, "AWS::IAM::Role")
        .into_iter()
        .find(|(_, r)| r["Metadata"]["stackforge:path"] == "test/Service/TaskRole/Resource")
        .unwrap();
    assert_eq!(
        one(&t, "AWS::IAM::Policy")["Roles"],
        json!([{"Ref": task_role_id}])
    );
}

// ---------------------------------------------------------------------------------------
// Scaling, handles and metrics

#[test]
fn autoscaling_tracks_cpu_between_min_and_max_tasks() {
    let t = customised_template();
    let target = one(&t, "AWS::ApplicationAutoScaling::ScalableTarget");
    assert_eq!(
        (&target["MinCapacity"], &target["MaxCapacity"]),
        (&json!(3), &json!(10))
    );
    assert_eq!(
        target["ScalableDimension"],
        json!("ecs:service:DesiredCount")
    );
    assert!(target.get("RoleARN").is_none(), "service-linked role");
    let policy = one(&t, "AWS::ApplicationAutoScaling::ScalingPolicy");
    let cfg = &policy["TargetTrackingScalingPolicyConfiguration"];
    assert_eq!(cfg["TargetValue"], json!(50));
    assert_eq!(
        cfg["PredefinedMetricSpecification"]["PredefinedMetricType"],
        json!("ECSServiceAverageCPUUtilization")
    );
    assert!(one(&t, "AWS::ECS::Service").get("DesiredCount").is_none());
}

#[test]
fn metrics_carry_the_dimensions_that_make_them_real() {
    let mut metrics: Vec<Metric> = Vec::new();
    let mut handles: Vec<Value> = Vec::new();
    let t = synth("ecs_service_metrics", |s| {
        let svc = EcsService::new(s, "Service", &vpc(), EcsServiceProps::default())?;
        metrics = vec![
            svc.metric_cpu(),
            svc.metric_memory(),
            svc.metric_request_count(),
            svc.metric_target_response_time(),
            svc.metric_http_5xx(),
        ];
        handles = [
            svc.load_balancer_dns_name(),
            svc.log_group_name().expr(),
            svc.execution_role().expr(),
            svc.web_acl_arn().expr(),
        ]
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
        Ok(())
    });
    // The other handle values name the right resources and attributes.
    let id = |type_name: &str| of_type(&t, type_name)[0].0.clone();
    assert_eq!(
        handles,
        [
            json!({"Fn::GetAtt": [id("AWS::ElasticLoadBalancingV2::LoadBalancer"), "DNSName"]}),
            json!({"Ref": id("AWS::Logs::LogGroup")}),
            json!({"Ref": of_type(&t, "AWS::IAM::Role")
                .into_iter()
                .find(|(_, r)| r["Metadata"]["stackforge:path"] == json!("test/Service/ExecutionRole/Resource"))
                .map(|(id, _)| id.clone())
                .unwrap()}),
            json!({"Fn::GetAtt": [id("AWS::WAFv2::WebACL"), "Arn"]}),
        ]
    );
    let (cluster_id, _) = of_type(&t, "AWS::ECS::Cluster")[0];
    let (service_id, _) = of_type(&t, "AWS::ECS::Service")[0];
    let (lb_id, _) = of_type(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer")[0];
    let (tg_id, _) = of_type(&t, "AWS::ElasticLoadBalancingV2::TargetGroup")[0];
    let dims = |m: &Metric| -> Vec<(String, Value)> {
        m.dimensions
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap()))
            .collect()
    };
    let ecs = vec![
        ("ClusterName".to_owned(), json!({"Ref": cluster_id})),
        (
            "ServiceName".to_owned(),
            json!({"Fn::GetAtt": [service_id, "Name"]}),
        ),
    ];
    let lb = (
        "LoadBalancer".to_owned(),
        json!({"Fn::GetAtt": [lb_id, "LoadBalancerFullName"]}),
    );
    let tg = (
        "TargetGroup".to_owned(),
        json!({"Fn::GetAtt": [tg_id, "TargetGroupFullName"]}),
    );
    let want = [
        ("AWS/ECS", "CPUUtilization", Statistic::Average, ecs.clone()),
        ("AWS/ECS", "MemoryUtilization", Statistic::Average, ecs),
        (
            "AWS/ApplicationELB",
            "RequestCount",
            Statistic::Sum,
            vec![lb.clone()],
        ),
        (
            "AWS/ApplicationELB",
            "TargetResponseTime",
            Statistic::Average,
            vec![lb.clone(), tg.clone()],
        ),
        (
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            Statistic::Sum,
            vec![lb, tg],
        ),
    ];
    assert_eq!(metrics.len(), want.len());
    for (m, (ns, name, stat, d)) in metrics.iter().zip(want) {
        assert_eq!(
            (m.namespace.as_str(), m.name.as_str(), m.statistic),
            (ns, name, stat)
        );
        assert_eq!(dims(m), d, "{name}");
    }
}

#[test]
fn existing_repository_by_arn_and_image_digest() {
    let digest = format!("sha256:{}", "0123456789abcdef".repeat(4));
    let t = synth("ecs_service_existing_repo", |s| {
        EcsService::new(
            s,
            "Service",
            &vpc(),
            EcsServiceProps {
                repository: Repository::from_arn(RepositoryArn::from_expr(
                    "arn:aws:ecr:us-east-1:123456789012:repository/migration-api",
                ))
                .into(),
                image: ImageRef::Digest(digest.clone()),
                ..Default::default()
            },
        )?;
        Ok(())
    });
    assert!(of_type(&t, "AWS::ECR::Repository").is_empty());
    assert!(t["Parameters"].get("ImageTag").is_none());
    assert_eq!(
        container(&t)["Image"],
        json!({"Fn::Sub": format!("123456789012.dkr.ecr.us-east-1.${{AWS::URLSuffix}}/migration-api@{digest}")})
    );
    assert_least_privilege(&t, &["ecr:GetAuthorizationToken"]);
}

// ---------------------------------------------------------------------------------------
// Errors: each names the construct path and the field.

fn assert_invalid(e: &str, field: &str, problem: &str) {
    let head = format!("`test/Service`: invalid `{field}`");
    assert!(e.starts_with(&head), "{e}");
    assert!(e.contains(problem), "{e}");
}

#[test]
fn error_cpu_memory_pair_fargate_does_not_offer() {
    let e = err(EcsServiceProps {
        cpu: 256,
        memory_mib: 4096,
        ..Default::default()
    });
    assert_invalid(
        &e,
        "memory_mib",
        "4096 MiB with 256 CPU units is not a Fargate task size",
    );
    assert!(e.contains("[512, 1024, 2048]"), "{e}");
    let e = err(EcsServiceProps {
        cpu: 300,
        ..Default::default()
    });
    assert_invalid(&e, "cpu", "300 CPU units is not a Fargate task size");
    let e = err(EcsServiceProps {
        container_memory_mib: Some(2048),
        ..Default::default()
    });
    assert_invalid(&e, "container_memory_mib", "outside 6..=1024");
}

#[test]
fn error_root_user_in_every_spelling() {
    for user in ["root", "0", "0:0", "root:root", "", "10001:0"] {
        let e = err(EcsServiceProps {
            user: user.into(),
            ..Default::default()
        });
        assert_invalid(&e, "user", "root");
    }
}

#[test]
fn error_container_port_zero() {
    // The port is a u16, so 65536 and above cannot even be written; 0 is the one bad value.
    let e = err(EcsServiceProps {
        container_port: 0,
        ..Default::default()
    });
    assert_invalid(&e, "container_port", "port 0 is not a TCP port");
}

#[test]
fn error_min_tasks_above_max_tasks_or_zero() {
    let e = err(EcsServiceProps {
        min_tasks: 5,
        max_tasks: 4,
        ..Default::default()
    });
    assert_invalid(&e, "min_tasks", "min_tasks 5 is more than max_tasks 4");
    let e = err(EcsServiceProps {
        min_tasks: 0,
        ..Default::default()
    });
    assert_invalid(&e, "min_tasks", "0 tasks");
}

#[test]
fn error_secret_that_is_not_a_secrets_manager_arn() {
    let mut secrets = IndexMap::new();
    secrets.insert(
        "DB_PASSWORD".to_owned(),
        SecretRef::new(SecretArn::from_expr("hunter2")),
    );
    let e = err(EcsServiceProps {
        secrets,
        ..Default::default()
    });
    assert_invalid(
        &e,
        "secrets.DB_PASSWORD",
        "`hunter2` is not a Secrets Manager secret ARN",
    );
    let mut secrets = IndexMap::new();
    secrets.insert(
        "TOKEN".to_owned(),
        SecretRef::new(SecretArn::from_expr(
            "arn:aws:ssm:us-east-1:123456789012:parameter/token",
        )),
    );
    let e = err(EcsServiceProps {
        secrets,
        ..Default::default()
    });
    assert_invalid(&e, "secrets.TOKEN", "is not a Secrets Manager secret ARN");
}

#[test]
fn error_empty_certificate_default() {
    // `None` is the way to make operators supply a certificate; an empty default never works.
    let e = err(EcsServiceProps {
        certificate_default: Some(String::new()),
        ..Default::default()
    });
    assert_invalid(
        &e,
        "certificate_default",
        "the default certificate ARN is empty",
    );
    let e = err(EcsServiceProps {
        certificate_default: Some("my-cert".into()),
        ..Default::default()
    });
    assert_invalid(
        &e,
        "certificate_default",
        "`my-cert` is not an ACM certificate ARN",
    );
}

#[test]
fn error_cors_origin_wildcard() {
    let e = err(EcsServiceProps {
        cors_allowed_origins: vec!["*".into()],
        ..Default::default()
    });
    assert_invalid(&e, "cors_allowed_origins", "`*` is a wildcard");
    let e = err(EcsServiceProps {
        cors_allowed_origins: vec!["http://app.example.com".into()],
        ..Default::default()
    });
    assert_invalid(&e, "cors_allowed_origins", "is not an https origin");
}

#[test]
fn error_bad_cidr() {
    let e = err(EcsServiceProps {
        allowed_cidrs: vec!["10.0.0.300/8".into()],
        ..Default::default()
    });
    assert_invalid(&e, "allowed_cidrs", "`10.0.0.300/8` is not a CIDR range");
}

#[test]
fn error_other_props_name_their_field() {
    let cases: Vec<(EcsServiceProps, &str)> = vec![
        (
            EcsServiceProps {
                image: ImageRef::Digest("latest".into()),
                ..Default::default()
            },
            "image",
        ),
        (
            EcsServiceProps {
                image: ImageRef::Tag(Expr::str("a:b")),
                ..Default::default()
            },
            "image",
        ),
        (
            EcsServiceProps {
                scratch_paths: vec!["tmp".into()],
                ..Default::default()
            },
            "scratch_paths",
        ),
        (
            EcsServiceProps {
                log_retention_days: 10,
                ..Default::default()
            },
            "log_retention_days",
        ),
        (
            EcsServiceProps {
                max_percent: 100,
                ..Default::default()
            },
            "max_percent",
        ),
        (
            EcsServiceProps {
                health_check_path: "health".into(),
                ..Default::default()
            },
            "health_check_path",
        ),
        (
            EcsServiceProps {
                access_logs_prefix: "/alb".into(),
                ..Default::default()
            },
            "access_logs_prefix",
        ),
        (
            EcsServiceProps {
                certificate_parameter_name: "Cert-Arn".into(),
                ..Default::default()
            },
            "certificate_parameter_name",
        ),
        (
            EcsServiceProps {
                waf: WebAclProps {
                    rate_limit: 5,
                    ..Default::default()
                },
                ..Default::default()
            },
            "waf.rate_limit",
        ),
        (
            EcsServiceProps {
                health_check: Some(ContainerHealthCheck::new(["curl", "-f", "localhost"])),
                ..Default::default()
            },
            "health_check.command",
        ),
        (
            EcsServiceProps {
                environment: [("CORS_ALLOWED_ORIGINS".to_owned(), Expr::str("x"))]
                    .into_iter()
                    .collect(),
                cors_allowed_origins: vec!["https://a.example.com".into()],
                ..Default::default()
            },
            "environment",
        ),
        (
            EcsServiceProps {
                oidc: Some(OidcProps::new(
                    "http://id.example.com",
                    "https://id.example.com/a",
                    "https://id.example.com/t",
                    "https://id.example.com/u",
                    "client",
                    SecretRef::new(SecretArn::from_expr(OIDC_SECRET)),
                )),
                ..Default::default()
            },
            "oidc.issuer",
        ),
    ];
    for (props, field) in cases {
        let e = err(props);
        assert!(
            e.starts_with(&format!("`test/Service`: invalid `{field}`")),
            "{e}"
        );
    }
}

#[test]
fn error_vpc_without_two_public_subnets() {
    let mut attrs = VpcAttributes {
        vpc_id: VpcId::from_expr("vpc-0123456789abcdef0"),
        cidr: Expr::str("10.0.0.0/16"),
        public_subnets: vec![subnet(
            "subnet-0a1b2c3d4e5f60001",
            "us-east-1a",
            "rtb-0a1b2c3d4e5f60001",
        )],
        private_subnets: vpc().private_subnets().to_vec(),
        isolated_subnets: vec![],
    };
    let e = synth_stack(|s| {
        EcsService::new(
            s,
            "Service",
            &Vpc::from_attributes(attrs.clone()),
            EcsServiceProps::default(),
        )
        .map(|_| ())
    })
    .unwrap_err()
    .to_string();
    assert_invalid(&e, "vpc", "two availability zones");
    attrs.private_subnets.clear();
    let e = synth_stack(|s| {
        EcsService::new(
            s,
            "Service",
            &Vpc::from_attributes(attrs),
            EcsServiceProps::default(),
        )
        .map(|_| ())
    })
    .unwrap_err()
    .to_string();
    assert_invalid(&e, "vpc", "no private subnets");
}

// ---------------------------------------------------------------------------------------
// The helper constructs on their own

#[test]
fn ecr_repository_snapshot_and_imports() {
    let t = synth("ecr_repository", |s| {
        Repository::new(s, "Images", RepositoryProps::default())?;
        Repository::new(
            s,
            "Shared",
            RepositoryProps {
                max_image_count: 10,
                encryption_key: Some(KmsKeyArn::from_expr(SECRETS_KEY)),
                name: Some("migration-api".into()),
                ..Default::default()
            },
        )?;
        Ok(())
    });
    insta::assert_json_snapshot!("ecr_repository", t);
    assert_eq!(
        of_type(&t, "AWS::KMS::Key").len(),
        1,
        "a given key is used as is"
    );
    let by_name = Repository::from_name(RepositoryName::from_expr("migration-api"));
    assert_eq!(
        serde_json::to_value(by_name.uri()).unwrap(),
        json!({"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/migration-api"})
    );
    assert_eq!(
        serde_json::to_value(Expr::from(by_name.arn())).unwrap(),
        json!({"Fn::Sub": "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/migration-api"})
    );
    let e = synth_stack(|s| {
        Repository::new(
            s,
            "Images",
            RepositoryProps {
                max_image_count: 0,
                ..Default::default()
            },
        )
        .map(|_| ())
    })
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("`test/Images`: invalid `max_image_count`"),
        "{e}"
    );
}

#[test]
fn waf_web_acl_snapshot_and_errors() {
    let t = synth("waf_web_acl", |s| {
        let acl = WebAcl::new(
            s,
            "Waf",
            WebAclProps {
                rate_limit: 100,
                rate_window_seconds: 60,
                description: Some("API protection".into()),
                redacted_headers: vec!["x-api-key".into()],
                log_retention_days: 90,
            },
        )?;
        acl.associate(
            s,
            "WafOnAlb",
            Expr::str("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/api/0123456789abcdef"),
        )?;
        Ok(())
    });
    insta::assert_json_snapshot!("waf_web_acl", t);
    assert_eq!(
        one(&t, "AWS::WAFv2::WebACL")["Rules"][0]["Statement"]["RateBasedStatement"],
        json!({"AggregateKeyType": "IP", "EvaluationWindowSec": 60, "Limit": 100})
    );
    let e = synth_stack(|s| {
        WebAcl::new(
            s,
            "Waf",
            WebAclProps {
                rate_window_seconds: 30,
                ..Default::default()
            },
        )
        .map(|_| ())
    })
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("`test/Waf`: invalid `rate_window_seconds`"),
        "{e}"
    );
}
