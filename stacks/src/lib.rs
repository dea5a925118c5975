//! The migration-api application: its stacks and per-environment settings.

use stackforge_constructs::{App, Error};

/// Builds the migration-api app with all its environments.
pub fn app() -> Result<App, Error> {
    Ok(App::new("migration-api"))
}
