//! `registry`: the ECR repository of the service's image, in a stack of its own deployed
//! before the service, so `deploy` can push the image between the two and a first deploy
//! from an empty account starts tasks from an image that exists.

use stackforge_constructs::aws::ecr::{Repository, RepositoryProps};
use stackforge_constructs::{App, Environment, Error, Stack, StackProps};

use crate::settings::Settings;

/// What later stacks use from `registry`.
#[derive(Debug, Clone)]
pub struct Registry {
    /// The service's image repository (scan on push, immutable tags, KMS).
    pub repository: Repository,
}

/// Builds the `registry` stack.
pub fn build(app: &App, env: &Environment, s: &Settings) -> Result<(Stack, Registry), Error> {
    let mut stack = Stack::new(
        app,
        env,
        "registry",
        StackProps {
            description: Some(format!(
                "migration-api ({}) registry: the service's ECR repository (scan on push, immutable tags, KMS), deployed before the service so its image can be pushed first",
                s.env
            )),
            ..Default::default()
        },
    )?;
    let mut root = stack.root();
    let mut api = root.child("Api")?;
    let repository = Repository::new(&mut api, "Repository", RepositoryProps::default())?;
    Ok((stack, Registry { repository }))
}
