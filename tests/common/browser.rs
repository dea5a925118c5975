//! Headless Chromium for the graph page tests: find it, run it on a page with a time limit.
#![allow(dead_code)] // Only the graph tests use a browser.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The Chromium binary, if installed.
pub fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser"]
        .into_iter()
        .find_map(|name| {
            let ok = Command::new(name)
                .arg("--version")
                .stderr(Stdio::null())
                .output()
                .is_ok_and(|o| o.status.success());
            ok.then(|| PathBuf::from(name))
        })
}

/// Runs headless Chromium on `url` with `args`, stopped (by its process group) after two
/// minutes; its standard output.
pub fn headless(browser: &Path, profile: &Path, url: &str, args: &[&str]) -> String {
    // Standard output goes to a file: a dumped DOM is larger than a pipe's buffer.
    let out_file = profile.with_extension("out");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--window-size=1400,900")
        .args(args)
        .arg(url)
        .stdout(std::fs::File::create(&out_file).unwrap())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            // The browser's helpers are in its process group: stop them all, by that id.
            let _ = Command::new("kill")
                .arg("--")
                .arg(format!("-{}", child.id()))
                .status();
            let _ = child.wait();
            panic!("chromium did not finish within two minutes on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::read_to_string(&out_file).unwrap()
}

/// The `<g class="node ...">` elements of a dumped DOM: their attributes.
pub fn dom_nodes(dom: &str) -> Vec<&str> {
    dom.split("<g class=\"node ")
        .skip(1)
        .map(|s| &s[..s.find('>').unwrap_or(s.len())])
        .collect()
}
