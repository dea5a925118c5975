//! Synthesis benchmark: builds, synthesizes and serializes apps of N stacks x 200 resources
//! with same-stack and cross-stack references, then runs the policy gate on them (release
//! build), and prints wall time, resources per second, the JSON bytes written and peak
//! memory (whole process, after synth and with the gate) with its ratio to the JSON.
//!
//! Run: `cargo bench --bench synth`. Each size runs in its own process, so the peak memory
//! printed is that size's alone. The gate runs cold (no result cache), then once more with
//! a cache filled by the first run (`warm`: what the next `synth` of an unchanged app pays);
//! the peak "with the gate" is taken after the cold run, the one gate `synth` runs.
//! `--heap` also prints the live heap bytes (a counting allocator) after building the app and
//! after synth, and their peaks.

use std::alloc::{GlobalAlloc, Layout};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use stackforge::policy::{self, RuleSet};
use stackforge_constructs::committed::CommittedState;
use stackforge_constructs::resources::{ec2, logs, sns};
use stackforge_constructs::{App, Environment, Expr, Stack, StackProps};

const RESOURCES_PER_STACK: usize = 200;

/// The binary's allocator ([`stackforge::Allocator`], jemalloc), counting live heap bytes and their peak when `--heap` is given
/// (off by default: the counting would add to the times printed). Explains the peak RSS:
/// RSS also holds freed memory the allocator keeps, and the binary itself.
struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `stackforge::Allocator` unchanged; the counters only observe sizes.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        stackforge::Allocator.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        stackforge::Allocator.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            if new_size >= layout.size() {
                let grown = new_size - layout.size();
                let live = LIVE.fetch_add(grown, Ordering::Relaxed) + grown;
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        stackforge::Allocator.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
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
fn measure(resources: usize, heap: bool) {
    let baseline = peak_rss_mib();
    let stacks = resources / RESOURCES_PER_STACK;
    let start = Instant::now();
    let app = build(stacks);
    let built = start.elapsed();
    let app_heap = LIVE.load(Ordering::Relaxed);
    // What the CLI runs: the app is consumed, its declarations move into the templates.
    let assembly = app.into_assembly(&CommittedState::none()).expect("synth");
    let bytes: usize = assembly
        .environments
        .iter()
        .flat_map(|e| &e.stacks)
        .map(|s| s.body_len())
        .sum();
    let synthesized = start.elapsed();
    let synth_rss = peak_rss_mib();
    let synth_heap_peak = PEAK.load(Ordering::Relaxed);
    let assembly_heap = LIVE.load(Ordering::Relaxed);
    let envs: Vec<_> = assembly.environments.iter().collect();
    // The bench app is not hardened (unencrypted topics and log groups): the gate finds and
    // reports violations, as it would on a real app under review.
    let report = policy::gate(&envs, &RuleSet::builtin()).expect("gate");
    assert!(report.input_errors.is_empty(), "{}", report.render_text());
    let total = start.elapsed();
    let gate = total - synthesized;
    // What the CLI runs is one gate: the warm runs below (and this report, alive while they
    // run) are not part of its peak.
    let peak = peak_rss_mib();
    let gate_heap_peak = PEAK.load(Ordering::Relaxed);
    let findings = report.violations.len();
    drop(report);
    let cache = tempfile::tempdir().expect("temp dir");
    let cached = RuleSet::builtin().cached_in(Some(cache.path().to_path_buf()));
    policy::gate(&envs, &cached).expect("gate");
    let warm_start = Instant::now();
    policy::gate(&envs, &cached).expect("gate");
    let warm = warm_start.elapsed();
    let synth_and_gate = total - built;
    let json_mib = bytes as f64 / (1024.0 * 1024.0);
    println!(
        "{resources:>7} resources ({stacks:>3} stacks): build {:>6.0} ms, synth {:>6.0} ms, gate {:>6.0} ms ({} findings; warm {:>4.0} ms), total {:>6.0} ms, synth + gate {:>6.0} ms ({:.1} µs per resource), {:>7.0} resources/s; {bytes} bytes ({:.1} MiB) of JSON; peak RSS {:>6.1} MiB after synth ({:.1}x the JSON), {:>6.1} MiB with the gate ({:.1}x); {:.1} MiB at start",
        built.as_secs_f64() * 1e3,
        (synthesized - built).as_secs_f64() * 1e3,
        gate.as_secs_f64() * 1e3,
        findings,
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
    if heap {
        println!(
            "{resources:>7} resources: heap (counted) {:.1} MiB for the declared app, peak {:.1} MiB during synth ({:.1}x the JSON), {:.1} MiB for the assembly after synth ({:.1}x), peak {:.1} MiB with the gate",
            mib(app_heap),
            mib(synth_heap_peak),
            synth_heap_peak as f64 / bytes as f64,
            mib(assembly_heap),
            assembly_heap as f64 / bytes as f64,
            mib(gate_heap_peak),
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let heap = args.iter().any(|a| a == "--heap");
    // Counted from the start of `main` (only `args` was allocated before, and it outlives
    // the measure), so no block freed while counting was allocated before.
    COUNTING.store(heap, Ordering::Relaxed);
    if let Some(i) = args.iter().position(|a| a == "--size") {
        let size = args
            .get(i + 1)
            .and_then(|s| s.parse().ok())
            .expect("--size N");
        measure(size, heap);
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
            let mut child = Command::new(&exe);
            child.args(["--size", &size.to_string()]);
            if heap {
                child.arg("--heap");
            }
            let status = child.status().expect("run size");
            assert!(status.success(), "size {size} failed");
        }
    }
}
