//! `graph` in-process on a three-stack test app: DOT and Mermaid snapshots, the edges a
//! security reviewer relies on, `--level stacks`, `--stack`, determinism, and the real
//! parsers (Graphviz `dot`; mermaid's parser through `scripts/mermaid-check`).
//!
//! The test command sets `STACKFORGE_REQUIRE_GRAPHVIZ=1` and `STACKFORGE_REQUIRE_MERMAID=1`
//! so a missing parser fails there instead of being skipped.

mod common;

use common::{run_cli, Run};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use stackforge::graph::{build, EdgeKind, Graph, GraphOptions, Level};
use stackforge_constructs::aws::ec2::{SecurityGroup, SecurityGroupProps, Vpc, VpcProps};
use stackforge_constructs::aws::rds::{RdsEncrypted, RdsEncryptedProps};
use stackforge_constructs::aws::refs::SecurityGroupId;
use stackforge_constructs::{
    App, Environment, Error, Expr, RawResource, ResourceOptions, Stack, StackProps,
};

/// `network` (VPC, load-balancer group open to the internet on 443), `data` (an encrypted
/// database in the VPC) and `service` (a group with an inline 0.0.0.0/0:443 rule that takes
/// 8080 from the load balancer, opens the database to itself, and a task reading the
/// database endpoint), in environments `dev` and `prod`.
fn test_app() -> Result<App, Error> {
    let mut app = App::new("shop");
    for env in [
        Environment::new("dev").with_region("eu-west-1"),
        Environment::new("prod").with_region("eu-west-1"),
    ] {
        let mut network = Stack::new(&app, &env, "network", StackProps::default())?;
        let vpc = Vpc::new(&mut network.root(), "Vpc", VpcProps::default())?;
        let lb = SecurityGroup::new(
            &mut network.root(),
            "LoadBalancerSg",
            &vpc.vpc_id(),
            SecurityGroupProps::default(),
        )?;
        lb.allow_from_cidr(
            &mut network.root(),
            "HttpsFromInternet",
            "0.0.0.0/0",
            443,
            "HTTPS from anywhere",
        )?;

        let mut data = Stack::new(&app, &env, "data", StackProps::default())?;
        let db = RdsEncrypted::new(&mut data.root(), "Db", &vpc, RdsEncryptedProps::default())?;

        let mut service = Stack::new(&app, &env, "service", StackProps::default())?;
        let sg = service.root().add_raw(
            "ServiceSg",
            RawResource::new("AWS::EC2::SecurityGroup")
                .prop("GroupDescription", "service")
                .prop("VpcId", vpc.vpc_id())
                .prop(
                    "SecurityGroupIngress",
                    Expr::list([Expr::map([
                        ("IpProtocol", Expr::str("tcp")),
                        ("FromPort", Expr::from(443)),
                        ("ToPort", Expr::from(443)),
                        ("CidrIp", Expr::str("0.0.0.0/0")),
                    ])]),
                ),
            ResourceOptions::default(),
        )?;
        let svc = SecurityGroup::from_id(SecurityGroupId::from_expr(sg.get_att("GroupId")));
        svc.allow_from(
            &mut service.root(),
            "FromLoadBalancer",
            &lb,
            8080,
            "ALB to tasks",
        )?;
        db.allow_from(&mut service.root(), "DbFromService", &svc)?;
        service.root().add_raw(
            "Task",
            RawResource::new("AWS::SSM::Parameter")
                .prop("Type", "String")
                .prop(
                    "Value",
                    Expr::concat([Expr::str("postgres://"), db.endpoint_address()]),
                ),
            ResourceOptions {
                depends_on: vec![sg.reference().clone()],
                ..Default::default()
            },
        )?;
        app.add_stack(network)?;
        app.add_stack(data)?;
        app.add_stack(service)?;
    }
    Ok(app)
}

fn run(args: &[&str]) -> Run {
    run_with(test_app, args)
}

fn run_with(factory: stackforge::AppFactory, args: &[&str]) -> Run {
    run_cli(factory, args)
}

fn graph_out(args: &[&str]) -> String {
    let mut all = vec!["graph"];
    all.extend_from_slice(args);
    let r = run(&all);
    assert_eq!(r.code, 0, "{}", r.err);
    r.out
}

fn model(level: Level, stacks: &[&str]) -> Graph {
    let assembly = test_app().unwrap().synth().unwrap();
    let env = assembly.environment("prod").unwrap();
    let options = GraphOptions {
        level,
        stacks: stacks.iter().map(|s| (*s).to_owned()).collect(),
    };
    build(&assembly.app, env, &options)
}

/// The id of the only node whose label contains `text` on a line of its own.
fn node_id(graph: &Graph, text: &str) -> String {
    let mut found = Vec::new();
    stackforge::graph::visit_nodes(graph, &mut |n| {
        if n.label.iter().any(|l| l == text) {
            found.push(n.id.clone());
        }
    });
    assert_eq!(found.len(), 1, "nodes labelled {text}: {found:?}");
    found.remove(0)
}

fn edge_labels(graph: &Graph, from: &str, to: &str, kind: EdgeKind) -> Vec<String> {
    let (from, to) = (node_id(graph, from), node_id(graph, to));
    let edges: Vec<_> = graph
        .edges
        .iter()
        .filter(|e| e.from == from && e.to == to && e.kind == kind)
        .collect();
    assert_eq!(edges.len(), 1, "{kind:?} edges {from} -> {to}: {edges:?}");
    edges[0].labels.clone()
}

#[test]
fn dot_snapshot() {
    insta::assert_snapshot!("dot", graph_out(&["--env", "prod", "--level", "resources"]));
}

#[test]
fn mermaid_snapshot() {
    insta::assert_snapshot!(
        "mermaid",
        graph_out(&[
            "--env",
            "prod",
            "--format",
            "mermaid",
            "--level",
            "resources"
        ])
    );
}

#[test]
fn stacks_level_snapshots() {
    let dot = graph_out(&["--env", "prod", "--level", "stacks"]);
    assert!(
        dot.contains(r#"label="1. network\nshop-prod-network\n33 resources""#),
        "{dot}"
    );
    insta::assert_snapshot!("stacks_dot", dot);
    insta::assert_snapshot!(
        "stacks_mermaid",
        graph_out(&["--env", "prod", "--level", "stacks", "--format", "mermaid"])
    );
}

#[test]
fn stack_level_edges_follow_the_deploy_order() {
    let g = model(Level::Stacks, &[]);
    let network = "1. network";
    assert_eq!(
        edge_labels(&g, network, "2. data", EdgeKind::StackDependency),
        ["3 imports"]
    );
    assert_eq!(
        edge_labels(&g, network, "3. service", EdgeKind::StackDependency),
        ["2 imports"]
    );
    assert_eq!(
        edge_labels(&g, "2. data", "3. service", EdgeKind::StackDependency),
        ["2 imports"]
    );
}

#[test]
fn cross_stack_and_security_group_edges_carry_their_labels() {
    let g = model(Level::Resources, &[]);
    // An import: the service's task reads the database endpoint exported by `data`.
    assert_eq!(
        edge_labels(&g, "Db", "Task", EdgeKind::CrossStack),
        ["shop-prod-data:Db5D02A0A9-Endpoint-Address"]
    );
    // Collapsed producers merge the labels of the exports they stand for.
    assert_eq!(
        edge_labels(
            &g,
            "IsolatedSubnet x2",
            "Db/SubnetGroup",
            EdgeKind::CrossStack
        ),
        [
            "shop-prod-network:VpcIsolatedSubnet1SubnetE48C5737",
            "shop-prod-network:VpcIsolatedSubnet2Subnet16364B91"
        ]
    );
    // Standalone ingress resources, with groups imported from other stacks resolved back to
    // the producer's group: load balancer -> service, service -> database.
    assert_eq!(
        edge_labels(&g, "LoadBalancerSg", "ServiceSg", EdgeKind::Traffic),
        ["tcp/8080"]
    );
    assert_eq!(
        edge_labels(&g, "ServiceSg", "Db/SecurityGroup", EdgeKind::Traffic),
        ["tcp/5432"]
    );
    // The internet, to the load balancer (a standalone rule) and to the service (inline).
    assert_eq!(
        edge_labels(&g, "0.0.0.0/0", "LoadBalancerSg", EdgeKind::Traffic),
        ["tcp/443"]
    );
    assert_eq!(
        edge_labels(&g, "0.0.0.0/0", "ServiceSg", EdgeKind::Traffic),
        ["tcp/443"]
    );
    // Rule resources are edges, not nodes.
    let dot = graph_out(&["--env", "prod", "--level", "resources"]);
    assert!(!dot.contains("SecurityGroupIngress"), "{dot}");
    assert!(dot.contains(
        r##"n_network__LoadBalancerSgDE417152 -> n_service__ServiceSg [color="#c53030", fontcolor="#c53030", penwidth=2, label="tcp/8080"];"##
    ));
    assert!(dot.contains(
        r##"n_data__Db5D02A0A9 -> n_service__Task [style=dashed, color="#2b6cb0", fontcolor="#2b6cb0", label="shop-prod-data:Db5D02A0A9-Endpoint-Address"];"##
    ));
}

#[test]
fn repeated_subnets_collapse_and_their_edges_are_deduplicated() {
    let g = model(Level::Resources, &[]);
    let private = node_id(&g, "PrivateSubnet x2");
    let vpc = node_id(&g, "Vpc");
    let from_vpc = g
        .edges
        .iter()
        .filter(|e| e.from == vpc && e.to == private)
        .count();
    assert_eq!(from_vpc, 1);
    assert!(!g.edges.iter().any(|e| e.from == e.to));
    // The NAT gateway's subnet differs from its sibling, so neither collapses.
    node_id(&g, "Vpc/PublicSubnet1/NatGateway");
    node_id(&g, "Vpc/PublicSubnet2/Subnet");
}

#[test]
fn stack_selection_keeps_the_connected_nodes_of_other_stacks() {
    let dot = graph_out(&[
        "--env",
        "prod",
        "--stack",
        "service",
        "--level",
        "resources",
    ]);
    assert!(
        dot.contains(r#"label="1. network (not selected)\nshop-prod-network""#),
        "{dot}"
    );
    assert!(
        dot.contains(r#"label="2. data (not selected)\nshop-prod-data""#),
        "{dot}"
    );
    assert!(dot.contains("n_data__DbSecurityGroupC34ABFAB"), "{dot}");
    assert!(dot.contains("n_network__LoadBalancerSgDE417152"), "{dot}");
    // Unconnected resources of other stacks, and edges among them, are left out.
    assert!(!dot.contains("n_data__DbKey15491AC0"), "{dot}");
    assert!(!dot.contains("n_network__Vpc_PrivateSubnet"), "{dot}");
    let stacks = graph_out(&["--env", "prod", "--stack", "data", "--level", "stacks"]);
    assert!(stacks.contains(r#"n_stack_service [label="3. service\nshop-prod-service\n4 resources", style="rounded,dashed""#), "{stacks}");
}

#[test]
fn output_is_deterministic() {
    for format in ["dot", "mermaid"] {
        for level in ["constructs", "resources", "stacks"] {
            let args = ["--env", "prod", "--format", format, "--level", level];
            assert_eq!(graph_out(&args), graph_out(&args), "{format} {level}");
        }
    }
}

#[test]
fn the_first_environment_is_the_default_and_one_is_drawn_at_a_time() {
    assert!(graph_out(&[]).contains(r#"digraph "shop / dev""#));
    let r = run(&["graph", "--env", "dev", "--env", "prod"]);
    assert_eq!(r.code, 2);
    assert!(
        r.err.contains("graph draws one environment at a time"),
        "{}",
        r.err
    );
    let r = run(&["graph", "--env", "staging"]);
    assert_eq!(r.code, 2);
    assert!(r.err.contains("unknown environment `staging`"), "{}", r.err);
    let r = run(&["graph", "--stack", "nope"]);
    assert_eq!(r.code, 2);
    assert!(
        r.err.contains("unknown stack `nope` in environment `dev`"),
        "{}",
        r.err
    );
}

/// Whether an external parser the test command installs must be present.
fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

fn pipe(mut cmd: Command, input: &str) -> std::process::Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The migration-api's graph (the README picture), in `format`.
fn migration_api(format: &str, level: &str) -> String {
    let r = run_with(
        stackforge_stacks::app,
        &[
            "graph", "--env", "prod", "--format", format, "--level", level,
        ],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    r.out
}

#[test]
fn migration_api_snapshots() {
    for format in ["dot", "mermaid"] {
        for level in ["constructs", "resources", "stacks"] {
            insta::assert_snapshot!(
                format!("migration_api_prod_{level}_{format}"),
                migration_api(format, level)
            );
        }
    }
}

fn all_outputs(format: &str) -> Vec<(String, String)> {
    let app = ["constructs", "resources", "stacks"].map(|level| {
        (
            format!("migration-api --level {level}"),
            migration_api(format, level),
        )
    });
    app.into_iter()
        .chain(
            [
                vec!["--env", "prod"],
                vec!["--env", "prod", "--level", "stacks"],
                vec!["--env", "prod", "--stack", "service"],
                vec!["--env", "prod", "--level", "resources"],
                vec!["--env", "dev", "--stack", "data", "--level", "stacks"],
            ]
            .into_iter()
            .map(|mut args| {
                args.extend(["--format", format]);
                (args.join(" "), graph_out(&args))
            }),
        )
        .collect()
}

#[test]
fn dot_renders_with_graphviz() {
    let found = Command::new("dot")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            !required("STACKFORGE_REQUIRE_GRAPHVIZ"),
            "Graphviz `dot` is not installed (apt-get install -y graphviz)"
        );
        eprintln!("skipped: Graphviz `dot` is not installed (apt-get install -y graphviz)");
        return;
    }
    for (args, text) in all_outputs("dot") {
        let mut cmd = Command::new("dot");
        cmd.arg("-Tsvg");
        let out = pipe(cmd, &text);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "graph {args}: {stderr}"
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("</svg>"));
    }
}

#[test]
fn mermaid_parses_with_mermaids_parser() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/mermaid-check");
    let installed = dir.join("node_modules/mermaid").is_dir()
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !installed {
        assert!(
            !required("STACKFORGE_REQUIRE_MERMAID"),
            "the Mermaid checker is not installed (npm ci --prefix scripts/mermaid-check)"
        );
        eprintln!(
            "skipped: the Mermaid checker is not installed (npm ci --prefix scripts/mermaid-check)"
        );
        return;
    }
    // One run for all outputs: starting node and loading mermaid takes seconds.
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(dir.join("check.mjs"));
    for (i, (_, text)) in all_outputs("mermaid").iter().enumerate() {
        let file = tmp.path().join(format!("{i}.mmd"));
        std::fs::write(&file, text).unwrap();
        cmd.arg(file);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The checker itself rejects a broken diagram.
    let mut cmd = Command::new("node");
    cmd.arg(dir.join("check.mjs"));
    assert!(!pipe(cmd, "flowchart LR\n  a[\"open --> b\n")
        .status
        .success());
}
