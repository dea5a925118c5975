//! What synth refuses about the app as a whole (issue 20): a stack without resources, which
//! CloudFormation rejects ("At least one Resources member must be defined"), and declared
//! renames or moves whose new path holds nothing.

use stackforge_constructs::{
    App, Environment, RawResource, ResourceOptions, Result, Stack, StackProps,
};

fn topic(stack: &mut Stack, id: &str) -> Result<()> {
    stack
        .root()
        .add_raw(
            id,
            RawResource::new("AWS::SNS::Topic"),
            ResourceOptions::default(),
        )
        .map(|_| ())
}

#[test]
fn a_stack_without_resources_is_an_error_naming_the_stack_and_the_fix() {
    let mut app = App::new("shop");
    let env = Environment::new("dev");
    let mut full = Stack::new(&app, &env, "full", StackProps::default()).unwrap();
    topic(&mut full, "Alerts").unwrap();
    app.add_stack(full).unwrap();
    let empty = Stack::new(&app, &env, "empty", StackProps::default()).unwrap();
    let name = empty.stack_name().to_owned();
    app.add_stack(empty).unwrap();
    let e = app.synth().unwrap_err().to_string();
    assert!(
        e.contains(&format!(
            "`{name}`: `Resources`: the stack has no resources"
        )) && e.contains("Fix: add a construct to the stack, or remove the stack"),
        "{e}"
    );
}

#[test]
fn a_declared_rename_or_move_to_a_path_without_resources_is_an_error() {
    let build = |declare: &dyn Fn(&mut App, &mut Stack) -> Result<()>| {
        let mut app = App::new("shop");
        let env = Environment::new("dev");
        let mut audit = Stack::new(&app, &env, "audit", StackProps::default()).unwrap();
        topic(&mut audit, "AuditTrail").unwrap();
        topic(&mut audit, "Backup").unwrap();
        declare(&mut app, &mut audit).unwrap();
        app.add_stack(audit).unwrap();
        app.synth().map(|_| ()).map_err(|e| e.to_string())
    };
    let e = build(&|app, _| app.declare_move("audit/Trail", "audit/AuditTrial")).unwrap_err();
    assert!(
        e.contains("`audit/AuditTrial`: invalid `app.declare_move`: `app.declare_move(\"audit/Trail\", \"audit/AuditTrial\")` matches no resource: nothing of the app is at or below `audit/AuditTrial`")
            && e.contains("nearest existing: `audit/AuditTrail`"),
        "{e}"
    );
    let e = build(&|_, s| s.declare_rename("audit/Trail", "audit/Nothing")).unwrap_err();
    assert!(
        e.contains(
            "`stack.declare_rename(\"audit/Trail\", \"audit/Nothing\")` matches no resource"
        ),
        "{e}"
    );
    // A declaration whose new path holds the resources is accepted (a first synth has no
    // committed templates to pair them with).
    build(&|app, _| app.declare_move("audit/Trail", "audit/AuditTrail")).unwrap();
}
