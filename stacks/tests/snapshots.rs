//! Snapshots of every stack of every environment, and of each manifest. A changed template
//! fails here until the new snapshot is reviewed and committed (see docs/review.md).

use stackforge_constructs::OutputFormat;

#[test]
fn every_stack_and_manifest_matches_its_reviewed_snapshot() {
    let asm = stackforge_stacks::app().unwrap().synth().unwrap();
    assert_eq!(asm.environments.len(), 2);
    for env in &asm.environments {
        let name = env.environment.name();
        insta::assert_json_snapshot!(
            format!("{name}__manifest"),
            env.manifest(&asm.app, OutputFormat::Json)
        );
        for stack in &env.stacks {
            insta::assert_json_snapshot!(format!("{name}__{}", stack.name), stack.json());
        }
    }
}

/// `App::into_assembly` moves the declared properties instead of copying them: the templates
/// and manifests must not change by a byte.
#[test]
fn synthesis_consuming_the_app_writes_the_same_bytes() {
    let committed = stackforge_constructs::committed::CommittedState::none();
    let copied = stackforge_stacks::app()
        .unwrap()
        .synth_with(&committed)
        .unwrap();
    let moved = stackforge_stacks::app()
        .unwrap()
        .into_assembly(&committed)
        .unwrap();
    let files = |asm: &stackforge_constructs::Assembly| -> Vec<(String, String)> {
        asm.environments
            .iter()
            .flat_map(|env| {
                let manifest =
                    serde_json::to_string(&env.manifest(&asm.app, OutputFormat::Json)).unwrap();
                env.stacks
                    .iter()
                    .map(|s| (s.stack_name.clone(), s.body()))
                    .chain([(env.environment.name().to_owned(), manifest)])
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let (copied, moved) = (files(&copied), files(&moved));
    assert!(
        copied.len() > 2,
        "templates and manifests of both environments"
    );
    assert_eq!(copied, moved);
}
