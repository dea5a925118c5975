//! Declared refactors: a construct subtree renamed inside its stack or moved to another stack,
//! carried out by CloudFormation stack refactoring (`create-stack-refactor`) so that the
//! resources keep their physical identity and data.
//!
//! Stack refactoring only reorganizes existing resources (AWS documentation, "Stack
//! refactoring"): it cannot create, delete or reconfigure resources, nor add or change
//! parameters, conditions or mappings; it supports only resource types with a
//! `FULLY_MUTABLE` provisioning type (an update handler) and not the types AWS lists as
//! unsupported ([`UNSUPPORTED_TYPES`]); a resource that uses a pseudo parameter whose value
//! differs between the stacks (`AWS::StackName`, `AWS::StackId`) cannot move; a refactor
//! touches at most 5 stacks, must not leave a stack empty, and stacks with a stack policy
//! cannot be refactored; a stack the refactor creates has no parameters or conditions. The
//! templates a refactor is created with are therefore the *deployed* templates with only the
//! mapped resources relocated ([`plan_refactor`]); the app's other changes are deployed
//! afterwards by the normal stack updates.

use serde::{Deserialize, Serialize};

use super::lineage::Pair;
use super::{EnvTemplates, Location};
use crate::expr::{Pseudo, Use};
use crate::path::ConstructPath;
use crate::resource::type_info;
use crate::template::Template;

/// A rename or move the app declares: the resources of subtree `from` are now those of `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredRefactor {
    /// The committed subtree root (`audit/Trail`).
    pub from: ConstructPath,
    /// The new subtree root (`audit/AuditTrail`, `data/Backup`).
    pub to: ConstructPath,
}

impl DeclaredRefactor {
    /// Whether `pair` is one of the resources this declaration renames or moves.
    pub fn covers(&self, pair: &Pair) -> bool {
        pair.old_path.rebase(&self.from, &self.to).as_ref() == Some(&pair.new_path)
    }

    /// Whether it moves the subtree to another stack.
    pub fn is_move(&self) -> bool {
        self.from.stack() != self.to.stack()
    }
}

/// One resource of a refactor: where it is deployed and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceMapping {
    /// Its stack and logical ID now.
    pub source: Location,
    /// Its stack and logical ID after the refactor.
    pub destination: Location,
    /// The resource type.
    #[serde(rename = "type")]
    pub type_name: String,
}

/// A declared refactor as synth records it in the manifest (so `deploy` and reviewers see
/// the exact mappings): the declaration and its resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecordedRefactor {
    /// The committed subtree root.
    pub from: ConstructPath,
    /// The new subtree root.
    pub to: ConstructPath,
    /// The resources it renames or moves.
    pub resources: Vec<ResourceMapping>,
}

impl RecordedRefactor {
    /// `rename` inside a stack, `move` across stacks.
    pub fn verb(&self) -> &'static str {
        if self.from.stack() == self.to.stack() {
            "rename"
        } else {
            "move"
        }
    }
}

/// Resource types AWS documents as not supported by stack refactoring ("Resource
/// limitations" of the Stack refactoring guide), sorted. Types without an update handler are
/// unsupported too; [`support`] checks both.
pub const UNSUPPORTED_TYPES: &[&str] = &[
    "AWS::ACMPCA::Certificate",
    "AWS::ACMPCA::CertificateAuthority",
    "AWS::ACMPCA::CertificateAuthorityActivation",
    "AWS::ApiGateway::BasePathMapping",
    "AWS::ApiGateway::Method",
    "AWS::AppConfig::ConfigurationProfile",
    "AWS::AppConfig::Deployment",
    "AWS::AppConfig::Environment",
    "AWS::AppConfig::Extension",
    "AWS::AppConfig::ExtensionAssociation",
    "AWS::AppStream::DirectoryConfig",
    "AWS::AppStream::StackFleetAssociation",
    "AWS::AppStream::StackUserAssociation",
    "AWS::AppStream::User",
    "AWS::BackupGateway::Hypervisor",
    "AWS::CertificateManager::Certificate",
    "AWS::CloudFormation::CustomResource",
    "AWS::CloudFormation::Macro",
    "AWS::CloudFormation::WaitCondition",
    "AWS::CloudFormation::WaitConditionHandle",
    "AWS::CodeDeploy::DeploymentGroup",
    "AWS::CodePipeline::CustomActionType",
    "AWS::Cognito::UserPoolRiskConfigurationAttachment",
    "AWS::Cognito::UserPoolUICustomizationAttachment",
    "AWS::Cognito::UserPoolUserToGroupAttachment",
    "AWS::Config::ConfigRule",
    "AWS::Config::ConfigurationRecorder",
    "AWS::Config::DeliveryChannel",
    "AWS::DataBrew::Dataset",
    "AWS::DataBrew::Job",
    "AWS::DataBrew::Project",
    "AWS::DataBrew::Recipe",
    "AWS::DataBrew::Ruleset",
    "AWS::DataBrew::Schedule",
    "AWS::DataZone::DataSource",
    "AWS::DataZone::Environment",
    "AWS::DataZone::EnvironmentBlueprintConfiguration",
    "AWS::DataZone::EnvironmentProfile",
    "AWS::DataZone::Project",
    "AWS::DataZone::SubscriptionTarget",
    "AWS::DirectoryService::MicrosoftAD",
    "AWS::DynamoDB::GlobalTable",
    "AWS::EC2::CustomerGateway",
    "AWS::EC2::EIP",
    "AWS::EC2::LaunchTemplate",
    "AWS::EC2::NetworkInterfacePermission",
    "AWS::EC2::PlacementGroup",
    "AWS::EC2::SpotFleet",
    "AWS::EC2::VPCDHCPOptionsAssociation",
    "AWS::EC2::VolumeAttachment",
    "AWS::EMR::Cluster",
    "AWS::EMR::InstanceFleetConfig",
    "AWS::EMR::InstanceGroupConfig",
    "AWS::ElastiCache::CacheCluster",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::ElastiCache::SecurityGroup",
    "AWS::ElastiCache::SecurityGroupIngress",
    "AWS::ElasticBeanstalk::ConfigurationTemplate",
    "AWS::ElasticLoadBalancing::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::ListenerCertificate",
    "AWS::Elasticsearch::Domain",
    "AWS::FIS::ExperimentTemplate",
    "AWS::Glue::Schema",
    "AWS::GuardDuty::IPSet",
    "AWS::GuardDuty::PublishingDestination",
    "AWS::GuardDuty::ThreatIntelSet",
    "AWS::IAM::AccessKey",
    "AWS::IAM::UserToGroupAddition",
    "AWS::ImageBuilder::Component",
    "AWS::IoT::PolicyPrincipalAttachment",
    "AWS::IoT::ThingPrincipalAttachment",
    "AWS::IoTFleetWise::Campaign",
    "AWS::IoTWireless::WirelessDeviceImportTask",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::Lex::BotVersion",
    "AWS::M2::Application",
    "AWS::MSK::Configuration",
    "AWS::MSK::ServerlessCluster",
    "AWS::Maester::DocumentType",
    "AWS::MediaTailor::Channel",
    "AWS::NeptuneGraph::PrivateGraphEndpoint",
    "AWS::Omics::AnnotationStore",
    "AWS::Omics::ReferenceStore",
    "AWS::Omics::SequenceStore",
    "AWS::OpenSearchServerless::Collection",
    "AWS::OpsWorks::App",
    "AWS::OpsWorks::ElasticLoadBalancerAttachment",
    "AWS::OpsWorks::Instance",
    "AWS::OpsWorks::Layer",
    "AWS::OpsWorks::Stack",
    "AWS::OpsWorks::UserProfile",
    "AWS::OpsWorks::Volume",
    "AWS::PCAConnectorAD::Connector",
    "AWS::PCAConnectorAD::DirectoryRegistration",
    "AWS::PCAConnectorAD::Template",
    "AWS::PCAConnectorAD::TemplateGroupAccessControlEntry",
    "AWS::Panorama::PackageVersion",
    "AWS::QuickSight::Theme",
    "AWS::RDS::DBSecurityGroup",
    "AWS::RDS::DBSecurityGroupIngress",
    "AWS::Redshift::ClusterSecurityGroup",
    "AWS::Redshift::ClusterSecurityGroupIngress",
    "AWS::RefactorSpaces::Environment",
    "AWS::RefactorSpaces::Route",
    "AWS::RefactorSpaces::Service",
    "AWS::RoboMaker::RobotApplication",
    "AWS::RoboMaker::SimulationApplication",
    "AWS::Route53::RecordSet",
    "AWS::Route53::RecordSetGroup",
    "AWS::SDB::Domain",
    "AWS::SageMaker::InferenceComponent",
    "AWS::ServiceCatalog::PortfolioPrincipalAssociation",
    "AWS::ServiceCatalog::PortfolioProductAssociation",
    "AWS::ServiceCatalog::PortfolioShare",
    "AWS::ServiceCatalog::TagOptionAssociation",
    "AWS::ServiceCatalogAppRegistry::AttributeGroupAssociation",
    "AWS::ServiceCatalogAppRegistry::ResourceAssociation",
    "AWS::StepFunctions::StateMachineVersion",
    "AWS::Synthetics::Canary",
    "AWS::VoiceID::Domain",
    "AWS::WAF::ByteMatchSet",
    "AWS::WAF::IPSet",
    "AWS::WAF::Rule",
    "AWS::WAF::SizeConstraintSet",
    "AWS::WAF::SqlInjectionMatchSet",
    "AWS::WAF::WebACL",
    "AWS::WAF::XssMatchSet",
    "AWS::WAFv2::IPSet",
    "AWS::WAFv2::RegexPatternSet",
    "AWS::WAFv2::RuleGroup",
    "AWS::WAFv2::WebACL",
    "AWS::WorkSpaces::Workspace",
];

/// Whether stack refactoring can move a `type_name` resource; the error says why not. Types
/// without a known schema are left to CloudFormation's own check.
pub fn support(type_name: &str) -> Result<(), String> {
    if UNSUPPORTED_TYPES.binary_search(&type_name).is_ok() {
        return Err(format!(
            "AWS lists {type_name} as not supported by stack refactoring"
        ));
    }
    match has_update_handler(type_name) {
        Some(false) => Err(format!(
            "{type_name} has no update handler (provisioning type IMMUTABLE), and stack refactoring moves only FULLY_MUTABLE types"
        )),
        _ => Ok(()),
    }
}

/// Whether the type's schema declares an update handler; `None` when the schema index does
/// not know. (A type's provisioning type is `FULLY_MUTABLE` exactly when it has one.)
fn has_update_handler(type_name: &str) -> Option<bool> {
    type_info(type_name)?.fully_mutable
}

/// What stops a refactor, with the resource it concerns and the way out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefactorProblem {
    /// The resource, when the problem is one resource's.
    pub mapping: Option<ResourceMapping>,
    /// What is wrong.
    pub problem: String,
    /// What to do.
    pub fix: String,
}

/// What a refactor is created with: the resource mappings and, for every stack it touches,
/// the deployed template with only the mapped resources relocated.
#[derive(Debug, Clone, PartialEq)]
pub struct RefactorPlan {
    /// The mappings, in the order given.
    pub mappings: Vec<ResourceMapping>,
    /// The refactored templates by stack short name, sources first.
    pub templates: indexmap::IndexMap<String, Template>,
    /// Stacks the refactor creates (destinations not deployed yet).
    pub created: Vec<String>,
}

/// The refactor moving `mappings` from the `deployed` templates, or every problem found. The
/// `target` templates (the new synth) supply the exports a split reference needs: a moved
/// resource that uses one left behind (or the reverse) imports the export the new templates
/// declare for it.
pub fn plan_refactor(
    deployed: &EnvTemplates,
    target: &EnvTemplates,
    mappings: &[ResourceMapping],
) -> Result<RefactorPlan, Vec<RefactorProblem>> {
    super::refactor_templates::build(deployed, target, mappings)
}

/// One mapping's own checks: it exists, its type can move, and across stacks it uses nothing
/// that differs or is missing in the destination.
pub(super) fn check_mapping(
    deployed: &EnvTemplates,
    m: &ResourceMapping,
    all: &[ResourceMapping],
    problems: &mut Vec<RefactorProblem>,
) {
    let problem = |problem: String, fix: String| RefactorProblem {
        mapping: Some(m.clone()),
        problem,
        fix,
    };
    let Some(r) = deployed
        .get(&m.source.stack)
        .and_then(|t| t.resources.get(&m.source.logical_id))
    else {
        problems.push(problem(
            format!("`{}` is not in the deployed templates", m.source),
            "synthesize against the deployed state".into(),
        ));
        return;
    };
    let taken = deployed
        .get(&m.destination.stack)
        .is_some_and(|t| t.resources.contains_key(&m.destination.logical_id))
        && !all.iter().any(|o| o.source == m.destination);
    if taken {
        problems.push(problem(
            format!("`{}` already exists", m.destination),
            "give the destination another construct id".into(),
        ));
    }
    let cross = m.source.stack != m.destination.stack;
    let keep = if cross {
        format!(
            "leave the construct in `{}` for now (a logical ID is kept only inside its stack), or accept its replacement with `stack.allow_replacement(PATH, REASON)`",
            m.source.stack
        )
    } else {
        "keep its logical ID (the override synth suggests) and let the refactor rename the others"
            .to_owned()
    };
    if let Err(why) = support(&r.type_name) {
        problems.push(problem(why, keep.clone()));
    }
    if !cross {
        return;
    }
    let dest = deployed.get(&m.destination.stack);
    for (path, u) in r.uses() {
        let missing = match u {
            Use::Pseudo(p @ (Pseudo::StackName | Pseudo::StackId)) => Some(format!(
                "{path} uses {}, whose value differs in `{}`",
                p.name(),
                m.destination.stack
            )),
            Use::Local { id, .. } => {
                let source = &deployed[&m.source.stack];
                source.parameters.get(id).and_then(|p| {
                    let same = dest.and_then(|d| d.parameters.get(id)).is_some_and(|q| {
                        serde_json::to_value(p).ok() == serde_json::to_value(q).ok()
                    });
                    (!same).then(|| format!("{path} uses parameter `{id}`, which `{}` does not declare the same way", m.destination.stack))
                })
            }
            Use::Condition(c) | Use::Mapping(c) => {
                let source = &deployed[&m.source.stack];
                let same = match u {
                    Use::Condition(_) => dest
                        .and_then(|d| d.conditions.get(c))
                        .is_some_and(|x| Some(x) == source.conditions.get(c)),
                    _ => dest
                        .and_then(|d| d.mappings.get(c))
                        .is_some_and(|x| Some(x) == source.mappings.get(c)),
                };
                (!same).then(|| {
                    format!(
                        "{path} uses `{c}`, which `{}` does not declare the same way",
                        m.destination.stack
                    )
                })
            }
            _ => None,
        };
        if let Some(what) = missing {
            problems.push(problem(
                format!("{what}; a refactor cannot change a resource or add parameters, conditions or mappings"),
                keep.clone(),
            ));
        }
    }
    if let Some(c) = &r.condition {
        let source = &deployed[&m.source.stack];
        let same = dest
            .and_then(|d| d.conditions.get(c))
            .is_some_and(|x| Some(x) == source.conditions.get(c));
        if !same {
            problems.push(problem(
                format!(
                    "it is created under condition `{c}`, which `{}` does not declare the same way",
                    m.destination.stack
                ),
                keep,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unsupported_list_is_sorted_and_immutable_types_are_unsupported() {
        let mut sorted = UNSUPPORTED_TYPES.to_vec();
        sorted.sort_unstable();
        assert_eq!(UNSUPPORTED_TYPES, sorted.as_slice());
        assert!(support("AWS::EC2::EIP").unwrap_err().contains("AWS lists"));
        let e = support("AWS::Backup::BackupSelection").unwrap_err();
        assert!(e.contains("IMMUTABLE"), "{e}");
        assert_eq!(support("AWS::S3::Bucket"), Ok(()));
        assert_eq!(support("Custom::Unknown"), Ok(()));
    }

    #[test]
    fn a_declaration_covers_the_pairs_its_rebase_explains() {
        let p = |s: &str| ConstructPath::parse(s).unwrap();
        let d = DeclaredRefactor {
            from: p("audit/Backup"),
            to: p("data/Backup"),
        };
        let pair = |old: &str, new: &str| Pair {
            old: Location::new("audit", "X"),
            new: Location::new("data", "X"),
            old_path: p(old),
            new_path: p(new),
            type_name: "AWS::KMS::Key".into(),
        };
        assert!(d.covers(&pair(
            "audit/Backup/Key/Resource",
            "data/Backup/Key/Resource"
        )));
        assert!(!d.covers(&pair(
            "audit/Backup/Key/Resource",
            "data/Other/Key/Resource"
        )));
        assert!(!d.covers(&pair(
            "audit/Trail/Key/Resource",
            "data/Backup/Key/Resource"
        )));
        assert!(d.is_move());
    }
}
