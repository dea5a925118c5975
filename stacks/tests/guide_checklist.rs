//! Walks the checklist of `guide/security-and-monitoring.md` over the synthesized templates
//! of every environment, asserting the template property that implements each item. A
//! failure names the guide item.

use serde_json::{json, Value};
use stackforge_constructs::EnvironmentAssembly;

/// All templates of one environment, searchable by resource type.
struct Env<'a> {
    name: &'a str,
    templates: Vec<(String, Value)>,
    failures: Vec<String>,
}

impl<'a> Env<'a> {
    fn new(env: &'a EnvironmentAssembly) -> Self {
        Env {
            name: env.environment.name(),
            templates: env
                .stacks
                .iter()
                .map(|s| (s.name.clone(), s.json()))
                .collect(),
            failures: Vec::new(),
        }
    }

    /// (stack, logical ID, resource) of every resource of `type_name`.
    fn all(&self, type_name: &str) -> Vec<(&str, &str, &Value)> {
        self.templates
            .iter()
            .flat_map(|(stack, t)| {
                t["Resources"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(move |(_, r)| r["Type"] == type_name)
                    .map(move |(id, r)| (stack.as_str(), id.as_str(), r))
            })
            .collect()
    }

    fn props(&self, type_name: &str) -> Vec<&Value> {
        self.all(type_name)
            .into_iter()
            .map(|(_, _, r)| &r["Properties"])
            .collect()
    }

    fn template(&self, stack: &str) -> &Value {
        &self
            .templates
            .iter()
            .find(|(s, _)| s == stack)
            .expect("stack")
            .1
    }

    /// Records a failed item; all are reported together at the end.
    fn check(&mut self, item: &str, ok: bool, detail: impl std::fmt::Display) {
        if !ok {
            self.failures
                .push(format!("[{}] {item}: {detail}", self.name));
        }
    }
}

fn ref_id(v: &Value) -> Option<&str> {
    v.get("Ref").and_then(Value::as_str)
}

fn walk<'v>(v: &'v Value, f: &mut impl FnMut(&'v Value)) {
    f(v);
    match v {
        Value::Array(a) => a.iter().for_each(|x| walk(x, f)),
        Value::Object(o) => o.values().for_each(|x| walk(x, f)),
        _ => {}
    }
}

fn security(env: &mut Env<'_>) {
    // 1. Secrets management.
    let db = env.props("AWS::RDS::DBInstance");
    let db = db.first().copied().cloned().unwrap_or(Value::Null);
    // The guide's `db-password` secret; the instance reads it through a dynamic reference.
    let password = db["MasterUserPassword"].to_string();
    env.check(
        "Secrets: database password held by Secrets Manager",
        password.contains("{{resolve:secretsmanager:")
            && db.get("ManageMasterUserPassword").is_none(),
        &password,
    );
    let secrets: Vec<Value> = env
        .props("AWS::SecretsManager::Secret")
        .into_iter()
        .cloned()
        .collect();
    env.check(
        "Secrets: API keys stored in Secrets Manager, generated",
        secrets
            .iter()
            .any(|s| s["GenerateSecretString"]["GenerateStringKey"] == json!("apiKey")),
        "no secret generating `apiKey`",
    );
    env.check(
        "Secrets: no literal secret value in any template",
        secrets.iter().all(|s| s.get("SecretString").is_none()),
        "a SecretString is set",
    );

    // 2. Database security.
    env.check(
        "Database: encryption at rest with a customer-managed key",
        db["StorageEncrypted"] == json!(true) && db["KmsKeyId"].is_object(),
        &db["KmsKeyId"],
    );
    let data = env.template("data").clone();
    let pg_id = ref_id(&db["DBParameterGroupName"]).unwrap_or("");
    let pg = &data["Resources"][pg_id]["Properties"];
    env.check(
        "Database: encryption in transit forced by the parameter group",
        pg["Parameters"]["rds.force_ssl"] == json!("1"),
        &pg["Parameters"],
    );
    env.check(
        "Database: IAM database authentication",
        db["EnableIAMDatabaseAuthentication"] == json!(true),
        &db,
    );
    env.check(
        "Database: not publicly accessible",
        db["PubliclyAccessible"] == json!(false),
        &db["PubliclyAccessible"],
    );
    let subnet_group = ref_id(&db["DBSubnetGroupName"]).unwrap_or("");
    let group_subnets = data["Resources"][subnet_group]["Properties"]["SubnetIds"].to_string();
    env.check(
        "Database: network isolation in the isolated subnets",
        group_subnets.contains("IsolatedSubnet") && !group_subnets.contains("Public"),
        &group_subnets,
    );
    env.check(
        "Database: automated, encrypted backups kept at least 7 days",
        db["BackupRetentionPeriod"].as_u64().is_some_and(|d| d >= 7)
            && db["StorageEncrypted"] == json!(true),
        &db["BackupRetentionPeriod"],
    );
    env.check(
        "Database: deletion protection and a final snapshot",
        db["DeletionProtection"] == json!(true)
            && env
                .all("AWS::RDS::DBInstance")
                .iter()
                .all(|(_, _, r)| r["DeletionPolicy"] == json!("Snapshot")),
        &db["DeletionProtection"],
    );

    // 3. Container security.
    for repo in env
        .props("AWS::ECR::Repository")
        .into_iter()
        .cloned()
        .collect::<Vec<_>>()
    {
        env.check(
            "Containers: ECR image scanning on push, immutable tags, KMS",
            repo["ImageScanningConfiguration"]["ScanOnPush"] == json!(true)
                && repo["ImageTagMutability"] == json!("IMMUTABLE")
                && repo["EncryptionConfiguration"]["EncryptionType"] == json!("KMS"),
            &repo,
        );
    }
    // The service's task definitions (the data stack also has the database user setup task).
    let tasks: Vec<Value> = env
        .all("AWS::ECS::TaskDefinition")
        .into_iter()
        .filter(|(stack, _, _)| *stack == "service")
        .map(|(_, _, r)| r["Properties"].clone())
        .collect();
    env.check(
        "Containers: a task definition exists",
        !tasks.is_empty(),
        "none",
    );
    for task in &tasks {
        env.check(
            "Containers: task CPU and memory limits set",
            task["Cpu"].is_string() && task["Memory"].is_string(),
            &task["Cpu"],
        );
        for c in task["ContainerDefinitions"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let user = c["User"].as_str().unwrap_or("");
            env.check(
                "Containers: run as a non-root user",
                !user.is_empty()
                    && !["root", "0", "0:0"].contains(&user)
                    && !user.starts_with("root:"),
                user,
            );
            env.check(
                "Containers: read-only root filesystem",
                c["ReadonlyRootFilesystem"] == json!(true),
                &c["ReadonlyRootFilesystem"],
            );
            env.check(
                "Containers: container CPU and memory limits set",
                c["Cpu"].is_number() && c["Memory"].is_number(),
                &c["Memory"],
            );
            env.check(
                "Containers: not privileged",
                c.get("Privileged").is_none_or(|p| p == &json!(false)),
                &c["Privileged"],
            );
        }
    }
    // Network policies: the service group accepts only the load balancer's group.
    let ecs_service = env
        .props("AWS::ECS::Service")
        .first()
        .copied()
        .cloned()
        .unwrap_or(Value::Null);
    let service_sg =
        ecs_service["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"][0].clone();
    let alb = env
        .props("AWS::ElasticLoadBalancingV2::LoadBalancer")
        .first()
        .copied()
        .cloned()
        .unwrap_or(Value::Null);
    let alb_sg = alb["SecurityGroups"][0].clone();
    let mut service_ingress = Vec::new();
    for (stack, _, r) in env.all("AWS::EC2::SecurityGroupIngress") {
        let p = &r["Properties"];
        if stack == "service" && p["GroupId"] == service_sg {
            service_ingress.push(p.clone());
        }
    }
    env.check(
        "Containers: network policies — the service accepts only the load balancer, on the container port",
        service_ingress.len() == 1
            && service_ingress[0]["SourceSecurityGroupId"] == alb_sg
            && service_ingress[0].get("CidrIp").is_none(),
        format!("{service_ingress:?}"),
    );
    env.check(
        "Infrastructure: compute in private subnets without public IPs",
        ecs_service["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"]
            == json!("DISABLED")
            && ecs_service["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"]
                .to_string()
                .contains("PrivateSubnet"),
        &ecs_service["NetworkConfiguration"],
    );

    // 4. API security.
    let acls: Vec<Value> = env
        .props("AWS::WAFv2::WebACL")
        .into_iter()
        .cloned()
        .collect();
    env.check(
        "API: rate limiting with a WAF rate-based rule",
        acls.iter()
            .any(|a| a["Rules"].to_string().contains("RateBasedStatement")),
        "no rate-based rule",
    );
    env.check(
        "API: input validation with AWS managed rule groups",
        acls.iter().any(|a| {
            let rules = a["Rules"].to_string();
            rules.contains("AWSManagedRulesCommonRuleSet")
                && rules.contains("AWSManagedRulesKnownBadInputsRuleSet")
        }),
        "managed rule groups missing",
    );
    let assoc = env.props("AWS::WAFv2::WebACLAssociation");
    env.check(
        "API: the WAF web ACL is associated with the load balancer",
        assoc.len() == 1,
        assoc.len(),
    );
    env.check(
        "API: invalid header fields dropped at the load balancer",
        alb["LoadBalancerAttributes"]
            .to_string()
            .contains("routing.http.drop_invalid_header_fields.enabled"),
        &alb["LoadBalancerAttributes"],
    );
    let container_env = tasks
        .first()
        .map(|t| t["ContainerDefinitions"][0]["Environment"].to_string())
        .unwrap_or_default();
    env.check(
        "API: CORS origins configured",
        container_env.contains("CORS_ALLOWED_ORIGINS") && container_env.contains("https://"),
        &container_env,
    );
    let listeners: Vec<Value> = env
        .props("AWS::ElasticLoadBalancingV2::Listener")
        .into_iter()
        .cloned()
        .collect();
    let https = listeners.iter().find(|l| l["Protocol"] == json!("HTTPS"));
    env.check(
        "API: HTTPS/TLS termination at the load balancer with a TLS 1.2+ policy and a certificate parameter",
        https.is_some_and(|l| {
            l["SslPolicy"].as_str().is_some_and(|p| p.contains("TLS13-1-2") || p.contains("TLS-1-2"))
                && l["Certificates"][0]["CertificateArn"] == json!({"Ref": "CertificateArn"})
        }),
        format!("{https:?}"),
    );
    let http = listeners.iter().find(|l| l["Protocol"] == json!("HTTP"));
    env.check(
        "API: HTTP only redirects to HTTPS",
        http.is_some_and(|l| {
            l["DefaultActions"][0]["Type"] == json!("redirect")
                && l["DefaultActions"][0]["RedirectConfig"]["Protocol"] == json!("HTTPS")
        }),
        format!("{http:?}"),
    );
    let container_secrets = tasks
        .first()
        .map(|t| t["ContainerDefinitions"][0]["Secrets"].to_string())
        .unwrap_or_default();
    env.check(
        "API: authentication — API keys injected from Secrets Manager",
        container_secrets.contains("\"API_KEYS\"") && container_secrets.contains("ImportValue"),
        &container_secrets,
    );

    // 5. Infrastructure security.
    let vpc_subnets = env.all("AWS::EC2::Subnet");
    env.check(
        "Infrastructure: a VPC with private and isolated subnets",
        vpc_subnets.iter().any(|(_, id, _)| id.contains("Private"))
            && vpc_subnets.iter().any(|(_, id, _)| id.contains("Isolated")),
        vpc_subnets.len(),
    );
    env.check(
        "Infrastructure: VPC flow logs",
        !env.props("AWS::EC2::FlowLog").is_empty(),
        "no flow log",
    );
    let mut open_ingress = Vec::new();
    for (stack, id, r) in env.all("AWS::EC2::SecurityGroupIngress") {
        let p = &r["Properties"];
        let cidr = p["CidrIp"].as_str().or(p["CidrIpv6"].as_str());
        if matches!(cidr, Some("0.0.0.0/0") | Some("::/0"))
            && (p["GroupId"] != alb_sg || ![80, 443].contains(&p["FromPort"].as_u64().unwrap_or(0)))
        {
            open_ingress.push(format!("{stack}/{id}"));
        }
    }
    env.check(
        "Infrastructure: security groups open to the internet only on the load balancer's 80/443",
        open_ingress.is_empty(),
        format!("{open_ingress:?}"),
    );
    let mut wildcards = Vec::new();
    for (stack, t) in &env.templates {
        walk(t, &mut |v| {
            if let Some(st) = v.get("Statement").and_then(Value::as_array) {
                for s in st {
                    let actions = s["Action"].to_string();
                    if s["Effect"] == json!("Allow")
                        && (actions == "\"*\"" || actions.contains("\"*\""))
                    {
                        wildcards.push(format!("{stack}: {actions}"));
                    }
                }
            }
        });
    }
    env.check(
        "Infrastructure: IAM least privilege — no `*` action",
        wildcards.is_empty(),
        format!("{wildcards:?}"),
    );
    let trails = env
        .props("AWS::CloudTrail::Trail")
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    env.check(
        "Infrastructure: CloudTrail audit logging, multi-region, validated, encrypted, also to CloudWatch Logs",
        trails.iter().any(|t| {
            t["IsMultiRegionTrail"] == json!(true)
                && t["EnableLogFileValidation"] == json!(true)
                && t["IsLogging"] == json!(true)
                && t["KMSKeyId"].is_object()
                && t["CloudWatchLogsLogGroupArn"].is_object()
        }),
        format!("{trails:?}"),
    );
    let plans = env
        .props("AWS::Backup::BackupPlan")
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    let selections = env
        .props("AWS::Backup::BackupSelection")
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    let vaults = env
        .props("AWS::Backup::BackupVault")
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    env.check(
        "Infrastructure: regular automated backups with encryption (AWS Backup)",
        plans.iter().any(|p| {
            p["BackupPlan"]["BackupPlanRule"][0]["ScheduleExpression"]
                .as_str()
                .is_some_and(|s| s.starts_with("cron("))
        }) && vaults.iter().all(|v| v["EncryptionKeyArn"].is_object())
            && selections.iter().any(|s| {
                s["BackupSelection"]["Resources"]
                    .to_string()
                    .contains("ImportValue")
            }),
        format!("{plans:?} {selections:?}"),
    );
}

fn monitoring(env: &mut Env<'_>, prefix: &str, topic_name: &str) {
    let alarms: Vec<Value> = env
        .props("AWS::CloudWatch::Alarm")
        .into_iter()
        .cloned()
        .collect();
    let alarm = |name: &str| {
        alarms
            .iter()
            .find(|a| a["AlarmName"] == json!(name))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let topic = env
        .all("AWS::SNS::Topic")
        .into_iter()
        .find(|(s, _, _)| *s == "monitoring")
        .map(|(_, id, r)| (id.to_owned(), r.clone()));
    let (topic_id, topic) = topic.unwrap_or_default();
    env.check(
        "Monitoring: the alerting topic is named as the guide names it",
        topic["Properties"]["TopicName"] == json!(topic_name),
        &topic["Properties"]["TopicName"],
    );
    env.check(
        "Monitoring: the alerting topic is KMS-encrypted",
        topic["Properties"]["KmsMasterKeyId"].is_object(),
        &topic["Properties"],
    );
    let expected = [
        (
            format!("{prefix}-high-cpu"),
            "Alert when CPU exceeds 80%",
            "AWS/ECS",
            "CPUUtilization",
            "Average",
            300,
            80.0,
            vec!["ClusterName", "ServiceName"],
        ),
        (
            format!("{prefix}-high-errors"),
            "Alert when 5XX errors exceed 10 per minute",
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            "Sum",
            60,
            10.0,
            vec!["LoadBalancer"],
        ),
    ];
    for (name, description, namespace, metric, stat, period, threshold, dims) in expected {
        let a = alarm(&name);
        let item = format!("Monitoring: alarm {name}");
        env.check(
            &item,
            a["AlarmDescription"] == json!(description),
            &a["AlarmDescription"],
        );
        env.check(
            &item,
            a["Namespace"] == json!(namespace) && a["MetricName"] == json!(metric),
            &a["MetricName"],
        );
        env.check(
            &item,
            a["Statistic"] == json!(stat) && a["Period"] == json!(period),
            &a["Period"],
        );
        env.check(
            &item,
            a["Threshold"].as_f64() == Some(threshold)
                && a["ComparisonOperator"] == json!("GreaterThanThreshold"),
            &a["Threshold"],
        );
        let names: Vec<&str> = a["Dimensions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["Name"].as_str())
            .collect();
        env.check(
            &item,
            dims.iter().all(|d| names.contains(d)),
            format!("dimensions {names:?}"),
        );
        env.check(
            &item,
            a["AlarmActions"] == json!([{"Ref": topic_id}])
                && a["OKActions"] == json!([{"Ref": topic_id}]),
            &a["AlarmActions"],
        );
    }
    env.check(
        "Monitoring: 5XX alarm treats missing data as not breaching",
        alarm(&format!("{prefix}-high-errors"))["TreatMissingData"] == json!("notBreaching"),
        "",
    );
    let dash = env
        .props("AWS::CloudWatch::Dashboard")
        .first()
        .copied()
        .cloned()
        .unwrap_or(Value::Null);
    let body = dash["DashboardBody"].to_string();
    env.check(
        "Monitoring: dashboard name has no spaces",
        dash["DashboardName"]
            .as_str()
            .is_some_and(|n| !n.contains(' ')),
        &dash["DashboardName"],
    );
    for needle in [
        "API Performance Metrics",
        "CPUUtilization",
        "MemoryUtilization",
        "TargetResponseTime",
        "RequestCount",
        "HTTPCode_Target_5XX_Count",
        "Error Rate (5min bins)",
        "SOURCE '",
        // The guide's query counts every line; the widget counts error lines (README).
        "| fields @timestamp, @message | filter @message like /(?i)error/ | stats count() by bin(5m)",
        "AWS::Region",
    ] {
        env.check(
            "Monitoring: dashboard as the guide sets it",
            body.contains(needle),
            needle,
        );
    }
}

#[test]
fn every_guide_item_is_implemented_in_every_environment() {
    let asm = stackforge_stacks::app().unwrap().synth().unwrap();
    let mut failures = Vec::new();
    for e in &asm.environments {
        let mut env = Env::new(e);
        security(&mut env);
        let (prefix, topic) = match env.name {
            "prod" => ("migration-api", "alerting-topic"),
            other => (
                if other == "dev" {
                    "migration-api-dev"
                } else {
                    other
                },
                "alerting-topic-dev",
            ),
        };
        monitoring(&mut env, prefix, topic);
        failures.extend(env.failures);
    }
    assert!(
        failures.is_empty(),
        "guide items not implemented:\n{}",
        failures.join("\n")
    );
}
