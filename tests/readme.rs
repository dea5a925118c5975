//! The README's Rust code compiles and passes the gate: every ```rust block of README.md is
//! one of the files in `tests/readme/`, which are compiled here and their apps gated.

mod common;

#[path = "readme/defining_a_stack.rs"]
mod defining_a_stack;
#[allow(dead_code)] // `main` is the README's; the tests call `app`.
#[path = "readme/own_main.rs"]
mod own_main;
#[path = "readme/suppression.rs"]
mod suppression;

use std::fs;
use std::path::Path;

use common::run_cli;
use stackforge_constructs::aws::ec2::{Vpc, VpcProps};
use stackforge_constructs::aws::rds::{RdsEncrypted, RdsEncryptedProps};
use stackforge_constructs::{App, Environment, Error, Stack, StackProps};

/// The ```rust blocks of the README, in order.
fn readme_blocks() -> Vec<String> {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```rust") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn every_rust_block_of_the_readme_is_a_compiled_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/readme");
    let files: Vec<(String, String)> = ["defining_a_stack.rs", "own_main.rs", "suppression.rs"]
        .iter()
        .map(|f| ((*f).to_owned(), fs::read_to_string(dir.join(f)).unwrap()))
        .collect();
    let blocks = readme_blocks();
    assert_eq!(blocks.len(), files.len(), "one file per README block");
    for (i, block) in blocks.iter().enumerate() {
        assert!(
            files.iter().any(|(_, text)| text == block),
            "README block {} is not one of tests/readme/*.rs; copy it there (or the file into the README):\n{block}",
            i + 1
        );
    }
    for (name, text) in &files {
        assert!(
            blocks.contains(text),
            "tests/readme/{name} is in no README block"
        );
    }
}

#[test]
fn the_defining_a_stack_example_passes_the_gate() {
    let r = run_cli(defining_a_stack::app, &["check"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(r.out.contains("0 violations"), "{}", r.out);
}

#[test]
fn the_own_repository_example_passes_the_gate() {
    let r = run_cli(|| own_main::app("eu-central-1"), &["list"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.starts_with("dev (eu-central-1)"), "{}", r.out);
    let r = run_cli(|| own_main::app("eu-central-1"), &["check"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
}

fn with_website() -> Result<App, Error> {
    let mut app = App::new("site");
    let mut stack = Stack::new(&app, &Environment::new("dev"), "web", StackProps::default())?;
    suppression::website(&mut stack.root())?;
    app.add_stack(stack)?;
    Ok(app)
}

#[test]
fn the_suppression_example_passes_the_gate() {
    let r = run_cli(with_website, &["check"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
}

/// The README's first example before it had a backup plan: the gate refuses it, and the
/// finding names the construct that fixes it, not only the CloudFormation types.
fn without_backup_plan() -> Result<App, Error> {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");
    let mut network = Stack::new(&app, &dev, "network", StackProps::default())?;
    let vpc = Vpc::new(&mut network.root(), "Vpc", VpcProps::default())?;
    let mut data = Stack::new(&app, &dev, "data", StackProps::default())?;
    RdsEncrypted::new(
        &mut data.root(),
        "Database",
        &vpc,
        RdsEncryptedProps::default(),
    )?;
    app.add_stack(network)?;
    app.add_stack(data)?;
    Ok(app)
}

#[test]
fn a_database_without_backup_plan_fails_the_gate_naming_backup_plan() {
    let r = run_cli(without_backup_plan, &["check"]);
    assert_eq!(r.code, 1, "{}{}", r.out, r.err);
    for rule in ["BACKUP_PLAN_EXISTS", "BACKUP_DB_COVERED"] {
        assert!(r.out.contains(rule), "{}", r.out);
    }
    assert!(
        r.out.contains(
            "With stackforge constructs: `BackupPlan::new(scope, \"Backup\", [db.arn()], BackupPlanProps::default())` (aws::backup)."
        ),
        "{}",
        r.out
    );
}
