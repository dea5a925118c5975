//! Synthesis benchmark: builds, synthesizes and serializes apps of N stacks x 200 resources
//! with same-stack and cross-stack references, then runs the policy gate on them (release
//! build), and prints wall time, resources per second, the JSON bytes written and peak
//! memory (whole process, after synth and with the gate) with its ratio to the JSON.
//!
//! Run: `cargo bench --bench synth`. Each size runs in its own process, so the peak memory
//! printed is that size's alone. The gate runs cold (no result cache), then once more with
//! a cache filled by the first run (`warm`: what the next `synth` of an unchanged app pays).

use std::process::Command;
use std::time::Instant;

use stackforge::policy::{self, RuleSet};
use stackforge_constructs::committed::CommittedState;
use stackforge_constructs::resources::{ec2, logs, sns};
use stackforge_constructs::{App, Environment, Expr, Stack, StackProps};

const RESOURCES_PER_STACK: usize = 200;
const SIZES: &[usize] = &[2_000, 20_000, 50_000, 100_000];

/// An app of `stacks` stacks; each stack's resources reference each other and the first
/// resource of the previous stack (a cross-stack import per stack and per resource kind).
fn build(stacks: usize) -> App {
    let mut app = App::new("bench");
    let env = Environment::new("dev");
    let mut previous: Option<(Expr, Expr)> = None;
    for s in 0..stacks {
        let mut stack =
            Stack::new(&app, &env, &format!("s{s}"), StackProps::default()).expect("stack");
        let mut root = stack.root();
        let topic = root
            .add(
                "Topic",
                sns::Topic {
                    display_name: previous.as_ref().map(|(t, _)| t.clone().into()),
                    ..Default::default()
                },
            )
            .expect("topic");
        let sg = root
            .add(
                "Sg",
                ec2::SecurityGroup {
                    vpc_id: previous.as_ref().map(|(_, v)| v.clone().into()),
                    ..ec2::SecurityGroup::new("bench group")
                },
            )
            .expect("sg");
        for r in 2..RESOURCES_PER_STACK {
            let mut group = root.child(&format!("Group{r}")).expect("group");
            match r % 3 {
                0 => group
                    .add(
                        "Resource",
                        logs::LogGroup {
                            retention_in_days: Some(30.into()),
                            log_group_name: Some(
                                Expr::concat([
                                    Expr::str("/bench/"),
                                    topic.get_att("TopicName"),
                                    Expr::str(format!("/{r}")),
                                ])
                                .into(),
                            ),
                            ..Default::default()
                        },
                    )
                    .map(|_| ()),
                1 => group
                    .add(
                        "Resource",
                        ec2::SecurityGroupIngress {
                            group_id: Some(sg.group_id().into()),
                            source_security_group_id: Some(sg.group_id().into()),
                            from_port: Some(443.into()),
                            to_port: Some(443.into()),
                            ..ec2::SecurityGroupIngress::new("tcp")
                        },
                    )
                    .map(|_| ()),
                _ => group
                    .add(
                        "Resource",
                        sns::Topic {
                            display_name: Some(topic.get_att("TopicName").into()),
                            ..Default::default()
                        },
                    )
                    .map(|_| ()),
            }
            .expect("resource");
        }
        previous = Some((topic.get_att("TopicName"), sg.group_id()));
        app.add_stack(stack).expect("add stack");
    }
    app
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Measures one size in this process and prints one result line.
fn measure(resources: usize) {
    let baseline = peak_rss_mib();
    let stacks = resources / RESOURCES_PER_STACK;
    let start = Instant::now();
    let app = build(stacks);
    let built = start.elapsed();
    // What the CLI runs (`App::into_assembly` peaks lower but slows the gate: README).
    let assembly = app.synth_with(&CommittedState::none()).expect("synth");
    drop(app);
    let bytes: usize = assembly
        .environments
        .iter()
        .flat_map(|e| &e.stacks)
        .map(|s| s.body_len())
        .sum();
    let synthesized = start.elapsed();
    let synth_rss = peak_rss_mib();
    let envs: Vec<_> = assembly.environments.iter().collect();
    // The bench app is not hardened (unencrypted topics and log groups): the gate finds and
    // reports violations, as it would on a real app under review.
    let report = policy::gate(&envs, &RuleSet::builtin()).expect("gate");
    assert!(report.input_errors.is_empty(), "{}", report.render_text());
    let total = start.elapsed();
    let gate = total - synthesized;
    let cache = tempfile::tempdir().expect("temp dir");
    let cached = RuleSet::builtin().cached_in(Some(cache.path().to_path_buf()));
    policy::gate(&envs, &cached).expect("gate");
    let warm_start = Instant::now();
    policy::gate(&envs, &cached).expect("gate");
    let warm = warm_start.elapsed();
    let peak = peak_rss_mib();
    let synth_and_gate = total - built;
    let json_mib = bytes as f64 / (1024.0 * 1024.0);
    println!(
        "{resources:>7} resources ({stacks:>3} stacks): build {:>6.0} ms, synth {:>6.0} ms, gate {:>6.0} ms ({} findings; warm {:>4.0} ms), total {:>6.0} ms, synth + gate {:>6.0} ms ({:.1} µs per resource), {:>7.0} resources/s; {bytes} bytes ({:.1} MiB) of JSON; peak RSS {:>6.1} MiB after synth ({:.1}x the JSON), {:>6.1} MiB with the gate ({:.1}x); {:.1} MiB at start",
        built.as_secs_f64() * 1e3,
        (synthesized - built).as_secs_f64() * 1e3,
        gate.as_secs_f64() * 1e3,
        report.violations.len(),
        warm.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3,
        synth_and_gate.as_secs_f64() * 1e3,
        synth_and_gate.as_secs_f64() * 1e6 / resources as f64,
        resources as f64 / total.as_secs_f64(),
        json_mib,
        synth_rss,
        synth_rss / json_mib,
        peak,
        peak / json_mib,
        baseline,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--size") {
        let size = args
            .get(i + 1)
            .and_then(|s| s.parse().ok())
            .expect("--size N");
        measure(size);
        return;
    }
    let exe = std::env::current_exe().expect("current exe");
    println!("stackforge synth + gate benchmark ({RESOURCES_PER_STACK} resources per stack, cross-stack references between neighbours; load average {})", std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split(' ').take(3).collect::<Vec<_>>().join(" "));
    let sizes: Vec<usize> = match args.iter().position(|a| a == "--sizes") {
        Some(i) => args[i + 1..]
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect(),
        None => SIZES.to_vec(),
    };
    for size in &sizes {
        for _ in 0..3 {
            let status = Command::new(&exe)
                .args(["--size", &size.to_string()])
                .status()
                .expect("run size");
            assert!(status.success(), "size {size} failed");
        }
    }
}
