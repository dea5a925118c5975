//! CloudWatch: metrics, alarm sets sharing an alerting topic, dashboards of typed widgets,
//! and the app-wide check that alarm names are unique.

mod alarm_set;
mod dashboard;
mod metric;
mod unique_alarm_names;
mod widgets;

pub use alarm_set::{
    AlarmProps, AlarmSet, AlarmSetProps, AlertingTopic, ComparisonOperator, ExpectedMetric,
    TreatMissingData, MAX_EVALUATION_SECONDS, TWO_GIB,
};
pub use dashboard::{
    ApiMetrics, Dashboard, DashboardProps, ERROR_RATE_QUERY, GRID_COLUMNS, MAX_ALARMS_PER_WIDGET,
    MAX_BODY_BYTES, MAX_LOG_GROUPS_PER_QUERY, MAX_METRICS_PER_DASHBOARD, MAX_METRICS_PER_WIDGET,
    MAX_WIDGETS,
};
pub use metric::{is_valid_period, Metric, Statistic, MAX_DIMENSIONS, UNITS};
pub use unique_alarm_names::UniqueAlarmNames;
pub use widgets::{
    AlarmStatusWidget, LogView, LogWidget, MetricView, MetricWidget, Position, TextWidget, Widget,
    DYNAMIC_ESTIMATE, PSEUDO_ESTIMATE,
};
