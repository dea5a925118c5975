//! S3: secure buckets.

mod bucket;

pub use bucket::{AccessLogging, Bucket, BucketEncryption, BucketProps};
