//! Variants of the migration-api for tests and demonstrations: other settings, construct ids
//! or placements, and declarations made on the app before its stacks are built. The default
//! [`Layout`] with [`crate::settings::dev`] and [`crate::settings::prod`] is the app itself.

use stackforge_constructs::{App, Error};

use crate::settings::Settings;

/// Where the app's constructs live and what they are called. Every field defaults to the
/// app as committed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// The id of the CloudTrail construct. Default: `Trail`.
    pub trail_id: Option<&'static str>,
    /// The id of the AWS Backup plan construct. Default: `Backup`.
    pub backup_id: Option<&'static str>,
    /// Build the backup plan in `data` (beside the database) instead of `audit`.
    /// Default: false.
    pub backup_in_data: bool,
    /// Build the trail in a stack of its own with this name (deployed last) instead of in
    /// `audit`. Default: none.
    pub trail_stack: Option<&'static str>,
}

/// The migration-api with `settings` per environment and `layout`; `prepare` runs on the app
/// before any stack is created (declare refactors and kept IDs there).
pub fn app_with(
    settings: &[Settings],
    layout: &Layout,
    prepare: impl FnOnce(&mut App) -> Result<(), Error>,
) -> Result<App, Error> {
    let mut app = crate::new_app();
    prepare(&mut app)?;
    for s in settings {
        crate::add_environment(&mut app, s, layout)?;
    }
    Ok(app)
}
