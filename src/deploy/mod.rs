//! `deploy`: applying synthesized templates with the AWS CLI, stack by stack in manifest
//! order, with progress from the stack events.
//!
//! - [`plan`]: which stacks, their parameters, the exact `aws` arguments (pure);
//! - [`aws`]: running the CLI (`$STACKFORGE_AWS_CLI` or `aws`), credential check;
//! - [`run`]: one stack's `aws cloudformation deploy` with event polling;
//! - [`progress`]: stack events, progress lines and the spinner;
//! - [`preview`]: production environments and the change preview shown before them;
//! - [`refactor`]: declared renames and moves, carried out by stack refactoring first.

pub mod aws;
pub mod plan;
pub mod preview;
pub mod progress;
pub mod refactor;
pub mod run;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{CliError, Result};

/// A private temporary folder (rendered templates, merged parameter files), removed on drop.
#[derive(Debug)]
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// Creates a new, empty folder under the system temporary folder.
    pub fn new() -> Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path =
            std::env::temp_dir().join(format!("stackforge-deploy-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|e| CliError::io(&path, e))?;
        Ok(ScratchDir(path))
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
