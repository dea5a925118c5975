//! Running the AWS CLI: which executable, the global options every call gets, and the
//! checks made before anything is deployed.

use std::ffi::OsString;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::plan::AwsOptions;
use crate::error::{CliError, Result};

/// Environment variable naming the `aws` executable to run instead of `aws` on `PATH`.
pub const AWS_CLI_ENV: &str = "STACKFORGE_AWS_CLI";

/// The AWS CLI as this deploy runs it.
#[derive(Debug, Clone)]
pub struct AwsCli {
    program: OsString,
    global: Vec<String>,
}

/// The caller identity `aws sts get-caller-identity` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The account ID.
    pub account: String,
    /// The caller's ARN.
    pub arn: String,
}

/// Why an `aws` call gave no answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AwsError {
    /// The executable could not be started.
    #[error("cannot run `{program}`: {source}")]
    Spawn {
        /// The executable.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// It ran and exited non-zero.
    #[error("`aws {command}` failed: {stderr}")]
    Failed {
        /// The `aws` subcommand (`cloudformation get-template`).
        command: String,
        /// Its standard error, trimmed.
        stderr: String,
    },
    /// It answered something that is not the JSON asked for.
    #[error("`aws {command}` printed no JSON: {problem}")]
    Output {
        /// The `aws` subcommand.
        command: String,
        /// The parse error.
        problem: String,
    },
}

impl AwsCli {
    /// `$STACKFORGE_AWS_CLI`, or `aws` on `PATH`, with `options` added to every call.
    pub fn from_env(options: &AwsOptions) -> Self {
        let program = std::env::var_os(AWS_CLI_ENV)
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "aws".into());
        AwsCli {
            program,
            global: options.global_args(),
        }
    }

    /// The executable as it appears in printed commands.
    pub fn program(&self) -> String {
        self.program.to_string_lossy().into_owned()
    }

    /// A command running `aws <args>` with the global options and unbuffered output (the
    /// AWS CLI is Python; progress lines should arrive as they are printed).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.program);
        c.args(args)
            .args(&self.global)
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null());
        c
    }

    /// Runs `aws <args> --output json` and parses what it prints.
    pub fn json(&self, args: &[&str]) -> std::result::Result<Value, AwsError> {
        let name = args.iter().take(2).copied().collect::<Vec<_>>().join(" ");
        let output = self
            .command(args)
            .args(["--output", "json"])
            .output()
            .map_err(|source| AwsError::Spawn {
                program: self.program(),
                source,
            })?;
        if !output.status.success() {
            return Err(AwsError::Failed {
                command: name,
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        serde_json::from_slice(&output.stdout).map_err(|e| AwsError::Output {
            command: name,
            problem: e.to_string(),
        })
    }

    /// Checks that the CLI runs and has credentials (`aws sts get-caller-identity`).
    /// A missing executable or missing credentials is a [`CliError::Prerequisite`]: nothing
    /// has been deployed yet.
    pub fn check_identity(&self) -> Result<Identity> {
        match self.json(&["sts", "get-caller-identity"]) {
            Ok(v) => Ok(Identity {
                account: v["Account"].as_str().unwrap_or_default().to_owned(),
                arn: v["Arn"].as_str().unwrap_or_default().to_owned(),
            }),
            Err(AwsError::Spawn { program, source }) => {
                let hint = if std::env::var_os(AWS_CLI_ENV).is_some() {
                    format!("{AWS_CLI_ENV} names it; point it at the AWS CLI or unset it")
                } else {
                    format!("install the AWS CLI so `aws` is on PATH, or set {AWS_CLI_ENV}")
                };
                Err(CliError::Prerequisite(format!(
                    "the AWS CLI `{program}` cannot be run ({source}). Nothing was deployed. Fix: {hint}"
                )))
            }
            Err(e) => Err(CliError::Prerequisite(format!(
                "no usable AWS credentials: {e}. Nothing was deployed. Fix: configure credentials (aws configure, AWS_PROFILE or --profile) and check `aws sts get-caller-identity`"
            ))),
        }
    }
}
