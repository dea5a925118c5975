//! The bad-input suite: over a hundred inputs a new user gets wrong (construct API misuse,
//! command-line arguments, broken template files), each run through the CLI in process. Each
//! must end with the expected exit code, a message naming the problem and where it is (no
//! Rust `Debug` dump), no panic, and the input and output folders unchanged.
//!
//! `cargo test --test bad_input -- --nocapture` prints the summary line.

mod api;
mod cli_args;
mod files;
mod harness;

use harness::{run, summary, Verdict};

#[test]
fn every_bad_input_gets_a_clear_error_and_writes_nothing() {
    let mut cases = api::cases();
    cases.extend(cli_args::cases());
    cases.extend(files::cases());
    let mut names = std::collections::HashSet::new();
    for c in &cases {
        assert!(
            names.insert(c.name.clone()),
            "duplicate case name `{}`",
            c.name
        );
    }
    assert!(cases.len() >= 100, "only {} cases", cases.len());
    // Two workers: the cases are independent (each has its own folders, absolute paths).
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
    let chunk = cases.len().div_ceil(workers);
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(run).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a worker ended"))
            .collect()
    });
    for o in outcomes.iter().filter(|o| o.verdict != Verdict::Clear) {
        println!("--- {:?}: {}\n{}", o.verdict, o.name, o.detail);
    }
    let line = summary(&outcomes);
    println!("{line}");
    let bad = outcomes
        .iter()
        .filter(|o| o.verdict != Verdict::Clear)
        .count();
    assert_eq!(bad, 0, "{line}");
}

#[test]
fn the_good_app_synthesizes() {
    // The control: the app the CLI and file cases run on is valid, so their errors come from
    // the bad input alone.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (mut o, mut e) = (Vec::new(), Vec::new());
    let mut io = stackforge::Io {
        out: &mut o,
        err: &mut e,
    };
    let code = stackforge::run(
        [
            "stackforge",
            "synth",
            "--out",
            out.to_str().unwrap(),
            "--params",
            tmp.path().join("params").to_str().unwrap(),
        ],
        api::good_app(),
        &mut io,
    );
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&e));
    assert!(out.join("dev/main.template.json").is_file());
}
