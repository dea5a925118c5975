//! What the policy gate costs a real app, whole process: `stackforge synth --env prod` of the
//! migration-api with the gate and a cold result cache, without the gate (`--no-check`), and
//! with a warm result cache. Issue 21's target: with the gate at most 2x without it.
//!
//! Run: `cargo bench --bench app` (release binary; `-- --runs N`, default 30). The variants
//! run interleaved, so a busy machine slows them alike; each run re-synthesizes into a copy
//! of the committed `templates/` (committed state read, templates rewritten byte for byte),
//! as `cargo run -- synth` does after an edit. CPU is user + system time of the child
//! process (`wait4`), as `perf stat` counts it.

#[cfg(unix)]
fn main() {
    bench::main();
}

#[cfg(not(unix))]
fn main() {
    eprintln!("this bench reads process resource usage with wait4: Unix only");
}

/// The bench (Unix: `wait4` reports the child's CPU time and peak RSS).
#[cfg(unix)]
mod bench {
    use std::path::Path;
    use std::process::Command;
    use std::time::{Duration, Instant};

    /// One variant: its name, extra arguments and result cache folder (empty: off).
    struct Variant {
        name: &'static str,
        args: &'static [&'static str],
        cache: String,
        cpu: Vec<Duration>,
        wall: Vec<Duration>,
        max_rss_kib: i64,
    }

    pub fn main() {
        let args: Vec<String> = std::env::args().collect();
        let runs: usize = args
            .iter()
            .position(|a| a == "--runs")
            .and_then(|i| args.get(i + 1))
            .map(|n| n.parse().expect("--runs N"))
            .unwrap_or(30);
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let work = tempfile::tempdir().expect("temp dir");
        let out = work.path().join("templates");
        copy_dir(&root.join("templates"), &out);
        let warm_cache = work.path().join("cache");

        let mut variants = [
            Variant::new("gate, cold result cache", &[], String::new()),
            Variant::new("no gate (--no-check)", &["--no-check"], String::new()),
            Variant::new(
                "gate, warm result cache",
                &[],
                warm_cache.display().to_string(),
            ),
        ];
        println!(
            "migration-api `synth --env prod`, whole process, {runs} runs per variant, interleaved (load average {})",
            load_average()
        );
        // One run each first: page cache, and the warm variant's cache.
        for v in &mut variants {
            v.run(root, &out);
            v.cpu.clear();
            v.wall.clear();
        }
        for _ in 0..runs {
            for v in &mut variants {
                v.run(root, &out);
            }
        }
        for v in &variants {
            println!(
                "  {:<26} CPU median {:>5.1} ms (mean {:>5.1}), wall median {:>5.1} ms, peak RSS {:>5.1} MiB",
                v.name,
                ms(median(&v.cpu)),
                ms(mean(&v.cpu)),
                ms(median(&v.wall)),
                v.max_rss_kib as f64 / 1024.0
            );
        }
        let [gate, plain, warm] = &variants;
        println!(
            "  with / without the gate: CPU {:.2}x, wall {:.2}x (target: at most 2x); warm result cache: CPU {:.2}x",
            ms(median(&gate.cpu)) / ms(median(&plain.cpu)),
            ms(median(&gate.wall)) / ms(median(&plain.wall)),
            ms(median(&warm.cpu)) / ms(median(&plain.cpu)),
        );
    }

    impl Variant {
        fn new(name: &'static str, args: &'static [&'static str], cache: String) -> Self {
            Self {
                name,
                args,
                cache,
                cpu: Vec::new(),
                wall: Vec::new(),
                max_rss_kib: 0,
            }
        }

        /// Runs the release binary once and records its CPU time, wall time and peak RSS.
        fn run(&mut self, root: &Path, out: &Path) {
            let start = Instant::now();
            // Reaped by `wait4` below, which also reports its resource usage.
            #[allow(clippy::zombie_processes)]
            let child = Command::new(env!("CARGO_BIN_EXE_stackforge"))
                .current_dir(root)
                .args(["synth", "--env", "prod", "--out"])
                .arg(out)
                .args(self.args)
                .env("STACKFORGE_CACHE_DIR", &self.cache)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("the stackforge binary starts");
            let (status, usage) = wait4(child.id());
            self.wall.push(start.elapsed());
            assert!(
                status == 0,
                "`stackforge synth --env prod {}` failed (wait status {status}): run it to see why",
                self.args.join(" ")
            );
            let time = |t: libc::timeval| {
                Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
            };
            self.cpu.push(time(usage.ru_utime) + time(usage.ru_stime));
            self.max_rss_kib = self.max_rss_kib.max(usage.ru_maxrss);
        }
    }

    /// Waits for the child `pid`: its wait status and resource usage.
    fn wait4(pid: u32) -> (i32, libc::rusage) {
        let mut status = 0;
        // SAFETY: an all-zero `rusage` is a valid value; `wait4` writes both out-parameters,
        // which live across the call.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let pid = libc::pid_t::try_from(pid).expect("a pid fits pid_t");
        // SAFETY: as above; `pid` is a child of this process not yet waited for.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
        (status, usage)
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("create the output copy");
        for entry in std::fs::read_dir(from).expect("read templates/") {
            let entry = entry.expect("read templates/");
            let target = to.join(entry.file_name());
            if entry.file_type().expect("file type").is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).expect("copy a template");
            }
        }
    }

    fn median(values: &[Duration]) -> Duration {
        let mut sorted = values.to_vec();
        sorted.sort();
        sorted[sorted.len() / 2]
    }

    fn mean(values: &[Duration]) -> Duration {
        values.iter().sum::<Duration>() / values.len() as u32
    }

    fn ms(d: Duration) -> f64 {
        d.as_secs_f64() * 1e3
    }

    fn load_average() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".into())
    }
}
