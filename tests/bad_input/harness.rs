//! Runs one bad input through the CLI in process and classifies what happened.

use std::collections::BTreeMap;
use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use stackforge::Io;
use stackforge_constructs::{App, Error};

/// Builds the app a case runs the CLI on.
pub type Factory = Box<dyn Fn() -> Result<App, Error> + Send + Sync>;

/// Prepares a case's folder (symlinks, permissions) after its files are written.
pub type Prepare = Box<dyn Fn(&Path) + Send + Sync>;

/// One bad input: files laid out under `{in}`, the arguments (`{in}` and `{out}` replaced by
/// the case's folders), the exit code and the words the message must contain (the problem
/// and where it is, case-insensitive).
pub struct Case {
    /// Unique name (the class it probes).
    pub name: String,
    /// The app the CLI runs on.
    pub app: Factory,
    /// Files to create below `{in}` (relative path, content).
    pub files: Vec<(String, Vec<u8>)>,
    /// Arguments after `stackforge`.
    pub args: Vec<String>,
    /// The expected exit code (1 or 2).
    pub code: u8,
    /// Words stdout+stderr must contain.
    pub needles: Vec<String>,
    /// Prepares the case folder after the files are written (symlinks, permissions).
    pub prepare: Option<Prepare>,
}

impl Case {
    /// A case on `app` with `args`, expecting `code` and a message with every needle.
    pub fn new(name: &str, app: Factory, args: &[&str], code: u8, needles: &[&str]) -> Self {
        Case {
            name: name.to_owned(),
            app,
            files: Vec::new(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            code,
            needles: needles.iter().map(|n| (*n).to_owned()).collect(),
            prepare: None,
        }
    }

    /// Adds a file below `{in}`.
    pub fn file(mut self, rel: &str, content: impl Into<Vec<u8>>) -> Self {
        self.files.push((rel.to_owned(), content.into()));
        self
    }

    /// Runs `f` on the case folder before the command.
    pub fn prepare(mut self, f: impl Fn(&Path) + Send + Sync + 'static) -> Self {
        self.prepare = Some(Box::new(f));
        self
    }
}

/// How a case ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verdict {
    /// The expected exit code, a message naming the problem and where, nothing written.
    Clear,
    /// Rejected, but with another exit code or a message missing the problem, the place, or
    /// showing a Rust `Debug` dump.
    Unclear,
    /// A panic.
    Panic,
    /// Rejected, but the folders changed.
    PartialWrite,
    /// Accepted with exit 0.
    UnexpectedSuccess,
}

/// What one case did.
pub struct Outcome {
    /// The case name.
    pub name: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Why it is not clear, with the output.
    pub detail: String,
}

/// Text showing Rust internals rather than a message for people.
const DEBUG_MARKS: [&str; 9] = [
    "Some(",
    "None)",
    "Ok(",
    "Err(",
    " { kind:",
    "Os { code",
    "panicked",
    "RUST_BACKTRACE",
    "\\\"",
];

/// Every file and folder below `root` with its bytes (folders as `None`).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(meta) = fs::symlink_metadata(&p) else {
                continue;
            };
            if meta.is_dir() {
                out.insert(p.clone(), None);
                todo.push(p);
            } else {
                out.insert(p.clone(), Some(fs::read(&p).unwrap_or_default()));
            }
        }
    }
    out
}

fn substitute(arg: &str, input: &Path, output: &Path) -> String {
    arg.replace("{in}", &input.display().to_string())
        .replace("{out}", &output.display().to_string())
}

/// Runs one case in a fresh temporary folder holding `in/` and `out/` (with a file in
/// `out/` that must survive).
pub fn run(case: &Case) -> Outcome {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let root = tmp.path().to_path_buf();
    let input = root.join("in");
    let output = root.join("out");
    fs::create_dir_all(&input).expect("in/");
    fs::create_dir_all(output.join("dev")).expect("out/dev");
    fs::write(output.join("dev/notes.txt"), "kept\n").expect("out/dev/notes.txt");
    for (rel, content) in &case.files {
        let p = input.join(rel);
        fs::create_dir_all(p.parent().expect("a file has a parent")).expect("parent folder");
        fs::write(&p, content).expect("case file");
    }
    if let Some(prepare) = &case.prepare {
        prepare(&root);
    }
    let mut args: Vec<String> = case
        .args
        .iter()
        .map(|a| substitute(a, &input, &output))
        .collect();
    if matches!(args.first().map(String::as_str), Some("synth" | "deploy"))
        && !args.iter().any(|a| a == "--params")
    {
        args.push("--params".into());
        args.push(input.join("params").display().to_string());
    }
    let started = std::time::Instant::now();
    let before = snapshot(&root);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut io = Io {
            out: &mut out,
            err: &mut err,
        };
        // As the `stackforge` binary runs it: `new` writes the scaffold app.
        stackforge::run_with_new_app(
            std::iter::once("stackforge".to_owned()).chain(args.iter().cloned()),
            &case.app,
            Some(stackforge_scaffold_app::app),
            &mut io,
        )
    }));
    let after = snapshot(&root);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&err)
    );
    let changed: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| k.strip_prefix(&root).unwrap_or(k).display().to_string())
        .collect();
    let (verdict, detail) = match result {
        Err(_) => (Verdict::Panic, "panicked".to_owned()),
        Ok(0) => (Verdict::UnexpectedSuccess, format!("exit 0\n{text}")),
        Ok(_) if !changed.is_empty() => (
            Verdict::PartialWrite,
            format!("changed: {}\n{text}", changed.join(", ")),
        ),
        Ok(code) => {
            let lower = text.to_lowercase();
            let missing: Vec<&String> = case
                .needles
                .iter()
                .filter(|n| !lower.contains(&substitute(n, &input, &output).to_lowercase()))
                .collect();
            let dumps: Vec<&str> = DEBUG_MARKS
                .iter()
                .copied()
                .filter(|m| text.contains(m))
                .collect();
            if code == case.code && missing.is_empty() && dumps.is_empty() {
                (Verdict::Clear, String::new())
            } else {
                (
                    Verdict::Unclear,
                    format!(
                        "exit {code} (want {}), missing {missing:?}, debug marks {dumps:?}\n{text}",
                        case.code
                    ),
                )
            }
        }
    };
    let secs = started.elapsed().as_secs_f64();
    if secs > 5.0 {
        println!("slow case ({secs:.1} s): {}", case.name);
    }
    Outcome {
        name: case.name.clone(),
        verdict,
        detail,
    }
}

/// The summary line of the issue.
pub fn summary(outcomes: &[Outcome]) -> String {
    let count = |v: Verdict| outcomes.iter().filter(|o| o.verdict == v).count();
    format!(
        "{} cases: {} clear errors, {} unclear, {} panics, {} partial writes, {} unexpected successes",
        outcomes.len(),
        count(Verdict::Clear),
        count(Verdict::Unclear),
        count(Verdict::Panic),
        count(Verdict::PartialWrite),
        count(Verdict::UnexpectedSuccess),
    )
}
