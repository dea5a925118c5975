//! `deploy --plan FILE` and `--apply FILE` with a fake `aws` (tests/common/fake_aws.rs):
//! change sets created and nothing executed, the plan file, CloudFormation's changes beside
//! the prediction, then exactly those change sets executed, and the refusals when anything
//! changed since the plan. The moto end-to-end test (tests/deploy_e2e.rs) runs the same
//! against the emulator.

#[allow(dead_code)] // Not every helper of the shared test code is used here.
mod common;

use std::fs;

use common::fake_aws::FakeAws;
use serde_json::Value;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn calls_of(aws: &FakeAws, verb: &str) -> Vec<String> {
    aws.calls()
        .into_iter()
        .filter(|c| c.starts_with(&format!("cloudformation {verb} ")))
        .collect()
}

/// Plans `dev` into `plan.json` beside the fake; returns the plan file and stdout.
fn plan(aws: &FakeAws) -> (Value, String) {
    let file = aws.path("plan.json");
    let out = aws
        .deploy_app(&["--env", "dev", "--plan", file.to_str().unwrap()])
        .get_output()
        .clone();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let plan = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    (plan, stdout)
}

fn apply(aws: &FakeAws, env: &str) -> (Option<i32>, String, String) {
    let file = aws.path("plan.json");
    let out = aws
        .deploy_app(&["--env", env, "--apply", file.to_str().unwrap()])
        .get_output()
        .clone();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

fn edit(aws: &FakeAws, change: impl FnOnce(&mut Value)) {
    let file = aws.path("plan.json");
    let mut plan: Value = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    change(&mut plan);
    fs::write(&file, plan.to_string()).unwrap();
}

#[test]
fn plan_creates_change_sets_executes_nothing_and_apply_executes_exactly_them() {
    let aws = FakeAws::new();
    // CloudFormation agrees with the prediction on the network's VPC and reports a change
    // the prediction does not have.
    let network = "migration-api-dev-network";
    aws.touch(
        &format!("changes-{network}"),
        r#"{"Type":"Resource","ResourceChange":{"Action":"Add","LogicalResourceId":"Vpc8378EB38","ResourceType":"AWS::EC2::VPC"}},{"Type":"Resource","ResourceChange":{"Action":"Modify","LogicalResourceId":"Ghost","ResourceType":"AWS::SNS::Topic","Replacement":"True"}}"#,
    );
    let (plan_file, stdout) = plan(&aws);
    let creates = calls_of(&aws, "create-change-set");
    let stacks = plan_file["stacks"].as_array().unwrap();
    assert_eq!(creates.len(), stacks.len(), "one change set per stack");
    assert!(
        creates[0].contains(&format!("--stack-name {network}"))
            && creates[0].contains("--change-set-type CREATE"),
        "{}",
        creates[0]
    );
    assert!(
        calls_of(&aws, "execute-change-set").is_empty(),
        "nothing executed"
    );
    assert!(aws.deployed().is_empty(), "no `cloudformation deploy`");

    assert_eq!(plan_file["format"], "stackforge-plan/1");
    assert_eq!(plan_file["account"], "123456789012");
    let first = &stacks[0];
    assert_eq!(first["stack_name"], network);
    assert_eq!(first["template_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        first["change_set_id"],
        "arn:aws:cloudformation:us-east-1:123456789012:changeSet/".to_owned()
            + creates[0]
                .split("--change-set-name ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
            + "/"
            + network
    );
    assert!(
        stdout.contains("      Vpc8378EB38 AWS::EC2::VPC: CloudFormation Add | predicted add"),
        "agreement unmarked: {stdout}"
    );
    assert!(
        stdout.contains("  !   Ghost AWS::SNS::Topic: CloudFormation Modify (replacement True) | predicted no change"),
        "disagreement marked: {stdout}"
    );
    assert!(
        stdout.contains("disagreement(s) between CloudFormation and the prediction"),
        "{stdout}"
    );

    let (code, stdout, stderr) = apply(&aws, "dev");
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let executes = calls_of(&aws, "execute-change-set");
    let want: Vec<String> = stacks
        .iter()
        .map(|s| {
            format!(
                "cloudformation execute-change-set --change-set-name {}",
                s["change_set_id"].as_str().unwrap()
            )
        })
        .collect();
    let got: Vec<String> = executes
        .iter()
        .map(|c| c.split(" --").take(2).collect::<Vec<_>>().join(" --"))
        .collect();
    assert_eq!(got, want, "exactly the planned change sets, in order");
    assert_eq!(
        calls_of(&aws, "create-change-set").len(),
        stacks.len(),
        "none created by apply"
    );
    assert!(aws.deployed().is_empty(), "no `cloudformation deploy`");
    assert!(
        stdout.contains(&format!("[1/{}] {network}: CREATE_COMPLETE", stacks.len())),
        "{stdout}"
    );
}

#[test]
fn apply_refuses_when_anything_changed_since_the_plan() {
    type Change = fn(&FakeAws);
    let cases: [(&str, Change, &str); 4] = [
        (
            "template",
            |aws| {
                edit(aws, |p| {
                    p["stacks"][1]["template_sha256"] = "0".repeat(64).into()
                })
            },
            "migration-api-dev-data: the template changed since the plan",
        ),
        (
            "parameter",
            |aws| {
                edit(aws, |p| {
                    let stacks = p["stacks"].as_array_mut().unwrap();
                    let s = stacks
                        .iter_mut()
                        .find(|s| !s["parameters"].as_object().unwrap().is_empty())
                        .unwrap();
                    let (k, _) = s["parameters"]
                        .as_object()
                        .unwrap()
                        .iter()
                        .next()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .unwrap();
                    s["parameters"][&k] = "something-else".into();
                })
            },
            "changed since the plan",
        ),
        (
            "deployed stack",
            |aws| aws.touch("status-migration-api-dev-network", "UPDATE_COMPLETE"),
            "migration-api-dev-network: the deployed stack changed since the plan",
        ),
        (
            "change set",
            |aws| aws.touch("cs-status-migration-api-dev-network", "OBSOLETE"),
            "migration-api-dev-network: its change set is OBSOLETE, no longer AVAILABLE to execute",
        ),
    ];
    for (what, change, want) in cases {
        let aws = FakeAws::new();
        plan(&aws);
        change(&aws);
        let (code, stdout, stderr) = apply(&aws, "dev");
        assert_eq!(code, Some(1), "{what}: {stdout}\n{stderr}");
        assert!(stderr.contains(want), "{what}: want {want:?} in {stderr}");
        assert!(stderr.contains("Nothing was executed"), "{what}: {stderr}");
        assert!(calls_of(&aws, "execute-change-set").is_empty(), "{what}");
    }
}

#[test]
fn production_applies_a_plan_without_yes_but_deploys_nothing_unplanned_unconfirmed() {
    let aws = FakeAws::new();
    let file = aws.path("plan.json");
    let out = aws
        .deploy_app(&["--env", "prod", "--plan", file.to_str().unwrap()])
        .get_output()
        .clone();
    assert_eq!(
        out.status.code(),
        Some(0),
        "planning executes nothing: {}",
        text(&out.stderr)
    );
    let (code, stdout, stderr) = apply(&aws, "prod");
    assert_eq!(
        code,
        Some(0),
        "the reviewed plan is the confirmation: {stdout}\n{stderr}"
    );
    assert!(!calls_of(&aws, "execute-change-set").is_empty());

    let (code, _, stderr) = apply(&aws, "dev");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "the plan is for `prod` of migration-api, this deploy is `dev` of migration-api"
        ),
        "{stderr}"
    );
}

#[test]
fn plan_and_apply_exclude_each_other_and_dry_run() {
    let aws = FakeAws::new();
    for args in [
        &["--env", "dev", "--plan", "a", "--apply", "b"][..],
        &["--env", "dev", "--plan", "a", "--dry-run"][..],
    ] {
        let out = aws.deploy_app(args).get_output().clone();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    assert!(aws.calls().is_empty());
}

/// The `begin`/`end` lines of the fake's `order.log`: (event, stack short name).
fn order(aws: &FakeAws) -> Vec<(String, String)> {
    fs::read_to_string(aws.path("order.log"))
        .unwrap()
        .lines()
        .map(|l| {
            let (what, stack) = l.split_once(' ').unwrap();
            let short = stack.trim_start_matches("migration-api-dev-");
            (what.to_owned(), short.to_owned())
        })
        .collect()
}

#[test]
fn apply_with_concurrency_runs_independent_stacks_together_after_their_dependencies() {
    let aws = FakeAws::new();
    plan(&aws);
    aws.touch("slow-execute", "");
    let file = aws.path("plan.json");
    let out = aws
        .deploy_app(&[
            "--env",
            "dev",
            "--apply",
            file.to_str().unwrap(),
            "--concurrency",
            "3",
        ])
        .get_output()
        .clone();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains(": 6 change set(s) executed"), "{stdout}");
    let log = order(&aws);
    let at = |what: &str, stack: &str| {
        log.iter()
            .position(|(w, s)| w == what && s == stack)
            .unwrap_or_else(|| panic!("no {what} {stack} in {log:?}"))
    };
    // The dependencies of the migration-api's dev stacks (templates/dev/manifest.json).
    let needs = [
        ("data", &["network"][..]),
        ("service", &["network", "data", "registry"][..]),
        ("monitoring", &["data", "registry", "service"][..]),
        ("audit", &["data"][..]),
    ];
    for (stack, deps) in needs {
        for dep in deps {
            assert!(
                at("end", dep) < at("begin", stack),
                "{stack} began before {dep} ended: {log:?}"
            );
        }
    }
    // network and registry depend on nothing: they run at the same time.
    assert!(
        at("begin", "registry") < at("end", "network")
            && at("begin", "network") < at("end", "registry"),
        "{log:?}"
    );
}

#[test]
fn apply_without_concurrency_executes_one_change_set_at_a_time_in_plan_order() {
    let aws = FakeAws::new();
    plan(&aws);
    aws.touch("slow-execute", "");
    let (code, stdout, stderr) = apply(&aws, "dev");
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let log = order(&aws);
    let mut want = Vec::new();
    for s in [
        "network",
        "data",
        "registry",
        "service",
        "monitoring",
        "audit",
    ] {
        want.push(("begin".to_owned(), s.to_owned()));
        want.push(("end".to_owned(), s.to_owned()));
    }
    assert_eq!(log, want);
}

#[test]
fn plan_refuses_building_images_and_names_both_ways_out() {
    let aws = FakeAws::new();
    let file = aws.path("plan.json");
    let out = aws
        .deploy(&[
            "--env",
            "dev",
            "--plan",
            file.to_str().unwrap(),
            "--image",
            "migration-api:local",
            "--skip-setup-tasks",
            "--parameter",
            "monitoring:AlertEmail=oncall@stackforge.dev",
        ])
        .get_output()
        .clone();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("deploy --plan cannot build or push images")
            && stderr.contains("plan with --image-digest [STACK:PARAMETER=]sha256:...")
            && stderr.contains("or deploy without --plan, which builds and pushes"),
        "{stderr}"
    );
    assert!(!file.exists());
    assert!(calls_of(&aws, "create-change-set").is_empty());
}
