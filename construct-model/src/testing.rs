//! Test support for construct authors: synthesize one construct in a throwaway stack, and
//! hand the templates tests produce to the test command's cfn-lint run.

use std::path::PathBuf;

use crate::app::App;
use crate::assembly::Assembly;
use crate::error::Result;
use crate::scope::Scope;
use crate::stack::{Environment, Stack, StackProps};

/// Environment variable naming the folder the test command lints (`scripts/test.sh` sets it).
pub const LINT_DIR_VAR: &str = "STACKFORGE_LINT_DIR";

/// Synthesizes an app `test` with one environment `test` (region `us-east-1`; availability
/// zones picked at deploy time with `Fn::GetAZs`) and one stack `test`, whose constructs
/// `build` adds.
pub fn synth_stack(build: impl FnOnce(&mut Scope<'_>) -> Result<()>) -> Result<Assembly> {
    let mut app = App::new("test");
    let env = Environment::new("test").with_region("us-east-1");
    let mut stack = Stack::new(&app, &env, "test", StackProps::default())?;
    build(&mut stack.root())?;
    app.add_stack(stack)?;
    app.synth()
}

/// Writes every template of `assembly` under `$STACKFORGE_LINT_DIR/<name>/` so the test
/// command runs cfn-lint on it; does nothing when the variable is unset.
pub fn write_for_lint(name: &str, assembly: &Assembly) {
    let Some(dir) = std::env::var_os(LINT_DIR_VAR).map(PathBuf::from) else {
        return;
    };
    for env in &assembly.environments {
        let dir = dir.join(name).join(env.environment.name());
        // A test that cannot write its lint copy should fail loudly, not skip linting.
        std::fs::create_dir_all(&dir).expect("create lint dir");
        for stack in &env.stacks {
            std::fs::write(
                dir.join(format!("{}.template.json", stack.name)),
                stack.body(),
            )
            .expect("write lint template");
        }
    }
}

/// The template of the one stack `build` fills (see [`synth_stack`]), also written for the
/// test command's cfn-lint run under `name`. Panics when synthesis fails: for tests only.
pub fn synth_template(
    name: &str,
    build: impl FnOnce(&mut Scope<'_>) -> Result<()>,
) -> serde_json::Value {
    let assembly = synth_stack(build).unwrap_or_else(|e| panic!("synth failed: {e}"));
    write_for_lint(name, &assembly);
    assembly.environments[0].stacks[0].json()
}

/// The error message synthesizing `build` fails with. Panics when it succeeds: for tests only.
pub fn synth_error(build: impl FnOnce(&mut Scope<'_>) -> Result<()>) -> String {
    match synth_stack(build) {
        Ok(_) => panic!("synth succeeded, an error was expected"),
        Err(e) => e.to_string(),
    }
}

/// The resources of `type_name` in `template`, with their logical IDs, in template order.
pub fn resources_of_type<'a>(
    template: &'a serde_json::Value,
    type_name: &str,
) -> Vec<(&'a String, &'a serde_json::Value)> {
    template["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, r)| r["Type"] == type_name)
        .collect()
}
