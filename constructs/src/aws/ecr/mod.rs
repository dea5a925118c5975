//! ECR: container image repositories.

mod repository;

pub use repository::{Repository, RepositoryProps};
