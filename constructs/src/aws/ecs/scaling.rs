//! `ServiceScaling`: Application Auto Scaling of a Fargate service between a minimum and a
//! maximum task count, on CPU, memory, requests per task, any metric (target tracking), or
//! steps of a metric such as a queue's depth (which can scale from and to zero).

use crate::aws::cloudwatch::{Metric, Statistic};
use crate::aws::elbv2::{ApplicationLoadBalancer, TargetGroup};
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::logical_id::make_unique_id;
use crate::resources::applicationautoscaling::{scalable_target, scaling_policy as sp};
use crate::resources::applicationautoscaling::{ScalableTarget, ScalingPolicy};
use crate::resources::cloudwatch::{alarm, Alarm};
use crate::scope::Scope;
use crate::value::{Num, Str};

use super::service::FargateService;

/// Scales out when the metric reaches a step, and back to the minimum when the sum of other
/// metrics (the whole backlog: visible and in-flight messages) stays at or below a value.
#[derive(Debug, Clone, PartialEq)]
pub struct StepScaling {
    /// The id prefix of its policies and alarms (`QueueDepth` gives `QueueDepthScaleOut`,
    /// `QueueDepthScaleOutAlarm`, `QueueDepthScaleIn`, `QueueDepthScaleInAlarm`).
    pub id: String,
    /// The metric scaling out watches (its statistic and period apply).
    pub scale_out_metric: Metric,
    /// `(from value, tasks to add)` in increasing order: at 1 visible message add 1 task, at
    /// 100 add 5, ...
    pub scale_out_steps: Vec<(f64, u32)>,
    /// The metrics whose sum scaling in watches.
    pub scale_in_metrics: Vec<Metric>,
    /// Scales in to the minimum when the sum is at most this. Default in patterns: 0.
    pub scale_in_at_or_below: f64,
    /// Periods the sum must stay there first (1 to 1440).
    pub scale_in_periods: u32,
}

/// One way a service scales.
#[derive(Debug, Clone, PartialEq)]
pub enum ScalingRule {
    /// Keeps average CPU utilization at this percent (1 to 100); policy `CpuTracking`.
    Cpu(u32),
    /// Keeps average memory utilization at this percent (1 to 100); policy `MemoryTracking`.
    Memory(u32),
    /// Keeps requests per task (per target of the group) at `requests`; policy
    /// `RequestCountTracking`. Build with [`ScalingRule::requests_per_task`].
    RequestsPerTask {
        /// `app/NAME/ID/targetgroup/NAME/ID`.
        resource_label: Expr,
        /// Requests per task per minute.
        requests: u32,
    },
    /// Keeps `metric` at `target`; policy `{id}Tracking`.
    Metric {
        /// The policy id prefix.
        id: String,
        /// The metric (its statistic applies).
        metric: Metric,
        /// The value to keep it at.
        target: f64,
    },
    /// Steps of a metric.
    Steps(StepScaling),
}

impl ScalingRule {
    /// Requests per task of `target_group` on `load_balancer`.
    pub fn requests_per_task(
        load_balancer: &ApplicationLoadBalancer,
        target_group: &TargetGroup,
        requests: u32,
    ) -> Self {
        ScalingRule::RequestsPerTask {
            resource_label: Expr::concat([
                load_balancer.full_name().expr(),
                Expr::str("/"),
                target_group.full_name().expr(),
            ]),
            requests,
        }
    }

    fn id(&self) -> String {
        match self {
            ScalingRule::Cpu(_) => "CpuTracking".into(),
            ScalingRule::Memory(_) => "MemoryTracking".into(),
            ScalingRule::RequestsPerTask { .. } => "RequestCountTracking".into(),
            ScalingRule::Metric { id, .. } => format!("{id}Tracking"),
            ScalingRule::Steps(s) => format!("{}ScaleOut", s.id),
        }
    }
}

/// Props of [`ServiceScaling`].
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceScalingProps {
    /// Fewest tasks (0 lets a worker stop when idle). Default: 1.
    pub min_tasks: u32,
    /// Most tasks. Default: 4.
    pub max_tasks: u32,
    /// How it scales, at least one rule. Default: CPU at 60 %.
    pub rules: Vec<ScalingRule>,
}

impl Default for ServiceScalingProps {
    fn default() -> Self {
        Self {
            min_tasks: 1,
            max_tasks: 4,
            rules: vec![ScalingRule::Cpu(60)],
        }
    }
}

/// The scalable target of a service and its scaling policies.
#[derive(Debug, Clone)]
pub struct ServiceScaling {
    min_tasks: u32,
    max_tasks: u32,
}

impl ServiceScaling {
    /// Adds `scope/id/Target` and one policy per rule (with its alarms for steps). The
    /// service must leave its desired count to autoscaling.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        service: &FargateService,
        props: ServiceScalingProps,
    ) -> Result<ServiceScaling> {
        let mut scaling = scope.construct(id, "ServiceScaling")?;
        check(scaling.path(), service, &props)?;
        // Omitting RoleARN makes Application Auto Scaling use its service-linked role.
        let target = scaling.add(
            "Target",
            ScalableTarget::new(
                props.max_tasks,
                props.min_tasks,
                Expr::concat([
                    Expr::str("service/"),
                    service.cluster_name().expr(),
                    Expr::str("/"),
                    service.service_name().expr(),
                ]),
                scalable_target::ScalableDimension::EcsServiceDesiredCount,
                scalable_target::ServiceNamespace::Ecs,
            ),
        )?;
        for rule in &props.rules {
            let policy_id = rule.id();
            // The name only has to be unique per scalable target; the path-derived ID is.
            let name = unique_name(&scaling, &policy_id);
            // One of a predefined or a customized metric, kept at `target_value`.
            let tracking = |predefined: Option<sp::PredefinedMetricSpecification>,
                            customized: Option<sp::CustomizedMetricSpecification>,
                            target_value: f64| {
                ScalingPolicy {
                    scaling_target_id: Some(target.ref_().into()),
                    target_tracking_scaling_policy_configuration: Some(
                        sp::TargetTrackingScalingPolicyConfiguration {
                            predefined_metric_specification: predefined,
                            customized_metric_specification: customized,
                            scale_in_cooldown: Some(300.into()),
                            scale_out_cooldown: Some(60.into()),
                            ..sp::TargetTrackingScalingPolicyConfiguration::new(num(target_value))
                        },
                    ),
                    ..ScalingPolicy::new(name.clone(), sp::PolicyType::TargetTrackingScaling)
                }
            };
            let predefined =
                |t: sp::PredefinedMetricType| Some(sp::PredefinedMetricSpecification::new(t));
            match rule {
                ScalingRule::Cpu(p) => {
                    let m = predefined(sp::PredefinedMetricType::EcsServiceAverageCpuUtilization);
                    scaling.add(&policy_id, tracking(m, None, f64::from(*p)))?;
                }
                ScalingRule::Memory(p) => {
                    let m =
                        predefined(sp::PredefinedMetricType::EcsServiceAverageMemoryUtilization);
                    scaling.add(&policy_id, tracking(m, None, f64::from(*p)))?;
                }
                ScalingRule::RequestsPerTask {
                    resource_label,
                    requests,
                } => {
                    let m = Some(sp::PredefinedMetricSpecification {
                        resource_label: Some(Str(resource_label.clone())),
                        ..sp::PredefinedMetricSpecification::new(
                            sp::PredefinedMetricType::AlbRequestCountPerTarget,
                        )
                    });
                    scaling.add(&policy_id, tracking(m, None, f64::from(*requests)))?;
                }
                ScalingRule::Metric { metric, target, .. } => {
                    scaling.add(
                        &policy_id,
                        tracking(None, Some(customized(metric)), *target),
                    )?;
                }
                ScalingRule::Steps(s) => {
                    let out = scaling.add(&policy_id, scale_out_policy(name, target.ref_(), s))?;
                    scaling.add(
                        &format!("{}ScaleOutAlarm", s.id),
                        step_alarm(
                            "Scale out: the metric reached the first step",
                            std::slice::from_ref(&s.scale_out_metric),
                            1,
                            s.scale_out_steps[0].0,
                            alarm::ComparisonOperator::GreaterThanOrEqualToThreshold,
                            alarm::TreatMissingData::NotBreaching,
                            out.ref_(),
                        ),
                    )?;
                    let in_id = format!("{}ScaleIn", s.id);
                    let in_name = unique_name(&scaling, &in_id);
                    let scale_in = scaling.add(
                        &in_id,
                        ScalingPolicy {
                            scaling_target_id: Some(target.ref_().into()),
                            step_scaling_policy_configuration: Some(
                                sp::StepScalingPolicyConfiguration {
                                    adjustment_type: Some(sp::AdjustmentType::ExactCapacity),
                                    cooldown: Some(60.into()),
                                    metric_aggregation_type: Some(
                                        sp::MetricAggregationType::Maximum,
                                    ),
                                    step_adjustments: Some(vec![sp::StepAdjustment {
                                        metric_interval_upper_bound: Some(num(0.0)),
                                        ..sp::StepAdjustment::new(props.min_tasks)
                                    }]),
                                    ..Default::default()
                                },
                            ),
                            ..ScalingPolicy::new(in_name, sp::PolicyType::StepScaling)
                        },
                    )?;
                    // Missing data means an idle queue CloudWatch stopped reporting.
                    scaling.add(
                        &format!("{}ScaleInAlarm", s.id),
                        step_alarm(
                            "Scale in to the minimum: the backlog is empty",
                            &s.scale_in_metrics,
                            s.scale_in_periods,
                            s.scale_in_at_or_below,
                            alarm::ComparisonOperator::LessThanOrEqualToThreshold,
                            alarm::TreatMissingData::Breaching,
                            scale_in.ref_(),
                        ),
                    )?;
                }
            }
        }
        Ok(ServiceScaling {
            min_tasks: props.min_tasks,
            max_tasks: props.max_tasks,
        })
    }

    /// Fewest tasks.
    pub fn min_tasks(&self) -> u32 {
        self.min_tasks
    }

    /// Most tasks.
    pub fn max_tasks(&self) -> u32 {
        self.max_tasks
    }
}

fn unique_name(scaling: &Scope<'_>, policy_id: &str) -> String {
    let components: Vec<&str> = scaling
        .path()
        .split('/')
        .skip(1)
        .chain([policy_id])
        .collect();
    make_unique_id(&components).unwrap_or_else(|| policy_id.to_owned())
}

/// Whole numbers render as integers (`60`, not `60.0`).
fn num(v: f64) -> Num {
    if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        Num::from(v as i64)
    } else {
        Num::from(v)
    }
}

fn customized(m: &Metric) -> sp::CustomizedMetricSpecification {
    sp::CustomizedMetricSpecification {
        namespace: Some(m.namespace.as_str().into()),
        metric_name: Some(m.name.as_str().into()),
        dimensions: (!m.dimensions.is_empty()).then(|| {
            m.dimensions
                .iter()
                .map(|(n, v)| sp::MetricDimension::new(n.as_str(), v.clone()))
                .collect()
        }),
        statistic: Some(match m.statistic {
            Statistic::Sum => sp::Statistic::Sum,
            Statistic::Minimum => sp::Statistic::Minimum,
            Statistic::Maximum => sp::Statistic::Maximum,
            Statistic::SampleCount => sp::Statistic::SampleCount,
            Statistic::Average | Statistic::Percentile(_) => sp::Statistic::Average,
        }),
        unit: m.unit.as_deref().map(Str::from),
        ..Default::default()
    }
}

/// Adds tasks by step: the alarm fires at the first step's value; each step adds its tasks
/// from its value (relative to the alarm's threshold) up to the next step's.
fn scale_out_policy(name: String, target: Expr, s: &StepScaling) -> ScalingPolicy {
    let base = s.scale_out_steps[0].0;
    let steps = s
        .scale_out_steps
        .iter()
        .enumerate()
        .map(|(i, (from, add))| sp::StepAdjustment {
            metric_interval_lower_bound: Some(num(from - base)),
            metric_interval_upper_bound: s
                .scale_out_steps
                .get(i + 1)
                .map(|(next, _)| num(next - base)),
            ..sp::StepAdjustment::new(*add)
        })
        .collect();
    ScalingPolicy {
        scaling_target_id: Some(target.into()),
        step_scaling_policy_configuration: Some(sp::StepScalingPolicyConfiguration {
            adjustment_type: Some(sp::AdjustmentType::ChangeInCapacity),
            cooldown: Some(60.into()),
            metric_aggregation_type: Some(sp::MetricAggregationType::Maximum),
            step_adjustments: Some(steps),
            ..Default::default()
        }),
        ..ScalingPolicy::new(name, sp::PolicyType::StepScaling)
    }
}

fn stat(s: Statistic) -> (Option<alarm::Statistic>, Option<Str>) {
    match s {
        Statistic::Average => (Some(alarm::Statistic::Average), None),
        Statistic::Sum => (Some(alarm::Statistic::Sum), None),
        Statistic::Minimum => (Some(alarm::Statistic::Minimum), None),
        Statistic::Maximum => (Some(alarm::Statistic::Maximum), None),
        Statistic::SampleCount => (Some(alarm::Statistic::SampleCount), None),
        p @ Statistic::Percentile(_) => (None, Some(Str::from(p.name()))),
    }
}

/// An alarm on one metric, or on the sum of several (metric math), acting on a policy.
fn step_alarm(
    description: &str,
    metrics: &[Metric],
    periods: u32,
    threshold: f64,
    comparison: alarm::ComparisonOperator,
    missing: alarm::TreatMissingData,
    policy: Expr,
) -> Alarm {
    let dimensions = |m: &Metric| {
        (!m.dimensions.is_empty()).then(|| {
            m.dimensions
                .iter()
                .map(|(n, v)| alarm::Dimension::new(n.as_str(), v.clone()))
                .collect::<Vec<_>>()
        })
    };
    let common = Alarm {
        alarm_description: Some(description.into()),
        evaluation_periods: Some(periods.into()),
        datapoints_to_alarm: Some(periods.into()),
        threshold: Some(num(threshold)),
        comparison_operator: Some(comparison),
        treat_missing_data: Some(missing),
        actions_enabled: Some(true.into()),
        alarm_actions: Some(vec![Str(policy)]),
        ..Default::default()
    };
    if let [m] = metrics {
        let (statistic, extended_statistic) = stat(m.statistic);
        return Alarm {
            namespace: Some(m.namespace.as_str().into()),
            metric_name: Some(m.name.as_str().into()),
            dimensions: dimensions(m),
            statistic,
            extended_statistic,
            period: Some(m.period.into()),
            ..common
        };
    }
    let mut queries: Vec<alarm::MetricDataQuery> = metrics
        .iter()
        .enumerate()
        .map(|(i, m)| alarm::MetricDataQuery {
            metric_stat: Some(alarm::MetricStat::new(
                alarm::Metric {
                    dimensions: dimensions(m),
                    metric_name: Some(m.name.as_str().into()),
                    namespace: Some(m.namespace.as_str().into()),
                },
                m.period,
                m.statistic.name(),
            )),
            return_data: Some(false.into()),
            ..alarm::MetricDataQuery::new(format!("m{i}"))
        })
        .collect();
    let sum: Vec<String> = (0..metrics.len()).map(|i| format!("m{i}")).collect();
    queries.push(alarm::MetricDataQuery {
        expression: Some(sum.join(" + ").into()),
        label: Some("backlog".into()),
        return_data: Some(true.into()),
        ..alarm::MetricDataQuery::new("total")
    });
    Alarm {
        metrics: Some(queries),
        ..common
    }
}

fn check(path: &str, service: &FargateService, p: &ServiceScalingProps) -> Result<()> {
    let invalid = |field: &str, problem: String, fix: &str| {
        Err(Error::invalid_props(path, field, problem, fix))
    };
    if service.desired_count.is_some() {
        return invalid(
            "service",
            "the service fixes its desired count, which every deploy would reset under autoscaling"
                .into(),
            "leave `desired_count` unset on the service",
        );
    }
    if p.max_tasks == 0 || p.min_tasks > p.max_tasks {
        return invalid(
            "min_tasks",
            format!(
                "min_tasks {} and max_tasks {} leave no room to scale",
                p.min_tasks, p.max_tasks
            ),
            "make max_tasks at least 1 and at least min_tasks",
        );
    }
    if p.rules.is_empty() {
        return invalid(
            "rules",
            "no scaling rule is given".into(),
            "add a rule such as `ScalingRule::Cpu(60)`",
        );
    }
    for (i, rule) in p.rules.iter().enumerate() {
        let field = format!("rules[{i}]");
        if p.rules[..i].iter().any(|r| r.id() == rule.id()) {
            return invalid(
                &field,
                format!("two rules would both be `{}`", rule.id()),
                "give each rule its own kind or id",
            );
        }
        let problem = match rule {
            ScalingRule::Cpu(t) | ScalingRule::Memory(t) if !(1..=100).contains(t) => {
                Some(format!("the target {t} % is outside 1..=100"))
            }
            ScalingRule::RequestsPerTask { requests: 0, .. } => {
                Some("0 requests per task cannot be tracked".into())
            }
            ScalingRule::Metric { id, target, .. } if !is_id(id) || !target.is_finite() || *target <= 0.0 => {
                Some(format!("`{id}` with target {target}: the id must be letters and digits, the target above 0"))
            }
            ScalingRule::Steps(s) => check_steps(s).err(),
            _ => None,
        };
        if let Some(problem) = problem {
            return invalid(&field, problem, "fix the rule's values");
        }
    }
    Ok(())
}

fn is_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

pub(crate) fn check_steps(s: &StepScaling) -> std::result::Result<(), String> {
    if !is_id(&s.id) {
        return Err(format!("`{}` is not an id (letters and digits)", s.id));
    }
    if s.scale_out_steps.is_empty() {
        return Err("no scale-out step is given".into());
    }
    for (i, (from, add)) in s.scale_out_steps.iter().enumerate() {
        if !from.is_finite() || *add == 0 {
            return Err(format!(
                "step {i} ({from}, {add}) must start at a number and add at least 1 task"
            ));
        }
        if i > 0 && *from <= s.scale_out_steps[i - 1].0 {
            return Err("the steps' values must increase".into());
        }
    }
    if s.scale_in_metrics.is_empty() || s.scale_in_metrics.len() > 10 {
        return Err("scaling in needs 1 to 10 metrics".into());
    }
    if !(1..=1440).contains(&s.scale_in_periods) || !s.scale_in_at_or_below.is_finite() {
        return Err(format!(
            "{} scale-in periods is outside 1..=1440",
            s.scale_in_periods
        ));
    }
    if s.scale_in_at_or_below >= s.scale_out_steps[0].0 {
        return Err("scaling in would start where scaling out does".into());
    }
    Ok(())
}
