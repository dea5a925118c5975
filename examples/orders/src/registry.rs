//! `registry`: the ECR repositories of the orders images (the API image, which the worker and
//! the admin service also run, and the web shop's), deployed before every service so that
//! `deploy` pushes the images first and a first deploy starts tasks from images that exist.

use stackforge_constructs::aws::ecr::{Repository, RepositoryProps};
use stackforge_constructs::{App, Environment, Error, Stack, StackProps};

use crate::settings::Settings;

/// The repositories.
#[derive(Debug, Clone)]
pub struct Registry {
    /// The orders image (API, worker, admin).
    pub orders: Repository,
    /// The web shop image.
    pub shop: Repository,
}

/// Builds the `registry` stack.
pub fn build(app: &App, env: &Environment, s: &Settings) -> Result<(Stack, Registry), Error> {
    let mut stack = Stack::new(
        app,
        env,
        "registry",
        StackProps {
            description: Some(format!(
                "orders ({}) registry: the ECR repositories of the orders and shop images, deployed before the services",
                s.env
            )),
            ..Default::default()
        },
    )?;
    let mut root = stack.root();
    let orders = Repository::new(&mut root, "Orders", RepositoryProps::default())?;
    let shop = Repository::new(&mut root, "Shop", RepositoryProps::default())?;
    Ok((stack, Registry { orders, shop }))
}
