//! `deploy`: applying synthesized templates with the AWS CLI, stack by stack in manifest
//! order, with progress from the stack events.
//!
//! - [`plan`]: which stacks, their parameters, the exact `aws` arguments (pure);
//! - [`aws`]: running the CLI (`$STACKFORGE_AWS_CLI` or `aws`), credential check;
//! - [`run`]: one stack's `aws cloudformation deploy` with event polling;
//! - [`progress`]: stack events, progress lines and the spinner;
//! - [`preview`]: production environments and the change preview shown before them;
//! - [`refactor`]: declared renames and moves, carried out by stack refactoring first;
//! - [`steps`]: what happens around the stacks (pre-flight checks in [`preflight`], images
//!   in [`images`], setup tasks in [`setup_tasks`]);
//! - [`deploy_plan`]: the typed plan of a deploy, made in one pure step and read by every
//!   mode (`--dry-run`, the production preview, `--plan`, `--apply`, the deploy);
//! - [`schedule`], [`parallel`]: which stacks may run now, and running them (`--concurrency`);
//! - [`stack_status`], [`recovery`]: deployed stacks' states, waiting on them, and the
//!   recovery of stacks a deploy cannot update as they are;
//! - [`change_set`], [`plan_file`], [`reviewed`]: `--plan FILE` and `--apply FILE`;
//! - [`destroy`]: what `destroy` deletes and keeps; [`drift`]: drift detection.

pub mod aws;
pub mod change_set;
pub mod deploy_plan;
pub mod destroy;
pub mod drift;
pub mod images;
pub mod parallel;
pub mod plan;
pub mod plan_file;
pub mod preflight;
pub mod preview;
pub mod progress;
pub mod recovery;
pub mod refactor;
pub mod reviewed;
pub mod run;
pub mod schedule;
pub mod setup_tasks;
pub mod stack_status;
pub mod steps;

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
