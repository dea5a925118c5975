//! `new` (alias `init`): a new app repository, offline, that synthesizes and passes the gate
//! out of the box. Building and testing the new app itself is the scaffold step of
//! `scripts/test.sh`.

mod common;

use common::{run_cli, Run};
use std::fs;
use std::path::Path;

fn no_app() -> Result<stackforge_constructs::App, stackforge_constructs::Error> {
    Ok(stackforge_constructs::App::new("unused"))
}

fn new(args: &[&str]) -> Run {
    run_cli(no_app, &[&["new"], args].concat())
}

fn repo() -> &'static str {
    env!("CARGO_MANIFEST_DIR")
}

#[test]
fn new_creates_an_app_that_synthesizes_and_passes_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("shop");
    let r = new(&[app.to_str().unwrap(), "--stackforge-path", repo()]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out.contains("next:\n") && r.out.contains("cargo run -- synth\n  ./ci.sh"),
        "{}",
        r.out
    );
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        ".gitignore",
        "README.md",
        "ci.sh",
        "src/main.rs",
        "src/lib.rs",
        "src/settings.rs",
        "src/stacks.rs",
        "tests/snapshots.rs",
        "params/dev/service.json",
        "params/prod/service.json",
        "templates/dev/manifest.json",
        "templates/prod/service.template.json",
        "templates/prod/service.parameters.json",
    ] {
        assert!(app.join(file).is_file(), "{file}");
    }
    let cargo = fs::read_to_string(app.join("Cargo.toml")).unwrap();
    let root = Path::new(repo()).canonicalize().unwrap();
    assert!(
        cargo.contains(&format!(
            "stackforge = {{ path = {:?} }}",
            root.join("cli").display().to_string()
        )),
        "the CLI library (cli/), without the migration-api: {cargo}"
    );
    assert!(cargo.contains("[workspace]"), "a repository of its own");
    let lock = fs::read_to_string(app.join("Cargo.lock")).unwrap();
    assert!(
        lock.contains("name = \"shop\""),
        "the lock was completed offline"
    );
    assert!(
        !lock.contains("name = \"stackforge-stacks\""),
        "the migration-api is not a dependency"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(app.join("ci.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "ci.sh is executable");
    }
    let manifest = fs::read_to_string(app.join("templates/dev/manifest.json")).unwrap();
    assert!(manifest.contains("\"stackName\": \"shop-dev-service\""));

    // Each snapshot holds exactly its template, so the new app's tests pass as created.
    for env in ["dev", "prod"] {
        for stack in ["network", "data", "service"] {
            let snap = fs::read_to_string(
                app.join(format!("tests/snapshots/snapshots__{env}__{stack}.snap")),
            )
            .unwrap();
            let template =
                fs::read_to_string(app.join(format!("templates/{env}/{stack}.template.json")))
                    .unwrap();
            let body = snap.splitn(3, "---\n").nth(2).unwrap();
            assert!(
                body == template,
                "{env}/{stack}: snapshot and template differ"
            );
        }
    }
    // The templates it wrote pass the gate as files too.
    let checked = run_cli(
        no_app,
        &["check", app.join("templates/prod").to_str().unwrap()],
    );
    assert_eq!(checked.code, 0, "{}{}", checked.out, checked.err);
}

#[test]
fn new_refuses_what_it_must_not_touch_and_leaves_it_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let busy = dir.path().join("busy");
    fs::create_dir_all(&busy).unwrap();
    fs::write(busy.join("keep.txt"), "mine").unwrap();
    let at = |name: &str| dir.path().join(name).display().to_string();
    let (upper, x, y) = (at("Shop"), at("x"), at("y"));
    let cases: &[(&[&str], &str)] = &[
        (
            &[busy.to_str().unwrap()],
            "exists and is not an empty folder; nothing was created",
        ),
        (&[&upper], "`Shop` is not an app name"),
        (&[&x, "--name", "a_b"], "`a_b` is not an app name"),
        (
            &[&y, "--stackforge-path", dir.path().to_str().unwrap()],
            "not a stackforge checkout",
        ),
    ];
    for (args, want) in cases {
        let r = new(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.err);
        assert!(r.err.contains(want), "{args:?}: {}", r.err);
    }
    assert_eq!(fs::read_to_string(busy.join("keep.txt")).unwrap(), "mine");
    let mut left: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["busy"], "nothing else was created");
}

#[test]
fn init_is_new_and_git_dependencies_are_written_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("orders-api");
    let url = "https://git.example.com/platform/stackforge.git";
    let r = run_cli(
        no_app,
        &["init", app.to_str().unwrap(), "--stackforge-git", url],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let cargo = fs::read_to_string(app.join("Cargo.toml")).unwrap();
    assert!(
        cargo.contains(&format!(
            "stackforge = {{ git = \"{url}\" }}\nstackforge-constructs = {{ git = \"{url}\" }}"
        )),
        "{cargo}"
    );
    assert!(
        !app.join("Cargo.lock").exists(),
        "the first build fetches and locks"
    );
    let main = fs::read_to_string(app.join("src/main.rs")).unwrap();
    assert!(main.contains("orders_api::app"), "{main}");
}
