//! Stateful resource types: replacing or deleting one loses what it holds. `diff` counts these
//! as "stateful at risk" and `--fail-on replace-stateful` fails on them.
//!
//! The list is deliberate, not derived: a type is here when its replacement destroys data a
//! redeploy cannot recreate (rows, objects, messages, key material, secrets, logs, backups,
//! images, users). Add a type with the reason.

/// Every stateful type with what its replacement loses, sorted by type name.
pub const STATEFUL_TYPES: &[(&str, &str)] = &[
    ("AWS::Backup::BackupVault", "recovery points"),
    ("AWS::Cognito::UserPool", "users and their credentials"),
    ("AWS::DocDB::DBCluster", "the database"),
    ("AWS::DynamoDB::GlobalTable", "the table's items"),
    ("AWS::DynamoDB::Table", "the table's items"),
    ("AWS::EC2::Volume", "the volume's data"),
    ("AWS::ECR::Repository", "the images"),
    ("AWS::EFS::FileSystem", "the files"),
    ("AWS::ElastiCache::CacheCluster", "the cached data"),
    ("AWS::ElastiCache::ReplicationGroup", "the cached data"),
    ("AWS::Elasticsearch::Domain", "the indexes"),
    ("AWS::FSx::FileSystem", "the files"),
    (
        "AWS::KMS::Key",
        "the key material: data encrypted under the key becomes unreadable",
    ),
    ("AWS::Kinesis::Stream", "unconsumed records"),
    ("AWS::Logs::LogGroup", "the log events"),
    ("AWS::MSK::Cluster", "the topics' records"),
    ("AWS::Neptune::DBCluster", "the graph"),
    ("AWS::OpenSearchService::Domain", "the indexes"),
    ("AWS::RDS::DBCluster", "the database"),
    ("AWS::RDS::DBInstance", "the database"),
    ("AWS::Redshift::Cluster", "the warehouse"),
    ("AWS::S3::Bucket", "the objects"),
    ("AWS::SQS::Queue", "messages in the queue"),
    (
        "AWS::SecretsManager::Secret",
        "the secret value and its versions",
    ),
    ("AWS::Timestream::Table", "the time series"),
];

/// What replacing a `type_name` resource loses, if it is stateful.
pub fn loses(type_name: &str) -> Option<&'static str> {
    STATEFUL_TYPES
        .binary_search_by(|(t, _)| (*t).cmp(type_name))
        .ok()
        .map(|i| STATEFUL_TYPES[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_so_lookups_find_every_type() {
        let names: Vec<&str> = STATEFUL_TYPES.iter().map(|(t, _)| *t).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        for t in names {
            assert!(loses(t).is_some(), "{t}");
        }
        assert_eq!(loses("AWS::IAM::Role"), None);
    }
}
