//! RDS: encrypted, TLS-only, IAM-authenticated database instances.

pub mod instance_support;
mod master_secret;
mod rds_encrypted;
mod user_setup;

pub use master_secret::MasterSecret;
pub use user_setup::{
    DatabaseUserSetup, DatabaseUserSetupProps, POSTGRES_CLIENT_IMAGE, SETUP_METADATA_KEY,
};

pub use rds_encrypted::{
    Engine, RdsEncrypted, RdsEncryptedProps, MAX_STORAGE_GIB, MIN_STORAGE_GIB, RESERVED_USER_NAMES,
};
