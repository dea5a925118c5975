//! Snapshots of every stack of every environment of the orders app, and of each manifest. A
//! changed template fails here until the new snapshot is reviewed and committed.

use stackforge_constructs::OutputFormat;

#[test]
fn every_stack_and_manifest_matches_its_reviewed_snapshot() {
    let asm = orders::app().unwrap().synth().unwrap();
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
