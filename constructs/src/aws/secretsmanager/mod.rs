//! Secrets Manager: KMS-encrypted secrets whose values never appear in a template, and
//! references to secrets that consumers read at run or deploy time.

mod secret;
mod secret_ref;

pub use secret::{GeneratedValue, Secret, SecretProps, SecretValue, DEFAULT_EXCLUDED_CHARACTERS};
pub use secret_ref::SecretRef;
