//! The app `stackforge new` writes, compiled: the files of `cli/src/scaffold/app/`, which
//! `new` also writes verbatim into the new app. `new` synthesizes it in process so the new
//! app starts with its templates and reviewed snapshots.
//!
//! A crate of its own because the app uses the AWS constructs and the CLI library does not
//! depend on them (so editing a construct does not recompile the CLI): the `stackforge`
//! binary passes [`app`] to `stackforge::run_with_new_app`.
#![deny(missing_docs)]

#[path = "../../cli/src/scaffold/app/settings.rs"]
mod settings;
#[path = "../../cli/src/scaffold/app/stacks.rs"]
mod stacks;

use stackforge_constructs::{App, Error};

/// The app `new` writes, named `name`, with its two environments (`dev` and `prod`).
pub fn app(name: &str) -> Result<App, Error> {
    stacks::app(name, &[settings::dev(), settings::prod()])
}
