//! `Metric`: a CloudWatch metric with its dimensions, as constructs hand them out, so an
//! alarm or a dashboard widget can never lose the dimensions that make it real.

use crate::expr::Expr;

/// How datapoints are aggregated over a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    /// `Average`
    Average,
    /// `Sum`
    Sum,
    /// `Minimum`
    Minimum,
    /// `Maximum`
    Maximum,
    /// `SampleCount`
    SampleCount,
    /// A percentile such as `p99` (0 to 100).
    Percentile(f64),
}

impl Statistic {
    /// The CloudWatch spelling (`Average`, `p99`).
    pub fn name(self) -> String {
        match self {
            Statistic::Average => "Average".into(),
            Statistic::Sum => "Sum".into(),
            Statistic::Minimum => "Minimum".into(),
            Statistic::Maximum => "Maximum".into(),
            Statistic::SampleCount => "SampleCount".into(),
            Statistic::Percentile(p) => format!("p{p}"),
        }
    }
}

/// A metric: namespace, name, dimensions (typed references, resolved at deploy time),
/// statistic, period, unit and label.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// The namespace (`AWS/ECS`).
    pub namespace: String,
    /// The metric name (`CPUUtilization`).
    pub name: String,
    /// Dimensions in order (`ClusterName`, `ServiceName`).
    pub dimensions: Vec<(String, Expr)>,
    /// The statistic. Default: `Average`.
    pub statistic: Statistic,
    /// The period in seconds. Default: 300.
    pub period: u32,
    /// The unit (`Percent`, `Count`, `Seconds`). Default: none.
    pub unit: Option<String>,
    /// A label for graphs. Default: none (CloudWatch shows the metric name).
    pub label: Option<String>,
}

impl Metric {
    /// A metric with no dimensions, `Average` over 300 seconds.
    pub fn new(namespace: &str, name: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            dimensions: Vec::new(),
            statistic: Statistic::Average,
            period: 300,
            unit: None,
            label: None,
        }
    }

    /// Adds a dimension.
    pub fn dimension(mut self, name: &str, value: impl Into<Expr>) -> Self {
        self.dimensions.push((name.to_owned(), value.into()));
        self
    }

    /// Sets the statistic.
    pub fn statistic(mut self, statistic: Statistic) -> Self {
        self.statistic = statistic;
        self
    }

    /// Sets the period in seconds.
    pub fn period(mut self, seconds: u32) -> Self {
        self.period = seconds;
        self
    }

    /// Sets the unit.
    pub fn unit(mut self, unit: &str) -> Self {
        self.unit = Some(unit.to_owned());
        self
    }

    /// Sets the label.
    pub fn label(mut self, label: &str) -> Self {
        self.label = Some(label.to_owned());
        self
    }
}
