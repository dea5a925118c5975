//! RDS: encrypted, TLS-only, IAM-authenticated database instances.

mod rds_encrypted;

pub use rds_encrypted::{
    Engine, RdsEncrypted, RdsEncryptedProps, MAX_STORAGE_GIB, MIN_STORAGE_GIB, RESERVED_USER_NAMES,
};
