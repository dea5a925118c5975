//! The migration-api application: its stacks and per-environment settings.
//!
//! Deploy order per environment: `network` -> `data` -> `registry` -> `service` ->
//! `monitoring`, `audit`. `deploy` creates the database users after `data` and pushes the
//! image after `registry`.
//! Each stack is a function building one `Stack` from the settings and the handles of the
//! stacks before it; cross-stack values become exports and imports at synth.

pub mod audit;
pub mod data;
pub mod monitoring;
pub mod network;
pub mod registry;
pub mod service;
pub mod settings;
pub mod variant;

use stackforge_constructs::aws::cloudwatch::UniqueAlarmNames;
use stackforge_constructs::{App, Environment, Error};

/// The app name: stack names are `migration-api-<env>-<stack>`.
pub const APP_NAME: &str = "migration-api";

/// Builds the migration-api app with all its environments.
pub fn app() -> Result<App, Error> {
    variant::app_with(
        &[settings::dev(), settings::prod()],
        &variant::Layout::default(),
        |_| Ok(()),
    )
}

/// A fresh app with the app-wide tag and aspects, before any stack.
fn new_app() -> App {
    let mut app = App::new(APP_NAME);
    app.add_tag("service", APP_NAME);
    // Alarm names are account-wide; two stacks of an environment must not reuse one.
    app.add_aspect(UniqueAlarmNames::default());
    app
}

fn add_environment(
    app: &mut App,
    s: &settings::Settings,
    layout: &variant::Layout,
) -> Result<(), Error> {
    let env = Environment::new(s.env);
    let (network, vpc) = network::build(app, &env, s)?;
    let (data_stack, data) = data::build_with(app, &env, s, &vpc, layout)?;
    let (registry_stack, registry) = registry::build(app, &env, s)?;
    let (service_stack, service) = service::build(app, &env, s, &vpc, &data, &registry)?;
    let monitoring = monitoring::build(app, &env, s, &service, &data, &registry)?;
    let audit = audit::build_with(app, &env, s, &data, layout)?;
    for stack in [
        network,
        data_stack,
        registry_stack,
        service_stack,
        monitoring,
        audit,
    ] {
        app.add_stack(stack)?;
    }
    if let Some(name) = layout.trail_stack {
        app.add_stack(audit::trail_stack(app, &env, s, name, layout)?)?;
    }
    Ok(())
}
