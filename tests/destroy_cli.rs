//! `destroy` with a fake `aws` (tests/common/fake_aws.rs): the listing of what is retained
//! and lost, reverse dependency order, the import refusal, confirmation, and a failed delete.

#[allow(dead_code)] // Not every helper of the shared test code is used here.
mod common;

use std::fs;
use std::path::Path;

use common::fake_aws::FakeAws;
use serde_json::Value;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn committed(env: &str, file: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("templates")
        .join(env)
        .join(file);
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// The short names of `env`'s stacks in manifest (deploy) order.
fn stacks(env: &str) -> Vec<String> {
    committed(env, "manifest.json")["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Every stack of `env` deployed in the fake: status, the committed template, its resources
/// (physical ID `phys-<logical ID>`).
fn deployed(aws: &FakeAws, env: &str) {
    for s in stacks(env) {
        let name = format!("migration-api-{env}-{s}");
        let template = committed(env, &format!("{s}.template.json"));
        aws.touch(&format!("status-{name}"), "CREATE_COMPLETE");
        aws.touch(&format!("template-{name}"), &template.to_string());
        let resources: Vec<String> = template["Resources"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(id, r)| {
                serde_json::json!({
                    "LogicalResourceId": id,
                    "PhysicalResourceId": format!("phys-{id}"),
                    "ResourceType": r["Type"],
                    "ResourceStatus": "CREATE_COMPLETE"
                })
                .to_string()
            })
            .collect();
        aws.touch(&format!("resources-{name}"), &resources.join(","));
    }
}

fn deleted(aws: &FakeAws) -> Vec<String> {
    aws.calls()
        .iter()
        .filter(|c| c.starts_with("cloudformation delete-stack"))
        .map(|c| c.split_whitespace().nth(3).unwrap().to_owned())
        .collect()
}

#[test]
fn destroy_lists_what_is_retained_and_deletes_dependents_first() {
    let aws = FakeAws::new();
    deployed(&aws, "dev");
    let out = aws
        .run("destroy", &["--env", "dev", "--yes"])
        .get_output()
        .clone();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");

    let order = stacks("dev");
    let want: Vec<String> = order
        .iter()
        .rev()
        .map(|s| format!("migration-api-dev-{s}"))
        .collect();
    assert_eq!(deleted(&aws), want, "reverse dependency order");

    // Every resource with DeletionPolicy Retain or Snapshot is listed by name, before any
    // delete-stack call.
    let listing_end = stdout.find(": deleting").unwrap();
    let listing = &stdout[..listing_end];
    let mut retained = 0;
    for s in &order {
        let template = committed("dev", &format!("{s}.template.json"));
        for (id, r) in template["Resources"].as_object().unwrap() {
            let policy = r["DeletionPolicy"].as_str().unwrap_or("Delete");
            if policy != "Delete" {
                retained += 1;
                let line = format!(
                    "    = retained: {id} {} `phys-{id}`",
                    r["Type"].as_str().unwrap()
                );
                assert!(listing.contains(&line), "{line}\n{listing}");
                assert!(
                    listing.contains(&format!("DeletionPolicy {policy})")),
                    "{listing}"
                );
            }
        }
    }
    assert!(
        retained >= 5,
        "the migration-api retains keys, logs, buckets"
    );
    assert!(
        listing.contains(&format!("{retained} resource(s) retained")),
        "{listing}"
    );
    assert!(
        stdout.contains("destroyed `dev`: 5 stack(s) deleted")
            || stdout.contains("stack(s) deleted"),
        "{stdout}"
    );
    assert!(
        stdout.contains("DELETE_COMPLETE"),
        "events are shown: {stdout}"
    );
}

#[test]
fn an_export_imported_outside_the_destroy_refuses_before_deleting_anything() {
    let aws = FakeAws::new();
    deployed(&aws, "dev");
    let order = stacks("dev");
    let (first, second) = (&order[0], &order[1]);
    let export = format!("migration-api-dev-{first}:Something");
    aws.touch(&format!("exports-migration-api-dev-{first}"), &export);
    aws.touch(
        &format!("imports-{export}"),
        &format!("migration-api-dev-{second}\n"),
    );
    let out = aws
        .run(
            "destroy",
            &["--env", "dev", "--stack", first, "--exclusively", "--yes"],
        )
        .get_output()
        .clone();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "migration-api-dev-{first} exports {export}, imported by migration-api-dev-{second}"
        )) && stderr.contains("Nothing was deleted"),
        "{stderr}"
    );
    assert!(deleted(&aws).is_empty(), "{:?}", aws.calls());

    // Without --exclusively the importers are destroyed too, first.
    let out = aws
        .run("destroy", &["--env", "dev", "--stack", first, "--yes"])
        .get_output()
        .clone();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let gone = deleted(&aws);
    assert!(
        gone.contains(&format!("migration-api-dev-{second}")),
        "the importer goes too: {gone:?}"
    );
    assert_eq!(gone.last().unwrap(), &format!("migration-api-dev-{first}"));
    let depends: Vec<String> = committed("dev", "manifest.json")["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            s["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d == first.as_str())
        })
        .map(|s| format!("migration-api-dev-{}", s["name"].as_str().unwrap()))
        .collect();
    for d in &depends {
        assert!(gone.contains(d), "{d} depends on {first}: {gone:?}");
    }
}

#[test]
fn destroy_needs_a_confirmation_and_deletes_nothing_without_one() {
    let aws = FakeAws::new();
    deployed(&aws, "prod");
    let out = aws.run("destroy", &["--env", "prod"]).get_output().clone();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stdout.contains("retained:"),
        "the listing comes first: {stdout}"
    );
    assert!(
        stderr.contains("Nothing was deleted. Fix: review the list above and pass --yes."),
        "{stderr}"
    );
    assert!(deleted(&aws).is_empty());
}

#[test]
fn a_failed_delete_stops_and_names_the_stacks_left() {
    let aws = FakeAws::new();
    deployed(&aws, "dev");
    let order = stacks("dev");
    let last = format!("migration-api-dev-{}", order.last().unwrap());
    aws.touch(
        &format!("delete-fails-{last}"),
        "The bucket you tried to delete is not empty",
    );
    let out = aws
        .run("destroy", &["--env", "dev", "--yes"])
        .get_output()
        .clone();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: stack {last} was not deleted: ended DELETE_FAILED"
        )) && stderr.contains(
            "Bucket (AWS::S3::Bucket) DELETE_FAILED: The bucket you tried to delete is not empty"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("stopped at the first failure; not deleted: "),
        "{stderr}"
    );
    assert_eq!(deleted(&aws), [last]);
}

#[test]
fn stacks_not_deployed_are_listed_and_skipped() {
    let aws = FakeAws::new();
    let out = aws
        .run("destroy", &["--env", "dev", "--yes"])
        .get_output()
        .clone();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        stdout.contains("not deployed; nothing to delete"),
        "{stdout}"
    );
    assert!(stdout.contains("nothing to delete in `dev`"), "{stdout}");
    assert!(deleted(&aws).is_empty());
}

/// The `aws` calls that change nothing (what a dry run may make).
const READ_ONLY: [&str; 6] = [
    "sts get-caller-identity",
    "cloudformation describe-stacks",
    "cloudformation get-template",
    "cloudformation list-stack-resources",
    "cloudformation list-imports",
    "cloudformation describe-stack-events",
];

#[test]
fn dry_run_lists_what_would_be_deleted_and_retained_and_calls_nothing_that_mutates() {
    let aws = FakeAws::new();
    deployed(&aws, "prod");
    // Production needs no confirmation for a dry run: nothing is deleted.
    let out = aws
        .run(
            "destroy",
            &["--env", "prod", "--stack", "data", "--dry-run"],
        )
        .get_output()
        .clone();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("    = retained: "), "{stdout}");
    assert!(
        stdout.contains("dry run: nothing deleted; destroy would run, in order:"),
        "{stdout}"
    );
    // `data` pulls in what depends on it (service, monitoring, audit), dependents first:
    // the reverse of the deploy order of the same plan.
    let would: Vec<String> = stdout
        .lines()
        .filter(|l| l.contains(" cloudformation delete-stack --stack-name "))
        .map(|l| l.rsplit(' ').next().unwrap().to_owned())
        .collect();
    let want: Vec<String> = stacks("prod")
        .iter()
        .rev()
        .filter(|s| ["data", "service", "monitoring", "audit"].contains(&s.as_str()))
        .map(|s| format!("migration-api-prod-{s}"))
        .collect();
    assert_eq!(would, want, "{stdout}");
    assert!(deleted(&aws).is_empty());
    for call in aws.calls() {
        assert!(
            READ_ONLY.iter().any(|r| call.starts_with(r)),
            "a dry run made a call that is not read-only: {call}"
        );
    }
}

#[test]
fn dry_run_conflicts_with_yes() {
    let aws = FakeAws::new();
    let out = aws
        .run("destroy", &["--env", "dev", "--dry-run", "--yes"])
        .get_output()
        .clone();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(aws.calls().is_empty());
}
