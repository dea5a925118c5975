//! The `orders` binary: the stackforge CLI wired to the orders app (run it from
//! `examples/orders`, whose `templates/` it writes and checks).

/// jemalloc, as stackforge's own binary (`stackforge::Allocator`; README "Performance").
#[global_allocator]
static ALLOCATOR: stackforge::Allocator = stackforge::Allocator;

fn main() -> std::process::ExitCode {
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    let mut io = stackforge::Io {
        out: &mut out,
        err: &mut err,
    };
    std::process::ExitCode::from(stackforge::run(std::env::args_os(), orders::app, &mut io))
}
