//! The template reader on real templates nobody here wrote (`tests/corpus/`): every file
//! reads, or gets a clear "not supported" answer for transforms, macros and `Fn::ForEach`.

use std::path::{Path, PathBuf};

use stackforge_constructs::document::{self, DocumentError};

fn corpus() -> Vec<PathBuf> {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus/aws-cloudformation-templates");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "json" || e == "yaml" || e == "yml")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_corpus_template_reads_or_is_named_unsupported() {
    let files = corpus();
    assert!(files.len() > 100, "corpus missing: {} files", files.len());
    let mut read = 0;
    let mut unsupported = Vec::new();
    let mut failures = Vec::new();
    for f in &files {
        match document::load(f) {
            Ok(t) => {
                read += 1;
                // What it read renders back and reads again to the same model.
                let again = document::from_json(&t.to_json()).unwrap();
                assert_eq!(again, t, "{}", f.display());
            }
            Err(e @ DocumentError::Unsupported { .. }) => unsupported.push((f, e)),
            // Test events of a custom resource's Lambda function sit beside the templates.
            Err(DocumentError::NotATemplate(why))
                if f.components().any(|c| c.as_os_str() == "events") =>
            {
                assert!(why.contains("no `Resources`"), "{}: {why}", f.display());
            }
            Err(e) => failures.push(format!("{}: {e}", f.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for (f, e) in &unsupported {
        let text = e.to_string();
        assert!(
            text.starts_with("not supported: "),
            "{}: {text}",
            f.display()
        );
    }
    eprintln!("{read} read, {} not supported", unsupported.len());
    assert!(read >= 90, "only {read} templates read");
}
