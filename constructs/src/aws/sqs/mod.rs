//! SQS: KMS-encrypted, TLS-only queues, each with a dead-letter queue, typed grants to roles
//! and services, and the metrics workers scale and alarm on.

mod queue;

pub use queue::{
    Queue, QueueProps, QueueSender, MAX_RECEIVE_COUNT, MAX_RETENTION_SECONDS,
    MAX_VISIBILITY_TIMEOUT_SECONDS,
};
