//! Container images: where they come from (a scanned ECR repository, or another registry
//! pinned by digest) and which tag or digest a deploy runs.

use crate::aws::ecr::{Repository, RepositoryProps};
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::scope::Scope;
use crate::template::Parameter;

use crate::aws::validate::check_parameter_name;

use super::checks::{is_digest, is_image_tag};

// What `deploy` reads of the metadata lives in the model, which the CLI depends on.
pub use crate::deploy_metadata::{
    image_parameters, ImageParameter, ImageRepositoryLocation, IMAGE_METADATA_KEY,
};

/// The `AllowedPattern` of an image tag parameter.
pub const IMAGE_TAG_PATTERN: &str = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";

/// The `AllowedPattern` of an image digest parameter.
pub const IMAGE_DIGEST_PATTERN: &str = "sha256:[a-f0-9]{64}";

/// Which image tag or digest a service runs (props of the patterns).
#[derive(Debug, Clone, PartialEq)]
pub enum ImageRef {
    /// A tag taken from a stack parameter of this name, which the construct declares (no
    /// default: every deploy names the tag it ships).
    TagParameter(String),
    /// A tag: a literal (`1.4.2`) or any value, such as a parameter the app declared.
    Tag(Expr),
    /// An image digest (`sha256:` and 64 hex digits).
    Digest(String),
    /// A digest taken from a stack parameter of this name, which the construct declares:
    /// `deploy` pushes the image to the repository and passes its digest
    /// (see [`IMAGE_METADATA_KEY`]).
    DigestParameter(String),
}

impl Default for ImageRef {
    /// The digest from a stack parameter `ImageDigest`: the task runs exactly the image
    /// `deploy` pushed, and a tag moved in the registry changes nothing.
    fn default() -> Self {
        ImageRef::DigestParameter("ImageDigest".to_owned())
    }
}

/// Where the image comes from (props of the patterns).
// Props are built once per construct; boxing would only make them clumsier to write.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ImageRepository {
    /// A repository this construct creates (scan on push, immutable tags, KMS).
    New(RepositoryProps),
    /// A repository created elsewhere ([`Repository::from_name`], [`Repository::from_arn`]);
    /// `repository.into()` builds this variant.
    Existing(Repository),
}

impl From<Repository> for ImageRepository {
    fn from(r: Repository) -> Self {
        ImageRepository::Existing(r)
    }
}

impl Default for ImageRepository {
    fn default() -> Self {
        ImageRepository::New(RepositoryProps::default())
    }
}

/// The image of one container.
#[derive(Debug, Clone)]
pub enum ContainerImage {
    /// An image of an ECR repository by tag: a literal (`1.4.2`) or a value such as
    /// [`image_tag_parameter`]. The execution role may pull from exactly this repository.
    EcrTag {
        /// The repository.
        repository: Repository,
        /// The tag.
        tag: Expr,
    },
    /// An image of an ECR repository by digest (`sha256:` and 64 hex digits).
    EcrDigest {
        /// The repository.
        repository: Repository,
        /// The digest.
        digest: String,
    },
    /// An image of an ECR repository by the digest a stack parameter holds
    /// ([`image_digest_parameter`]); `deploy` pushes the image and sets the parameter.
    EcrDigestParameter {
        /// The repository.
        repository: Repository,
        /// The parameter's `Ref`.
        parameter: Expr,
    },
    /// An image of another registry that needs no credentials (a sidecar such as
    /// `public.ecr.aws/aws-observability/aws-otel-collector@sha256:...`), pinned by digest so
    /// a registry cannot swap what runs.
    Pinned(String),
}

impl ContainerImage {
    /// The image `tag` of `repository`.
    pub fn ecr_tag(repository: &Repository, tag: impl Into<Expr>) -> Self {
        ContainerImage::EcrTag {
            repository: repository.clone(),
            tag: tag.into(),
        }
    }

    /// The image `digest` of `repository`.
    pub fn ecr_digest(repository: &Repository, digest: &str) -> Self {
        ContainerImage::EcrDigest {
            repository: repository.clone(),
            digest: digest.to_owned(),
        }
    }

    /// An image of another registry, `registry/name@sha256:...`.
    pub fn pinned(reference: &str) -> Self {
        ContainerImage::Pinned(reference.to_owned())
    }

    /// The ECR repository the image is pulled from, if any.
    pub fn repository(&self) -> Option<&Repository> {
        match self {
            ContainerImage::EcrTag { repository, .. }
            | ContainerImage::EcrDigest { repository, .. }
            | ContainerImage::EcrDigestParameter { repository, .. } => Some(repository),
            ContainerImage::Pinned(_) => None,
        }
    }

    /// The `Image` of the container definition.
    pub(crate) fn uri(&self) -> Expr {
        match self {
            ContainerImage::EcrTag { repository, tag } => {
                Expr::concat([repository.uri(), Expr::str(":"), tag.clone()])
            }
            ContainerImage::EcrDigest { repository, digest } => {
                Expr::concat([repository.uri(), Expr::str(format!("@{digest}"))])
            }
            ContainerImage::EcrDigestParameter {
                repository,
                parameter,
            } => Expr::concat([repository.uri(), Expr::str("@"), parameter.clone()]),
            ContainerImage::Pinned(reference) => Expr::str(reference),
        }
    }

    pub(crate) fn check(&self, path: &str, field: &str) -> Result<()> {
        let problem = match self {
            ContainerImage::EcrTag {
                tag: Expr::String(t),
                ..
            } if !is_image_tag(t) => Some((
                format!("`{t}` is not an image tag"),
                "use letters, digits, `_`, `.` and `-` (at most 128, not starting with `.` or `-`)",
            )),
            ContainerImage::EcrDigest { digest, .. } if !is_digest(digest) => Some((
                format!("`{digest}` is not an image digest"),
                "write it as `sha256:` followed by 64 lower-case hex digits",
            )),
            ContainerImage::Pinned(r) => {
                let pinned = r
                    .split_once('@')
                    .is_some_and(|(name, d)| !name.is_empty() && is_digest(d))
                    && !r.contains(char::is_whitespace);
                (!pinned).then(|| {
                    (
                        format!("`{r}` is not pinned by digest"),
                        "write it as `registry/name@sha256:` and 64 hex digits, so the registry cannot change what runs",
                    )
                })
            }
            _ => None,
        };
        match problem {
            Some((problem, fix)) => Err(Error::invalid_props(path, field, problem, fix)),
            None => Ok(()),
        }
    }
}

impl ContainerImage {
    /// The image `parameter` (a digest parameter's `Ref`) of `repository`.
    pub fn ecr_digest_parameter(repository: &Repository, parameter: Expr) -> Self {
        ContainerImage::EcrDigestParameter {
            repository: repository.clone(),
            parameter,
        }
    }

    /// For a digest parameter: its name and where `deploy` finds the repository (the
    /// entry of [`IMAGE_METADATA_KEY`]).
    pub(crate) fn deploy_metadata(&self, container: &str) -> Option<(String, serde_json::Value)> {
        let ContainerImage::EcrDigestParameter {
            repository,
            parameter: Expr::Ref(parameter),
        } = self
        else {
            return None;
        };
        let repository = match repository.name().expr() {
            Expr::Ref(r) => serde_json::json!({
                "stack": r.owner().map(|o| o.name().to_owned()),
                "logicalId": r.logical_id(),
            }),
            Expr::String(name) => serde_json::json!({ "name": name }),
            _ => return None,
        };
        Some((
            parameter.logical_id().to_owned(),
            serde_json::json!({"container": container, "repository": repository}),
        ))
    }
}

/// Declares the stack parameter `name` holding the digest of the image to deploy (no
/// default: `deploy` pushes the image and passes its digest) and returns its value.
pub fn image_digest_parameter(scope: &mut Scope<'_>, name: &str) -> Result<Expr> {
    check_parameter_name(scope, "image", name)?;
    scope.stack_mut().add_parameter(
        name,
        Parameter::string()
            .description("Digest of the container image to deploy (set by `stackforge deploy`)")
            .allowed_pattern(
                IMAGE_DIGEST_PATTERN,
                "an image digest: `sha256:` and 64 lower-case hex digits",
            ),
    )
}

/// Declares the stack parameter `name` holding the image tag to deploy (no default: every
/// deploy names the tag it ships) and returns its value.
pub fn image_tag_parameter(scope: &mut Scope<'_>, name: &str) -> Result<Expr> {
    check_parameter_name(scope, "image", name)?;
    scope.stack_mut().add_parameter(
        name,
        Parameter::string()
            .description("Tag of the container image to deploy")
            .allowed_pattern(
                IMAGE_TAG_PATTERN,
                "an image tag: letters, digits, `_`, `.` and `-`, at most 128 characters",
            ),
    )
}
