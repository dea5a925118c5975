//! The CLI layer's error type and its exit codes.

use std::path::PathBuf;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: a failure was found (violations, stale templates, validation, failed deploy).
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: usage or input error.
pub const EXIT_USAGE: u8 = 2;

/// Errors of the CLI commands. Each says what went wrong and how to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// Wrong command-line usage (unknown environment or stack, conflicting flags).
    #[error("{0}")]
    Usage(String),

    /// An input file is missing, unreadable or malformed.
    #[error("{path}: {problem}")]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong with it and how to fix it.
        problem: String,
    },

    /// Building or synthesizing the app failed.
    #[error(transparent)]
    Synth(#[from] stackforge_constructs::Error),

    /// A check failed (policy violations, refactor safety, parameter files, deploy).
    #[error("{0}")]
    Failed(String),

    /// The policy gate could not run (bad `--rules` files, engine failure).
    #[error(transparent)]
    Policy(#[from] crate::policy::PolicyError),
    /// Something the command needs outside the app is missing: an external tool (the AWS
    /// CLI) or credentials. Nothing was changed.
    #[error("{0}")]
    Prerequisite(String),

    /// Writing output failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Input { .. } => EXIT_USAGE,
            CliError::Policy(crate::policy::PolicyError::Rules { .. })
            | CliError::Prerequisite(_) => EXIT_USAGE,
            CliError::Synth(_)
            | CliError::Failed(_)
            | CliError::Io { .. }
            | CliError::Policy(_) => EXIT_FAILURE,
        }
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CliError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result of CLI operations.
pub type Result<T, E = CliError> = std::result::Result<T, E>;
