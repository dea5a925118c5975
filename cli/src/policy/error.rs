//! Errors of the policy gate.

use std::path::PathBuf;

/// Why the policy gate could not run. Violations are not errors: they are in the
/// [`Report`](super::Report).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A `--rules` folder or one of its rule files is unreadable or not valid Guard.
    #[error("{path}: {problem}")]
    Rules {
        /// The folder or file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        problem: String,
    },

    /// cfn-guard failed on input it should accept (a bug in stackforge or cfn-guard).
    #[error("the policy engine failed: {0}. Fix: run `check` on the written templates to find the input it rejects, and report the problem")]
    Engine(String),
}
