//! Logical IDs from construct paths, computed exactly as aws-cdk-lib's `makeUniqueId`, so a
//! team moving from the CDK keeps its logical IDs (and therefore its resources).

/// Path components dropped entirely (the CDK's "hidden" construct id).
const HIDDEN_ID: &str = "Default";
/// Path components dropped from the human-readable part only.
const HIDDEN_FROM_HUMAN_ID: &str = "Resource";
const HASH_LEN: usize = 8;
const MAX_HUMAN_LEN: usize = 240;
/// CloudFormation's limit on logical ID length.
pub const MAX_ID_LEN: usize = 255;

/// Computes the logical ID of the resource at `components` (the path below the stack).
///
/// Returns `None` for an empty path (after dropping `Default` components).
pub fn make_unique_id<S: AsRef<str>>(components: &[S]) -> Option<String> {
    let components: Vec<&str> = components
        .iter()
        .map(AsRef::as_ref)
        .filter(|c| *c != HIDDEN_ID)
        .collect();
    match components.as_slice() {
        [] => None,
        // A top-level resource keeps its name, so templates ported to stackforge keep their IDs.
        [single] if remove_non_alphanumeric(single).len() <= MAX_ID_LEN => {
            Some(remove_non_alphanumeric(single))
        }
        _ => {
            let digest = md5::compute(components.join("/"));
            let hash: String = format!("{digest:x}")[..HASH_LEN].to_uppercase();
            let mut human: String = remove_dupes(&components)
                .into_iter()
                .filter(|c| *c != HIDDEN_FROM_HUMAN_ID)
                .map(remove_non_alphanumeric)
                .collect();
            human.truncate(MAX_HUMAN_LEN);
            Some(human + &hash)
        }
    }
}

/// Whether `id` is a valid CloudFormation logical ID (alphanumeric, 1 to 255 characters).
pub fn is_valid_logical_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.chars().all(|c| c.is_ascii_alphanumeric())
}

fn remove_non_alphanumeric(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// Drops a component when the previous kept one ends with it (`Service/Service` -> `Service`).
fn remove_dupes<'a>(path: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::with_capacity(path.len());
    for &component in path {
        if out.last().is_none_or(|last| !last.ends_with(component)) {
            out.push(component);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(path: &str) -> String {
        make_unique_id(&path.split('/').collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn cdk_test_vectors() {
        assert_eq!(id("Vpc/Resource"), "Vpc8378EB38");
        assert_eq!(id("myService/LB/Resource"), "myServiceLB168895E1");
        assert_eq!(id("myService/Service/Service"), "myServiceB0B6FAA0");
    }

    #[test]
    fn a_single_component_is_used_as_is() {
        assert_eq!(id("MyBucket"), "MyBucket");
        assert_eq!(id("My-Bucket_1"), "MyBucket1");
    }

    #[test]
    fn default_components_are_dropped_everywhere() {
        assert_eq!(id("Default/MyBucket"), "MyBucket");
        assert_eq!(id("Vpc/Default/Resource"), id("Vpc/Resource"));
    }

    #[test]
    fn empty_paths_have_no_id() {
        assert_eq!(make_unique_id::<&str>(&[]), None);
        assert_eq!(make_unique_id(&["Default"]), None);
    }

    #[test]
    fn long_paths_are_capped_at_255_characters() {
        let long = "A".repeat(300);
        let got = id(&format!("{long}/{long}"));
        assert_eq!(got.len(), MAX_HUMAN_LEN + HASH_LEN);
        assert!(is_valid_logical_id(&got));
    }

    proptest! {
        #[test]
        fn ids_are_valid_and_deterministic(parts in proptest::collection::vec("[A-Za-z0-9-]{1,20}", 1..6)) {
            let a = make_unique_id(&parts);
            let b = make_unique_id(&parts);
            prop_assert_eq!(&a, &b);
            if let Some(a) = a {
                // A single component of punctuation only yields an empty ID; the stack rejects it.
                prop_assume!(!a.is_empty());
                prop_assert!(is_valid_logical_id(&a));
            }
        }

        #[test]
        fn distinct_multi_component_paths_get_distinct_hashes(
            a in proptest::collection::vec("[A-Za-z0-9]{1,8}", 2..4),
            b in proptest::collection::vec("[A-Za-z0-9]{1,8}", 2..4),
        ) {
            prop_assume!(a != b);
            prop_assume!(!a.iter().chain(&b).any(|c| c == "Default"));
            let (ia, ib) = (make_unique_id(&a).unwrap(), make_unique_id(&b).unwrap());
            prop_assert_ne!(&ia[ia.len() - 8..], &ib[ib.len() - 8..]);
        }
    }
}
