//! KMS: customer-managed keys.

mod kms_key;

pub use kms_key::{KeyService, KmsKey, KmsKeyProps};
