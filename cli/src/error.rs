//! The CLI library's error type. Each variant is a kind of failure; the shell (`cli`) maps
//! kinds to exit codes.

use std::path::PathBuf;

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
    Synth(#[from] stackforge_construct_model::Error),

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

    /// Several problems found in one pass (every stack's parameter files), each a paragraph.
    #[error("{}", join_paragraphs(.0))]
    Several(Vec<CliError>),

    /// Writing output failed.
    #[error("writing {path}: {}", describe_io(source))]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl CliError {
    /// Whether the input was at fault (usage, unreadable or invalid input, a missing
    /// prerequisite, bad rule files) rather than a failure found in a valid input.
    pub fn is_input_error(&self) -> bool {
        match self {
            CliError::Several(all) => all.iter().any(CliError::is_input_error),
            _ => matches!(
                self,
                CliError::Usage(_)
                    | CliError::Input { .. }
                    | CliError::Prerequisite(_)
                    | CliError::Policy(crate::policy::PolicyError::Rules { .. })
            ),
        }
    }

    /// `errors` as one error: `None` when empty, the error itself when alone.
    pub fn several(mut errors: Vec<CliError>) -> Option<CliError> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(CliError::Several(errors)),
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

/// An I/O error in words, with the fix when there is an obvious one (no `os error N`).
pub(crate) fn describe_io(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "no such file or folder".into(),
        ErrorKind::PermissionDenied => {
            "permission denied. Fix: make it writable by this user, or pass another path".into()
        }
        ErrorKind::AlreadyExists => {
            "something is already there. Fix: move it away, or pass another path".into()
        }
        ErrorKind::NotADirectory => {
            "a part of the path is a file, not a folder. Fix: move the file away, or pass another path".into()
        }
        ErrorKind::IsADirectory => "it is a folder, not a file. Fix: pass a file".into(),
        ErrorKind::ReadOnlyFilesystem => {
            "the file system is read-only. Fix: pass a path on a writable file system".into()
        }
        ErrorKind::StorageFull => "no space left on the device. Fix: free some space".into(),
        _ => {
            let text = e.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_owned(),
                None => text,
            }
        }
    }
}

impl From<crate::files::FileError> for CliError {
    fn from(e: crate::files::FileError) -> Self {
        CliError::Input {
            path: e.path,
            problem: e.problem,
        }
    }
}

/// The paragraphs of several errors; the shell prefixes the first with `error: `.
fn join_paragraphs(errors: &[CliError]) -> String {
    let texts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    texts.join("\nerror: ")
}

/// Result of CLI operations.
pub type Result<T, E = CliError> = std::result::Result<T, E>;
