//! `Cluster`: an ECS cluster with CloudWatch Container Insights always on.

use crate::aws::refs::ClusterName;
use crate::error::Result;
use crate::resource::ResourceHandle;
use crate::resources::ecs::{self as cfn, cluster};
use crate::scope::Scope;

/// The cluster's CloudWatch Container Insights level (it cannot be turned off here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContainerInsights {
    /// `enhanced`: task- and container-level metrics as well (the default).
    #[default]
    Enhanced,
    /// `enabled`: cluster- and service-level metrics.
    Enabled,
}

/// Props of [`Cluster`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClusterProps {
    /// Container Insights level. Default: [`ContainerInsights::Enhanced`].
    pub container_insights: ContainerInsights,
}

/// An ECS cluster that services of several constructs (and stacks) can share.
///
/// ```
/// use stackforge_constructs::aws::ecs::{Cluster, ClusterProps};
/// use stackforge_constructs::testing::synth_stack;
///
/// let asm = synth_stack(|s| {
///     Cluster::new(s, "Cluster", ClusterProps::default())?;
///     Ok(())
/// })
/// .unwrap();
/// let t = asm.environments[0].stacks[0].json();
/// assert_eq!(t["Resources"]["Cluster"]["Properties"]["ClusterSettings"][0]["Value"], "enhanced");
/// ```
#[derive(Debug, Clone)]
pub struct Cluster {
    name: ClusterName,
    handle: Option<ResourceHandle<cfn::Cluster>>,
}

impl Cluster {
    /// Adds the cluster at `scope/id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: ClusterProps) -> Result<Cluster> {
        scope.record_construct(id, "Cluster");
        let handle = scope.add(
            id,
            cfn::Cluster {
                cluster_settings: Some(vec![cluster::ClusterSettings {
                    name: Some("containerInsights".into()),
                    value: Some(
                        match props.container_insights {
                            ContainerInsights::Enhanced => "enhanced",
                            ContainerInsights::Enabled => "enabled",
                        }
                        .into(),
                    ),
                }]),
                ..Default::default()
            },
        )?;
        Ok(Cluster {
            name: ClusterName::from_expr(handle.ref_()),
            handle: Some(handle),
        })
    }

    /// A cluster created elsewhere, by name.
    pub fn from_name(name: ClusterName) -> Cluster {
        Cluster { name, handle: None }
    }

    /// The cluster name (`Ref`), also what services name as their cluster.
    pub fn name(&self) -> ClusterName {
        self.name.clone()
    }

    /// The underlying resource, when this construct created it.
    pub fn handle(&self) -> Option<&ResourceHandle<cfn::Cluster>> {
        self.handle.as_ref()
    }
}
