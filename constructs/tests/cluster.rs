//! `Cluster`: Container Insights always on, at the level chosen; a cluster made elsewhere
//! by name.

use serde_json::json;
use stackforge_constructs::aws::ecs::{Cluster, ClusterProps, ContainerInsights};
use stackforge_constructs::aws::refs::ClusterName;
use stackforge_constructs::testing::{synth_error, synth_template as synth};
use stackforge_constructs::Expr;

#[test]
fn container_insights_is_on_at_either_level() {
    let t = synth("cluster", |s| {
        Cluster::new(s, "Shared", ClusterProps::default())?;
        Cluster::new(
            s,
            "Basic",
            ClusterProps {
                container_insights: ContainerInsights::Enabled,
            },
        )?;
        Ok(())
    });
    let setting = |id: &str| t["Resources"][id]["Properties"]["ClusterSettings"].clone();
    assert_eq!(
        setting("Shared"),
        json!([{"Name": "containerInsights", "Value": "enhanced"}])
    );
    assert_eq!(
        setting("Basic"),
        json!([{"Name": "containerInsights", "Value": "enabled"}])
    );
    assert_eq!(
        t["Resources"]["Shared"]["Metadata"]["stackforge:path"],
        "test/Shared"
    );
}

#[test]
fn a_cluster_made_elsewhere_is_named_not_created() {
    let c = Cluster::from_name(ClusterName::from_expr("shared-cluster"));
    assert_eq!(c.name().expr(), Expr::str("shared-cluster"));
    assert!(c.handle().is_none());
}

#[test]
fn a_second_cluster_with_the_same_id_is_refused() {
    let e = synth_error(|s| {
        Cluster::new(s, "Shared", ClusterProps::default())?;
        Cluster::new(s, "Shared", ClusterProps::default())?;
        Ok(())
    });
    assert!(e.contains("test/Shared"), "{e}");
}
