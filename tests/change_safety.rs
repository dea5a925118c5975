//! Change safety on the migration-api: variants of the real app (other construct ids,
//! placements and settings) synthesized and diffed against a copy of the committed
//! `templates/`. Renames and moves are paired by construct lineage, export values that would
//! change while imported are refused, and `diff` shows the blast radius of a replacement.

mod common;

use common::{run_cli, Run};
use std::fs;
use std::path::Path;

use serde_json::Value;
use stackforge_constructs::{App, Error};
use stackforge_stacks::settings::{self, Settings};
use stackforge_stacks::variant::{app_with, Layout};

/// A copy of the committed `templates/` folder (both environments).
fn committed() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for env in ["dev", "prod"] {
        fs::create_dir_all(dir.path().join(env)).unwrap();
        for f in fs::read_dir(src.join(env)).unwrap() {
            let f = f.unwrap();
            fs::copy(f.path(), dir.path().join(env).join(f.file_name())).unwrap();
        }
    }
    dir
}

fn envs() -> [Settings; 2] {
    [settings::dev(), settings::prod()]
}

fn with_dev(change: impl FnOnce(&mut Settings)) -> [Settings; 2] {
    let mut s = envs();
    change(&mut s[0]);
    s
}

const RENAMED: Layout = Layout {
    trail_id: Some("AuditTrail"),
    backup_id: Some("DbBackup"),
    backup_in_data: false,
    trail_stack: None,
};

fn renamed() -> Result<App, Error> {
    app_with(&envs(), &RENAMED, |_| Ok(()))
}

fn renamed_keeping_ids() -> Result<App, Error> {
    app_with(&envs(), &RENAMED, |app| {
        app.keep_logical_ids_of("audit/Trail", "audit/AuditTrail")?;
        app.keep_logical_ids_of("audit/Backup", "audit/DbBackup")
    })
}

fn renamed_declared_only() -> Result<App, Error> {
    app_with(&envs(), &RENAMED, |app| {
        app.declare_move("audit/Trail", "audit/AuditTrail")?;
        app.declare_move("audit/Backup", "audit/DbBackup")
    })
}

/// The renames declared, and the backup selection (which stack refactoring cannot rename)
/// keeping its logical ID, as synth suggests.
fn renamed_declared() -> Result<App, Error> {
    app_with(&envs(), &RENAMED, |app| {
        app.declare_move("audit/Trail", "audit/AuditTrail")?;
        app.declare_move("audit/Backup", "audit/DbBackup")?;
        app.keep_logical_ids_of("audit/Backup/Selection", "audit/DbBackup/Selection")
    })
}

const BACKUP_IN_DATA: Layout = Layout {
    trail_id: None,
    backup_id: None,
    backup_in_data: true,
    trail_stack: None,
};

fn backup_moved() -> Result<App, Error> {
    app_with(&envs(), &BACKUP_IN_DATA, |_| Ok(()))
}

fn backup_moved_declared() -> Result<App, Error> {
    app_with(&envs(), &BACKUP_IN_DATA, |app| {
        app.declare_move("audit/Backup", "data/Backup")
    })
}

fn vpc_cidr_changed() -> Result<App, Error> {
    app_with(
        &with_dev(|s| s.network.cidr = "10.30.0.0/16"),
        &Layout::default(),
        |_| Ok(()),
    )
}

fn db_class_changed() -> Result<App, Error> {
    app_with(
        &with_dev(|s| s.database.instance_class = "db.t4g.small"),
        &Layout::default(),
        |_| Ok(()),
    )
}

fn db_major_changed() -> Result<App, Error> {
    app_with(
        &with_dev(|s| s.database.engine_version = "18.1"),
        &Layout::default(),
        |_| Ok(()),
    )
}

fn synth(factory: stackforge::AppFactory, out: &Path) -> Run {
    // The migration-api's own parameter files (inputs live outside the output folder).
    let params = Path::new(env!("CARGO_MANIFEST_DIR")).join("params");
    run_cli(
        factory,
        &[
            "synth",
            "--out",
            out.to_str().unwrap(),
            "--params",
            params.to_str().unwrap(),
        ],
    )
}

fn diff(factory: stackforge::AppFactory, dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["diff", "--against", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    run_cli(factory, &args)
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// The `old -> new` pair lines of a refusal (`      audit/X -> audit/Y  TYPE  PATH`).
fn pair_lines(err: &str) -> Vec<&str> {
    err.lines()
        .filter(|l| l.starts_with("      ") && l.contains(" -> ") && l.contains("  AWS::"))
        .collect()
}

#[test]
fn renaming_the_trail_and_backup_subtrees_pairs_all_13_resources() {
    let dir = committed();
    let before = fs::read(dir.path().join("dev/audit.template.json")).unwrap();
    let r = synth(renamed, dir.path());
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(
        r.err
            .contains("refactor safety: this synth would replace 26 resource(s)"),
        "13 per environment: {}",
        r.err
    );
    for env in ["dev", "prod"] {
        assert!(
            r.err.contains(&format!(
                "  - {env}: `audit/Trail` -> `audit/AuditTrail` (renamed, 8 resource(s))\n"
            )) && r.err.contains(&format!(
                "  - {env}: `audit/Backup` -> `audit/DbBackup` (renamed, 5 resource(s))\n"
            )),
            "{}",
            r.err
        );
    }
    let pairs = pair_lines(&r.err);
    assert_eq!(pairs.len(), 26, "{pairs:#?}");
    for want in [
        "audit/TrailBucket6C1E344E -> audit/AuditTrailBucket",
        "audit/BackupVaultD1FD0DC4 -> audit/DbBackupVault",
        "audit/Trail022F0CF2 -> audit/AuditTrail",
        "audit/BackupSelection815A0E0E -> audit/DbBackupSelection",
    ] {
        assert!(pairs.iter().any(|p| p.contains(want)), "{want}: {pairs:#?}");
    }
    // The ways out, as code to paste.
    for line in [
        "        stack.keep_logical_ids_of(\"audit/Trail\", \"audit/AuditTrail\")?;\n",
        "        stack.keep_logical_ids_of(\"audit/Backup\", \"audit/DbBackup\")?;\n",
        "        app.declare_move(\"audit/Trail\", \"audit/AuditTrail\")?;\n",
        "        app.declare_move(\"audit/Backup\", \"audit/DbBackup\")?;\n",
    ] {
        assert!(r.err.contains(line), "{line}: {}", r.err);
    }
    assert_eq!(
        fs::read(dir.path().join("dev/audit.template.json")).unwrap(),
        before,
        "a refused synth writes nothing"
    );

    // diff: each pair is one entry, counted as a replacement, stateful ones flagged.
    let r = diff(renamed, dir.path(), &["--env", "dev", "--stack", "audit"]);
    assert_eq!(r.code, 1);
    // References to renamed resources compare by their new IDs: the bucket policy shows no
    // property change of its own.
    assert!(
        r.out.contains("    ~ AuditTrailBucketPolicy9D4A15DC AWS::S3::BucketPolicy (audit/AuditTrail/Bucket/Policy): replaced (renamed from TrailBucketPolicy6F54985B without a declared refactor)\n    ~ "),
        "{}",
        r.out
    );
    assert!(
        r.out.contains("    ~ AuditTrailBucketA91FD435 AWS::S3::Bucket (audit/AuditTrail/Bucket/Resource): replaced (renamed from TrailBucket6C1E344E without a declared refactor); STATEFUL: loses the objects (the old one is retained; the new one starts empty)\n"),
        "{}",
        r.out
    );
    assert!(
        !r.out.contains("    + ") && !r.out.contains("    - "),
        "no add/remove pairs: {}",
        r.out
    );
    assert!(
        r.out.contains("Summary: 0 to add, 0 to change, 13 to replace, 0 to remove; 13 renamed or moved (0 by a declared refactor)"),
        "{}",
        r.out
    );
}

#[test]
fn keeping_the_ids_of_renamed_subtrees_changes_only_metadata() {
    let dir = committed();
    let r = synth(renamed_keeping_ids, dir.path());
    assert_eq!(r.code, 0, "{}", r.err);
    let old =
        json(&Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/dev/audit.template.json"));
    let new = json(&dir.path().join("dev/audit.template.json"));
    let ids = |t: &Value| {
        t["Resources"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&new), ids(&old));
    assert_eq!(
        new["Resources"]["TrailBucket6C1E344E"]["Metadata"]["stackforge:path"],
        "audit/AuditTrail/Bucket/Resource"
    );
    let r = diff(renamed_keeping_ids, dir.path(), &[]);
    assert_eq!(r.code, 0, "{}", r.out);
}

#[test]
fn a_declared_rename_names_what_refactoring_cannot_rename_with_the_code_that_keeps_it() {
    let dir = committed();
    let r = synth(renamed_declared_only, dir.path());
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(!r.err.contains("would replace"), "{}", r.err);
    assert!(
        r.err.contains("  - dev: `audit/DbBackup/Selection` (audit/BackupSelection815A0E0E -> audit/DbBackupSelection381D1923, AWS::Backup::BackupSelection): AWS::Backup::BackupSelection has no update handler (provisioning type IMMUTABLE), and stack refactoring moves only FULLY_MUTABLE types\n      Fix: keep its logical ID and let the refactor rename the others: `stack.keep_logical_ids_of(\"audit/Backup/Selection\", \"audit/DbBackup/Selection\")?;`"),
        "{}",
        r.err
    );
}

#[test]
fn declared_renames_are_recorded_for_deploy_and_shown_as_renames() {
    let dir = committed();
    let r = diff(
        renamed_declared,
        dir.path(),
        &["--env", "dev", "--stack", "audit"],
    );
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(!r.err.contains("synth would refuse"), "{}", r.err);
    assert!(
        r.out
            .contains(": renamed from BackupVaultD1FD0DC4 (refactor)\n"),
        "{}",
        r.out
    );
    assert!(
        r.out.contains("Summary: 0 to add, 0 to change, 0 to replace, 0 to remove; 12 renamed or moved (12 by a declared refactor)"),
        "{}",
        r.out
    );

    let r = synth(renamed_declared, dir.path());
    assert_eq!(r.code, 0, "{}", r.err);
    let manifest = json(&dir.path().join("dev/manifest.json"));
    let refactors = manifest["refactors"].as_array().unwrap();
    assert_eq!(refactors.len(), 2);
    assert_eq!(refactors[0]["from"], "audit/Trail");
    assert_eq!(refactors[0]["to"], "audit/AuditTrail");
    assert_eq!(refactors[0]["resources"].as_array().unwrap().len(), 8);
    assert_eq!(
        refactors[1]["resources"].as_array().unwrap().len(),
        4,
        "the selection keeps its ID"
    );
    assert_eq!(
        refactors[1]["resources"][1],
        serde_json::json!({
            "source": {"stack": "audit", "logicalId": "BackupVaultD1FD0DC4"},
            "destination": {"stack": "audit", "logicalId": refactors[1]["resources"][1]["destination"]["logicalId"]},
            "type": "AWS::Backup::BackupVault"
        })
    );
    // Synthesizing again (the committed templates now have the new IDs) keeps the record
    // while the app declares it: the same bytes.
    let once = fs::read(dir.path().join("dev/manifest.json")).unwrap();
    let params = Path::new(env!("CARGO_MANIFEST_DIR")).join("params");
    let r = run_cli(
        renamed_declared,
        &[
            "synth",
            "--check",
            "--out",
            dir.path().to_str().unwrap(),
            "--params",
            params.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        fs::read(dir.path().join("dev/manifest.json")).unwrap(),
        once
    );
}

#[test]
fn moving_the_backup_plan_to_data_is_refused_with_what_refactoring_cannot_move() {
    let dir = committed();
    let r = synth(backup_moved, dir.path());
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(
        r.err.contains("  - dev: `audit/Backup` -> `data/Backup` (moved from stack `audit` to stack `data`, 5 resource(s))\n"),
        "{}",
        r.err
    );
    assert_eq!(pair_lines(&r.err).len(), 10, "{}", r.err);
    assert!(
        r.err.contains("`audit/Backup` -> `data/Backup` moves to another stack: a logical ID is kept only inside its stack, so only a declared move keeps these resources"),
        "{}",
        r.err
    );
    assert!(
        r.err
            .contains("        app.declare_move(\"audit/Backup\", \"data/Backup\")?;\n"),
        "{}",
        r.err
    );

    // Declared, the move is checked against what stack refactoring supports, up front.
    let r = synth(backup_moved_declared, dir.path());
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(!r.err.contains("would replace"), "{}", r.err);
    assert!(
        r.err
            .contains("refactor safety: stack refactoring cannot carry out"),
        "{}",
        r.err
    );
    assert!(
        r.err.contains("dev: `data/Backup/Selection` (audit/BackupSelection815A0E0E -> data/BackupSelection815A0E0E, AWS::Backup::BackupSelection): AWS::Backup::BackupSelection has no update handler (provisioning type IMMUTABLE)"),
        "{}",
        r.err
    );
    assert!(
        r.err.contains("dev: `data/Backup/Vault` (audit/BackupVaultD1FD0DC4 -> data/BackupVaultD1FD0DC4, AWS::Backup::BackupVault): Properties.BackupVaultName uses AWS::StackName, whose value differs in `data`"),
        "{}",
        r.err
    );
    assert!(
        r.err
            .contains("Fix: leave the construct in `audit` for now"),
        "{}",
        r.err
    );
}

#[test]
fn a_new_vpc_cidr_is_refused_because_imported_exports_would_change() {
    let dir = committed();
    let r = synth(vpc_cidr_changed, dir.path());
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(
        r.err.contains(
            "export safety: 9 export(s) still imported by other stacks would get a new value"
        ),
        "{}",
        r.err
    );
    assert!(
        r.err.contains("  - dev/network: export `migration-api-dev-network:Vpc8378EB38` (output `ExportVpc8378EB38`) is imported by data, service; its value uses Vpc8378EB38, which this change replaces (createOnlyProperties: /properties/CidrBlock)"),
        "{}",
        r.err
    );
    // Replacements propagate: the database security group and the target group name the
    // VPC in a create-only property, so their exports change too.
    assert!(
        r.err.contains("  - dev/data: export `migration-api-dev-data:DatabaseSecurityGroup5C91FDCB-GroupId` (output `ExportDatabaseSecurityGroup5C91FDCBGroupId`) is imported by service; its value uses DatabaseSecurityGroup5C91FDCB, which this change replaces (uses network/Vpc8378EB38 (replaced) in Properties.VpcId (import migration-api-dev-network:Vpc8378EB38): createOnlyProperties: /properties/VpcId)"),
        "{}",
        r.err
    );
    assert!(
        r.err.contains("  Plan for `network/Vpc` in dev (exports `migration-api-dev-network:Vpc8378EB38`,")
            && r.err.contains("    1. Keep `network/Vpc` as it is and add the changed construct beside it under a new id")
            && r.err.contains("    2. Switch data, service to the new construct")
            && r.err.contains("    3. Remove `network/Vpc`; run `synth --drop-kept-exports`; deploy."),
        "{}",
        r.err
    );

    let r = diff(vpc_cidr_changed, dir.path(), &["--env", "dev", "--json"]);
    let doc: Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(doc["summary"]["dangerous"], 9, "{}", r.out);
    let r = diff(
        vpc_cidr_changed,
        dir.path(),
        &["--env", "dev", "--fail-on", "danger"],
    );
    assert_eq!(r.code, 1);
    assert!(r.err.contains("diff: failing on danger (9)"), "{}", r.err);
}

#[test]
fn a_new_db_instance_class_updates_in_place_and_affects_nothing() {
    let dir = committed();
    let r = diff(db_class_changed, dir.path(), &["--env", "dev"]);
    assert_eq!(r.code, 1);
    assert!(
        r.out.contains("    ~ DatabaseB269D8BB AWS::RDS::DBInstance (data/Database/Resource): update in place\n        Properties.DBInstanceClass: \"db.t4g.micro\" -> \"db.t4g.small\"\n"),
        "{}",
        r.out
    );
    assert!(
        r.out
            .ends_with("Summary: 0 to add, 1 to change, 0 to replace, 0 to remove\n"),
        "{}",
        r.out
    );
    let r = diff(
        db_class_changed,
        dir.path(),
        &["--env", "dev", "--fail-on", "replace-stateful,danger"],
    );
    assert_eq!(r.code, 0, "an in-place update fails no class: {}", r.err);
}

#[test]
fn a_new_db_engine_major_may_replace_the_database_and_lists_its_users() {
    let dir = committed();
    let r = diff(db_major_changed, dir.path(), &["--env", "dev"]);
    assert_eq!(r.code, 1);
    assert!(
        r.out.contains("    ~ DatabaseParameterGroup2462DB94 AWS::RDS::DBParameterGroup (data/Database/ParameterGroup): replace\n"),
        "{}",
        r.out
    );
    // EngineVersion updates in place, but the new family replaces the parameter group, and
    // `DBParameterGroupName` is conditionally create-only: the database may be replaced.
    assert!(
        r.out.contains("    ~ DatabaseB269D8BB AWS::RDS::DBInstance (data/Database/Resource): may replace because it uses data/DatabaseParameterGroup2462DB94 (replaced) in Properties.DBParameterGroupName: conditionalCreateOnlyProperties: /properties/DBParameterGroupName; STATEFUL: loses the database (a snapshot of the old one is taken; the new one starts empty)\n"),
        "{}",
        r.out
    );
    assert!(
        r.out.contains("DANGER: export migration-api-dev-data:DatabaseB269D8BB-Endpoint-Address may get a new value while service imports it"),
        "{}",
        r.out
    );
    // The monitoring stack's alarms name the database too.
    assert!(r.out.contains("  monitoring (vs "), "{}", r.out);
    assert!(
        !r.out.contains("monitoring.template.json): no changes"),
        "{}",
        r.out
    );
    let service: Vec<&str> = r
        .out
        .lines()
        .skip_while(|l| !l.starts_with("  service"))
        .take_while(|l| !l.starts_with("  monitoring"))
        .filter(|l| l.contains("uses data/DatabaseB269D8BB"))
        .collect();
    assert!(!service.is_empty(), "{}", r.out);
    assert!(
        service
            .iter()
            .any(|l| l.contains("ApiTaskDefinition09A15F65")),
        "{service:#?}"
    );
    let r = diff(
        db_major_changed,
        dir.path(),
        &["--env", "dev", "--fail-on", "replace-stateful"],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.err.contains("diff: failing on replace-stateful"),
        "{}",
        r.err
    );
}

#[test]
fn opened_security_group_rules_and_iam_grants_have_their_own_section() {
    let dir = committed();
    let path = dir.path().join("dev/service.template.json");
    let mut t = json(&path);
    let res = t["Resources"].as_object_mut().unwrap();
    // The committed state lacks the HTTPS rule and grants a narrower action: the app opens
    // both.
    res.shift_remove("ApiLoadBalancerHttpsFrom0799BB8C1");
    res["ApiConnectsToDatabaseC99F1600"]["Properties"]["PolicyDocument"]["Statement"][0]
        ["Action"] = Value::from("rds-db:describe");
    fs::write(&path, serde_json::to_string_pretty(&t).unwrap()).unwrap();
    fn default_app() -> Result<App, Error> {
        app_with(&envs(), &Layout::default(), |_| Ok(()))
    }
    let r = diff(
        default_app,
        dir.path(),
        &["--env", "dev", "--stack", "service"],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.out.contains(concat!(
            "    Security (access this change opens):\n",
            "      + security group `service/Api/LoadBalancer/SecurityGroup` now accepts tcp 443 from 0.0.0.0/0\n",
            "      + role `service/Api/TaskRole` (policy `service/ApiConnectsToDatabase`) may now `rds-db:connect` on `arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:import migration-api-dev-data:DatabaseB269D8BB-DbiResourceId/migration_api`\n",
        )),
        "{}",
        r.out
    );
    assert!(r.out.contains("; 2 security change(s)"), "{}", r.out);
    let r = diff(
        default_app,
        dir.path(),
        &["--env", "dev", "--stack", "service", "--json"],
    );
    let doc: Value = serde_json::from_str(&r.out).unwrap();
    let security = &doc["environments"][0]["stacks"][0]["security"];
    assert_eq!(security[0]["kind"], "ingress");
    assert_eq!(security[0]["rule"], "tcp 443 from 0.0.0.0/0");
    assert_eq!(security[1]["kind"], "grant");
    assert_eq!(
        security[1]["actions"],
        serde_json::json!(["rds-db:connect"])
    );
    assert_eq!(doc["summary"]["security"], 2);

    // --fail-on picks the classes that fail CI.
    let cases: &[(&str, u8)] = &[
        ("security", 1),
        ("replace", 0),
        ("replace-stateful", 0),
        ("remove", 0),
        ("danger", 0),
        ("any", 1),
        ("replace,security", 1),
    ];
    for (class, code) in cases {
        let r = diff(
            default_app,
            dir.path(),
            &["--env", "dev", "--stack", "service", "--fail-on", class],
        );
        assert_eq!(r.code, *code, "--fail-on {class}: {}", r.err);
    }
    let r = diff(default_app, dir.path(), &["--fail-on", "nonsense"]);
    assert_eq!(r.code, 2, "an unknown class is a usage error");
}

#[test]
fn the_readme_diff_example_is_real_output() {
    // Against the committed folder itself, as the README shows it.
    let r = run_cli(
        db_major_changed,
        &[
            "diff", "--env", "dev", "--stack", "data", "--stack", "service",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.err);
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let block = readme
        .split("<!-- diff-example: start (checked by tests/change_safety.rs) -->\n```text\n")
        .nth(1)
        .and_then(|rest| rest.split("```\n<!-- diff-example: end -->").next())
        .expect("README has the diff example block");
    assert_eq!(
        block, r.out,
        "README \"Reviewing changes\" shows stale diff output; paste the output above"
    );
}
