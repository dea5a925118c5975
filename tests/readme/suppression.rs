use stackforge_constructs::aws::s3::{Bucket, BucketProps};
use stackforge_constructs::{Error, Scope};

/// A bucket whose content is public through CloudFront.
pub fn website(scope: &mut Scope<'_>) -> Result<Bucket, Error> {
    let mut site = scope.child("Website")?;
    site.suppress("S3_TLS_ONLY", "public website bucket behind CloudFront")?;
    Bucket::new(&mut site, "Content", BucketProps::default())
}
