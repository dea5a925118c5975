//! The `stackforge` binary, wired to the migration-api application.

/// jemalloc, as stackforge's own binary (`stackforge::Allocator`; README "Performance").
#[global_allocator]
static ALLOCATOR: stackforge::Allocator = stackforge::Allocator;

fn main() -> std::process::ExitCode {
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    let mut io = stackforge::Io {
        out: &mut out,
        err: &mut err,
    };
    std::process::ExitCode::from(stackforge::run_with_new_app(
        std::env::args_os(),
        stackforge_stacks::app,
        Some(stackforge_scaffold_app::app),
        &mut io,
    ))
}
