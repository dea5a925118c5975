//! ECR: container image repositories.

mod repository;
mod scan_findings;

pub use repository::{Repository, RepositoryProps};
pub use scan_findings::{ScanFindingsAlert, ScanFindingsAlertProps, SEVERITIES};
