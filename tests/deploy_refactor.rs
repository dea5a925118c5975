//! `deploy` carrying out declared renames and moves with CloudFormation stack refactoring,
//! against the fake `aws` (which records the calls): the refactor commands precede the stack
//! deploys with the right mappings, a refused refactor stops before any stack changes, and
//! mappings the deployed stacks already reflect are left out.
//!
//! The app is a variant of the migration-api, so deploy runs in-process; the tests of this
//! binary share the process environment (`STACKFORGE_AWS_CLI`), so they take turns.

mod common;

use common::fake_aws::FakeAws;
use common::{run_cli, Run};
use std::fs;
use std::path::Path;
use std::sync::Mutex;

use serde_json::Value;
use stackforge_constructs::{App, Error};
use stackforge_stacks::settings;
use stackforge_stacks::variant::{app_with, Layout};

static ENV_LOCK: Mutex<()> = Mutex::new(());

const RENAMED: Layout = Layout {
    trail_id: Some("AuditTrail"),
    backup_id: Some("DbBackup"),
    backup_in_data: false,
    trail_stack: None,
};

/// The trail and backup renamed, the renames declared, the backup selection (which stack
/// refactoring cannot rename) keeping its logical ID.
fn renamed_declared() -> Result<App, Error> {
    app_with(&[settings::dev(), settings::prod()], &RENAMED, |app| {
        app.declare_move("audit/Trail", "audit/AuditTrail")?;
        app.declare_move("audit/Backup", "audit/DbBackup")?;
        app.keep_logical_ids_of("audit/Backup/Selection", "audit/DbBackup/Selection")
    })
}

const TRAIL_STACK: Layout = Layout {
    trail_id: None,
    backup_id: None,
    backup_in_data: false,
    trail_stack: Some("trail"),
};

/// The trail moved from `audit` to a new stack `trail`, the move declared.
fn trail_moved_declared() -> Result<App, Error> {
    app_with(&[settings::dev(), settings::prod()], &TRAIL_STACK, |app| {
        app.declare_move("audit/Trail", "trail/Trail")
    })
}

/// The committed `templates/` copied to a temporary folder, then synthesized over with
/// `factory` (which records the refactor in the manifest).
fn synthesized(factory: stackforge::AppFactory) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for env in ["dev", "prod"] {
        fs::create_dir_all(dir.path().join(env)).unwrap();
        for f in fs::read_dir(src.join(env)).unwrap() {
            let f = f.unwrap();
            fs::copy(f.path(), dir.path().join(env).join(f.file_name())).unwrap();
        }
    }
    let params = params();
    let r = run_cli(
        factory,
        &[
            "synth",
            "--out",
            dir.path().to_str().unwrap(),
            "--params",
            params.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    dir
}

/// The migration-api's own parameter files.
fn params() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("params")
}

/// The committed (deployed) audit template, as the fake `get-template` answers it.
fn deployed_audit(aws: &FakeAws) {
    let body = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/dev/audit.template.json"),
    )
    .unwrap();
    aws.touch("template-migration-api-dev-audit", &body);
}

fn deploy(aws: &FakeAws, factory: stackforge::AppFactory, templates: &Path, extra: &[&str]) -> Run {
    std::env::set_var("STACKFORGE_AWS_CLI", aws.path("aws"));
    std::env::set_var("STACKFORGE_DEPLOY_POLL_MS", "20");
    let params = params();
    let mut args = vec![
        "deploy",
        "--env",
        "dev",
        "--templates",
        templates.to_str().unwrap(),
        "--params",
        params.to_str().unwrap(),
        // An image already in the repository, no setup tasks (tests/deploy_time.rs covers
        // both) and a real-looking alert address (the committed one is a placeholder).
        "--image-digest",
        "sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
        "--skip-setup-tasks",
        "--parameter",
        "monitoring:AlertEmail=oncall@stackforge.dev",
    ];
    args.extend_from_slice(extra);
    run_cli(factory, &args)
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn position(calls: &[String], prefix: &str) -> usize {
    calls
        .iter()
        .position(|c| c.starts_with(prefix))
        .unwrap_or_else(|| panic!("no call {prefix:?} in {calls:#?}"))
}

#[test]
fn declared_renames_are_refactored_before_any_stack_is_deployed() {
    let _turn = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = synthesized(renamed_declared);
    let aws = FakeAws::new();
    deployed_audit(&aws);
    let r = deploy(&aws, renamed_declared, dir.path(), &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);

    let calls = aws.calls();
    let create = position(&calls, "cloudformation create-stack-refactor");
    let execute = position(&calls, "cloudformation execute-stack-refactor");
    let first_deploy = position(&calls, "cloudformation deploy");
    assert!(
        position(
            &calls,
            "cloudformation get-template --stack-name migration-api-dev-audit"
        ) < create
            && create < execute
            && execute < first_deploy,
        "{calls:#?}"
    );
    assert!(
        !calls[create].contains("--enable-stack-creation"),
        "audit exists: {}",
        calls[create]
    );
    let describes: Vec<usize> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.starts_with("cloudformation describe-stack-refactor --stack-refactor-id r-1")
        })
        .map(|(i, _)| i)
        .collect();
    assert!(
        describes.len() >= 3
            && describes[0] > create
            && describes[1] < execute
            && *describes.last().unwrap() > execute
            && *describes.last().unwrap() < first_deploy,
        "waits for CREATE_COMPLETE, then for EXECUTE_COMPLETE: {calls:#?}"
    );
    assert_eq!(aws.deployed().len(), 6, "then every stack");

    // The mappings: 12 resources renamed inside audit (the selection kept its ID).
    let mappings = json(&aws.path("refactor-resource-mappings.json"));
    let mappings = mappings.as_array().unwrap();
    assert_eq!(mappings.len(), 12);
    let manifest = json(&dir.path().join("dev/manifest.json"));
    let vault = manifest["refactors"][1]["resources"][1]["destination"]["logicalId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(vault.starts_with("DbBackupVault"), "{vault}");
    assert!(
        mappings.contains(&serde_json::json!({
            "Source": {"StackName": "migration-api-dev-audit", "LogicalResourceId": "BackupVaultD1FD0DC4"},
            "Destination": {"StackName": "migration-api-dev-audit", "LogicalResourceId": vault}
        })),
        "{mappings:#?}"
    );
    // The stack definition is the deployed template with only those resources renamed, and
    // the references to them renamed too.
    let defs = json(&aws.path("refactor-stack-definitions.json"));
    assert_eq!(defs.as_array().unwrap().len(), 1);
    assert_eq!(defs[0]["StackName"], "migration-api-dev-audit");
    let body: Value = serde_json::from_str(defs[0]["TemplateBody"].as_str().unwrap()).unwrap();
    let resources = body["Resources"].as_object().unwrap();
    assert_eq!(resources.len(), 13);
    assert!(resources.contains_key(&vault) && !resources.contains_key("BackupVaultD1FD0DC4"));
    let selection = &resources["BackupSelection815A0E0E"]["Properties"]["BackupSelection"];
    assert_eq!(
        selection["IamRoleArn"]["Fn::GetAtt"][0].as_str().unwrap(),
        mappings
            .iter()
            .find(|m| m["Source"]["LogicalResourceId"] == "BackupRole4CD139C5")
            .unwrap()["Destination"]["LogicalResourceId"]
            .as_str()
            .unwrap()
    );
    let deployed =
        json(&Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/dev/audit.template.json"));
    assert_eq!(
        resources["BackupSelection815A0E0E"]["Properties"]["BackupSelection"]["SelectionName"],
        deployed["Resources"]["BackupSelection815A0E0E"]["Properties"]["BackupSelection"]
            ["SelectionName"],
        "nothing else changes"
    );
    assert!(
        r.out.contains("stack refactor r-1: EXECUTE_COMPLETE"),
        "{}",
        r.out
    );
}

#[test]
fn a_move_to_a_new_stack_creates_it_with_the_refactor() {
    let _turn = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = synthesized(trail_moved_declared);
    let aws = FakeAws::new();
    deployed_audit(&aws);
    let r = deploy(&aws, trail_moved_declared, dir.path(), &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    let calls = aws.calls();
    let create = position(&calls, "cloudformation create-stack-refactor");
    assert!(
        calls[create].contains(" --enable-stack-creation"),
        "{}",
        calls[create]
    );
    let defs = json(&aws.path("refactor-stack-definitions.json"));
    let names: Vec<&str> = defs
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["StackName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["migration-api-dev-audit", "migration-api-dev-trail"]
    );
    let mappings = json(&aws.path("refactor-resource-mappings.json"));
    assert_eq!(mappings.as_array().unwrap().len(), 8);
    assert_eq!(
        mappings[0],
        serde_json::json!({
            "Source": {"StackName": "migration-api-dev-audit", "LogicalResourceId": "TrailKey31F874A3"},
            "Destination": {"StackName": "migration-api-dev-trail", "LogicalResourceId": "TrailKey31F874A3"}
        })
    );
    assert_eq!(
        aws.deployed().last().map(String::as_str),
        Some("migration-api-dev-trail"),
        "then the stacks, the new one included"
    );
}

#[test]
fn a_refused_refactor_stops_before_any_stack_changes() {
    let _turn = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = synthesized(renamed_declared);
    let aws = FakeAws::new();
    deployed_audit(&aws);
    aws.touch(
        "refactor-refused",
        "Stack migration-api-dev-audit has a stack policy",
    );
    let r = deploy(&aws, renamed_declared, dir.path(), &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.out, r.err);
    assert!(
        r.err.contains("stack refactor r-1 was refused by CloudFormation (CREATE_FAILED, execution UNAVAILABLE): Stack migration-api-dev-audit has a stack policy. No stack was changed."),
        "{}",
        r.err
    );
    let calls = aws.calls();
    assert!(
        !calls
            .iter()
            .any(|c| c.starts_with("cloudformation execute-stack-refactor")
                || c.starts_with("cloudformation deploy")),
        "{calls:#?}"
    );
}

#[test]
fn mappings_the_deployed_stacks_reflect_are_left_out() {
    let _turn = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = synthesized(renamed_declared);
    let aws = FakeAws::new();
    // Deployed already with the new IDs.
    aws.touch(
        "template-migration-api-dev-audit",
        &fs::read_to_string(dir.path().join("dev/audit.template.json")).unwrap(),
    );
    let r = deploy(&aws, renamed_declared, dir.path(), &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    assert!(
        r.err
            .contains("stack refactor: audit/BackupVaultD1FD0DC4 -> audit/DbBackupVault")
            && r.err.contains(": already done")
            && r.err
                .contains("once every environment does, remove the declarations"),
        "{}",
        r.err
    );
    assert!(!aws.calls().iter().any(|c| c.contains("stack-refactor")));
}

#[test]
fn dry_run_prints_the_refactor_before_the_deploys() {
    let _turn = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = synthesized(renamed_declared);
    let aws = FakeAws::new();
    let r = deploy(&aws, renamed_declared, dir.path(), &["--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let lines: Vec<&str> = r.out.lines().collect();
    assert_eq!(
        lines[0],
        "# stack refactor first: 12 resource(s) renamed or moved by declared refactors (deploy leaves out mappings the deployed stacks already reflect)"
    );
    assert!(
        lines.contains(&"#   rename `audit/Trail` -> `audit/AuditTrail`:"),
        "{}",
        r.out
    );
    assert!(
        lines.iter().any(|l| l.starts_with("#     migration-api-dev-audit TrailKey31F874A3 -> migration-api-dev-audit AuditTrailKey") && l.ends_with("(AWS::KMS::Key)")),
        "{}",
        r.out
    );
    let program = aws.path("aws").display().to_string();
    let create = lines
        .iter()
        .position(|l| *l == format!("{program} cloudformation create-stack-refactor --description 'stackforge: declared renames and moves' --stack-definitions file://stack-definitions.json --resource-mappings file://resource-mappings.json"))
        .unwrap_or_else(|| panic!("{}", r.out));
    let execute = lines
        .iter()
        .position(|l| *l == format!("{program} cloudformation execute-stack-refactor --stack-refactor-id STACK_REFACTOR_ID"))
        .unwrap();
    let first_deploy = lines
        .iter()
        .position(|l| l.contains(" cloudformation deploy "))
        .unwrap();
    assert!(create < execute && execute < first_deploy, "{}", r.out);
    assert!(aws.calls().is_empty(), "a dry run runs no aws");
}

#[test]
fn the_production_preview_shows_the_refactor_and_nothing_runs_unconfirmed() {
    let _turn = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = synthesized(renamed_declared);
    let aws = FakeAws::new();
    let body = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/prod/audit.template.json"),
    )
    .unwrap();
    aws.touch("template-migration-api-prod-audit", &body);
    std::env::set_var("STACKFORGE_AWS_CLI", aws.path("aws"));
    let params = params();
    let r = run_cli(
        renamed_declared,
        &[
            "deploy",
            "--env",
            "prod",
            "--templates",
            dir.path().to_str().unwrap(),
            "--params",
            params.to_str().unwrap(),
            "--image-digest",
            "sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
            "--skip-setup-tasks",
            "--parameter",
            "monitoring:AlertEmail=oncall@stackforge.dev",
        ],
    );
    assert_eq!(r.code, 2, "not confirmed: {}", r.err);
    assert!(
        r.err.contains("Stack refactor first (12 resource(s), nothing replaced):\n  > audit/TrailKey31F874A3 -> audit/AuditTrailKey"),
        "{}",
        r.err
    );
    assert!(
        r.err
            .contains(": renamed from BackupVaultD1FD0DC4 (refactor)"),
        "the preview pairs the renames: {}",
        r.err
    );
    assert!(r.err.contains("0 to replace"), "{}", r.err);
    assert!(
        !aws.calls()
            .iter()
            .any(|c| c.contains("stack-refactor") || c.starts_with("cloudformation deploy")),
        "{:#?}",
        aws.calls()
    );
}

fn renamed_undeclared() -> Result<App, Error> {
    app_with(&[settings::dev(), settings::prod()], &RENAMED, |_| Ok(()))
}

#[test]
fn deploy_refuses_what_synth_refuses_before_running_anything() {
    let _turn = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/dev");
    fs::create_dir_all(dir.path().join("dev")).unwrap();
    for f in fs::read_dir(&src).unwrap() {
        let f = f.unwrap();
        fs::copy(f.path(), dir.path().join("dev").join(f.file_name())).unwrap();
    }
    let aws = FakeAws::new();
    let r = deploy(&aws, renamed_undeclared, dir.path(), &["--dry-run"]);
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(
        r.err
            .contains("refactor safety: this synth would replace 13 resource(s)")
            && r.err.ends_with("Nothing was deployed.\n"),
        "{}",
        r.err
    );
    assert!(r.out.is_empty(), "no command is printed: {}", r.out);
}

/// Whether a call is one that changes something.
fn mutates(call: &str) -> bool {
    [
        "cloudformation create-",
        "cloudformation execute-",
        "cloudformation deploy",
    ]
    .iter()
    .any(|p| call.starts_with(p))
}

#[test]
fn plan_refuses_a_pending_refactor_and_names_the_way_out() {
    let _turn = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = synthesized(renamed_declared);
    let aws = FakeAws::new();
    deployed_audit(&aws);
    let plan = aws.path("plan.json");
    let r = deploy(
        &aws,
        renamed_declared,
        dir.path(),
        &["--plan", plan.to_str().unwrap()],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.out, r.err);
    assert!(
        r.err.contains("not carried out yet in `dev`: a stack refactor, which a change set cannot review or execute. Nothing was planned.")
            && r.err.contains("Fix: carry it out first with a deploy without --plan (`deploy --env dev --dry-run` shows its commands"),
        "{}",
        r.err
    );
    assert!(!plan.exists());
    let calls = aws.calls();
    assert!(!calls.iter().any(|c| mutates(c)), "{calls:#?}");
}

#[test]
fn plan_goes_on_once_the_deployed_stacks_reflect_the_declared_refactor() {
    let _turn = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = synthesized(renamed_declared);
    let aws = FakeAws::new();
    aws.touch(
        "template-migration-api-dev-audit",
        &fs::read_to_string(dir.path().join("dev/audit.template.json")).unwrap(),
    );
    let plan = aws.path("plan.json");
    let r = deploy(
        &aws,
        renamed_declared,
        dir.path(),
        &["--plan", plan.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    assert!(plan.exists());
    let calls = aws.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("cloudformation create-change-set")),
        "{calls:#?}"
    );
    assert!(!calls.iter().any(|c| c.contains("stack-refactor")));
}
