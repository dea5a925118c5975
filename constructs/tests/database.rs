//! Data: `Secret` (guide section 1, "Secrets Management") and `RdsEncrypted` (section 2,
//! "Database Security": encryption at rest and in transit, IAM authentication, network
//! isolation, encrypted backups), with every validation error.

use serde_json::{json, Value};
use stackforge_constructs::aws::ec2::{
    Connectable, SecurityGroup, SecurityGroupProps, Subnet, Vpc, VpcAttributes, VpcProps,
};
use stackforge_constructs::aws::iam::{ServiceRole, ServiceRoleProps};
use stackforge_constructs::aws::kms::{KmsKey, KmsKeyProps};
use stackforge_constructs::aws::rds::{Engine, MasterSecret, RdsEncrypted, RdsEncryptedProps};
use stackforge_constructs::aws::refs::{RoleName, RouteTableId, SubnetId, VpcId};
use stackforge_constructs::aws::secretsmanager::{
    GeneratedValue, Secret, SecretProps, SecretValue,
};
use stackforge_constructs::testing::{
    resources_of_type as of_type, synth_error as err, synth_template as synth, write_for_lint,
};
use stackforge_constructs::{App, Environment, Error, Expr, Scope, Stack, StackProps};

fn one<'a>(t: &'a Value, type_name: &str) -> (&'a String, &'a Value) {
    let all = of_type(t, type_name);
    assert_eq!(all.len(), 1, "{type_name}");
    all[0]
}

fn subnets(prefix: &str, n: usize) -> Vec<Subnet> {
    (0..n)
        .map(|i| Subnet {
            id: SubnetId::from_expr(format!("subnet-{prefix}{i:016x}")),
            availability_zone: Expr::str(format!("us-east-1{}", ['a', 'b', 'c'][i])),
            route_table: RouteTableId::from_expr(format!("rtb-{prefix}{i:016x}")),
        })
        .collect()
}

/// An existing VPC with two private and two isolated subnets (keeps snapshots on the DB).
fn existing_vpc() -> Vpc {
    Vpc::from_attributes(VpcAttributes {
        vpc_id: VpcId::from_expr("vpc-0123456789abcdef0"),
        cidr: Expr::str("10.0.0.0/16"),
        public_subnets: Vec::new(),
        private_subnets: subnets("0a", 2),
        isolated_subnets: subnets("0b", 2),
    })
}

fn role(s: &mut Scope<'_>) -> Result<RoleName, Error> {
    Ok(ServiceRole::new(
        s,
        "TaskRole",
        ServiceRoleProps {
            service: "ecs-tasks.amazonaws.com".into(),
            ..Default::default()
        },
    )?
    .name())
}

// ---------------------------------------------------------------- Secret

#[test]
fn secret_default_is_generated_and_encrypted_with_its_own_key() {
    let t = synth("secret_default", |s| {
        let secret = Secret::new(s, "DbPassword", SecretProps::default())?;
        let role = role(s)?;
        secret.grant_read(s, "ReadSecret", &role)?;
        Ok(())
    });
    insta::assert_json_snapshot!("secret_default", t);
    let (key, _) = one(&t, "AWS::KMS::Key");
    let (secret, res) = one(&t, "AWS::SecretsManager::Secret");
    let p = &res["Properties"];
    assert_eq!(p["KmsKeyId"], json!({"Fn::GetAtt": [key, "Arn"]}));
    assert_eq!(
        p["GenerateSecretString"],
        json!({"ExcludeCharacters": " \"@/\\'", "PasswordLength": 32})
    );
    assert!(p.get("SecretString").is_none() && p.get("Name").is_none());
    assert_eq!(res["DeletionPolicy"], json!("Retain"));
    // Reading it: exactly this secret, and the key only through Secrets Manager.
    let (_, policy) = one(&t, "AWS::IAM::Policy");
    assert_eq!(
        policy["Properties"]["PolicyDocument"]["Statement"],
        json!([
            {"Effect": "Allow",
             "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
             "Resource": {"Ref": secret}},
            {"Effect": "Allow", "Action": "kms:Decrypt",
             "Resource": {"Fn::GetAtt": [key, "Arn"]},
             "Condition": {"StringEquals": {"kms:ViaService": {"Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"}}}}
        ])
    );
}

#[test]
fn secret_customised_with_a_json_template_a_given_key_and_a_name() {
    let t = synth("secret_custom", |s| {
        let key = KmsKey::new(s, "Key", KmsKeyProps::default())?;
        let secret = Secret::new(
            s,
            "Credentials",
            SecretProps {
                value: SecretValue::Generated(GeneratedValue {
                    length: 48,
                    exclude_characters: "\"".into(),
                    secret_string_template: Some(r#"{"username":"app"}"#.into()),
                    generate_string_key: Some("password".into()),
                }),
                encryption_key: Some(key.arn()),
                name: Some("migration-api/credentials".into()),
                description: Some("Application credentials".into()),
                ..Default::default()
            },
        )?;
        assert_eq!(secret.key(), key.arn());
        let role = role(s)?;
        secret.grant_read(s, "ReadSecret", &role)?;
        Ok(())
    });
    insta::assert_json_snapshot!("secret_custom", t);
    let (_, res) = one(&t, "AWS::SecretsManager::Secret");
    assert_eq!(
        res["Properties"]["GenerateSecretString"],
        json!({"ExcludeCharacters": "\"", "GenerateStringKey": "password", "PasswordLength": 48,
               "SecretStringTemplate": "{\"username\":\"app\"}"})
    );
    assert_eq!(
        res["Properties"]["Name"],
        json!("migration-api/credentials")
    );
    // A given key is granted by its owner: the read policy names the secret only.
    let (_, policy) = one(&t, "AWS::IAM::Policy");
    let statements = policy["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    assert_eq!(statements.len(), 1);
}

#[test]
fn secret_set_after_deploy_has_no_value_in_the_template() {
    let t = synth("secret_set_after_deploy", |s| {
        Secret::new(
            s,
            "ApiKeys",
            SecretProps {
                value: SecretValue::SetAfterDeploy,
                ..Default::default()
            },
        )?;
        Ok(())
    });
    let (_, res) = one(&t, "AWS::SecretsManager::Secret");
    let p = res["Properties"].as_object().unwrap();
    assert!(!p.contains_key("SecretString") && !p.contains_key("GenerateSecretString"));
    assert!(p.contains_key("KmsKeyId"));
}

fn secret_err(value: GeneratedValue) -> String {
    err(|s| {
        Secret::new(
            s,
            "S",
            SecretProps {
                value: SecretValue::Generated(value),
                ..Default::default()
            },
        )
        .map(|_| ())
    })
}

#[test]
fn a_short_generated_secret_is_rejected() {
    let e = secret_err(GeneratedValue {
        length: 8,
        ..Default::default()
    });
    assert!(
        e.contains("`test/S`: invalid `value.length`: 8 characters is outside 16..=4096"),
        "{e}"
    );
}

#[test]
fn a_secret_template_that_is_not_a_json_object_is_rejected() {
    for template in ["{username", "[1]"] {
        let e = secret_err(GeneratedValue {
            secret_string_template: Some(template.into()),
            generate_string_key: Some("password".into()),
            ..Default::default()
        });
        assert!(
            e.contains("`test/S`: invalid `value.secret_string_template`"),
            "{e}"
        );
    }
}

#[test]
fn a_secret_template_without_its_key_is_rejected() {
    let e = secret_err(GeneratedValue {
        secret_string_template: Some(r#"{"username":"app"}"#.into()),
        ..Default::default()
    });
    assert!(
        e.contains("`test/S`: invalid `value.generate_string_key`: `secret_string_template` and `generate_string_key` must be set together"),
        "{e}"
    );
    let e = secret_err(GeneratedValue {
        secret_string_template: Some(r#"{"password":"x"}"#.into()),
        generate_string_key: Some("password".into()),
        ..Default::default()
    });
    assert!(e.contains("already a key of the template"), "{e}");
}

#[test]
fn a_bad_secret_name_is_rejected() {
    let e = err(|s| {
        Secret::new(
            s,
            "S",
            SecretProps {
                name: Some("db password".into()),
                ..Default::default()
            },
        )
        .map(|_| ())
    });
    assert!(
        e.contains("`test/S`: invalid `name`: `db password` is not a secret name"),
        "{e}"
    );
}

// ---------------------------------------------------------------- RdsEncrypted

#[test]
fn rds_default_is_encrypted_tls_only_iam_authenticated_isolated_and_backed_up() {
    let t = synth("rds_default", |s| {
        let db = RdsEncrypted::new(s, "Db", &existing_vpc(), RdsEncryptedProps::default())?;
        assert_eq!(db.port(), 5432);
        Ok(())
    });
    insta::assert_json_snapshot!("rds_default", t);
    let (key, key_res) = one(&t, "AWS::KMS::Key");
    let key_arn = json!({"Fn::GetAtt": [key, "Arn"]});
    let (_, db) = one(&t, "AWS::RDS::DBInstance");
    let p = &db["Properties"];

    // Encryption at rest: storage with a customer-managed key that rotates.
    assert_eq!(p["StorageEncrypted"], json!(true));
    assert_eq!(p["KmsKeyId"], key_arn);
    assert_eq!(key_res["Properties"]["EnableKeyRotation"], json!(true));

    // Encryption in transit: the instance uses its own group, which forces TLS.
    let (pg, pg_res) = one(&t, "AWS::RDS::DBParameterGroup");
    assert_eq!(p["DBParameterGroupName"], json!({"Ref": pg}));
    assert_eq!(pg_res["Properties"]["Family"], json!("postgres17"));
    assert_eq!(
        pg_res["Properties"]["Parameters"],
        json!({"rds.force_ssl": "1"})
    );

    // IAM database authentication.
    assert_eq!(p["EnableIAMDatabaseAuthentication"], json!(true));

    // Secrets: the master password is generated and held by Secrets Manager, encrypted.
    assert_eq!(p["ManageMasterUserPassword"], json!(true));
    assert_eq!(p["MasterUserSecret"], json!({"KmsKeyId": key_arn}));
    assert!(p.get("MasterUserPassword").is_none());
    assert_eq!(p["MasterUsername"], json!("app_admin"));

    // Network isolation: not public, in the isolated subnets.
    assert_eq!(p["PubliclyAccessible"], json!(false));
    let (sng, sng_res) = one(&t, "AWS::RDS::DBSubnetGroup");
    assert_eq!(p["DBSubnetGroupName"], json!({"Ref": sng}));
    assert_eq!(
        sng_res["Properties"]["SubnetIds"],
        json!(["subnet-0b0000000000000000", "subnet-0b0000000000000001"])
    );
    assert_eq!(p["Port"], json!("5432"));

    // Encrypted backups, kept on deletion.
    assert_eq!(p["BackupRetentionPeriod"], json!(7));
    assert_eq!(p["CopyTagsToSnapshot"], json!(true));
    assert_eq!(p["DeletionProtection"], json!(true));
    assert_eq!(p["DeleteAutomatedBackups"], json!(false));
    assert_eq!(db["DeletionPolicy"], json!("Snapshot"));
    assert_eq!(db["UpdateReplacePolicy"], json!("Snapshot"));

    // Monitoring: logs, Performance Insights (encrypted), enhanced monitoring.
    assert_eq!(
        p["EnableCloudwatchLogsExports"],
        json!(["postgresql", "upgrade"])
    );
    assert_eq!(p["EnablePerformanceInsights"], json!(true));
    assert_eq!(p["PerformanceInsightsKMSKeyId"], key_arn);
    assert_eq!(p["PerformanceInsightsRetentionPeriod"], json!(7));
    assert_eq!(p["MonitoringInterval"], json!(60));
    let (role, role_res) = one(&t, "AWS::IAM::Role");
    assert_eq!(p["MonitoringRoleArn"], json!({"Fn::GetAtt": [role, "Arn"]}));
    assert_eq!(
        role_res["Properties"]["ManagedPolicyArns"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"}])
    );
    assert_eq!(
        role_res["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
        json!({"Service": "monitoring.rds.amazonaws.com"})
    );

    // Production-like defaults.
    assert_eq!(p["MultiAZ"], json!(true));
    assert_eq!(p["AutoMinorVersionUpgrade"], json!(true));
    assert_eq!(p["DBInstanceClass"], json!("db.t4g.medium"));
    assert_eq!(p["StorageType"], json!("gp3"));
    assert_eq!(
        (&p["AllocatedStorage"], &p["MaxAllocatedStorage"]),
        (&json!("20"), &json!(100))
    );
}

#[test]
fn rds_customised_mysql_with_a_given_key_and_windows() {
    let t = synth("rds_mysql", |s| {
        let key = KmsKey::new(s, "DataKey", KmsKeyProps::default())?;
        let db = RdsEncrypted::new(
            s,
            "Db",
            &existing_vpc(),
            RdsEncryptedProps {
                engine: Engine::Mysql {
                    version: "8.0.43".into(),
                },
                instance_class: "db.r6g.large".into(),
                allocated_storage_gib: 50,
                max_allocated_storage_gib: 200,
                multi_az: false,
                master_username: "migration_admin".into(),
                database_name: Some("migrations".into()),
                encryption_key: Some(key.arn()),
                backup_retention_days: 35,
                preferred_backup_window: Some("03:00-04:00".into()),
                preferred_maintenance_window: Some("sun:04:30-sun:05:30".into()),
                master_secret: MasterSecret::Managed,
            },
        )?;
        assert_eq!(db.port(), 3306);
        assert_eq!(db.key(), key.arn());
        Ok(())
    });
    insta::assert_json_snapshot!("rds_mysql", t);
    assert_eq!(of_type(&t, "AWS::KMS::Key").len(), 1);
    let (_, pg) = one(&t, "AWS::RDS::DBParameterGroup");
    assert_eq!(pg["Properties"]["Family"], json!("mysql8.0"));
    assert_eq!(
        pg["Properties"]["Parameters"]["require_secure_transport"],
        json!("ON")
    );
    let (_, db) = one(&t, "AWS::RDS::DBInstance");
    let p = &db["Properties"];
    assert_eq!(p["Engine"], json!("mysql"));
    assert_eq!(p["Port"], json!("3306"));
    assert_eq!(p["MultiAZ"], json!(false));
    assert_eq!(p["BackupRetentionPeriod"], json!(35));
    assert_eq!(p["DBName"], json!("migrations"));
    assert_eq!(p["PreferredBackupWindow"], json!("03:00-04:00"));
    assert_eq!(
        p["EnableCloudwatchLogsExports"],
        json!(["error", "slowquery"])
    );
}

#[test]
fn rds_in_a_new_vpc_uses_its_isolated_subnets() {
    let t = synth("rds_in_vpc", |s| {
        let vpc = Vpc::new(s, "Vpc", VpcProps::default())?;
        RdsEncrypted::new(s, "Db", &vpc, RdsEncryptedProps::default())?;
        Ok(())
    });
    let (_, sng) = one(&t, "AWS::RDS::DBSubnetGroup");
    let ids: Vec<&str> = sng["Properties"]["SubnetIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Ref"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(
        ids.iter().all(|id| id.starts_with("VpcIsolatedSubnet")),
        "{ids:?}"
    );
}

#[test]
fn rds_falls_back_to_private_subnets_without_isolated_ones() {
    let t = synth("rds_private", |s| {
        let vpc = Vpc::new(
            s,
            "Vpc",
            VpcProps {
                isolated_subnets: None,
                ..Default::default()
            },
        )?;
        RdsEncrypted::new(s, "Db", &vpc, RdsEncryptedProps::default())?;
        Ok(())
    });
    let (_, sng) = one(&t, "AWS::RDS::DBSubnetGroup");
    assert!(sng["Properties"]["SubnetIds"][0]["Ref"]
        .as_str()
        .unwrap()
        .starts_with("VpcPrivateSubnet1"));
}

#[test]
fn the_db_security_group_has_no_ingress_without_allow_from_and_no_egress() {
    let t = synth("rds_closed", |s| {
        RdsEncrypted::new(s, "Db", &existing_vpc(), RdsEncryptedProps::default())?;
        Ok(())
    });
    assert!(of_type(&t, "AWS::EC2::SecurityGroupIngress").is_empty());
    let (_, sg) = one(&t, "AWS::EC2::SecurityGroup");
    assert!(sg["Properties"].get("SecurityGroupIngress").is_none());
    assert_eq!(
        sg["Properties"]["SecurityGroupEgress"],
        json!([{"CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic",
                "FromPort": 252, "IpProtocol": "icmp", "ToPort": 86}])
    );
}

#[test]
fn allow_from_opens_exactly_the_db_port_to_exactly_the_peer_group() {
    let t = synth("rds_allow_from", |s| {
        let vpc = existing_vpc();
        let db = RdsEncrypted::new(s, "Db", &vpc, RdsEncryptedProps::default())?;
        let app = SecurityGroup::new(s, "App", &vpc.vpc_id(), SecurityGroupProps::default())?;
        db.allow_from(s, "DbFromApp", &app)?;
        Ok(())
    });
    let groups = of_type(&t, "AWS::EC2::SecurityGroup");
    let id_of = |path: &str| {
        groups
            .iter()
            .find(|(_, r)| r["Metadata"]["stackforge:path"] == path)
            .unwrap()
            .0
            .clone()
    };
    let (db_sg, app_sg) = (
        id_of("test/Db/SecurityGroup/Resource"),
        id_of("test/App/Resource"),
    );
    let (_, ingress) = one(&t, "AWS::EC2::SecurityGroupIngress");
    assert_eq!(
        ingress["Properties"],
        json!({
            "Description": "DbFromApp to test/Db",
            "FromPort": 5432,
            "GroupId": {"Fn::GetAtt": [db_sg, "GroupId"]},
            "IpProtocol": "tcp",
            "SourceSecurityGroupId": {"Fn::GetAtt": [app_sg, "GroupId"]},
            "ToPort": 5432
        })
    );
}

#[test]
fn allow_from_puts_the_rule_in_the_callers_stack() {
    let env = Environment::new("dev");
    let mut app = App::new("shop");
    let mut data = Stack::new(&app, &env, "data", StackProps::default()).unwrap();
    let db = RdsEncrypted::new(
        &mut data.root(),
        "Db",
        &existing_vpc(),
        RdsEncryptedProps::default(),
    )
    .unwrap();
    let mut service = Stack::new(&app, &env, "service", StackProps::default()).unwrap();
    let mut root = service.root();
    let tasks = SecurityGroup::new(
        &mut root,
        "Tasks",
        &existing_vpc().vpc_id(),
        SecurityGroupProps::default(),
    )
    .unwrap();
    db.allow_from(&mut root, "DbFromTasks", &tasks).unwrap();
    assert_eq!(
        db.security_group_id(),
        db.security_group().id(),
        "Connectable hands out the DB's own group"
    );
    app.add_stack(data).unwrap();
    app.add_stack(service).unwrap();
    let asm = app.synth().unwrap();
    write_for_lint("rds_cross_stack", &asm);
    let env = asm.environment("dev").unwrap();
    let data = env.stack("data").unwrap().json();
    let service = env.stack("service").unwrap().json();
    assert!(of_type(&data, "AWS::EC2::SecurityGroupIngress").is_empty());
    let (_, ingress) = one(&service, "AWS::EC2::SecurityGroupIngress");
    assert!(ingress["Properties"]["GroupId"]["Fn::ImportValue"].is_string());
}

#[test]
fn grant_connect_allows_one_db_user_of_this_instance_only() {
    let t = synth("rds_grant_connect", |s| {
        let db = RdsEncrypted::new(s, "Db", &existing_vpc(), RdsEncryptedProps::default())?;
        let role = role(s)?;
        db.grant_connect(s, "ConnectAsApp", &role, "migration_api")?;
        Ok(())
    });
    let (db, _) = one(&t, "AWS::RDS::DBInstance");
    let (_, policy) = one(&t, "AWS::IAM::Policy");
    assert_eq!(
        policy["Properties"]["PolicyDocument"]["Statement"],
        json!([{
            "Effect": "Allow",
            "Action": "rds-db:connect",
            "Resource": {"Fn::Sub": format!(
                "arn:${{AWS::Partition}}:rds-db:${{AWS::Region}}:${{AWS::AccountId}}:dbuser:${{{db}.DbiResourceId}}/migration_api"
            )}
        }])
    );
}

#[test]
fn grant_connect_rejects_a_bad_db_user() {
    let e = err(|s| {
        let db = RdsEncrypted::new(s, "Db", &existing_vpc(), RdsEncryptedProps::default())?;
        let role = role(s)?;
        db.grant_connect(s, "Connect", &role, "app;drop")
    });
    assert!(
        e.contains("`test/Db`: invalid `db_user`: `app;drop` is not a database user name"),
        "{e}"
    );
}

#[test]
fn rds_handle_exposes_endpoint_secret_ids_and_metrics() {
    synth("rds_handle", |s| {
        let db = RdsEncrypted::new(s, "Db", &existing_vpc(), RdsEncryptedProps::default())?;
        let render = |e: Expr| serde_json::to_value(e).unwrap();
        let id = db.handle().logical_id().to_owned();
        assert_eq!(
            render(db.endpoint_address()),
            json!({"Fn::GetAtt": [id, "Endpoint.Address"]})
        );
        assert_eq!(
            render(db.endpoint_port()),
            json!({"Fn::GetAtt": [id, "Endpoint.Port"]})
        );
        assert_eq!(
            render(db.secret().expr()),
            json!({"Fn::GetAtt": [id, "MasterUserSecret.SecretArn"]})
        );
        assert_eq!(render(db.instance_id().expr()), json!({"Ref": id}));
        assert_eq!(
            render(db.arn().expr()),
            json!({"Fn::GetAtt": [id, "DBInstanceArn"]})
        );
        for (metric, name) in [
            (db.metric_cpu(), "CPUUtilization"),
            (db.metric_free_storage(), "FreeStorageSpace"),
            (db.metric_connections(), "DatabaseConnections"),
        ] {
            assert_eq!(
                (metric.namespace.as_str(), metric.name.as_str()),
                ("AWS/RDS", name)
            );
            assert_eq!(
                metric.dimensions,
                [("DBInstanceIdentifier".to_owned(), db.instance_id().expr())]
            );
        }
        Ok(())
    });
}

// ---- validation errors: one test each, naming the construct path and the field ----

fn rds_err(props: RdsEncryptedProps) -> String {
    err(|s| RdsEncrypted::new(s, "Db", &existing_vpc(), props).map(|_| ()))
}

fn assert_invalid(e: &str, field: &str, problem: &str) {
    assert!(
        e.contains(&format!("`test/Db`: invalid `{field}`")) && e.contains(problem),
        "{e}"
    );
}

#[test]
fn storage_below_the_engine_minimum_is_rejected() {
    let e = rds_err(RdsEncryptedProps {
        allocated_storage_gib: 10,
        ..Default::default()
    });
    assert_invalid(
        &e,
        "allocated_storage_gib",
        "10 GiB is outside the 20..=65536 GiB",
    );
}

#[test]
fn max_storage_below_allocated_is_rejected() {
    let e = rds_err(RdsEncryptedProps {
        allocated_storage_gib: 100,
        max_allocated_storage_gib: 50,
        ..Default::default()
    });
    assert_invalid(
        &e,
        "max_allocated_storage_gib",
        "50 GiB is below 110 GiB (10% above the 100 GiB allocated)",
    );
}

#[test]
fn backup_retention_above_35_days_is_rejected() {
    let e = rds_err(RdsEncryptedProps {
        backup_retention_days: 36,
        ..Default::default()
    });
    assert_invalid(&e, "backup_retention_days", "36 days is outside 7..=35");
}

#[test]
fn backup_retention_below_7_days_is_rejected() {
    let e = rds_err(RdsEncryptedProps {
        backup_retention_days: 1,
        ..Default::default()
    });
    assert_invalid(&e, "backup_retention_days", "1 days is outside 7..=35");
}

#[test]
fn an_unknown_engine_version_format_is_rejected() {
    let e = rds_err(RdsEncryptedProps {
        engine: Engine::Postgres {
            version: "16.4.1".into(),
        },
        ..Default::default()
    });
    assert_invalid(
        &e,
        "engine",
        "`16.4.1` is not a PostgreSQL version of the form `MAJOR.MINOR`",
    );
    let e = rds_err(RdsEncryptedProps {
        engine: Engine::Mysql {
            version: "8.0".into(),
        },
        ..Default::default()
    });
    assert_invalid(
        &e,
        "engine",
        "`8.0` is not a MySQL version of the form `MAJOR.MINOR.PATCH`",
    );
}

#[test]
fn an_engine_past_its_end_of_support_is_rejected() {
    let e = rds_err(RdsEncryptedProps {
        engine: Engine::Mysql {
            version: "5.7.44".into(),
        },
        ..Default::default()
    });
    assert_invalid(&e, "engine", "MySQL 5.7 is past its end of support");
}

#[test]
fn a_vpc_without_isolated_or_private_subnets_is_rejected() {
    let public_only = Vpc::from_attributes(VpcAttributes {
        vpc_id: VpcId::from_expr("vpc-0123456789abcdef0"),
        cidr: Expr::str("10.0.0.0/16"),
        public_subnets: subnets("0c", 2),
        private_subnets: Vec::new(),
        isolated_subnets: Vec::new(),
    });
    let e =
        err(|s| RdsEncrypted::new(s, "Db", &public_only, RdsEncryptedProps::default()).map(|_| ()));
    assert_invalid(&e, "vpc", "no isolated and no private subnets");
}

#[test]
fn a_vpc_with_a_single_az_is_rejected() {
    let e = err(|s| {
        let vpc = Vpc::new(
            s,
            "Vpc",
            VpcProps {
                max_azs: 1,
                ..Default::default()
            },
        )?;
        RdsEncrypted::new(s, "Db", &vpc, RdsEncryptedProps::default()).map(|_| ())
    });
    assert_invalid(&e, "vpc", "at least two availability zones");
}

#[test]
fn a_reserved_master_user_name_is_rejected() {
    for name in ["admin", "Postgres", "rdsadmin"] {
        let e = rds_err(RdsEncryptedProps {
            master_username: name.into(),
            ..Default::default()
        });
        assert_invalid(&e, "master_username", "is reserved");
    }
}

#[test]
fn a_malformed_master_user_name_is_rejected() {
    for name in ["1admin", "app-admin", "", "a_name_longer_than_16"] {
        let e = rds_err(RdsEncryptedProps {
            engine: Engine::Mysql {
                version: "8.0.43".into(),
            },
            master_username: name.into(),
            ..Default::default()
        });
        assert_invalid(&e, "master_username", "is not a mysql master user name");
    }
}

#[test]
fn a_malformed_instance_class_is_rejected() {
    let e = rds_err(RdsEncryptedProps {
        instance_class: "t4g.medium".into(),
        ..Default::default()
    });
    assert_invalid(
        &e,
        "instance_class",
        "`t4g.medium` is not an instance class",
    );
}

#[test]
fn a_malformed_database_name_is_rejected() {
    let e = rds_err(RdsEncryptedProps {
        database_name: Some("my-db".into()),
        ..Default::default()
    });
    assert_invalid(&e, "database_name", "`my-db` is not a database name");
}

#[test]
fn a_malformed_or_short_backup_window_is_rejected() {
    for w in ["3-4", "03:00-03:15"] {
        let e = rds_err(RdsEncryptedProps {
            preferred_backup_window: Some(w.into()),
            ..Default::default()
        });
        assert_invalid(&e, "preferred_backup_window", "is not a daily window");
    }
}

#[test]
fn a_maintenance_window_overlapping_the_backup_window_is_rejected() {
    let e = rds_err(RdsEncryptedProps {
        preferred_backup_window: Some("03:00-04:00".into()),
        preferred_maintenance_window: Some("tue:03:30-tue:04:30".into()),
        ..Default::default()
    });
    assert_invalid(
        &e,
        "preferred_maintenance_window",
        "overlaps the backup window",
    );
    let e = rds_err(RdsEncryptedProps {
        preferred_maintenance_window: Some("sunday 4am".into()),
        ..Default::default()
    });
    assert_invalid(&e, "preferred_maintenance_window", "is not a weekly window");
}
