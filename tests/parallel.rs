//! Synth and the policy gate give the same bytes, warnings, errors and findings whether
//! stacks and documents are processed in parallel or one after another (inside a
//! one-thread pool): on the migration-api app and on a generated large app.

use stackforge::policy::{self, RuleSet};
use stackforge_constructs::resources::{logs, sns};
use stackforge_constructs::{App, Assembly, Environment, Error, Expr, Stack, StackProps};

/// Runs `f` one task at a time: synth finishes stacks sequentially inside a thread pool,
/// and the gate's parallel loops run on its single thread.
fn sequential<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("thread pool")
        .install(f)
}

/// Everything synth produces that a user sees: per stack, its name and bytes; the warnings.
fn outcome(result: &Result<Assembly, Error>) -> (Vec<(String, String)>, Vec<String>) {
    match result {
        Ok(assembly) => (
            assembly
                .environments
                .iter()
                .flat_map(|e| &e.stacks)
                .map(|s| (s.stack_name.clone(), s.body()))
                .collect(),
            assembly.warnings.iter().map(ToString::to_string).collect(),
        ),
        Err(e) => (
            Vec::new(),
            e.errors().iter().map(ToString::to_string).collect(),
        ),
    }
}

fn gate_text(assembly: &Assembly) -> String {
    let envs: Vec<_> = assembly.environments.iter().collect();
    let report = policy::gate(&envs, &RuleSet::builtin()).expect("gate");
    format!("{}\n{:?}", report.render_text(), report.violations.len())
}

fn assert_same(build: impl Fn() -> App + Sync) {
    let parallel = build().synth();
    let one_by_one = sequential(|| build().synth());
    assert_eq!(outcome(&parallel), outcome(&one_by_one));
    if let Ok(assembly) = &parallel {
        let in_parallel = gate_text(assembly);
        let alone = sequential(|| gate_text(assembly));
        assert_eq!(in_parallel, alone);
    }
}

#[test]
fn migration_api_synth_and_gate_do_not_depend_on_threads() {
    assert_same(|| stackforge_stacks::app().expect("app"));
}

/// `stacks` stacks of `per_stack` resources, each importing from the previous one; big
/// stacks draw limit warnings, and with `broken` too many resources in every third stack.
fn generated(stacks: usize, per_stack: usize, broken: bool) -> App {
    let mut app = App::new("gen");
    let env = Environment::new("dev");
    let mut previous: Option<Expr> = None;
    for s in 0..stacks {
        let mut stack =
            Stack::new(&app, &env, &format!("s{s}"), StackProps::default()).expect("stack");
        let mut root = stack.root();
        let topic = root
            .add(
                "Topic",
                sns::Topic {
                    display_name: previous.clone().map(Into::into),
                    ..Default::default()
                },
            )
            .expect("topic");
        let count = if broken && s % 3 == 0 {
            501
        } else {
            per_stack + s
        };
        for r in 1..count {
            let mut group = root.child(&format!("G{r}")).expect("group");
            group
                .add(
                    "Logs",
                    logs::LogGroup {
                        retention_in_days: Some(30.into()),
                        log_group_name: Some(
                            Expr::concat([
                                Expr::str("/gen/"),
                                topic.get_att("TopicName"),
                                Expr::str(format!("/{r}")),
                            ])
                            .into(),
                        ),
                        ..Default::default()
                    },
                )
                .expect("log group");
        }
        previous = Some(topic.get_att("TopicName"));
        app.add_stack(stack).expect("add stack");
    }
    app
}

#[test]
fn a_generated_app_synthesizes_and_gates_the_same_in_parallel() {
    assert_same(|| generated(24, 440, false));
}

#[test]
fn errors_of_a_generated_app_come_in_the_same_order_in_parallel() {
    let result = generated(12, 50, true).synth();
    let (_, errors) = outcome(&result);
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert_same(|| generated(12, 50, true));
}
