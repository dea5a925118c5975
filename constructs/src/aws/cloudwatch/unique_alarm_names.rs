//! `UniqueAlarmNames`: an aspect rejecting two alarms with one name in an environment, even
//! when they live in different stacks (alarm names are unique per account and region, so
//! the second stack would fail to deploy).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::aspect::{Aspect, ResourceView};
use crate::expr::{Expr, StackKey};

/// The alarm that took a name first.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Owner {
    stack: StackKey,
    logical_id: String,
    path: String,
}

/// Fails synthesis when two `AWS::CloudWatch::Alarm`s of one environment have the same
/// literal `AlarmName` (names built from intrinsics cannot be compared before deploy and are
/// skipped). Register it once per app with [`App::add_aspect`](crate::App::add_aspect).
///
/// Names are compared per environment (an aspect sees a resource's stack, not its account):
/// two environments deployed to one account and region must use different alarm names,
/// e.g. through an environment prefix.
///
/// Aspects see one resource at a time, so the names seen so far are kept per environment;
/// an alarm met again in a later synth of the same app is recognised by its stack and
/// logical ID and is not a duplicate of itself.
///
/// ```
/// use stackforge_constructs::aws::cloudwatch::{AlarmProps, AlarmSet, AlarmSetProps, ComparisonOperator, Metric, UniqueAlarmNames};
/// use stackforge_constructs::{App, Environment, Stack, StackProps};
///
/// let mut app = App::new("shop");
/// app.add_aspect(UniqueAlarmNames::default());
/// let env = Environment::new("prod");
/// for name in ["web", "worker"] {
///     let mut stack = Stack::new(&app, &env, name, StackProps::default())?;
///     let metric = Metric::new("AWS/SQS", "ApproximateAgeOfOldestMessage").dimension("QueueName", "jobs");
///     AlarmSet::new(&mut stack.root(), "Alarms", AlarmSetProps {
///         alarms: vec![AlarmProps::new("jobs-stuck", "Jobs wait", metric, ComparisonOperator::GreaterThanThreshold, 600.0)],
///         topic_output: None,
///         ..Default::default()
///     })?;
///     app.add_stack(stack)?;
/// }
/// let err = app.synth().unwrap_err().to_string();
/// assert!(err.contains("alarm name `jobs-stuck` is already used"));
/// # Ok::<(), stackforge_constructs::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct UniqueAlarmNames {
    /// (environment, alarm name) -> the alarm that took it.
    seen: Mutex<HashMap<(String, String), Owner>>,
}

impl Aspect for UniqueAlarmNames {
    fn visit(&self, resource: &mut ResourceView<'_>) -> Result<(), String> {
        if resource.type_name != "AWS::CloudWatch::Alarm" {
            return Ok(());
        }
        let Some(name) = resource.properties.get("AlarmName").and_then(Expr::as_str) else {
            return Ok(());
        };
        let me = Owner {
            stack: resource.stack.clone(),
            logical_id: resource.logical_id.to_owned(),
            path: resource.path.to_owned(),
        };
        // The map stays consistent even if another thread panicked mid-insert.
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let first = seen
            .entry((resource.stack.env().to_owned(), name.to_owned()))
            .or_insert_with(|| me.clone());
        if first.stack == me.stack && first.logical_id == me.logical_id {
            return Ok(());
        }
        Err(format!(
            "the alarm name `{name}` is already used by `{}` (stack `{}`) in environment `{}`. Fix: alarm names are unique per account and region; give one of the alarms another name (e.g. prefix it with the service or environment)",
            first.path,
            first.stack.name(),
            resource.stack.env()
        ))
    }
}
