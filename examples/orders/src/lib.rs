//! The orders app, the second example of stackforge: an HTTPS API and a queue worker sharing
//! one VPC and one database, the API sending orders to the queue and the worker consuming
//! it; a web shop sharing the API's HTTPS load balancer under `/shop`; an admin service
//! behind an internal load balancer; alarms and a dashboard for all of them.
//!
//! Stacks per environment, in deploy order: `network` -> `data` -> `registry` -> `api` ->
//! `web`, `worker`, `admin` -> `monitoring` (stack names `orders-<env>-<stack>`). `deploy`
//! creates the database user after `data` and pushes the images after `registry`; every task
//! pins its image by digest.

pub mod admin;
pub mod api;
pub mod data;
pub mod monitoring;
pub mod network;
pub mod registry;
pub mod settings;
pub mod web;
pub mod worker;

use stackforge_constructs::aws::cloudwatch::UniqueAlarmNames;
use stackforge_constructs::{App, Environment, Error};

/// The app name: stack names are `orders-<env>-<stack>`.
pub const APP_NAME: &str = "orders";

/// The database user every service connects as, with IAM authentication.
pub const DB_USER: &str = "orders_app";

/// Builds the orders app with all its environments.
pub fn app() -> Result<App, Error> {
    let mut app = App::new(APP_NAME);
    app.add_tag("service", APP_NAME);
    app.add_aspect(UniqueAlarmNames::default());
    for s in [settings::dev(), settings::prod()] {
        add_environment(&mut app, &s)?;
    }
    Ok(app)
}

fn add_environment(app: &mut App, s: &settings::Settings) -> Result<(), Error> {
    let env = Environment::new(s.env);
    let (network, vpc) = network::build(app, &env, s)?;
    let (data_stack, data) = data::build(app, &env, s, &vpc)?;
    let (registry_stack, registry) = registry::build(app, &env, s)?;
    let (api_stack, api) = api::build(app, &env, s, &vpc, &data, &registry)?;
    let (web_stack, web) = web::build(app, &env, s, &vpc, &api, &registry)?;
    let (worker_stack, worker) = worker::build(app, &env, s, &vpc, &data, &registry)?;
    let (admin_stack, admin) = admin::build(app, &env, s, &vpc, &data, &registry)?;
    let services = monitoring::Services {
        api: &api,
        web: &web,
        worker: &worker,
        admin: &admin,
        data: &data,
    };
    let monitoring = monitoring::build(app, &env, s, &services)?;
    for stack in [
        network,
        data_stack,
        registry_stack,
        api_stack,
        web_stack,
        worker_stack,
        admin_stack,
        monitoring,
    ] {
        app.add_stack(stack)?;
    }
    Ok(())
}
