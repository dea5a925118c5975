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

    /// The value of dimension `name`, if the metric has it.
    pub fn dimension_value(&self, name: &str) -> Option<&Expr> {
        self.dimensions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// Whether this is metric `name` of `namespace`.
    pub fn is(&self, namespace: &str, name: &str) -> bool {
        self.namespace == namespace && self.name == name
    }

    /// The problem and its fix when CloudWatch would reject this metric, for constructs
    /// validating the metrics they are given.
    pub(crate) fn problem(&self) -> Option<(String, String)> {
        let id = format!("{}/{}", self.namespace, self.name);
        if self.namespace.is_empty() || self.name.is_empty() {
            return Some((
                format!("metric `{id}` has an empty namespace or name"),
                "take the metric from a construct handle, or name both".into(),
            ));
        }
        if !is_valid_period(self.period) {
            return Some((
                format!("metric `{id}` has period {}", self.period),
                "use 10, 30 or a multiple of 60 seconds".into(),
            ));
        }
        if let Statistic::Percentile(p) = self.statistic {
            if !(p > 0.0 && p < 100.0) {
                return Some((
                    format!("metric `{id}` has percentile p{p}"),
                    "use a percentile between 0 and 100 (exclusive), such as p95".into(),
                ));
            }
        }
        if let Some(u) = &self.unit {
            if !UNITS.contains(&u.as_str()) {
                return Some((
                    format!("metric `{id}` has unit `{u}`, which CloudWatch does not know"),
                    format!("use one of {UNITS:?}"),
                ));
            }
        }
        if self.dimensions.len() > MAX_DIMENSIONS {
            return Some((
                format!("metric `{id}` has {} dimensions", self.dimensions.len()),
                format!("use at most {MAX_DIMENSIONS}"),
            ));
        }
        for (i, (name, _)) in self.dimensions.iter().enumerate() {
            if name.is_empty() || self.dimensions[..i].iter().any(|(n, _)| n == name) {
                return Some((
                    format!("metric `{id}` has an empty or repeated dimension name `{name}`"),
                    "give each dimension one distinct name".into(),
                ));
            }
        }
        None
    }
}

/// Dimensions a metric can have.
pub const MAX_DIMENSIONS: usize = 30;

/// Whether CloudWatch accepts `seconds` as a period: 10 or 30 (high-resolution metrics) or
/// a multiple of 60.
pub fn is_valid_period(seconds: u32) -> bool {
    seconds == 10 || seconds == 30 || (seconds > 0 && seconds % 60 == 0)
}

/// Units CloudWatch knows (the `Unit` of a metric or an alarm).
pub const UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];
