//! SNS: encrypted, TLS-only topics (the alerting topic alarms notify).

mod topic;

pub use topic::{Topic, TopicProps};
