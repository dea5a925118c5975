//! CloudWatch: metrics (alarms and dashboards build on them).

mod metric;

pub use metric::{Metric, Statistic};
