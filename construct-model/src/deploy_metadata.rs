//! What constructs record in template metadata for `deploy` to read: the metadata keys and
//! the reader of image digest parameters. Part of the model, not of the AWS constructs
//! (`stackforge_constructs::aws`, which re-exports each item at its old path), so the CLI
//! reads them without depending on the constructs.

use crate::template::Template;

/// The metadata key of a task definition listing its image digest parameters and the ECR
/// repository each image must be in: `{"ImageDigest": {"container": "app", "repository":
/// {"stack": "registry", "logicalId": "ApiRepositoryAADF3F12"}}}` (or `{"name": "..."}` for
/// a repository created elsewhere). `deploy` reads it to push the image between the
/// repository's stack and this one, and to pass the digest.
pub const IMAGE_METADATA_KEY: &str = "stackforge:images";

/// The metadata key of a task definition `deploy` runs after its stack is deployed: where
/// its cluster, security group and subnets are, each a resource of a stack
/// (`{"stack": "network", "logicalId": "..."}`, whose physical ID `deploy` looks up) or a
/// literal ID (`{"id": "subnet-..."}`): `{"cluster": .., "securityGroup": .., "subnets":
/// [..]}`.
pub const SETUP_METADATA_KEY: &str = "stackforge:run-after-deploy";

/// Where `deploy` finds the repository of an image digest parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRepositoryLocation {
    /// A repository created by stack `stack` (short name) as resource `logical_id`.
    InStack {
        /// The stack's short name.
        stack: String,
        /// The repository's logical ID.
        logical_id: String,
    },
    /// A repository created elsewhere, by name.
    Named(String),
}

/// An image digest parameter of a stack, which `deploy` sets after pushing the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageParameter {
    /// The parameter's name (`ImageDigest`).
    pub parameter: String,
    /// The container running the image.
    pub container: String,
    /// The repository the image must be pushed to.
    pub repository: ImageRepositoryLocation,
}

/// The image digest parameters of `template`, read from its task definitions' metadata
/// ([`IMAGE_METADATA_KEY`]), in template order.
pub fn image_parameters(template: &Template) -> Vec<ImageParameter> {
    let mut found = Vec::new();
    for r in template.resources.values() {
        let Some(serde_json::Value::Object(images)) = r.metadata.get(IMAGE_METADATA_KEY) else {
            continue;
        };
        for (parameter, image) in images {
            let repository = &image["repository"];
            let location = match (
                repository["stack"].as_str(),
                repository["logicalId"].as_str(),
                repository["name"].as_str(),
            ) {
                (Some(stack), Some(id), _) => ImageRepositoryLocation::InStack {
                    stack: stack.to_owned(),
                    logical_id: id.to_owned(),
                },
                (_, _, Some(name)) => ImageRepositoryLocation::Named(name.to_owned()),
                _ => continue,
            };
            found.push(ImageParameter {
                parameter: parameter.clone(),
                container: image["container"].as_str().unwrap_or_default().to_owned(),
                repository: location,
            });
        }
    }
    found
}
