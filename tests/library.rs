//! The CLI as a library for an app of its own: the factory may be a closure taking runtime
//! configuration, and `diff` says when there is nothing committed to compare with.

mod common;

use common::run_cli;
use stackforge_constructs::{
    App, Environment, Error, RawResource, ResourceOptions, Stack, StackProps,
};

fn app_in(envs: &[(&str, &str)]) -> Result<App, Error> {
    let mut app = App::new("cfg");
    for (name, region) in envs {
        let env = Environment::new(name).with_region(region);
        let mut s = Stack::new(&app, &env, "queue", StackProps::default())?;
        s.root().add_raw(
            "Topic",
            RawResource::new("AWS::SNS::Topic").prop("KmsMasterKeyId", "alias/aws/sns"),
            ResourceOptions::default(),
        )?;
        app.add_stack(s)?;
    }
    Ok(app)
}

#[test]
fn run_takes_a_closure_capturing_runtime_configuration() {
    // As an app would read it from its environment or a settings file at start-up.
    let region = String::from("eu-central-1");
    let factory = move || app_in(&[("dev", region.as_str())]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut io = stackforge::Io {
        out: &mut out,
        err: &mut err,
    };
    let code = stackforge::run(["stackforge", "list"], factory, &mut io);
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        code,
        stackforge::EXIT_OK,
        "{}",
        String::from_utf8_lossy(&err)
    );
    assert!(out.starts_with("dev (eu-central-1)\n"), "{out}");
}

fn two_envs() -> Result<App, Error> {
    app_in(&[("dev", "eu-west-1"), ("prod", "eu-west-1")])
}

#[test]
fn diff_without_a_committed_folder_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let against = dir.path().display().to_string();
    let r = run_cli(two_envs, &["diff", "--against", &against]);
    assert_eq!(r.code, 2, "{}", r.out);
    assert!(
        r.err
            .contains("nothing to compare with: no committed templates (")
            && r.err.contains("/dev, ")
            && r.err.contains("/prod do not exist). Fix: run `synth`"),
        "{}",
        r.err
    );
    assert!(r.out.is_empty(), "nothing is listed as added: {}", r.out);

    // With one environment committed, the other is noted and shows as added.
    let out = dir.path().to_str().unwrap();
    let synth = run_cli(two_envs, &["synth", "--env", "dev", "--out", out]);
    assert_eq!(synth.code, 0, "{}", synth.err);
    let r = run_cli(two_envs, &["diff", "--against", &against]);
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(
        r.err.contains(
            "/prod does not exist (nothing committed for `prod`): its stacks show as added"
        ),
        "{}",
        r.err
    );
    let r = run_cli(two_envs, &["diff", "--against", &against, "--env", "prod"]);
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(r.err.contains("/prod does not exist)"), "{}", r.err);
}
