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
//! - [`template_bucket`]: templates over the inline limit, through S3;
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
pub mod template_bucket;

use std::io::Write;
use std::path::Path;

use crate::error::{CliError, Result};

/// A private temporary folder (rendered templates, merged parameter files), removed on drop:
/// created exclusively under an unpredictable name, readable by its owner only.
#[derive(Debug)]
pub struct ScratchDir(tempfile::TempDir);

impl ScratchDir {
    /// Creates a new, empty folder under the system temporary folder.
    pub fn new() -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("stackforge-deploy-")
            .tempdir()
            .map_err(|e| CliError::io(std::env::temp_dir(), e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
                .map_err(|e| CliError::io(dir.path(), e))?;
        }
        Ok(ScratchDir(dir))
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

/// Writes `bytes` to a new file only its owner may read (it may hold parameter values,
/// `NoEcho` ones included); an existing file is an error, never overwritten or followed.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn scratch_folders_are_private_unpredictable_and_removed() {
        use std::os::unix::fs::PermissionsExt;
        let (a, b) = (ScratchDir::new().unwrap(), ScratchDir::new().unwrap());
        assert_ne!(a.path(), b.path());
        let mode = std::fs::metadata(a.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let file = a.path().join("p.json");
        write_private(&file, b"{}").unwrap();
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(
            write_private(&file, b"again").is_err(),
            "an existing file is never reused"
        );
        let path = a.path().to_path_buf();
        drop(a);
        assert!(!path.exists());
    }
}
