//! Container images a deploy ships: which stack parameters take an image digest (from the
//! task definitions' `stackforge:images` metadata), where each image comes from (built from
//! a folder, a local image, or a digest already in the repository), and the build, push and
//! digest lookup with whichever container tool is installed.
//!
//! A first deploy from an empty account works because the repository lives in a stack
//! deployed before the service: `deploy` builds the image before anything changes, pushes it
//! right after the repository's stack, and passes its digest to the service's stack, whose
//! task definition pins it (`repository@sha256:...`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use stackforge_construct_model::deploy_metadata::{
    image_parameters, ImageParameter, ImageRepositoryLocation,
};
use stackforge_construct_model::{EnvironmentAssembly, Expr, StackArtifact};

use super::aws::AwsCli;
use crate::error::{CliError, Result};

/// Environment variable naming the container tool instead of the first of
/// [`CONTAINER_TOOLS`] found on `PATH`.
pub const CONTAINER_TOOL_ENV: &str = "STACKFORGE_CONTAINER_TOOL";

/// Container tools `deploy` can build and push with, in the order they are looked for.
pub const CONTAINER_TOOLS: [&str; 3] = ["docker", "podman", "finch"];

/// Where one image comes from (`--image-context`, `--image`, `--image-digest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// Build from this folder (its `Dockerfile`).
    Build(PathBuf),
    /// Push this local image.
    Local(String),
    /// An image already in the repository, by digest: nothing to build or push.
    Digest(String),
}

/// One `--image-context`/`--image`/`--image-digest` value: `[STACK:PARAMETER=]VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageOption {
    /// `STACK:PARAMETER` it applies to; `None` for every image parameter.
    pub target: Option<(String, String)>,
    /// The source.
    pub source: ImageSource,
}

impl ImageOption {
    /// Parses `[STACK:PARAMETER=]VALUE` for `flag`, making the source with `make`.
    pub fn parse(
        value: &str,
        make: impl Fn(&str) -> std::result::Result<ImageSource, String>,
    ) -> std::result::Result<Self, String> {
        let (target, rest) = match value.split_once('=') {
            Some((t, rest)) if t.contains(':') && !t.contains('/') => {
                let (stack, param) = t.split_once(':').unwrap_or((t, ""));
                if stack.is_empty() || param.is_empty() {
                    return Err(format!("`{value}`: write STACK:PARAMETER=VALUE or VALUE"));
                }
                (Some((stack.to_owned(), param.to_owned())), rest)
            }
            _ => (None, value),
        };
        Ok(ImageOption {
            target,
            source: make(rest)?,
        })
    }
}

/// Whether `d` is `sha256:` and 64 lower-case hex digits.
pub fn is_digest(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// An image digest parameter of a stack being deployed, with the stack holding its
/// repository and where its image comes from.
#[derive(Debug, Clone)]
pub struct PlannedImage {
    /// The stack with the parameter (short name).
    pub stack: String,
    /// The parameter and its repository.
    pub parameter: ImageParameter,
    /// The stack creating the repository (short name), when it is in this environment.
    pub repository_stack: Option<String>,
    /// The CloudFormation stack name of `repository_stack`.
    pub repository_stack_name: Option<String>,
    /// The image's CPU architecture (`linux/amd64`, `linux/arm64`).
    pub platform: &'static str,
    /// Where the image comes from; `None` when the parameter file or `--parameter` gives it.
    pub source: Option<ImageSource>,
}

impl PlannedImage {
    /// `stack:Parameter`.
    pub fn name(&self) -> String {
        format!("{}:{}", self.stack, self.parameter.parameter)
    }
}

/// The image parameters of `stacks` with their sources from `options`. A parameter with no
/// source must get its value from the parameter file or `--parameter` (`has_value`).
pub fn plan(
    env: &EnvironmentAssembly,
    stacks: &[&StackArtifact],
    options: &[ImageOption],
    has_value: impl Fn(&str, &str) -> bool,
) -> Result<Vec<PlannedImage>> {
    let mut planned = Vec::new();
    for stack in stacks {
        for p in image_parameters(stack.template()) {
            let mine: Vec<&ImageOption> = options
                .iter()
                .filter(|o| {
                    o.target
                        .as_ref()
                        .is_some_and(|(s, k)| *s == stack.name && *k == p.parameter)
                })
                .collect();
            let general: Vec<&ImageOption> =
                options.iter().filter(|o| o.target.is_none()).collect();
            let chosen = if mine.is_empty() { general } else { mine };
            let name = format!("{}:{}", stack.name, p.parameter);
            if chosen.len() > 1 {
                return Err(CliError::Usage(format!(
                    "{name} is given more than one image (--image-context, --image, --image-digest). Fix: keep one, or prefix each with STACK:PARAMETER="
                )));
            }
            let source = chosen.first().map(|o| o.source.clone());
            if source.is_none() && !has_value(&stack.name, &p.parameter) {
                return Err(CliError::Usage(format!(
                    "{name} needs an image and none was given. Nothing was deployed. Fix: pass --image-context DIR (build DIR/Dockerfile with docker, podman or finch), --image LOCAL_IMAGE (push an image you built) or --image-digest sha256:... (an image already in the repository)"
                )));
            }
            let (repository_stack, repository_stack_name) = match &p.repository {
                ImageRepositoryLocation::InStack { stack: s, .. } => {
                    (Some(s.clone()), env.stack(s).map(|a| a.stack_name.clone()))
                }
                ImageRepositoryLocation::Named(_) => (None, None),
            };
            if let (Some(s), Some(ImageSource::Build(_) | ImageSource::Local(_))) =
                (&repository_stack, &source)
            {
                if *s == stack.name {
                    return Err(CliError::Usage(format!(
                        "{name}: the repository is created by the same stack that runs the image, so it is empty when the service starts. Nothing was deployed. Fix: create the repository in a stack deployed before `{}` (`Repository::new` there, `ImageRepository::Existing` here), or pass --image-digest of an image already pushed",
                        stack.name
                    )));
                }
            }
            planned.push(PlannedImage {
                stack: stack.name.clone(),
                platform: platform_of(stack),
                parameter: p,
                repository_stack,
                repository_stack_name,
                source,
            });
        }
    }
    Ok(planned)
}

/// The platform of the task definition with image metadata in `stack`.
fn platform_of(stack: &StackArtifact) -> &'static str {
    let arm = stack.template().resources.values().any(|r| {
        r.type_name == "AWS::ECS::TaskDefinition"
            && matches!(
                r.properties.get("RuntimePlatform"),
                Some(Expr::Map(m)) if m.get("CpuArchitecture").and_then(Expr::as_str) == Some("ARM64")
            )
    });
    if arm {
        "linux/arm64"
    } else {
        "linux/amd64"
    }
}

/// The container tool: `$STACKFORGE_CONTAINER_TOOL`, else the first of [`CONTAINER_TOOLS`]
/// on `PATH`.
pub fn container_tool() -> Result<PathBuf> {
    if let Some(t) = std::env::var_os(CONTAINER_TOOL_ENV).filter(|t| !t.is_empty()) {
        return Ok(PathBuf::from(t));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for tool in CONTAINER_TOOLS {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(tool);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(CliError::Prerequisite(format!(
        "no container tool to build or push the image: none of {} is on PATH. Nothing was deployed. Fix: install one (or set {CONTAINER_TOOL_ENV}), or pass --image-digest of an image already in the repository",
        CONTAINER_TOOLS.join(", ")
    )))
}

/// A local image ready to push: its reference and the tag it gets in the repository
/// (`sha256-<first 12 hex digits of the image ID>`, so pushing the same image twice is
/// the same tag under the repository's immutable tags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalImage {
    /// The local reference.
    pub reference: String,
    /// The tag to push as.
    pub tag: String,
}

fn run(tool: &Path, args: &[&str], what: &str) -> Result<String> {
    let out = Command::new(tool)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            CliError::Prerequisite(format!(
                "cannot run `{}` to {what}: {e}. Fix: install docker, podman or finch, or set {CONTAINER_TOOL_ENV}",
                tool.display()
            ))
        })?;
    if !out.status.success() {
        return Err(CliError::Failed(format!(
            "`{} {}` failed while trying to {what}: {}",
            tool.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Builds (for [`ImageSource::Build`]) or takes (for [`ImageSource::Local`]) the image of
/// `image`; `None` for a digest.
pub fn prepare(tool: &Path, image: &PlannedImage, app: &str) -> Result<Option<LocalImage>> {
    let reference = match &image.source {
        Some(ImageSource::Build(dir)) => {
            let reference = format!(
                "stackforge/{app}-{}-{}:build",
                image.stack,
                image.parameter.parameter.to_ascii_lowercase()
            );
            let dir = dir.display().to_string();
            run(
                tool,
                &[
                    "build",
                    "--platform",
                    image.platform,
                    "-t",
                    &reference,
                    &dir,
                ],
                &format!("build the image of {}", image.name()),
            )?;
            reference
        }
        Some(ImageSource::Local(r)) => r.clone(),
        Some(ImageSource::Digest(_)) | None => return Ok(None),
    };
    let id = run(
        tool,
        &["image", "inspect", "--format", "{{.Id}}", &reference],
        &format!("read the ID of the image {reference}"),
    )?;
    let hex = id.trim().trim_start_matches("sha256:");
    if hex.len() < 12 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(CliError::Failed(format!(
            "the container tool gave `{id}` as the ID of {reference}, not a sha256 image ID"
        )));
    }
    Ok(Some(LocalImage {
        reference,
        tag: format!("sha256-{}", &hex[..12]),
    }))
}

/// The repository's name and URI, once its stack is deployed.
pub fn repository(aws: &AwsCli, image: &PlannedImage) -> Result<(String, String)> {
    let name = match &image.parameter.repository {
        ImageRepositoryLocation::Named(n) => n.clone(),
        ImageRepositoryLocation::InStack { logical_id, .. } => {
            let stack = image.repository_stack_name.as_deref().unwrap_or_default();
            let v = aws
                .json(&[
                    "cloudformation",
                    "describe-stack-resource",
                    "--stack-name",
                    stack,
                    "--logical-resource-id",
                    logical_id,
                ])
                .map_err(|e| {
                    CliError::Failed(format!(
                        "cannot find the repository {logical_id} of stack {stack} for {}: {e}",
                        image.name()
                    ))
                })?;
            v["StackResourceDetail"]["PhysicalResourceId"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
    };
    let v = aws
        .json(&["ecr", "describe-repositories", "--repository-names", &name])
        .map_err(|e| CliError::Failed(format!("cannot describe the repository {name}: {e}")))?;
    let uri = v["repositories"][0]["repositoryUri"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if uri.is_empty() {
        return Err(CliError::Failed(format!(
            "the repository {name} has no URI in `aws ecr describe-repositories`"
        )));
    }
    Ok((name, uri))
}

/// Logs in to the repository's registry, tags and pushes `local`, and returns the digest
/// ECR records for it.
pub fn push(
    aws: &AwsCli,
    tool: &Path,
    local: &LocalImage,
    repository: &(String, String),
) -> Result<String> {
    let (name, uri) = repository;
    let registry = uri.split('/').next().unwrap_or(uri);
    let password = aws
        .command(&["ecr", "get-login-password"])
        .output()
        .map_err(|e| CliError::Failed(format!("cannot run `aws ecr get-login-password`: {e}")))?;
    if !password.status.success() {
        return Err(CliError::Failed(format!(
            "`aws ecr get-login-password` failed: {}",
            String::from_utf8_lossy(&password.stderr).trim()
        )));
    }
    let mut login = Command::new(tool)
        .args(["login", "--username", "AWS", "--password-stdin", registry])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| CliError::Failed(format!("cannot run `{}`: {e}", tool.display())))?;
    if let Some(mut stdin) = login.stdin.take() {
        let _ = stdin.write_all(&password.stdout);
    }
    let out = login
        .wait_with_output()
        .map_err(|e| CliError::Failed(format!("`{} login` failed: {e}", tool.display())))?;
    if !out.status.success() {
        return Err(CliError::Failed(format!(
            "`{} login ... {registry}` failed: {}",
            tool.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let target = format!("{uri}:{}", local.tag);
    run(tool, &["tag", &local.reference, &target], "tag the image")?;
    run(tool, &["push", &target], "push the image")?;
    let v = aws
        .json(&[
            "ecr",
            "describe-images",
            "--repository-name",
            name,
            "--image-ids",
            &format!("imageTag={}", local.tag),
        ])
        .map_err(|e| CliError::Failed(format!("cannot read the digest of {target}: {e}")))?;
    let digest = v["imageDetails"][0]["imageDigest"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if !is_digest(&digest) {
        return Err(CliError::Failed(format!(
            "ECR reports no digest for {target} after the push"
        )));
    }
    Ok(digest)
}

/// The commands a dry run shows for `image` (placeholders in angle brackets).
pub fn dry_run_lines(image: &PlannedImage, tool: &str, app: &str) -> Vec<String> {
    let name = image.name();
    match &image.source {
        Some(ImageSource::Build(dir)) => vec![
            format!(
                "{tool} build --platform {} -t stackforge/{app}-{}-{}:build {}   # {name}, before any stack",
                image.platform,
                image.stack,
                image.parameter.parameter.to_ascii_lowercase(),
                dir.display()
            ),
            push_line(image, tool),
        ],
        Some(ImageSource::Local(r)) => vec![format!("# {name}: local image {r}"), push_line(image, tool)],
        Some(ImageSource::Digest(d)) => vec![format!("# {name}={d} (already in the repository)")],
        None => vec![format!("# {name} from the parameter file or --parameter")],
    }
}

fn push_line(image: &PlannedImage, tool: &str) -> String {
    format!(
        "aws ecr get-login-password | {tool} login --username AWS --password-stdin <registry>; {tool} tag <image> <repository-uri>:sha256-<id>; {tool} push <repository-uri>:sha256-<id>   # {}, after stack {}",
        image.name(),
        image.repository_stack.as_deref().unwrap_or("(existing repository)")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_options_may_name_their_parameter() {
        let digest = |v: &str| {
            if is_digest(v) {
                Ok(ImageSource::Digest(v.to_owned()))
            } else {
                Err(format!("`{v}` is not a digest"))
            }
        };
        let d = format!("sha256:{}", "a".repeat(64));
        let o = ImageOption::parse(&d, digest).unwrap();
        assert_eq!(o.target, None);
        let o = ImageOption::parse(&format!("service:ImageDigest={d}"), digest).unwrap();
        assert_eq!(
            o.target,
            Some(("service".to_owned(), "ImageDigest".to_owned()))
        );
        assert!(ImageOption::parse("sha256:abc", digest).is_err());
        let local = |v: &str| Ok(ImageSource::Local(v.to_owned()));
        let o = ImageOption::parse("registry.example:5000/app:1.0", local).unwrap();
        assert_eq!(o.target, None, "a registry port is not a STACK:PARAMETER");
    }
}
