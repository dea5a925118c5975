//! Secrets Manager: KMS-encrypted secrets whose values never appear in a template.

mod secret;

pub use secret::{GeneratedValue, Secret, SecretProps, SecretValue, DEFAULT_EXCLUDED_CHARACTERS};
