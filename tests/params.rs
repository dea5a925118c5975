//! Parameter files are inputs (`params/<env>/<stack>.json`), never in the folder synth
//! replaces: synth into an empty folder, every stack's problems in one run, placeholders on
//! request, `NoEcho` values kept out of the output, hand-edited files never replaced.

mod common;

use common::{run_cli, Run};
use std::fs;
use std::path::Path;

use serde_json::{json, Value};
use stackforge_constructs::{
    App, Environment, Error, Expr, Parameter, RawResource, ResourceOptions, Stack, StackProps,
};

/// `dev` and `prod`, each with `service` (`ImageTag`, `Token` NoEcho, `Stage` with a default),
/// `worker` (`QueueName`) and `cache` (`Size`, with a default).
fn test_app() -> Result<App, Error> {
    let mut app = App::new("shop");
    for env in [Environment::new("dev"), Environment::new("prod")] {
        let mut service = Stack::new(&app, &env, "service", StackProps::default())?;
        let tag =
            service.add_parameter("ImageTag", Parameter::string().description("Image tag"))?;
        let token = service.add_parameter("Token", Parameter::string().no_echo())?;
        let stage = service.add_parameter("Stage", Parameter::string().default_value("blue"))?;
        service.root().add_raw(
            "Topic",
            RawResource::new("AWS::SNS::Topic")
                .prop("KmsMasterKeyId", "alias/aws/sns")
                .prop("DisplayName", Expr::concat([tag, token, stage])),
            ResourceOptions::default(),
        )?;
        let mut worker = Stack::new(&app, &env, "worker", StackProps::default())?;
        let queue = worker.add_parameter("QueueName", Parameter::string())?;
        worker.root().add_raw(
            "Topic",
            RawResource::new("AWS::SNS::Topic")
                .prop("KmsMasterKeyId", "alias/aws/sns")
                .prop("DisplayName", queue),
            ResourceOptions::default(),
        )?;
        let mut cache = Stack::new(&app, &env, "cache", StackProps::default())?;
        let size = cache.add_parameter("Size", Parameter::number().default_value("1"))?;
        cache.root().add_raw(
            "Topic",
            RawResource::new("AWS::SNS::Topic")
                .prop("KmsMasterKeyId", "alias/aws/sns")
                .prop("DisplayName", size),
            ResourceOptions::default(),
        )?;
        app.add_stack(service)?;
        app.add_stack(worker)?;
        app.add_stack(cache)?;
    }
    Ok(app)
}

/// A working folder: `out/` for synth, `params/` for the inputs.
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, rel: &str) -> std::path::PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Valid inputs for every stack of both environments.
    fn valid_params(&self) {
        for env in ["dev", "prod"] {
            self.write(
                &format!("params/{env}/service.json"),
                r#"{"Parameters": {"ImageTag": "1.0", "Token": "not-a-secret"}}"#,
            );
            self.write(
                &format!("params/{env}/worker.json"),
                r#"{"Parameters": {"QueueName": "jobs"}}"#,
            );
        }
    }

    fn synth(&self, extra: &[&str]) -> Run {
        let (out, params) = (self.path("out"), self.path("params"));
        let mut args = vec![
            "synth",
            "--out",
            out.to_str().unwrap(),
            "--params",
            params.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        run_cli(test_app, &args)
    }
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn synth_into_an_empty_folder_writes_what_deploy_needs_without_no_echo_values() {
    let t = Tree::new();
    t.valid_params();
    let r = t.synth(&[]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        json_of(&t.read("out/dev/service.parameters.json")),
        json!({"Parameters": {"ImageTag": "1.0"}}),
        "the NoEcho Token stays out of the output"
    );
    assert!(!t
        .read("out/prod/service.parameters.json")
        .contains("not-a-secret"));
    assert_eq!(
        json_of(&t.read("out/prod/worker.parameters.json")),
        json!({"Parameters": {"QueueName": "jobs"}})
    );
    let manifest = json_of(&t.read("out/dev/manifest.json"));
    assert_eq!(
        manifest["stacks"][0]["parameterFile"],
        json!("service.parameters.json")
    );
    // The output copy is compared by --check like the templates.
    assert_eq!(t.synth(&["--check"]).code, 0);
    t.write(
        "params/dev/service.json",
        r#"{"Parameters": {"ImageTag": "2.0", "Token": "x"}}"#,
    );
    let stale = t.synth(&["--check"]);
    assert_eq!(stale.code, 1);
    assert!(
        stale.err.contains("differs:") && stale.err.contains("service.parameters.json"),
        "{}",
        stale.err
    );
}

#[test]
fn every_stacks_parameter_problems_are_reported_in_one_run() {
    let t = Tree::new();
    t.write(
        "params/dev/service.json",
        r#"{"Parameters": {"ImageTag": "1.0", "Tokn": "x"}}"#,
    );
    t.write("params/prod/service.json", r#"{"Parameters": {}}"#);
    t.write("params/prod/workr.json", r#"{"Parameters": {}}"#);
    let r = t.synth(&[]);
    assert_eq!(r.code, 1, "{}", r.err);
    for want in [
        "dev/service.json: parameter file of stack `shop-dev-service`",
        "`Tokn` is not a parameter of stack `service`",
        "dev/worker.json: parameter file of stack `shop-dev-worker` (the file does not exist: create it, or run `synth --init-params`",
        "prod/service.json: parameter file of stack `shop-prod-service`",
        "`ImageTag` has no default and no value",
        "prod/worker.json: parameter file of stack `shop-prod-worker`",
        "prod/workr.json: names no stack of environment `prod` (its parameter files are: service.json, worker.json, cache.json)",
    ] {
        assert!(r.err.contains(want), "missing `{want}` in:\n{}", r.err);
    }
    assert_eq!(r.err.matches("error: ").count(), 5, "{}", r.err);
    assert!(!t.path("out").exists(), "nothing was written");

    // A malformed file is an input error (exit 2), reported with the others.
    t.write("params/dev/worker.json", "{not json");
    let r = t.synth(&[]);
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(
        r.err.contains("not valid JSON") && r.err.contains("`Tokn`"),
        "{}",
        r.err
    );
}

#[test]
fn init_params_writes_placeholders_only_for_missing_files() {
    let t = Tree::new();
    let kept = r#"{"Parameters": {"ImageTag": "1.0", "Token": "t"}}"#;
    t.write("params/dev/service.json", kept);
    let r = t.synth(&["--init-params"]);
    assert_eq!(r.code, 1, "placeholders still need values: {}", r.err);
    assert_eq!(t.read("params/dev/service.json"), kept, "never overwritten");
    assert_eq!(
        json_of(&t.read("params/prod/service.json")),
        json!({"Parameters": {"ImageTag": null, "Token": null}}),
        "parameters with a default get no placeholder"
    );
    assert_eq!(
        json_of(&t.read("params/dev/worker.json")),
        json!({"Parameters": {"QueueName": null}})
    );
    assert!(
        r.err
            .contains("`ImageTag` is a placeholder (null). Fix: set its value (Image tag)"),
        "{}",
        r.err
    );
    t.valid_params();
    assert_eq!(t.synth(&[]).code, 0);
}

#[test]
fn a_hand_edited_parameter_file_in_the_output_folder_is_never_replaced() {
    let t = Tree::new();
    t.valid_params();
    fs::remove_file(t.path("params/dev/worker.json")).unwrap();
    // The layout before params/: values edited by hand next to the templates.
    let legacy = r#"{"Parameters": {"QueueName": "legacy-jobs"}}"#;
    t.write("out/dev/worker.parameters.json", legacy);
    let r = t.synth(&[]);
    assert_eq!(r.code, 1, "{}", r.err);
    let moved = format!(
        "mv {} {}",
        t.path("out/dev/worker.parameters.json").display(),
        t.path("params/dev/worker.json").display()
    );
    assert!(
        r.err.contains("out/dev/worker.parameters.json does: a hand-edited parameter file in the output folder")
            && r.err.contains(&moved),
        "{}",
        r.err
    );
    assert_eq!(t.read("out/dev/worker.parameters.json"), legacy);
    assert!(!t.path("out/dev/manifest.json").exists(), "nothing written");

    // Moved as told, it is an input again and the output copy is generated from it.
    fs::rename(
        t.path("out/dev/worker.parameters.json"),
        t.path("params/dev/worker.json"),
    )
    .unwrap();
    assert_eq!(t.synth(&[]).code, 0);
    assert_eq!(
        json_of(&t.read("out/dev/worker.parameters.json")),
        json_of(legacy)
    );

    // Where no value is required, synth refuses to replace it all the same.
    let sized = r#"{"Parameters": {"Size": "3"}}"#;
    t.write("out/dev/cache.parameters.json", sized);
    let r = t.synth(&[]);
    assert!(
        r.err.contains("out/dev/cache.parameters.json: a hand-edited parameter file in the output folder (the layout before")
            && r.err.contains("Nothing was written"),
        "{}",
        r.err
    );
    assert_eq!(t.read("out/dev/cache.parameters.json"), sized);
    fs::rename(
        t.path("out/dev/cache.parameters.json"),
        t.path("params/dev/cache.json"),
    )
    .unwrap();
    assert_eq!(t.synth(&[]).code, 0);
}

#[test]
fn files_synth_does_not_write_are_carried_over() {
    let t = Tree::new();
    t.valid_params();
    t.write("out/dev/README.md", "notes");
    t.write("out/dev/old.parameters.json", r#"{"Parameters": {}}"#);
    t.write("out/dev/gone.template.json", "{}");
    let r = t.synth(&[]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(t.read("out/dev/README.md"), "notes");
    assert!(t.path("out/dev/old.parameters.json").exists());
    assert!(
        r.err
            .contains("old.parameters.json is not written by synth")
            && r.err.contains("params/dev/old.json"),
        "{}",
        r.err
    );
    assert!(
        !t.path("out/dev/gone.template.json").exists(),
        "templates of stacks the app no longer has are removed"
    );
}

#[test]
fn deploy_reads_the_params_folder() {
    let t = Tree::new();
    t.valid_params();
    let params = t.path("params");
    // deploy compares with the committed folder, which must exist (it names a missing one).
    std::fs::create_dir_all(t.path("out")).unwrap();
    let r = run_cli(
        test_app,
        &[
            "deploy",
            "--dry-run",
            "--env",
            "dev",
            "--stack",
            "worker",
            "--templates",
            t.path("out").to_str().unwrap(),
            "--params",
            params.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out.contains("--parameter-overrides QueueName=jobs"),
        "{}",
        r.out
    );
    assert!(Path::new(&params).join("dev/worker.json").exists());
}
