//! Shared by the CLI integration tests: runs the CLI in-process on a test app.

pub mod fake_aws;

use stackforge::{AppFactory, Io};

/// What one in-process CLI run produced.
pub struct Run {
    /// The exit code.
    pub code: u8,
    /// Standard output.
    pub out: String,
    /// Standard error.
    pub err: String,
}

impl Run {
    /// Whether the run exited with `code`.
    #[allow(dead_code)] // Not every test binary checks codes this way.
    pub fn exit(&self, code: u8) -> bool {
        self.code == code
    }
}

/// Runs `stackforge ARGS...` on the app `factory` builds, capturing both streams.
pub fn run_cli(factory: AppFactory, args: &[&str]) -> Run {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = {
        let mut io = Io {
            out: &mut out,
            err: &mut err,
        };
        stackforge::run(
            std::iter::once("stackforge").chain(args.iter().copied()),
            factory,
            &mut io,
        )
    };
    Run {
        code,
        out: String::from_utf8(out).expect("stdout is UTF-8"),
        err: String::from_utf8(err).expect("stderr is UTF-8"),
    }
}
