//! Templates over CloudFormation's inline limit ([`MAX_INLINE_TEMPLATE_BYTES`]) go through
//! S3, up to [`MAX_S3_TEMPLATE_BYTES`]: `aws cloudformation deploy` uploads them itself
//! (`--s3-bucket`, `--s3-prefix`); `deploy --plan` uploads each with `s3api put-object`,
//! keyed by its SHA-256, and names it with `--template-url`.
//!
//! API reference: `PutObject`, `GetBucketLocation` (Amazon S3), `TemplateURL` of
//! `CreateChangeSet` (an `https://` URL of an object in S3).

use std::path::Path;

use super::aws::AwsCli;
use super::plan::MAX_INLINE_TEMPLATE_BYTES;
use crate::error::{CliError, Result};

/// CloudFormation's limit for a template body read from S3 (1 MB).
pub const MAX_S3_TEMPLATE_BYTES: usize = 1_048_576;

/// Where templates over [`MAX_INLINE_TEMPLATE_BYTES`] are uploaded: `--s3-bucket`,
/// `--s3-prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateBucket {
    /// The bucket (in the target region).
    pub bucket: String,
    /// The key prefix (a folder); default: none.
    pub prefix: Option<String>,
}

impl TemplateBucket {
    /// The object key of a template with this SHA-256: `[PREFIX/]SHA256.template.json`
    /// (the same content always has the same key).
    pub fn key(&self, sha256: &str) -> String {
        match self
            .prefix
            .as_deref()
            .map(|p| p.trim_matches('/'))
            .filter(|p| !p.is_empty())
        {
            Some(p) => format!("{p}/{sha256}.template.json"),
            None => format!("{sha256}.template.json"),
        }
    }

    /// The `aws cloudformation deploy` options naming it.
    pub fn deploy_args(&self) -> Vec<String> {
        let mut args = vec!["--s3-bucket".to_owned(), self.bucket.clone()];
        if let Some(p) = &self.prefix {
            args.extend(["--s3-prefix".to_owned(), p.clone()]);
        }
        args
    }

    /// Uploads the template `file` (its SHA-256 `sha256`) and returns its `--template-url`;
    /// `region` caches the bucket's region between calls.
    pub fn upload(
        &self,
        aws: &AwsCli,
        file: &Path,
        sha256: &str,
        region: &mut Option<String>,
    ) -> Result<String> {
        let key = self.key(sha256);
        let body = file.display().to_string();
        let args = [
            "s3api",
            "put-object",
            "--bucket",
            &self.bucket,
            "--key",
            &key,
            "--body",
            &body,
        ];
        aws.json(&args).map_err(|e| {
            CliError::Failed(format!(
                "cannot upload the template to s3://{}/{key}: {e}. Nothing was executed. Fix: check that the bucket exists in the target region and that these credentials may write to it",
                self.bucket
            ))
        })?;
        let region = match region {
            Some(r) => r.clone(),
            None => region.insert(self.region(aws)?).clone(),
        };
        Ok(template_url(&self.bucket, &region, &key))
    }

    /// The bucket's region (`get-bucket-location`: no `LocationConstraint` is us-east-1,
    /// the legacy `EU` is eu-west-1).
    fn region(&self, aws: &AwsCli) -> Result<String> {
        let v = aws
            .json(&["s3api", "get-bucket-location", "--bucket", &self.bucket])
            .map_err(|e| {
                CliError::Failed(format!(
                    "cannot read the region of bucket {}: {e}. Nothing was executed.",
                    self.bucket
                ))
            })?;
        Ok(match v["LocationConstraint"].as_str().unwrap_or_default() {
            "" => "us-east-1".to_owned(),
            "EU" => "eu-west-1".to_owned(),
            r => r.to_owned(),
        })
    }
}

/// The virtual-hosted-style URL of `key` in `bucket` of `region` (China regions in their own
/// partition's domain). The key's characters outside `A-Za-z0-9-_.~/` are percent-encoded.
pub fn template_url(bucket: &str, region: &str, key: &str) -> String {
    let domain = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    let mut path = String::new();
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            path.push(char::from(b));
        } else {
            path.push_str(&format!("%{b:02X}"));
        }
    }
    format!("https://{bucket}.s3.{region}.{domain}/{path}")
}

/// The refusal of a template CloudFormation takes from no source: over
/// [`MAX_S3_TEMPLATE_BYTES`], or over [`MAX_INLINE_TEMPLATE_BYTES`] without a bucket.
pub fn size_problem(stack_name: &str, bytes: usize, bucket: bool) -> Option<String> {
    if bytes > MAX_S3_TEMPLATE_BYTES {
        Some(format!(
            "{stack_name} ({bytes} bytes, over CloudFormation's {MAX_S3_TEMPLATE_BYTES}-byte limit even from S3; split the stack)"
        ))
    } else if bytes > MAX_INLINE_TEMPLATE_BYTES && !bucket {
        Some(format!("{stack_name} ({bytes} bytes)"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_content_addressed_under_the_prefix() {
        let cases = [
            (None, "abc.template.json"),
            (Some(""), "abc.template.json"),
            (Some("cfn"), "cfn/abc.template.json"),
            (Some("/cfn/dev/"), "cfn/dev/abc.template.json"),
        ];
        for (prefix, want) in cases {
            let b = TemplateBucket {
                bucket: "b".into(),
                prefix: prefix.map(str::to_owned),
            };
            assert_eq!(b.key("abc"), want, "{prefix:?}");
        }
    }

    #[test]
    fn urls_are_virtual_hosted_in_the_buckets_region() {
        assert_eq!(
            template_url("tpl", "eu-west-1", "a b/x.json"),
            "https://tpl.s3.eu-west-1.amazonaws.com/a%20b/x.json"
        );
        assert_eq!(
            template_url("tpl", "cn-north-1", "x.json"),
            "https://tpl.s3.cn-north-1.amazonaws.com.cn/x.json"
        );
    }

    #[test]
    fn sizes_over_the_limits_are_refused() {
        assert_eq!(size_problem("s", MAX_INLINE_TEMPLATE_BYTES, false), None);
        assert!(size_problem("s", MAX_INLINE_TEMPLATE_BYTES + 1, false).is_some());
        assert_eq!(size_problem("s", MAX_INLINE_TEMPLATE_BYTES + 1, true), None);
        assert!(size_problem("s", MAX_S3_TEMPLATE_BYTES + 1, true)
            .is_some_and(|p| p.contains("split the stack")));
    }
}
