//! Which features RDS accepts for which engine and instance class, from the AWS
//! documentation. `RdsEncrypted` turns on encryption at rest, Performance Insights (with its
//! KMS key) and Enhanced Monitoring; RDS rejects some of them on some classes, and the
//! instance then fails to create at deploy time. This table decides at synth instead.
//!
//! - "Amazon RDS DB engine, Region, and instance class support for Performance Insights":
//!   RDS for PostgreSQL supports Performance Insights on every instance class; RDS for
//!   MySQL and MariaDB do not support it on `db.t2.micro`, `db.t2.small`, `db.t3.micro`,
//!   `db.t3.small`, `db.t4g.micro` and `db.t4g.small`.
//! - "Encrypting Amazon RDS resources" (availability of Amazon RDS encryption): encryption
//!   at rest is available for all current instance classes; the previous-generation
//!   `db.m1`, `db.m2` and `db.t1` classes do not support it.

/// A feature `RdsEncrypted` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    /// Encryption at rest (`StorageEncrypted`), which cannot be turned off.
    StorageEncryption,
    /// Performance Insights (`EnablePerformanceInsights`), turned on wherever supported.
    PerformanceInsights,
}

/// One documented limit: `feature` is not available for `engines` on `classes`.
struct Limit {
    feature: Feature,
    /// Engine names (`postgres`, `mysql`, `mariadb`); empty means every engine.
    engines: &'static [&'static str],
    /// Instance classes (`db.t3.micro`) or families with a trailing `.` (`db.m1.`).
    classes: &'static [&'static str],
}

const LIMITS: &[Limit] = &[
    Limit {
        feature: Feature::PerformanceInsights,
        engines: &["mysql", "mariadb"],
        classes: &[
            "db.t2.micro",
            "db.t2.small",
            "db.t3.micro",
            "db.t3.small",
            "db.t4g.micro",
            "db.t4g.small",
        ],
    },
    Limit {
        feature: Feature::StorageEncryption,
        engines: &[],
        classes: &["db.m1.", "db.m2.", "db.t1."],
    },
];

/// Whether RDS supports `feature` for `engine` (`postgres`, `mysql`) on `class`
/// (`db.t4g.micro`).
pub fn supports(engine: &str, class: &str, feature: Feature) -> bool {
    !LIMITS.iter().any(|l| {
        l.feature == feature
            && (l.engines.is_empty() || l.engines.contains(&engine))
            && l.classes.iter().any(|c| {
                if c.ends_with('.') {
                    class.starts_with(c)
                } else {
                    class == *c
                }
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn performance_insights_is_refused_only_by_mysql_and_mariadb_on_micro_and_small() {
        for class in ["db.t3.micro", "db.t4g.small", "db.t2.micro"] {
            assert!(
                !supports("mysql", class, Feature::PerformanceInsights),
                "{class}"
            );
            assert!(
                !supports("mariadb", class, Feature::PerformanceInsights),
                "{class}"
            );
            assert!(
                supports("postgres", class, Feature::PerformanceInsights),
                "{class}"
            );
        }
        assert!(supports(
            "mysql",
            "db.t4g.medium",
            Feature::PerformanceInsights
        ));
        assert!(supports(
            "mysql",
            "db.r6g.large",
            Feature::PerformanceInsights
        ));
    }

    #[test]
    fn encryption_is_refused_by_previous_generation_classes() {
        assert!(!supports(
            "postgres",
            "db.m1.small",
            Feature::StorageEncryption
        ));
        assert!(!supports(
            "mysql",
            "db.t1.micro",
            Feature::StorageEncryption
        ));
        assert!(supports(
            "postgres",
            "db.m5.large",
            Feature::StorageEncryption
        ));
        assert!(supports(
            "postgres",
            "db.t4g.micro",
            Feature::StorageEncryption
        ));
    }
}
