//! Deploy-time rules: what CloudFormation and the services behind it do on a real account,
//! which neither cfn-lint nor the emulator checks. One test per rule, named for the AWS
//! behaviour it guards, citing the AWS documentation page (by title) that states it.
//!
//! Template rules are asserted on the synthesized migration-api (both environments) and the
//! orders example; deploy-time steps run the real binary with a fake `aws` and a fake
//! container tool (shell scripts that record their calls and answer like the real ones).

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

mod common;

use serde_json::{json, Value};
use stackforge_constructs::Assembly;

fn synth(app: stackforge_constructs::App) -> Assembly {
    app.synth().unwrap_or_else(|e| panic!("{e}"))
}

/// env -> stack short name -> template, of the migration-api (the orders example checks its
/// own templates in examples/orders/tests/app.rs).
fn apps() -> Vec<(String, BTreeMap<String, Value>)> {
    let mut out = Vec::new();
    for (app, assembly) in [("migration-api", synth(stackforge_stacks::app().unwrap()))] {
        for env in &assembly.environments {
            out.push((
                format!("{app}/{}", env.environment.name()),
                env.stacks
                    .iter()
                    .map(|s| (s.name.clone(), s.json()))
                    .collect(),
            ));
        }
    }
    out
}

fn migration_api() -> Vec<(String, BTreeMap<String, Value>)> {
    apps()
        .into_iter()
        .filter(|(n, _)| n.starts_with("migration-api/"))
        .collect()
}

fn of_type<'a>(t: &'a Value, type_name: &str) -> Vec<(&'a String, &'a Value)> {
    t["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, r)| r["Type"] == type_name)
        .collect()
}

/// Every JSON value in `v`, depth first.
fn walk<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    out.push(v);
    match v {
        Value::Object(m) => m.values().for_each(|x| walk(x, out)),
        Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
        _ => {}
    }
}

// ---- 1. First deploy from nothing ----

/// "Amazon ECS task definition parameters for Fargate" (image: `repository-url/image@digest`)
/// and "Pushing a Docker image to an Amazon ECR private repository": ECS pulls the image when
/// a task starts, so the repository must exist and hold the image before the service does.
#[test]
fn ecs_pulls_the_image_when_a_task_starts_so_the_repository_is_filled_before_the_service() {
    for (env, stacks) in migration_api() {
        let order: Vec<&String> = stacks.keys().collect();
        assert!(stacks.contains_key("registry"), "{env}: {order:?}");
        assert!(
            of_type(&stacks["service"], "AWS::ECR::Repository").is_empty(),
            "{env}: the service stack must not create the repository it pulls from"
        );
        assert_eq!(
            of_type(&stacks["registry"], "AWS::ECR::Repository").len(),
            1
        );
        let (_, task) = of_type(&stacks["service"], "AWS::ECS::TaskDefinition")[0];
        let image = task["Properties"]["ContainerDefinitions"][0]["Image"].to_string();
        assert!(
            image.contains("registry:ApiRepository")
                && image.contains("@\",{\"Ref\":\"ImageDigest\"}")
                || image.contains("@${ImageDigest}"),
            "{env}: the image is pinned by the digest parameter: {image}"
        );
        let digest = &stacks["service"]["Parameters"]["ImageDigest"];
        assert_eq!(digest["AllowedPattern"], "sha256:[a-f0-9]{64}", "{env}");
        let meta = &task["Metadata"]["stackforge:images"]["ImageDigest"];
        assert_eq!(meta["repository"]["stack"], "registry", "{env}: {meta}");
    }
    // The manifest deploys registry before service.
    let assembly = synth(stackforge_stacks::app().unwrap());
    for env in &assembly.environments {
        let names: Vec<&str> = env.stacks.iter().map(|s| s.name.as_str()).collect();
        let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
        assert!(pos("registry") < pos("service"), "{names:?}");
    }
}

// ---- 2. ALB access logs ----

/// "Enable access logs for your Application Load Balancer" (step 2, attach a policy to your
/// S3 bucket): Regions available before August 2022 need the Region's Elastic Load
/// Balancing account as the principal, later Regions the log delivery service.
#[test]
fn elb_writes_access_logs_as_the_regional_account_before_august_2022_and_as_log_delivery_after() {
    for (env, stacks) in apps() {
        for (name, t) in &stacks {
            if of_type(t, "AWS::ElasticLoadBalancingV2::LoadBalancer").is_empty() {
                continue;
            }
            let mapping = &t["Mappings"]["ElbAccessLogDelivery"];
            let region = |r: &str| (mapping[r]["Kind"].clone(), mapping[r]["Principal"].clone());
            assert_eq!(
                region("us-east-1"),
                (json!("Account"), json!("arn:aws:iam::127311923021:root")),
                "{env}/{name}"
            );
            assert_eq!(
                region("eu-west-1"),
                (json!("Account"), json!("arn:aws:iam::156460612806:root"))
            );
            assert_eq!(
                region("il-central-1"),
                (
                    json!("Service"),
                    json!("logdelivery.elasticloadbalancing.amazonaws.com")
                )
            );
            let condition = &t["Conditions"]["ElbAccessLogsFromRegionalAccount"];
            assert_eq!(
                condition["Fn::Equals"][1], "Account",
                "{env}/{name}: {condition}"
            );
            for (_, policy) in of_type(t, "AWS::S3::BucketPolicy") {
                for s in policy["Properties"]["PolicyDocument"]["Statement"]
                    .as_array()
                    .unwrap()
                {
                    if s["Sid"] == "ElbAccessLogDelivery" {
                        let chosen = &s["Principal"]["Fn::If"];
                        assert_eq!(chosen[0], "ElbAccessLogsFromRegionalAccount");
                        assert!(chosen[1]["AWS"].is_object() && chosen[2]["Service"].is_object());
                    }
                    assert_ne!(
                        s["Principal"]["Service"], "logdelivery.elasticloadbalancing.amazonaws.com",
                        "{env}/{name}: the service principal alone fails in us-east-1"
                    );
                }
            }
        }
    }
}

// ---- 3. DesiredCount and autoscaling ----

/// "AWS::ECS::Service" (DesiredCount: "For existing services, if a desired count is not
/// specified, it is omitted from the operation") and "Automatically scale your Amazon ECS
/// service": a DesiredCount in the template resets what Application Auto Scaling chose on
/// every stack update.
#[test]
fn a_stack_update_resets_desired_count_so_scaled_services_set_none() {
    let mut scaled = 0;
    for (env, stacks) in apps() {
        for (name, t) in &stacks {
            let targets = of_type(t, "AWS::ApplicationAutoScaling::ScalableTarget");
            for (id, s) in of_type(t, "AWS::ECS::Service") {
                assert!(
                    s["Properties"]["DesiredCount"].is_null(),
                    "{env}/{name}/{id} sets DesiredCount"
                );
                let managed = targets.iter().any(|(_, target)| {
                    target["Properties"]["ResourceId"]
                        .to_string()
                        .contains(id.as_str())
                });
                assert!(managed, "{env}/{name}/{id} has no scalable target");
                scaled += 1;
            }
        }
    }
    assert!(scaled >= 2, "{scaled}");
}

// ---- 4. Performance Insights ----

/// "Amazon RDS DB engine, Region, and instance class support for Performance Insights":
/// RDS for MySQL refuses Performance Insights on micro and small classes (the instance would
/// fail to create); PostgreSQL supports every class. "Encrypting Amazon RDS resources":
/// previous-generation classes have no encryption at rest.
#[test]
fn rds_refuses_performance_insights_on_mysql_micro_and_small_classes() {
    use stackforge_constructs::aws::ec2::{Vpc, VpcProps};
    use stackforge_constructs::aws::rds::{Engine, RdsEncrypted, RdsEncryptedProps};
    use stackforge_constructs::testing::synth_stack;

    let db = |engine: Engine, class: &str| {
        let class = class.to_owned();
        synth_stack(move |s| {
            let vpc = Vpc::new(s, "Vpc", VpcProps::default())?;
            RdsEncrypted::new(
                s,
                "Db",
                &vpc,
                RdsEncryptedProps {
                    engine: engine.clone(),
                    instance_class: class.clone(),
                    ..Default::default()
                },
            )?;
            Ok(())
        })
        .map(|a| {
            let t = a.environments[0].stacks[0].json();
            of_type(&t, "AWS::RDS::DBInstance")[0].1["Properties"].clone()
        })
    };
    let mysql = || Engine::Mysql {
        version: "8.0.43".into(),
    };
    for class in ["db.t3.micro", "db.t4g.small"] {
        let p = db(mysql(), class).unwrap();
        assert!(p["EnablePerformanceInsights"].is_null(), "{class}: {p}");
        assert!(p["PerformanceInsightsKMSKeyId"].is_null(), "{class}");
    }
    let p = db(mysql(), "db.t4g.medium").unwrap();
    assert_eq!(p["EnablePerformanceInsights"], true);
    let p = db(Engine::default(), "db.t4g.micro").unwrap();
    assert_eq!(
        p["EnablePerformanceInsights"], true,
        "PostgreSQL supports every class"
    );
    let e = db(Engine::default(), "db.m1.small")
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not support encryption at rest"), "{e}");
    // The migration-api's dev database (PostgreSQL on db.t4g.micro) keeps Performance Insights.
    for (env, stacks) in migration_api() {
        let (_, db) = of_type(&stacks["data"], "AWS::RDS::DBInstance")[0];
        assert_eq!(db["Properties"]["EnablePerformanceInsights"], true, "{env}");
    }
}

// ---- 5. IAM database authentication ----

/// "Creating a database account using IAM authentication": the user must exist with the
/// `rds_iam` role before a token works. The service never receives the master credentials;
/// the one-off setup task (master credentials from the secret) creates the user.
#[test]
fn iam_database_authentication_needs_a_user_granted_rds_iam_which_the_setup_task_creates() {
    for (env, stacks) in migration_api() {
        let service = &stacks["service"];
        let (_, task) = of_type(service, "AWS::ECS::TaskDefinition")[0];
        let container = &task["Properties"]["ContainerDefinitions"][0];
        let secrets: Vec<&str> = container["Secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Name"].as_str().unwrap())
            .collect();
        assert_eq!(
            secrets,
            ["API_KEYS"],
            "{env}: only the API keys, no master credentials"
        );
        let env_vars = container["Environment"].to_string();
        assert!(env_vars.contains("DB_IAM_USER") && env_vars.contains("migration_api"));
        assert!(
            !service.to_string().contains("db-password"),
            "{env}: the service stack never names the master secret"
        );
        let connect = of_type(service, "AWS::IAM::Policy")
            .into_iter()
            .map(|(_, p)| p.to_string())
            .find(|p| p.contains("rds-db:connect"))
            .unwrap();
        assert!(connect.contains("/migration_api"), "{env}: {connect}");

        let data = &stacks["data"];
        let setup: Vec<_> = of_type(data, "AWS::ECS::TaskDefinition")
            .into_iter()
            .filter(|(_, t)| t["Metadata"]["stackforge:run-after-deploy"].is_object())
            .collect();
        assert_eq!(setup.len(), 1, "{env}");
        let c = &setup[0].1["Properties"]["ContainerDefinitions"][0];
        let command = c["Command"].to_string();
        assert!(
            command.contains("CREATE ROLE migration_api LOGIN")
                && command.contains("GRANT rds_iam TO migration_api"),
            "{env}: {command}"
        );
        assert!(c["Image"].as_str().unwrap().contains("@sha256:"), "pinned");
        let from: Vec<String> = c["Secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["ValueFrom"].to_string())
            .collect();
        assert!(
            from.iter().all(|f| f.contains("DatabaseSecret")),
            "{env}: master credentials from the db-password secret: {from:?}"
        );
    }
}

// ---- 6. The guide's secret names ----

/// The guide stores `db-password` and `api-keys` (`aws secretsmanager create-secret --name`);
/// "AWS::SecretsManager::Secret" (Name): in prod they exist under those names, elsewhere with
/// the environment as suffix, like the alarms.
#[test]
fn the_guide_secrets_exist_under_the_names_it_gives() {
    for (env, stacks) in migration_api() {
        let names: Vec<String> = of_type(&stacks["data"], "AWS::SecretsManager::Secret")
            .into_iter()
            .map(|(_, s)| s["Properties"]["Name"].as_str().unwrap_or("").to_owned())
            .collect();
        let want: Vec<String> = if env.ends_with("/prod") {
            vec!["db-password".into(), "api-keys".into()]
        } else {
            vec!["db-password-dev".into(), "api-keys-dev".into()]
        };
        assert_eq!(names, want, "{env}");
        let (_, db) = of_type(&stacks["data"], "AWS::RDS::DBInstance")[0];
        let password = db["Properties"]["MasterUserPassword"].to_string();
        assert!(
            password.contains("{{resolve:secretsmanager:")
                && password.contains(":SecretString:password}}"),
            "{env}: a dynamic reference, never a literal: {password}"
        );
        assert_eq!(
            of_type(
                &stacks["data"],
                "AWS::SecretsManager::SecretTargetAttachment"
            )
            .len(),
            1
        );
    }
}

// ---- 8. Smaller items ----

/// "Sending web ACL traffic logs to an Amazon CloudWatch Logs log group": the log group's
/// name must start with `aws-waf-logs-`; "Log fields for web ACL traffic" and "Redacting
/// fields": header values can be redacted; logging filters keep blocked and counted
/// requests only.
#[test]
fn waf_logs_only_to_groups_named_aws_waf_logs_with_the_api_key_redacted() {
    for (env, stacks) in migration_api() {
        let service = &stacks["service"];
        let (_, logging) = of_type(service, "AWS::WAFv2::LoggingConfiguration")[0];
        let p = &logging["Properties"];
        assert!(
            p["LogDestinationConfigs"][0]
                .to_string()
                .contains("log-group:aws-waf-logs-"),
            "{env}: {p}"
        );
        assert_eq!(p["ResourceArn"]["Fn::GetAtt"][1], "Arn");
        assert!(p["RedactedFields"]
            .to_string()
            .contains("{\"SingleHeader\":{\"Name\":\"x-api-key\"}}"));
        assert_eq!(p["LoggingFilter"]["DefaultBehavior"], "DROP");
        let kept = p["LoggingFilter"]["Filters"][0].to_string();
        assert!(kept.contains("BLOCK") && kept.contains("COUNT") && kept.contains("KEEP"));
        let waf_group = of_type(service, "AWS::Logs::LogGroup")
            .into_iter()
            .find(|(_, g)| {
                g["Properties"]["LogGroupName"]
                    .to_string()
                    .contains("aws-waf-logs-")
            })
            .unwrap();
        assert!(waf_group.1["Properties"]["KmsKeyId"].is_object(), "{env}");
    }
}

/// "IAM JSON policy elements: Condition operators" (Boolean condition operators): `Bool`
/// compares booleans; `aws:SecureTransport` is written as the JSON `false`.
#[test]
fn the_bool_condition_operator_compares_json_booleans() {
    let mut seen = 0;
    for (env, stacks) in apps() {
        for (name, t) in &stacks {
            let mut all = Vec::new();
            walk(t, &mut all);
            for v in all {
                if let Some(b) = v.get("aws:SecureTransport") {
                    assert_eq!(b, &json!(false), "{env}/{name}");
                    seen += 1;
                }
            }
        }
    }
    assert!(seen >= 8, "{seen}");
}

/// "AWS::Backup::BackupVault" (BackupVaultName, replacement; retained vaults keep their
/// name): a retained vault with a fixed name makes creating the stack again fail; the name
/// carries the stack ID's first block, new for every creation.
#[test]
fn a_retained_backup_vault_name_does_not_block_creating_the_stack_again() {
    for (env, stacks) in apps() {
        for (name, t) in &stacks {
            for (_, vault) in of_type(t, "AWS::Backup::BackupVault") {
                let n = vault["Properties"]["BackupVaultName"].to_string();
                assert!(n.contains("AWS::StackId"), "{env}/{name}: {n}");
            }
        }
    }
}

/// "Amazon ECR events and EventBridge" (event for an image scan): basic scanning emits
/// `ECR Image Scan` events with `finding-severity-counts`; ECR has no CloudWatch metric of
/// findings, so an EventBridge rule sends HIGH and CRITICAL ones to the alerting topic,
/// whose policy and key let EventBridge publish ("Amazon SNS permissions" for EventBridge
/// targets, "Encrypted Amazon SNS topics").
#[test]
fn ecr_scan_findings_reach_the_alerting_topic_through_eventbridge() {
    for (env, stacks) in migration_api() {
        let m = &stacks["monitoring"];
        let (_, rule) = of_type(m, "AWS::Events::Rule")[0];
        let pattern = &rule["Properties"]["EventPattern"];
        assert_eq!(pattern["source"], json!(["aws.ecr"]), "{env}");
        assert_eq!(pattern["detail-type"], json!(["ECR Image Scan"]));
        let severities = pattern["detail"].to_string();
        assert!(
            severities.contains("CRITICAL") && severities.contains("HIGH"),
            "{severities}"
        );
        assert!(rule["Properties"]["Targets"][0]["Arn"]["Ref"].is_string());
        let policy = of_type(m, "AWS::SNS::TopicPolicy")[0].1.to_string();
        assert!(policy.contains("events.amazonaws.com"), "{env}");
        let key = of_type(m, "AWS::KMS::Key")[0].1.to_string();
        assert!(
            key.contains("events.amazonaws.com"),
            "{env}: the topic key lets EventBridge encrypt"
        );
    }
}

/// "CloudWatch Logs Insights query syntax" (filter): the guide's "Error Rate (5min bins)"
/// query counts every line; the widget counts the lines that report an error.
#[test]
fn the_error_rate_widget_counts_error_lines() {
    for (env, stacks) in migration_api() {
        let (_, d) = of_type(&stacks["monitoring"], "AWS::CloudWatch::Dashboard")[0];
        let body = d["Properties"]["DashboardBody"].to_string();
        assert!(body.contains("Error Rate (5min bins)"), "{env}");
        assert!(
            body.contains("filter @message like /(?i)error/"),
            "{env}: {body}"
        );
    }
}

// ---- Deploy-time steps through the binary, with a fake aws and a fake container tool ----

const FAKE_AWS: &str = r#"#!/bin/sh
# Answers like the AWS CLI; logs each call, with the parameters file's content after it.
dir=$(cd "$(dirname "$0")" && pwd)
params=""
for a in "$@"; do case "$a" in file://*.parameters.json) params=" $(cat "${a#file://}")" ;; esac; done
echo "aws $*$params" >> "$dir/calls.log"
arg() { prev=""; for a in "$@"; do [ "$prev" = "$want" ] && { echo "$a"; return; }; prev=$a; done; }
case "$1 $2" in
"sts get-caller-identity")
  echo "{\"Account\":\"$(cat "$dir/account")\",\"Arn\":\"arn:aws:iam::$(cat "$dir/account"):user/tester\"}" ;;
"cloudformation describe-stack-events")
  echo "Stack does not exist" >&2; exit 255 ;;
"cloudformation describe-stacks")
  # DescribeStacks of a stack never deployed (deploy checks for stacks needing recovery).
  want=--stack-name; stack=$(arg "$@")
  echo "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id $stack does not exist" >&2; exit 255 ;;
"cloudformation deploy")
  want=--stack-name; stack=$(arg "$@")
  [ -f "$dir/fail-$stack" ] && { echo "Failed to create/update the stack" ; exit 255; }
  echo "Waiting for changeset to be created.."; echo "Successfully created/updated stack - $stack" ;;
"cloudformation describe-stack-resource")
  want=--logical-resource-id; id=$(arg "$@")
  want=--stack-name; stack=$(arg "$@")
  if [ -f "$dir/no-stack-$stack" ]; then echo "Stack with id $stack does not exist" >&2; exit 255; fi
  echo "{\"StackResourceDetail\":{\"PhysicalResourceId\":\"phys-$id\"}}" ;;
"ecr describe-repositories")
  want=--repository-names; n=$(arg "$@")
  echo "{\"repositories\":[{\"repositoryName\":\"$n\",\"repositoryUri\":\"123456789012.dkr.ecr.us-east-1.amazonaws.com/$n\"}]}" ;;
"ecr get-login-password") echo "fake-password" ;;
"ecr describe-images")
  echo '{"imageDetails":[{"imageDigest":"sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"}]}' ;;
"ecs run-task")
  echo '{"tasks":[{"taskArn":"arn:aws:ecs:us-east-1:123456789012:task/setup/1"}],"failures":[]}' ;;
"ecs describe-tasks")
  code=$(cat "$dir/exit-code" 2>/dev/null || echo 0)
  echo "{\"tasks\":[{\"lastStatus\":\"STOPPED\",\"stoppedReason\":\"Essential container in task exited\",\"containers\":[{\"name\":\"psql\",\"exitCode\":$code}]}]}" ;;
"secretsmanager describe-secret")
  if [ -f "$dir/empty-secret" ]; then echo '{"ARN":"arn:secret","VersionIdsToStages":{}}';
  else echo '{"ARN":"arn:secret","VersionIdsToStages":{"v1":["AWSCURRENT"]}}'; fi ;;
*) echo "fake aws: unexpected call: $*" >&2; exit 2 ;;
esac
"#;

const FAKE_TOOL: &str = r#"#!/bin/sh
# A container tool: logs each call; `image inspect` answers an image ID.
dir=$(cd "$(dirname "$0")" && pwd)
echo "tool $*" >> "$dir/calls.log"
case "$1 $2" in
"image inspect") echo "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" ;;
"login --username") cat > "$dir/login-password" ;;
esac
exit 0
"#;

struct Fakes {
    dir: tempfile::TempDir,
}

impl Fakes {
    fn new(account: &str) -> Fakes {
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in [("aws", FAKE_AWS), ("tool", FAKE_TOOL)] {
            let p = dir.path().join(name);
            fs::write(&p, body).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        fs::write(dir.path().join("account"), account).unwrap();
        fs::create_dir(dir.path().join("app")).unwrap();
        fs::write(dir.path().join("app/Dockerfile"), "FROM scratch\n").unwrap();
        Fakes { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn calls(&self) -> Vec<String> {
        fs::read_to_string(self.path("calls.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Runs `deploy` of the migration-api with `args`; (exit code, stdout, stderr).
    fn deploy(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let out = Command::new(assert_cmd::cargo::cargo_bin("stackforge"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("STACKFORGE_AWS_CLI", self.path("aws"))
            .env("STACKFORGE_CONTAINER_TOOL", self.path("tool"))
            .env("STACKFORGE_DEPLOY_POLL_MS", "20")
            .arg("deploy")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

fn position(calls: &[String], pred: impl Fn(&str) -> bool) -> usize {
    calls
        .iter()
        .position(|c| pred(c))
        .unwrap_or_else(|| panic!("no such call in {calls:#?}"))
}

const EMAIL: &str = "monitoring:AlertEmail=oncall@stackforge.dev";

/// The first deploy from nothing, end to end of the calls: the image is built before any
/// stack, pushed after `registry` (whose repository CloudFormation named), its ECR digest
/// passed to `service`; the database users are created after `data`.
#[test]
fn deploy_builds_before_any_stack_pushes_after_the_registry_and_pins_the_digest() {
    let f = Fakes::new("123456789012");
    let context = f.path("app");
    let (code, out, err) = f.deploy(&[
        "--env",
        "dev",
        "--region",
        "us-east-1",
        "--parameter",
        EMAIL,
        "--image-context",
        context.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    let calls = f.calls();
    let deploy_of = |s: &str| {
        let needle = format!("--stack-name migration-api-dev-{s} ");
        position(&calls, move |c| {
            c.starts_with("aws cloudformation deploy") && c.contains(&needle)
        })
    };
    let build = position(&calls, |c| {
        c.starts_with("tool build --platform linux/amd64 -t stackforge/migration-api-service-imagedigest:build")
    });
    let push = position(&calls, |c| {
        c == "tool push 123456789012.dkr.ecr.us-east-1.amazonaws.com/phys-ApiRepositoryAADF3F12:sha256-0123456789ab"
    });
    let login = position(&calls, |c| {
        c == "tool login --username AWS --password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com"
    });
    assert_eq!(
        fs::read_to_string(f.path("login-password")).unwrap().trim(),
        "fake-password"
    );
    let setup = position(&calls, |c| c.starts_with("aws ecs run-task"));
    assert!(
        build < deploy_of("network"),
        "built before anything changes"
    );
    assert!(deploy_of("registry") < login && login < push && push < deploy_of("service"));
    assert!(deploy_of("data") < setup && setup < deploy_of("registry"));
    let service = &calls[deploy_of("service")];
    assert!(
        service.contains(&format!("ImageDigest=sha256:{}", "d".repeat(64))),
        "{service}"
    );
    let run = &calls[setup];
    assert!(
        run.contains("--task-definition phys-UserSetupTaskDefinition")
            && run.contains("assignPublicIp=DISABLED")
            && run.contains("subnets=[phys-VpcPrivateSubnet1Subnet536B997A,phys-VpcPrivateSubnet2Subnet3788AAA1]"),
        "{run}"
    );
    assert!(out.contains("setup task UserSetupTaskDefinition"), "{out}");
}

/// `--image-digest` skips the build: no container tool is needed or called.
#[test]
fn an_image_digest_skips_the_build_and_the_push() {
    let f = Fakes::new("123456789012");
    let digest = format!("sha256:{}", "e".repeat(64));
    let (code, out, err) = f.deploy(&[
        "--env",
        "dev",
        "--parameter",
        EMAIL,
        "--image-digest",
        &digest,
        "--skip-setup-tasks",
    ]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    let calls = f.calls();
    assert!(calls.iter().all(|c| !c.starts_with("tool ")), "{calls:#?}");
    assert!(calls.iter().all(|c| !c.starts_with("aws ecs run-task")));
    let service = calls
        .iter()
        .find(|c| {
            c.starts_with("aws cloudformation deploy")
                && c.contains("--stack-name migration-api-dev-service ")
        })
        .unwrap();
    assert!(
        service.contains(&format!("ImageDigest={digest}")),
        "{service}"
    );
    assert!(out.contains("setup tasks skipped"), "{out}");
}

/// A deploy without any image for a digest parameter stops before anything changes.
#[test]
fn a_deploy_without_an_image_stops_before_anything_changes() {
    let f = Fakes::new("123456789012");
    let (code, _, err) = f.deploy(&["--env", "dev", "--parameter", EMAIL]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("service:ImageDigest needs an image") && err.contains("--image-context DIR"),
        "{err}"
    );
    assert!(f.calls().is_empty(), "{:?}", f.calls());
}

/// A setup task that exits non-zero stops the deploy before the stacks that need its work.
#[test]
fn a_failed_setup_task_stops_the_deploy_before_the_service() {
    let f = Fakes::new("123456789012");
    fs::write(f.path("exit-code"), "3").unwrap();
    let digest = format!("sha256:{}", "e".repeat(64));
    let (code, out, err) = f.deploy(&[
        "--env",
        "dev",
        "--parameter",
        EMAIL,
        "--image-digest",
        &digest,
    ]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        err.contains("setup task UserSetupTaskDefinition")
            && err.contains("of migration-api-dev-data failed: psql exited 3"),
        "{err}"
    );
    assert!(
        err.contains("not deployed: migration-api-dev-registry, migration-api-dev-service"),
        "{err}"
    );
    // Only the status read before anything runs (stacks needing recovery) names it.
    assert!(f.calls().iter().all(|c| {
        !c.contains("--stack-name migration-api-dev-service ")
            || c.starts_with("aws cloudformation describe-stacks ")
    }));
}

/// Placeholders: RFC 2606 reserves `example.com` (nobody receives the alerts), and the AWS
/// documentation's example account 123456789012 is not the deploying account (the committed
/// certificate ARN names nothing there). `deploy` stops before changing anything and says
/// the command that fixes each.
#[test]
fn placeholder_parameters_stop_the_deploy_with_the_command_that_fixes_them() {
    let f = Fakes::new("210987654321");
    let digest = format!("sha256:{}", "e".repeat(64));
    let (code, _, err) = f.deploy(&["--env", "dev", "--image-digest", &digest]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("parameter monitoring:AlertEmail is `migration-api-dev-alerts@example.com`")
            && err.contains("deploy --env dev --parameter monitoring:AlertEmail=VALUE"),
        "{err}"
    );
    assert!(
        err.contains("parameter service:CertificateArn is `arn:aws:acm:us-east-1:123456789012:")
            && err.contains("account 123456789012, the AWS documentation's example account (deploying to 210987654321)"),
        "{err}"
    );
    let calls = f.calls();
    assert!(
        calls
            .iter()
            .all(|c| !c.starts_with("aws cloudformation deploy")),
        "{calls:#?}"
    );
}

/// "Pass Secrets Manager secrets through Amazon ECS environment variables": ECS reads the
/// secret's current value when a task starts; without one the task cannot start and the
/// circuit breaker rolls the service back. An app whose container reads a secret set after
/// deploy: `deploy` stops before the consumer while the secret is empty, with the
/// `put-secret-value` command.
#[test]
fn ecs_cannot_start_a_task_whose_secret_has_no_value() {
    let dir = tempfile::tempdir().unwrap();
    let f = Fakes::new("123456789012");
    fs::write(f.path("empty-secret"), "").unwrap();
    fs::create_dir_all(dir.path().join("dev")).unwrap();
    let t = dir.path().to_str().unwrap();
    // Only this test of the file runs deploy in-process, so the environment is its own.
    std::env::set_var("STACKFORGE_AWS_CLI", f.path("aws"));
    let r = common::run_cli(secret_app, &["deploy", "--templates", t]);
    std::env::remove_var("STACKFORGE_AWS_CLI");
    let (code, out, err) = (r.code, r.out, r.err);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("secret phys-ApiKeys")
            && err.contains("has no value, and TOKEN of container app of stack app reads it")
            && err.contains("aws secretsmanager put-secret-value --secret-id phys-ApiKeys"),
        "{err}"
    );
    assert!(f
        .calls()
        .iter()
        .all(|c| !c.starts_with("aws cloudformation deploy")));
}

/// An app whose `app` stack runs a container reading a secret of `data` set after deploy.
fn secret_app() -> Result<stackforge_constructs::App, stackforge_constructs::Error> {
    use indexmap::IndexMap;
    use stackforge_constructs::aws::ecr::Repository;
    use stackforge_constructs::aws::ecs::{
        ContainerDefinitionProps, ContainerImage, ContainerLogging, FargateTaskDefinition,
        FargateTaskDefinitionProps, SecretRef,
    };
    use stackforge_constructs::aws::logs::{LogGroup, LogGroupProps};
    use stackforge_constructs::aws::secretsmanager::{Secret, SecretProps, SecretValue};
    use stackforge_constructs::{App, Environment, Stack, StackProps};

    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    let mut data = Stack::new(&app, &dev, "data", StackProps::default())?;
    let secret = Secret::new(
        &mut data.root(),
        "ApiKeys",
        SecretProps {
            value: SecretValue::SetAfterDeploy,
            ..Default::default()
        },
    )?;
    let mut stack = Stack::new(&app, &dev, "app", StackProps::default())?;
    let mut root = stack.root();
    let logs = LogGroup::new(&mut root, "Logs", LogGroupProps::default())?;
    let repository =
        Repository::from_name(stackforge_constructs::aws::refs::RepositoryName::from_expr(
            stackforge_constructs::Expr::str("shop"),
        ));
    let mut secrets = IndexMap::new();
    secrets.insert(
        "TOKEN".to_owned(),
        SecretRef::new(secret.arn()).with_kms_key(secret.key()),
    );
    FargateTaskDefinition::new(
        &mut root,
        "Task",
        FargateTaskDefinitionProps::default().add_container(ContainerDefinitionProps {
            secrets,
            ..ContainerDefinitionProps::new(
                "app",
                ContainerImage::ecr_tag(&repository, "1.0.0"),
                ContainerLogging::new(&logs, "app"),
            )
        }),
    )?;
    app.add_stack(data)?;
    app.add_stack(stack)?;
    Ok(app)
}
