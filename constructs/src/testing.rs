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
                &stack.body,
            )
            .expect("write lint template");
        }
    }
}
