//! Parameter values never travel on the `aws` command line (every user of the machine sees
//! it in `ps`): `deploy` and `deploy --plan` write them to private scratch files (mode 0600,
//! exclusive creation, unpredictable folder) and remove them afterwards. The fake `aws`
//! (tests/common/fake_aws.rs) records each call's arguments, copies each `file://` argument
//! and the file's permission bits while it exists.

#[allow(dead_code)] // Not every helper of the shared test code is used here.
mod common;

use std::fs;
use std::path::PathBuf;

use common::fake_aws::{FakeAws, APP_INPUTS};

/// The parameter values of a dev deploy: the committed files' (params/dev/), the
/// `--parameter` and the `--image-digest` of [`APP_INPUTS`].
fn values() -> Vec<String> {
    let mut values = vec!["oncall@stackforge.dev".to_owned(), APP_INPUTS[1].to_owned()];
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("params/dev");
    for entry in fs::read_dir(dir).unwrap() {
        let file: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        for v in file["Parameters"].as_object().unwrap().values() {
            values.push(v.as_str().unwrap().to_owned());
        }
    }
    values
}

/// Checks what `run` left: no value in any call, each `file://` argument private while it
/// existed and gone now; returns the copies of the files named `<prefix>*.parameters.json`.
fn check(aws: &FakeAws, prefix: &str) -> Vec<String> {
    let calls = aws.calls().join("\n");
    for v in values() {
        assert!(
            !calls.contains(&v),
            "the value `{v}` is on the aws command line:\n{calls}"
        );
    }
    let files = fs::read_to_string(aws.path("file-args")).unwrap();
    for f in files.lines().filter(|f| f.ends_with(".parameters.json")) {
        assert!(
            !PathBuf::from(f).exists(),
            "{f} is left behind after the run"
        );
    }
    let mut copies = Vec::new();
    for entry in fs::read_dir(aws.path("")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.starts_with(prefix) && name.ends_with(".parameters.json") {
            #[cfg(unix)]
            assert_eq!(
                fs::read_to_string(aws.path(&format!("{name}.mode")))
                    .unwrap()
                    .trim(),
                "600",
                "{name} was readable by others while it existed"
            );
            copies.push(fs::read_to_string(aws.path(&name)).unwrap());
        }
    }
    copies
}

#[test]
fn deploy_passes_parameter_values_in_a_private_file_removed_afterwards() {
    let aws = FakeAws::new();
    let out = aws
        .deploy_app(&["--env", "dev", "--params", "params"])
        .get_output()
        .clone();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copies = check(&aws, "deploy-");
    let all = copies.join("\n");
    // The AWS CLI's JSON form of --parameter-overrides: a list of KEY=VALUE strings.
    let monitoring: Vec<String> = serde_json::from_str(
        &fs::read_to_string(
            aws.path("deploy-migration-api-dev-monitoring.monitoring.parameters.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(
        monitoring.contains(&"AlertEmail=oncall@stackforge.dev".to_owned()),
        "{monitoring:?}"
    );
    assert!(all.contains("CertificateArn=arn:aws:acm:"), "{all}");
    let deploys: Vec<String> = aws
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("cloudformation deploy ") && c.contains("-service "))
        .collect();
    assert!(
        deploys[0].contains("--parameter-overrides file://"),
        "{deploys:?}"
    );
}

#[test]
fn deploy_plan_passes_parameter_values_in_a_private_file_removed_afterwards() {
    let aws = FakeAws::new();
    let plan = aws.path("plan.json");
    let out = aws
        .deploy_app(&[
            "--env",
            "dev",
            "--params",
            "params",
            "--plan",
            plan.to_str().unwrap(),
        ])
        .get_output()
        .clone();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copies = check(&aws, "changeset-");
    assert!(
        copies
            .join("\n")
            .contains(r#"{"ParameterKey":"AlertEmail","ParameterValue":"oncall@stackforge.dev"}"#),
        "{copies:?}"
    );
}
