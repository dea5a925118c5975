//! Shared by the CLI integration tests: runs the CLI in-process on a test app.

pub mod browser;
pub mod fake_aws;
pub mod picture;
use std::path::Path;

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

/// Where `synth` and `deploy` look for parameter files unless a test passes `--params`: a
/// folder that does not exist. Tests run in the repository root, whose `params/` holds the
/// migration-api's files, which another test app must not read.
pub fn no_params() -> String {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("no-params")
        .display()
        .to_string()
}

/// `args` with `--params DIR` added to a `synth` or `deploy` that names none.
pub fn with_params(args: &[&str], dir: &str) -> Vec<String> {
    let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let reads_params = matches!(args.first(), Some(&"synth") | Some(&"deploy"));
    if reads_params && !args.contains(&"--params") {
        all.extend(["--params".to_owned(), dir.to_owned()]);
    }
    all
}

/// Runs `stackforge ARGS...` on the app `factory` builds, capturing both streams. A `synth`
/// or `deploy` without `--params` reads no parameter files ([`no_params`]).
pub fn run_cli(factory: AppFactory, args: &[&str]) -> Run {
    let args = with_params(args, &no_params());
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = {
        let mut io = Io {
            out: &mut out,
            err: &mut err,
        };
        // As the `stackforge` binary runs it: `new` writes the scaffold app.
        stackforge::run_with_new_app(
            std::iter::once("stackforge").chain(args.iter().map(String::as_str)),
            factory,
            Some(stackforge_scaffold_app::app),
            &mut io,
        )
    };
    Run {
        code,
        out: String::from_utf8(out).expect("stdout is UTF-8"),
        err: String::from_utf8(err).expect("stderr is UTF-8"),
    }
}
