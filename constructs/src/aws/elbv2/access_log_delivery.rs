//! Who may write a load balancer's access logs into its bucket, per region.
//!
//! AWS documentation, "Enable access logs for your Application Load Balancer" (Step 2:
//! attach a policy to your S3 bucket): in Regions available before August 2022 the bucket
//! policy must grant the Region's Elastic Load Balancing account
//! (`arn:aws:iam::<elb-account-id>:root`); Regions available as of August 2022 or later use
//! the log delivery service principal `logdelivery.elasticloadbalancing.amazonaws.com`.
//! Granting the wrong one makes the load balancer fail to enable access logging.
//!
//! Templates are region-agnostic (the region is chosen by `deploy --region`), so the choice
//! is made at deploy time: a mapping from region to principal and a condition on it. A region
//! missing from the table fails the deploy with CloudFormation's "Unable to get mapping"
//! error instead of enabling logs that cannot be written; add it to [`ELB_ACCOUNTS`] or
//! [`LOG_DELIVERY_REGIONS`].

use indexmap::IndexMap;

use crate::aws::iam::Principal;
use crate::error::Result;
use crate::expr::{Expr, MappingRef};
use crate::scope::Scope;

/// The log delivery service principal of the Regions opened since August 2022.
pub const LOG_DELIVERY_SERVICE: &str = "logdelivery.elasticloadbalancing.amazonaws.com";

/// The template mapping from region to access-log principal.
pub const MAPPING_NAME: &str = "ElbAccessLogDelivery";

/// The template condition that is true where the region's Elastic Load Balancing account is
/// the principal.
pub const CONDITION_NAME: &str = "ElbAccessLogsFromRegionalAccount";

/// The Elastic Load Balancing account of each Region available before August 2022, as
/// "Enable access logs for your Application Load Balancer" lists them (with the China and
/// GovCloud partitions, whose ARNs differ).
pub const ELB_ACCOUNTS: &[(&str, &str, &str)] = &[
    // (region, partition, account)
    ("us-east-1", "aws", "127311923021"),
    ("us-east-2", "aws", "033677994240"),
    ("us-west-1", "aws", "027434742980"),
    ("us-west-2", "aws", "797873946194"),
    ("af-south-1", "aws", "098369216593"),
    ("ap-east-1", "aws", "754344448648"),
    ("ap-southeast-3", "aws", "589379963580"),
    ("ap-south-1", "aws", "718504428378"),
    ("ap-northeast-3", "aws", "383597477331"),
    ("ap-northeast-2", "aws", "600734575887"),
    ("ap-southeast-1", "aws", "114774131450"),
    ("ap-southeast-2", "aws", "783225319266"),
    ("ap-northeast-1", "aws", "582318560864"),
    ("ca-central-1", "aws", "985666609251"),
    ("eu-central-1", "aws", "054676820928"),
    ("eu-west-1", "aws", "156460612806"),
    ("eu-west-2", "aws", "652711504416"),
    ("eu-south-1", "aws", "635631232127"),
    ("eu-west-3", "aws", "009996457667"),
    ("eu-north-1", "aws", "897822967062"),
    ("me-south-1", "aws", "076674570225"),
    ("sa-east-1", "aws", "507241528517"),
    ("us-gov-west-1", "aws-us-gov", "048591011584"),
    ("us-gov-east-1", "aws-us-gov", "190560391635"),
    ("cn-north-1", "aws-cn", "638102146993"),
    ("cn-northwest-1", "aws-cn", "037604701340"),
];

/// Regions available as of August 2022 or later, whose access logs are delivered by
/// [`LOG_DELIVERY_SERVICE`].
pub const LOG_DELIVERY_REGIONS: &[&str] = &[
    "ap-south-2",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-east-2",
    "ca-west-1",
    "eu-south-2",
    "eu-central-2",
    "il-central-1",
    "me-central-1",
    "mx-central-1",
];

/// The principal that writes access logs in `region`, if the table knows the region:
/// `Ok(account ARN)` for a Region available before August 2022, `Err(service)` otherwise.
pub fn principal_for(region: &str) -> Option<std::result::Result<String, &'static str>> {
    if let Some((_, partition, account)) = ELB_ACCOUNTS.iter().find(|(r, ..)| *r == region) {
        return Some(Ok(format!("arn:{partition}:iam::{account}:root")));
    }
    LOG_DELIVERY_REGIONS
        .contains(&region)
        .then_some(Err(LOG_DELIVERY_SERVICE))
}

/// The principal of the access-log bucket policy in the stack of `scope`: the region's
/// Elastic Load Balancing account where AWS documents one, the log delivery service
/// elsewhere. Adds the mapping and the condition to the stack once.
pub(crate) fn access_log_principal(scope: &mut Scope<'_>) -> Result<Principal> {
    let stack = scope.stack_mut();
    let key = stack.key().clone();
    let mapping = MappingRef::new(key.clone(), MAPPING_NAME);
    if !stack.has_mapping(MAPPING_NAME) {
        let mut regions: IndexMap<String, IndexMap<String, Expr>> = IndexMap::new();
        let mut all: Vec<(&str, Delivery)> = ELB_ACCOUNTS
            .iter()
            .map(|(r, p, a)| (*r, Delivery::Account(format!("arn:{p}:iam::{a}:root"))))
            .collect();
        all.extend(LOG_DELIVERY_REGIONS.iter().map(|r| (*r, Delivery::Service)));
        all.sort_by(|a, b| a.0.cmp(b.0));
        for (region, principal) in all {
            let (kind, value) = match principal {
                Delivery::Account(arn) => ("Account", arn),
                Delivery::Service => ("Service", LOG_DELIVERY_SERVICE.to_owned()),
            };
            let mut entry = IndexMap::new();
            entry.insert("Kind".to_owned(), Expr::str(kind));
            entry.insert("Principal".to_owned(), Expr::str(value));
            regions.insert(region.to_owned(), entry);
        }
        stack.add_mapping(MAPPING_NAME, regions)?;
        stack.add_condition(
            CONDITION_NAME,
            Expr::equals(
                Expr::find_in_map(&mapping, Expr::region(), "Kind"),
                "Account",
            ),
        )?;
    }
    let condition = crate::expr::ConditionRef::new(key, CONDITION_NAME);
    let principal = || Expr::find_in_map(&mapping, Expr::region(), "Principal");
    Ok(Principal::Chosen {
        condition,
        then: Box::new(Principal::Aws(vec![principal()])),
        otherwise: Box::new(Principal::Service(vec![principal()])),
    })
}

enum Delivery {
    Account(String),
    Service,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_has_one_principal() {
        assert_eq!(
            principal_for("us-east-1"),
            Some(Ok("arn:aws:iam::127311923021:root".to_owned()))
        );
        assert_eq!(
            principal_for("us-gov-west-1"),
            Some(Ok("arn:aws-us-gov:iam::048591011584:root".to_owned()))
        );
        assert_eq!(
            principal_for("il-central-1"),
            Some(Err(LOG_DELIVERY_SERVICE))
        );
        assert_eq!(principal_for("xx-nowhere-1"), None);
        for (r, ..) in ELB_ACCOUNTS {
            assert!(!LOG_DELIVERY_REGIONS.contains(r), "{r} is in both tables");
        }
    }
}
