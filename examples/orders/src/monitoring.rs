//! `monitoring`: alarms for every service and the database, to the app's alerting topic (the
//! worker's), and one dashboard of them all.

use stackforge_constructs::aws::cloudwatch::{
    AlarmProps, AlarmSet, AlarmSetProps, AlarmStatusWidget, AlertingTopic, ComparisonOperator,
    Dashboard, DashboardProps, LogView, LogWidget, MetricWidget, Statistic,
};
use stackforge_constructs::aws::ecs_patterns::{
    LoadBalancedFargateService, QueueProcessingFargateService,
};
use stackforge_constructs::aws::refs::{AlarmArn, AlarmName};
use stackforge_constructs::{App, Environment, Error, Expr, Stack, StackProps};

use crate::admin::Admin;
use crate::data::Data;
use crate::settings::Settings;
use crate::web::Web;

/// The services the monitoring stack watches.
#[derive(Debug, Clone, Copy)]
pub struct Services<'a> {
    /// The API.
    pub api: &'a LoadBalancedFargateService,
    /// The web shop.
    pub web: &'a Web,
    /// The worker.
    pub worker: &'a QueueProcessingFargateService,
    /// The admin service.
    pub admin: &'a Admin,
    /// The database and the queue.
    pub data: &'a Data,
}

/// Builds the `monitoring` stack.
pub fn build(
    app: &App,
    env: &Environment,
    s: &Settings,
    services: &Services<'_>,
) -> Result<Stack, Error> {
    let Services {
        api,
        web,
        worker,
        admin,
        data,
    } = *services;
    let mut stack = Stack::new(
        app,
        env,
        "monitoring",
        StackProps {
            description: Some(format!(
                "orders ({}) monitoring: alarms of the API, web shop, worker, admin service and database; the orders dashboard",
                s.env
            )),
            ..Default::default()
        },
    )?;
    let mut root = stack.root();
    let prefix = format!("orders-{}", s.env);
    let shop_5xx = api.load_balancer().metric_target_5xx(&web.target_group);
    let admin_5xx = admin.load_balancer.metric_target_5xx(&admin.target_group);
    let alarms = AlarmSet::new(
        &mut root,
        "Alarms",
        AlarmSetProps {
            alarms: vec![
                AlarmProps::high_cpu(&format!("{prefix}-api"), api.metric_cpu()),
                AlarmProps::high_errors(&format!("{prefix}-api"), api.metric_http_5xx()),
                AlarmProps::slow_responses(
                    &format!("{prefix}-api"),
                    api.metric_target_response_time(),
                ),
                AlarmProps::high_cpu(&format!("{prefix}-web"), web.service.metric_cpu()),
                AlarmProps::high_errors(&format!("{prefix}-web"), shop_5xx.clone()),
                AlarmProps::high_memory(&format!("{prefix}-worker"), worker.metric_memory()),
                AlarmProps::high_errors(&format!("{prefix}-admin"), admin_5xx.clone()),
                AlarmProps::db_high_cpu(&prefix, data.db.metric_cpu()),
                AlarmProps::db_low_storage(&prefix, data.db.metric_free_storage()),
                AlarmProps {
                    evaluation_periods: 3,
                    ..AlarmProps::new(
                        format!("{prefix}-orders-backlog"),
                        "More than 1000 orders wait for the worker",
                        data.orders.metric_visible_messages(),
                        ComparisonOperator::GreaterThanThreshold,
                        1000.0,
                    )
                },
            ],
            topic: AlertingTopic::Existing(worker.alarms().topic_arn()),
            topic_output: None,
        },
    )?;
    // Alarm ARNs from their names: `Fn::GetAtt` needs nothing, and no export from the worker.
    let arn = |name: AlarmName| {
        AlarmArn::from_expr(Expr::arn(
            "cloudwatch",
            true,
            Expr::concat([Expr::str("alarm:"), name.expr()]),
        ))
    };
    let all_alarms: Vec<AlarmArn> = alarms
        .alarm_names()
        .into_iter()
        .chain(worker.alarms().alarm_names())
        .map(arn)
        .collect();
    let sum = |m: stackforge_constructs::aws::cloudwatch::Metric| m.statistic(Statistic::Sum);
    Dashboard::new(
        &mut root,
        "Dashboard",
        DashboardProps {
            name: Some(format!("{prefix}-dashboard")),
            widgets: vec![
                AlarmStatusWidget::new("Alarms", all_alarms).into(),
                MetricWidget::new(
                    "API",
                    vec![
                        api.metric_cpu(),
                        api.metric_memory(),
                        api.metric_target_response_time(),
                        api.metric_request_count(),
                        api.metric_http_5xx(),
                    ],
                )
                .into(),
                MetricWidget::new(
                    "Web shop",
                    vec![
                        web.service.metric_cpu(),
                        sum(api
                            .load_balancer()
                            .metric_target_request_count(&web.target_group)),
                        shop_5xx,
                    ],
                )
                .into(),
                MetricWidget::new(
                    "Orders queue and worker",
                    vec![
                        data.orders.metric_visible_messages(),
                        data.orders.metric_in_flight_messages(),
                        data.orders.metric_oldest_message_age(),
                        data.orders.metric_dead_letter_messages(),
                        worker.metric_cpu(),
                    ],
                )
                .into(),
                MetricWidget::new("Admin", vec![admin.service.metric_cpu(), admin_5xx]).into(),
                MetricWidget::new(
                    "Database",
                    vec![
                        data.db.metric_cpu(),
                        data.db.metric_free_storage(),
                        data.db.metric_connections(),
                    ],
                )
                .into(),
                LogWidget {
                    view: LogView::TimeSeries,
                    ..LogWidget::new(
                        "Log events of the API and the worker (5 min bins)",
                        vec![api.log_group_name(), worker.log_group_name()],
                        "fields @timestamp, @message | stats count() by bin(5m)",
                    )
                }
                .into(),
            ],
        },
    )?;
    Ok(stack)
}
