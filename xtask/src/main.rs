//! Repository tasks. `cargo xtask codegen [--check]` generates the typed catalog
//! (`catalog/src/`) and the schema index (`core/src/schema/`) from the vendored schemas in
//! `catalog/schemas/`.

mod codegen;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};

const USAGE: &str = "usage: cargo xtask codegen [--check]";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["codegen"] => false,
        ["codegen", "--check"] => true,
        _ => bail!("{USAGE}"),
    };
    let root = repo_root();
    let files = codegen::generate(&root)?;
    if check {
        let stale = codegen::stale(&root, &files)?;
        if stale.is_empty() {
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("generated code is out of date; run `cargo xtask codegen`. Would change:");
        for path in stale {
            eprintln!("  {}", path.display());
        }
        return Ok(ExitCode::FAILURE);
    }
    let changed = codegen::write(&root, &files)?;
    println!(
        "codegen: {} files generated, {} changed",
        files.len(),
        changed.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// The workspace root (the parent of this crate).
fn repo_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map_or(manifest.clone(), PathBuf::from)
}
