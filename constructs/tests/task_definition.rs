//! `FargateTaskDefinition` and `TaskRoles`: several hardened containers (essential or not,
//! dependencies, ports, health checks, secrets, environment), task and container limits,
//! an execution role reaching exactly the images, log groups and secrets of the containers,
//! and the errors.

mod common;

use common::{assert_invalid, rejected};
use indexmap::IndexMap;
use serde_json::{json, Value};
use stackforge_constructs::aws::ecr::Repository;
use stackforge_constructs::aws::ecs::{
    ContainerDefinitionProps, ContainerDependency, ContainerHealthCheck, ContainerImage,
    ContainerLogging, DependencyCondition, FargateTaskDefinition, FargateTaskDefinitionProps,
    TaskRoles,
};
use stackforge_constructs::aws::logs::{LogGroup, LogGroupProps};
use stackforge_constructs::aws::refs::{KmsKeyArn, RepositoryName, SecretArn};
use stackforge_constructs::aws::secretsmanager::SecretRef;
use stackforge_constructs::testing::{resources_of_type as of_type, synth_template as synth};
use stackforge_constructs::{Expr, Result, Scope};

const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/db-AbCdEf";
const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1234-5678-9abc-0123456789ab";
const SIDECAR: &str = "public.ecr.aws/aws-observability/aws-otel-collector@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn repo() -> Repository {
    Repository::from_name(RepositoryName::from_expr("orders"))
}

fn logs(s: &mut Scope<'_>) -> Result<LogGroup> {
    LogGroup::new(s, "Logs", LogGroupProps::default())
}

/// An app, a sidecar it waits for, and a migration that must succeed first.
fn three_containers(logs: &LogGroup) -> FargateTaskDefinitionProps {
    let mut secrets = IndexMap::new();
    secrets.insert(
        "DB_PASSWORD".to_owned(),
        SecretRef::json_key(SecretArn::from_expr(SECRET), "password")
            .with_kms_key(KmsKeyArn::from_expr(KEY)),
    );
    let mut environment = IndexMap::new();
    environment.insert("LOG_LEVEL".to_owned(), Expr::str("info"));
    FargateTaskDefinitionProps {
        cpu: 1024,
        memory_mib: 2048,
        ..Default::default()
    }
    .add_container(ContainerDefinitionProps {
        cpu: Some(512),
        memory_mib: Some(1024),
        ports: vec![8080],
        environment,
        secrets: secrets.clone(),
        health_check: Some(ContainerHealthCheck::new(["CMD", "/app", "health"])),
        depends_on: vec![
            ContainerDependency::new("otel", DependencyCondition::Healthy),
            ContainerDependency::new("migrate", DependencyCondition::Success),
        ],
        ..ContainerDefinitionProps::new(
            "app",
            ContainerImage::ecr_tag(&repo(), "1.4.2"),
            ContainerLogging::new(logs, "app"),
        )
    })
    .add_container(ContainerDefinitionProps {
        cpu: Some(256),
        memory_mib: Some(512),
        ports: vec![4317],
        scratch_paths: vec!["/tmp".into(), "/var/otel".into()],
        health_check: Some(ContainerHealthCheck::new(["CMD", "/healthcheck"])),
        ..ContainerDefinitionProps::new(
            "otel",
            ContainerImage::pinned(SIDECAR),
            ContainerLogging::new(logs, "otel"),
        )
    })
    .add_container(ContainerDefinitionProps {
        essential: false,
        cpu: Some(256),
        memory_mib: Some(512),
        command: vec!["/app".into(), "migrate".into()],
        secrets,
        ..ContainerDefinitionProps::new(
            "migrate",
            ContainerImage::ecr_tag(&repo(), "1.4.2"),
            ContainerLogging::new(logs, "migrate"),
        )
    })
}

fn template() -> Value {
    synth("task_definition_three_containers", |s| {
        let logs = logs(s)?;
        FargateTaskDefinition::new(s, "Task", three_containers(&logs))?;
        Ok(())
    })
}

fn containers(t: &Value) -> Vec<Value> {
    of_type(t, "AWS::ECS::TaskDefinition")[0].1["Properties"]["ContainerDefinitions"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn three_containers_snapshot() {
    insta::assert_json_snapshot!("task_definition_three_containers", template());
}

#[test]
fn every_container_is_hardened_and_limited() {
    let t = template();
    let task = &of_type(&t, "AWS::ECS::TaskDefinition")[0].1["Properties"];
    assert_eq!(
        (task["Cpu"].clone(), task["Memory"].clone()),
        (json!("1024"), json!("2048"))
    );
    for c in containers(&t) {
        assert_eq!(c["User"], "10001", "{}", c["Name"]);
        assert_eq!(c["ReadonlyRootFilesystem"], true);
        assert_eq!(c["Privileged"], false);
        assert_eq!(c["LinuxParameters"]["Capabilities"]["Drop"], json!(["ALL"]));
        assert!(c["Cpu"].is_u64() && c["Memory"].is_u64());
        assert_eq!(c["LogConfiguration"]["LogDriver"], "awslogs");
    }
}

#[test]
fn dependencies_essential_flags_ports_and_scratch_volumes() {
    let t = template();
    let c = containers(&t);
    assert_eq!(
        c[0]["DependsOn"],
        json!([
            {"Condition": "HEALTHY", "ContainerName": "otel"},
            {"Condition": "SUCCESS", "ContainerName": "migrate"}
        ])
    );
    assert_eq!(c[2]["Essential"], false);
    assert_eq!(c[2]["Command"], json!(["/app", "migrate"]));
    assert!(c[2]["PortMappings"].is_null());
    assert_eq!(
        c[1]["PortMappings"],
        json!([{"ContainerPort": 4317, "Protocol": "tcp"}])
    );
    assert_eq!(c[1]["Image"], SIDECAR);
    // Volumes are numbered across the task.
    let mounts: Vec<Value> = c.iter().map(|c| c["MountPoints"].clone()).collect();
    assert_eq!(mounts[0][0]["SourceVolume"], "scratch0");
    assert_eq!(mounts[1][1]["SourceVolume"], "scratch2");
    assert_eq!(mounts[2][0]["SourceVolume"], "scratch3");
    let task = &of_type(&t, "AWS::ECS::TaskDefinition")[0].1["Properties"];
    assert_eq!(task["Volumes"].as_array().unwrap().len(), 4);
}

#[test]
fn the_execution_role_reaches_exactly_the_images_logs_and_secrets_of_the_containers() {
    let t = template();
    let roles = of_type(&t, "AWS::IAM::Role");
    let execution = roles
        .iter()
        .find(|(_, r)| r["Metadata"]["stackforge:path"] == "test/Task/ExecutionRole/Resource")
        .unwrap()
        .1;
    let statements = execution["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    let sids: Vec<&str> = statements
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(
        sids,
        [
            "PullImage",
            "RegistryLogin",
            "WriteLogs",
            "ReadSecrets",
            "DecryptSecrets"
        ]
    );
    // One repository, one log group, one secret, one key: each listed once.
    for s in statements {
        match &s["Resource"] {
            Value::Array(a) => assert_eq!(a.len(), 1, "{s}"),
            other => assert!(other.is_string() || other.is_object(), "{s}"),
        }
    }
    assert_eq!(statements[3]["Resource"], SECRET);
    let task_role = roles
        .iter()
        .find(|(_, r)| r["Metadata"]["stackforge:path"] == "test/Task/TaskRole/Resource")
        .unwrap()
        .1;
    assert!(
        task_role["Properties"]["Policies"].is_null(),
        "no permission until granted"
    );
}

#[test]
fn pinned_images_need_no_registry_permissions_and_exec_opens_the_ssm_channels() {
    let t = synth("task_definition_pinned", |s| {
        let logs = logs(s)?;
        let props = FargateTaskDefinitionProps {
            enable_execute_command: true,
            ..Default::default()
        }
        .add_container(ContainerDefinitionProps::new(
            "otel",
            ContainerImage::pinned(SIDECAR),
            ContainerLogging::new(&logs, "otel"),
        ));
        FargateTaskDefinition::new(s, "Task", props)?;
        Ok(())
    });
    let text = t.to_string();
    assert!(!text.contains("PullImage") && !text.contains("ecr:GetAuthorizationToken"));
    assert!(text.contains("ssmmessages:CreateControlChannel"));
}

#[test]
fn roles_made_for_other_containers_are_refused() {
    let e = rejected(
        |s| {
            let logs = logs(s)?;
            let narrow =
                FargateTaskDefinitionProps::default().add_container(ContainerDefinitionProps::new(
                    "otel",
                    ContainerImage::pinned(SIDECAR),
                    ContainerLogging::new(&logs, "otel"),
                ));
            let roles = TaskRoles::new(s, &narrow)?;
            Ok((logs, roles))
        },
        |s, (logs, roles)| {
            FargateTaskDefinition::with_roles(s, "Task", three_containers(&logs), &roles)
                .map(|_| ())
        },
    );
    assert_invalid(
        &e,
        "test/Task",
        "roles",
        "the execution role does not allow",
    );
}

fn err(change: impl Fn(&mut FargateTaskDefinitionProps)) -> String {
    rejected(logs, |s, logs| {
        let mut props = three_containers(&logs);
        change(&mut props);
        FargateTaskDefinition::new(s, "Task", props).map(|_| ())
    })
}

#[test]
fn errors_name_the_field_and_add_nothing() {
    type Change = Box<dyn Fn(&mut FargateTaskDefinitionProps)>;
    let cases: Vec<(Change, &str, &str)> = vec![
        (
            Box::new(|p| p.cpu = 300),
            "cpu",
            "300 CPU units is not a Fargate task size",
        ),
        (
            Box::new(|p| p.memory_mib = 512),
            "memory_mib",
            "512 MiB with 1024 CPU units",
        ),
        (
            Box::new(|p| p.containers.clear()),
            "containers",
            "no essential container",
        ),
        (
            Box::new(|p| p.containers.iter_mut().for_each(|c| c.essential = false)),
            "containers",
            "no essential container",
        ),
        (
            Box::new(|p| p.containers[1].name = "app".into()),
            "containers[1].name",
            "two containers are named `app`",
        ),
        (
            Box::new(|p| p.containers[0].memory_mib = Some(2048)),
            "containers",
            "ask for 1024 CPU units and 3072 MiB together",
        ),
        (
            Box::new(|p| p.containers[0].cpu = Some(0)),
            "containers[0].cpu",
            "outside 1..=1024",
        ),
        (
            Box::new(|p| p.containers[1].memory_mib = Some(4)),
            "containers[1].memory_mib",
            "outside 6..=2048",
        ),
        (
            Box::new(|p| p.containers[2].user = "0:0".into()),
            "containers[2].user",
            "root",
        ),
        (
            Box::new(|p| p.containers[0].ports = vec![8080, 8080]),
            "containers[0].ports",
            "listed twice",
        ),
        (
            Box::new(|p| p.containers[0].ports = vec![0]),
            "containers[0].ports",
            "port 0",
        ),
        (
            Box::new(|p| p.containers[2].command = vec![String::new()]),
            "containers[2].command",
            "empty argument",
        ),
        (
            Box::new(|p| {
                p.containers[0]
                    .environment
                    .insert("DB_PASSWORD".into(), Expr::str("x"));
            }),
            "containers[0].secrets",
            "set more than once",
        ),
        (
            Box::new(|p| {
                p.containers[0]
                    .environment
                    .insert("1BAD".into(), Expr::str("x"));
            }),
            "containers[0].environment",
            "not an environment variable name",
        ),
        (
            Box::new(|p| {
                p.containers[2].secrets.insert(
                    "TOKEN".into(),
                    SecretRef::new(SecretArn::from_expr("hunter2")),
                );
            }),
            "containers[2].secrets.TOKEN",
            "is not a Secrets Manager secret ARN",
        ),
        (
            Box::new(|p| p.containers[1].image = ContainerImage::pinned("otel/collector:latest")),
            "containers[1].image",
            "is not pinned by digest",
        ),
        (
            Box::new(|p| p.containers[0].image = ContainerImage::ecr_tag(&repo(), "a:b")),
            "containers[0].image",
            "is not an image tag",
        ),
        (
            Box::new(|p| p.containers[0].image = ContainerImage::ecr_digest(&repo(), "latest")),
            "containers[0].image",
            "is not an image digest",
        ),
        (
            Box::new(|p| p.containers[0].logging.stream_prefix = "a:b".into()),
            "containers[0].logging.stream_prefix",
            "not a log stream prefix",
        ),
        (
            Box::new(|p| p.containers[0].scratch_paths = vec!["tmp".into()]),
            "containers[0].scratch_paths",
            "not an absolute directory",
        ),
        (
            Box::new(|p| p.containers[0].health_check = Some(ContainerHealthCheck::new(["curl"]))),
            "containers[0].health_check.command",
            "not a health check command",
        ),
        (
            Box::new(|p| {
                p.containers[0].depends_on =
                    vec![ContainerDependency::new("db", DependencyCondition::Start)]
            }),
            "containers[0].depends_on",
            "no container of the task is named `db`",
        ),
        (
            Box::new(|p| {
                p.containers[0].depends_on =
                    vec![ContainerDependency::new("app", DependencyCondition::Start)]
            }),
            "containers[0].depends_on",
            "cannot wait for itself",
        ),
        (
            Box::new(|p| {
                p.containers[0].depends_on = vec![ContainerDependency::new(
                    "otel",
                    DependencyCondition::Complete,
                )]
            }),
            "containers[0].depends_on",
            "essential",
        ),
        (
            Box::new(|p| {
                p.containers[0].depends_on = vec![ContainerDependency::new(
                    "migrate",
                    DependencyCondition::Healthy,
                )]
            }),
            "containers[0].depends_on",
            "needs the other container to have a health check",
        ),
    ];
    for (change, field, problem) in cases {
        let e = err(change);
        assert_invalid(&e, "test/Task", field, problem);
        assert!(e.contains("Fix: "), "{e}");
    }
}
