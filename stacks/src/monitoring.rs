//! `monitoring`: the guide's alarms to the alerting topic, and its dashboard.

use stackforge_constructs::aws::cloudwatch::{
    AlarmProps, AlarmSet, AlarmSetProps, AlertingTopic, ApiMetrics, Dashboard,
};
use stackforge_constructs::aws::ecr::{ScanFindingsAlert, ScanFindingsAlertProps};
use stackforge_constructs::aws::ecs::EcsService;
use stackforge_constructs::aws::sns::TopicProps;
use stackforge_constructs::{App, Environment, Error, Parameter, Stack, StackProps, Str};

use crate::data::Data;
use crate::registry::Registry;
use crate::settings::Settings;

/// Builds the `monitoring` stack.
pub fn build(
    app: &App,
    env: &Environment,
    s: &Settings,
    service: &EcsService,
    data: &Data,
    registry: &Registry,
) -> Result<Stack, Error> {
    let m = &s.monitoring;
    let mut stack = Stack::new(
        app,
        env,
        "monitoring",
        StackProps {
            description: Some(format!(
                "migration-api ({}) monitoring: alarms to the KMS-encrypted alerting topic, and the API dashboard",
                s.env
            )),
            ..Default::default()
        },
    )?;
    let email = stack.add_parameter(
        "AlertEmail",
        Parameter::string()
            .description("E-mail address subscribed to the alerting topic")
            .allowed_pattern(r"[^@\s]+@[^@\s]+\.[^@\s]+", "an e-mail address"),
    )?;
    let mut root = stack.root();
    let prefix = m.alarm_prefix;
    let db = &data.db;
    let alarms = AlarmSet::new(
        &mut root,
        "Alarms",
        AlarmSetProps {
            alarms: vec![
                AlarmProps::high_cpu(prefix, service.metric_cpu()),
                AlarmProps::high_errors(prefix, service.metric_http_5xx()),
                AlarmProps::high_memory(prefix, service.metric_memory()),
                AlarmProps::slow_responses(prefix, service.metric_target_response_time()),
                AlarmProps::db_high_cpu(prefix, db.metric_cpu()),
                AlarmProps::db_low_storage(prefix, db.metric_free_storage()),
                AlarmProps::db_high_connections(
                    prefix,
                    db.metric_connections(),
                    s.database.max_connections_alarm,
                ),
            ],
            topic: AlertingTopic::Create(TopicProps {
                name: Some(Str::from(m.alerting_topic_name)),
                display_name: Some(Str::from(format!("migration-api {} alerts", s.env))),
                email_subscriptions: vec![email],
                // The image scan findings rule below publishes too.
                allow_event_rules: true,
                ..Default::default()
            }),
            ..Default::default()
        },
    )?;
    // HIGH and CRITICAL findings of the image scans on push, to the alerting topic.
    ScanFindingsAlert::new(
        &mut root,
        "ImageScanFindings",
        &registry.repository,
        &alarms.topic_arn(),
        ScanFindingsAlertProps::default(),
    )?;
    Dashboard::api_performance(
        &mut root,
        "Dashboard",
        m.dashboard_name,
        &ApiMetrics {
            cpu: service.metric_cpu(),
            memory: service.metric_memory(),
            response_time: service.metric_target_response_time(),
            requests: service.metric_request_count(),
            errors_5xx: service.metric_http_5xx(),
        },
        &service.log_group_name(),
    )?;
    Ok(stack)
}
