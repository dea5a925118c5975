//! `AlarmSet`: CloudWatch alarms that share an encrypted alerting topic, plus the presets the
//! deployment guide sets (high CPU, high 5XX errors) and the ones a working service needs
//! (memory, slow responses, database CPU, storage and connections).

use crate::aws::cloudwatch::metric::{is_valid_period, Metric, Statistic};
use crate::aws::refs::{AlarmArn, AlarmName, TopicArn};
use crate::aws::sns::{Topic, TopicProps};
use crate::error::Result;
use crate::expr::Expr;
use crate::resource::ResourceHandle;
use crate::resources::cloudwatch::{alarm, Alarm};
use crate::scope::Scope;
use crate::template::Output;
use crate::value::{Num, Str};

/// Longest alarm evaluation window CloudWatch accepts (period x evaluation periods), seconds.
pub const MAX_EVALUATION_SECONDS: u32 = 86_400;

/// Bytes in 2 GiB, the free-storage floor of [`AlarmProps::db_low_storage`].
pub const TWO_GIB: u64 = 2 * 1024 * 1024 * 1024;

/// How an alarm compares the statistic with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComparisonOperator {
    /// `GreaterThanThreshold`
    GreaterThanThreshold,
    /// `GreaterThanOrEqualToThreshold`
    GreaterThanOrEqualToThreshold,
    /// `LessThanThreshold`
    LessThanThreshold,
    /// `LessThanOrEqualToThreshold`
    LessThanOrEqualToThreshold,
}

impl ComparisonOperator {
    fn to_cfn(self) -> alarm::ComparisonOperator {
        match self {
            Self::GreaterThanThreshold => alarm::ComparisonOperator::GreaterThanThreshold,
            Self::GreaterThanOrEqualToThreshold => {
                alarm::ComparisonOperator::GreaterThanOrEqualToThreshold
            }
            Self::LessThanThreshold => alarm::ComparisonOperator::LessThanThreshold,
            Self::LessThanOrEqualToThreshold => {
                alarm::ComparisonOperator::LessThanOrEqualToThreshold
            }
        }
    }
}

/// What an alarm makes of periods without data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TreatMissingData {
    /// `missing`: the alarm looks further back and keeps its state (CloudWatch's default).
    #[default]
    Missing,
    /// `ignore`: the alarm keeps its current state.
    Ignore,
    /// `breaching`: no data counts as a breach.
    Breaching,
    /// `notBreaching`: no data counts as fine (for counts of bad events: none happened).
    NotBreaching,
}

impl TreatMissingData {
    fn to_cfn(self) -> alarm::TreatMissingData {
        match self {
            Self::Missing => alarm::TreatMissingData::Missing,
            Self::Ignore => alarm::TreatMissingData::Ignore,
            Self::Breaching => alarm::TreatMissingData::Breaching,
            Self::NotBreaching => alarm::TreatMissingData::NotBreaching,
        }
    }
}

/// The metric an alarm is meant for: [`AlarmSet::new`] rejects any other, since passing the
/// wrong metric handle is an easy mistake that would alarm on nonsense.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectedMetric {
    /// The namespace (`AWS/ECS`).
    pub namespace: &'static str,
    /// The metric name (`CPUUtilization`).
    pub name: &'static str,
    /// Dimensions the metric must carry (`ClusterName`, `ServiceName`).
    pub dimensions: &'static [&'static str],
}

const ECS_SERVICE: &[&str] = &["ClusterName", "ServiceName"];
const LOAD_BALANCER: &[&str] = &["LoadBalancer"];
const DB_INSTANCE: &[&str] = &["DBInstanceIdentifier"];

/// One alarm of an [`AlarmSet`]. Build with [`AlarmProps::new`] or a preset, then adjust
/// fields.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmProps {
    /// `AlarmName`: unique per account and region (1 to 255 characters).
    pub name: String,
    /// `AlarmDescription` (at most 1024 characters).
    pub description: String,
    /// The metric, with its dimensions, statistic and period.
    pub metric: Metric,
    /// Overrides the metric's statistic. Default: none (the metric's).
    pub statistic: Option<Statistic>,
    /// Overrides the metric's period, seconds (10, 30 or a multiple of 60). Default: none
    /// (the metric's).
    pub period: Option<u32>,
    /// `Threshold`.
    pub threshold: f64,
    /// `ComparisonOperator`.
    pub comparison: ComparisonOperator,
    /// `EvaluationPeriods`. Default: 1.
    pub evaluation_periods: u32,
    /// `DatapointsToAlarm`. Default: none (= `evaluation_periods`).
    pub datapoints_to_alarm: Option<u32>,
    /// `TreatMissingData`. Default: [`TreatMissingData::Missing`].
    pub treat_missing_data: TreatMissingData,
    /// `Unit` the alarm filters datapoints by. Default: none, whatever the metric's unit:
    /// a unit the metric is not published with would leave the alarm in
    /// `INSUFFICIENT_DATA` for ever, so CloudWatch advises leaving it out.
    pub unit: Option<String>,
    /// The metric this alarm is meant for. Default: none; presets set it.
    pub expected_metric: Option<ExpectedMetric>,
}

impl AlarmProps {
    /// An alarm on `metric` with one evaluation period, missing data treated as missing.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        metric: Metric,
        comparison: ComparisonOperator,
        threshold: f64,
    ) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            metric,
            statistic: None,
            period: None,
            threshold,
            comparison,
            evaluation_periods: 1,
            datapoints_to_alarm: None,
            treat_missing_data: TreatMissingData::Missing,
            unit: None,
            expected_metric: None,
        }
    }

    fn preset(
        mut self,
        statistic: Statistic,
        period: u32,
        expected: (&'static str, &'static str, &'static [&'static str]),
    ) -> Self {
        self.statistic = Some(statistic);
        self.period = Some(period);
        self.expected_metric = Some(ExpectedMetric {
            namespace: expected.0,
            name: expected.1,
            dimensions: expected.2,
        });
        self
    }

    /// The guide's `<service>-high-cpu`: ECS service `CPUUtilization` Average over 300 s
    /// above 80 %. `metric` is the service's CPU metric (`ClusterName`, `ServiceName`).
    pub fn high_cpu(service: &str, metric: Metric) -> Self {
        Self::new(
            format!("{service}-high-cpu"),
            "Alert when CPU exceeds 80%",
            metric,
            ComparisonOperator::GreaterThanThreshold,
            80.0,
        )
        .preset(
            Statistic::Average,
            300,
            ("AWS/ECS", "CPUUtilization", ECS_SERVICE),
        )
    }

    /// The guide's `<service>-high-errors`: ALB `HTTPCode_Target_5XX_Count` Sum over 60 s
    /// above 10; no data means no errors. `metric` is the load balancer's 5XX metric.
    pub fn high_errors(service: &str, metric: Metric) -> Self {
        Self {
            treat_missing_data: TreatMissingData::NotBreaching,
            ..Self::new(
                format!("{service}-high-errors"),
                "Alert when 5XX errors exceed 10 per minute",
                metric,
                ComparisonOperator::GreaterThanThreshold,
                10.0,
            )
        }
        .preset(
            Statistic::Sum,
            60,
            (
                "AWS/ApplicationELB",
                "HTTPCode_Target_5XX_Count",
                LOAD_BALANCER,
            ),
        )
    }

    /// `<service>-high-memory`: ECS service `MemoryUtilization` Average over 300 s above
    /// 80 %.
    pub fn high_memory(service: &str, metric: Metric) -> Self {
        Self::new(
            format!("{service}-high-memory"),
            "Alert when memory exceeds 80%",
            metric,
            ComparisonOperator::GreaterThanThreshold,
            80.0,
        )
        .preset(
            Statistic::Average,
            300,
            ("AWS/ECS", "MemoryUtilization", ECS_SERVICE),
        )
    }

    /// `<service>-slow-responses`: ALB `TargetResponseTime` p95 above 1 second in 3
    /// consecutive minutes (p95 so a few slow requests do not hide behind an average); no
    /// traffic is not slow.
    pub fn slow_responses(service: &str, metric: Metric) -> Self {
        Self {
            evaluation_periods: 3,
            datapoints_to_alarm: Some(3),
            treat_missing_data: TreatMissingData::NotBreaching,
            ..Self::new(
                format!("{service}-slow-responses"),
                "Alert when p95 target response time exceeds 1 second for 3 minutes",
                metric,
                ComparisonOperator::GreaterThanThreshold,
                1.0,
            )
        }
        .preset(
            Statistic::Percentile(95.0),
            60,
            ("AWS/ApplicationELB", "TargetResponseTime", LOAD_BALANCER),
        )
    }

    /// `<service>-db-high-cpu`: RDS `CPUUtilization` Average over 300 s above 80 %.
    pub fn db_high_cpu(service: &str, metric: Metric) -> Self {
        Self::new(
            format!("{service}-db-high-cpu"),
            "Alert when database CPU exceeds 80%",
            metric,
            ComparisonOperator::GreaterThanThreshold,
            80.0,
        )
        .preset(
            Statistic::Average,
            300,
            ("AWS/RDS", "CPUUtilization", DB_INSTANCE),
        )
    }

    /// `<service>-db-low-storage`: RDS `FreeStorageSpace` Minimum over 300 s below 2 GiB
    /// (in bytes).
    pub fn db_low_storage(service: &str, metric: Metric) -> Self {
        Self::new(
            format!("{service}-db-low-storage"),
            "Alert when database free storage falls below 2 GiB",
            metric,
            ComparisonOperator::LessThanThreshold,
            TWO_GIB as f64,
        )
        .preset(
            Statistic::Minimum,
            300,
            ("AWS/RDS", "FreeStorageSpace", DB_INSTANCE),
        )
    }

    /// `<service>-db-high-connections`: RDS `DatabaseConnections` Maximum over 300 s above
    /// `max_connections` (peaks exhaust the pool, so the maximum, not the average).
    pub fn db_high_connections(service: &str, metric: Metric, max_connections: u32) -> Self {
        Self::new(
            format!("{service}-db-high-connections"),
            format!("Alert when database connections exceed {max_connections}"),
            metric,
            ComparisonOperator::GreaterThanThreshold,
            f64::from(max_connections),
        )
        .preset(
            Statistic::Maximum,
            300,
            ("AWS/RDS", "DatabaseConnections", DB_INSTANCE),
        )
    }

    /// The statistic the alarm evaluates.
    pub fn effective_statistic(&self) -> Statistic {
        self.statistic.unwrap_or(self.metric.statistic)
    }

    /// The period the alarm evaluates, seconds.
    pub fn effective_period(&self) -> u32 {
        self.period.unwrap_or(self.metric.period)
    }
}

/// Where an [`AlarmSet`] sends notifications.
// Built once per set: boxing the props would only make them clumsier to write.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum AlertingTopic {
    /// A new KMS-encrypted, TLS-only [`Topic`] (child `Topic` of the set).
    Create(TopicProps),
    /// An existing topic; its key policy must let CloudWatch alarms use the key.
    Existing(TopicArn),
}

impl Default for AlertingTopic {
    fn default() -> Self {
        AlertingTopic::Create(TopicProps::default())
    }
}

/// Props of [`AlarmSet`].
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSetProps {
    /// The alarms. Default: none.
    pub alarms: Vec<AlarmProps>,
    /// The alerting topic, used as both alarm and OK action. Default: a new topic
    /// ([`AlertingTopic::Create`] with default props; the guide names it `alerting-topic`).
    pub topic: AlertingTopic,
    /// Name of the stack output holding the created topic's ARN (none for a given topic).
    /// Default: `Some("AlertingTopicArn")`.
    pub topic_output: Option<String>,
}

impl Default for AlarmSetProps {
    fn default() -> Self {
        Self {
            alarms: Vec::new(),
            topic: AlertingTopic::default(),
            topic_output: Some("AlertingTopicArn".into()),
        }
    }
}

/// CloudWatch alarms sharing an alerting topic that receives both their ALARM and OK
/// notifications.
///
/// Alarm names are unique per account and region: the set rejects duplicates among its
/// alarms and against alarms already in its stack; register
/// [`UniqueAlarmNames`](crate::aws::cloudwatch::UniqueAlarmNames) on the app to check every
/// stack of an environment.
///
/// ```
/// use stackforge_constructs::aws::cloudwatch::{AlarmProps, AlarmSet, AlarmSetProps, AlertingTopic, Metric};
/// use stackforge_constructs::aws::sns::TopicProps;
/// use stackforge_constructs::testing::synth_stack;
/// use stackforge_constructs::Expr;
///
/// let assembly = synth_stack(|scope| {
///     let cpu = Metric::new("AWS/ECS", "CPUUtilization")
///         .dimension("ClusterName", Expr::import_value("compute:ClusterName"))
///         .dimension("ServiceName", Expr::import_value("compute:ServiceName"));
///     let alarms = AlarmSet::new(scope, "Alarms", AlarmSetProps {
///         alarms: vec![AlarmProps::high_cpu("migration-api", cpu)],
///         topic: AlertingTopic::Create(TopicProps {
///             name: Some("alerting-topic".into()),
///             ..Default::default()
///         }),
///         ..Default::default()
///     })?;
///     assert_eq!(alarms.alarm_names()[0].expr(), Expr::str("migration-api-high-cpu"));
///     Ok(())
/// })?;
/// let template = assembly.environments[0].stacks[0].json();
/// assert!(template["Outputs"]["AlertingTopicArn"].is_object());
/// # Ok::<(), stackforge_constructs::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct AlarmSet {
    topic_arn: TopicArn,
    topic: Option<Topic>,
    alarms: Vec<(String, ResourceHandle<Alarm>)>,
}

impl AlarmSet {
    /// Adds the alarms (and the topic, unless one is given) under `scope/id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: AlarmSetProps) -> Result<AlarmSet> {
        let mut scope = scope.construct(id, "AlarmSet")?;
        for (i, a) in props.alarms.iter().enumerate() {
            check_alarm(&scope, i, a)?;
            if props.alarms[..i].iter().any(|b| b.name == a.name) {
                return Err(scope.invalid(
                    &format!("alarms[{i}].name"),
                    format!("the alarm name `{}` is used twice in this set", a.name),
                    "give every alarm its own name",
                ));
            }
            if let Some(path) = alarm_in_stack(&scope, &a.name) {
                return Err(scope.invalid(
                    &format!("alarms[{i}].name"),
                    format!(
                        "the alarm name `{}` is already used by `{path}` in this stack",
                        a.name
                    ),
                    "alarm names are unique per account and region: give this alarm another name",
                ));
            }
        }
        if let Some(name) = &props.topic_output {
            if scope.stack().has_output(name) {
                return Err(scope.invalid(
                    "topic_output",
                    format!("the stack already has an output `{name}`"),
                    "name the output differently, or set `topic_output: None`",
                ));
            }
        }

        let (topic_arn, topic) = match props.topic {
            AlertingTopic::Existing(arn) => (arn, None),
            AlertingTopic::Create(topic_props) => {
                let topic = Topic::new(&mut scope, "Topic", topic_props)?;
                if let Some(name) = &props.topic_output {
                    scope.stack_mut().add_output(
                        name,
                        Output::new(topic.arn())
                            .description("SNS topic receiving alarm and OK notifications"),
                    )?;
                }
                (topic.arn(), Some(topic))
            }
        };

        let mut alarms = Vec::with_capacity(props.alarms.len());
        for a in props.alarms {
            let handle = scope.add(&a.name.replace('/', "-"), render(&a, &topic_arn))?;
            alarms.push((a.name, handle));
        }
        Ok(AlarmSet {
            topic_arn,
            topic,
            alarms,
        })
    }

    /// The alerting topic's ARN.
    pub fn topic_arn(&self) -> TopicArn {
        self.topic_arn.clone()
    }

    /// The topic, when the set created it.
    pub fn topic(&self) -> Option<&Topic> {
        self.topic.as_ref()
    }

    /// The alarm names, in order.
    pub fn alarm_names(&self) -> Vec<AlarmName> {
        self.alarms
            .iter()
            .map(|(n, _)| AlarmName::from_expr(n.as_str()))
            .collect()
    }

    /// The alarm ARNs, in order (for an alarm status widget).
    pub fn alarm_arns(&self) -> Vec<AlarmArn> {
        self.alarms
            .iter()
            .map(|(_, h)| AlarmArn::from_expr(h.arn()))
            .collect()
    }

    /// The ARN of alarm `name`, if the set has it.
    pub fn alarm_arn(&self, name: &str) -> Option<AlarmArn> {
        self.alarm(name).map(|h| AlarmArn::from_expr(h.arn()))
    }

    /// The alarm resource called `name`, if the set has it.
    pub fn alarm(&self, name: &str) -> Option<&ResourceHandle<Alarm>> {
        self.alarms.iter().find(|(n, _)| n == name).map(|(_, h)| h)
    }
}

fn check_alarm(scope: &Scope<'_>, i: usize, a: &AlarmProps) -> Result<()> {
    let field = |f: &str| format!("alarms[{i}].{f}");
    let name = &a.name;
    if name.trim().is_empty() || name.chars().count() > 255 {
        return Err(scope.invalid(
            &field("name"),
            format!("the alarm name `{name}` is empty or longer than 255 characters"),
            "name the alarm, e.g. `<service>-high-cpu`",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(scope.invalid(
            &field("name"),
            format!(
                "the alarm name `{}` holds a control character, which CloudWatch rejects",
                name.escape_default()
            ),
            "use printable characters only",
        ));
    }
    if a.description.chars().count() > 1024 {
        return Err(scope.invalid(
            &field("description"),
            format!("the description of `{name}` is longer than 1024 characters"),
            "shorten it",
        ));
    }
    if let Some(e) = &a.expected_metric {
        if !a.metric.is(e.namespace, e.name) {
            return Err(scope.invalid(
                &field("metric"),
                format!(
                    "alarm `{name}` expects {}/{} but was given {}/{}",
                    e.namespace, e.name, a.metric.namespace, a.metric.name
                ),
                format!("pass the {} metric from the resource's handle", e.name),
            ));
        }
        if let Some(d) = e
            .dimensions
            .iter()
            .find(|d| a.metric.dimension_value(d).is_none())
        {
            return Err(scope.invalid(
                &field("metric"),
                format!(
                    "alarm `{name}`: the metric has no `{d}` dimension, so it would watch nothing"
                ),
                format!("pass a metric with the dimensions {:?}", e.dimensions),
            ));
        }
    }
    let period = a.effective_period();
    if !is_valid_period(period) {
        return Err(scope.invalid(
            &field("period"),
            format!("alarm `{name}` has period {period} seconds"),
            "use 10, 30 or a multiple of 60 seconds",
        ));
    }
    if let Statistic::Percentile(p) = a.effective_statistic() {
        if !(p > 0.0 && p < 100.0) {
            return Err(scope.invalid(
                &field("statistic"),
                format!("alarm `{name}` has percentile p{p}"),
                "use a percentile between 0 and 100 (exclusive), such as p95",
            ));
        }
    }
    // The metric as the alarm evaluates it: its own period and statistic may be overridden.
    let effective = Metric {
        period,
        statistic: a.effective_statistic(),
        ..a.metric.clone()
    };
    if let Some((problem, fix)) = effective.problem() {
        return Err(scope.invalid(&field("metric"), format!("alarm `{name}`: {problem}"), fix));
    }
    if a.evaluation_periods == 0 {
        return Err(scope.invalid(
            &field("evaluation_periods"),
            format!("alarm `{name}` has 0 evaluation periods"),
            "evaluate at least 1 period",
        ));
    }
    if u64::from(period) * u64::from(a.evaluation_periods) > u64::from(MAX_EVALUATION_SECONDS) {
        return Err(scope.invalid(
            &field("evaluation_periods"),
            format!(
                "alarm `{name}` evaluates {} periods of {period} s, more than one day",
                a.evaluation_periods
            ),
            "keep period x evaluation periods at or under 86400 seconds",
        ));
    }
    if let Some(d) = a.datapoints_to_alarm {
        if d == 0 || d > a.evaluation_periods {
            return Err(scope.invalid(
                &field("datapoints_to_alarm"),
                format!(
                    "alarm `{name}` needs {d} breaching datapoints out of {} evaluation periods",
                    a.evaluation_periods
                ),
                "use between 1 and evaluation_periods datapoints",
            ));
        }
    }
    if !a.threshold.is_finite() {
        return Err(scope.invalid(
            &field("threshold"),
            format!("alarm `{name}` has threshold {}", a.threshold),
            "use a finite number",
        ));
    }
    if let Some(u) = &a.unit {
        if !super::metric::UNITS.contains(&u.as_str()) {
            return Err(scope.invalid(
                &field("unit"),
                format!("alarm `{name}` has unit `{u}`, which CloudWatch does not know"),
                format!("use one of {:?}", super::metric::UNITS),
            ));
        }
    }
    Ok(())
}

/// The path of an alarm already in the scope's stack with this literal name.
fn alarm_in_stack(scope: &Scope<'_>, name: &str) -> Option<String> {
    scope
        .stack()
        .declared_resources()
        .find(|r| {
            r.type_name == "AWS::CloudWatch::Alarm"
                && r.properties.get("AlarmName").and_then(Expr::as_str) == Some(name)
        })
        .map(|r| r.path.to_string())
}

fn render(a: &AlarmProps, topic: &TopicArn) -> Alarm {
    let (statistic, extended_statistic) = match a.effective_statistic() {
        Statistic::Average => (Some(alarm::Statistic::Average), None),
        Statistic::Sum => (Some(alarm::Statistic::Sum), None),
        Statistic::Minimum => (Some(alarm::Statistic::Minimum), None),
        Statistic::Maximum => (Some(alarm::Statistic::Maximum), None),
        Statistic::SampleCount => (Some(alarm::Statistic::SampleCount), None),
        p @ Statistic::Percentile(_) => (None, Some(Str::from(p.name()))),
    };
    Alarm {
        alarm_name: Some(a.name.as_str().into()),
        alarm_description: (!a.description.is_empty()).then(|| a.description.as_str().into()),
        namespace: Some(a.metric.namespace.as_str().into()),
        metric_name: Some(a.metric.name.as_str().into()),
        dimensions: (!a.metric.dimensions.is_empty()).then(|| {
            a.metric
                .dimensions
                .iter()
                .map(|(n, v)| alarm::Dimension::new(n.as_str(), v.clone()))
                .collect()
        }),
        statistic,
        extended_statistic,
        period: Some(a.effective_period().into()),
        evaluation_periods: Some(a.evaluation_periods.into()),
        datapoints_to_alarm: Some(a.datapoints_to_alarm.unwrap_or(a.evaluation_periods).into()),
        threshold: Some(threshold(a.threshold)),
        comparison_operator: Some(a.comparison.to_cfn()),
        treat_missing_data: Some(a.treat_missing_data.to_cfn()),
        unit: a.unit.clone().map(|u| alarm::Unit::Expr(Expr::str(u))),
        actions_enabled: Some(true.into()),
        alarm_actions: Some(vec![topic.into()]),
        ok_actions: Some(vec![topic.into()]),
        ..Default::default()
    }
}

/// Whole thresholds render as integers (`80`, not `80.0`), as the guide writes them.
fn threshold(t: f64) -> Num {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: larger floats are not exact integers
    if t.fract() == 0.0 && t.abs() < EXACT {
        Num::from(t as i64)
    } else {
        Num::from(t)
    }
}
