//! Synth is safe to run twice at once: a lock on the output folder (the holder named, a dead
//! holder's lock taken over), leftovers of interrupted synths cleaned up, and several real
//! synths at once into one folder, repeated, never losing or half-writing a file.
#![cfg(target_os = "linux")]

mod common;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{run_cli, Run};
use rustix::fs::{flock, FlockOperation};
use stackforge_constructs::{
    App, Environment, Error, RawResource, ResourceOptions, Stack, StackProps,
};

const LOCK: &str = ".stackforge.lock";

fn test_app() -> Result<App, Error> {
    let mut app = App::new("shop");
    let mut s = Stack::new(
        &app,
        &Environment::new("dev"),
        "queue",
        StackProps::default(),
    )?;
    s.root().add_raw(
        "Topic",
        RawResource::new("AWS::SNS::Topic").prop("KmsMasterKeyId", "alias/aws/sns"),
        ResourceOptions::default(),
    )?;
    app.add_stack(s)?;
    Ok(app)
}

fn synth(out: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["synth", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    run_cli(test_app, &args)
}

/// Holds the lock of `out` as another synth would, with `pid` written in the file.
fn hold(out: &Path, pid: &str) -> File {
    fs::create_dir_all(out).unwrap();
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(out.join(LOCK))
        .unwrap();
    flock(&file, FlockOperation::NonBlockingLockExclusive).unwrap();
    writeln!(file, "pid {pid}").unwrap();
    file
}

#[test]
fn a_second_synth_waits_for_the_holder_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let held = hold(dir.path(), "999999");
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        drop(held);
    });
    let r = synth(dir.path(), &[]);
    releaser.join().unwrap();
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.err.contains("waiting: ")
            && r.err
                .contains("is locked by stackforge process 999999 (another synth)")
            && r.err.contains("released; going on"),
        "{}",
        r.err
    );
    assert!(r.out.contains("wrote "), "{}", r.out);
    assert!(dir.path().join("dev/queue.template.json").is_file());
    assert!(
        !dir.path().join(LOCK).exists(),
        "the lock file goes with the lock"
    );
}

#[test]
fn a_synth_refuses_after_the_lock_timeout_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let _held = hold(dir.path(), "999999");
    let r = synth(dir.path(), &["--lock-timeout", "0"]);
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(
        r.err.contains("locked by stackforge process 999999, still running after 0s; nothing was done. Fix: wait for it to finish"),
        "{}",
        r.err
    );
    assert!(!dir.path().join("dev").exists(), "nothing was written");
}

#[test]
fn a_lock_left_by_a_dead_process_is_taken_over() {
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id().to_string();
    child.wait().unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(LOCK), format!("pid {dead}\n")).unwrap();
    let r = synth(dir.path(), &[]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.err.contains(&format!(
            "took over the lock on {} left by process {dead}, which no longer holds it",
            dir.path().display()
        )),
        "{}",
        r.err
    );
    assert!(!dir.path().join(LOCK).exists());
}

#[test]
fn leftovers_of_an_interrupted_synth_are_cleaned_up() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(synth(dir.path(), &[]).code, 0);
    fs::write(dir.path().join("dev/notes.md"), "hand-written").unwrap();
    // Killed between moving `dev` aside and moving the new folder in.
    fs::rename(dir.path().join("dev"), dir.path().join(".dev.old-4242")).unwrap();
    fs::create_dir_all(dir.path().join(".dev.staging-4242")).unwrap();
    let r = synth(dir.path(), &[]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.err.contains("note: restored") && r.err.contains("left by an interrupted synth"),
        "{}",
        r.err
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("dev/notes.md")).unwrap(),
        "hand-written",
        "what the interrupted synth had moved aside is back"
    );
    let hidden: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}

/// The committed migration-api files of `env`: what every synth must leave in the folder.
fn committed(env: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("templates")
        .join(env);
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// Several real `stackforge synth` processes at once into one folder, three times. Each run
/// succeeds (having waited for the lock or not, and saying so); a reader running meanwhile
/// always finds every file complete (the folder is swapped in with one atomic exchange);
/// afterwards the folder is exactly the committed one plus the hand-written file, and
/// nothing is left behind.
#[test]
fn concurrent_synths_into_one_folder_never_lose_or_half_write_a_file() {
    const PROCESSES: usize = 4;
    const ROUNDS: usize = 3;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("templates");
    let params = root.join("params");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_stackforge"))
            .args(["synth", "--env", "dev", "--out"])
            .arg(&out)
            .arg("--params")
            .arg(&params)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    assert!(spawn().wait().unwrap().success());
    fs::write(out.join("dev/NOTES.md"), "hand-written").unwrap();
    let mut want = committed("dev");
    want.push(("NOTES.md".to_owned(), b"hand-written".to_vec()));
    want.sort();

    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (done, dev, want) = (done.clone(), out.join("dev"), want.clone());
        std::thread::spawn(move || {
            let mut reads = 0usize;
            while !done.load(Ordering::Relaxed) {
                for (name, bytes) in &want {
                    let path: PathBuf = dev.join(name);
                    let got = fs::read(&path).unwrap_or_else(|e| {
                        panic!("{} vanished during a synth: {e}", path.display())
                    });
                    assert!(&got == bytes, "{} was half-written", path.display());
                    reads += 1;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            reads
        })
    };
    let mut waited = 0;
    for round in 0..ROUNDS {
        let children: Vec<_> = (0..PROCESSES).map(|_| spawn()).collect();
        for child in children {
            let output = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "round {round}: {err}");
            if err.contains("waiting: ") {
                assert!(err.contains("released; going on"), "{err}");
                waited += 1;
            }
        }
    }
    done.store(true, Ordering::Relaxed);
    let reads = reader.join().unwrap();
    assert!(reads > 0, "the reader ran");
    eprintln!(
        "{waited} of {} synths waited for the lock",
        PROCESSES * ROUNDS
    );

    let mut have: Vec<(String, Vec<u8>)> = fs::read_dir(out.join("dev"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect();
    have.sort();
    assert!(have == want, "the folder differs from the committed one");
    let mut entries: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        ["dev"],
        "no lock, staging or moved-aside folder left"
    );
}
