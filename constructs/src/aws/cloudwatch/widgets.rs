//! Dashboard widgets (metric graphs, single values, Logs Insights queries, alarm status,
//! text) and the JSON writer that renders them into a `DashboardBody` whose dynamic parts
//! (region, resource names, dimension values) resolve at deploy time.

use serde_json::{json, Value};

use crate::aws::cloudwatch::metric::{Metric, Statistic};
use crate::aws::refs::{AlarmArn, LogGroupName};
use crate::expr::{Expr, Pseudo};

/// Where a widget sits on the dashboard grid (24 units wide; `y` grows downwards).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Column, 0 to 23.
    pub x: u32,
    /// Row.
    pub y: u32,
}

/// How a metric widget draws its metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetricView {
    /// `timeSeries`: a line graph.
    #[default]
    TimeSeries,
    /// `singleValue`: the latest value as a number.
    SingleValue,
}

/// A metric graph or single-value widget.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricWidget {
    /// The title.
    pub title: String,
    /// The metrics, each drawn with its dimensions, statistic and period.
    pub metrics: Vec<Metric>,
    /// Statistic for every metric, overriding theirs. Default: none.
    pub statistic: Option<Statistic>,
    /// Period for every metric, seconds, overriding theirs. Default: none.
    pub period: Option<u32>,
    /// Line graph or single value. Default: [`MetricView::TimeSeries`].
    pub view: MetricView,
    /// Stack the lines of a time series. Default: false.
    pub stacked: bool,
    /// Left y-axis minimum. Default: automatic.
    pub y_min: Option<f64>,
    /// Left y-axis maximum. Default: automatic.
    pub y_max: Option<f64>,
    /// Width in grid units (1 to 24). Default: 12 (6 for a single value).
    pub width: u32,
    /// Height in grid units. Default: 6 (3 for a single value).
    pub height: u32,
    /// Position. Default: none (placed by the dashboard's automatic rows).
    pub position: Option<Position>,
}

impl MetricWidget {
    /// A 12 x 6 line graph of `metrics`.
    pub fn new(title: impl Into<String>, metrics: Vec<Metric>) -> Self {
        Self {
            title: title.into(),
            metrics,
            statistic: None,
            period: None,
            view: MetricView::TimeSeries,
            stacked: false,
            y_min: None,
            y_max: None,
            width: 12,
            height: 6,
            position: None,
        }
    }

    /// A 6 x 3 single-value widget of `metrics`.
    pub fn single_value(title: impl Into<String>, metrics: Vec<Metric>) -> Self {
        Self {
            view: MetricView::SingleValue,
            width: 6,
            height: 3,
            ..Self::new(title, metrics)
        }
    }
}

/// How a log widget shows query results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogView {
    /// `table`: the result rows.
    #[default]
    Table,
    /// `timeSeries`: a line graph (for `stats ... by bin(...)`).
    TimeSeries,
    /// `bar`: a bar chart.
    Bar,
    /// `pie`: a pie chart.
    Pie,
}

/// A CloudWatch Logs Insights query widget.
#[derive(Debug, Clone, PartialEq)]
pub struct LogWidget {
    /// The title.
    pub title: String,
    /// The log groups queried (rendered as `SOURCE '<group>' | ...`).
    pub log_groups: Vec<LogGroupName>,
    /// The query after the sources (`fields @timestamp, @message | ...`).
    pub query: String,
    /// How results are shown. Default: [`LogView::Table`].
    pub view: LogView,
    /// Width in grid units (1 to 24). Default: 12.
    pub width: u32,
    /// Height in grid units. Default: 6.
    pub height: u32,
    /// Position. Default: none (automatic rows).
    pub position: Option<Position>,
}

impl LogWidget {
    /// A 12 x 6 table of `query` over `log_groups`.
    pub fn new(
        title: impl Into<String>,
        log_groups: Vec<LogGroupName>,
        query: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            log_groups,
            query: query.into(),
            view: LogView::Table,
            width: 12,
            height: 6,
            position: None,
        }
    }
}

/// An alarm status widget.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmStatusWidget {
    /// The title.
    pub title: String,
    /// The alarms shown (1 to 100).
    pub alarms: Vec<AlarmArn>,
    /// Width in grid units (1 to 24). Default: 24.
    pub width: u32,
    /// Height in grid units. Default: 3.
    pub height: u32,
    /// Position. Default: none (automatic rows).
    pub position: Option<Position>,
}

impl AlarmStatusWidget {
    /// A full-width status row of `alarms`.
    pub fn new(title: impl Into<String>, alarms: Vec<AlarmArn>) -> Self {
        Self {
            title: title.into(),
            alarms,
            width: 24,
            height: 3,
            position: None,
        }
    }
}

/// A markdown text widget.
#[derive(Debug, Clone, PartialEq)]
pub struct TextWidget {
    /// The markdown.
    pub markdown: String,
    /// Width in grid units (1 to 24). Default: 24.
    pub width: u32,
    /// Height in grid units. Default: 2.
    pub height: u32,
    /// Position. Default: none (automatic rows).
    pub position: Option<Position>,
}

impl TextWidget {
    /// A full-width text widget.
    pub fn new(markdown: impl Into<String>) -> Self {
        Self {
            markdown: markdown.into(),
            width: 24,
            height: 2,
            position: None,
        }
    }
}

/// A dashboard widget.
#[derive(Debug, Clone, PartialEq)]
pub enum Widget {
    /// A metric graph or single value.
    Metric(MetricWidget),
    /// A Logs Insights query.
    Log(LogWidget),
    /// Alarm states.
    AlarmStatus(AlarmStatusWidget),
    /// Markdown text.
    Text(TextWidget),
}

impl From<MetricWidget> for Widget {
    fn from(w: MetricWidget) -> Self {
        Widget::Metric(w)
    }
}

impl From<LogWidget> for Widget {
    fn from(w: LogWidget) -> Self {
        Widget::Log(w)
    }
}

impl From<AlarmStatusWidget> for Widget {
    fn from(w: AlarmStatusWidget) -> Self {
        Widget::AlarmStatus(w)
    }
}

impl From<TextWidget> for Widget {
    fn from(w: TextWidget) -> Self {
        Widget::Text(w)
    }
}

impl Widget {
    /// (width, height) in grid units.
    pub fn size(&self) -> (u32, u32) {
        match self {
            Widget::Metric(w) => (w.width, w.height),
            Widget::Log(w) => (w.width, w.height),
            Widget::AlarmStatus(w) => (w.width, w.height),
            Widget::Text(w) => (w.width, w.height),
        }
    }

    /// The explicit position, if any.
    pub fn position(&self) -> Option<Position> {
        match self {
            Widget::Metric(w) => w.position,
            Widget::Log(w) => w.position,
            Widget::AlarmStatus(w) => w.position,
            Widget::Text(w) => w.position,
        }
    }

    /// The widget object at `at`.
    pub(crate) fn to_json(&self, at: Position) -> Json {
        let (width, height) = self.size();
        let (kind, properties) = match self {
            Widget::Metric(w) => ("metric", metric_properties(w)),
            Widget::Log(w) => ("log", log_properties(w)),
            Widget::AlarmStatus(w) => (
                "alarm",
                Json::Obj(vec![
                    ("title", Json::Lit(json!(w.title))),
                    (
                        "alarms",
                        Json::Arr(w.alarms.iter().map(|a| Json::Str(a.expr())).collect()),
                    ),
                ]),
            ),
            Widget::Text(w) => (
                "text",
                Json::Obj(vec![("markdown", Json::Lit(json!(w.markdown)))]),
            ),
        };
        Json::Obj(vec![
            ("type", Json::Lit(json!(kind))),
            ("x", Json::Lit(json!(at.x))),
            ("y", Json::Lit(json!(at.y))),
            ("width", Json::Lit(json!(width))),
            ("height", Json::Lit(json!(height))),
            ("properties", properties),
        ])
    }
}

/// The Logs Insights query of a log widget: one `SOURCE` per log group, then the query.
pub(crate) fn log_query(w: &LogWidget) -> Expr {
    let mut parts = Vec::new();
    for g in &w.log_groups {
        parts.push(Expr::str("SOURCE '"));
        parts.push(g.expr());
        parts.push(Expr::str("' | "));
    }
    parts.push(Expr::str(w.query.as_str()));
    Expr::concat(parts)
}

fn region() -> Json {
    Json::Str(Expr::Pseudo(Pseudo::Region))
}

fn metric_properties(w: &MetricWidget) -> Json {
    let metrics = w
        .metrics
        .iter()
        .map(|m| {
            let mut row = vec![Json::Lit(json!(m.namespace)), Json::Lit(json!(m.name))];
            // Dimensions are always written: a metric without them shows nothing.
            for (name, value) in &m.dimensions {
                row.push(Json::Lit(json!(name)));
                row.push(Json::Str(value.clone()));
            }
            let mut options = serde_json::Map::new();
            options.insert(
                "stat".into(),
                json!(w.statistic.unwrap_or(m.statistic).name()),
            );
            options.insert("period".into(), json!(w.period.unwrap_or(m.period)));
            if let Some(label) = &m.label {
                options.insert("label".into(), json!(label));
            }
            row.push(Json::Lit(Value::Object(options)));
            Json::Arr(row)
        })
        .collect();
    let view = match w.view {
        MetricView::TimeSeries => "timeSeries",
        MetricView::SingleValue => "singleValue",
    };
    let period = w
        .period
        .or_else(|| w.metrics.first().map(|m| m.period))
        .unwrap_or(300);
    let mut props = vec![
        ("title", Json::Lit(json!(w.title))),
        ("view", Json::Lit(json!(view))),
        ("region", region()),
        ("metrics", Json::Arr(metrics)),
        ("period", Json::Lit(json!(period))),
    ];
    if let Some(s) = w.statistic {
        props.push(("stat", Json::Lit(json!(s.name()))));
    }
    if w.view == MetricView::TimeSeries {
        props.push(("stacked", Json::Lit(json!(w.stacked))));
        let mut left = serde_json::Map::new();
        if let Some(min) = w.y_min {
            left.insert("min".into(), json!(min));
        }
        if let Some(max) = w.y_max {
            left.insert("max".into(), json!(max));
        }
        if !left.is_empty() {
            props.push(("yAxis", Json::Lit(json!({ "left": left }))));
        }
    }
    Json::Obj(props)
}

fn log_properties(w: &LogWidget) -> Json {
    let view = match w.view {
        LogView::Table => "table",
        LogView::TimeSeries => "timeSeries",
        LogView::Bar => "bar",
        LogView::Pie => "pie",
    };
    Json::Obj(vec![
        ("title", Json::Lit(json!(w.title))),
        ("region", region()),
        ("query", Json::Str(log_query(w))),
        ("view", Json::Lit(json!(view))),
    ])
}

/// A JSON document whose strings may be computed at deploy time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    /// A value known now, serialized by `serde_json`.
    Lit(Value),
    /// A JSON string whose content is an [`Expr`] (a reference, a pseudo parameter or a
    /// concatenation of both with literals).
    Str(Expr),
    /// An array.
    Arr(Vec<Json>),
    /// An object, keys in order.
    Obj(Vec<(&'static str, Json)>),
}

/// Bytes a deploy-time value is assumed to take once substituted: pseudo parameters
/// (region, account, partition) are short; anything else is budgeted at CloudWatch's longest
/// dimension value (1024 characters), which no name or ARN used here exceeds.
pub const PSEUDO_ESTIMATE: usize = 32;
/// See [`PSEUDO_ESTIMATE`].
pub const DYNAMIC_ESTIMATE: usize = 1024;

/// A JSON text under construction: literal text plus deploy-time values.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    parts: Vec<Expr>,
    /// Literal bytes written so far plus the estimate for every dynamic part.
    pub(crate) estimated_bytes: usize,
}

impl Writer {
    fn lit(&mut self, s: &str) {
        self.estimated_bytes += s.len();
        self.parts.push(Expr::str(s));
    }

    fn dynamic(&mut self, e: Expr) {
        self.estimated_bytes += match e {
            Expr::Pseudo(_) => PSEUDO_ESTIMATE,
            _ => DYNAMIC_ESTIMATE,
        };
        self.parts.push(e);
    }

    /// Writes `value`.
    pub(crate) fn write(&mut self, value: &Json) {
        match value {
            // Serializing a `serde_json::Value` cannot fail.
            Json::Lit(v) => self.lit(&serde_json::to_string(v).unwrap_or_default()),
            Json::Str(e) => {
                self.lit("\"");
                self.string_content(e);
                self.lit("\"");
            }
            Json::Arr(items) => {
                self.lit("[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.lit(",");
                    }
                    self.write(item);
                }
                self.lit("]");
            }
            Json::Obj(entries) => {
                self.lit("{");
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.lit(",");
                    }
                    self.lit(&serde_json::to_string(k).unwrap_or_default());
                    self.lit(":");
                    self.write(v);
                }
                self.lit("}");
            }
        }
    }

    /// The inside of a JSON string: literals escaped now, deploy-time values spliced in as
    /// they are (names, ids and ARNs never hold `"` or `\`).
    fn string_content(&mut self, e: &Expr) {
        match e {
            Expr::String(s) => self.lit(&escape(s)),
            Expr::Concat(items) => items.iter().for_each(|i| self.string_content(i)),
            other => self.dynamic(other.clone()),
        }
    }

    /// The text as one value (`Fn::Sub`/`Fn::Join`, or a plain string when all literal).
    pub(crate) fn finish(self) -> Expr {
        Expr::concat(self.parts)
    }
}

/// `s` escaped for the inside of a JSON string (without the quotes).
fn escape(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_escaped_and_dynamic_parts_spliced_inside_strings() {
        let mut w = Writer::default();
        w.write(&Json::Obj(vec![
            ("t", Json::Lit(json!("say \"hi\""))),
            (
                "q",
                Json::Str(Expr::concat([
                    Expr::str("a\"b "),
                    Expr::region(),
                    Expr::str("\\"),
                ])),
            ),
        ]));
        let body = w.finish();
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"Fn::Sub": r#"{"t":"say \"hi\"","q":"a\"b ${AWS::Region}\\"}"#})
        );
    }
}
